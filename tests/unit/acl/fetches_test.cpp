// Sample fetches over real parsed requests. Expected values marked [haproxy] were produced by
// Debian's haproxy 2.6.12 on the same request (http-request return with lf-string %[...]).
#include "acl_fixture.h"

using acltest::Env;

namespace {
const char* kReq =
    "GET /a/b/c?q=1&r=2&q=3 HTTP/1.1\nHost: www.example.com\nX: a, b\nX: c\n"
    "Cookie: a=1; b=2\nCookie: a=2\nContent-Length: 5\n\nhello";
}

TEST_CASE("layer 4 fetches") {
  Env e("");
  CHECK(e.expr("src") == "10.1.2.3");
  CHECK(e.expr("src_port") == "40000");
  CHECK(e.expr("dst") == "192.168.0.1");
  CHECK(e.expr("dst_port") == "80");
  e.set_src("2001:db8::1", 1);
  CHECK(e.expr("src") == "2001:db8::1");
}

TEST_CASE("url parts") {
  Env e("", kReq);
  CHECK(e.expr("path") == "/a/b/c");
  CHECK(e.expr("url") == "/a/b/c?q=1&r=2&q=3");
  CHECK(e.expr("query") == "q=1&r=2&q=3");
  CHECK(e.expr("base") == "www.example.com/a/b/c");
  CHECK(e.expr("method") == "GET");
  CHECK(e.expr("req.ver") == "1.1");
  CHECK(e.expr("url_param(r)") == "2");
  CHECK(e.expr("urlp(q)") == "1");  // first occurrence in sample context
  CHECK(e.expr("urlp(zz)") == "<absent>");
  e.set_request("GET http://h.example/x/y?z HTTP/1.1\nHost: h.example\n\n");   // authority = Host
  CHECK(e.expr("path") == "/x/y");
  e.set_request("GET /nothing HTTP/1.0\n\n");
  CHECK(e.expr("query") == "<absent>");
  CHECK(e.expr("req.ver") == "1.0");
  CHECK(e.expr("base") == "/nothing");
}

TEST_CASE("headers: occurrences, last value in sample context [haproxy]") {
  Env e("", kReq);
  CHECK(e.expr("req.hdr(x)") == "c");
  CHECK(e.expr("hdr(x)") == "c");
  CHECK(e.expr("req.fhdr(x)") == "c");
  CHECK(e.expr("req.hdr(x,1)") == "a");
  CHECK(e.expr("req.hdr(x,2)") == "b");
  CHECK(e.expr("req.hdr(x,-2)") == "b");
  CHECK(e.expr("req.fhdr(x,1)") == "a, b");
  CHECK(e.expr("hdr_cnt(x)") == "3");
  CHECK(e.expr("req.fhdr_cnt(x)") == "2");
  CHECK(e.expr("req.hdr(nope)") == "<absent>");
  CHECK(e.expr("req.hdr(HOST)") == "www.example.com");
}

TEST_CASE("cookies: last occurrence in sample context, every one for ACLs [haproxy]") {
  Env e("  acl c1 cook(a) 1\n  acl c2 cook(a) 2\n  acl c3 req.cook(b) 2\n  acl cc cook_cnt(a) 2\n", kReq);
  CHECK(e.expr("req.cook(a)") == "2");
  CHECK(e.expr("cook(b)") == "2");
  CHECK(e.expr("req.cook_cnt(a)") == "2");
  CHECK(e.expr("req.cook(zz)") == "<absent>");
  CHECK(e.yes("c1"));
  CHECK(e.yes("c2"));
  CHECK(e.yes("c3"));
  CHECK(e.yes("cc"));
}

TEST_CASE("body and lengths") {
  Env e("  acl body req.body -m sub ell\n", kReq);
  CHECK(e.expr("req.body") == "hello");
  CHECK(e.yes("body"));
  e.ctx.payload = "abc";
  CHECK(e.expr("req.len") == "3");
}

