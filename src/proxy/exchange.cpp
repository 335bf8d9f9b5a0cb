// An exchange's lifetime. Its work lives in the files of each concern: http_rules.cpp (rules),
// dispatch.cpp (server choice, queues, retries), forward.cpp (to and from the server),
// relay.cpp (tunnels, local answers), cookies.cpp, counting.cpp, traffic_log.cpp,
// stats_page.cpp, tcp_mode.cpp. Worker-local.
#include "exchange.h"

#include "portero/proxy/worker.h"
#include "session.h"
#include "trace.h"

namespace portero::proxy {

// Whatever path ended the exchange, what it took from the worker's pools goes back (each
// release is a no-op when the normal path already did it).
Exchange::~Exchange() {
  for (auto& sc : sc_)
    if (sc) stick::stop_tracking(sc, stick::now_ms());   // the clock only when something is tracked
  release_rewrites();
  if (vars_) w_.free_vars(vars_);
  release_log_block();
  release_local();
  if (stats_ticket_) w_.stats_forget(stats_ticket_);
}

void Exchange::abort_both(Termination t) {
  c_.term_ = t;
  close_server();
  c_.finish_close();
}

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
                 !w_.closes_on_soft_stop();
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
  stick_request_start();
  c_.term_ = {};
  redispatched_ = false;
  if (w_.runtime().debug) {
    if (!c_.first_request_) c_.stream_id_ = w_.runtime().next_stream_id.fetch_add(1);
    trace::head(c_.stream_id_, cfg.proxies[fe_].name, true, c_.cli()->fd(), -1, h, c_.in_.data);
  }

  log_request_line();
  be_ = -1;
  stage_ = Stage::monitor;
  buffering_ = false;
  rule_pos_ = 0;
  direct_ = false;
  stick_stored_ = false;
  stick_pending_.clear();
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

void Exchange::end_exchange() {
  w_.timers().disarm(c_.ctimer_);
  release_rewrites();
  bool reusable = srv_ && keep_server_ && req_complete_ && srv_->in.fwd == srv_->in.end;
  if (w_.runtime().debug) trace_end(!c_.keep_client_ || c_.stop_after_, srv_ && !reusable);
  if (srv_) detach_server(reusable);
  release_slot();
  log_exchange();   // after the release, as HAProxy counts connections in its log line
  restore_addresses();   // set-src/dst lasted for this request only
  if (vars_) {   // txn variables live as long as the transaction (the log line shows them)
    w_.free_vars(vars_);
    vars_ = nullptr;
  }
  c_.first_request_ = false;
  // An HTTP/2 stream carries one exchange: closing it ends the stream, not the connection.
  if (!c_.keep_client_ || c_.client_eof_ || c_.stop_after_ || c_.stream_) {
    c_.close_client();
    return;
  }
  c_.begin_next_request();
}

void Exchange::trace_end(bool client_closes, bool server_closes) {
  const int cfd = c_.cli()->fd(), sfd = srv_ ? srv_->io->fd() : -1;
  std::string_view name = w_.config().proxies[be_ >= 0 ? be_ : fe_].name;
  if (client_closes) trace::event(c_.stream_id_, name, "clicls", cfd, sfd);
  if (server_closes) trace::event(c_.stream_id_, name, "srvcls", cfd, sfd);
  trace::event(c_.stream_id_, name, "closed", cfd, sfd);
}

}  // namespace portero::proxy
