#pragma once
// The arithmetic behind the sampler, apart from any timer: one object's cumulative counters
// sampled once a second become per-second rates (with their maxima, HAProxy's rate_max) and a
// bounded history of request rate, error rate and latency percentiles. Pure; unit-tested.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "portero/stats/counters.h"
#include "portero/stats/source.h"

namespace portero::web {

// One second of history. Latencies in µs, -1 when no request finished in that second.
struct Point {
  uint64_t t_ms = 0;     // wall clock of the sample
  uint32_t req = 0;      // requests per second
  uint32_t err = 0;      // errors per second: 5xx + connection errors + request errors
  int64_t p50 = -1, p90 = -1, p99 = -1, p999 = -1;
};

// Requests count for servers and backends too (HTTP requests forwarded), sessions for rate.
class RateHistory {
 public:
  static constexpr uint64_t kMinIntervalMs = 250;
  explicit RateHistory(size_t capacity = 300) : capacity_(capacity) {}

  // Folds in the totals read at `t_ms`. The first call only sets the baseline. A counter that
  // went backwards (`clear counters all`) restarts the baseline without a bogus spike. A sample
  // closer than kMinIntervalMs to the previous one is ignored: a rate over a few milliseconds
  // is noise, and it would set a maximum no one saw.
  void sample(const stats::Totals& t, uint64_t t_ms);

  stats::Rates rates() const { return rates_; }
  void clear_max();

  // Oldest first; at most `capacity` points.
  std::vector<Point> points() const;
  size_t size() const { return ring_.size(); }

 private:
  struct Base {
    uint64_t sessions = 0, requests = 0, errors = 0;
    uint64_t latency[stats::kLatencyBuckets] = {};
  };
  static Base base_of(const stats::Totals& t);

  size_t capacity_;
  bool have_base_ = false;
  Base base_;
  uint64_t base_ms_ = 0;
  stats::Rates rates_;
  std::vector<Point> ring_;   // circular once full: head_ is the oldest
  size_t head_ = 0;
};

// The process-wide TLS rates of `show info` from three cumulative sums read once a second:
// connections accepted on `ssl` binds, full handshakes client side, full handshakes server
// side. A sum that went backwards (`clear counters` zeroes the handshake counters) restarts
// its baseline; a sample closer than RateHistory::kMinIntervalMs to the previous one is ignored.
class SslRateTracker {
 public:
  void sample(uint64_t conns, uint64_t fe_keys, uint64_t be_keys, uint64_t t_ms);
  stats::SslRates rates() const { return rates_; }
  void clear_max() { rates_.conns.max = rates_.fe_keys.max = rates_.be_keys.max = 0; }

 private:
  bool have_base_ = false;
  uint64_t base_[3] = {}, base_ms_ = 0;
  stats::SslRates rates_;
};

// Errors as the charts count them (HAProxy's 5xx responses, econ and ereq).
uint64_t error_count(const stats::Totals& t);

// A count over `ms` milliseconds as a per-second rate, rounded to nearest.
uint32_t per_second(uint64_t count, uint64_t ms);

}  // namespace portero::web
