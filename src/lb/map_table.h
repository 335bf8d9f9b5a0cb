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
  const std::vector<ServerInfo>& servers() const { return servers_; }

  // Effective weight of a server on the map scale: ceil(user weight / gcd).
  uint32_t eweight(int idx) const;

 private:
  std::vector<ServerInfo> servers_;
  bool all_backups_;
  uint32_t gcd_ = 1;
  std::vector<int> table_;
  size_t size_ = 0;
  std::vector<int> members_;      // scratch: usable servers of the chosen group
  std::vector<int64_t> score_;    // scratch: per member
};

}  // namespace portero::lb
