#pragma once
// A StatsSource over a config text, with fake server states, checker and a fixed clock,
// shared by the stats renderer tests.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "portero/config/load.h"
#include "portero/stats/render.h"

namespace stats_test {

using namespace portero;

// The fixed clock of every test: the process started at kStartMs, "now" is g_now_ms.
constexpr uint64_t kStartMs = 1795554477000ull;
inline uint64_t g_now_ms = kStartMs + 16000;
inline uint64_t fixed_clock() { return g_now_ms; }

class FakeChecker : public check::Checker {
 public:
  std::map<std::pair<int, int>, check::Result> checks, agents;
  void start() override {}
  void stop() override {}
  const check::Result* check(int p, int s) const override {
    auto it = checks.find({p, s});
    return it == checks.end() ? nullptr : &it->second;
  }
  const check::Result* agent(int p, int s) const override {
    auto it = agents.find({p, s});
    return it == agents.end() ? nullptr : &it->second;
  }
  void set_check_enabled(int, int, bool) override {}
  void set_agent_enabled(int, int, bool) override {}
  void force(int, int, bool, Force) override {}
  void leave_maintenance(int, int) override {}
  void enter_maintenance(int, int) override {}
};

struct Fixture {
  config::ConfigPtr cfg;
  std::vector<std::vector<std::unique_ptr<lb::ServerState>>> owned;
  std::unique_ptr<stats::CounterSet> counters;
  FakeChecker checker;
  stats::StatsSource src;

  // `uptime_s`: seconds between the start and "now".
  explicit Fixture(const std::string& text, uint64_t uptime_s = 16) {
    g_now_ms = kStartMs + uptime_s * 1000;
    config::Diagnostics d;
    cfg = config::load_text(text, "t.cfg", d);
    REQUIRE(cfg);
    std::vector<size_t> per_proxy;
    for (const auto& p : cfg->proxies) {
      per_proxy.push_back(p.servers.size());
      auto& v = owned.emplace_back();
      auto& ptrs = src.states.emplace_back();
      for (const auto& s : p.servers) {
        auto st = std::make_unique<lb::ServerState>();
        st->user_weight = s.weight;
        st->maxconn = s.maxconn;
        if (s.disabled) st->admin = lb::AdminState::maint;
        ptrs.push_back(st.get());
        v.push_back(std::move(st));
      }
    }
    counters = std::make_unique<stats::CounterSet>(2, per_proxy);
    src.cfg = cfg.get();
    src.counters = counters.get();
    src.checker = &checker;
    src.process.start_time_ms = kStartMs;
    src.process.pid = 14464;
    // What main() fills in from version.h.
    src.process.version = "0.2.0";
    src.process.release_date = "2026/12/07";
    src.process.build_info = "portero 0.2.0, HAProxy 2.6 compatible";
    stats::set_clock_for_tests(&fixed_clock);
  }
  ~Fixture() { stats::set_clock_for_tests(nullptr); }

  int proxy(const std::string& name) const {
    for (size_t i = 0; i < cfg->proxies.size(); ++i)
      if (cfg->proxies[i].name == name) return static_cast<int>(i);
    FAIL("no proxy " << name);
    return -1;
  }
  lb::ServerState& state(int p, int s) { return *owned[static_cast<size_t>(p)][static_cast<size_t>(s)]; }
};

// A file of golden/ (outputs captured from haproxy 2.6.12).
inline std::string golden(const std::string& name) {
  const std::string dir = std::string(__FILE__).substr(0, std::string(__FILE__).rfind('/'));
  std::ifstream in(dir + "/golden/" + name, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing golden file " << name);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  size_t b = 0;
  while (b < s.size()) {
    size_t e = s.find('\n', b);
    if (e == std::string::npos) e = s.size();
    out.push_back(s.substr(b, e - b));
    b = e + 1;
  }
  return out;
}

}  // namespace stats_test
