// Captured headers in the httplog line (HAProxy 2.6.12's encoding, observed) and portero's
// JSON rendering (`%{+json}`, `option httplog json`).
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "log_fixture.h"
#include "portero/config/config.h"
#include "portero/log/log.h"

using namespace logtest;
using portero::log::Format;
using portero::log::Record;

namespace {

std::unique_ptr<Format> compile(const char* text) {
  std::string err;
  auto f = Format::compile(text, err);
  REQUIRE_MESSAGE(f, err);
  return f;
}

struct Exchange {
  sockaddr_in client = v4("127.0.0.1", 40040);
  std::string_view req_caps[4] = {"te", std::string_view(), "ua \"q\" #h |p {b}", ""};
  std::string_view rsp_caps[2] = {"r2\"#|{}\\z", "Foo Bar"};
  Record r;
  Exchange() {
    r.client = sa(client);
    r.request_date = at(17, 10, 29, 270000);
    r.accept_date = r.request_date;
    r.frontend = "fe";
    r.backend = "be";
    r.server = "s1";
    r.t_request = r.t_queue = r.t_connect = r.t_response = r.t_active = 0;
    r.status = 200;
    r.bytes_out = 115;
    r.actconn = r.feconn = 1;
    r.request_line = "GET /a?b=\"c\" HTTP/1.1";
    r.captured_request_headers = req_caps;
    r.captured_response_headers = rsp_caps;
  }
};

}  // namespace

TEST_CASE("httplog: several captures, absent and empty alike inside the braces, special bytes #XX") {
  Exchange e;
  CHECK(render(Format::httplog(), e.r) ==
        "127.0.0.1:40040 [24/Nov/2026:17:10:29.270] fe be/s1 0/0/0/0/0 200 115 - - ---- 1/1/0/0/0 0/0 "
        "{te||ua #22q#22 #23h #7Cp #7Bb#7D|} {r2#22#23#7C#7B#7D\\z|Foo Bar} \"GET /a?b=#22c#22 HTTP/1.1\"");
  std::string_view ctl[1] = {std::string_view("a\tb\x7f\xe9", 5)};
  e.r.captured_request_headers = ctl;
  e.r.captured_response_headers = {};
  CHECK(render(*compile("%hr|%hs|%hrl"), e.r) == "{a#09b#7F#E9}||a#09b#7F#E9");
}

TEST_CASE("%hrl/%hsl: '-' for an absent header, \"\" when quoted") {
  Exchange e;
  CHECK(render(*compile("%hrl|%{+Q}hrl"), e.r) ==
        "te - ua #22q#22 #23h #7Cp #7Bb#7D |\"te\" \"\" \"ua #22q#22 #23h #7Cp #7Bb#7D\" \"\"");
}

TEST_CASE("+json: every variable a JSON value") {
  Exchange e;
  e.r.unique_id = "id\"1";
  CHECK(render(*compile("%{+json}o%ci %cp %ST %Ta %tsc %CC %ID %hr %hs %r"), e.r) ==
        "\"127.0.0.1\" 40040 200 0 \"----\" null \"id\\\"1\" [\"te\",null,\"ua \\\"q\\\" #h |p {b}\",\"\"] "
        "[\"r2\\\"#|{}\\\\z\",\"Foo Bar\"] \"GET /a?b=\\\"c\\\" HTTP/1.1\"");
  // control characters, DEL and bytes >= 0x80 (read as Latin-1) escaped: always valid JSON
  e.r.request_line = std::string_view("a\tb\n\x01\x7f\xe9", 7);
  CHECK(render(*compile("%{+json}r"), e.r) == "\"a\\tb\\n\\u0001\\u007f\\u00e9\"");
  // numbers without HAProxy's '+' marks nor leading zeros, -1 kept
  e.r.logasap = true;
  e.r.redispatched = true;
  e.r.retries = 2;
  e.r.t_connect = -1;
  e.r.accept_date = at(17, 10, 29, 7000);
  CHECK(render(*compile("%{+json}o%Ta,%rc,%Tc,%ms,%B"), e.r) == "0,2,-1,7,115");
  // no capture configured: empty arrays; ISO 8601 dates
  e.r.captured_request_headers = {};
  CHECK(render(*compile("%{+json}o%hr %hrl %tr"), e.r) == "[] [] \"2026-11-24T17:10:29.270000+00:00\"");
}

TEST_CASE("option httplog json: one JSON object, the httplog fields") {
  Exchange e;
  CHECK(render(*compile(portero::config::kHttplogJsonFormat), e.r) ==
        "{\"client_ip\":\"127.0.0.1\",\"client_port\":40040,\"accept_date\":\"2026-11-24T17:10:29.270000+00:00\","
        "\"frontend\":\"fe\",\"backend\":\"be\",\"server\":\"s1\",\"TR\":0,\"Tw\":0,\"Tc\":0,\"Tr\":0,\"Ta\":0,"
        "\"status\":200,\"bytes_read\":115,\"captured_request_cookie\":null,\"captured_response_cookie\":null,"
        "\"termination_state\":\"----\",\"actconn\":1,\"feconn\":1,\"beconn\":0,\"srv_conn\":0,\"retries\":0,"
        "\"srv_queue\":0,\"backend_queue\":0,"
        "\"captured_request_headers\":[\"te\",null,\"ua \\\"q\\\" #h |p {b}\",\"\"],"
        "\"captured_response_headers\":[\"r2\\\"#|{}\\\\z\",\"Foo Bar\"],"
        "\"http_request\":\"GET /a?b=\\\"c\\\" HTTP/1.1\"}");
}

TEST_CASE("unique-id-format: HAProxy's usual hex form") {
  Exchange e;
  sockaddr_in fe = v4("127.0.0.1", 18093);
  e.r.frontend_addr = sa(fe);
  e.r.accept_date = timespec{0x6B0607EB, 0};
  e.r.request_counter = 2;
  CHECK(render(*compile("%{+X}o %ci:%cp_%fi:%fp_%Ts_%rt"), e.r) ==
        "7F000001:9C68_7F000001:46AD_6B0607EB_0002");
}
