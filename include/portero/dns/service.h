#pragma once
// DNS service discovery (`resolvers` sections): the servers with `resolvers <id>` are resolved
// again on the main thread's loop, next to the health checks, and their address, state and
// (for `server-template` on SRV records) name, port and weight follow the answers, with
// HAProxy 2.6's hold times and log lines. c-ares sends the queries (one channel per name
// server, driven by uv_poll and a uv timer); dns/records.cpp reads the replies.
#include <uv.h>

#include <memory>
#include <string>
#include <string_view>

#include "portero/config/config.h"
#include "portero/stats/source.h"

namespace portero::dns {

class Service {
 public:
  // Null when no server uses a resolvers section. `src` acts on the servers (states, the
  // `server_moved` and `state_changed` hooks, logs) as the admin socket does; it must outlive
  // the service. False in `error` when c-ares cannot start.
  static std::unique_ptr<Service> create(uv_loop_t* loop, const config::Config& cfg, stats::StatsSource& src,
                                         std::string& error);
  virtual ~Service() = default;
  virtual void start() = 0;
  virtual void stop() = 0;   // closes every handle on the loop
};

// `show resolvers [<id>]` in HAProxy's format, from the counters of a running service (null:
// every counter 0). Empty with `found` false when `id` names no section.
std::string show_resolvers(const Service* svc, const config::Config& cfg, std::string_view id, bool& found);

}  // namespace portero::dns
