#pragma once
// HAProxy's map table (COMPAT.md §1.4): the usable servers of the chosen group, each repeated
// as many times as its reduced weight, interleaved smoothly. Used by static-rr (walked in
// order) and by map-based hashing (indexed by hash % size). Rebuilt from scratch on every
// usability change, as HAProxy does, so positions shift for everyone. Worker-local.
#include <cstdint>
#include <span>
#include <vector>

#include "server_view.h"

namespace portero::lb {

class MapTable {
 public:
  // Reduces the weights by their greatest common divisor, computed once here over the weights
  // the servers have now (HAProxy never recomputes it), then builds the table.
  explicit MapTable(std::vector<ServerInfo> servers, bool all_backups);

  // Reads the server states again and rebuilds the table.
  void rebuild();

  // Server indices, in pick order; empty when no server is usable.
  std::span<const int> table() const { return {table_.data(), size_}; }
  // HAProxy's tot_used: usable servers of the serving group (1 for the lone first backup).
  int used() const { return used_; }

  // Map-based hashing: the server at hash % table size (full servers are not skipped: the
  // request queues on them). -1 when no server is usable.
  int at_hash(uint32_t h) const { return size_ ? table_[h % size_] : -1; }

  // Round robin over the table from slot `pos` (kept by the caller), skipping full servers and
  // `avoid` (the avoided one is the fallback); -1 when every server is full. Used by static-rr
  // and by the hash algorithms when the key is missing.
  int next_rr(size_t& pos, int avoid) const;
  const std::vector<ServerInfo>& servers() const { return servers_; }

  // Effective weight of a server on the map scale: ceil(user weight / gcd).
  uint32_t eweight(int idx) const;

 private:
  std::vector<ServerInfo> servers_;
  bool all_backups_;
  uint32_t gcd_ = 1;
  std::vector<int> table_;
  size_t size_ = 0;
  int used_ = 0;
  std::vector<int> members_;      // scratch: usable servers of the chosen group
  std::vector<int64_t> score_;    // scratch: per member
};

}  // namespace portero::lb
