// One balancer per backend serves every worker thread, as HAProxy's per-backend LB lock does:
// a round-robin sequence, a leastconn tree and a `first` fill are the same whichever thread
// accepted the connection. The lock is held for a pick (tens of nanoseconds), never across I/O.
#include <mutex>

#include "algorithms.h"

namespace portero::lb {
namespace {

class Serialized final : public Balancer {
 public:
  explicit Serialized(std::unique_ptr<Balancer> inner) : inner_(std::move(inner)), load_(inner_->follows_load()) {}

  int pick(const PickContext& ctx, int avoid) override {
    std::lock_guard<std::mutex> hold(mutex_);
    return inner_->pick(ctx, avoid);
  }
  void refresh() override {
    std::lock_guard<std::mutex> hold(mutex_);
    inner_->refresh();
  }
  void set_server(int idx, const config::Server& s) override {
    std::lock_guard<std::mutex> hold(mutex_);
    inner_->set_server(idx, s);
  }
  // Only the algorithms that order servers by their load hear of each request: the others
  // cost no lock here.
  void on_take(int idx) override {
    if (!load_) return;
    std::lock_guard<std::mutex> hold(mutex_);
    inner_->on_take(idx);
  }
  void on_release(int idx) override {
    if (!load_) return;
    std::lock_guard<std::mutex> hold(mutex_);
    inner_->on_release(idx);
  }
  bool follows_load() const override { return load_; }

 private:
  std::mutex mutex_;
  std::unique_ptr<Balancer> inner_;
  const bool load_;
};

}  // namespace

std::unique_ptr<Balancer> serialized(std::unique_ptr<Balancer> inner) {
  if (!inner) return inner;
  return std::make_unique<Serialized>(std::move(inner));
}

}  // namespace portero::lb
