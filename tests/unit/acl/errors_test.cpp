// Configuration errors and warnings in HAProxy's words. Every expected line below was printed
// by `haproxy -c` (2.6.12) on the same lines.
#include "acl_fixture.h"

using acltest::messages;

namespace {
const std::string kHead =
    "defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n"
    "frontend f\n  bind 127.0.0.1:27001\n";  // line 7; the first line under test is line 8
const std::string kTail = "  default_backend b\nbackend b\n  server s 127.0.0.1:27002\n";

std::string one(const std::string& line) {
  auto m = messages(kHead + line + "\n" + kTail);
  REQUIRE(!m.empty());
  return m[0];
}
std::string alert(const std::string& text) { return "[ALERT]    (42) : config : parsing [t.cfg:8] : " + text; }
}  // namespace

TEST_CASE("acl lines") {
  CHECK(one("  acl unk foo_bar /x") ==
        alert("error detected while parsing ACL 'unk' : unknown fetch method 'foo_bar' in ACL expression 'foo_bar'."));
  CHECK(one("  acl r path_reg (") == alert("error detected while parsing ACL 'r' : regex '(' is invalid "
                                           "(error=missing closing parenthesis, erroffset=1)."));
  CHECK(one("  acl i src 1.2.3.400") ==
        alert("error detected while parsing ACL 'i' : '1.2.3.400' is not a valid IPv4 or IPv6 address."));
  CHECK(one("  acl n dst_port abc") == alert("error detected while parsing ACL 'n' : 'abc' is not a number."));
  CHECK(one("  acl h hdr_beg(host,x) a") == alert("error detected while parsing ACL 'h' : ACL keyword 'hdr_beg' : "
                                                  "failed to parse 'x' as type 'integer' at position 2."));
  CHECK(one("  acl m path -m foo x") ==
        alert("error detected while parsing ACL 'm' : unknown matching method 'foo' when parsing ACL expression."));
  CHECK(one("  acl f path -f /nonexist") ==
        alert("error detected while parsing ACL 'f' : failed to open pattern file </nonexist>."));
  CHECK(one("  acl z req.hdr(host),foo x") == alert("error detected while parsing ACL 'z' : unknown converter 'foo' "
                                                    "in ACL expression 'req.hdr(host),foo'."));
  CHECK(one("  acl y path -z foo") ==
        alert("error detected while parsing ACL 'y' : '-z' is not a valid ACL option. Please use '--' before any "
              "pattern beginning with a '-'."));
  CHECK(one("  acl bad$name path /") == alert("character '$' is not permitted in acl name 'bad$name'."));
  CHECK(one("  acl noexpr") ==
        alert("error detected while parsing ACL 'noexpr' : missing fetch method in ACL expression ''."));
}

TEST_CASE("conditions") {
  CHECK(one("  use_backend b if undefined_acl") ==
        alert("error detected while parsing switching rule : no such ACL : 'undefined_acl'."));
  CHECK(one("  use_backend b if {path /}") ==
        alert("error detected while parsing switching rule : no such ACL : '{path'."));
  CHECK(one("  use_backend b if { }") ==
        alert("error detected while parsing switching rule : missing fetch method in ACL expression ''."));
  CHECK(one("  use_backend b if { path_beg(x) / }") ==
        alert("error detected while parsing switching rule : ACL keyword 'path_beg' : expected ')' before 'x)'."));
  CHECK(one("  use_backend b if { hdr_beg(host,x) / }") ==
        alert("error detected while parsing switching rule : ACL keyword 'hdr_beg' : failed to parse 'x' as type "
              "'integer' at position 2."));
  CHECK(one("  use_backend b if { path,map(/nonexist.map) / }") ==
        alert("error detected while parsing switching rule : ACL keyword 'path' : invalid args in converter 'map' : "
              "failed to open pattern file </nonexist.map>.."));
  CHECK(one("  tcp-request content accept if nope1") ==
        alert("'tcp-request content accept' : error detected in frontend 'f' while parsing 'if' condition : no such "
              "ACL : 'nope1'"));
  CHECK(one("  http-request deny if { foo_bar x }") ==
        alert("error detected while parsing an 'http-request deny' condition : unknown fetch method 'foo_bar' in ACL "
              "expression 'foo_bar'."));
  CHECK(one("  http-request deny if { path /") ==
        alert("error detected while parsing an 'http-request deny' condition : missing closing '}' in condition."));
  CHECK(one("  http-request deny if { src 1.2.3.4/33 }") ==
        alert("error detected while parsing an 'http-request deny' condition : '1.2.3.4/33' is not a valid IPv4 or "
              "IPv6 address."));
}

TEST_CASE("an ACL without patterns warns, unless -m forces a method or -- ends the flags") {
  auto m = messages(kHead + "  acl p path_beg\n  acl q path -m str\n  acl r path --\n  acl s always_true\n" + kTail);
  REQUIRE(m.size() == 1);
  CHECK(m[0] ==
        "[WARNING]  (42) : config : parsing acl keyword 'path_beg' :\n"
        "  no pattern to match against were provided, so this ACL will never match.\n"
        "  If this is what you intended, please add '--' to get rid of this warning.\n"
        "  If you intended to match only for existence, please use '-m found'.\n"
        "  If you wanted to force an int to match as a bool, please use '-m bool'.\n");
}

TEST_CASE("unknown userlists, backends and servers in fetch arguments are errors") {
  auto m = messages(kHead + "  acl a http_auth(NOPE)\n  acl b nbsrv(nope) 1\n  acl c srv_is_up(b/zz)\n" + kTail);
  REQUIRE(m.size() >= 3);
  CHECK(m[0].find("unable to find userlist 'NOPE' referenced in arg 1 of ACL keyword 'http_auth'") != std::string::npos);
  CHECK(m[1].find("unable to find backend 'nope'") != std::string::npos);
  CHECK(m[2].find("unable to find server 'zz' in backend 'b'") != std::string::npos);
}

TEST_CASE("dynamic use_backend names are compiled") {
  auto m = messages(kHead + "  use_backend %[req.hdr(host),foo]\n" + kTail);
  REQUIRE(!m.empty());
  CHECK(m[0].find("unknown converter 'foo'") != std::string::npos);
}

TEST_CASE("an arithmetic converter's argument is an integer or a variable of a known scope") {
  // haproxy 2.6.12: `sub(txn.now)` loads; these do not.
  for (const char* bad : {"foo", "xyz.now", "txn.", "12x"})
    CHECK(one(std::string("  http-request deny if { var(txn.x),sub(") + bad + ") gt 0 }") ==
          alert("error detected while parsing an 'http-request deny' condition : invalid args in converter 'sub' : "
                "expects an integer or a variable name in ACL expression 'var(txn.x),sub(" + std::string(bad) + ")'."));
}
