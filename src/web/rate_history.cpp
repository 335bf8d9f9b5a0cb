#include "rate_history.h"

#include <algorithm>

namespace portero::web {

uint64_t error_count(const stats::Totals& t) { return t.http_5xx + t.errors_conn + t.errors_req; }

uint32_t per_second(uint64_t count, uint64_t ms) {
  if (ms == 0) return 0;
  return static_cast<uint32_t>(std::min<uint64_t>((count * 1000 + ms / 2) / ms, UINT32_MAX));
}

RateHistory::Base RateHistory::base_of(const stats::Totals& t) {
  Base b;
  b.sessions = t.sessions;
  b.requests = t.requests;
  b.errors = error_count(t);
  std::copy(std::begin(t.latency), std::end(t.latency), b.latency);
  return b;
}

void RateHistory::sample(const stats::Totals& t, uint64_t t_ms) {
  Base now = base_of(t);
  const bool reset = now.sessions < base_.sessions || now.requests < base_.requests || now.errors < base_.errors;
  const bool clock_back = t_ms < base_ms_;   // the wall clock was set back: start over
  if (have_base_ && !reset && !clock_back && t_ms < base_ms_ + kMinIntervalMs) return;
  if (!have_base_ || reset || clock_back) {
    have_base_ = true;
    base_ = now;
    base_ms_ = t_ms;
    return;
  }
  const uint64_t ms = t_ms - base_ms_;
  Point p;
  p.t_ms = t_ms;
  const uint32_t sess = per_second(now.sessions - base_.sessions, ms);
  p.req = per_second(now.requests - base_.requests, ms);
  p.err = per_second(now.errors - base_.errors, ms);
  // Percentiles of the requests that ended in this interval: the histogram's difference.
  stats::Totals window;
  uint64_t n = 0;
  for (int b = 0; b < stats::kLatencyBuckets; ++b) {
    window.latency[b] = now.latency[b] >= base_.latency[b] ? now.latency[b] - base_.latency[b] : 0;
    n += window.latency[b];
  }
  if (n) {
    p.p50 = static_cast<int64_t>(window.latency_quantile(0.50));
    p.p90 = static_cast<int64_t>(window.latency_quantile(0.90));
    p.p99 = static_cast<int64_t>(window.latency_quantile(0.99));
    p.p999 = static_cast<int64_t>(window.latency_quantile(0.999));
  }
  auto bump = [](stats::Rate& r, uint32_t v) {
    r.cur = v;
    r.max = std::max(r.max, v);
  };
  bump(rates_.sessions, sess);
  bump(rates_.requests, p.req);
  bump(rates_.connections, sess);   // one session per accepted connection at this level
  if (ring_.size() < capacity_) {
    ring_.push_back(p);
  } else {
    ring_[head_] = p;
    head_ = (head_ + 1) % capacity_;
  }
  base_ = now;
  base_ms_ = t_ms;
}

void SslRateTracker::sample(uint64_t conns, uint64_t fe_keys, uint64_t be_keys, uint64_t t_ms) {
  const uint64_t now[3] = {conns, fe_keys, be_keys};
  if (!have_base_ || t_ms < base_ms_) {
    have_base_ = true;
    std::copy(std::begin(now), std::end(now), base_);
    base_ms_ = t_ms;
    return;
  }
  if (t_ms < base_ms_ + RateHistory::kMinIntervalMs) return;
  stats::Rate* r[3] = {&rates_.conns, &rates_.fe_keys, &rates_.be_keys};
  for (int i = 0; i < 3; ++i) {
    // went backwards (cleared): this interval's count is what came since the clear
    const uint64_t n = now[i] >= base_[i] ? now[i] - base_[i] : now[i];
    r[i]->cur = per_second(n, t_ms - base_ms_);
    r[i]->max = std::max(r[i]->max, r[i]->cur);
    base_[i] = now[i];
  }
  base_ms_ = t_ms;
}

void RateHistory::clear_max() {
  rates_.sessions.max = rates_.requests.max = rates_.connections.max = 0;   // as HAProxy's `clear counters`
}

std::vector<Point> RateHistory::points() const {
  std::vector<Point> out;
  out.reserve(ring_.size());
  for (size_t i = 0; i < ring_.size(); ++i) out.push_back(ring_[(head_ + i) % ring_.size()]);
  return out;
}

}  // namespace portero::web