TEST_CASE("proxy names, servers, constants, variables, ssl") {
  Env e("  acl up srv_is_up(b/s1)\n  acl down srv_is_up(b/s2)\n  acl two nbsrv(b) 1\n");
  CHECK(e.expr("fe_name") == "f");
  CHECK(e.expr("be_name") == "b");
  CHECK(e.expr("nbsrv(b)") == "1");  // s2 is disabled
  CHECK(e.yes("up"));
  CHECK_FALSE(e.yes("down"));
  CHECK(e.yes("two"));
  CHECK(e.expr("always_true") == "1");
  CHECK(e.expr("always_false") == "0");
  CHECK(e.expr("str(abc)") == "abc");
  CHECK(e.expr("int(-4)") == "-4");
  CHECK(e.expr("ssl_fc") == "0");
  e.ctx.ssl = true;
  CHECK(e.expr("ssl_fc") == "1");
  // the data plane's view of server state wins over the config
  e.ctx.usable_servers = [](const void*, int) { return 7; };
  e.ctx.server_is_up = [](const void*, int, int) { return false; };
  CHECK(e.expr("nbsrv(b)") == "7");
  CHECK_FALSE(e.yes("up"));
  CHECK(e.expr("var(txn.x)") == "<absent>");
  e.vars.set_str("txn.x", "hello");
  e.vars.set_int("txn.n", 42);
  CHECK(e.expr("var(txn.x)") == "hello");
  CHECK(e.expr("var(txn.n)") == "42");
  e.vars.set_str("txn.x", "again");
  CHECK(e.expr("var(txn.x)") == "again");
  e.vars.unset("txn.x");
  CHECK(e.expr("var(txn.x)") == "<absent>");
  e.vars.clear();
  CHECK(e.expr("var(txn.n)") == "<absent>");
}

TEST_CASE("VarStore is bounded") {
  portero::acl::VarStore v;
  for (size_t i = 0; i < portero::acl::VarStore::kMaxVars; ++i) CHECK(v.set_int("txn.v" + std::to_string(i), 1));
  CHECK_FALSE(v.set_int("txn.more", 1));
  v.clear();
  CHECK_FALSE(v.set_str("txn.big", std::string(5000, 'x')));
}

TEST_CASE("fetches miss while the request may still come, fail once final") {
  Env e("  acl p path /\n  acl l req.len gt 2\n", "");
  e.ctx.final = false;
  CHECK(e.cond("if p") == portero::acl::Tri::miss);
  CHECK(e.cond("unless p") == portero::acl::Tri::miss);
  CHECK(e.cond("if HTTP") == portero::acl::Tri::miss);
  CHECK(e.cond("if WAIT_END") == portero::acl::Tri::miss);
  CHECK(e.cond("if l") == portero::acl::Tri::miss);
  e.ctx.payload = "abc";
  CHECK(e.cond("if l") == portero::acl::Tri::yes);
  CHECK(e.cond("if RDP_COOKIE") == portero::acl::Tri::miss);
  e.ctx.final = true;
  CHECK(e.cond("if p") == portero::acl::Tri::no);
  CHECK(e.cond("if HTTP") == portero::acl::Tri::no);
  CHECK(e.cond("if WAIT_END") == portero::acl::Tri::yes);
  CHECK(e.cond("if RDP_COOKIE") == portero::acl::Tri::no);
  // a `no` in an AND decides even when the other term misses
  e.ctx.final = false;
  CHECK(e.cond("if p FALSE") == portero::acl::Tri::no);
  CHECK(e.cond("if p || TRUE") == portero::acl::Tri::yes);
}

TEST_CASE("rdp cookie from an X.224 connection request") {
  Env e("  acl u req.rdp_cookie(mstshash) -m beg alice\n", "");
  std::string cookie = "Cookie: mstshash=alice\r\n";
  std::string pkt = std::string("\x03\x00", 2) + char(0) + char(11 + cookie.size()) +
                    std::string("\x06\xe0\x00\x00\x00\x00\x00", 7) + cookie;
  e.ctx.payload = pkt;
  e.ctx.final = false;
  CHECK(e.cond("if RDP_COOKIE") == portero::acl::Tri::yes);
  CHECK(e.cond("if u") == portero::acl::Tri::yes);
  CHECK(e.expr("req.rdp_cookie") == "alice");
  CHECK(e.expr("req.rdp_cookie_cnt") == "1");
  e.ctx.payload = std::string_view(pkt).substr(0, pkt.size() - 5);
  CHECK(e.cond("if RDP_COOKIE") == portero::acl::Tri::miss);
}
