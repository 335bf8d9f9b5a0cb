// Hash functions against the vectors of COMPAT.md §1.8 (confirmed there with HAProxy's own
// converters), key extraction against §1.7, slow start and the RDP cookie helpers.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string>

#include "../../../src/lb/hash_key.h"
#include "lb_fixture.h"
#include "portero/lb/hash.h"
#include "portero/lb/rdp_cookie.h"
#include "portero/lb/slowstart.h"

using namespace portero::lb;

namespace {
std::string all_bytes() {
  std::string s;
  for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i));
  return s;
}
}  // namespace

TEST_SUITE("hash") {

TEST_CASE("vectors") {
  const std::string bytes = all_bytes();
  struct V {
    std::string in;
    uint32_t sdbm, djb2, wt6, crc32, aval_sdbm;
  } vs[] = {
      {"", 0, 5381, 4187620192u, 0, 2874071335u},
      {"a", 97, 177670, 1900802597u, 3904355907u, 1830748055u},
      {"/url1", 4103199409u, 194222904u, 2463210733u, 380733385u, 2561722472u},
      {"haproxy", 248846773u, 869782672u, 2154904979u, 1405960096u, 3200903771u},
      {bytes, 905707648u, 2589693061u, 4090277559u, 688229491u, 3103804144u},
  };
  for (const auto& v : vs) {
    CAPTURE(v.in.size());
    CHECK(hash_sdbm(v.in) == v.sdbm);
    CHECK(hash_djb2(v.in) == v.djb2);
    CHECK(hash_wt6(v.in) == v.wt6);
    CHECK(hash_crc32(v.in) == v.crc32);
    CHECK(full_hash(hash_sdbm(v.in)) == v.aval_sdbm);
  }
  CHECK(full_hash(hash_djb2(bytes)) == 600622701u);
  CHECK(full_hash(hash_wt6(bytes)) == 1192658767u);
  CHECK(full_hash(hash_crc32(bytes)) == 4230317029u);
  CHECK(full_hash(0) == 2874071335u);
  CHECK(full_hash(1) == 881230262u);
}

TEST_CASE("uri key: len, depth, whole, path-only") {
  KeySpec s;
  CHECK(uri_key(s, "/a?b=c") == "/a");
  s.stop_slash = 3;   // depth 2
  CHECK(uri_key(s, "/a/b/c/d") == "/a/b");
  s = {};
  s.whole = true;
  s.len = 6;
  CHECK(uri_key(s, "/a?b=c") == "/a?b=c");
  CHECK(uri_key(s, "/abcdefgh") == "/abcde");
  s = {};
  s.path_only = true;
  CHECK(uri_key(s, "http://example.com/x/y?z") == "/x/y");
  CHECK(uri_key(s, "http://example.com") == "");
  CHECK(uri_key(s, "*") == "");
  CHECK(uri_key(s, "/p?q") == "/p");
}

TEST_CASE("url_param") {
  std::string_view v;
  CHECK(find_param("a=1&id=42&b=2", "id", v));
  CHECK(v == "42");
  CHECK(find_param("id=", "id", v));
  CHECK(v.empty());
  CHECK_FALSE(find_param("xid=3&idx=4", "id", v));
  CHECK_FALSE(find_param("ID=3", "id", v));
  CHECK(find_param("id=a#b", "id", v));
  CHECK(v == "a#b");
  // POST bodies: only the first byte of the value is checked.
  CHECK(find_post_param("x=1&id=ab cd&y", "id", v));
  CHECK(v == "ab cd");
  CHECK(find_post_param("id= ab", "id", v));
  CHECK(v.empty());
  CHECK_FALSE(find_post_param("id=\x01zz", "id", v));
}

TEST_CASE("use_domain_only") {
  CHECK(domain_of("www.example.com") == "example");
  CHECK(domain_of("haproxy.1wt.eu") == "1wt");
  CHECK(domain_of("a.b.c.d.org") == "d");
  CHECK(domain_of("foo.bar") == "foo");
  CHECK(domain_of("localhost") == "localhost");
  CHECK(domain_of(".com") == ".com");
  CHECK(domain_of("com.") == "com");
  CHECK(domain_of("a..b") == "a.");
}

TEST_CASE("source: IPv4 as an integer, IPv6 words xored") {
  KeySpec s;
  s.kind = KeyKind::source;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  PickContext ctx;
  ctx.source = reinterpret_cast<const sockaddr*>(&a);
  uint32_t h = 0;
  CHECK(hash_key(s, HashFunction::sdbm, ctx, h) == KeyStatus::found);
  CHECK(h == 0x7f000001u);
  sockaddr_in6 b{};
  b.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "2001:db8::1:0:0:1", &b.sin6_addr);
  ctx.source = reinterpret_cast<const sockaddr*>(&b);
  CHECK(hash_key(s, HashFunction::sdbm, ctx, h) == KeyStatus::found);
  CHECK(h == (0x20010db8u ^ 0x00000000u ^ 0x00010000u ^ 0x00000001u));   // 2001:0db8:0000:0000:0001:0000:0000:0001
  ctx.source = nullptr;
  CHECK(hash_key(s, HashFunction::sdbm, ctx, h) == KeyStatus::error);
}

}  // TEST_SUITE

