#include <doctest/doctest.h>

#include "portero/config/load.h"

using namespace portero::config;

namespace {
ConfigPtr load_ok(const std::string& text, Diagnostics& d) {
  auto c = load_text(text, "t.cfg", d);
  if (!c)
    for (const auto& x : d.all()) MESSAGE(format(x, 1));
  REQUIRE(c);
  return c;
}
const Proxy& by_name(const Config& c, const std::string& n) {
  for (const auto& p : c.proxies)
    if (p.name == n) return p;
  FAIL("no proxy " << n);
  throw 0;
}
const char* kTimeouts = "  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n";
}  // namespace

TEST_CASE("several global sections are merged") {
  Diagnostics d;
  auto c = load_ok("global\n  maxconn 100\nglobal\n  nbthread 2\n  daemon\n", d);
  CHECK(c->global.maxconn == 100u);
  CHECK(c->global.nbthread == 2u);
  CHECK(c->global.daemon);
}

TEST_CASE("a proxy starts from the current defaults; later lines override") {
  Diagnostics d;
  auto c = load_ok(std::string("defaults\n  mode http\n  retries 5\n  option httplog\n") + kTimeouts +
                       "backend b1\n  retries 2\n"
                       "defaults\n  timeout client 2s\n"
                       "backend b2\n",
                   d);
  const auto& b1 = by_name(*c, "b1");
  CHECK(b1.mode == Mode::http);
  CHECK(b1.retries == 2u);
  CHECK(b1.httplog);
  CHECK(b1.timeouts.connect == 1000u);
  // A new defaults section starts from scratch.
  const auto& b2 = by_name(*c, "b2");
  CHECK(b2.mode == Mode::tcp);
  CHECK(b2.retries == 3u);
  CHECK_FALSE(b2.httplog);
  CHECK(b2.timeouts.client == 2000u);
  CHECK_FALSE(b2.timeouts.connect);
}

TEST_CASE("named defaults and `from`") {
  Diagnostics d;
  auto c = load_ok(std::string("defaults web\n  mode http\n") + kTimeouts +
                       "defaults plain\n  mode tcp\n"
                       "backend a from web\n"
                       "backend b\n"
                       "defaults child from web\n  retries 9\n"
                       "backend c from child\n",
                   d);
  CHECK(by_name(*c, "a").mode == Mode::http);
  CHECK(by_name(*c, "b").mode == Mode::tcp);
  CHECK(by_name(*c, "c").mode == Mode::http);
  CHECK(by_name(*c, "c").retries == 9u);
}

TEST_CASE("unknown `from` defaults is an alert") {
  Diagnostics d;
  CHECK_FALSE(load_text("frontend f from nodef\n  bind :1\n", "t.cfg", d));
  CHECK(format(d.all()[0], 9) ==
        "[ALERT]    (9) : config : parsing [t.cfg:1] : defaults section 'nodef' not found for frontend 'f'.");
}

TEST_CASE("binds, servers and rules are never inherited") {
  Diagnostics d;
  auto c = load_ok(std::string("defaults\n  mode http\n  default-server inter 3s\n") + kTimeouts +
                       "backend b\n  server s1 127.0.0.1:80 check\n",
                   d);
  const auto& b = by_name(*c, "b");
  REQUIRE(b.servers.size() == 1);
  CHECK(b.servers[0].inter == 3000u);  // default-server is inherited
  CHECK(b.servers[0].check);
}

TEST_CASE("proxy ids are 1-based in declaration order unless set") {
  Diagnostics d;
  auto c = load_ok("backend a\nbackend b\n  id 1\nbackend c\n", d);
  CHECK(by_name(*c, "b").id == 1u);
  CHECK(by_name(*c, "a").id == 2u);
  CHECK(by_name(*c, "c").id == 3u);
}

