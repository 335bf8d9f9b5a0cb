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
    if (map_.table().empty()) return kNoServer;
    int s = map_.next_rr(next_, avoid);
    return s < 0 ? kAllFull : s;
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
