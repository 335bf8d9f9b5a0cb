#pragma once
// Runtime state of one server, shared by all threads (atomics only). The main thread (admin
// socket, health checks) writes it; workers read it and post nothing back but counters.
#include <atomic>
#include <cstdint>

namespace portero::lb {

enum class AdminState : uint8_t { ready, drain, maint };
// stopping: up but no new traffic (HAProxy's NOLB: a 404 with disable-on-404, agent "drain"
// or `set server health stopping`); persistent requests still reach it.
enum class OperState : uint8_t { up, down, stopping };

struct ServerState {
  std::atomic<AdminState> admin{AdminState::ready};
  std::atomic<OperState> oper{OperState::up};
  std::atomic<uint32_t> user_weight{1};   // as configured / set by `set weight`
  std::atomic<uint32_t> cur_conns{0};     // requests being served, all threads
  std::atomic<uint32_t> maxconn{0};       // configured, or `set maxconn server`; 0 = no limit
  // Slow-start factor out of 16 (lb/slowstart.h): 16 = full weight. Whoever brings a server
  // back up with `slowstart` set lowers it and raises it once a second with slowstart_ramp(),
  // then posts refresh() to the workers. Only the dynamic algorithms read it.
  std::atomic<uint32_t> ramp{16};

  // Takes new, non-persistent traffic.
  bool usable() const {
    return admin.load(std::memory_order_relaxed) == AdminState::ready &&
           oper.load(std::memory_order_relaxed) == OperState::up &&
           user_weight.load(std::memory_order_relaxed) > 0;
  }
};

}  // namespace portero::lb
