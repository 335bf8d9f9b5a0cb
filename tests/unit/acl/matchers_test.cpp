// Matching methods, flags and operators. Cases marked [haproxy] were run through Debian's
// haproxy 2.6.12 (acl + http-request set-var ... if acl, printed with http-request return).
#include <fstream>

#include "acl_fixture.h"

using acltest::Env;

namespace {
const char* kReq =
    "GET /a/b/c?q=1 HTTP/1.1\nHost: www.Example.com\nX: a\nM: 10.0.0.1\nV6: ::ffff:10.0.0.1\nN: 12\n"
    "Cookie: c=xy\n\n";
}

TEST_CASE("dir: whole path components, pattern slashes ignored [haproxy]") {
  Env e("  acl d1 path_dir /a/b\n  acl d2 path_dir a\n  acl d3 path_dir /a\n  acl d4 path_dir b/c\n"
        "  acl d5 path_dir /a/b/c/\n  acl d6 path_dir ab\n  acl d7 path_dir /b/c/d\n  acl d8 path -m dir c\n",
        kReq);
  for (const char* a : {"d1", "d2", "d3", "d4", "d5", "d8"}) CHECK_MESSAGE(e.yes(a), std::string(a));
  CHECK_FALSE(e.yes("d6"));
  CHECK_FALSE(e.yes("d7"));
}

TEST_CASE("dom: whole labels, case-sensitive without -i, ':' '/' '?' delimit too [haproxy]") {
  Env e("  acl m1 hdr_dom(host) example.com\n  acl m2 hdr_dom(host) www\n  acl m3 hdr_dom(host) ample.com\n"
        "  acl m4 hdr_dom(host) www.example\n  acl m5 hdr_dom(host) .example.com\n"
        "  acl m6 hdr_dom(host) -i EXAMPLE.com\n  acl m7 hdr_dom(host) com.\n  acl p2 req.hdr(host) -m dom 8080\n"
        "  acl h1 hdr_end(host) :8080\n  acl dm1 path_dom b\n  acl dm2 path_dom a/b\n  acl ud url_dom a\n",
        "GET /a/b/c?q=1 HTTP/1.1\nHost: www.example.com:8080\n\n");
  for (const char* a : {"m1", "m2", "m4", "m5", "m6", "m7", "p2", "h1", "dm1", "dm2", "ud"}) CHECK_MESSAGE(e.yes(a), std::string(a));
  CHECK_FALSE(e.yes("m3"));
  Env mixed("  acl m1 hdr_dom(host) example.com\n  acl m2 hdr_dom(host) -i example.com\n", kReq);
  CHECK_FALSE(mixed.yes("m1"));  // Host is www.Example.com
  CHECK(mixed.yes("m2"));
}

TEST_CASE("str, beg, end, sub, reg with and without -i [haproxy]") {
  Env e("  acl s1 path -i /A/B/C\n  acl s2 path /A/B/C\n  acl s3 path /x /a/b/c /y\n  acl e1 path_end -i C\n"
        "  acl e2 path_end C\n  acl b1 path_beg -i /A\n  acl b2 path_beg /A\n  acl sub1 path_sub -i B/C\n"
        "  acl r1 path_reg -i ^/A/B\n  acl r2 path_reg ^/A/B\n  acl r3 path -m reg -i ^/A\n  acl ue url_end c\n"
        "  acl ub url_sub q=\n  acl ur url_reg q=\\d\n  acl hb hdr_beg(x) a\n  acl he hdr_end(x) b\n"
        "  acl hs hdr_sub(x) a\n  acl hr hdr_reg(x) ^a\n  acl bb base_beg h/a\n  acl bb2 base_beg www.Example.com/a\n"
        "  acl bs base_sub com/a\n  acl br base_reg ^www\n  acl cb cook_beg(c) x\n  acl cs cook_sub(c) y\n"
        "  acl cr cook_reg(c) ^x.$\n  acl v1 req.ver 1.1\n",
        kReq);
  for (const char* a : {"s1", "s3", "e1", "b1", "sub1", "r1", "r3", "ub", "ur", "hb", "hs", "hr", "bb2", "bs",
                        "br", "cb", "cs", "cr", "v1"})
    CHECK_MESSAGE(e.yes(a), std::string(a));
  for (const char* a : {"s2", "e2", "b2", "r2", "ue", "he", "bb"}) CHECK_MESSAGE(!e.yes(a), std::string(a));
}

TEST_CASE("methods compare exactly, even with -i [haproxy]") {
  Env e("  acl m1 method GET\n  acl m2 method get\n  acl m3 method -i get\n", kReq);
  CHECK(e.yes("m1"));
  CHECK_FALSE(e.yes("m2"));
  CHECK_FALSE(e.yes("m3"));
}

