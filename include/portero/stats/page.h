#pragma once
// The stats web page (`stats uri`): HTML report, `;csv`, `;json`, `;typed`, the live JSON the
// charts poll, and the admin form's POST. Main-thread only: a worker that matched the stats URI
// (and checked `stats auth`) posts a PageRequest to the main thread and writes back the bytes.
#include <string>

#include "portero/stats/source.h"

namespace portero::stats {

struct PageRequest {
  int proxy = -1;              // the proxy whose `stats` settings apply
  std::string method;          // GET, HEAD or POST
  std::string uri;             // as received (the options follow the stats prefix)
  std::string body;            // POST body (urlencoded admin form), complete
  bool admin_allowed = false;  // `stats admin if ...` matched
  bool http10 = false;         // answer as HTTP/1.0 (no chunking)
  bool keep_alive = true;      // the client connection stays open after the answer
  // `http-request use-service prometheus-exporter`: the metrics page instead of the report.
  bool prometheus = false;
};

// The whole HTTP response: status line, headers (HAProxy's), body.
std::string serve_page(StatsSource& src, const PageRequest& req);

}  // namespace portero::stats
