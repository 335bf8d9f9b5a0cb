#pragma once
// Once a second, the main thread samples every counter: per-second rates and their maxima
// (HAProxy's rate / req_rate / conn_rate columns), and a few minutes of history (request
// rate, error rate, latency p50/p90/p99/p99.9) for the stats page's live charts.
// Main-thread only.
#include <memory>
#include <string>

#include <uv.h>

#include "portero/stats/source.h"

namespace portero::web {

class Sampler : public stats::RateView {
 public:
  static std::unique_ptr<Sampler> create(uv_loop_t* loop, const stats::StatsSource& src);
  virtual void start() = 0;   // first sample now, then every second (the timer does not keep the loop alive)
  virtual void stop() = 0;
  // The live feed the charts poll (`<stats uri>;live`): JSON with the history of every object.
  virtual std::string live_json() const = 0;
};

}  // namespace portero::web
