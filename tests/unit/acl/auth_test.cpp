// http_auth / http_auth_group against a userlist: crypt(3) hashes, clear passwords, groups
// written on either side.
#include "acl_fixture.h"

using acltest::Env;

namespace {
// bob:secret with SHA-256 crypt; alice:clear in clear text.
const std::string kUsers =
    "userlist L1\n"
    "  group admins users bob\n"
    "  group ops\n"
    "  user bob password $5$salt$kpa26zwgX83BPSR8d7w93OIXbFt/d3UOTZaAu5vsTM6\n"
    "  user alice insecure-password clear groups ops\n";
const std::string kAcls =
    "  acl ok http_auth(L1)\n  acl adm http_auth_group(L1) admins\n  acl op http_auth_group(L1) ops nogroup\n";

std::string req(const char* b64) { return std::string("GET / HTTP/1.1\nHost: h\nAuthorization: Basic ") + b64 + "\n\n"; }
}  // namespace

TEST_CASE("basic auth: hashed and clear passwords, groups from both sides") {
  Env e(kAcls, req("Ym9iOnNlY3JldA=="), kUsers);  // bob:secret
  CHECK(e.yes("ok"));
  CHECK(e.yes("adm"));
  CHECK_FALSE(e.yes("op"));
  CHECK(e.expr("http_auth_group(L1)") == "bob");
  e.set_request(req("Ym9iOndyb25n"));  // bob:wrong
  CHECK_FALSE(e.yes("ok"));
  CHECK_FALSE(e.yes("adm"));
  e.set_request(req("YWxpY2U6Y2xlYXI="));  // alice:clear
  CHECK(e.yes("ok"));
  CHECK(e.yes("op"));
  CHECK_FALSE(e.yes("adm"));
  e.set_request(req("YWxpY2U6Y2xlYXJ4"));  // alice:clearx
  CHECK_FALSE(e.yes("ok"));
  e.set_request(req("bm9ib2R5OngK"));  // unknown user
  CHECK_FALSE(e.yes("ok"));
  e.set_request(req("!!!!"));  // not base64
  CHECK_FALSE(e.yes("ok"));
  e.set_request("GET / HTTP/1.1\nHost: h\n\n");
  CHECK_FALSE(e.yes("ok"));
  e.set_request("GET / HTTP/1.1\nHost: h\nAuthorization: Bearer abc\n\n");
  CHECK_FALSE(e.yes("ok"));
}

TEST_CASE("the userlist section as haproxy reads it") {
  Env e("", "GET / HTTP/1.1\nHost: h\n\n", kUsers);
  const auto* ul = e.cfg->find_userlist("L1");
  REQUIRE(ul);
  REQUIRE(ul->users.size() == 2);
  CHECK(ul->users[0].name == "bob");
  CHECK_FALSE(ul->users[0].insecure);
  CHECK(ul->users[0].groups == std::vector<std::string>{"admins"});
  CHECK(ul->users[1].insecure);
  CHECK(ul->users[1].password == "clear");
  CHECK(ul->groups.size() == 2);
}

TEST_CASE("userlist messages [haproxy -c]") {
  auto m = acltest::messages(
      "userlist L1\n  group admins users bob,alice\n  user bob password x groups admins\n"
      "  user alice insecure-password secret\n  user frank frobnicate x\n  group\n"
      "  user bob insecure-password dup\n  group admins\n  foo bar\nuserlist\nuserlist L1\n");
  REQUIRE(m.size() >= 7);
  CHECK(m[0] == "[ALERT]    (42) : config : parsing [t.cfg:5]: 'user' only supports 'password', "
                "'insecure-password' and 'groups' options.");
  CHECK(m[1] == "[ALERT]    (42) : config : parsing [t.cfg:6]: 'group' expects <name> as arguments.");
  CHECK(m[2] == "[WARNING]  (42) : config : parsing [t.cfg:7]: ignoring duplicated user 'bob' in userlist 'L1'.");
  CHECK(m[3] == "[WARNING]  (42) : config : parsing [t.cfg:8]: ignoring duplicated group 'admins' in userlist 'L1'.");
  CHECK(m[4] == "[ALERT]    (42) : config : parsing [t.cfg:9]: unknown keyword 'foo' in 'users' section");
  CHECK(m[5] == "[ALERT]    (42) : config : parsing [t.cfg:10]: 'userlist' expects <name> as arguments.");
  CHECK(m[6] == "[WARNING]  (42) : config : parsing [t.cfg:11]: ignoring duplicated userlist 'L1'.");
  auto g = acltest::messages("userlist L1\n  group G users nobody\n  user u insecure-password p groups nosuch\n");
  REQUIRE(g.size() >= 2);
  CHECK(g[0] == "[ALERT]    (42) : config : userlist 'L1': no such group 'nosuch' specified in user 'u'");
  CHECK(g[1] == "[ALERT]    (42) : config : userlist 'L1': no such user 'nobody' specified in group 'G'");
}
