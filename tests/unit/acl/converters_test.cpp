// Converters, maps and %[...] strings. Expected values marked [haproxy] come from Debian's
// haproxy 2.6.12 evaluating the same expression on the same request.
#include <fstream>

#include "acl_fixture.h"

using acltest::Env;

namespace {
const char* kReq =
    "GET /a/b/c?q=1 HTTP/1.1\nHost: www.Example.com\nX: a\nM: 10.1.2.3\nV6: ::ffff:10.1.2.3\n"
    "V6b: 2001:db8:1:2:3:4:5:6\nN: 12\nY: q\"\\u\xc3\xa9\nJ: a/b\"c\xc3\xa9\nE:\n\n";

void write(const char* path, const char* text) { std::ofstream(path) << text; }
}  // namespace

TEST_CASE("case, length, hex, base64, bool, not [haproxy]") {
  Env e("", kReq);
  CHECK(e.expr("path,upper") == "/A/B/C");
  CHECK(e.expr("str(ABc),lower") == "abc");
  CHECK(e.expr("path,length") == "6");
  CHECK(e.expr("req.hdr(e),length") == "0");
  CHECK(e.expr("path,hex") == "2F612F622F63");
  CHECK(e.expr("req.hdr(y),hex") == "71225C75C3A9");
  // integers: 64-bit two's complement on 16 digits (haproxy 2.6.12 answers these)
  CHECK(e.expr("int(50),hex") == "0000000000000032");
  CHECK(e.expr("int(-1),hex") == "FFFFFFFFFFFFFFFF");
  CHECK(e.expr("bool(1),hex") == "0000000000000001");
  CHECK(e.expr("str(ab),hex") == "6162");
  CHECK(e.expr("req.hdr(y),base64") == "cSJcdcOp");
  CHECK(e.expr("req.hdr(y),base64,b64dec") == "q\"\\u\xc3\xa9");
  CHECK(e.expr("req.hdr(y),length") == "6");
  CHECK(e.expr("int(3),bool") == "1");
  CHECK(e.expr("int(0),not") == "1");
  CHECK(e.expr("hdr_cnt(x),bool") == "1");
  CHECK(e.expr("str(ab),not") == "1");     // not a number: 0
  CHECK(e.expr("str(0),not") == "1");
  CHECK(e.expr("str(12abc),bool") == "1");
  CHECK(e.expr("str(),bool") == "<absent>");  // empty string is no number
  CHECK(e.expr("req.hdr(n),bool") == "1");
}

TEST_CASE("json: ascii escapes bytes, utf8 escapes code points [haproxy]") {
  Env e("", kReq);
  CHECK(e.expr("req.hdr(y),json") == "q\\\"\\\\u\\u00c3\\u00a9");
  CHECK(e.expr("req.hdr(j),json") == "a\\/b\\\"c\\u00c3\\u00a9");
  CHECK(e.expr("req.hdr(j),json(ascii)") == "a\\/b\\\"c\\u00c3\\u00a9");
  CHECK(e.expr("req.hdr(j),json(utf8)") == "a\\/b\\\"c\\u00e9");
  CHECK(e.expr("req.hdr(j),json(utf8s)") == "a\\/b\\\"c\\u00e9");
  Env bad("", "GET / HTTP/1.1\nHost: h\nB: a\xff" "b\n\n");
  CHECK(bad.expr("req.hdr(b),json(utf8)") == "<absent>");
  CHECK(bad.expr("req.hdr(b),json(utf8s)") == "ab");
}

TEST_CASE("field and word: 1-based, negative from the end, counts [haproxy]") {
  Env e("", kReq);
  CHECK(e.expr("str(a.b.c.d),field(-1,.)") == "d");
  CHECK(e.expr("str(a.b.c.d),field(2,.)") == "b");
  CHECK(e.expr("str(a.b.c.d),field(2,.,2)") == "b.c");
  CHECK(e.expr("str(a.b.c.d),field(-2,.,2)") == "b.c");
  CHECK(e.expr("str(a.b.c.d),field(5,.)") == "");
  CHECK(e.expr("str(a..b.c),word(2,.)") == "b");
  CHECK(e.expr("str(a..b.c),word(-1,.)") == "c");
  CHECK(e.expr("str(a:b::c),word(2,:)") == "b");
  CHECK(e.expr("str(a;b;c),field(2,;)") == "b");
  CHECK(e.expr("path,word(1,/)") == "a");
  CHECK(e.expr("path,field(1,/)") == "");
  CHECK(e.expr("path,word(-2,/)") == "b");
  CHECK(e.expr("path,field(-3,/)") == "a");
}

TEST_CASE("ipmask: v4 masks as bits or dotted, v6 needs its own mask [haproxy]") {
  Env e("", kReq);
  CHECK(e.expr("src,ipmask(16)") == "10.1.0.0");
  CHECK(e.expr("src,ipmask(255.255.0.0)") == "10.1.0.0");
  CHECK(e.expr("req.hdr(m),ipmask(8)") == "10.0.0.0");
  CHECK(e.expr("req.hdr(v6),ipmask(24,64)") == "10.1.2.0");
  CHECK(e.expr("req.hdr(v6b),ipmask(24,64)") == "2001:db8:1:2::");
  CHECK(e.expr("req.hdr(v6b),ipmask(24)") == "<absent>");
}