TEST_CASE("listen serves itself; default_backend and use_backend are resolved") {
  Diagnostics d;
  auto c = load_ok(std::string("defaults\n  mode http\n") + kTimeouts +
                       "frontend f\n  bind :8080\n  default_backend farm\n  use_backend other if { path /x }\n"
                       "backend farm\n  server s 127.0.0.1:81\nbackend other\nlisten l\n  bind :8081\n",
                   d);
  const auto& f = by_name(*c, "f");
  CHECK(f.default_backend_index == 1);
  REQUIRE(f.use_backends.size() == 1);
  CHECK(f.use_backends[0].backend_index == 2);
  CHECK(f.use_backends[0].condition == std::vector<std::string>{"if", "{", "path", "/x", "}"});
  CHECK(by_name(*c, "l").default_backend_index == 3);
}

TEST_CASE("demo-style http-request return is parsed fully") {
  Diagnostics d;
  auto c = load_ok(std::string("defaults\n  mode http\n") + kTimeouts +
                       "listen r\n  bind :1\n"
                       "  http-request return status 201 content-type text/plain string \"Servidor Real 1\\n\"\n"
                       "  http-request deny deny_status 429 if TRUE\n",
                   d);
  const auto& r = by_name(*c, "r");
  REQUIRE(r.http_request_rules.size() == 2);
  CHECK(r.http_request_rules[0].action == HttpRequestRule::Action::return_);
  CHECK(r.http_request_rules[0].ret.status == 201);
  CHECK(r.http_request_rules[0].ret.content_type == "text/plain");
  CHECK(r.http_request_rules[0].ret.body == "Servidor Real 1\n");
  CHECK(r.http_request_rules[1].action == HttpRequestRule::Action::deny);
  CHECK(r.http_request_rules[1].ret.status == 429);
  CHECK(r.http_request_rules[1].condition == std::vector<std::string>{"if", "TRUE"});
}

TEST_CASE("the classic farm keywords land in Config") {
  Diagnostics d;
  auto c = load_ok(
      "global\n  log 127.0.0.1 local0\n  log 127.0.0.1 local0 notice\n"
      "  stats socket /tmp/h.sock mode 600 level admin expose-fd listeners\n"
      "defaults\n  mode http\n  log global\n  option http-server-close\n"
      "  option forwardfor except 127.0.0.0/8\n  option redispatch\n  timeout client 1m\n"
      "  timeout connect 10s\n  timeout server 1m\n"
      "backend b\n  balance source\n  server real-01 192.168.10.101:80 weight 1 maxconn 512 check\n"
      "  option httpchk\n  stats auth carlos:123456\n",
      d);
  CHECK_FALSE(d.has_warnings());
  REQUIRE(c->global.logs.size() == 2);
  CHECK(c->global.logs[1].level == 5);
  CHECK(c->global.logs[0].facility == 16);
  CHECK(c->global.logs[0].address->port_lo == 514);
  REQUIRE(c->global.stats_sockets.size() == 1);
  CHECK(c->global.stats_sockets[0].mode == 0600u);
  CHECK(c->global.stats_sockets[0].level == "admin");
  CHECK(c->global.stats_sockets[0].expose_fd_listeners);
  const auto& b = by_name(*c, "b");
  CHECK(b.logs.size() == 2);  // `log global` resolved
  CHECK(b.conn_mode == HttpConnMode::server_close);
  CHECK(b.forwardfor.enabled);
  CHECK(b.forwardfor.except_prefix == 8);
  CHECK(b.redispatch);
  CHECK(b.balance.algorithm == "source");
  REQUIRE(b.servers.size() == 1);
  CHECK(b.servers[0].maxconn == 512u);
  CHECK(b.httpchk);
  CHECK(b.stats_auth == std::vector<std::string>{"carlos:123456"});
}

TEST_CASE(".if blocks select lines") {
  Diagnostics d;
  auto c = load_ok(
      "global\n"
      ".if version_atleast(2.4) && !defined(PORTERO_SURELY_UNSET_VAR)\n  maxconn 10\n"
      ".elif 1\n  maxconn 20\n.else\n  maxconn 30\n.endif\n"
      ".if 0\n.if 1\n  nbthread 4\n.endif\n.else\n  nbthread 2\n.endif\n",
      d);
  CHECK(c->global.maxconn == 10u);
  CHECK(c->global.nbthread == 2u);
}
