#pragma once
// What every algorithm needs to know about the servers of one backend: which are usable, their
// effective weight on the algorithm's scale, which group (active or backup) takes the traffic
// and the "first backup" rule of HAProxy (COMPAT.md §1.3). Worker-local.
#include <cstdint>
#include <span>
#include <vector>

#include "portero/config/config.h"
#include "portero/lb/server_state.h"

namespace portero::lb {

// HAProxy's user weights are 0..256; anything larger is clamped so scaled keys stay in range.
inline constexpr uint32_t max_user_weight = 256;

struct ServerInfo {
  bool backup = false;
  uint32_t maxconn = 0;    // 0 = unlimited
  uint32_t minconn = 0;    // 0 = same as maxconn
  uint32_t maxqueue = 0;   // 0 = unlimited
  int32_t puid = 0;        // HAProxy's server id: orders `first`, seeds the consistent-hash ring
  ServerState* state = nullptr;
};

// Static facts of the servers, copied from the config once so picks never touch it.
std::vector<ServerInfo> describe_servers(const config::Proxy& backend,
                                         std::span<ServerState* const> states);

// The static facts of `s` (an `add server` in slot `into`; its state stays).
inline void describe_server(ServerInfo& into, const config::Server& s) {
  into.backup = s.backup;
  into.maxconn = s.maxconn;
  into.minconn = s.minconn;
  into.maxqueue = s.maxqueue;
  into.puid = s.puid;
}

// Server ids as HAProxy assigns them: `id N` kept; the others get, in declaration order, the
// smallest id not taken that is >= a counter starting at 1 and bumped once per server.
std::vector<int32_t> assign_puids(const config::Proxy& backend);

// Requests the server serves now, on every thread (HAProxy's `served`).
inline uint32_t served(const ServerInfo& s) { return s.state->cur_conns.load(std::memory_order_relaxed); }

// True when the server cannot take one more request now (maxconn reached). Such servers are
// skipped by the round-robin algorithms but stay in their place.
inline bool is_full(const ServerInfo& s) {
  return s.maxconn != 0 && s.state->cur_conns.load(std::memory_order_relaxed) >= s.maxconn;
}

// Usability as the balancers see it: the server state says usable and the effective weight on
// the algorithm's scale is non-zero (a map weight rounds up, so it is zero only for weight 0).
inline bool usable_with(const ServerState& st, uint32_t eweight) {
  return eweight != 0 && st.admin.load(std::memory_order_relaxed) == AdminState::ready &&
         st.oper.load(std::memory_order_relaxed) == OperState::up;
}

inline uint32_t user_weight(const ServerState& st) {
  uint32_t w = st.user_weight.load(std::memory_order_relaxed);
  return w > max_user_weight ? max_user_weight : w;
}

// The server's connection limit now (HAProxy's srv_dynamic_maxconn; 0 = unlimited): `maxconn`,
// or between minconn and maxconn following the backend load `beconn` against `fullconn`.
uint32_t current_maxconn(const ServerInfo& s, uint32_t beconn, uint32_t fullconn);

// Sum of the requests served by all the servers (an approximation of HAProxy's `beconn` that
// leaves out the backend queue).
uint32_t backend_load(const std::vector<ServerInfo>& servers);

// Connection limits of a backend's servers, for the algorithms that skip full servers.
class ConnLimits {
 public:
  ConnLimits() = default;
  ConnLimits(const std::vector<ServerInfo>& servers, uint32_t fullconn) : fullconn_(fullconn) {
    for (const auto& s : servers)
      if (fullconn && s.maxconn && s.minconn && s.minconn != s.maxconn) dynamic_ = true;
  }
  // The limit of `servers[idx]` now (0 = unlimited); sums the backend load only when some
  // server has a dynamic limit.
  uint32_t limit(const std::vector<ServerInfo>& servers, int idx) const {
    const ServerInfo& s = servers[idx];
    if (!dynamic_) return s.maxconn;
    return current_maxconn(s, backend_load(servers), fullconn_);
  }
  // Has a free connection slot (HAProxy: no maxconn, or served below the dynamic limit).
  bool has_room(const std::vector<ServerInfo>& servers, int idx) const {
    if (servers[idx].maxconn == 0) return true;
    return served(servers[idx]) < limit(servers, idx);
  }

 private:
  uint32_t fullconn_ = 0;
  bool dynamic_ = false;
};

// Effective weight of the dynamic algorithms (x16 scale, slow-start ramp applied).
inline uint32_t dynamic_eweight(const ServerState& st) {
  uint32_t r = st.ramp.load(std::memory_order_relaxed);
  if (r == 0 || r > 16) r = 16;
  return user_weight(st) * r;
}


}  // namespace portero::lb
