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
  ServerState* state = nullptr;
};

// Static facts of the servers, copied from the config once so picks never touch it.
std::vector<ServerInfo> describe_servers(const config::Proxy& backend,
                                         std::span<ServerState* const> states);

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

}  // namespace portero::lb
