// Every row of the table of unimplemented keywords (src/config/unimplemented.cpp), loaded in a
// minimal configuration: a hint is accepted with a notice and no warning, a missing feature is
// an error naming the line, the keyword and what would be lost.
#include <arpa/inet.h>
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>

#include "config/unimplemented.h"
#include "portero/config/load.h"

using namespace portero::config;

namespace {

// Global rows go in `global`, section rows after the proxy, the others inside the `listen`.
std::string config_for(const Unimplemented& row, int& line) {
  std::string global = "global\n";
  std::string listen =
      "defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n"
      "listen l\n  bind :18080\n  server s 127.0.0.1:80\n";
  const bool in_global = row.context == GapContext::global || row.context == GapContext::stats_global ||
                         row.context == GapContext::stats_socket;
  if (in_global) {
    line = 2 + int(std::count(row.example.begin(), row.example.end(), '\n'));
    return global + "  " + std::string(row.example) + "\n" + listen;
  }
  if (row.context == GapContext::section) {
    line = 10;
    // A `program` outside master-worker mode is refused for that (tested below).
    if (row.keyword == "program") {
      global += "  master-worker\n";
      line = 11;
    }
    return global + listen + std::string(row.example) + "\n";
  }
  line = 10;
  return global + listen + "  " + std::string(row.example) + "\n";
}

bool mentions(const Diagnostic& d, const Unimplemented& row) {
  std::string kw(row.keyword);
  if (kw.ends_with('*')) kw.pop_back();
  return d.text.find("'" + kw) != std::string::npos && d.text.find(std::string(row.reason)) != std::string::npos;
}

}  // namespace

TEST_CASE("every row of the unimplemented table is reported as classified") {
  size_t rows = 0;
  for (const auto& row : unimplemented_table()) {
    if (row.example.empty()) continue;  // named-defaults: covered below
    ++rows;
    int line = 0;
    const std::string text = config_for(row, line);
    Diagnostics d;
    auto c = load_text(text, "t.cfg", d);
    INFO("row '" << row.keyword << "' example '" << row.example << "'");
    for (const auto& m : d.all()) INFO(format(m, 1));
    const Diagnostic* hit = nullptr;
    for (const auto& m : d.all())
      if (m.origin && m.origin->line == line && mentions(m, row)) hit = &m;
    REQUIRE(hit != nullptr);
    if (row.kind == GapKind::hint) {
      CHECK(hit->severity == Severity::notice);
      CHECK(hit->text.find("is accepted and ignored by portero") != std::string::npos);
      CHECK(c != nullptr);
      CHECK_FALSE(d.has_errors());
      // HAProxy warns about these too, and so does portero (the same words; see the live test).
      const bool warned_as_haproxy = row.keyword == "mailers" || (row.context == GapContext::server && row.keyword == "tfo");
      CHECK(d.has_warnings() == warned_as_haproxy);
    } else {
      CHECK(hit->severity == Severity::alert);
      CHECK(hit->text.find("is not implemented by portero yet (") != std::string::npos);
      CHECK(c == nullptr);
      CHECK(d.has_errors());
    }
  }
  CHECK(rows > 200);
}

TEST_CASE("the table has one row per keyword and context, each with a reason") {
  std::set<std::pair<int, std::string>> seen;
  for (const auto& row : unimplemented_table()) {
    INFO(row.keyword);
    CHECK_FALSE(row.reason.empty());
    CHECK(seen.insert({int(row.context), std::string(row.keyword)}).second);
  }
}

TEST_CASE("a missing feature names file, line, keyword and what is lost in HAProxy's form") {
  Diagnostics d;
  auto c = load_text("listen l\n  bind :18080 transparent\n  server s 127.0.0.1:80\n", "f.cfg", d);
  CHECK(c == nullptr);
  REQUIRE_FALSE(d.all().empty());
  CHECK(format(d.all().front(), 7) ==
        "[ALERT]    (7) : config : parsing [f.cfg:2] : 'bind' : 'transparent' is not implemented by portero yet "
        "(foreign addresses would not be bound).");
}

