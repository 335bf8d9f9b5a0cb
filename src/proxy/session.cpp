// A client connection: setup, teardown, reading, and routing a request to a backend.
// Worker-local.
#include <cstring>
#include <sys/socket.h>
#include <unistd.h>

#include "portero/http/head_writer.h"
#include "portero/http/status.h"
#include "trace.h"
#include "portero/proxy/worker.h"
#include "session.h"

namespace portero::proxy {

using http::ParseStatus;

namespace {
// `option tcpka`: the kernel's keep-alive probes with its own timings (as HAProxy, which
// only sets the flag unless told otherwise).
void set_keepalive(int fd) {
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
}
}  // namespace

// ---------------------------------------------------------------------------------------------
// Client connection: setup and teardown

Session::Session(Worker& w, int proxy_index) : w_(w), fe_(proxy_index) {
  ctimer_.on_expire = on_client_timer;
  ctimer_.owner = this;
}

http::Header* Session::header_slots(char* block) const {
  // Header index slots live right after the data area of the same pooled block.
  return reinterpret_cast<http::Header*>(block + w_.bufsize());
}

bool Session::open(int fd, const sockaddr_storage& peer, int listener_fd, const BindContext& bind) {
  Entry in(*this);
  SSL_CTX* tls = bind.tls;
  bind_ = static_cast<uint16_t>(bind.bind);
  tcp_.set_owner(this, &kClientEvents);
  if (tcp_.open(w_.loop(), fd) != 0) {
    tcp_.close();
    return false;
  }
  if (tls) {
    tls_ = w_.new_tls();
    w_.px_counters(fe_).add(w_.px_counters(fe_).ssl_conns);
    tls_->set_owner(this, &kClientEvents);
    if (!tls_->accept(tcp_, tls)) {   // out of memory in OpenSSL: nothing to say to the client
      cli()->close();
      return false;
    }
  }
  std::memcpy(&peer_, &peer, peer.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
  if (peer.ss_family == AF_INET || peer.ss_family == AF_INET6) {
    tcp_.set_nodelay();
    if (w_.config().proxies[fe_].client_tcpka) set_keepalive(fd);
    sockaddr_storage local;
    if (tcp_.local_address(local) == 0)
      std::memcpy(&local_addr_, &local, local.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
  }
  phase_ = Phase::idle;
  t_accept_ = uv_now(w_.loop());
  if (x().logging()) {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    accept_real_ms_ = static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
  }
  if (w_.runtime().debug) {
    stream_id_ = w_.runtime().next_stream_id.fetch_add(1);
    trace::accept(stream_id_, w_.config().proxies[fe_].name, listener_fd, fd, &peer_.sa);
  }
  if (!x().connection_rules_accept()) {
    // Refused at once: no session, no log line; counted in the frontend's dcon, as HAProxy.
    w_.px_counters(fe_).add(w_.px_counters(fe_).denied_conn);
    term_ = {'P', 'R'};
    finish_close();
    return false;
  }
  start_reading();
  if (x().tcp_mode()) {
    x().log_request_start();
    x().start_tcp();
    return true;
  }
  arm_client_timer(w_.config().proxies[fe_].http_request_timeout());
  return true;
}

const core::TransportEvents Session::kClientEvents = {on_alloc,           on_read,     on_write_done,
                                                      on_client_handshake, on_shutdown, on_closed};

void Session::on_client_handshake(void* self, int) {
  auto* s = static_cast<Session*>(self);
  Entry in(*s);
  s->t_handshake_ = uv_now(s->w_.loop());
  stats::Counters& c = s->w_.px_counters(s->fe_);
  c.add(SSL_session_reused(s->tls_->ssl()) ? c.ssl_reused_sess : c.ssl_sess);
}

void Session::on_closed(void* self) {
  auto* s = static_cast<Session*>(self);
  if (s->tls_) s->w_.px_counters(s->fe_).add(s->w_.px_counters(s->fe_).ssl_closed);
  if (s->tls_) s->w_.free_tls(s->tls_);
  s->tls_ = nullptr;
  s->w_.session_closed(s);
}

void Session::finish_close() {
  if (closed_) return;
  closed_ = true;
  w_.timers().disarm(ctimer_);
  x().release_rewrites();
  if (queued_on != kNotQueued) w_.dequeue(this);
  x().close_server();
  close_private();
  x().release_slot();
  // An HTTP exchange is logged when it ends (a closing session has logged it already); a TCP
  // session is one exchange, logged when the connection ends, even after a graceful close.
  if (phase_ != Phase::idle && (phase_ != Phase::closing || x().tcp_mode())) x().log_exchange();
  if (x().vars_) {   // after the log line, which may show them
    w_.free_vars(x().vars_);
    x().vars_ = nullptr;
  }
  x().release_log_block();
  x().release_local();
  if (x().stats_ticket_) w_.stats_forget(x().stats_ticket_);
  if (in_.data) {
    w_.buffers().put(in_.data);
    in_ = ReadBuffer{};
  }
  retire_exchange();   // freed once the call that closed us returns (it may be the exchange's)
  cli()->close();
}

Exchange& Session::new_exchange() {
  x_ = w_.new_exchange(*this, fe_);
  return *x_;
}

// The worker's and the server connection's ways into the exchange: each holds an Entry.
bool Session::try_take_slot(int idx) {
  Entry in(*this);
  return x().try_take_slot(idx);
}
void Session::on_dequeued(int idx) {
  Entry in(*this);
  x().on_dequeued(idx);
}
void Session::stats_answer(std::string page) {
  Entry in(*this);
  x().stats_answer(std::move(page));
}
void Session::on_server_connected(int status) {
  Entry in(*this);
  x().on_server_connected(status);
}
void Session::on_server_read(ssize_t nread) {
  Entry in(*this);
  x().on_server_read(nread);
}
void Session::on_server_write_done(int status) {
  Entry in(*this);
  x().on_server_write_done(status);
}
void Session::on_server_timeout() {
  Entry in(*this);
  x().on_server_timeout();
}

void Session::retire_exchange() {
  if (!x_) return;
  x_->retired_next = retired_;
  retired_ = x_;
  x_ = nullptr;
}

void Session::settle_retired() {
  while (retired_) {
    Exchange* r = retired_;
    retired_ = r->retired_next;
    w_.free_exchange(r);
  }
}

void Session::settle() {
  settle_retired();
  if (x_ && phase_ == Phase::idle && client_write_ == ClientWrite::none) release_exchange();
}

void Session::release_exchange() {
  if (!x_) return;
  w_.free_exchange(x_);
  x_ = nullptr;
}

void Session::hard_close() {
  Entry in(*this);
  finish_close();
}

void Session::soft_stop() {
  Entry in(*this);
  stop_after_ = true;
  // An idle keep-alive connection is closed now; a new one still gets its first request served.
  if (phase_ == Phase::idle && !first_request_ && in_.end == 0 && client_write_ == ClientWrite::none)
    finish_close();
}

bool Session::shutdown_client() {
  if (client_shutting_ || cli()->shutdown() != 0) return false;
  client_shutting_ = true;
  return true;
}

void Session::close_client() {
  if (client_write_ != ClientWrite::none) {
    close_pending_ = true;
    return;
  }
  if (phase_ == Phase::closing) return;
  x().close_server();
  phase_ = Phase::closing;
  // Send FIN after the last bytes, then drain what the client still sends until it closes,
  // so unread input does not turn our close into a reset that could destroy the response.
  if (!shutdown_client()) {
    finish_close();
    return;
  }
  arm_client_timer(w_.config().proxies[fe_].timeouts.client_fin.value_or(1000));
  start_reading();
}

void Session::on_shutdown(void* self, int) {
  auto* s = static_cast<Session*>(self);
  Entry in(*s);
  s->client_shutting_ = false;
  if (s->client_eof_) s->finish_close();
}

void Exchange::abort_both(Termination t) {
  c_.term_ = t;
  close_server();
  c_.finish_close();
}

void Exchange::close_server() {
  if (!srv_) return;
  ServerConn* c = srv_;
  srv_ = nullptr;
  c->close();
}

// ---------------------------------------------------------------------------------------------
// Reading from the client

void Session::start_reading() {
  if (reading_ || closed_) return;
  reading_ = true;
  cli()->read_start();
}

void Session::stop_reading() {
  if (!reading_) return;
  reading_ = false;
  cli()->read_stop();
}

void Session::on_alloc(void* self, uv_buf_t* buf) {
  auto* s = static_cast<Session*>(self);
  if (!s->in_.data) {
    s->in_.data = s->w_.buffers().get();
    s->in_.fwd = s->in_.parsed = s->in_.end = 0;
  }
  buf->base = s->in_.data + s->in_.end;
  buf->len = s->w_.bufsize() - s->in_.end;
}

void Session::on_read(void* self, ssize_t nread) {
  auto* s = static_cast<Session*>(self);
  Entry in(*s);
  if (nread == 0) {   // nothing after all: an empty buffer goes back to the pool
    s->release(s->in_);
    return;
  }
  if (nread == UV_ENOBUFS) {  // buffer full: wait until bytes are forwarded
    s->stop_reading();
    return;
  }
  if (nread == core::Transport::kHandshakeFailed) {
    const int end = s->tls_->peer_end();
    s->x().handshake_failed(end == UV_EOF ? log::HandshakeEnd::eof
                        : end < 0     ? log::HandshakeEnd::reset
                                      : log::HandshakeEnd::tls_error);
    return;
  }
  if (nread < 0) {
    s->client_eof_ = true;
    s->client_reset_ = nread != UV_EOF;
    s->handle_client_eof();
    return;
  }
  s->in_.end += static_cast<uint32_t>(nread);
  s->bytes_in_ += static_cast<uint64_t>(nread);
  s->handle_client_input();
}

void Session::release(ReadBuffer& b) {
  if (b.data && b.fwd == b.end) {
    w_.buffers().put(b.data);
    b = ReadBuffer{};
    // The request's end was an offset into that buffer; pipelined bytes arriving later start a
    // fresh one at 0, and must not be skipped as if they were the rest of the request.
    if (&b == &in_) req_end_ = 0;
  }
}

void Session::compact(ReadBuffer& b) {
  if (!b.data) return;
  if (b.fwd == b.end) {
    b.fwd = b.parsed = b.end = 0;
    return;
  }
  if (b.fwd == 0) return;
  std::memmove(b.data, b.data + b.fwd, b.end - b.fwd);
  b.parsed -= b.fwd;
  b.end -= b.fwd;
  b.fwd = 0;
}

// The client closed its side: `client_reset_` tells an abort (reset, error) from a half-close
// (FIN), after which HAProxy still delivers the exchange in progress.
void Session::handle_client_eof() {
  stop_reading();
  switch (phase_) {
    case Phase::idle:
    case Phase::closing:
      finish_close();
      return;
    case Phase::inspect:
      // Whatever arrived is all there will be: decide, and forward it if accepted.
      if (client_reset_) finish_close();
      else x().inspect_tcp(true);
      return;
    case Phase::head:
      term_ = {'C', 'R'};
      finish_close();
      return;
    case Phase::tunnel:
      if (client_reset_ || x().client_shut_) x().abort_both({'C', 'D'});
      else x().relay_to_server();   // passes the half-close on once the bytes are through
      return;
    default:
      if (!client_reset_ && (x().req_complete_ || x().tcp_mode())) {
        // Everything was sent: let the answer come, then close (end_exchange sees client_eof_;
        // like HAProxy, the answer does not announce the close).
        return;
      }
      x().abort_both({'C', phase_ == Phase::queued ? 'Q' : phase_ == Phase::connecting ? 'C' : 'D'});
      return;
  }
}

void Session::handle_client_input() {
  switch (phase_) {
    case Phase::inspect:
      x().inspect_tcp(false);
      return;
    case Phase::idle: {
      compact(in_);
      phase_ = Phase::head;
      x().log_request_start();
      x().req_.begin(in_.data, in_.fwd, header_slots(in_.data), w_.max_headers());
      if (!first_request_) arm_client_timer(w_.config().proxies[fe_].http_request_timeout());
      [[fallthrough]];
    }
    case Phase::head: {
      auto r = x().req_.feed(in_.parsed, in_.end);
      in_.parsed = r.end;
      if (r.status == ParseStatus::error) {
        capture_bad_request(r.end);
        if (is_h2_preface(in_)) {
          // An HTTP/2 client on an HTTP/1 listener: HAProxy closes without an answer.
          term_ = {'P', 'R'};
          finish_close();
          return;
        }
        x().reply_error(x().req_.error_status(), {'P', 'R'});   // 400, or 422 (transfer codings)
        return;
      }
      if (!x().req_.head_done()) {
        if (in_.end >= w_.bufsize()) {
          capture_bad_request(in_.end);
          x().reply_error(400, {'P', 'R'});
        }
        return;
      }
      x().req_complete_ = r.status != ParseStatus::more;
      x().req_upgrade_ = r.status == ParseStatus::upgrade;
      req_end_ = r.end;
      x().start_request();
      return;
    }
    case Phase::body_wait:
      parse_request_body();
      if (closed_) return;
      if (x().req_complete_ || in_.end >= w_.bufsize()) {
        w_.timers().disarm(ctimer_);
        x().process_request();   // the rules resume where wait-for-body stopped them
      }
      return;
    case Phase::tarpit:
    case Phase::stats:
    case Phase::queued:
    case Phase::retry_wait:
    case Phase::connecting:
      parse_request_body();
      if (in_.end >= w_.bufsize()) stop_reading();
      return;
    case Phase::request:
      x().forward_request_body();
      return;
    case Phase::response:
      // Pipelined bytes wait for the current response; stop when the buffer is full.
      if (in_.end >= w_.bufsize()) stop_reading();
      return;
    case Phase::tunnel:
      x().relay_to_server();
      return;
    case Phase::closing:
      in_.fwd = in_.parsed = in_.end = 0;   // drained and dropped
      release(in_);
      return;
  }
}

bool Session::is_h2_preface(const ReadBuffer& b) {
  static constexpr std::string_view preface = "PRI * HTTP/2.0\r\n";
  return b.end - b.fwd >= preface.size() && std::string_view(b.data + b.fwd, preface.size()) == preface;
}

void Session::parse_request_body() {
  if (x().req_complete_ || closed_) return;
  auto r = x().req_.feed(in_.parsed, in_.end);
  in_.parsed = r.end;
  if (r.status == ParseStatus::error) {
    if (!x().resp_started_)
      x().reply_error(400, {'P', 'D'});
    else
      x().abort_both({'P', 'D'});
    return;
  }
  if (r.status != ParseStatus::more) {
    x().req_complete_ = true;
    req_end_ = r.end;
  }
}

// ---------------------------------------------------------------------------------------------
// Routing and connecting

void Exchange::start_request() {
  w_.timers().disarm(c_.ctimer_);
  const http::Head& h = req_.head();
  req_head_method_ = h.method_id == http::Method::head;
  req_post_ = h.method_id == http::Method::post;
  req_cacheable_method_ = h.method_id == http::Method::get || h.method_id == http::Method::head || h.method_id == http::Method::options ||
                          h.method_id == http::Method::trace;
  req_http10_ = h.is_http10();
  const auto& cfg = w_.config();
  c_.keep_client_ = h.keep_alive && conn_mode() != config::HttpConnMode::close && !c_.stop_after_ &&
                 !w_.stopping();
  resp_begun_ = resp_head_sent_ = resp_started_ = resp_complete_ = resp_upgrade_ = false;
  resp_eof_body_ = false;
  counted_srv_ = -1;
  replay_ = false;
  // mode http: the frontend's `tcp-request content` rules see the request head first. A reject
  // closes the connection without an answer; HAProxy logs it as <BADREQ>, PR--, counts it in
  // dreq and hrsp_other, not in req_tot.
  if (!cfg.proxies[fe_].tcp_request_rules.empty() && run_tcp_rules(fe_, true) == Tri::no) {
    stats::Counters& fc = w_.px_counters(fe_);
    fc.add(fc.denied_req);
    fc.add(fc.http_other);
    return;
  }
  count_request();
  c_.term_ = {};
  redispatched_ = false;
  if (w_.runtime().debug) {
    if (!c_.first_request_) c_.stream_id_ = w_.runtime().next_stream_id.fetch_add(1);
    trace::head(c_.stream_id_, cfg.proxies[fe_].name, true, c_.cli()->fd(), -1, h, c_.in_.data);
  }

  log_request_line();
  be_ = -1;
  rule_stage_ = 0;
  buffering_ = false;
  rule_pos_ = 0;
  direct_ = false;
  server_by_rule_ = false;
  persist_server_ = -1;
  process_request();
}

// After the rules and the choice of a backend: pick a server and go.
void Exchange::dispatch_request() {
  c_.keep_client_ = c_.keep_client_ && conn_mode() != config::HttpConnMode::close;
  const auto& be = w_.config().proxies[be_];
  retries_left_ = static_cast<uint8_t>(be.retries > 255 ? 255 : be.retries);
  retries_done_ = 0;
  dispatch(-1);
}

config::HttpConnMode Exchange::conn_mode() const {
  // The most restrictive of the frontend's and the backend's modes applies.
  const auto& p = w_.config().proxies;
  auto m = p[fe_].conn_mode;
  if (be_ >= 0 && static_cast<int>(p[be_].conn_mode) > static_cast<int>(m)) m = p[be_].conn_mode;
  return m;
}

void Exchange::on_server_connected(int status) {
  w_.timers().disarm(srv_->timer);
  if (srv_->tls && (status == 0 || status == core::Transport::kHandshakeFailed)) {
    stats::Counters &sc = w_.srv_counters(be_, srv_idx_), &bc = w_.be_counters(be_);
    auto stats::Counters::*m = status != 0 ? &stats::Counters::ssl_failed_handshake
                               : SSL_session_reused(srv_->tls->ssl()) ? &stats::Counters::ssl_reused_sess
                                                                      : &stats::Counters::ssl_sess;
    sc.add(sc.*m), bc.add(bc.*m);
  }
  if (status < 0) {
    fail_connect();
    return;
  }
  srv_->connected = true;
  t_connected_ = uv_now(w_.loop());
  if (srv_->tls) w_.runtime().tls->keep_server_session(srv_->tls->ssl(), be_, srv_idx_);
  if (w_.config().proxies[be_].server_tcpka) set_keepalive(srv_->io->fd());
  if (tcp_mode()) start_tcp_relay();
  else send_request_head();
}

void Exchange::on_server_timeout() {
  switch (c_.phase_) {
    case Phase::connecting:
      fail_connect();
      return;
    case Phase::request:
    case Phase::response:
      if (!resp_started_) {
        w_.runtime().observed(be_, srv_idx_, check::Observed::read_timeout);
        if (retry_layer7(config::Proxy::retry_response_timeout, 0)) return;
        close_server();
        reply_error(504, {'s', 'H'});
      } else {
        abort_both({'s', 'D'});
      }
      return;
    case Phase::tunnel:
      if (split_timeouts()) server_side_timeout();
      else abort_both({'s', 'D'});
      return;
    default:
      close_server();
      return;
  }
}

}  // namespace portero::proxy
