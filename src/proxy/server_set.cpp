// The run-time server set: `add server` and `del server` (main thread). Why slots and not a
// snapshot: see "The run-time server set" in docs/ARCHITECTURE.md.
//
// A new server goes into the first free slot: a deleted server's slot once every worker went
// through its loop since the deletion, else the next never-used one. Everything a worker may
// read about the slot (config, state, counters, balancer facts) is written before the slot is
// published (SlotList::put stores the count and the live flag with release), and the balancer
// learns of it under its lock, so a worker can only pick it after seeing all of it.
#include "portero/proxy/runtime.h"

namespace portero::proxy {

int Runtime::add_server(int p, config::Server s) {
  const config::Proxy& px = config->proxies[size_t(p)];
  BackendRuntime& be = backends[size_t(p)];
  const auto& slots = px.servers;
  // A never-used slot first (so servers are listed, and tie in the balancers, in the order they
  // were added, as HAProxy appends them), then a deleted server's once its grace has passed.
  size_t slot = slots.size();
  if (slot >= slots.capacity())
    for (size_t i = 0; i < slots.size(); ++i)
      if (!slots.live(i) && be.grace[i].load(std::memory_order_acquire) == 0) {
        slot = i;
        break;
      }
  if (slot >= slots.capacity()) return -1;

  // The balancer must not pick it before it is whole: it stays in maintenance until published.
  lb::ServerState& st = *be.states[slot];
  st.admin.store(lb::AdminState::maint, std::memory_order_relaxed);
  st.oper.store(lb::OperState::up, std::memory_order_relaxed);
  st.user_weight.store(s.weight, std::memory_order_relaxed);
  st.maxconn.store(s.maxconn, std::memory_order_relaxed);
  st.ramp.store(16, std::memory_order_relaxed);
  st.cur_conns.store(0, std::memory_order_relaxed);
  st.clear_addr();
  be.server_queued[slot].store(0, std::memory_order_relaxed);
  auto& g = be.conns[slot];
  g.used.store(0, std::memory_order_relaxed);
  g.idle.store(0, std::memory_order_relaxed);
  g.safe.store(0, std::memory_order_relaxed);
  g.peak_used.store(0, std::memory_order_relaxed);
  if (counters) counters->add_server(size_t(p), slot);
  const bool enabled = !s.disabled;
  slots.put(slot, std::move(s));
  if (lb::Balancer* b = balancers[size_t(p)].get()) b->set_server(int(slot), slots[slot]);
  if (enabled) st.admin.store(lb::AdminState::ready, std::memory_order_release);
  refresh_backend(p);
  return int(slot);
}

void Runtime::retire_server(int p, int s, uint32_t workers) {
  BackendRuntime& be = backends[size_t(p)];
  be.grace[size_t(s)].store(workers, std::memory_order_release);
  config->proxies[size_t(p)].servers.retire(size_t(s));
  be.states[size_t(s)]->admin.store(lb::AdminState::maint, std::memory_order_release);
  refresh_backend(p);
}

}  // namespace portero::proxy
