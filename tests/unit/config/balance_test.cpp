// Balancing keywords (balance, hash-type, hash-balance-factor, persist, server options,
// tcp-request, redispatch/retries/fullconn): values stored, defaults inherited, and every error
// compared with what haproxy 2.6.12 -c prints for the same line.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "portero/config/load.h"

using namespace portero::config;

namespace {

struct Case {
  std::vector<const char*> lines;   // lines of `backend b`
  std::vector<const char*> expect;  // haproxy's [ALERT]/[WARNING] lines, pid replaced by 0
};

// Generated from `haproxy -c` (Debian haproxy 2.6.12) on the same lines; do not edit by hand:
// regenerate the table with haproxy when a case is added.
const Case kCases[] = {
    {{"balance uri len"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : balance uri : 'len' expects a positive integer (got '')."}},
    {{"balance uri len x"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : balance uri : 'len' expects a positive integer (got 'x')."}},
    {{"balance uri len 0"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : balance uri : 'len' expects a positive integer (got '0')."}},
    {{"balance uri depth -1"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : balance uri : 'depth' expects a positive integer (got '-1')."}},
    {{"balance uri foo"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : balance uri only accepts parameters 'len', 'depth', 'path-only', and 'whole' (got 'foo')."}},
    {{"balance uri depth 2 foo"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : balance uri only accepts parameters 'len', 'depth', 'path-only', and 'whole' (got 'foo')."}},
    {{"balance uri whole path-only len 5 depth 3"}, {}},
    {{"balance url_param"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : balance url_param requires an URL parameter name."}},
    {{"balance url_param id foo"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : balance url_param only accepts 'check_post' modifier (got 'foo')."}},
    {{"balance url_param id check_post 10 x"}, {}},
    {{"balance hdr"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : balance only supports 'roundrobin', 'static-rr', 'leastconn', 'source', 'uri', 'url_param', 'hdr(name)' and 'rdp-cookie(name)' options."}},
    {{"balance hdr("}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : balance hdr requires an http header field name."}},
    {{"balance hdr()"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : balance hdr requires an http header field name."}},
    {{"balance hdr(host"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : balance hdr requires an http header field name."}},
    {{"balance hdr(host) foo"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : balance hdr(host) only accepts 'use_domain_only' modifier (got 'foo')."}},
    {{"balance hdr(host)x foo"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : balance hdr(host)x only accepts 'use_domain_only' modifier (got 'foo')."}},
    {{"balance hdr(host) use_domain_only x"}, {}},
    {{"balance rdp-cookie()"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : balance rdp-cookie : missing cookie name."}},
    {{"balance rdp-cookie(x"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : balance rdp-cookie : missing cookie name."}},
    {{"balance rdp-cookiex"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : balance rdp-cookie : missing cookie name."}},
    {{"balance rdp-cookie(x)y"}, {}},
    {{"balance random(0)"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : balance random : number of draws must be at least 1."}},
    {{"balance random(-1)"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : balance random : number of draws must be at least 1."}},
    {{"balance random(x)"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : balance random : unexpected character 'x' after argument."}},
    {{"balance random(3"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : balance random : missing closing parenthesis."}},
    {{"balance random()"}, {}},
    {{"balance random(0x10)x"}, {}},
    {{"balance roundrobinx"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : balance only supports 'roundrobin', 'static-rr', 'leastconn', 'source', 'uri', 'url_param', 'hdr(name)' and 'rdp-cookie(name)' options."}},
    {{"balance hash"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : balance hash requires a sample expression."}},
    {{"balance source x"}, {}},
    {{"hash-type"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : 'hash-type' only supports 'consistent' and 'map-based'."}},
    {{"hash-type foo"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : 'hash-type' only supports 'consistent' and 'map-based'."}},
    {{"hash-type avalanche"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : experimental feature 'hash-type avalanche' is not supported anymore, please use 'hash-type map-based sdbm avalanche' instead."}},
    {{"hash-type consistent foo"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : 'hash-type' only supports 'sdbm', 'djb2', 'crc32', or 'wt6' hash functions."}},
    {{"hash-type consistent sdbm foo"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : 'hash-type' only supports 'avalanche' as a modifier for hash functions."}},
    {{"hash-type consistent none"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : 'hash-type' only supports 'sdbm', 'djb2', 'crc32', or 'wt6' hash functions."}},
    {{"hash-type consistent avalanche"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : 'hash-type' only supports 'sdbm', 'djb2', 'crc32', or 'wt6' hash functions."}},
    {{"hash-type map-based sdbm avalanche x"}, {}},
    {{"hash-balance-factor"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : 'hash-balance-factor' expects an integer argument."}},
    {{"hash-balance-factor 50"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : 'hash-balance-factor' must be 0 or greater than 100."}},
    {{"hash-balance-factor 100"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : 'hash-balance-factor' must be 0 or greater than 100."}},
    {{"hash-balance-factor -1"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : 'hash-balance-factor' must be 0 or greater than 100."}},
    {{"hash-balance-factor 101"}, {}},
    {{"hash-balance-factor x"}, {}},
    {{"fullconn"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : 'fullconn' expects an integer argument."}},
    {{"retries"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : 'retries' expects an integer argument (dispatch counts for one)."}},
    {{"option allbackups x"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : 'option allbackups' cannot handle unexpected argument 'x'."}},
    {{"option persist x"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : 'option persist' cannot handle unexpected argument 'x'."}},
    {{"option tcplog x"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : 'option tcplog' cannot handle unexpected argument 'x'."}},
    {{"persist"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : missing persist method."}},
    {{"persist foo"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : unknown persist method."}},
    {{"persist rdp-cookie()"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : persist rdp-cookie(name)' requires an rdp cookie name."}},
    {{"persist rdp-cookie(x"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : persist rdp-cookie(name)' requires an rdp cookie name."}},
    {{"persist rdp-cookiex"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : persist rdp-cookie(name)' requires an rdp cookie name."}},
    {{"persist rdp-cookie x"}, {}},
    {{"server s 127.0.0.1:80 weight 257"}, {"[ALERT]    (0) : config : [t.cfg:7] : 'server b/s' : weight of server s is not within 0 and 256 (257).."}},
    {{"server s 127.0.0.1:80 weight -1"}, {"[ALERT]    (0) : config : [t.cfg:7] : 'server b/s' : weight of server s is not within 0 and 256 (-1).."}},
    {{"server s 127.0.0.1:80 weight x"}, {}},
    {{"server s 127.0.0.1:80 weight backup"}, {}},
    {{"server s 127.0.0.1:80 maxconn x"}, {}},
    {{"server s 127.0.0.1:80 minconn x"}, {}},
    {{"server s 127.0.0.1:80 id 0"}, {"[ALERT]    (0) : config : [t.cfg:7] : 'server b/s' : 'id' : custom id has to be > 0."}},
    {{"server s 127.0.0.1:80 id x"}, {"[ALERT]    (0) : config : [t.cfg:7] : 'server b/s' : 'id' : custom id has to be > 0."}},
    {{"server s 127.0.0.1:80 id"}, {"[ALERT]    (0) : config : [t.cfg:7] : 'server b/s' : 'id' : expects an integer argument."}},
    {{"server s 127.0.0.1:80 id -3"}, {"[ALERT]    (0) : config : [t.cfg:7] : 'server b/s' : 'id' : custom id has to be > 0."}},
    {{"server s1 127.0.0.1:80 id 3", "server s2 127.0.0.1:81 id 3"}, {"[ALERT]    (0) : config : [t.cfg:8] : 'server b/s2' : 'id' : custom id 3 already used at t.cfg:7 ('server s1')."}},
    {{"server s 127.0.0.1:80 slowstart x"}, {"[ALERT]    (0) : config : [t.cfg:7] : 'server b/s' : unexpected character 'x' in 'slowstart' argument of server s.."}},
    {{"server s 127.0.0.1:80 slowstart"}, {"[ALERT]    (0) : config : [t.cfg:7] : 'server b/s' : unexpected character '."}},
    {{"server s 127.0.0.1:80 slowstart 10x"}, {"[ALERT]    (0) : config : [t.cfg:7] : 'server b/s' : unexpected character 'x' in 'slowstart' argument of server s.."}},
    {{"server s 127.0.0.1:80 slowstart 0"}, {}},
    {{"server s 127.0.0.1:80 cookie"}, {"[ALERT]    (0) : config : [t.cfg:7] : 'server b/s' : 'cookie' expects <value> as argument.."}},
    {{"server s 127.0.0.1:80 inter 0"}, {"[ALERT]    (0) : config : [t.cfg:7] : 'server b/s' : invalid value 0 for argument 'inter' of server s.."}},
    {{"server s 127.0.0.1:80 inter x"}, {"[ALERT]    (0) : config : [t.cfg:7] : 'server b/s' : unexpected character 'x' in 'agent-inter' argument of server s.."}},
    {{"server s 127.0.0.1:80 inter 1.5s"}, {"[ALERT]    (0) : config : [t.cfg:7] : 'server b/s' : unexpected character '.' in 'agent-inter' argument of server s.."}},
    {{"server s 127.0.0.1:80 inter"}, {"[ALERT]    (0) : config : [t.cfg:7] : 'server b/s' : 'inter' expects a delay as argument.."}},
    {{"server s 127.0.0.1:80 fastinter x"}, {"[ALERT]    (0) : config : [t.cfg:7] : 'server b/s' : unexpected character 'x' in 'agent-inter' argument of server s.."}},
    {{"server s 127.0.0.1:80 fastinter 0"}, {"[ALERT]    (0) : config : [t.cfg:7] : 'server b/s' : invalid value 0 for argument 'fastinter' of server s.."}},
    {{"server s 127.0.0.1:80 downinter"}, {"[ALERT]    (0) : config : [t.cfg:7] : 'server b/s' : 'downinter' expects a delay as argument.."}},
    {{"server s 127.0.0.1:80 rise 0"}, {"[ALERT]    (0) : config : [t.cfg:7] : 'server b/s' : 'rise' has to be > 0.."}},
    {{"server s 127.0.0.1:80 rise x"}, {"[ALERT]    (0) : config : [t.cfg:7] : 'server b/s' : 'rise' has to be > 0.."}},
    {{"server s 127.0.0.1:80 rise"}, {"[ALERT]    (0) : config : [t.cfg:7] : 'server b/s' : 'rise' expects an integer argument.."}},
    {{"server s 127.0.0.1:80 fall 0"}, {"[ALERT]    (0) : config : [t.cfg:7] : 'server b/s' : 'fall' has to be > 0.."}},
    {{"server s 127.0.0.1:80 fall"}, {"[ALERT]    (0) : config : [t.cfg:7] : 'server b/s' : 'fall' expects an integer argument.."}},
    {{"server s 127.0.0.1:80 port x"}, {}},
    {{"server s 127.0.0.1:80 addr"}, {"[ALERT]    (0) : config : [t.cfg:7] : 'server b/s' : 'addr' expects <ipv4|ipv6> as argument.."}},
    {{"server s 127.0.0.1:80 backup x"}, {"[ALERT]    (0) : config : [t.cfg:7] : 'server b/s' : unknown keyword 'x'."}},
    {{"server s 127.0.0.1:80 wieght 3"}, {"[ALERT]    (0) : config : [t.cfg:7] : 'server b/s' : unknown keyword 'wieght'; did you mean 'weight' maybe ?"}},
    {{"server s 127.0.0.1:80 zzzz"}, {"[ALERT]    (0) : config : [t.cfg:7] : 'server b/s' : unknown keyword 'zzzz'."}},
    {{"default-server weight 300"}, {"[ALERT]    (0) : config : [t.cfg:7] : weight of server default-server is not within 0 and 256 (300).."}},
    {{"default-server id 3"}, {"[ALERT]    (0) : config : [t.cfg:7] : 'id' option is not accepted in default-server sections"}},
    {{"default-server slowstart x"}, {"[ALERT]    (0) : config : [t.cfg:7] : unexpected character 'x' in 'slowstart' argument of server default-server.."}},
    {{"default-server inter 0"}, {"[ALERT]    (0) : config : [t.cfg:7] : invalid value 0 for argument 'inter' of server default-server.."}},
    {{"default-server rise 0"}, {"[ALERT]    (0) : config : [t.cfg:7] : 'rise' has to be > 0.."}},
    {{"default-server cookie"}, {"[ALERT]    (0) : config : [t.cfg:7] : 'cookie' expects <value> as argument.."}},
    {{"default-server wieght 3"}, {"[ALERT]    (0) : config : [t.cfg:7] : unknown keyword 'wieght'; did you mean 'weight' maybe ? Hint: no address was expected for this server."}},
    {{"default-server zzzz"}, {"[ALERT]    (0) : config : [t.cfg:7] : unknown keyword 'zzzz'. Hint: no address was expected for this server."}},
    {{"tcp-request"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : missing argument for 'tcp-request' in backend 'b'"}},
    {{"tcp-request foo"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : 'tcp-request' expects 'inspect-delay', 'connection', or 'content' in backend 'b' (got 'foo')"}},
    {{"tcp-request inspect-delay"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : 'tcp-request inspect-delay' expects a positive delay in milliseconds, in backend 'b'"}},
    {{"tcp-request inspect-delay x"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : 'tcp-request inspect-delay' expects a positive delay in milliseconds, in backend 'b' (unexpected character 'x')"}},
    {{"tcp-request inspect-delay 1.5s"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : 'tcp-request inspect-delay' expects a positive delay in milliseconds, in backend 'b' (unexpected character '.')"}},
    {{"tcp-request inspect-delay 5s x"}, {}},
    {{"tcp-request content"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : 'tcp-request content' expects 'accept', 'reject', 'capture', 'expect-proxy', 'expect-netscaler-cip', 'track-sc0' ... 'track-sc2', 'ot-group', 'set-log-level', 'set-nice', 'switch-mode', 'use-service', 'sc-inc-gpc(*)', 'sc-inc-gpc0(*)', 'sc-inc-gpc1(*)', 'sc-set-gpt(*)', 'sc-set-gpt0(*)', 'send-spoe-group', 'do-resolve(*)', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)', 'set-src', 'set-src-port', 'set-dst', 'set-dst-port', 'set-mark', 'set-tos', 'silent-drop', 'set-priority-class', 'set-priority-offset' in backend 'b' (got '')."}},
    {{"tcp-request content foo"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : 'tcp-request content' expects 'accept', 'reject', 'capture', 'expect-proxy', 'expect-netscaler-cip', 'track-sc0' ... 'track-sc2', 'ot-group', 'set-log-level', 'set-nice', 'switch-mode', 'use-service', 'sc-inc-gpc(*)', 'sc-inc-gpc0(*)', 'sc-inc-gpc1(*)', 'sc-set-gpt(*)', 'sc-set-gpt0(*)', 'send-spoe-group', 'do-resolve(*)', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)', 'set-src', 'set-src-port', 'set-dst', 'set-dst-port', 'set-mark', 'set-tos', 'silent-drop', 'set-priority-class', 'set-priority-offset' in backend 'b' (got 'foo')."}},
    {{"tcp-request content accept foo"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : 'tcp-request content accept' only accepts 'if' or 'unless', in backend 'b' (got 'foo')"}},
    {{"tcp-request content accept if"}, {}},
    {{"tcp-request content reject if TRUE"}, {}},
    {{"tcp-request connection accept"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : tcp-request connection is not allowed because backend b is not a frontend"}},
    {{"tcp-request session accept"}, {"[ALERT]    (0) : config : parsing [t.cfg:7] : tcp-request session is not allowed because backend b is not a frontend"}},
};

std::string rtrim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// portero's messages for a config, in haproxy's layout, without the closing summary lines.
std::vector<std::string> messages(const std::string& text, ConfigPtr* out = nullptr) {
  Diagnostics d;
  auto c = load_text(text, "t.cfg", d);
  if (out) *out = c;
  std::vector<std::string> v;
  for (const auto& m : d.all()) {
    if (m.severity == Severity::notice) continue;
    std::string line = rtrim(format(m, 0));
    if (line.find("Error(s) found in configuration file") != std::string::npos ||
        line.find("Fatal errors found in configuration") != std::string::npos)
      continue;
    v.push_back(line);
  }
  return v;
}

const char* kHead =
    "defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\nbackend b\n";

std::string backend(const std::vector<const char*>& lines) {
  std::string t = kHead;
  for (const char* l : lines) t += std::string("  ") + l + "\n";
  return t;
}

ConfigPtr load_ok(const std::string& text) {
  ConfigPtr c;
  auto m = messages(text, &c);
  for (const auto& x : m) MESSAGE(x);
  REQUIRE(c);
  return c;
}

const Proxy& by_name(const Config& c, const std::string& n) {
  for (const auto& p : c.proxies)
    if (p.name == n) return p;
  FAIL("no proxy " << n);
  throw 0;
}

}  // namespace

TEST_CASE("balancing keywords: the same messages as haproxy -c") {
  for (const auto& k : kCases) {
    std::string joined;
    for (const char* l : k.lines) joined += std::string(l) + " | ";
    CAPTURE(joined);
    std::vector<std::string> expect(k.expect.begin(), k.expect.end());
    CHECK(messages(backend(k.lines)) == expect);
  }
}

TEST_CASE("balance: structured arguments") {
  auto b = [](const char* line) { return load_ok(backend({line}))->proxies[0].balance; };
  auto u = b("balance uri whole path-only len 5 depth 3");
  CHECK(u.algorithm == "uri");
  CHECK(u.uri_len == 5u);
  CHECK(u.uri_depth == 3u);
  CHECK(u.uri_whole);
  CHECK(u.uri_path_only);
  CHECK(u.args == std::vector<std::string>{"whole", "path-only", "len", "5", "depth", "3"});
  CHECK(u.origin.line == 7);
  auto p = b("balance url_param sid check_post 10");
  CHECK(p.algorithm == "url_param");
  CHECK(p.param_name == "sid");
  CHECK(p.check_post);
  auto h = b("balance hdr(Host) use_domain_only");
  CHECK(h.algorithm == "hdr");
  CHECK(h.header_name == "Host");
  CHECK(h.use_domain_only);
  CHECK(b("balance hdr(a)b)").header_name == "a");
  auto r = b("balance rdp-cookie");
  CHECK(r.algorithm == "rdp-cookie");
  CHECK(r.rdp_cookie_name == "mstshash");
  CHECK(b("balance rdp-cookie(user)").rdp_cookie_name == "user");
  auto rnd = b("balance random");
  CHECK(rnd.algorithm == "random");
  CHECK(rnd.random_draws == 2u);
  CHECK(b("balance random(5)").random_draws == 5u);
  CHECK(b("balance random(0x10)").random_draws == 16u);
  CHECK(b("balance random()").random_draws == 2u);
  for (const char* a : {"roundrobin", "static-rr", "leastconn", "first", "source"})
    CHECK(b((std::string("balance ") + a).c_str()).algorithm == a);
  CHECK(b("balance").algorithm == "roundrobin");
}

TEST_CASE("balance hash keeps its expression; LVS names get a hint") {
  CHECK(messages(backend({"balance hash req.hdr(host),lower"})).empty());
  // LVS scheduler names: haproxy's message, then the closest algorithm.
  const std::pair<const char*, const char*> lvs[] = {
      {"rr", "roundrobin"}, {"wrr", "roundrobin"}, {"lc", "leastconn"},  {"wlc", "leastconn"}, {"sed", "leastconn"},
      {"nq", "leastconn"},  {"lblc", "leastconn"}, {"sh", "source"},     {"dh", "uri"}};
  for (auto [name, eq] : lvs) {
    auto x = messages(backend({(std::string("balance ") + name).c_str()}));
    REQUIRE(x.size() == 1);
    // haproxy's own text first (the hint is portero's addition).
    CHECK(x[0].starts_with("[ALERT]    (0) : config : parsing [t.cfg:7] : balance only supports 'roundrobin', 'static-rr', "
                           "'leastconn', 'source', 'uri', 'url_param', 'hdr(name)' and 'rdp-cookie(name)' options. ("));
    CHECK(x[0].ends_with(std::string("('") + name + "' is an LVS scheduler name; the closest HAProxy algorithm is 'balance " + eq + "'.)"));
  }
}

TEST_CASE("hash-type defaults and forms") {
  auto h = [](const char* line) { return load_ok(backend({line}))->proxies[0].hash_type; };
  auto none = load_ok(backend({}))->proxies[0].hash_type;
  CHECK(none.method == "map-based");
  CHECK(none.function == "sdbm");
  CHECK_FALSE(none.avalanche);
  auto c = h("hash-type consistent");
  CHECK(c.method == "consistent");
  CHECK(c.function == "sdbm");
  CHECK(c.avalanche);  // implied without a function word
  auto cc = h("hash-type consistent crc32");
  CHECK(cc.function == "crc32");
  CHECK_FALSE(cc.avalanche);
  auto m = h("hash-type map-based djb2 avalanche");
  CHECK(m.method == "map-based");
  CHECK(m.function == "djb2");
  CHECK(m.avalanche);
  CHECK_FALSE(h("hash-type map-based").avalanche);
  CHECK(h("hash-type consistent wt6 avalanche").avalanche);
  CHECK(load_ok(backend({"hash-balance-factor 150"}))->proxies[0].hash_balance_factor == 150u);
  CHECK(load_ok(backend({"hash-balance-factor x"}))->proxies[0].hash_balance_factor == 0u);
  CHECK(load_ok(backend({}))->proxies[0].hash_balance_factor == 0u);
}

TEST_CASE("balance, hash-type and friends are inherited from defaults") {
  auto c = load_ok(
      "defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n"
      "  balance url_param id\n  hash-type consistent djb2\n  hash-balance-factor 125\n  retries 5\n"
      "  option redispatch 2\n  option allbackups\n  option persist\n  persist rdp-cookie(u)\n"
      "  default-server weight 7 maxconn 20 minconn 5 maxqueue 9 slowstart 10s inter 3s rise 4 fall 5 backup\n"
      "backend b\n  server s 127.0.0.1:80\n");
  const Proxy& b = c->proxies[0];
  CHECK(b.balance.algorithm == "url_param");
  CHECK(b.balance.param_name == "id");
  CHECK(b.hash_type.function == "djb2");
  CHECK(b.hash_balance_factor == 125u);
  CHECK(b.retries == 5u);
  CHECK(b.redispatch);
  CHECK(b.redispatch_interval == 2);
  CHECK(b.allbackups);
  CHECK(b.persist);
  CHECK(b.persist_rdp_cookie);
  CHECK(b.persist_rdp_cookie_name == "u");
  const Server& s = b.servers.at(0);
  CHECK(s.weight == 7u);
  CHECK(s.maxconn == 20u);
  CHECK(s.minconn == 5u);
  CHECK(s.maxqueue == 9u);
  CHECK(s.slowstart == 10000u);
  CHECK(s.inter == 3000u);
  CHECK(s.rise == 4u);
  CHECK(s.fall == 5u);
  CHECK(s.backup);
}

TEST_CASE("option redispatch, retries, persist") {
  auto p = [](std::vector<const char*> lines) { return load_ok(backend(lines))->proxies[0]; };
  auto none = p({});
  CHECK_FALSE(none.redispatch);
  CHECK(none.redispatch_interval == -1);
  CHECK(none.retries == 3u);
  CHECK_FALSE(none.persist);
  CHECK_FALSE(none.persist_rdp_cookie);
  auto r = p({"option redispatch"});
  CHECK(r.redispatch);
  CHECK(r.redispatch_interval == -1);  // the last retry
  CHECK(p({"option redispatch -2"}).redispatch_interval == -2);
  CHECK(p({"option redispatch x"}).redispatch_interval == 0);
  CHECK_FALSE(p({"option redispatch", "no option redispatch"}).redispatch);
  CHECK(p({"retries x"}).retries == 0u);
  CHECK(p({"retries 7"}).retries == 7u);
  CHECK(p({"option persist"}).persist);
  CHECK_FALSE(p({"option persist", "no option persist"}).persist);
  CHECK(p({"persist rdp-cookie"}).persist_rdp_cookie_name == "msts");
  CHECK(p({"persist rdp-cookie(abc)"}).persist_rdp_cookie_name == "abc");
}

TEST_CASE("server options: stored, and default-server applies to later server lines only") {
  auto c = load_ok(backend({"server a 127.0.0.1:80", "default-server weight 3 maxconn 10",
                            "server b 127.0.0.1:81 maxqueue 4 minconn 2 id 9 disabled cookie B",
                            "server c 127.0.0.1:82 weight 0 backup slowstart 1m check inter 1s fastinter 500 "
                            "downinter 2s rise 1 fall 2 port 8080 addr 127.0.0.2",
                            "server d 127.0.0.1:83 weight backup maxconn x"}));
  const auto& s = c->proxies[0].servers;
  REQUIRE(s.size() == 4);
  CHECK(s[0].weight == 1u);
  CHECK(s[0].maxconn == 0u);
  CHECK(s[1].weight == 3u);
  CHECK(s[1].maxconn == 10u);
  CHECK(s[1].maxqueue == 4u);
  CHECK(s[1].minconn == 2u);
  CHECK(s[1].id == 9);
  CHECK(s[1].disabled);
  CHECK(s[1].cookie == "B");
  CHECK(s[2].weight == 0u);
  CHECK(s[2].backup);
  CHECK(s[2].slowstart == 60000u);
  CHECK(s[2].check);
  CHECK(s[2].inter == 1000u);
  CHECK(s[2].fastinter == 500u);
  CHECK(s[2].downinter == 2000u);
  CHECK(s[2].rise == 1u);
  CHECK(s[2].fall == 2u);
  CHECK(s[2].check_port == 8080);
  CHECK(s[2].check_addr == "127.0.0.2");
  // `weight backup`: the value word is consumed (atoi gives 0), as HAProxy does.
  CHECK(s[3].weight == 0u);
  CHECK_FALSE(s[3].backup);
  CHECK(s[3].maxconn == 0u);
  auto e = load_ok(backend({"default-server disabled", "server a 127.0.0.1:80 enabled"}));
  CHECK_FALSE(e->proxies[0].servers[0].disabled);
}

TEST_CASE("server ids are assigned as haproxy does") {
  // Observed with haproxy 2.6.12 `show servers state`: 3 4 5 2 7.
  auto c = load_ok(backend({"server s1 127.0.0.1:80 id 3", "server s2 127.0.0.1:80", "server s3 127.0.0.1:80",
                            "server s4 127.0.0.1:80 id 2", "server s5 127.0.0.1:80"}));
  std::vector<int> ids;
  for (const auto& s : c->proxies[0].servers) ids.push_back(s.puid);
  CHECK(ids == std::vector<int>{3, 4, 5, 2, 7});
  auto d = load_ok(backend({"server a 127.0.0.1:80", "server b 127.0.0.1:80"}));
  CHECK(d->proxies[0].servers[0].puid == 1);
  CHECK(d->proxies[0].servers[1].puid == 2);
  // The same id in two backends is fine.
  load_ok(std::string(kHead) + "  server a 127.0.0.1:80 id 1\nbackend c\n  server a 127.0.0.1:80 id 1\n");
}

TEST_CASE("fullconn: explicit, or 10% of the maxconn of the frontends that reach the backend") {
  // Observed with haproxy 2.6.12 (`show stat` slim): b 156, c 56, d 1, listen l 10% of its own.
  auto c = load_ok(
      "global\n  maxconn 9985\n"
      "defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n"
      "frontend f1\n  bind 127.0.0.1:18999\n  maxconn 1000\n  default_backend b\n"
      "frontend f2\n  bind 127.0.0.1:18998\n  maxconn 555\n  use_backend b if { path /x }\n  use_backend c\n"
      "backend b\n  server s1 127.0.0.1:80\n"
      "backend c\n  server s1 127.0.0.1:80\n"
      "backend d\n  server s1 127.0.0.1:80\n"
      "backend e\n  fullconn 42\n  server s1 127.0.0.1:80\n"
      "listen l\n  bind 127.0.0.1:18997\n  server s1 127.0.0.1:80\n");
  CHECK(by_name(*c, "b").fullconn_effective == 156u);
  CHECK(by_name(*c, "c").fullconn_effective == 56u);
  CHECK(by_name(*c, "d").fullconn_effective == 1u);
  CHECK(by_name(*c, "e").fullconn == 42u);
  CHECK(by_name(*c, "e").fullconn_effective == 42u);
  CHECK(by_name(*c, "l").fullconn_effective == 999u);
  CHECK(by_name(*c, "d").fullconn == 0u);
}

TEST_CASE("tcp-request rules and inspect-delay") {
  auto c = load_ok(
      "defaults\n  mode tcp\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n"
      "frontend f\n  bind :8999\n  tcp-request inspect-delay 5s\n  tcp-request connection reject if { src 10.0.0.1 }\n"
      "  tcp-request content accept if RDP_COOKIE\n  tcp-request content reject\n  default_backend b\n"
      "backend b\n  balance rdp-cookie\n  persist rdp-cookie\n  tcp-request content accept unless FALSE\n"
      "  server s 127.0.0.1:3389\n");
  const Proxy& f = by_name(*c, "f");
  CHECK(f.tcp_inspect_delay == 5000u);
  REQUIRE(f.tcp_request_rules.size() == 3);
  CHECK(f.tcp_request_rules[0].layer == TcpRequestRule::Layer::connection);
  CHECK(f.tcp_request_rules[0].action == TcpRequestRule::Action::reject);
  CHECK(f.tcp_request_rules[0].condition == std::vector<std::string>{"if", "{", "src", "10.0.0.1", "}"});
  CHECK(f.tcp_request_rules[1].layer == TcpRequestRule::Layer::content);
  CHECK(f.tcp_request_rules[1].action == TcpRequestRule::Action::accept);
  CHECK(f.tcp_request_rules[1].action_name == "accept");
  CHECK(f.tcp_request_rules[1].condition == std::vector<std::string>{"if", "RDP_COOKIE"});
  CHECK(f.tcp_request_rules[2].condition.empty());
  const Proxy& b = by_name(*c, "b");
  CHECK(b.balance.algorithm == "rdp-cookie");
  CHECK(b.persist_rdp_cookie);
  REQUIRE(b.tcp_request_rules.size() == 1);
  CHECK_FALSE(b.tcp_inspect_delay);
  // A named defaults section may carry inspect-delay (inherited).
  auto d = load_ok(
      "defaults d1\n  mode tcp\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n"
      "  tcp-request inspect-delay 3s\nfrontend f\n  bind :8999\n");
  CHECK(d->proxies[0].tcp_inspect_delay == 3000u);
}

TEST_CASE("tcp-request: ordering warning and anonymous defaults, as haproxy") {
  auto m = messages(
      "defaults d1\n  mode tcp\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n"
      "frontend f\n  bind :8999\n  tcp-request content accept if TRUE\n  tcp-request content reject\n"
      "  tcp-request connection reject\n");
  CHECK(m == std::vector<std::string>{
                 "[WARNING]  (0) : config : parsing [t.cfg:10] : a 'tcp-request' rule placed after a "
                 "'tcp-request content' rule will still be processed before."});
  auto a = messages(
      "defaults\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n"
      "  tcp-request inspect-delay 3s\n  tcp-request content accept\n");
  CHECK(a == std::vector<std::string>{
                 "[ALERT]    (0) : config : parsing [t.cfg:5] : tcp-request inspect-delay is not allowed in anonymous 'defaults' sections",
                 "[ALERT]    (0) : config : parsing [t.cfg:6] : tcp-request content is not allowed in anonymous 'defaults' sections"});
}

TEST_CASE("http-only settings in a tcp proxy: haproxy's warnings and fallbacks") {
  ConfigPtr c;
  auto m = messages(
      "defaults\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n"
      "listen b\n  mode tcp\n  bind :8999\n  balance uri\n  cookie SRV insert\n  option forwardfor\n"
      "  option httplog\n  http-request deny\n  server s 127.0.0.1:80 cookie a\n",
      &c);
  // haproxy also prints "log format ignored for proxy 'b' since it has no log address." (the
  // logging work's message, not checked here).
  CHECK(m == std::vector<std::string>{
                 "[WARNING]  (0) : config : cookie will be ignored for proxy 'b' (needs 'mode http').",
                 "[WARNING]  (0) : config : Layer 7 hash not possible for proxy 'b' (needs 'mode http'). Falling back to round robin.",
                 "[WARNING]  (0) : config : parsing [t.cfg:11] : 'option httplog' not usable with proxy 'b' (needs 'mode http'). Falling back to 'option tcplog'.",
                 "[WARNING]  (0) : config : 'http-request' rules ignored for proxy 'b' as they require HTTP mode.",
                 "[WARNING]  (0) : config : 'option forwardfor' ignored for proxy 'b' as it requires HTTP mode.",
                 "[WARNING]  (0) : config : proxy 'b' : ignoring cookie for server 's' as HTTP mode is disabled."});
  REQUIRE(c);
  CHECK(c->proxies[0].balance.algorithm == "roundrobin");
  CHECK(c->proxies[0].tcplog);
  CHECK_FALSE(c->proxies[0].httplog);
}

TEST_CASE("backend-side options in a frontend are ignored with haproxy's warning") {
  auto m = messages(
      "defaults\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n"
      "frontend f\n  bind :8999\n  option persist\n  option redispatch\n  option allbackups\n");
  CHECK(m == std::vector<std::string>{
                 "[WARNING]  (0) : config : parsing [t.cfg:7] : 'persist' ignored because frontend 'f' has no backend capability.",
                 "[WARNING]  (0) : config : parsing [t.cfg:8] : 'redispatch' ignored because frontend 'f' has no backend capability.",
                 "[WARNING]  (0) : config : parsing [t.cfg:9] : 'allbackups' ignored because frontend 'f' has no backend capability."});
}
