#pragma once
// `http-request use-service prometheus-exporter`: the metrics page in the Prometheus text
// exposition format (version 0.0.4), with HAProxy 2.6's metric names, HELP/TYPE lines and
// labels (haproxy_process_*, haproxy_frontend_*{proxy}, haproxy_backend_*{proxy},
// haproxy_server_*{proxy,server}), filled from the same rows as `show stat` and the same fields
// as `show info`. Beyond HAProxy: portero_{frontend,backend,server}_request_duration_seconds,
// histograms of the request latency counters. Main-thread only, pure functions of the source.
#include <string>
#include <string_view>

#include "portero/stats/page.h"
#include "portero/stats/source.h"

namespace portero::web {

// The page's query string: `scope=` (global, frontend, backend, server, sticktable, `*`; may be
// repeated; the first one replaces "everything", an empty one drops those given before it) and
// `no-maint`
// (hide servers in maintenance). Other parameters are ignored; an unknown scope is a 400.
struct PromOptions {
  bool global = true, frontend = true, backend = true, server = true;
  bool no_maint = false;
  bool bad_request = false;
};
PromOptions parse_prom_query(std::string_view uri);

// The body (no HTTP framing).
std::string prometheus_metrics(const stats::StatsSource& src, const PromOptions& o);

// The whole HTTP answer: 200 `text/plain; version=0.0.4`, or HAProxy's 400 for a bad scope.
std::string prometheus_reply(const stats::StatsSource& src, const stats::PageRequest& req);

}  // namespace portero::web
