// CounterSet: one block of counters per worker and object; readers sum them.
#include "portero/stats/counters.h"

#include <algorithm>

namespace portero::stats {

void Totals::add(const Counters& c) {
  auto v = [](const Counters::C& a) { return a.load(std::memory_order_relaxed); };
  sessions += v(c.sessions);
  denied_conn += v(c.denied_conn);
  embryonic += v(c.embryonic);
  requests += v(c.requests);
  bytes_in += v(c.bytes_in);
  bytes_out += v(c.bytes_out);
  denied_req += v(c.denied_req);
  denied_resp += v(c.denied_resp);
  errors_req += v(c.errors_req);
  errors_conn += v(c.errors_conn);
  errors_resp += v(c.errors_resp);
  retries += v(c.retries);
  redispatches += v(c.redispatches);
  http_1xx += v(c.http_1xx);
  http_2xx += v(c.http_2xx);
  http_3xx += v(c.http_3xx);
  http_4xx += v(c.http_4xx);
  http_5xx += v(c.http_5xx);
  http_other += v(c.http_other);
  client_aborts += v(c.client_aborts);
  server_aborts += v(c.server_aborts);
  lb_total += v(c.lb_total);
  connects += v(c.connects);
  reuses += v(c.reuses);
  intercepted += v(c.intercepted);
  failed_checks += v(c.failed_checks);
  wrew += v(c.wrew);
  ssl_sess += v(c.ssl_sess);
  ssl_reused_sess += v(c.ssl_reused_sess);
  ssl_failed_handshake += v(c.ssl_failed_handshake);
  // closed before opened: a close always follows its open in the same worker, so the
  // difference (connections open now) never goes below zero.
  ssl_closed += v(c.ssl_closed);
  ssl_conns += v(c.ssl_conns);
  // closed before opened, as above
  h2_closed += v(c.h2_closed);
  h2_conns += v(c.h2_conns);
  h2_streams_closed += v(c.h2_streams_closed);
  h2_streams += v(c.h2_streams);
  h2_abuse += v(c.h2_abuse);
  for (size_t k = 0; k < std::size(h2_frames); ++k) h2_frames[k] += v(c.h2_frames[k]);
  t_queue_sum += v(c.t_queue_sum);
  t_connect_sum += v(c.t_connect_sum);
  t_response_sum += v(c.t_response_sum);
  t_total_sum += v(c.t_total_sum);
  t_samples += v(c.t_samples);
  auto mx = [&](uint64_t& to, const Counters::C& a) { to = std::max(to, v(a)); };
  mx(t_queue_max, c.t_queue_max);
  mx(t_connect_max, c.t_connect_max);
  mx(t_response_max, c.t_response_max);
  mx(t_total_max, c.t_total_max);
  mx(last_session_s, c.last_session_s);
  mx(cur_max, c.cur_max);
  mx(queue_max, c.queue_max);
  for (int b = 0; b < kLatencyBuckets; ++b) latency[b] += v(c.latency[b]);
}

uint64_t Totals::latency_quantile(double q) const {
  uint64_t n = 0;
  for (uint64_t c : latency) n += c;
  if (n == 0) return 0;
  // The smallest bucket whose cumulative count reaches q of the samples.
  const auto rank = static_cast<uint64_t>(q * static_cast<double>(n) + 0.5);
  uint64_t seen = 0;
  for (int b = 0; b < kLatencyBuckets; ++b) {
    seen += latency[b];
    if (seen >= rank && seen > 0) return latency_bucket_upper(b);
  }
  return latency_bucket_upper(kLatencyBuckets - 1);
}

CounterSet::CounterSet(size_t workers, const std::vector<size_t>& servers_per_proxy)
    : CounterSet(workers, servers_per_proxy, servers_per_proxy) {}

CounterSet::CounterSet(size_t workers, const std::vector<size_t>& servers_per_proxy,
                       const std::vector<size_t>& configured)
    : workers_(workers),
      nproxies_(servers_per_proxy.size()),
      proxies_(new Counters[workers * servers_per_proxy.size() * 2]),
      servers_(workers) {
  for (auto& w : servers_) {
    w.resize(nproxies_);
    for (size_t p = 0; p < nproxies_; ++p) {
      w[p].resize(servers_per_proxy[p]);
      const size_t made = p < configured.size() ? std::min(configured[p], servers_per_proxy[p]) : 0;
      for (size_t s = 0; s < made; ++s) w[p][s] = std::make_unique<Counters>();
    }
  }
}

void CounterSet::add_server(size_t p, size_t s) {
  // A reused slot gets new blocks: nobody writes to a deleted server's slot any more (the
  // runtime reuses a slot only after every worker went through its loop since the deletion).
  for (auto& w : servers_) w[p][s] = std::make_unique<Counters>();
}

Totals CounterSet::proxy_totals(size_t p) const {
  Totals t;
  for (size_t w = 0; w < workers_; ++w) t.add(proxies_[(w * nproxies_ + p) * 2]);
  return t;
}

Totals CounterSet::backend_totals(size_t p) const {
  Totals t;
  for (size_t w = 0; w < workers_; ++w) t.add(proxies_[(w * nproxies_ + p) * 2 + 1]);
  return t;
}

Totals CounterSet::server_totals(size_t p, size_t s) const {
  Totals t;
  for (size_t w = 0; w < workers_; ++w)
    if (const auto& c = servers_[w][p][s]) t.add(*c);
  return t;
}

namespace {
// `clear counters`: the maxima, and the SSL handshake counters (HAProxy clears its SSL module's
// counters without `all` too).
void zero_max(Counters& c) {
  for (Counters::C* m : {&c.t_queue_max, &c.t_connect_max, &c.t_response_max, &c.t_total_max, &c.cur_max,
                         &c.queue_max, &c.ssl_sess, &c.ssl_reused_sess, &c.ssl_failed_handshake})
    m->store(0, std::memory_order_relaxed);
}
void zero_all(Counters& c) {
  for (Counters::C* m : {&c.sessions, &c.requests, &c.bytes_in, &c.bytes_out, &c.denied_req, &c.denied_resp,
                         &c.errors_req, &c.errors_conn, &c.errors_resp, &c.retries, &c.redispatches, &c.http_1xx,
                         &c.http_2xx, &c.http_3xx, &c.http_4xx, &c.http_5xx, &c.http_other, &c.client_aborts,
                         &c.server_aborts, &c.lb_total, &c.connects, &c.reuses, &c.intercepted, &c.failed_checks,
                         &c.t_queue_sum, &c.t_connect_sum, &c.t_response_sum, &c.t_total_sum, &c.t_samples,
                         &c.last_session_s, &c.wrew})
    m->store(0, std::memory_order_relaxed);
  for (auto& b : c.latency) b.store(0, std::memory_order_relaxed);
  zero_max(c);
}
}  // namespace

void CounterSet::clear_max() {
  for (size_t i = 0; i < workers_ * nproxies_ * 2; ++i) zero_max(proxies_[i]);
  for (auto& w : servers_)
    for (auto& p : w)
      for (auto& c : p)
        if (c) zero_max(*c);
}

void CounterSet::clear_all() {
  for (size_t i = 0; i < workers_ * nproxies_ * 2; ++i) zero_all(proxies_[i]);
  for (auto& w : servers_)
    for (auto& p : w)
      for (auto& c : p)
        if (c) zero_all(*c);
}

}  // namespace portero::stats
