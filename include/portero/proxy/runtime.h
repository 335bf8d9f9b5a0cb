#pragma once
// State shared by every thread for one loaded configuration: the Config itself (immutable),
// the runtime state of each server (atomics), and connection counts for maxconn.
// Built on the main thread before the workers start; lives as long as they do.
#include "portero/stick/table.h"
#include <atomic>
#include <map>
#include <mutex>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "portero/check/checks.h"
#include "portero/config/config.h"
#include "portero/lb/balancer.h"
#include "portero/lb/server_state.h"
#include "portero/proxy/bound_rules.h"
#include "portero/stats/counters.h"
#include "portero/stats/page.h"
#include "portero/stats/source.h"
#include "portero/tls/contexts.h"
#include <functional>

namespace portero::proxy {

// Every per-server array here has one entry per server *slot* (config::SlotList): the
// configured servers, then the spare slots `add server` fills at run time.
struct BackendRuntime {
  std::vector<std::unique_ptr<lb::ServerState>> servers;
  std::vector<lb::ServerState*> states;   // same order as the config's server list
  // Requests waiting, all workers together: per server queue, and the backend's own queue.
  std::unique_ptr<std::atomic<uint32_t>[]> server_queued;
  std::atomic<uint32_t> queued{0};
  std::atomic<uint32_t> cur_conns{0};     // requests the backend is serving (HAProxy's beconn)
  // Server connections, all workers together: in use, idle in a pool (of which `safe`: idle
  // after serving more than one request, HAProxy's safe list), and the most ever in use.
  struct ConnGauges {
    std::atomic<uint32_t> used{0}, idle{0}, safe{0}, peak_used{0};
  };
  std::unique_ptr<ConnGauges[]> conns;    // indexed like the servers
  // A deleted server's slot: how many workers have yet to go through their loop since the
  // deletion (the slot is reused only at 0, so no worker still reads the old server there).
  std::unique_ptr<std::atomic<uint32_t>[]> grace;
};

struct FrontendRuntime {
  std::atomic<uint32_t> cur_conns{0};
  std::atomic<uint32_t> maxconn{0};        // configured, or `set maxconn frontend`
  std::atomic<bool> shut{false};           // `shutdown frontend`: its listeners are closed for good
};

struct Runtime {
  explicit Runtime(config::ConfigPtr cfg);
  ~Runtime();   // stops offering its stick tables (stick::active_tables)

  config::ConfigPtr config;
  std::unique_ptr<BackendRuntime[]> backends;     // indexed like config->proxies
  std::unique_ptr<FrontendRuntime[]> frontends;   // indexed like config->proxies
  // One balancer per backend (null for a frontend), shared by every worker thread.
  std::vector<std::unique_ptr<lb::Balancer>> balancers;
  // Builds them; false with `error` when a backend's algorithm is not supported.
  bool make_balancers(std::string& error);
  // Any thread: a server's state or weight changed; the backend's balancer reads them again.
  void refresh_backend(int proxy_index) const {
    if (lb::Balancer* b = balancers[proxy_index].get()) b->refresh();
  }
  // The run-time server set (proxy/server_set.cpp; main thread). Each backend has this many
  // server slots beyond its configured servers, for `add server` (a deleted server's slot is
  // reused once free).
  static constexpr size_t kSpareServerSlots = 64;
  // Puts `s` into a free slot of backend p and returns the slot, or -1 when there is none.
  // It starts in maintenance when `s.disabled` (HAProxy's dynamic servers are, unless the
  // words say `enabled`; the caller parsed them).
  int add_server(int p, config::Server s);
  // `del server`: slot s of backend p leaves (the server is in maintenance without
  // connections); `workers` of them must each call grace_passed(p, s) from their loop.
  void retire_server(int p, int s, uint32_t workers);
  void grace_passed(int p, int s) { backends[p].grace[s].fetch_sub(1, std::memory_order_acq_rel); }

  std::atomic<uint32_t> cur_conns{0};
  std::atomic<uint32_t> maxconn{0};        // global maxconn, or `set maxconn global`
  std::atomic<uint64_t> cum_conns{0};      // CumConns
  std::atomic<uint64_t> cum_reqs{0};       // CumReq
  // Traffic counters, one block per worker (make_counters before the workers start).
  std::unique_ptr<stats::CounterSet> counters;
  void make_counters(size_t workers);
  // Workers with a listener paused at a maxconn: a connection closing anywhere wakes them.
  std::atomic<uint32_t> maxconn_waiters{0};
  bool debug = false;                      // -d: trace events on stdout
  std::unique_ptr<BoundRules> rules;       // ACLs and rules, compiled; set before workers start
  // The stick tables, by proxy index (built with the runtime; also stick::active_tables()).
  std::unique_ptr<stick::Tables> tables;
  std::unique_ptr<tls::Contexts> tls;      // TLS contexts of binds, servers and checks (idem)
  // Per proxy: the traffic log format when the proxy logs, else null (set with `rules`).
  std::vector<const log::Format*> log_formats;
  // The main thread's stats page service (set before the workers start; empty: no page). Any
  // thread may call it; `done` runs on the main thread with the whole HTTP response.
  std::function<void(stats::PageRequest, std::function<void(std::string)> done)> stats_page;
  std::atomic<uint32_t> next_stream_id{0};
  // `observe layer4|layer7`: the main thread's receiver of traffic outcomes (set before the
  // workers start; empty: nobody listens). Workers call observed(), which skips servers
  // without `observe` so that unobserved traffic costs one load.
  std::function<void(int proxy, int server, check::Observed what)> observe;
  void observed(int proxy, int server, check::Observed what) const {
    if (server >= 0 && config->proxies[proxy].servers[server].observe != config::Server::Observe::none && observe)
      observe(proxy, server, what);
  }

  // `show errors`: the last malformed request of each frontend (any thread may record one).
  void capture_error(stats::CapturedError e);
  std::vector<stats::CapturedError> captured_errors() const;  // numbering of -d traces, as HAProxy's streams

  // The `errorfile` response for `status` in proxy `proxy_index` as HAProxy sends it
  // (normalised once at load), or empty when the proxy has none for that status.
  std::string_view errorfile(int proxy_index, int status) const;

 private:
  std::vector<std::map<int, std::string>> errorfiles_;   // indexed like config->proxies
  mutable std::mutex errors_mutex_;
  std::vector<stats::CapturedError> errors_;             // one slot per proxy (proxy -1: empty)
  uint32_t error_events_ = 0;
};

}  // namespace portero::proxy
