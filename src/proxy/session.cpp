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
#include "h2_conn.h"
#include "h2_stream.h"

namespace portero::proxy {

using http::ParseStatus;

// ---------------------------------------------------------------------------------------------
// Client connection: setup and teardown

Session::Session(Worker& w, int proxy_index) : w_(w), fe_(proxy_index) {
  ctimer_.on_expire = on_client_timer;
  ctimer_.owner = this;
}


void Session::open(int fd, const sockaddr_storage& peer, int listener_fd, const BindContext& bind) {
  Entry in(*this);
  facts_.bind = static_cast<uint16_t>(bind.bind);
  proto_ = bind.proto;
  bind_tls_ = bind.tls;
  tcp_.set_owner(this, &kClientEvents);
  if (tcp_.open(w_.loop(), fd) != 0) {
    tcp_.close();
    return;
  }
  std::memcpy(&facts_.peer, &peer, peer.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
  if (peer.ss_family == AF_INET || peer.ss_family == AF_INET6) {
    tcp_.set_nodelay();
    if (w_.config().proxies[fe_].client_tcpka) tcp_.set_keepalive();
    sockaddr_storage local;
    if (tcp_.local_address(local) == 0)
      std::memcpy(&facts_.local, &local, local.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
  }
  phase_ = Phase::idle;
  facts_.t_accept = uv_now(w_.loop());
  if (x().logging()) facts_.accept_real_ms = realtime_ms();
  if (w_.runtime().debug) {
    stream_id_ = w_.runtime().next_stream_id.fetch_add(1);
    trace::accept(stream_id_, w_.config().proxies[fe_].name, listener_fd, fd, &facts_.peer.sa);
  }
  bool expect_proxy = w_.config().proxies[fe_].binds[facts_.bind].accept_proxy;
  if (!x().connection_rules_accept(expect_proxy)) {
    // Refused at once: no session, no log line; counted in the frontend's dcon, as HAProxy.
    w_.px_counters(fe_).add(w_.px_counters(fe_).denied_conn);
    term_ = {'P', 'R'};
    finish_close();
    return;
  }
  if (expect_proxy) {
    // HAProxy gives the header `timeout client`.
    phase_ = Phase::proxy_header;
    arm_client_timer(w_.config().proxies[fe_].timeouts.client);
    start_reading();
    return;
  }
  establish();
}

void Session::establish() {
  phase_ = Phase::idle;
  if (!x().session_rules_accept()) {
    w_.px_counters(fe_).add(w_.px_counters(fe_).denied_conn);
    term_ = {'P', 'R'};
    finish_close();
    return;
  }
  // A connection a rule refuses, or whose PROXY header fails, is no session (HAProxy's stot).
  w_.px_counters(fe_).add(w_.px_counters(fe_).sessions);
  if (bind_tls_) {
    tls_ = w_.new_tls();
    io_ = tls_;
    w_.px_counters(fe_).add(w_.px_counters(fe_).ssl_conns);
    tls_->set_owner(this, &kClientEvents);
    if (!tls_->accept(tcp_, bind_tls_)) {   // out of memory in OpenSSL: nothing to say to the client
      finish_close();
      return;
    }
  }
  count_new_session();
  start_reading();
  if (x().tcp_mode()) {
    x().log_request_start();
    x().start_tcp();
    return;
  }
  // `proto h2` in clear: HTTP/2 from the first byte (over TLS: once the handshake is done).
  if (proto_ == config::MuxProto::h2 && !tls_) {
    become_h2();
    return;
  }
  arm_client_timer(w_.config().proxies[fe_].http_request_timeout());
}

const core::TransportEvents Session::kClientEvents = {on_alloc,           on_read,     on_write_done,
                                                      on_client_handshake, on_shutdown, on_closed};

void Session::on_client_handshake(void* self, int) {
  auto* s = static_cast<Session*>(self);
  Entry in(*s);
  s->facts_.t_handshake = uv_now(s->w_.loop());
  stats::Counters& c = s->w_.px_counters(s->fe_);
  c.add(SSL_session_reused(s->tls_->ssl()) ? c.ssl_reused_sess : c.ssl_sess);
  // ALPN chose HTTP/2: the client speaks it from its first byte.
  const unsigned char* proto = nullptr;
  unsigned len = 0;
  SSL_get0_alpn_selected(s->tls_->ssl(), &proto, &len);
  const bool h2 = s->proto_ == config::MuxProto::h2 ||
                  (s->proto_ != config::MuxProto::h1 && len == 2 && proto[0] == 'h' && proto[1] == '2');
  if (h2 && s->phase_ == Phase::idle && !s->closed_) s->become_h2();
}

void Session::on_closed(void* self) {
  auto* s = static_cast<Session*>(self);
  if (s->h2_) return s->h2_->transport_closed();   // it calls closed_now() after its last stream
  s->closed_now();
}

void Session::closed_now() {
  if (tls_) w_.px_counters(fe_).add(w_.px_counters(fe_).ssl_closed);
  if (tls_) w_.free_tls(tls_);
  tls_ = nullptr;
  w_.session_closed(this);
}

void Session::open_stream(H2Stream& stream, const Session& conn, bool first) {
  Entry in(*this);
  stream_ = true;
  io_ = &stream;
  stream.set_owner(this, &kClientEvents);
  facts_ = conn.facts_;
  // The connection's first stream is its first request (timed from the accept, %Th included,
  // and under `http-reuse safe` sent on a connection of its own); the others are later
  // requests of the same client, as on a keep-alive HTTP/1 connection.
  first_request_ = first;
  if (!first) {
    facts_.t_accept = uv_now(w_.loop());
    facts_.t_handshake = 0;
  }
  stream_id_ = conn.stream_id_;
  if (w_.runtime().debug) stream_id_ = w_.runtime().next_stream_id.fetch_add(1);
  phase_ = Phase::idle;
  if (!first && x().logging()) facts_.accept_real_ms = realtime_ms();
  start_reading();
}

void Session::become_h2() {
  w_.timers().disarm(ctimer_);
  h2_ = w_.new_h2conn(*this);
  h2_->start();
}

void Session::finish_close() {
  if (closed_) return;
  closed_ = true;
  w_.timers().disarm(ctimer_);
  x().release_rewrites();
  if (x_) w_.dequeue(x_);
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
  release_tracking();
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
  if (h2_) return h2_->hard_close();
  finish_close();
}

void Session::soft_stop() {
  Entry in(*this);
  if (h2_) return h2_->soft_stop();
  // The exchange in progress closes the connection after it (at once, or by the chance
  // `close-spread-time` gives it; never with `infinite`).
  stop_after_ = w_.closes_on_soft_stop();
  // An idle keep-alive connection is closed now, or at a random point of the spread window;
  // a new one still gets its first request served.
  if (phase_ == Phase::idle && !first_request_ && !stream_ && in_.end == 0 && client_write_ == ClientWrite::none)
    close_idle_within(w_.idle_close_delay());
}

void Session::close_idle_within(uint64_t delay_ms) {
  if (delay_ms == 0) return finish_close();
  if (delay_ms == UINT64_MAX) return;   // `infinite`: its keep-alive timeout ends it
  const auto keep_alive = w_.config().proxies[fe_].keep_alive_timeout();
  if (!keep_alive || *keep_alive > delay_ms) arm_client_timer(delay_ms);
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

void Session::on_shutdown(void* self, int status) {
  auto* s = static_cast<Session*>(self);
  Entry in(*s);
  if (s->h2_) return s->h2_->on_shut(status);
  s->client_shutting_ = false;
  if (s->client_eof_) s->finish_close();
}



// ---------------------------------------------------------------------------------------------
// Reading from the client









bool Session::is_h2_preface(const ReadBuffer& b, bool whole) {
  static constexpr std::string_view preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  const std::string_view got(b.data + b.fwd, b.end - b.fwd);
  if (got.size() >= preface.size()) return got.substr(0, preface.size()) == preface;
  return !whole && preface.substr(0, got.size()) == got;
}


// ---------------------------------------------------------------------------------------------
// Routing and connecting

void Session::close_private() {
  ServerConn* c = private_;
  private_ = nullptr;
  if (!c) return;
  c->keeper = nullptr;
  c->close();
}

void Session::capture_bad_request(uint32_t error_at) {
  stats::CapturedError e;
  e.when_ms = realtime_ms();
  e.proxy = fe_;
  char host[64] = "";
  uint16_t port = 0;
  if (facts_.peer.sa.sa_family == AF_INET) {
    inet_ntop(AF_INET, &facts_.peer.v4.sin_addr, host, sizeof(host));
    port = ntohs(facts_.peer.v4.sin_port);
  } else if (facts_.peer.sa.sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &facts_.peer.v6.sin6_addr, host, sizeof(host));
    port = ntohs(facts_.peer.v6.sin6_port);
  }
  e.source = std::string(host) + ":" + std::to_string(port);
  e.error_pos = int(error_at >= in_.fwd ? error_at - in_.fwd : 0);
  e.bytes.assign(in_.data + in_.fwd, in_.end - in_.fwd);
  w_.runtime().capture_error(std::move(e));
}

stats::SessionInfo Session::info(uint64_t now_ms) const {
  stats::SessionInfo i;
  i.id = reinterpret_cast<uintptr_t>(this);
  char host[64] = "";
  uint16_t port = 0;
  if (facts_.peer.sa.sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &facts_.peer.v6.sin6_addr, host, sizeof(host));
    port = ntohs(facts_.peer.v6.sin6_port);
    i.proto = "tcpv6";
  } else {
    inet_ntop(AF_INET, &facts_.peer.v4.sin_addr, host, sizeof(host));
    port = ntohs(facts_.peer.v4.sin_port);
    i.proto = "tcpv4";
  }
  i.source = std::string(host) + ":" + std::to_string(port);
  i.frontend = fe_;
  i.backend = x_ ? x_->be_ : -1;
  i.server = x_ ? x_->srv_idx_ : -1;
  i.age_s = now_ms >= facts_.t_accept ? (now_ms - facts_.t_accept) / 1000 : 0;
  return i;
}

}  // namespace portero::proxy
