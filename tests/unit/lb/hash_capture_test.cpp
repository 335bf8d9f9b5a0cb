// Picks of the hash algorithms, leastconn and first compared with what Debian's haproxy 2.6.12
// picked for the same configuration and keys (captured by capture_hash.py into
// hash_captures.inc: one server index per key, '|' where held connections were closed).
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <map>
#include <string>
#include <vector>

#include "lb_fixture.h"
#include "portero/http/message.h"

using namespace portero;
using lb::test::Farm;
using lb::test::ServerSpec;

namespace {

struct Capture {
  const char* name;
  const char* picks;
};
const Capture captures[] = {
#include "hash_captures.inc"
};

std::string capture(const std::string& name) {
  for (const auto& c : captures)
    if (name == c.name) return c.picks;
  FAIL("no capture named " << name);
  return {};
}

// The i-th key of a family, as capture_hash.py's key().
std::string key(const std::string& kind, int i) {
  auto s = [](auto v) { return std::to_string(v); };
  if (kind == "uri") return "/k" + s(i) + "/p" + s(i % 7) + "?q=" + s(i);
  if (kind == "param") return "u" + s(i * 7919 % 10007);
  if (kind == "hdr") return "val-" + s(i);
  if (kind == "host")
    return i % 4 ? "www" + s(i % 3) + ".dom" + s(i) + ".example" + s(i % 5) + ".com" : "h" + s(i) + ".org";
  if (kind == "src") return "127." + s((i * 37) % 250 + 1) + "." + s((i * 11) % 256) + "." + s(i % 250 + 2);
  if (kind == "rdp") return "u" + s(i * 7919 % 10007) + "-" + s(i % 13);
  return {};
}

// `server` line options of the captures: weight N, id N, maxconn N, backup, disabled.
std::vector<ServerSpec> servers(const std::vector<std::string>& lines) {
  std::vector<ServerSpec> out;
  for (size_t i = 0; i < lines.size(); ++i) {
    ServerSpec sp;
    sp.name = "s" + std::to_string(i);
    auto w = lb::test::words(lines[i]);
    for (size_t j = 0; j < w.size(); ++j) {
      if (w[j] == "weight") sp.weight = std::stoul(w[++j]);
      else if (w[j] == "id") sp.id = std::stoi(w[++j]);
      else if (w[j] == "maxconn") sp.maxconn = std::stoul(w[++j]);
      else if (w[j] == "backup") sp.backup = true;
      else if (w[j] == "disabled") sp.disabled = true;
    }
    out.push_back(sp);
  }
  return out;
}

// An HTTP request head indexed over its own buffer, as the parser would leave it.
struct Request {
  std::string buf;
  http::Head head;
  http::Header hdrs[2];
  sockaddr_in src{};

