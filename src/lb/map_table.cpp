#include "map_table.h"

#include <numeric>

namespace portero::lb {

MapTable::MapTable(std::vector<ServerInfo> servers, bool all_backups)
    : servers_(std::move(servers)), all_backups_(all_backups) {
  // gcd of the non-zero weights; 1 when every weight is zero.
  uint32_t g = 0;
  for (const auto& s : servers_)
    if (uint32_t w = user_weight(*s.state)) g = std::gcd(g, w);
  gcd_ = g ? g : 1;

  size_t capacity = 0;
  for (size_t i = 0; i < servers_.size(); ++i) capacity += eweight(static_cast<int>(i));
  table_.resize(capacity);
  members_.reserve(servers_.size());
  score_.reserve(servers_.size());
  rebuild();
}

uint32_t MapTable::eweight(int idx) const {
  return (user_weight(*servers_[idx].state) + gcd_ - 1) / gcd_;
}

void MapTable::rebuild() {
  // Group choice (COMPAT §1.3): actives if any is usable; else the first usable backup alone
  // sets the table length (without `option allbackups`), but the fill still runs over every
  // usable backup -- HAProxy's quirk, reproduced on purpose.
  uint32_t active_weight = 0, backup_weight = 0, first_backup_weight = 0;
  int actives = 0;
  bool have_first_backup = false;
  for (size_t i = 0; i < servers_.size(); ++i) {
    uint32_t w = eweight(static_cast<int>(i));
    if (!usable_with(*servers_[i].state, w)) continue;
    if (servers_[i].backup) {
      if (!have_first_backup && !all_backups_) {
        have_first_backup = true;
        first_backup_weight = w;
      }
      backup_weight += w;
    } else {
      ++actives;
      active_weight += w;
    }
  }
  bool want_backup = actives == 0;
  size_t tot = actives ? active_weight : have_first_backup ? first_backup_weight : backup_weight;

  members_.clear();
  for (size_t i = 0; i < servers_.size(); ++i)
    if (servers_[i].backup == want_backup &&
        usable_with(*servers_[i].state, eweight(static_cast<int>(i))))
      members_.push_back(static_cast<int>(i));

  size_ = 0;
  used_ = actives ? actives : have_first_backup ? 1 : static_cast<int>(members_.size());
  if (tot == 0 || members_.empty()) return;
  if (tot > table_.size()) table_.resize(tot);   // weights raised above their initial value
  size_ = tot;

  score_.assign(members_.size(), 0);
  const int64_t t = static_cast<int64_t>(tot);
  for (size_t slot = 0; slot < tot; ++slot) {
    size_t best = 0;
    int64_t max = 0;
    bool found = false;
    for (size_t m = 0; m < members_.size(); ++m) {
      if (tot == 1) {   // a single slot: the first member, without scoring
        best = m;
        found = true;
        break;
      }
      score_[m] += eweight(members_[m]);
      int64_t v = (score_[m] + t) / t;
      if (!found || v > max) {   // strict: the earlier server wins ties
        best = m;
        max = v;
        found = true;
      }
    }
    table_[slot] = members_[best];
    score_[best] -= t;
  }
}

int MapTable::next_rr(size_t& pos, int avoid) const {
  const size_t tot = size_;
  if (tot == 0) return -1;
  if (pos >= tot) pos = 0;
  // Take the next slot whose server is not full and not the one to avoid. The avoided server is
  // kept as a fallback, as is the last non-full one seen (HAProxy returns that one when every
  // other slot is full or avoided).
  size_t idx = pos;
  int fallback = -1;
  size_t fallback_next = 0;
  do {
    int s = table_[idx++];
    if (!is_full(servers_[s])) {
      fallback = s;
      fallback_next = idx;
      if (s != avoid) {
        pos = idx;
        return s;
      }
    }
    if (idx == tot) idx = 0;
  } while (idx != pos);
  if (fallback >= 0) pos = fallback_next;
  return fallback;
}

}  // namespace portero::lb
