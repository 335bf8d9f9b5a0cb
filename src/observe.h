#pragma once
// The main thread's observability: the StatsSource every view reads, the sampler (rates,
// history, percentiles), the stats page service the workers call, and the admin socket.
// Main-thread only, except Runtime::stats_page, which any worker may call.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <uv.h>

#include "portero/admin/server.h"
#include "portero/check/checks.h"
#include "portero/core/mailbox.h"
#include "portero/proxy/runtime.h"
#include "portero/proxy/worker.h"
#include "portero/stats/backend_watch.h"
#include "portero/stats/source.h"
#include "portero/web/sampler.h"

namespace portero {

class Observability {
 public:
  Observability(uv_loop_t* loop, proxy::Runtime& rt, const std::vector<proxy::Worker*>& workers,
                stats::ProcessInfo process);
  ~Observability();
  // Before privileges are dropped: binds the `stats socket`s. False with HAProxy's alert text.
  // `master_channel` (>= 0 in a worker of master-worker mode): the master CLI's link.
  bool bind_admin(std::string& error, int master_channel = -1);
  // The listening sockets a `stats socket ... expose-fd listeners` hands to `-x` successors.
  void expose_listeners(std::function<std::vector<int>()> fn) {
    if (admin_) admin_->set_exposed_listeners(std::move(fn));
  }
  // The peers service's `show peers` and peer counts (main thread, as the admin socket).
  void expose_peers(std::function<std::string(std::string_view, bool&)> show,
                    std::function<void(uint32_t&, uint32_t&)> counts) {
    src_.show_peers = std::move(show);
    src_.peer_counts = std::move(counts);
  }
  // Once the checker runs: starts the sampler and the admin socket.
  void start(check::Checker* checker, std::function<void(int, int, std::string_view)> log);
  void stop();   // closes every handle on the loop
  // What the views read and act on; the DNS service acts on the servers through it too.
  stats::StatsSource& source() { return src_; }

 private:
  uv_loop_t* loop_;
  stats::StatsSource src_;
  std::unique_ptr<core::Mailbox> mailbox_;   // worker -> main: stats page requests
  std::unique_ptr<web::Sampler> sampler_;
  stats::BackendWatch backend_watch_;       // fed by the sampler's ticks
  std::unique_ptr<admin::Server> admin_;
  // observe: per server of each proxy, "an error was posted since the last success": successes
  // are only posted after an error, so a healthy observed server costs no post at all.
  std::vector<std::unique_ptr<std::atomic<bool>[]>> observe_dirty_;
  check::Checker* checker_ = nullptr;
  tls::Contexts* tls_ = nullptr;            // the admin socket's TLS commands act on it
};

}  // namespace portero
