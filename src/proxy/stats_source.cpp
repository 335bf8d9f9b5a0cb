// What the stats renderers and the admin socket see of the data plane (main thread).
#include "portero/proxy/stats_source.h"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace portero::proxy {

namespace {

// `show sess`: every worker lists its own sessions on its thread; the main thread waits a
// bounded time for all of them (a worker busy for longer only leaves its sessions out).
std::vector<stats::SessionInfo> gather_sessions(const std::vector<Worker*>& workers) {
  struct Shared {
    std::mutex m;
    std::condition_variable cv;
    std::vector<stats::SessionInfo> all;
    size_t pending = 0;
  };
  auto sh = std::make_shared<Shared>();
  sh->pending = workers.size();
  for (Worker* w : workers)
    w->list_sessions([sh](std::vector<stats::SessionInfo> v) {
      std::lock_guard<std::mutex> lock(sh->m);
      for (auto& i : v) sh->all.push_back(std::move(i));
      if (--sh->pending == 0) sh->cv.notify_one();
    });
  std::unique_lock<std::mutex> lock(sh->m);
  sh->cv.wait_for(lock, std::chrono::seconds(1), [&] { return sh->pending == 0; });
  return sh->all;
}

}  // namespace

void fill_stats_source(stats::StatsSource& src, Runtime& rt, const std::vector<Worker*>& workers) {
  const auto& cfg = *rt.config;
  src.cfg = &cfg;
  src.counters = rt.counters.get();
  src.states.assign(cfg.proxies.size(), {});
  for (size_t i = 0; i < cfg.proxies.size(); ++i) src.states[i] = rt.backends[i].states;
  Runtime* r = &rt;
  src.frontend_cur_conns = [r](int p) { return r->frontends[p].cur_conns.load(std::memory_order_relaxed); };
  src.frontend_maxconn = [r](int p) { return r->frontends[p].maxconn.load(std::memory_order_relaxed); };
  src.frontend_paused = [r](int p) { return r->frontends[p].shut.load(std::memory_order_relaxed); };
  src.backend_cur_conns = [r](int p) { return r->backends[p].cur_conns.load(std::memory_order_relaxed); };
  src.backend_queued = [r](int p) { return r->backends[p].queued.load(std::memory_order_relaxed); };
  src.server_queued = [r](int p, int s) {
    return r->backends[p].server_queued ? r->backends[p].server_queued[s].load(std::memory_order_relaxed) : 0u;
  };
  src.server_conns = [r](int p, int s) {
    stats::StatsSource::ServerConns out;
    if (!r->backends[p].conns) return out;
    const auto& g = r->backends[p].conns[s];
    out.used = g.used.load(std::memory_order_relaxed);
    out.idle = g.idle.load(std::memory_order_relaxed);
    out.safe = g.safe.load(std::memory_order_relaxed);
    out.peak_used = g.peak_used.load(std::memory_order_relaxed);
    return out;
  };
  src.cur_conns = [r] { return r->cur_conns.load(std::memory_order_relaxed); };
  src.cum_conns = [r] { return r->cum_conns.load(std::memory_order_relaxed); };
  src.cum_reqs = [r] { return r->cum_reqs.load(std::memory_order_relaxed); };
  src.errors = [r] { return r->captured_errors(); };
  src.sessions = [workers] { return gather_sessions(workers); };
  src.state_changed = [r](int p) { r->refresh_backend(p); };
  src.shutdown_sessions = [workers](int p, int s) {
    for (Worker* w : workers) w->shutdown_server_sessions(p, s);
  };
  src.shutdown_frontend = [r, workers](int p) {
    r->frontends[p].shut.store(true);
    for (Worker* w : workers) w->shutdown_frontend(p);
  };
  // The run-time server set: the runtime fills the slot; checks follow it. A deleted slot is
  // reusable once every worker has run a turn of its loop since (it may still hold the index
  // in a finishing exchange's log line).
  stats::StatsSource* self = &src;
  src.add_server = [r, self](int p, config::Server s) -> std::string {
    const int slot = r->add_server(p, std::move(s));
    if (slot < 0)
      return "portero: backend has no free server slot (" + std::to_string(Runtime::kSpareServerSlots) +
             " beyond the configured servers).";
    if (self->checker) self->checker->add_server(p, slot, r->backends[p].states[size_t(slot)]);
    return "";
  };
  src.del_server = [r, self, workers](int p, int s) {
    if (self->checker) self->checker->remove_server(p, s);
    r->retire_server(p, s, uint32_t(workers.size()));
    for (Worker* w : workers) w->forget_server(p, s, [r, p, s] { r->grace_passed(p, s); });
  };
  src.server_moved = [r, self, workers](int p, int s) {
    if (self->checker) self->checker->address_changed(p, s);
    for (Worker* w : workers) w->forget_server(p, s, [] {});
  };
  // Idle connections do not hold a deletion back (haproxy 2.6 neither): the workers close them.
  src.server_has_connections = [r](int p, int s) {
    const auto& be = r->backends[p];
    return be.states[size_t(s)]->cur_conns.load() != 0 || be.server_queued[s].load() != 0 ||
           be.conns[s].used.load() != 0;
  };
  src.set_frontend_maxconn = [r](int p, uint32_t v) { r->frontends[p].maxconn.store(v); };
  src.set_global_maxconn = [r](uint32_t v) { r->maxconn.store(v); };
}

}  // namespace portero::proxy