TEST_CASE("regsub: first or every match, groups, -i flag [haproxy]") {
  Env e("", kReq);
  CHECK(e.expr("path,regsub(/,_)") == "_a/b/c");
  CHECK(e.expr("path,regsub(/,_,g)") == "_a_b_c");
  CHECK(e.expr("str(x),regsub(X,y,i)") == "y");
  CHECK(e.expr("str(x),regsub(X,y)") == "x");
  CHECK(e.expr("path,regsub(\"^/([a-z])/\",\"\\1-\")") == "a-b/c");
}

TEST_CASE("maps: exact, longest prefix, first match in file order for sub/dom/reg, longest ip [haproxy]") {
  write("/tmp/portero_acl_beg.map", "/a x1\n/a/b x2\n# comment\n\n/ x3\n");
  write("/tmp/portero_acl_beg2.map", "/ x3\n/a x1\n/a x4\n");
  write("/tmp/portero_acl_sub.map", "b x1\na x2\n");
  write("/tmp/portero_acl_ip.map", "10.0.0.0/8 n8\n10.1.0.0/16 n16\n0.0.0.0/0 any\n");
  write("/tmp/portero_acl_str.map", "www.example.com be1\nExample.org be2\na v1\na v2\n");
  write("/tmp/portero_acl_reg.map", "^/a be1\n^/a/b be2\n");
  write("/tmp/portero_acl_dom.map", "example.com d1\nwww.example.com d2\n");
  write("/tmp/portero_acl_int.map", "12 twelve\n13 thirteen\n");
  Env e("", "GET /a/b/c HTTP/1.1\nHost: www.example.com:8080\nM: 10.1.2.3\nN: 12\n\n");
  CHECK(e.expr("path,map_beg(/tmp/portero_acl_beg.map)") == "x2");
  CHECK(e.expr("path,map_beg(/tmp/portero_acl_beg2.map)") == "x1");
  CHECK(e.expr("path,map_sub(/tmp/portero_acl_sub.map)") == "x1");
  CHECK(e.expr("req.hdr(m),map_ip(/tmp/portero_acl_ip.map)") == "n16");
  CHECK(e.expr("src,map_ip(/tmp/portero_acl_ip.map)") == "n16");
  CHECK(e.expr("str(a),map(/tmp/portero_acl_str.map)") == "v1");
  CHECK(e.expr("str(nope),map(/tmp/portero_acl_str.map)") == "<absent>");
  CHECK(e.expr("str(nope),map_str(/tmp/portero_acl_str.map,def)") == "def");
  CHECK(e.expr("str(example.org),map_str(/tmp/portero_acl_str.map,def)") == "def");
  CHECK(e.expr("path,map_reg(/tmp/portero_acl_reg.map)") == "be1");
  CHECK(e.expr("req.hdr(host),map_dom(/tmp/portero_acl_dom.map,none)") == "d1");
  CHECK(e.expr("req.hdr(host),map_end(/tmp/portero_acl_dom.map,none)") == "none");
  CHECK(e.expr("req.hdr(n),map_int(/tmp/portero_acl_int.map)") == "twelve");
}

TEST_CASE("the use_backend idiom: host header, lower, map with default") {
  write("/tmp/portero_acl_hosts.map", "# host backend\nwww.example.com be_www\napi.example.com be_api\n");
  Env e("", "GET / HTTP/1.1\nHost: API.Example.com\n\n");
  const std::string f = "%[req.hdr(host),lower,map(/tmp/portero_acl_hosts.map,be_default)]";
  CHECK(e.fmt(f) == "be_api");
  e.set_request("GET / HTTP/1.1\nHost: other\n\n");
  CHECK(e.fmt(f) == "be_default");
  // No Host at all: the fetch fails before the map, so the name is absent and the caller
  // falls back to default_backend, as HAProxy does with an empty or unknown dynamic name.
  e.set_request("GET / HTTP/1.1\n\n");
  CHECK(e.fmt(f) == std::nullopt);
}

TEST_CASE("formats: literal text around expressions, %% and absent samples [haproxy]") {
  Env e("", kReq);
  CHECK(e.fmt("/x/%[req.hdr(nope)]/y") == "/x//y");
  CHECK(e.fmt("%[req.hdr(nope)]") == std::nullopt);
  CHECK(e.fmt("a%%b") == "a%b");
  CHECK(e.fmt("%[path]-%[req.hdr(x)]") == "/a/b/c-a");
  CHECK(e.fmt("plain") == "plain");
}

TEST_CASE("arithmetic converters take a variable as argument [haproxy]") {
  Env e("  acl late var(txn.t),sub(txn.now) lt 0\n", kReq);
  CHECK(e.expr("int(10),sub(txn.n)") == "<absent>");    // no such variable: the converter fails
  e.vars.set_int("txn.n", 3);
  e.vars.set_str("txn.s", "4");
  e.vars.set_str("txn.w", "x");
  CHECK(e.expr("int(10),sub(txn.n)") == "7");
  CHECK(e.expr("int(10),add(txn.s)") == "14");           // a numeric string is read as an integer
  CHECK(e.expr("int(10),mul(txn.n),div(txn.s)") == "7");
  CHECK(e.expr("int(10),mod(txn.n),or(txn.s),xor(txn.n),and(txn.s)") == "4");
  CHECK(e.expr("int(10),sub(txn.w)") == "10");           // "x" casts to 0
  CHECK(e.expr("int(10),sub(2)") == "8");
  e.vars.set_int("txn.t", 5);
  e.vars.set_int("txn.now", 9);
  CHECK(e.yes("late"));
}
