// The admin form's POST: body parsing and result codes, against the matrix observed on
// haproxy 2.6.12 with the same config (web_fixture.h kConfig; s1 checked, s2 unchecked,
// s3 backup, s4 checked and disabled).
#include <doctest/doctest.h>

#include "web/admin_form.h"
#include "web_fixture.h"

using namespace portero;
using namespace portero::web;
using web_test::Fixture;

namespace {
std::string code(Fixture& f, const std::string& body) { return std::string(status_code(apply_admin_post(f.src, body))); }
}  // namespace

TEST_CASE("url_decode: + is a space, %XX a byte, bad escapes refused") {
  std::string out;
  CHECK(url_decode("a%23b+c", out));
  CHECK(out == "a#b c");
  CHECK(url_decode("%5f", out));
  CHECK(out == "_");
  CHECK_FALSE(url_decode("%zz", out));
  CHECK_FALSE(url_decode("ab%2", out));
  CHECK_FALSE(url_decode("%", out));
}

TEST_CASE("pairs come last first; the walk stops at a bad escape or an oversized pair") {
  auto p = form_pairs_from_end("s=s1&s=s2&action=maint&b=%233");
  REQUIRE(p.size() == 4);
  CHECK(p[0].kind == FormPair::Kind::backend);
  CHECK(p[0].value == "#3");
  CHECK(p[1].kind == FormPair::Kind::action);
  CHECK(p[2].value == "s2");
  CHECK(p[3].value == "s1");
  p = form_pairs_from_end("s=a&x=%zz&b=be");
  REQUIRE(p.size() == 2);
  CHECK(p[1].kind == FormPair::Kind::bad_escape);
  p = form_pairs_from_end("junk&=&S=s2");   // no '=', empty key, other keys: ignored kinds
  REQUIRE(p.size() == 2);
  CHECK(p[0].kind == FormPair::Kind::other);
  const std::string long_value(2045, 'y');
  CHECK(form_pairs_from_end("x=" + long_value).back().kind == FormPair::Kind::other);     // 2047 bytes
  CHECK(form_pairs_from_end("x=" + long_value + "y").back().kind == FormPair::Kind::too_long);
  CHECK(form_action("hnolb") == FormAction::hnolb);
  CHECK(form_action("READY") == std::nullopt);
}

TEST_CASE("result codes as haproxy answers them") {
  Fixture f(web_test::kConfig);
  const std::string id = "%23" + std::to_string(f.cfg->proxies[f.proxy("be_app")].id);
  CHECK(code(f, "s=s2&action=drain&b=" + id) == "DONE");
  CHECK(f.state("be_app", "s2").admin == lb::AdminState::drain);
  CHECK(code(f, "s=s2&s=zz&action=maint&b=be_app") == "PART");
  CHECK(f.state("be_app", "s2").admin == lb::AdminState::maint);
  CHECK(code(f, "action=maint&b=be_app") == "NONE");          // no server named
  CHECK(code(f, "s=s2&action=bogus&b=be_app") == "ERRP");      // unknown action
  CHECK(code(f, "s=s2&action=ready&b=nobe") == "ERRP");        // unknown backend
  CHECK(code(f, "b=nobe") == "ERRP");
  CHECK(code(f, "action=&b=be_app") == "ERRP");
  CHECK(code(f, "action=xx") == "ERRP");
  CHECK(code(f, "s=s2&action=maint") == "NONE");               // no backend
  CHECK(code(f, "s=s2&b=be_app") == "NONE");                   // no action
  CHECK(code(f, "action=ready") == "NONE");
  CHECK(code(f, "garbage") == "NONE");
  CHECK(code(f, "") == "NONE");
  CHECK(code(f, "S=s2&action=ready&b=be_app") == "NONE");      // keys are case-sensitive
  CHECK(code(f, "s=zz&action=maint&b=be_app") == "ERRP");      // only unknown servers
  CHECK(code(f, "s=&action=ready&b=be_app") == "ERRP");
  CHECK(code(f, "s=s2&action=READY&b=be_app") == "ERRP");
  CHECK(code(f, "s=s2&action=ready&b=be_app%20") == "ERRP");
  CHECK(code(f, "s=s2&action=ready&b=stats") == "ERRP");       // a backend without that server
  CHECK(code(f, "s=s2&action=ready&b=fe_main") == "ERRP");     // not a backend
  CHECK(code(f, "s=s2&action=ready&b=be_app") == "DONE");
  CHECK(f.state("be_app", "s2").admin == lb::AdminState::ready);
  CHECK(code(f, "s=s2&action=ready&b=be_app") == "DONE");      // already ready: still done
}

