#pragma once
// A StatsSource over a config text with real server states and counters (no checker, no
// workers), for the stats page tests.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "portero/config/load.h"
#include "portero/stats/page.h"

namespace web_test {

using namespace portero;

struct Fixture {
  config::ConfigPtr cfg;
  std::vector<std::vector<std::unique_ptr<lb::ServerState>>> owned;
  std::unique_ptr<stats::CounterSet> counters;
  stats::StatsSource src;
  std::vector<std::string> logs;   // what the admin actions logged
  std::vector<std::string> shutdowns;

  explicit Fixture(const std::string& text) {
    config::Diagnostics d;
    cfg = config::load_text(text, "t.cfg", d);
    REQUIRE(cfg);
    std::vector<size_t> per_proxy;
    for (const auto& p : cfg->proxies) {
      per_proxy.push_back(p.servers.size());
      owned.emplace_back();
      src.states.emplace_back();
      for (const auto& s : p.servers) {
        auto st = std::make_unique<lb::ServerState>();
        st->admin = s.disabled ? lb::AdminState::maint : lb::AdminState::ready;
        st->user_weight = s.weight;
        src.states.back().push_back(st.get());
        owned.back().push_back(std::move(st));
      }
    }
    counters = std::make_unique<stats::CounterSet>(1, per_proxy);
    src.cfg = cfg.get();
    src.counters = counters.get();
    src.process.pid = 4242;
    // What main() fills in from version.h.
    src.process.version = "0.2.0";
    src.process.release_date = "2026/12/07";
    src.process.build_info = "portero 0.2.0, HAProxy 2.6 compatible";
    src.log = [this](int, int, std::string_view m) { logs.emplace_back(m); };
    src.shutdown_sessions = [this](int p, int s) {
      shutdowns.push_back(cfg->proxies[p].name + "/" + cfg->proxies[p].servers[s].name);
    };
  }

  int proxy(const std::string& name) const {
    for (size_t i = 0; i < cfg->proxies.size(); ++i)
      if (cfg->proxies[i].name == name) return int(i);
    FAIL("no proxy " << name);
    return -1;
  }
  lb::ServerState& state(const std::string& px, const std::string& srv) {
    const int p = proxy(px);
    const auto& servers = cfg->proxies[p].servers;
    for (size_t i = 0; i < servers.size(); ++i)
      if (servers[i].name == srv) return *owned[p][i];
    FAIL("no server " << srv);
    return *owned[0][0];
  }

  std::string get(const std::string& stats_proxy, const std::string& uri, bool admin = false) {
    stats::PageRequest r;
    r.proxy = proxy(stats_proxy);
    r.method = "GET";
    r.uri = uri;
    r.admin_allowed = admin;
    return stats::serve_page(src, r);
  }
  std::string post(const std::string& stats_proxy, const std::string& uri, const std::string& body, bool admin = true) {
    stats::PageRequest r;
    r.proxy = proxy(stats_proxy);
    r.method = "POST";
    r.uri = uri;
    r.body = body;
    r.admin_allowed = admin;
    return stats::serve_page(src, r);
  }
};

// The config the page tests share: the layout observed on haproxy 2.6.12 while writing them.
inline const char* kConfig = R"(
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe_main
    bind 127.0.0.1:27101
    default_backend be_app
backend be_app
    server s1 127.0.0.1:27111 check
    server s2 127.0.0.1:27112
    server s3 127.0.0.1:27113 backup
    server s4 127.0.0.1:27114 check disabled
listen stats
    bind 127.0.0.1:27102
    stats enable
    stats uri /stats
    stats refresh 5s
    stats admin if TRUE
)";

// The value of header `name` (lower-case) in a raw response, or "" when absent.
inline std::string header(const std::string& resp, const std::string& name) {
  const std::string key = "\r\n" + name + ": ";
  const size_t at = resp.find(key);
  if (at == std::string::npos || at > resp.find("\r\n\r\n")) return "";
  const size_t from = at + key.size();
  return resp.substr(from, resp.find("\r\n", from) - from);
}

inline std::string body_of(const std::string& resp) {
  const size_t at = resp.find("\r\n\r\n");
  return at == std::string::npos ? "" : resp.substr(at + 4);
}

}  // namespace web_test
