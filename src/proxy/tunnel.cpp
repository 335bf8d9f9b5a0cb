// Tunnels: after 101 Switching Protocols and in mode tcp, bytes relayed both ways with each
// side's timeouts. Worker-local.
#include "portero/proxy/worker.h"
#include "session.h"

namespace portero::proxy {

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
  c_.in_.compact();
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
  c->in.compact();
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

std::optional<uint64_t> Exchange::server_timeout() const {
  if (srv_timeout_) return srv_timeout_;
  return w_.config().proxies[be_].timeouts.server;
}

std::optional<uint64_t> Exchange::tunnel_timeout() const {
  if (tunnel_timeout_) return tunnel_timeout_;
  const auto& be = w_.config().proxies[be_];
  const auto& fe = w_.config().proxies[fe_];
  if (be.timeouts.tunnel) return be.timeouts.tunnel;
  if (fe.timeouts.tunnel) return fe.timeouts.tunnel;
  // mode tcp without `timeout tunnel`: an idle connection ends at the first of the client and
  // server inactivity timeouts.
  const auto server = server_timeout();
  if (tcp_mode() && server && (!fe.timeouts.client || *server < *fe.timeouts.client)) return server;
  return fe.timeouts.client;
}

}  // namespace portero::proxy
