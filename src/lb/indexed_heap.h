#pragma once
// A min-heap of server indices with O(log n) insert, erase-anywhere and O(1) min, sized once
// for a fixed number of servers so that no operation allocates. Equal keys come out in the
// order they went in (a per-heap insertion counter breaks ties): HAProxy's ebtrees keep
// duplicates FIFO and the pick order of FWRR depends on it. Worker-local, like its balancer.
#include <cstdint>
#include <utility>
#include <vector>

namespace portero::lb {

class IndexedHeap {
 public:
  explicit IndexedHeap(int capacity) : pos_(capacity, -1) { nodes_.reserve(capacity); }

  bool empty() const { return nodes_.empty(); }
  bool contains(int idx) const { return pos_[idx] >= 0; }
  // Smallest (key, insertion order), or -1 when empty.
  int top() const { return nodes_.empty() ? -1 : nodes_[0].idx; }

  // `idx` must not be in this heap already.
  void push(int idx, uint32_t key) { push(idx, key, seq_++); }

  // Puts back an entry taken out with take_top(), in its old place among equal keys.
  void push(int idx, uint32_t key, uint64_t seq) {
    nodes_.push_back({key, seq, idx});  // never reallocates: reserved for every server
    pos_[idx] = static_cast<int>(nodes_.size()) - 1;
    sift_up(pos_[idx]);
  }

  // Removes the top entry and returns its insertion rank (for push(idx, key, seq)).
  uint64_t take_top() {
    uint64_t seq = nodes_[0].seq;
    erase(nodes_[0].idx);
    return seq;
  }

  // Removes `idx` if present.
  void erase(int idx) {
    int p = pos_[idx];
    if (p < 0) return;
    pos_[idx] = -1;
    int last = static_cast<int>(nodes_.size()) - 1;
    if (p != last) {
      nodes_[p] = nodes_[last];
      pos_[nodes_[p].idx] = p;
      nodes_.pop_back();
      sift_down(p);
      sift_up(p);
    } else {
      nodes_.pop_back();
    }
  }

 private:
  struct Node {
    uint32_t key;
    uint64_t seq;
    int idx;
    bool operator<(const Node& o) const { return key != o.key ? key < o.key : seq < o.seq; }
  };

  void place(int p, const Node& n) {
    nodes_[p] = n;
    pos_[n.idx] = p;
  }
  void sift_up(int p) {
    Node n = nodes_[p];
    while (p > 0) {
      int parent = (p - 1) / 2;
      if (!(n < nodes_[parent])) break;
      place(p, nodes_[parent]);
      p = parent;
    }
    place(p, n);
  }
  void sift_down(int p) {
    Node n = nodes_[p];
    int size = static_cast<int>(nodes_.size());
    for (;;) {
      int c = 2 * p + 1;
      if (c >= size) break;
      if (c + 1 < size && nodes_[c + 1] < nodes_[c]) ++c;
      if (!(nodes_[c] < n)) break;
      place(p, nodes_[c]);
      p = c;
    }
    place(p, n);
  }

  std::vector<Node> nodes_;
  std::vector<int> pos_;   // server index -> slot in nodes_, -1 when absent
  uint64_t seq_ = 0;
};

}  // namespace portero::lb
