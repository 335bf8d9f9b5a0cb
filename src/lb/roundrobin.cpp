// `balance roundrobin`: HAProxy's "fast weighted round robin" (COMPAT.md §1.5), reproduced so
// that the same weights give the same sequence of picks, including after state and weight
// changes (§1.11).
//
// How it works. Each group (active servers, backup servers) hands out positions 0,1,2,... in
// windows of `curr_weight` (the sum of effective weights when the window opened). A server of
// effective weight w that was served at position p is due again at p + total/w; the fraction
// carries over in `rweight` so long-run shares are exact. Three ordered sets per group:
//   curr - servers with a due position in this window, ordered by that position (then weight);
//   init - servers not yet served in this window, heaviest first (they start the window);
//   next - servers due only after the window ends, heaviest first; becomes `init` when the
//          window is exhausted (the two are swapped, no copying).
// Ties keep insertion order. Each set is an IndexedHeap sized for every server, so a pick costs
// O(log n) and never allocates.
//
// Integer arithmetic mirrors HAProxy's C types on purpose (signed positions, unsigned weights,
// unsigned 32-bit keys): the pick order after some weight changes depends on it.
#include <cstdint>
#include <vector>

#include "algorithms.h"
#include "indexed_heap.h"
#include "server_view.h"

namespace portero::lb {
namespace {

// Effective weights are user weights scaled by 16 so that slow-start can ramp them smoothly.
constexpr uint32_t weight_scale = 16;
constexpr uint32_t max_eweight = max_user_weight * weight_scale;   // 4096
constexpr uint32_t key_range = max_user_weight;                    // 256 keys per position

// Signed numerator, unsigned divisor: C converts the numerator to unsigned first.
inline int32_t udiv(int32_t a, uint32_t b) { return static_cast<int32_t>(static_cast<uint32_t>(a) / b); }
inline int32_t umod(int32_t a, uint32_t b) { return static_cast<int32_t>(static_cast<uint32_t>(a) % b); }

class RoundRobin final : public Balancer {
 public:
  RoundRobin(std::vector<ServerInfo> servers, bool all_backups)
      : info_(std::move(servers)),
        srv_(info_.size()),
        act_(static_cast<int>(info_.size())),
        bck_(static_cast<int>(info_.size())),
        all_backups_(all_backups) {
    full_.reserve(info_.size());
    uint32_t act_weight = 0, bck_weight = 0;
    for (size_t i = 0; i < info_.size(); ++i) {
      Srv& s = srv_[i];
      s.eweight = dynamic_eweight(*info_[i].state);
      s.usable = usable_with(*info_[i].state, s.eweight);
      s.next_eweight = s.eweight;
      s.next_usable = s.usable;
      if (!s.usable) continue;
      if (info_[i].backup) {
        if (bck_.count == 0 && !all_backups_) first_backup_ = static_cast<int>(i);
        ++bck_.count;
        bck_weight += s.eweight;
      } else {
        ++act_.count;
        act_weight += s.eweight;
      }
    }
    act_.curr_pos = act_.curr_weight = act_.next_weight = static_cast<int32_t>(act_weight);
    bck_.curr_pos = bck_.curr_weight = bck_.next_weight = static_cast<int32_t>(bck_weight);
    // Every usable server starts in its group's init set, heaviest first, then in order.
    for (size_t i = 0; i < info_.size(); ++i) {
      if (!srv_[i].usable) continue;
      Group& g = group_of(static_cast<int>(i));
      queue_by_weight(g, init_of(g), static_cast<int>(i));
    }
  }

  // The slot's server is in maintenance (in no tree): only its facts change.
  void set_server(int idx, const config::Server& s) override { describe_server(info_[size_t(idx)], s); }

