// `balance first`: the first server, in order of server id, that has a free connection slot
// (HAProxy's FAS tree is keyed by id). Servers without maxconn never fill up, so everything goes
// to the lowest id; with maxconn the next one takes the overflow. Backups as every algorithm.
#include <algorithm>
#include <numeric>
#include <vector>

#include "algorithms.h"
#include "server_view.h"

namespace portero::lb {
namespace {

class First final : public Balancer {
 public:
  First(std::vector<ServerInfo> servers, bool all_backups, uint32_t fullconn)
      : info_(std::move(servers)), limits_(info_, fullconn), usable_(info_.size()), all_backups_(all_backups) {
    by_id_.resize(info_.size());
    std::iota(by_id_.begin(), by_id_.end(), 0);
    std::stable_sort(by_id_.begin(), by_id_.end(), [&](int a, int b) { return info_[a].puid < info_[b].puid; });
    refresh();
  }

  // A new server in a slot: its id places it in the fill order.
  void set_server(int idx, const config::Server& s) override {
    describe_server(info_[size_t(idx)], s);
    std::stable_sort(by_id_.begin(), by_id_.end(), [&](int a, int b) { return info_[a].puid < info_[b].puid; });
  }

  int pick(const PickContext&, int avoid) override {
    bool want_backup;
    if (act_count_ > 0) want_backup = false;
    else if (first_backup_ >= 0) return first_backup_;
    else if (bck_count_ > 0) want_backup = true;
    else return kNoServer;

    int avoided = -1;
    for (int s : by_id_) {
      if (!usable_[s] || info_[s].backup != want_backup) continue;
      if (limits_.has_room(info_, s)) {
        if (s != avoid) return s;
        avoided = s;
      }
    }
    return avoided >= 0 ? avoided : kAllFull;
  }

  void refresh() override {
    act_count_ = bck_count_ = 0;
    first_backup_ = -1;
    for (size_t i = 0; i < info_.size(); ++i) {
      usable_[i] = usable_with(*info_[i].state, dynamic_eweight(*info_[i].state));
      if (!usable_[i]) continue;
      if (info_[i].backup) {
        if (bck_count_++ == 0 && !all_backups_) first_backup_ = static_cast<int>(i);
      } else {
        ++act_count_;
      }
    }
  }

 private:
  std::vector<ServerInfo> info_;
  ConnLimits limits_;
  std::vector<int> by_id_;
  std::vector<char> usable_;
  bool all_backups_;
  int act_count_ = 0, bck_count_ = 0;
  int first_backup_ = -1;
};

}  // namespace

std::unique_ptr<Balancer> make_first(const config::Proxy& backend, std::span<ServerState* const> states,
                                     std::string&) {
  uint32_t fullconn = backend.fullconn_effective ? backend.fullconn_effective : backend.fullconn;
  return std::make_unique<First>(describe_servers(backend, states), backend.allbackups, fullconn);
}

}  // namespace portero::lb