TEST_CASE("integers: operators and ranges [haproxy]") {
  Env e("  acl i1 hdr_cnt(x) 1:2\n  acl i2 hdr_cnt(x) :1\n  acl i3 hdr_cnt(x) 2:\n  acl i4 hdr_cnt(x) gt 1\n"
        "  acl i5 hdr_cnt(x) lt 2\n  acl i6 hdr_cnt(x) eq 1 2\n  acl i7 hdr_cnt(x) ge 2\n  acl i8 hdr_cnt(x) le 1\n"
        "  acl hv hdr_val(n) 12\n  acl hv2 hdr_val(n) gt 11\n  acl dp dst_port 80\n  acl sp src_port 1024:65535\n"
        "  acl sp2 src_port :1023\n  acl up urlp_val(q) 1\n  acl l1 path_len 6\n  acl l2 path_len gt 5\n"
        "  acl hl hdr_len(x) 1\n  acl cl cook_len(c) 2\n  acl neg hdr_val(n) -- -5:20\n",
        kReq);
  for (const char* a : {"i1", "i2", "i5", "i6", "i8", "hv", "hv2", "dp", "sp", "up", "l1", "l2", "hl", "cl", "neg"})
    CHECK_MESSAGE(e.yes(a), std::string(a));
  for (const char* a : {"i3", "i4", "i7", "sp2"}) CHECK_MESSAGE(!e.yes(a), std::string(a));
}

TEST_CASE("ip: masks, v4 patterns against v4-mapped v6 and back [haproxy]") {
  Env e("  acl ip1 req.hdr(m) -m ip 10.0.0.0/8\n  acl ip2 req.hdr(v6) -m ip 10.0.0.0/8\n"
        "  acl ip3 req.hdr(v6) -m ip ::ffff:10.0.0.0/104\n  acl ip4 req.hdr(m) -m ip ::ffff:10.0.0.1\n"
        "  acl ip5 req.hdr(m) -m ip 10.0.0.0/255.0.0.0\n  acl ip6 hdr_ip(m) 10.0.0.1\n  acl ip7 hdr_ip(m) 10.0.0.2\n"
        "  acl s1 src 10.1.0.0/16\n  acl s2 src 10.2.0.0/16 10.1.2.3\n  acl s3 src 2001:db8::/32\n",
        kReq);
  for (const char* a : {"ip1", "ip2", "ip3", "ip4", "ip5", "ip6", "s1", "s2"}) CHECK_MESSAGE(e.yes(a), std::string(a));
  CHECK_FALSE(e.yes("ip7"));
  CHECK_FALSE(e.yes("s3"));
  e.set_src("2001:db8::5", 1);
  CHECK(e.yes("s3"));
  CHECK_FALSE(e.yes("s1"));
  CHECK_FALSE(e.cond("if LOCALHOST") == portero::acl::Tri::yes);
  e.set_src("::1", 1);
  CHECK(e.cond("if LOCALHOST") == portero::acl::Tri::yes);
  e.set_src("127.0.0.2", 1);
  CHECK(e.cond("if LOCALHOST") == portero::acl::Tri::yes);
}

TEST_CASE("found, bool, len, -m overrides, several values per header for ACLs [haproxy]") {
  Env e("  acl fn hdr(nope) -m found\n  acl fy hdr(x) -m found\n  acl bo hdr_cnt(x) -m bool\n"
        "  acl bz hdr_cnt(nope) -m bool\n  acl h1 hdr(y) b\n  acl h2 hdr(y,2) b\n  acl h3 hdr(y,-1) c\n"
        "  acl h4 req.fhdr(y) b\n  acl h5 hdr(y,1) b\n  acl fc req.fhdr_cnt(y) 2\n  acl hc hdr_cnt(y) 3\n"
        "  acl cv path,lower -m beg /a/b\n  acl ls hdr(x) -m len 1\n",
        "GET /A/B HTTP/1.1\nHost: h\nX: a\nY: a, b\nY: c\n\n");
  for (const char* a : {"fy", "bo", "h1", "h2", "h3", "fc", "hc", "cv", "ls"}) CHECK_MESSAGE(e.yes(a), std::string(a));
  for (const char* a : {"fn", "bz", "h4", "h5"}) CHECK_MESSAGE(!e.yes(a), std::string(a));
}

TEST_CASE("-f pattern files: comments and blanks skipped, several files, with inline values [haproxy]") {
  {
    std::ofstream("/tmp/portero_acl_pats1.txt") << "/foo\n  # comment\n\n/bar  \n";
    std::ofstream("/tmp/portero_acl_pats2.txt") << "/a/b/c\n";
  }
  Env e("  acl f1 path -f /tmp/portero_acl_pats1.txt\n"
        "  acl f2 path -f /tmp/portero_acl_pats1.txt /a/b/c\n"
        "  acl f3 path -f /tmp/portero_acl_pats1.txt -f /tmp/portero_acl_pats2.txt\n"
        "  acl f4 path -i -f /tmp/portero_acl_pats1.txt\n",
        kReq);
  CHECK_FALSE(e.yes("f1"));
  CHECK(e.yes("f2"));
  CHECK(e.yes("f3"));
  e.set_request("GET /BAR HTTP/1.1\nHost: h\n\n");
  CHECK(e.yes("f4"));
  e.set_request("GET /bar HTTP/1.1\nHost: h\n\n");
  CHECK(e.yes("f1"));
}

TEST_CASE("many exact strings are binary-searched, case-folded with -i") {
  std::string pats;
  for (int i = 0; i < 500; ++i) pats += " /p" + std::to_string(i);
  Env e("  acl many path" + pats + "\n  acl manyi path -i" + pats + "\n", "GET /p377 HTTP/1.1\nHost: h\n\n");
  CHECK(e.yes("many"));
  e.set_request("GET /P377 HTTP/1.1\nHost: h\n\n");
  CHECK_FALSE(e.yes("many"));
  CHECK(e.yes("manyi"));
  e.set_request("GET /p500 HTTP/1.1\nHost: h\n\n");
  CHECK_FALSE(e.yes("manyi"));
}