  int pick(const PickContext&, int avoid) override {
    Group* g;
    if (act_.count > 0) {
      g = &act_;
    } else if (first_backup_ >= 0) {
      return first_backup_;   // without `option allbackups` only the first backup serves
    } else if (bck_.count > 0) {
      g = &bck_;
    } else {
      return kNoServer;
    }

    // Servers taken out because they are full or to be avoided; put back afterwards so they
    // keep (or lose, after a window switch) their place.
    full_.clear();
    bool switched = false;
    int avoided = -1;
    int chosen = -1;
    for (;;) {
      if (g->curr_weight == 0) g->curr_pos = g->curr_weight = g->next_weight;
      chosen = candidate(*g);
      if (chosen < 0) {
        if (switched) {
          chosen = avoided;
          break;
        }
        // The window is exhausted: the servers due later start the next one. Only once per
        // pick, so a group of full servers cannot loop forever.
        switched = true;
        g->init ^= 1;
        g->curr_weight = g->next_weight;
        g->curr_pos = g->curr_weight;
        continue;
      }
      advance(*g, chosen);
      dequeue(*g, chosen);
      ++g->curr_pos;
      if (!is_full(info_[chosen])) {
        if (chosen != avoid || avoided >= 0) break;
        avoided = chosen;   // usable, but only if nothing else is
      }
      full_.push_back(chosen);
    }
    if (chosen >= 0) queue(*g, chosen);
    // Put back in reverse order of removal: ties among equal keys then come out as HAProxy's.
    for (size_t k = full_.size(); k-- > 0;) {
      int f = full_[k];
      if (f == chosen) continue;
      if (switched)
        queue_by_weight(*g, init_of(*g), f);   // their place in the old window is gone
      else
        queue(*g, f);                          // as if served, so they are not asked again
    }
    return chosen >= 0 ? chosen : kAllFull;   // every usable server is at its maxconn
  }

  void refresh() override {
    // Snapshot every server first: the first-backup search looks at servers not yet updated.
    for (size_t i = 0; i < info_.size(); ++i) {
      Srv& s = srv_[i];
      s.next_eweight = dynamic_eweight(*info_[i].state);
      s.next_usable = usable_with(*info_[i].state, s.next_eweight);
    }
    for (size_t i = 0; i < info_.size(); ++i) {
      Srv& s = srv_[i];
      if (s.next_usable == s.usable && s.next_eweight == s.eweight) continue;
      if (!s.usable && s.next_usable)
        server_up(static_cast<int>(i));
      else if (s.usable && !s.next_usable)
        server_down(static_cast<int>(i));
      else if (s.usable)
        weight_changed(static_cast<int>(i));
      s.usable = s.next_usable;
      s.eweight = s.next_eweight;
    }
  }

 private:
  enum Tree : int8_t { none = -1, curr = 0, tree0 = 1, tree1 = 2 };

  struct Srv {
    int32_t npos = 0;       // next position at which the server is due (0: not yet placed)
    int32_t lpos = 0;       // position at which it was last served
    int32_t rweight = 0;    // carried remainder of total/eweight
    uint32_t eweight = 0;   // committed effective weight
    bool usable = false;    // committed usability
    uint32_t next_eweight = 0;   // what refresh() read; equal to eweight outside refresh()
    bool next_usable = false;
    Tree tree = none;       // set it belongs to; kept while temporarily dequeued by a pick
  };

  struct Group {
    explicit Group(int n) : curr(n), trees{IndexedHeap(n), IndexedHeap(n)} {}
    int32_t curr_pos = 0, curr_weight = 0, next_weight = 0;
    IndexedHeap curr;
    IndexedHeap trees[2];
    int init = 0;     // trees[init] is "init", trees[init ^ 1] is "next"
    int count = 0;    // usable servers
  };

  Group& group_of(int i) { return info_[i].backup ? bck_ : act_; }
  static Tree init_of(const Group& g) { return g.init == 0 ? tree0 : tree1; }
  static Tree next_of(const Group& g) { return g.init == 0 ? tree1 : tree0; }
  static IndexedHeap& heap(Group& g, Tree t) { return t == curr ? g.curr : g.trees[t - tree0]; }

  // The server to serve next: the earliest due in `curr` if its turn has come, else the
  // heaviest not yet served in this window, else whatever `curr` holds (possibly none).
  int candidate(Group& g) {
    int s1 = g.curr.top();
    if (s1 >= 0 && srv_[s1].eweight != 0 && srv_[s1].npos <= g.curr_pos) return s1;
    int s2 = heap(g, init_of(g)).top();
    if (s2 >= 0 && srv_[s2].eweight != 0) {
      srv_[s2].npos = srv_[s2].rweight = 0;
      return s2;
    }
    return s1;
  }

  // Computes when server `i`, served now, is due again.
  void advance(Group& g, int i) {
    Srv& s = srv_[i];
    if (s.eweight == 0) return;
    if (s.npos == 0) s.npos = g.curr_pos;   // first time in this window
    s.lpos = s.npos;
    s.npos += udiv(g.next_weight, s.eweight);
    s.rweight += umod(g.next_weight, s.eweight);
    if (static_cast<uint32_t>(s.rweight) >= s.eweight) {
      s.rweight -= static_cast<int32_t>(s.eweight);
      ++s.npos;
    }
  }

