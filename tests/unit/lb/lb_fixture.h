#pragma once
// A backend of named servers with their runtime states, for driving a balancer in tests.
#include <deque>
#include <memory>
#include <span>
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
  int32_t id = 0;          // `id N`; 0 = assigned
};

// An RDP connection request (TPKT + X.224 header) carrying `line` (e.g. "Cookie: mstshash=x")
// and an RDP negotiation request, as mstsc sends it.
inline std::string rdp_connection_request(const std::string& line) {
  std::string body = line + "\r\n" + std::string("\x01\x00\x08\x00\x03\x00\x00\x00", 8);
  std::string x224 = {static_cast<char>(6 + body.size()), '\xe0', 0, 0, 0, 0, 0};
  size_t total = 4 + x224.size() + body.size();
  return std::string{3, 0, static_cast<char>(total >> 8), static_cast<char>(total & 0xff)} + x224 + body;
}

// Splits "a b c" on spaces.
inline std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    size_t j = line.find(' ', i);
    if (j == std::string::npos) j = line.size();
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

class Farm {
 public:
  // `balance` is the rest of a `balance` line ("uri len 6 whole"); `hash_type` the rest of a
  // `hash-type` line ("consistent crc32"), empty for the default.
  Farm(const std::string& balance, std::vector<ServerSpec> specs, bool allbackups = false,
       const std::string& hash_type = "", uint32_t balance_factor = 0) {
    backend_.kind = config::Proxy::Kind::backend;
    backend_.name = "b";
    auto w = words(balance);
    backend_.balance.algorithm = w.empty() ? "roundrobin" : w[0];
    backend_.balance.args.assign(w.begin() + (w.empty() ? 0 : 1), w.end());
    backend_.allbackups = allbackups;
    backend_.hash_balance_factor = balance_factor;
    auto h = words(hash_type);
    if (!h.empty()) backend_.hash_type.method = h[0];
    for (size_t i = 1; i < h.size(); ++i) {
      if (h[i] == "avalanche") backend_.hash_type.avalanche = true;
      else backend_.hash_type.function = h[i];
    }

    for (const auto& s : specs) {
      config::Server srv;
      srv.name = s.name;
      srv.weight = s.weight;
      srv.backup = s.backup;
      srv.disabled = s.disabled;
      srv.maxconn = s.maxconn;
      if (s.id) srv.id = s.id;
      backend_.servers.push_back(srv);
      auto& st = states_.emplace_back();
      st.user_weight = s.weight;
      if (s.disabled) st.admin = AdminState::maint;
      ptrs_.push_back(&st);
    }
    balancer_ = make_balancer(backend_, ptrs_, error_);
  }

  Balancer* balancer() { return balancer_.get(); }
  config::Proxy& backend() { return backend_; }
  std::span<ServerState* const> states() { return ptrs_; }
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
