// Health check keywords as the config module stores them, and the errors HAProxy 2.6.12 gives
// for them (captured with haproxy -c on the same lines).
#include <doctest/doctest.h>

#include "portero/config/load.h"

using namespace portero::config;

namespace {
const char* kHead =
    "global\n  external-check\ndefaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n"
    "backend b\n";   // the next line is line 9
std::vector<std::string> run(const std::string& line, ConfigPtr* out = nullptr) {
  Diagnostics d;
  auto c = load_text(std::string(kHead) + "  " + line + "\n", "c.cfg", d);
  if (out) *out = c;
  std::vector<std::string> m;
  for (const auto& x : d.all())
    if (x.severity == Severity::alert) m.push_back(format(x, 7));
  return m;
}
std::string alert(const std::string& text) { return "[ALERT]    (7) : config : " + text; }
}  // namespace

TEST_CASE("check server options are stored") {
  ConfigPtr c;
  CHECK(run("server s 127.0.0.1:80 check inter 3s fastinter 1s downinter 5s rise 4 fall 5 port 81 addr 127.0.0.2 "
            "check-send-proxy agent-check agent-port 82 agent-inter 2s agent-send hello agent-addr 127.0.0.3 "
            "observe layer7 error-limit 5 on-error mark-down on-marked-down shutdown-sessions "
            "on-marked-up shutdown-backup-sessions", &c)
            .empty());
  REQUIRE(c);
  const Server& s = c->proxies[0].servers[0];
  CHECK(s.check);
  CHECK(s.inter == 3000);
  CHECK(s.fastinter == 1000u);
  CHECK(s.downinter == 5000u);
  CHECK(s.rise == 4);
  CHECK(s.fall == 5);
  CHECK(s.check_port == 81);
  CHECK(s.check_addr == "127.0.0.2");
  CHECK(s.check_send_proxy);
  CHECK(s.agent_check);
  CHECK(s.agent_port == 82);
  CHECK(s.agent_inter == 2000u);
  CHECK(s.agent_send == "hello");
  CHECK(s.agent_addr == "127.0.0.3");
  CHECK(s.observe == Server::Observe::layer7);
  CHECK(s.error_limit == 5);
  CHECK(s.on_error == Server::OnError::mark_down);
  CHECK(s.on_marked_down_shutdown);
  CHECK(s.on_marked_up_shutdown_backup);
}

TEST_CASE("check server option errors [haproxy -c]") {
  CHECK(run("server s 127.0.0.1:80 check inter")[0] == alert("[c.cfg:9] : 'server b/s' : 'inter' expects a delay as argument.."));
  CHECK(run("server s 127.0.0.1:80 check inter 0")[0] ==
        alert("[c.cfg:9] : 'server b/s' : invalid value 0 for argument 'inter' of server s.."));
  CHECK(run("server s 127.0.0.1:80 check rise 0")[0] == alert("[c.cfg:9] : 'server b/s' : 'rise' has to be > 0.."));
  CHECK(run("server s 127.0.0.1:80 check agent-port")[0] ==
        alert("[c.cfg:9] : 'server b/s' : 'agent-port' expects a port number as argument.."));
  CHECK(run("server s 127.0.0.1:80 check agent-inter 0")[0] ==
        alert("[c.cfg:9] : 'server b/s' : invalid value 0 for argument 'agent-inter' of server s.."));
  CHECK(run("server s 127.0.0.1:80 check agent-send")[0] ==
        alert("[c.cfg:9] : 'server b/s' : 'agent-send' expects a string as argument.."));
  CHECK(run("server s 127.0.0.1:80 check observe foo")[0] ==
        alert("[c.cfg:9] : 'server b/s' : 'observe' expects one of 'none', 'layer4', 'layer7' but got 'foo'."));
  CHECK(run("server s 127.0.0.1:80 check error-limit 0")[0] == alert("[c.cfg:9] : 'server b/s' : error-limit has to be > 0.."));
  CHECK(run("server s 127.0.0.1:80 check on-error foo")[0] ==
        alert("[c.cfg:9] : 'server b/s' : 'on-error' expects one of 'fastinter', 'fail-check', 'sudden-death' or "
              "'mark-down' but got 'foo'."));
  CHECK(run("server s 127.0.0.1:80 check on-marked-down foo")[0] ==
        alert("[c.cfg:9] : 'server b/s' : 'on-marked-down' expects 'shutdown-sessions' but got 'foo'."));
  CHECK(run("server s 127.0.0.1:80 check agent-check")[0] ==
        alert("[c.cfg:9] : 'server b/s' : server s does not have agent port. Agent check has been disabled."));
}

TEST_CASE("http-check / tcp-check / external-check errors [haproxy -c]") {
  CHECK(run("http-check expect")[0] ==
        alert("parsing [c.cfg:9] : 'http-check expect' : expects at least a matching pattern as arguments."));
  CHECK(run("http-check expect status")[0] ==
        alert("parsing [c.cfg:9] : 'http-check expect' : 'status' expects a <pattern> as argument."));
  CHECK(run("http-check send meth")[0] == alert("parsing [c.cfg:9] : 'http-check send' : 'meth' expects a string as argument.."));
  CHECK(run("http-check disable-on-404 x")[0] == alert("parsing [c.cfg:9] : 'http-check' cannot handle unexpected argument 'x'."));
  CHECK(run("tcp-check expect")[0] ==
        alert("parsing [c.cfg:9] : 'tcp-check expect' : expects at least a matching pattern as arguments."));
  CHECK(run("tcp-check send")[0] == alert("parsing [c.cfg:9] : 'tcp-check send' : 'string' expects a send as argument."));
  CHECK(run("external-check foo")[0] ==
        alert("parsing [c.cfg:9] : 'external-check' only supports 'command' and 'path'. but got 'foo'."));
  CHECK(run("external-check command")[0] == alert("parsing [c.cfg:9] : missing argument after 'command'."));
  CHECK(run("option httpchk GET / HTTP/1.1 extra")[0] ==
        alert("parsing [c.cfg:9] : 'option httpchk' cannot handle unexpected argument 'extra'."));
  CHECK(run("option external-check")[0] ==
        alert("Proxy 'b' : 'option external-check' unable to find required 'external-check command'."));
}

TEST_CASE("check setups are stored") {
  ConfigPtr c;
  CHECK(run("option httpchk GET /health HTTP/1.1\\r\\nHost:\\ www.example.com", &c).empty());
  REQUIRE(c);
  const auto& k = c->proxies[0].checks;
  CHECK(k.kind == CheckSetup::Kind::http);
  CHECK(k.method == "GET");
  CHECK(k.uri == "/health");
  CHECK(k.version == "HTTP/1.1\r\nHost: www.example.com");
  CHECK(run("http-check expect !rstatus ^5", &c).empty());
  REQUIRE(c->proxies[0].checks.expects.size() == 1);
  CHECK(c->proxies[0].checks.expects[0].negate);
  CHECK(run("tcp-check send-binary 0a0D", &c).empty());
  CHECK(c->proxies[0].checks.tcp_rules[0].data == "\n\r");
}