TEST_SUITE("slowstart") {

TEST_CASE("ramp in whole seconds, at least one step") {
  CHECK(slowstart_ramp(0, 0) == 16);
  CHECK(slowstart_ramp(10000, 0) == 1);
  CHECK(slowstart_ramp(10000, 999) == 1);
  CHECK(slowstart_ramp(10000, 1000) == 2);    // (16*1+10)/10
  CHECK(slowstart_ramp(10000, 5000) == 9);    // (80+10)/10
  CHECK(slowstart_ramp(10000, 9999) == 15);   // (144+10)/10
  CHECK(slowstart_ramp(10000, 10000) == 16);
  CHECK(slowstart_ramp(1500, 1000) == 9);     // 2 s: (16+2)/2
  CHECK(slowstart_eweight(3, 10000, 5000) == 27);
  CHECK(slowstart_eweight(3, 0, 0) == 48);
}

TEST_CASE("dynamic maxconn") {
  CHECK(dynamic_maxconn(0, 0, 100, 5) == 0);
  CHECK(dynamic_maxconn(100, 0, 1000, 10) == 100);       // no minconn: static
  CHECK(dynamic_maxconn(100, 10, 1000, 50) == 10);       // 50*100/1000 = 5 < minconn
  CHECK(dynamic_maxconn(100, 10, 1000, 500) == 50);
  CHECK(dynamic_maxconn(100, 10, 1000, 1000) == 100);
  CHECK(dynamic_maxconn(100, 10, 0, 0) == 100);          // no fullconn
  CHECK(dynamic_maxconn(100, 0, 0, 0, 10000, 5000) == 50);
  CHECK(dynamic_maxconn(100, 0, 0, 0, 10000, 0) == 1);
}

}  // TEST_SUITE

TEST_SUITE("rdp-cookie") {

using portero::lb::test::rdp_connection_request;

TEST_CASE("find the cookie") {
  std::string_view v;
  std::string keep;   // the request must outlive the value that points into it
  auto find = [&](std::string req, std::string_view name) {
    keep = std::move(req);
    return find_rdp_cookie(keep, name, v);
  };
  CHECK(find(rdp_connection_request("Cookie: mstshash=alice"), "mstshash") == RdpCookie::found);
  CHECK(v == "alice");
  CHECK(find(rdp_connection_request("cookie:   MSTSHASH=bob"), "mstshash") == RdpCookie::found);
  CHECK(v == "bob");
  CHECK(find(rdp_connection_request("Cookie: other=x"), "mstshash") == RdpCookie::absent);
  CHECK(find(rdp_connection_request("Cookie: other=x"), "") == RdpCookie::found);
  CHECK(v == "x");
  std::string full = rdp_connection_request("Cookie: mstshash=alice");
  CHECK(find_rdp_cookie(full.substr(0, full.find('\r') + 1), "mstshash", v) == RdpCookie::need_more);
  CHECK(find_rdp_cookie("abc", "mstshash", v) == RdpCookie::need_more);
}

TEST_CASE("persist cookie encoding") {
  char buf[32];
  rdp_persist_cookie_for(0x0a000001, 3389, buf);
  CHECK(std::string(buf) == "16777226.15629.0000");
}

}  // TEST_SUITE

TEST_SUITE("rdp-cookie") {

TEST_CASE("persist rdp-cookie finds the server by address (checked against haproxy 2.6.12)") {
  // haproxy sent "Cookie: msts=16777343.42346.0000" (127.0.0.1:27301) to that server every
  // time, and "msts=16777343.27301.0000" (port bytes not swapped) to the round robin.
  portero::lb::test::Farm f("roundrobin", {{"s0"}, {"s1"}, {"s2"}});
  for (int i = 0; i < 3; ++i) {
    auto& a = f.backend().servers[i].address;
    auto* in = reinterpret_cast<sockaddr_in*>(&a.storage);
    in->sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.1", &in->sin_addr);
    a.port_lo = a.port_hi = static_cast<uint16_t>(27300 + i);
  }
  auto req = [](const char* v) { return portero::lb::test::rdp_connection_request(std::string("Cookie: msts=") + v); };
  CHECK(rdp_persist_server(req("16777343.42346.0000"), "msts", f.backend(), f.states(), false) == 1);
  CHECK(rdp_persist_server(req("16777343.27301.0000"), "msts", f.backend(), f.states(), false) == -1);
  CHECK(rdp_persist_server(req("16777343.42346"), "msts", f.backend(), f.states(), false) == -1);
  f.state("s1").oper = OperState::down;
  CHECK(rdp_persist_server(req("16777343.42346.0000"), "msts", f.backend(), f.states(), false) == -1);
  CHECK(rdp_persist_server(req("16777343.42346.0000"), "msts", f.backend(), f.states(), true) == 1);
}

}  // TEST_SUITE
