// The counters of one finished exchange: what HAProxy's `show stat` reports per frontend,
// backend and server. Each worker writes only its own blocks (relaxed atomics, no lock); the
// main thread sums them when it renders. Session method; worker-local.

#include "portero/proxy/worker.h"
#include "session.h"

namespace portero::proxy {

namespace {

using stats::Counters;

int64_t span(uint64_t from, uint64_t to) { return from && to >= from ? static_cast<int64_t>(to - from) : -1; }

void add_times(Counters& c, int64_t tq, int64_t tc, int64_t tr, int64_t tt, uint64_t us) {
  c.add(c.t_samples);
  if (tq > 0) c.add(c.t_queue_sum, uint64_t(tq)), c.max(c.t_queue_max, uint64_t(tq));
  if (tc > 0) c.add(c.t_connect_sum, uint64_t(tc)), c.max(c.t_connect_max, uint64_t(tc));
  if (tr > 0) c.add(c.t_response_sum, uint64_t(tr)), c.max(c.t_response_max, uint64_t(tr));
  if (tt > 0) c.add(c.t_total_sum, uint64_t(tt)), c.max(c.t_total_max, uint64_t(tt));
  c.add(c.latency[stats::latency_bucket(us)]);
}

}  // namespace

// The exchange went to a backend (a `listen` answering by itself has none).
bool Exchange::backend_counted() const {
  return be_ >= 0 && (be_ != fe_ || w_.config().proxies[be_].is_backend());
}

// A request head was received: req_tot and CumReq count it now, as HAProxy, so a client that has
// its answer already sees it counted.
void Exchange::count_request() {
  Counters& fe = w_.px_counters(fe_);
  fe.add(fe.requests);
  w_.runtime().cum_reqs.fetch_add(1, std::memory_order_relaxed);
}

// The status of the answer, counted when its head is sent (a server's, or the proxy's own):
// the frontend always, the backend when one was chosen, the server when it answered.
void Exchange::count_status(bool from_server) {
  if (status_counted_ || !status_ || tcp_mode()) return;
  status_counted_ = true;
  w_.px_counters(fe_).status(status_);
  if (!backend_counted()) return;
  w_.be_counters(be_).status(status_);
  if (from_server && srv_idx_ >= 0) w_.srv_counters(be_, srv_idx_).status(status_);
}

void Exchange::count_exchange() {
  stick_exchange_end();
  const bool http = !tcp_mode();
  const uint64_t now = uv_now(w_.loop());
  const uint64_t us = (uv_hrtime() - t_req_ns_) / 1000;
  const char cause = c_.term_.cause, state = c_.term_.state;
  const bool got_response = t_resp_ != 0;   // a response head came from a server

  Counters& fe = w_.px_counters(fe_);
  fe.add(fe.bytes_in, bytes_in_);
  fe.add(fe.bytes_out, bytes_out_);
  if (denied_by_ >= 0) {
    Counters& d = denied_by_ == fe_ || be_ < 0 ? fe : w_.be_counters(denied_by_);
    d.add(d.denied_req);
  }
  if (intercepted_) fe.add(fe.intercepted);
  // Request errors: bad or timed-out requests, clients leaving before their request was whole,
  // tarpitted requests (HAProxy's ereq).
  if ((state == 'R' && (cause == 'C' || cause == 'c' || (cause == 'P' && (status_ == 400 || status_ == 408)))) ||
      state == 'T')
    fe.add(fe.errors_req);
  if (http && t_head_) add_times(fe, -1, -1, -1, -1, us);

  if (!backend_counted()) return;
  const int64_t tq = t_queue_ ? span(t_queue_, t_dequeue_ ? t_dequeue_ : now) : 0;
  const int64_t tc = span(t_connect_, t_connected_);
  const int64_t tr = span(t_connected_, t_resp_);
  const int64_t tt = span(t_req_, now);
  const bool to_server = srv_idx_ >= 0 && t_connect_ != 0;
  Counters* sides[2] = {&w_.be_counters(be_), to_server ? &w_.srv_counters(be_, srv_idx_) : nullptr};
  for (Counters* c : sides) {
    if (!c) continue;
    c->add(c->bytes_in, bytes_in_);
    c->add(c->bytes_out, bytes_out_);
    if (state == 'C') c->add(c->errors_conn);
    if ((state == 'H' && (cause == 'S' || cause == 's' || cause == 'P')) || (state == 'D' && cause == 'S'))
      c->add(c->errors_resp);
    if (state == 'D' && cause == 'S') c->add(c->server_aborts);
    if ((state == 'D' || state == 'H') && cause == 'C') c->add(c->client_aborts);
    if (retries_done_) c->add(c->retries, retries_done_ - (redispatched_ ? 1 : 0));
    if (redispatched_) c->add(c->redispatches);
    if (to_server || got_response) add_times(*c, tq, tc, tr, tt, us);
  }
}

}  // namespace portero::proxy