  Request(const std::string& target, const std::string& hname = "", const std::string& hvalue = "") {
    buf = "GET" + target;
    head.method = {0, 3};
    head.target = {3, static_cast<uint32_t>(target.size())};
    hdrs[0] = {{static_cast<uint32_t>(buf.size()), 4}, {static_cast<uint32_t>(buf.size() + 4), 1}};
    buf += "Hostx";
    head.count = 1;
    if (!hname.empty()) {
      uint32_t at = static_cast<uint32_t>(buf.size());
      buf += hname + hvalue;
      hdrs[1] = {{at, static_cast<uint32_t>(hname.size())},
                 {at + static_cast<uint32_t>(hname.size()), static_cast<uint32_t>(hvalue.size())}};
      head.count = 2;
    }
    head.headers = hdrs;
  }
  lb::PickContext context() {
    lb::PickContext ctx;
    ctx.request = &head;
    ctx.base = buf.data();
    ctx.uri = head.target.in(buf.data());
    if (src.sin_family) ctx.source = reinterpret_cast<const sockaddr*>(&src);
    return ctx;
  }
};

std::string pick_name(int idx) { return idx >= 0 ? std::to_string(idx) : "-"; }

struct HttpScenario {
  const char* name;
  const char* balance;
  std::vector<std::string> servers;
  const char* family;
  int n;
  const char* hash_type;
  const char* request;   // uri (default), param, hdr, host, src, nokey
};

std::string run(const HttpScenario& sc) {
  Farm f(sc.balance, servers(sc.servers), false, sc.hash_type);
  REQUIRE(f.balancer());
  std::string out;
  const std::string req = sc.request;
  for (int i = 0; i < sc.n; ++i) {
    std::string k = key(sc.family, i);
    Request r = req == "param"  ? Request("/x?a=1&id=" + k + "&b=2")
                : req == "hdr"  ? Request("/", "X-Key", k)
                : req == "host" ? Request("/", "X-Host", k)
                : req == "src" || req == "nokey" ? Request(req == "src" ? "/" : "/nothing")
                                                 : Request(k);
    if (req == "src") {
      r.src.sin_family = AF_INET;
      inet_pton(AF_INET, k.c_str(), &r.src.sin_addr);
    }
    int idx = f.balancer()->pick(r.context(), -1);
    out += pick_name(idx);
  }
  return out;
}

const std::vector<std::string> w1231 = {"weight 1", "weight 2", "weight 3", "weight 1"};
const std::vector<std::string> three = {"", "", ""};

const HttpScenario http_scenarios[] = {
    {"uri map 1,2,3,1", "uri", w1231, "uri", 300, "", "uri"},
    {"uri map 1,2,3,1 s1 disabled", "uri", {"weight 1", "weight 2 disabled", "weight 3", "weight 1"}, "uri", 300, "", "uri"},
    {"uri map 2,4,6 backups", "uri", {"weight 2 disabled", "weight 4 backup", "weight 6 backup"}, "uri", 40, "", "uri"},
    {"uri consistent 1,3,1,2", "uri", {"weight 1", "weight 3", "weight 1", "weight 2"}, "uri", 300, "consistent", "uri"},
    {"uri consistent 1,3,1,2 s2 disabled", "uri", {"weight 1", "weight 3", "weight 1 disabled", "weight 2"}, "uri", 300, "consistent", "uri"},
    {"uri consistent ids 7,3,12", "uri", {"id 7", "id 3", "id 12 weight 5"}, "uri", 300, "consistent", "uri"},
    {"uri map djb2 avalanche", "uri", three, "uri", 300, "map-based djb2 avalanche", "uri"},
    {"uri map wt6", "uri", {"", "", "", "weight 2"}, "uri", 300, "map-based wt6", "uri"},
    {"uri consistent crc32", "uri", three, "uri", 300, "consistent crc32", "uri"},
    {"uri consistent sdbm avalanche", "uri", {"", "weight 2", ""}, "uri", 300, "consistent sdbm avalanche", "uri"},
    {"uri whole len 7", "uri whole len 7", three, "uri", 300, "", "uri"},
    {"uri depth 1", "uri depth 1", three, "uri", 300, "", "uri"},
    {"uri path-only", "uri path-only", three, "uri", 300, "", "uri"},
    {"url_param id", "url_param id", {"", "weight 2", ""}, "param", 300, "", "param"},
    {"url_param id consistent", "url_param id", {"", "weight 2", ""}, "param", 300, "consistent", "param"},
    {"url_param missing", "url_param id", {"", "weight 2", ""}, "param", 20, "", "nokey"},
    {"url_param missing consistent", "url_param id", three, "param", 20, "consistent", "nokey"},
    {"hdr map", "hdr(x-key)", {"", "", "", ""}, "hdr", 300, "", "hdr"},
    {"hdr consistent", "hdr(x-key)", {"", "", "", ""}, "hdr", 300, "consistent", "hdr"},
    {"hdr use_domain_only", "hdr(x-host) use_domain_only", three, "host", 300, "", "host"},
    {"hdr missing", "hdr(x-key)", three, "hdr", 12, "", "nokey"},
    {"source map", "source", three, "src", 300, "", "src"},
    {"source map weights", "source", {"weight 3", "", "weight 2", ""}, "src", 300, "", "src"},
    {"source consistent", "source", three, "src", 300, "consistent", "src"},
    {"source consistent disabled", "source", {"", "", "disabled", ""}, "src", 300, "consistent", "src"},
};

// tcp scenarios: "rN" N rdp requests; "hN" hold N connections; "c0,1,2" close held ones.
std::string run_tcp(const char* balance, const std::vector<std::string>& lines, const char* hash_type,
                    const std::vector<std::string>& steps) {
  Farm f(balance, servers(lines), false, hash_type);
  REQUIRE(f.balancer());
  auto* b = f.balancer();
  std::vector<int> held;
  std::string out;
  auto take = [&](int idx) {
    if (idx < 0) return;
    f.state("s" + std::to_string(idx)).cur_conns++;
    b->on_take(idx);
  };
  auto release = [&](int idx) {
    f.state("s" + std::to_string(idx)).cur_conns--;
    b->on_release(idx);
  };
  for (const auto& st : steps) {
    if (st[0] == 'r') {
      for (int i = 0, n = std::stoi(st.substr(1)); i < n; ++i) {
        lb::PickContext ctx;
        std::string payload = lb::test::rdp_connection_request("Cookie: mstshash=" + key("rdp", i));
        ctx.payload = payload;
        int idx = b->pick(ctx, -1);
        take(idx);
        release(idx);
        out += pick_name(idx);
      }
    } else if (st[0] == 'h') {
      for (int i = 0, n = std::stoi(st.substr(1)); i < n; ++i) {
        int idx = b->pick({}, -1);
        take(idx);
        held.push_back(idx);
        out += pick_name(idx);
      }
    } else {
      for (const auto& k : lb::test::words([&] {
             std::string s = st.substr(1);
             for (char& c : s) if (c == ',') c = ' ';
             return s;
           }()))
        release(held[std::stoul(k)]);
      out += '|';
    }
  }
  return out;
}

}  // namespace

TEST_SUITE("captured from haproxy") {

TEST_CASE("hash algorithms: same server for the same key") {
  for (const auto& sc : http_scenarios) {
    CAPTURE(sc.name);
    CHECK(run(sc) == capture(sc.name));
  }
}

TEST_CASE("rdp-cookie") {
  CHECK(run_tcp("rdp-cookie", three, "", {"r150"}) == capture("rdp-cookie map"));
  CHECK(run_tcp("rdp-cookie", {"", "", "weight 2"}, "consistent", {"r150"}) == capture("rdp-cookie consistent"));
}

TEST_CASE("leastconn with connections held open") {
  CHECK(run_tcp("leastconn", {"weight 1", "weight 2", "weight 3"}, "", {"h30", "c0,1,2,3,4,5", "h12"}) ==
        capture("leastconn 1,2,3 held"));
  CHECK(run_tcp("leastconn", three, "", {"h9", "c4,7", "h5"}) == capture("leastconn 1,1,1 held"));
  CHECK(run_tcp("leastconn", {"maxconn 2", "maxconn 2 weight 3", "maxconn 1"}, "", {"h5"}) ==
        capture("leastconn maxconn"));
}

TEST_CASE("first: by server id, next one when full") {
  CHECK(run_tcp("first", {"id 3 maxconn 2", "id 1 maxconn 2", "id 2 maxconn 2"}, "", {"h6", "c0,3", "h2"}) ==
        capture("first ids 3,1,2 maxconn 2"));
}

}  // TEST_SUITE
