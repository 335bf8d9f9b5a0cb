#include "chash_ring.h"

#include <algorithm>

#include "portero/lb/hash.h"

namespace portero::lb {
namespace {
constexpr uint32_t kPointsPerId = max_user_weight * 16;   // 4096 keys reserved per server id
}  // namespace

ChashRing::ChashRing(std::vector<ServerInfo> servers, bool all_backups, uint32_t balance_factor)
    : servers_(std::move(servers)),
      all_backups_(all_backups),
      balance_factor_(balance_factor),
      cap_(servers_.size()),
      eweight_(servers_.size()),
      cum_(servers_.size()) {
  size_t act = 0, bck = 0;
  for (size_t i = 0; i < servers_.size(); ++i) {
    cap_[i] = user_weight(*servers_[i].state) * 16;
    (servers_[i].backup ? bck : act) += cap_[i];
  }
  act_.reserve(act);
  bck_.reserve(bck);
  rebuild();
}

void ChashRing::rebuild() {
  // Remember the round-robin point by key: it survives unless its server left the ring.
  bool had_last = last_ >= 0 && static_cast<size_t>(last_) < root().size();
  uint32_t last_key = had_last ? root()[last_].key : 0;
  bool last_backup = last_backup_;

  act_.clear();
  bck_.clear();
  uint64_t wact = 0, wbck = 0;
  int nact = 0, nbck = 0;
  first_backup_ = -1;
  for (size_t i = 0; i < servers_.size(); ++i) {
    const ServerInfo& s = servers_[i];
    uint32_t w = dynamic_eweight(*s.state);
    if (!usable_with(*s.state, w)) w = 0;
    eweight_[i] = w;
    if (w == 0) continue;
    uint32_t points = std::min(w, cap_[i]);
    auto& ring = s.backup ? bck_ : act_;
    for (uint32_t p = 0; p < points; ++p)
      ring.push_back({full_hash(static_cast<uint32_t>(s.puid) * kPointsPerId + p), static_cast<int>(i)});
    if (s.backup) {
      if (nbck == 0 && !all_backups_) first_backup_ = static_cast<int>(i);
      ++nbck;
      cum_[i] = wbck;
      wbck += w;
    } else {
      ++nact;
      cum_[i] = wact;
      wact += w;
    }
  }
  auto by_key = [](const Point& a, const Point& b) { return a.key < b.key; };
  // Stable: servers added at run time share their points' keys (see set_server); equal keys
  // keep slot order, as HAProxy's tree keeps them in insertion order.
  std::stable_sort(act_.begin(), act_.end(), by_key);
  std::stable_sort(bck_.begin(), bck_.end(), by_key);

  use_backup_ = nact == 0;
  if (nact) {
    tot_weight_ = wact;
    used_ = nact;
  } else if (first_backup_ >= 0) {
    tot_weight_ = eweight_[first_backup_];
    used_ = 1;
  } else {
    tot_weight_ = wbck;
    used_ = nbck;
  }

  last_ = -1;
  if (had_last && last_backup == use_backup_) {
    auto it = std::lower_bound(root().begin(), root().end(), Point{last_key, 0}, by_key);
    if (it != root().end() && it->key == last_key) last_ = static_cast<int>(it - root().begin());
  }
  last_backup_ = use_backup_;
}

bool ChashRing::eligible(int idx) const {
  if (tot_weight_ == 0) return true;
  uint64_t backend_served = 0;
  for (const auto& s : servers_) backend_served += served(s);
  uint64_t slots_total = ((backend_served + 1) * balance_factor_ + 99) / 100;
  uint64_t per_weight = slots_total / tot_weight_;
  uint64_t rem = slots_total % tot_weight_;
  uint64_t w = eweight_[idx], cum = cum_[idx];
  uint64_t slots = w * per_weight + ((cum + w) * rem) / tot_weight_ - (cum * rem) / tot_weight_;
  if (slots == 0) slots = 1;
  return served(servers_[idx]) < slots;
}

int ChashRing::lookup(uint32_t h, int avoid) const {
  if (!use_backup_ || first_backup_ < 0) {
    const auto& ring = root();
    if (ring.empty()) return -1;
    size_t n = ring.size();
    size_t next = std::lower_bound(ring.begin(), ring.end(), Point{h, 0},
                                   [](const Point& a, const Point& b) { return a.key < b.key; }) -
                  ring.begin();
    if (next == n) next = 0;
    size_t prev = next == 0 ? n - 1 : next - 1;
    uint32_t dp = h - ring[prev].key;
    uint32_t dn = ring[next].key - h;
    size_t at = dp <= dn ? prev : next;
    int s = ring[at].srv;
    int loops = 0;
    while (s == avoid || (balance_factor_ && !eligible(s))) {
      if (++at == n) {
        at = 0;
        if (++loops > 1) break;   // went round twice: take what we have
      }
      s = ring[at].srv;
    }
    return s;
  }
  return first_backup_;
}

int ChashRing::next_rr(int avoid) {
  if (use_backup_ && first_backup_ >= 0) return first_backup_;
  const auto& ring = root();
  if (ring.empty()) return -1;
  const int n = static_cast<int>(ring.size());
  int stop = last_;
  int node = last_;
  int avoided = -1, avoided_node = -1;
  do {
    node = (node < 0 || node + 1 >= n) ? 0 : node + 1;
    last_ = node;
    if (stop < 0) stop = node;
    int s = ring[node].srv;
    if (!is_full(servers_[s])) {
      if (s != avoid) return s;
      avoided = s;
      avoided_node = node;
    }
  } while (node != stop);
  if (avoided >= 0) last_ = avoided_node;
  return avoided;
}

}  // namespace portero::lb