TEST_CASE("tcp-request rules in a named defaults section are refused") {
  Diagnostics d;
  auto c = load_text("defaults d\n  tcp-request content reject\nlisten l from d\n  bind :18080\n", "t.cfg", d);
  CHECK(c == nullptr);
  REQUIRE_FALSE(d.all().empty());
  CHECK(d.all().front().text.find("'tcp-request content' : 'named-defaults' is not implemented") != std::string::npos);
}

TEST_CASE("`no option X` of a missing option is accepted: it asks for what portero does") {
  Diagnostics d;
  auto c = load_text("listen l\n  bind :18080\n  no option prefer-last-server\n  server s 127.0.0.1:80\n", "t.cfg", d);
  CHECK(c != nullptr);
  CHECK_FALSE(d.has_errors());
}

TEST_CASE("bind v6only is what every IPv6 bind does: accepted without a word; v4v6 is refused") {
  Diagnostics d;
  auto c = load_text("listen l\n  bind :::18080 v6only\n  server s 127.0.0.1:80\n", "t.cfg", d);
  CHECK(c != nullptr);
  CHECK_FALSE(d.has_errors());
  for (const auto& diag : d.all()) CHECK(diag.text.find("v6only") == std::string::npos);
  Diagnostics e;
  load_text("listen l\n  bind :::18080 v4v6\n  server s 127.0.0.1:80\n", "t.cfg", e);
  CHECK(e.has_errors());
}

TEST_CASE("keywords HAProxy 2.6 does not know are unknown here too") {
  for (const char* kw : {"debug", "ssl-engine rdrand", "anonkey 1", "httpclient.retries 1", "tune.foo 1",
                         "51degrees-data-file x", "ocsp-update.mode on"}) {
    Diagnostics d;
    auto c = load_text(std::string("global\n  ") + kw + "\n", "t.cfg", d);
    INFO(kw);
    CHECK(c == nullptr);
    REQUIRE_FALSE(d.all().empty());
    CHECK(d.all().front().text.starts_with("unknown keyword '"));
  }
}

TEST_CASE("setenv, presetenv, unsetenv change what later lines expand") {
  Diagnostics d;
  auto c = load_text("global\n  setenv PT_UNIMPL_A 7\n  presetenv PT_UNIMPL_A 9\n  maxconn \"${PT_UNIMPL_A}\"\n"
                     "  unsetenv PT_UNIMPL_A\n",
                     "t.cfg", d);
  REQUIRE(c);
  CHECK(c->global.maxconn == 7u);
  CHECK(std::getenv("PT_UNIMPL_A") == nullptr);
}

TEST_CASE("a file whose last line lacks its LF is refused, as HAProxy") {
  const std::string path = "/tmp/portero-unimpl-lf-" + std::to_string(::getpid()) + ".cfg";
  { std::ofstream(path) << "global\n  maxconn 10"; }
  Diagnostics d;
  auto c = load({path}, d);
  std::remove(path.c_str());
  CHECK(c == nullptr);
  REQUIRE_FALSE(d.all().empty());
  CHECK(format(d.all().front(), 1) ==
        "[ALERT]    (1) : config : parsing [" + path + ":2]: Missing LF on last line, file might have been truncated at "
        "position 13.");
}

TEST_CASE("a program section without master-worker is refused with HAProxy's message") {
  Diagnostics d;
  auto c = load_text("global\nlisten l\n  bind :18080\nprogram p\n  command /bin/true\n", "t.cfg", d);
  CHECK(c == nullptr);
  REQUIRE_FALSE(d.all().empty());
  CHECK(format(d.all().front(), 1) ==
        "[ALERT]    (1) : config : Can't use a 'program' section without master worker mode.");
}

