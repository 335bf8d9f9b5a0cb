#pragma once
// The consistent-hash ring of `hash-type consistent` and `balance random` (COMPAT.md §1.9):
// each usable server of a group owns `eweight` points (user weight x16, slow-start applied,
// never more than its weight at startup x16) keyed avalanche(puid * 4096 + i). A key goes to
// the nearer of the two points around it. Worker-local; lookups never allocate.
#include <cstdint>
#include <vector>

#include "server_view.h"

namespace portero::lb {

class ChashRing {
 public:
  // `balance_factor`: hash-balance-factor in percent (0 = off).
  ChashRing(std::vector<ServerInfo> servers, bool all_backups, uint32_t balance_factor);

  // Reads the server states again; moves only what changed (the ring is rebuilt from the
  // servers' points, which depend on nothing else).
  void rebuild();

  // HAProxy's tot_weight / tot_used of the serving group.
  uint64_t tot_weight() const { return tot_weight_; }
  int used() const { return used_; }

  // The server for hash `h`: the closest point, then forward past `avoid` and, with a balance
  // factor, past servers over their share. -1 when nothing is usable.
  int lookup(uint32_t h, int avoid) const;

  // Round robin over the ring points (the hash algorithms' fallback when the key is missing),
  // skipping full servers and `avoid` (kept as the last resort). -1 when all are full.
  int next_rr(int avoid);

  // Slot `idx` holds a new server (in maintenance): its facts and its point budget (its weight
  // now, as HAProxy sizes a server's nodes when it is added).
  // HAProxy 2.6 makes an added server's points before it gives the server an id: unless `id`
  // was written they are keyed on id 0 (such servers share their keys). Kept, so keys map as
  // haproxy's do.
  void set_server(int idx, const config::Server& s) {
    describe_server(servers_[size_t(idx)], s);
    servers_[size_t(idx)].puid = s.id ? *s.id : 0;   // the ring's copy only: it seeds the points
    cap_[size_t(idx)] = (s.weight > max_user_weight ? max_user_weight : s.weight) * 16;
  }

  uint32_t eweight(int idx) const { return eweight_[idx]; }
  const std::vector<ServerInfo>& servers() const { return servers_; }

 private:
  struct Point {
    uint32_t key;
    int srv;
  };
  const std::vector<Point>& root() const { return use_backup_ ? bck_ : act_; }
  bool eligible(int idx) const;

  std::vector<ServerInfo> servers_;
  bool all_backups_;
  uint32_t balance_factor_;
  std::vector<uint32_t> cap_;        // points at startup: user weight x16
  std::vector<uint32_t> eweight_;    // committed effective weights (0 when not usable)
  std::vector<uint64_t> cum_;        // weight of the usable servers before it in its group
  std::vector<Point> act_, bck_;     // sorted by key (keys are distinct: avalanche is a bijection)
  bool use_backup_ = false;
  int first_backup_ = -1;
  int used_ = 0;
  uint64_t tot_weight_ = 0;
  int last_ = -1;                    // round robin position in root(); -1 = before the first
  bool last_backup_ = false;
};

}  // namespace portero::lb
