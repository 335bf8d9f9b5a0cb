#pragma once
// The data plane's side of a stats::StatsSource: counters, server states, gauges, captured
// errors, live sessions (asked of every worker), and the admin actions that must reach the
// workers (balancer refresh, session shutdowns, frontend shutdown, maxconn changes).
#include <vector>

#include "portero/proxy/runtime.h"
#include "portero/proxy/worker.h"
#include "portero/stats/source.h"

namespace portero::proxy {

// Main thread, before the admin socket or the stats page use `src`; `rt` and the workers must
// outlive it. Leaves checker, rates, live_json, log and process facts to the caller.
void fill_stats_source(stats::StatsSource& src, Runtime& rt, const std::vector<Worker*>& workers);

}  // namespace portero::proxy