TEST_CASE("the last b and action win, earlier ones are not looked at") {
  Fixture f(web_test::kConfig);
  CHECK(code(f, "action=xx&s=s2&action=ready&b=be_app") == "DONE");
  CHECK(code(f, "b=nobe&s=s2&action=ready&b=be_app") == "DONE");
  CHECK(code(f, "s=s2&action=ready&b=be_app&b=fe_main") == "ERRP");
  CHECK(code(f, "s=s2&action=ready&b=be_app&action=xx") == "ERRP");
  CHECK(code(f, "action=ready&b=be_app&s=s2") == "DONE");     // servers named after b/action
  CHECK(code(f, "b=be_app&s=s2&action=ready&") == "DONE");
  CHECK(code(f, "s=s2&action=ready&b=be_app&s=zz") == "PART");
  CHECK(code(f, "s=s%32&action=ready&b=be%5fapp") == "DONE");
}

TEST_CASE("a bad escape stops the walk: what was done stands") {
  Fixture f(web_test::kConfig);
  CHECK(code(f, "s=s2&action=ready&b=be_app&x=%zz") == "NONE");
  CHECK(code(f, "x=%zz&s=s2&action=ready&b=be_app") == "DONE");
  CHECK(code(f, "s=s%zz&action=ready&b=be_app") == "NONE");
  CHECK(code(f, "s=s2&x=%zz&action=ready&b=be_app") == "NONE");
  CHECK(code(f, "s=s2&s=%zz&s=s1&action=ready&b=be_app") == "DONE");
  CHECK(code(f, "x=" + std::string(2046, 'y') + "&action=ready&b=be_app&s=s2") == "ERRP");
}

TEST_CASE("legacy actions and check actions count only what they change") {
  Fixture f(web_test::kConfig);
  CHECK(code(f, "s=s2&action=enable&b=be_app") == "NONE");    // not in maintenance
  CHECK(code(f, "s=s2&s=zz&action=enable&b=be_app") == "ERRP");
  CHECK(code(f, "s=s4&s=s2&action=enable&b=be_app") == "DONE");   // s4 left MAINT, s2 untouched
  CHECK(f.state("be_app", "s4").admin == lb::AdminState::ready);
  CHECK(code(f, "s=s4&action=disable&b=be_app") == "DONE");
  CHECK(code(f, "s=s4&action=disable&b=be_app") == "NONE");
  CHECK(code(f, "s=s2&action=stop&b=be_app") == "DONE");
  CHECK(code(f, "s=s2&action=stop&b=be_app") == "NONE");
  CHECK(code(f, "s=s2&action=start&b=be_app") == "DONE");
  CHECK(code(f, "s=s2&action=start&b=be_app") == "NONE");
  CHECK(code(f, "s=s2&action=dhlth&b=be_app") == "NONE");     // s2 has no check
  CHECK(code(f, "s=s1&action=dhlth&b=be_app") == "DONE");
  CHECK(code(f, "s=s1&action=ehlth&b=be_app") == "DONE");
  CHECK(code(f, "s=s2&action=hnolb&b=be_app") == "DONE");
  CHECK(code(f, "s=s1&action=hdown&b=be_app&s=s1") == "DONE");
  CHECK(code(f, "s=s2&action=dagent&b=be_app") == "NONE");    // no agent
  CHECK(code(f, "s=s2&action=arunn&b=be_app") == "NONE");
  CHECK(code(f, "s=s2&action=shutdown&b=be_app") == "DONE");
  CHECK(f.shutdowns == std::vector<std::string>{"be_app/s2"});
}

TEST_CASE("serve_page answers a POST with 303 and HAProxy's headers") {
  Fixture f(web_test::kConfig);
  const std::string r = f.post("stats", "/stats;up;norefresh", "s=s3&action=maint&b=be_app");
  CHECK(r ==
        "HTTP/1.1 303 See Other\r\ncache-control: no-cache\r\ncontent-type: text/plain\r\ncontent-length: 0\r\n"
        "location: /stats;st=DONE;up;norefresh\r\n\r\n");
  CHECK(f.state("be_app", "s3").admin == lb::AdminState::maint);
  CHECK_FALSE(f.logs.empty());   // the action logged as HAProxy does
  // without `stats admin` allowing it: DENY, nothing changes
  const std::string d = f.post("stats", "/stats", "s=s3&action=ready&b=be_app", false);
  CHECK(web_test::header(d, "location") == "/stats;st=DENY");
  CHECK(f.state("be_app", "s3").admin == lb::AdminState::maint);
  // a body that cannot fit in one buffer: EXCD
  const std::string big = f.post("stats", "/stats", std::string(16000, 'x') + "&s=s3&action=ready&b=be_app");
  CHECK(web_test::header(big, "location") == "/stats;st=EXCD");
}
