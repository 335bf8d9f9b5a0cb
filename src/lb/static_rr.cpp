// `balance static-rr`: walks the map table (COMPAT.md §1.4) in order. Weights are static: a
// change other than to 0 or back to the initial value is refused by the admin side, and the
// table is rebuilt from scratch on every usability change while the position is kept.
#include "algorithms.h"
#include "map_table.h"

namespace portero::lb {
namespace {

class StaticRr final : public Balancer {
 public:
  explicit StaticRr(MapTable map) : map_(std::move(map)) {}

  int pick(const PickContext&, int avoid) override {
    auto table = map_.table();
    const size_t tot = table.size();
    if (tot == 0) return -1;
    if (next_ >= tot) next_ = 0;

    // Take the next slot whose server is not full and not the one to avoid. The avoided server
    // is kept as a fallback, as is the last non-full one seen (HAProxy returns that one when
    // every other slot is full or avoided).
    size_t idx = next_;
    int fallback = -1;
    size_t fallback_next = 0;
    do {
      int s = table[idx++];
      if (!is_full(map_.servers()[s])) {
        fallback = s;
        fallback_next = idx;
        if (s != avoid) {
          next_ = idx;
          return s;
        }
      }
      if (idx == tot) idx = 0;
    } while (idx != next_);
    if (fallback >= 0) next_ = fallback_next;
    return fallback;
  }

  void refresh() override { map_.rebuild(); }

 private:
  MapTable map_;
  size_t next_ = 0;   // next slot of the table; may equal its size until the next pick
};

}  // namespace

std::unique_ptr<Balancer> make_static_rr(const config::Proxy& backend,
                                         std::span<ServerState* const> states, std::string&) {
  return std::make_unique<StaticRr>(MapTable(describe_servers(backend, states), backend.allbackups));
}

}  // namespace portero::lb
