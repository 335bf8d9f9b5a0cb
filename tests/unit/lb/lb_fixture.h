#pragma once
// A backend of named servers with their runtime states, for driving a balancer in tests.
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "portero/config/config.h"
#include "portero/lb/balancer.h"
#include "portero/lb/server_state.h"

namespace portero::lb::test {

struct ServerSpec {
  std::string name;
  uint32_t weight = 1;
  bool backup = false;
  bool disabled = false;   // starts in maintenance, like `disabled` in haproxy.cfg
  uint32_t maxconn = 0;
};

class Farm {
 public:
  Farm(std::string algorithm, std::vector<ServerSpec> specs, bool allbackups = false) {
    backend_.kind = config::Proxy::Kind::backend;
    backend_.name = "b";
    backend_.balance.algorithm = std::move(algorithm);
    backend_.allbackups = allbackups;
    for (const auto& s : specs) {
      config::Server srv;
      srv.name = s.name;
      srv.weight = s.weight;
      srv.backup = s.backup;
      srv.disabled = s.disabled;
      srv.maxconn = s.maxconn;
      backend_.servers.push_back(srv);
      auto& st = states_.emplace_back();
      st.user_weight = s.weight;
      if (s.disabled) st.admin = AdminState::maint;
      ptrs_.push_back(&st);
    }
    balancer_ = make_balancer(backend_, ptrs_, error_);
  }

  Balancer* balancer() { return balancer_.get(); }
  const std::string& error() const { return error_; }
  ServerState& state(const std::string& name) { return states_[index(name)]; }
  int index(const std::string& name) const {
    for (size_t i = 0; i < backend_.servers.size(); ++i)
      if (backend_.servers[i].name == name) return static_cast<int>(i);
    return -1;
  }
  std::string name(int idx) const { return idx < 0 ? "-" : backend_.servers[idx].name; }

  // `n` picks, names separated by spaces (as capture_rr.py prints them).
  std::string picks(int n, int avoid = -1) {
    std::string out;
    for (int i = 0; i < n; ++i) {
      if (!out.empty()) out += ' ';
      out += name(balancer_->pick(PickContext{}, avoid));
    }
    return out;
  }

  // The admin-socket commands the captures used, applied as the data plane will: change the
  // shared state, then refresh the balancer.
  void set_weight(const std::string& n, uint32_t w) {
    state(n).user_weight = w;
    balancer_->refresh();
  }
  void disable(const std::string& n) {
    state(n).admin = AdminState::maint;
    balancer_->refresh();
  }
  void enable(const std::string& n) {
    state(n).admin = AdminState::ready;
    balancer_->refresh();
  }

 private:
  config::Proxy backend_;
  std::deque<ServerState> states_;   // deque: atomics neither move nor copy
  std::vector<ServerState*> ptrs_;
  std::unique_ptr<Balancer> balancer_;
  std::string error_;
};

}  // namespace portero::lb::test