TEST_CASE("a time with characters after its unit is taken, with HAProxy's warning") {
  Diagnostics d;
  auto c = load_text("defaults\n  mode http\n  timeout client 15min\n  timeout server 1s\n  timeout connect 1s\n"
                     "listen l\n  bind :18080\n  server s 127.0.0.1:80 check inter 3sec\n",
                     "t.cfg", d);
  REQUIRE(c);
  CHECK_FALSE(d.has_errors());
  REQUIRE(d.all().size() == 2);
  CHECK(format(d.all()[0], 1) ==
        "[WARNING]  (1) : config : unexpected character 'i' after the timer value '15min', only "
        "(us=microseconds,ms=milliseconds,s=seconds,m=minutes,h=hours,d=days) are supported. This will be reported "
        "as an error in next versions.");
  CHECK(format(d.all()[1], 1).starts_with(
        "[WARNING]  (1) : config : [t.cfg:8] : 'server l/s' : unexpected character 'e' after the timer value '3sec'"));
  CHECK(c->proxies.front().timeouts.client == 15u * 60 * 1000);
  CHECK(c->proxies.front().servers.front().inter == 3000u);
}

TEST_CASE("zero-warning is implemented: the loader records it for the start-up decision") {
  Diagnostics d;
  auto c = load_text("global\n  zero-warning\n", "t.cfg", d);
  REQUIRE(c);
  CHECK(c->global.zero_warning);
  CHECK(d.all().empty());
}

TEST_CASE("init-addr: HAProxy's methods in order (last never finds anything, as no state file is read)") {
  const std::string head = "listen l\n  bind :18080\n  server s ";
  struct Case { const char* server; bool ok; bool maint; const char* ip; };
  for (Case k : {Case{"localhost:80 init-addr last,libc,none", true, false, "127.0.0.1"},
                 Case{"localhost:80 init-addr libc", true, false, "127.0.0.1"},
                 Case{"localhost:80 init-addr none", true, true, ""},
                 Case{"localhost:80 init-addr 10.0.0.1", true, false, "10.0.0.1"},
                 Case{"localhost:80 init-addr last", false, false, ""},
                 Case{"127.0.0.1:80 init-addr none", true, false, "127.0.0.1"},
                 Case{"[::1]:80 init-addr none", true, false, "::1"}}) {
    Diagnostics d;
    auto c = load_text(head + k.server + "\n", "t.cfg", d);
    INFO(k.server);
    REQUIRE((c != nullptr) == k.ok);
    if (!k.ok) {
      bool said = false;
      for (const auto& x : d.all()) said = said || x.text == "'server l/s' : no method found to resolve address 'localhost'.";
      CHECK(said);
      continue;
    }
    const Server& s = c->proxies[0].servers[0];
    CHECK(s.start_in_dns_maint == k.maint);
    char buf[64] = {};
    if (s.address.family() == AF_INET)
      inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(s.address.storage).sin_addr, buf, sizeof buf);
    else if (s.address.family() == AF_INET6)
      inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(s.address.storage).sin6_addr, buf, sizeof buf);
    CHECK(std::string(buf) == k.ip);
    CHECK(s.address.port_lo == 80);
  }
  Diagnostics d;
  auto c = load_text("listen l\n  bind :18080\n  default-server init-addr none\n  server s localhost:80\n", "t.cfg", d);
  REQUIRE(c);
  CHECK(c->proxies[0].servers[0].start_in_dns_maint);
}

TEST_CASE("check log-format arguments are refused only when they have something to evaluate") {
  Diagnostics d;
  auto c = load_text("listen l\n  bind :18080\n  option tcp-check\n  tcp-check send-lf hello\n"
                     "  tcp-check expect string-lf ok\n  server s 127.0.0.1:80 check\n",
                     "t.cfg", d);
  CHECK(c != nullptr);
  CHECK_FALSE(d.has_errors());
}
