#pragma once
// Runtime state of one server, shared by all threads (atomics only). The main thread (admin
// socket, health checks) writes it; workers read it and post nothing back but counters.
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <cstring>

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
  // In maintenance because DNS gave it no address (HAProxy's RMAINT, "MAINT (resolution)"):
  // `admin` is maint too while it is set, so the request path reads `admin` only. The DNS
  // resolver (main thread) sets and clears it; `enable server` does not lift it.
  std::atomic<bool> dns_maint{false};

  // `set server b/s addr <ip> [port <p>]`: where new connections go once the admin socket has
  // moved the server (seq 0: its configured address). A sequence lock over atomic words: the
  // main thread writes, a worker copies it when it connects, and nobody waits.
  std::atomic<uint32_t> addr_seq{0};
  std::atomic<uint64_t> addr_words[4] = {};   // a sockaddr_in / sockaddr_in6 (port included)

  // Main thread.
  void set_addr(const sockaddr_storage& a) {
    uint64_t w[4] = {};
    std::memcpy(w, &a, sizeof(w));
    const uint32_t s = addr_seq.load(std::memory_order_relaxed);
    addr_seq.store(s + 1, std::memory_order_relaxed);   // odd: being written
    std::atomic_thread_fence(std::memory_order_release);
    for (int i = 0; i < 4; ++i) addr_words[i].store(w[i], std::memory_order_relaxed);
    addr_seq.store(s + 2, std::memory_order_release);
  }
  void clear_addr() { addr_seq.store(0, std::memory_order_release); }   // a slot's new server
  // Any thread: false when the configured address applies.
  bool get_addr(sockaddr_storage& out) const {
    for (;;) {
      const uint32_t s1 = addr_seq.load(std::memory_order_acquire);
      if (s1 == 0) return false;
      if (s1 & 1) continue;
      uint64_t w[4];
      for (int i = 0; i < 4; ++i) w[i] = addr_words[i].load(std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_acquire);
      if (addr_seq.load(std::memory_order_relaxed) != s1) continue;
      std::memset(&out, 0, sizeof(out));
      std::memcpy(&out, w, sizeof(w));
      return true;
    }
  }

  // Takes new, non-persistent traffic.
  bool usable() const {
    return admin.load(std::memory_order_relaxed) == AdminState::ready &&
           oper.load(std::memory_order_relaxed) == OperState::up &&
           user_weight.load(std::memory_order_relaxed) > 0;
  }
};

}  // namespace portero::lb
