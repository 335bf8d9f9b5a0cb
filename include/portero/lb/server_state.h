#pragma once
// Runtime state of one server, shared by all threads (atomics only). The main thread (admin
// socket, health checks) writes it; workers read it and post nothing back but counters.
#include <atomic>
#include <cstdint>

namespace portero::lb {

enum class AdminState : uint8_t { ready, drain, maint };
enum class OperState : uint8_t { up, down };

struct ServerState {
  std::atomic<AdminState> admin{AdminState::ready};
  std::atomic<OperState> oper{OperState::up};
  std::atomic<uint32_t> user_weight{1};   // as configured / set by `set weight`
  std::atomic<uint32_t> cur_conns{0};     // requests being served, all threads

  // Takes new, non-persistent traffic.
  bool usable() const {
    return admin.load(std::memory_order_relaxed) == AdminState::ready &&
           oper.load(std::memory_order_relaxed) == OperState::up &&
           user_weight.load(std::memory_order_relaxed) > 0;
  }
};

}  // namespace portero::lb
