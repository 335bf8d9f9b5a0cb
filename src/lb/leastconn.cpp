// `balance leastconn`: HAProxy's FWLC (COMPAT.md §1.6). Usable servers of each group sit in a
// tree keyed by their load relative to their weight:
//   key = inflight ? (inflight + 1) * 4096 / eweight : 0      (eweight = user weight x16)
// and the first server of the tree that has a free slot wins. Equal keys are served in the
// order they were (re)inserted, and a server is re-inserted each time its key changes (a
// request taken or released), so idle servers rotate s1 s2 s3 s1 ...
#include <vector>

#include "algorithms.h"
#include "indexed_heap.h"
#include "server_view.h"

namespace portero::lb {
namespace {

constexpr uint32_t kMaxEweight = max_user_weight * 16;   // 4096

class LeastConn final : public Balancer {
 public:
  // The slot's server is in maintenance (in no tree): only its facts change.
  void set_server(int idx, const config::Server& s) override { describe_server(info_[size_t(idx)], s); }

  LeastConn(std::vector<ServerInfo> servers, bool all_backups, uint32_t fullconn)
      : info_(std::move(servers)),
        limits_(info_, fullconn),
        srv_(info_.size()),
        act_(static_cast<int>(info_.size())),
        bck_(static_cast<int>(info_.size())),
        all_backups_(all_backups) {
    held_.reserve(info_.size());
    for (size_t i = 0; i < info_.size(); ++i) update(static_cast<int>(i));
    find_first_backup();
  }

  int pick(const PickContext&, int avoid) override {
    IndexedHeap* tree;
    if (act_count_ > 0) tree = &act_;
    else if (first_backup_ >= 0) return first_backup_;
    else if (bck_count_ > 0) tree = &bck_;
    else return kNoServer;

    // Walk the tree in order: take entries off the top until one fits, then put them back in
    // their old places.
    int chosen = -1, avoided = -1;
    held_.clear();
    while (!tree->empty()) {
      int s = tree->top();
      if (!info_[s].maxconn ||
          served(info_[s]) < limits_.limit(info_, s) + info_[s].maxqueue) {
        if (s != avoid) {
          chosen = s;
          break;
        }
        avoided = s;
      }
      held_.push_back({s, tree->take_top()});
    }
    for (const Held& h : held_) tree->push(h.idx, srv_[h.idx].key, h.seq);
    if (chosen < 0) chosen = avoided;
    return chosen < 0 ? kAllFull : chosen;
  }

  void refresh() override {
    for (size_t i = 0; i < info_.size(); ++i) update(static_cast<int>(i));
    find_first_backup();
  }

  void on_take(int idx) override { reposition(idx); }
  void on_release(int idx) override { reposition(idx); }
  bool follows_load() const override { return true; }

 private:
  struct Srv {
    uint32_t eweight = 0;   // 0 when not in a tree
    uint32_t key = 0;
  };
  struct Held {
    int idx;
    uint64_t seq;
  };

  IndexedHeap& tree_of(int i) { return info_[i].backup ? bck_ : act_; }

  uint32_t key_for(int i, uint32_t eweight) const {
    uint32_t inflight = served(info_[i]);
    return inflight ? static_cast<uint32_t>((uint64_t(inflight) + 1) * kMaxEweight / eweight) : 0;
  }

  // Applies a usability or weight change of server `i` (a no-op when nothing changed).
  void update(int i) {
    Srv& s = srv_[i];
    uint32_t w = dynamic_eweight(*info_[i].state);
    if (!usable_with(*info_[i].state, w)) w = 0;
    if (w == s.eweight) return;
    int& count = info_[i].backup ? bck_count_ : act_count_;
    if (s.eweight) {
      tree_of(i).erase(i);
      --count;
    }
    s.eweight = w;
    if (w) {
      s.key = key_for(i, w);
      tree_of(i).push(i, s.key);
      ++count;
    }
  }

  void reposition(int i) {
    Srv& s = srv_[i];
    if (!s.eweight) return;
    uint32_t key = key_for(i, s.eweight);
    if (key == s.key) return;
    IndexedHeap& t = tree_of(i);
    t.erase(i);
    s.key = key;
    t.push(i, key);
  }

  void find_first_backup() {
    first_backup_ = -1;
    if (all_backups_) return;
    for (size_t i = 0; i < info_.size(); ++i)
      if (info_[i].backup && srv_[i].eweight) {
        first_backup_ = static_cast<int>(i);
        break;
      }
  }

  std::vector<ServerInfo> info_;
  ConnLimits limits_;
  std::vector<Srv> srv_;
  IndexedHeap act_, bck_;
  int act_count_ = 0, bck_count_ = 0;
  bool all_backups_;
  int first_backup_ = -1;
  std::vector<Held> held_;   // scratch for pick(), reserved for every server
};

}  // namespace

std::unique_ptr<Balancer> make_leastconn(const config::Proxy& backend, std::span<ServerState* const> states,
                                         std::string&) {
  uint32_t fullconn = backend.fullconn_effective ? backend.fullconn_effective : backend.fullconn;
  return std::make_unique<LeastConn>(describe_servers(backend, states), backend.allbackups, fullconn);
}

}  // namespace portero::lb
