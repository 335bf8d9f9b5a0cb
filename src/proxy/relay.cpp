// Tunnels (after 101 and in mode tcp), local answers and error pages, writes with
// backpressure, and the client-side timer. Worker-local.
#include <cstring>

#include "portero/http/error_pages.h"
#include "portero/http/head_writer.h"
#include "portero/proxy/worker.h"
#include "session.h"

namespace portero::proxy {

// ---------------------------------------------------------------------------------------------
// Tunnel

void Exchange::start_tunnel() {
  c_.phase_ = Phase::tunnel;
  c_.arm_client_timer(tunnel_timeout());
  w_.timers().disarm(srv_->timer);
  c_.in_.fwd = c_.req_end_;
  c_.in_.parsed = c_.in_.end;
  srv_->in.parsed = srv_->in.end;
  srv_->start_reading();
  c_.start_reading();
  relay_to_server();
  relay_to_client();
}

void Exchange::relay_to_server() {
  if (!srv_ || server_write_ != ServerWrite::none || c_.closed_) return;
  c_.in_.parsed = c_.in_.end;
  if (c_.in_.end > c_.in_.fwd) {
    c_.pending_server_fwd_ = c_.in_.end;
    uv_buf_t buf = uv_buf_init(c_.in_.data + c_.in_.fwd, c_.in_.end - c_.in_.fwd);
    if (!write_server(&buf, 1, ServerWrite::tunnel)) {
      c_.stop_reading();
      return;
    }
    c_.in_.fwd = c_.in_.end;
  }
  c_.compact(c_.in_);
  c_.release(c_.in_);
  if (c_.client_eof_ && !server_shut_) {
    // Everything the client sent is through: pass its half-close on to the server.
    server_shut_ = true;
    srv_->io->shutdown();
    if (split_timeouts())
      if (auto t = side_timeout(false)) w_.timers().arm(srv_->timer, *t);
  }
  c_.arm_client_timer(split_timeouts() ? side_timeout(true) : tunnel_timeout());
}

// mode tcp, each side's inactivity timeout: `timeout client|server`, or once a direction is shut
// (either side half-closed), `timeout client-fin|server-fin` when set, as HAProxy.
std::optional<uint64_t> Exchange::side_timeout(bool client) const {
  const auto& t = w_.config().proxies[client ? fe_ : be_].timeouts;
  const bool half_closed = c_.client_eof_ || client_shut_ || server_shut_;
  if (client) return half_closed && t.client_fin ? t.client_fin : t.client;
  return half_closed && t.server_fin ? t.server_fin : t.server;
}

void Exchange::relay_to_client() {
  ServerConn* c = srv_;
  if (!c || c_.client_write_ != ClientWrite::none || c_.closed_) return;
  c->in.parsed = c->in.end;
  if (c->in.end > c->in.fwd) {
    c_.pending_client_fwd_ = c->in.end;
    uv_buf_t buf = uv_buf_init(c->in.data + c->in.fwd, c->in.end - c->in.fwd);
    if (!c_.write_client(&buf, 1, ClientWrite::tunnel)) {
      c->stop_reading();
      return;
    }
    c->in.fwd = c->in.end;
  }
  c_.compact(c->in);
  c->release_buffer();
  if (!split_timeouts()) {
    c_.arm_client_timer(tunnel_timeout());
  } else if (auto t = side_timeout(false)) {
    w_.timers().arm(c->timer, *t);
  }
}

// mode tcp without `timeout tunnel`: each side has its own inactivity timeout, as in HAProxy
// (client: the client timer; server: the server connection's timer).
bool Exchange::split_timeouts() const {
  const auto& p = w_.config().proxies;
  return tcp_mode() && !p[be_].timeouts.tunnel && !p[fe_].timeouts.tunnel;
}

// `timeout server` expired in a tcp relay: HAProxy closes the server-to-client direction (FIN
// to the client) but keeps forwarding what the client sends; all ends when the client closes.
void Exchange::server_side_timeout() {
  if (c_.client_write_ != ClientWrite::none) {
    abort_both({'s', 'D'});
    return;
  }
  client_shut_ = true;
  srv_->stop_reading();
  if (!c_.shutdown_client()) abort_both({'s', 'D'});
}

std::optional<uint64_t> Exchange::tunnel_timeout() const {
  const auto& be = w_.config().proxies[be_];
  const auto& fe = w_.config().proxies[fe_];
  if (be.timeouts.tunnel) return be.timeouts.tunnel;
  if (fe.timeouts.tunnel) return fe.timeouts.tunnel;
  // mode tcp without `timeout tunnel`: an idle connection ends at the first of the client and
  // server inactivity timeouts.
  if (tcp_mode() && be.timeouts.server && (!fe.timeouts.client || *be.timeouts.server < *fe.timeouts.client))
    return be.timeouts.server;
  return fe.timeouts.client;
}

// ---------------------------------------------------------------------------------------------
// Local answers and writing

void Exchange::reply_error(int status, Termination t, bool from_rule) {
  c_.term_ = t;
  close_server();
  if (resp_started_ || tcp_mode()) {
    c_.finish_close();
    return;
  }
  // HAProxy's two forms: a request it could not parse or that timed out gets the
  // connection-level page and a close; anything else the stream-level page, and the client
  // connection stays open when the request was read whole and the client wants keep-alive.
  // 422 is the parser's answer to transfer codings other than chunked (the same form).
  bool connection_level = !from_rule && (status == 400 || status == 408 || status == 422);
  bool closing = connection_level || status == 400 || status == 408 || !c_.keep_client_ || !req_complete_;
  // The backend's errorfile/errorloc for that status, else the frontend's (HAProxy's order).
  int owner = be_ >= 0 ? be_ : fe_;
  std::string_view page;
  if (!connection_level) page = w_.runtime().errorfile(owner, status);
  if (!connection_level && page.empty() && owner != fe_) page = w_.runtime().errorfile(fe_, status);
  if (!page.empty()) {
    // Without a length the page ends only with the connection.
    size_t head_end = page.find("\r\n\r\n");
    if (page.substr(0, head_end).find("\ncontent-length:") == std::string_view::npos) closing = true;
  }
  if (!page.empty() && closing) {
    // An errorfile's own Connection header was dropped at load; say we close, as HAProxy does.
    size_t head_end = page.find("\r\n\r\n");
    if (head_end != std::string_view::npos && page.size() + 19 <= w_.bufsize()) {
      char* b = w_.buffers().get();
      http::HeadWriter hw(b, w_.bufsize());
      hw.put(page.substr(0, head_end + 2));
      hw.put("connection: close\r\n");
      hw.put(page.substr(head_end + 2));
      if (out_) w_.buffers().put(out_);
      out_ = b;
      page = std::string_view(out_, hw.size());
    }
  }
  if (page.empty())
    page = http::error_response(status, nullptr,
                                connection_level ? http::ErrorLevel::connection : http::ErrorLevel::stream,
                                closing);
  if (closing) c_.keep_client_ = false;
  else c_.in_.fwd = c_.req_end_;
  reply_local(page.data(), page.size(), closing);
}

void Exchange::reply_local(const char* data, size_t len, bool close_after) {
  // The status of a local answer, for the log ("HTTP/1.1 NNN ...").
  if (len > 12 && data[8] == ' ') status_ = static_cast<uint16_t>((data[9] - '0') * 100 + (data[10] - '0') * 10 + (data[11] - '0'));
  count_status(false);
  if (req_head_method_ && !tcp_mode()) {
    // An answer to HEAD is its head only (HAProxy keeps the connection for the next request).
    std::string_view v(data, len);
    size_t end = v.find("\r\n\r\n");
    if (end != std::string_view::npos) len = end + 4;
  }
  w_.timers().disarm(c_.ctimer_);
  resp_started_ = true;
  if (close_after) c_.keep_client_ = false;
  uv_buf_t buf = uv_buf_init(const_cast<char*>(data), static_cast<unsigned>(len));
  local_ = data;
  if (c_.write_client(&buf, 1, ClientWrite::local)) {
    release_local();
    end_exchange();
  }
}

void Exchange::release_local() {
  local_ = nullptr;
  if (out_) {
    w_.buffers().put(out_);
    out_ = nullptr;
  }
  delete page_;
  page_ = nullptr;
}

// Both writers hand the bytes to their side's transport, which takes them all now or later
// (`written`); they differ only in what a slow or failed side means for the other one.
bool Session::write_client(uv_buf_t* bufs, int n, ClientWrite kind) {
  for (int i = 0; i < n; ++i) bytes_out_ += bufs[i].len;
  const int r = cli()->write(bufs, n);
  if (r == core::Transport::kDone) return true;
  if (r < 0) {
    x().abort_both({'C', 'D'});
    return false;
  }
  client_write_ = kind;
  // The client is slow: stop taking bytes from the server until it catches up.
  if (x().srv_) x().srv_->stop_reading();
  arm_client_timer(w_.config().proxies[fe_].timeouts.client);
  return false;
}

bool Exchange::write_server(uv_buf_t* bufs, int n, ServerWrite kind) {
  const int r = srv_->io->write(bufs, n);
  if (r == core::Transport::kDone) return true;
  if (r < 0) {
    if (!resp_started_) {
      close_server();
      reply_error(502, {'S', 'D'});
    } else {
      abort_both({'S', 'D'});
    }
    return false;
  }
  server_write_ = kind;
  c_.stop_reading();   // the server is slow: stop taking bytes from the client
  return false;
}

void Session::on_write_done(void* self, int status) {
  auto* s = static_cast<Session*>(self);
  Entry in(*s);
  ClientWrite kind = s->client_write_;
  s->client_write_ = ClientWrite::none;
  if (s->closed_) return;
  if (status < 0) {
    s->x().abort_both({'C', 'D'});
    return;
  }
  s->w_.timers().disarm(s->ctimer_);
  if (s->close_pending_) {
    s->close_pending_ = false;
    if (kind == ClientWrite::tunnel && s->x().srv_) s->x().srv_->in.fwd = s->pending_client_fwd_;
    s->close_client();
    return;
  }
  switch (kind) {
    case ClientWrite::local:
      s->x().release_local();
      s->x().end_exchange();
      return;
    case ClientWrite::interim:
      if (s->x().out_) {
        s->w_.buffers().put(s->x().out_);
        s->x().out_ = nullptr;
      }
      if (s->x().srv_) {
        s->x().srv_->in.fwd = s->pending_client_fwd_;
        s->x().srv_->start_reading();
      }
      s->x().handle_response_input();
      return;
    case ClientWrite::response:
      s->x().response_written();
      if (!s->closed_ && s->phase_ != Phase::idle && s->x().srv_ && !s->x().resp_complete_) s->x().forward_response_body();
      return;
    case ClientWrite::tunnel:
      if (s->x().srv_) {
        s->x().srv_->in.fwd = s->pending_client_fwd_;
        s->x().srv_->start_reading();
        s->x().relay_to_client();
      }
      return;
    case ClientWrite::none:
      return;
  }
}

void Session::arm_client_timer(std::optional<uint64_t> ms) {
  if (ms && *ms > 0)
    w_.timers().arm(ctimer_, *ms);
  else
    w_.timers().disarm(ctimer_);
}

void Session::on_client_timer(core::TimerNode* n) {
  auto* s = static_cast<Session*>(n->owner);
  Entry in(*s);
  switch (s->phase_) {
    case Phase::idle:
      // A TLS handshake still in progress: no stream yet, the connection's own log line.
      if (s->tls_ && !s->tls_->handshake_done()) return s->x().handshake_failed(log::HandshakeEnd::timeout);
      // A new connection that sent nothing within `timeout http-request` gets a 408 (HAProxy
      // does so too); an idle keep-alive connection is just closed.
      if (s->first_request_) s->x().reply_error(408, {'c', 'R'});
      else s->finish_close();
      return;
    case Phase::closing:
      s->finish_close();
      return;
    case Phase::inspect:
      s->x().inspect_tcp(true);
      return;
    case Phase::body_wait:
      if (s->x().buffering_) {
        // option http-buffer-request: the body did not come in time (HAProxy: 408, cR, no TR).
        s->x().buffering_ = false;
        s->x().t_head_ = 0;
        s->x().reply_error(408, {'c', 'R'}, true);   // the stream-level page
        return;
      }
      s->x().process_request();   // waited long enough: the rules go on with what arrived
      return;
    case Phase::tarpit:
      s->x().reply_error(s->x().tarpit_status_, s->term_);
      return;
    case Phase::queued:
      s->w_.dequeue(s);
      s->x().reply_error(503, {'s', 'Q'});
      return;
    case Phase::retry_wait:
      s->x().connect_server(s->x().retry_target_);
      return;
    case Phase::head:
      s->x().reply_error(408, {'c', 'R'});
      return;
    case Phase::request:
      if (!s->x().resp_started_) {
        s->x().close_server();
        s->x().reply_error(408, {'c', 'D'});
      } else {
        s->x().abort_both({'c', 'D'});
      }
      return;
    default:
      s->x().abort_both({'c', 'D'});
      return;
  }
}

}  // namespace portero::proxy
