// The `acl` keyword as the config module stores it (compiled later by portero_acl), with the
// errors HAProxy 2.6 gives while reading the line (checked with haproxy -c).
#include <doctest/doctest.h>

#include "portero/config/load.h"

using namespace portero::config;

namespace {
const char* kHead = "defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n";
std::vector<std::string> run(const std::string& text, ConfigPtr* out = nullptr) {
  Diagnostics d;
  auto c = load_text(text, "a.cfg", d);
  if (out) *out = c;
  std::vector<std::string> m;
  for (const auto& x : d.all()) m.push_back(format(x, 7));
  return m;
}
}  // namespace

TEST_CASE("acl lines are kept per section in order, words as written") {
  ConfigPtr c;
  auto m = run(std::string(kHead) + "frontend f\n  bind :8080\n  acl a path_beg -i /x /y\n  acl b src 10.0.0.0/8\n"
                                    "  acl a hdr(host) -m str example.com\nbackend b\n  acl z always_true\n",
               &c);
  REQUIRE(c);
  const auto& f = c->proxies[0];
  REQUIRE(f.acls.size() == 3);
  CHECK(f.acls[0].name == "a");
  CHECK(f.acls[0].words == std::vector<std::string>{"path_beg", "-i", "/x", "/y"});
  CHECK(f.acls[0].origin.line == 8);
  CHECK(f.acls[2].name == "a");
  CHECK(c->proxies[1].acls.size() == 1);
}

TEST_CASE("named defaults may hold ACLs; proxies do not inherit them") {
  ConfigPtr c;
  auto m = run("defaults d\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n"
               "  acl x path /\nbackend b from d\n",
               &c);
  REQUIRE(c);
  CHECK(c->proxies[0].acls.empty());
}

TEST_CASE("acl line errors [haproxy -c]") {
  auto m = run(std::string(kHead) + "  acl indef path /x\nfrontend f\n  bind :8080\n  acl bad$name path /\n  acl noexpr\n");
  REQUIRE(m.size() >= 3);
  CHECK(m[0] == "[ALERT]    (7) : config : parsing [a.cfg:6] : 'acl' not allowed in anonymous 'defaults' section.");
  CHECK(m[1] == "[ALERT]    (7) : config : parsing [a.cfg:9] : character '$' is not permitted in acl name 'bad$name'.");
  CHECK(m[2] == "[ALERT]    (7) : config : parsing [a.cfg:10] : error detected while parsing ACL 'noexpr' : missing "
                "fetch method in ACL expression ''.");
}