  // Removes from its set but remembers which set it was in.
  void dequeue(Group& g, int i) {
    if (srv_[i].tree != none) heap(g, srv_[i].tree).erase(i);
  }

  void queue_by_weight(Group& g, Tree t, int i) {
    heap(g, t).push(i, max_eweight - srv_[i].next_eweight);
    srv_[i].tree = t;
  }

  // Files server `i` by its due position: in `curr` if it falls in this window (and in the
  // next one's theoretical size), else in `next` with the position made relative to it.
  void queue(Group& g, int i) {
    Srv& s = srv_[i];
    if (!s.next_usable) {
      s.tree = none;
    } else if (s.next_eweight == 0 || s.npos >= 2 * g.curr_weight ||
               s.npos >= g.curr_weight + g.next_weight) {
      s.npos -= g.curr_weight;
      queue_by_weight(g, next_of(g), i);
    } else {
      uint32_t key = key_range * static_cast<uint32_t>(s.npos) +
                     static_cast<uint32_t>(max_eweight + s.rweight - s.next_eweight) / weight_scale;
      g.curr.push(i, key);
      s.tree = curr;
    }
  }

  // Brings npos into the current window's frame before requeueing after a change.
  void take_out(Group& g, int i) {
    Srv& s = srv_[i];
    if (s.tree == init_of(g))
      s.npos = s.rweight = 0;
    else if (s.tree == next_of(g))
      s.npos += g.curr_weight;
    else if (s.tree == none)
      s.npos = g.curr_pos;
  }

  // A server returning: placed a fair distance ahead so it does not get a burst.
  void place_returning(Group& g, int i) {
    Srv& s = srv_[i];
    take_out(g, i);
    s.npos = g.curr_pos + udiv(g.next_weight + g.curr_weight - g.curr_pos, s.next_eweight);
    queue(g, i);
  }

  void server_up(int i) {
    Group& g = group_of(i);
    g.next_weight += static_cast<int32_t>(srv_[i].next_eweight);
    ++g.count;
    // Without allbackups, the first usable backup in declaration order is the only one used.
    if (info_[i].backup && !all_backups_ && (first_backup_ < 0 || i < first_backup_))
      first_backup_ = i;
    place_returning(g, i);
  }

  void server_down(int i) {
    Group& g = group_of(i);
    g.next_weight -= static_cast<int32_t>(srv_[i].eweight);
    --g.count;
    if (i == first_backup_) {
      first_backup_ = -1;
      for (size_t j = i + 1; j < info_.size(); ++j)
        if (info_[j].backup && srv_[j].next_usable) {
          first_backup_ = static_cast<int>(j);
          break;
        }
    }
    dequeue(g, i);
    srv_[i].tree = none;
  }

  void weight_changed(int i) {
    Group& g = group_of(i);
    Srv& s = srv_[i];
    g.next_weight = g.next_weight - static_cast<int32_t>(s.eweight) + static_cast<int32_t>(s.next_eweight);
    if (s.tree == init_of(g)) {
      dequeue(g, i);
      queue_by_weight(g, init_of(g), i);   // only its weight matters there
    } else if (s.tree == none) {
      place_returning(g, i);
    } else {
      // Still due in this window or the next: move its due position to reflect the new
      // weight, never later than it was and never right now.
      take_out(g, i);
      int32_t prev_next = s.npos;
      int32_t step = udiv(g.next_weight, s.next_eweight);
      s.npos = s.lpos + step;
      s.rweight = 0;
      if (s.npos > prev_next) s.npos = prev_next;
      if (s.npos < g.curr_pos + 2) s.npos = g.curr_pos + step;
      dequeue(g, i);
      queue(g, i);
    }
  }

  std::vector<ServerInfo> info_;
  std::vector<Srv> srv_;
  Group act_, bck_;
  bool all_backups_;
  int first_backup_ = -1;   // only without allbackups; -1 when no backup is usable
  std::vector<int> full_;   // scratch for pick(), reserved for every server
};

}  // namespace

std::unique_ptr<Balancer> make_roundrobin(const config::Proxy& backend,
                                          std::span<ServerState* const> states, std::string&) {
  return std::make_unique<RoundRobin>(describe_servers(backend, states), backend.allbackups);
}

}  // namespace portero::lb
