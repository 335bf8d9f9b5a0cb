// log-format strings: a format with nearly every variable, run by haproxy 2.6.12 against real
// requests (UTC); the expected lines are the ones it sent, the Records carry its values.
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "log_fixture.h"

using namespace portero;
using logtest::at;
using logtest::render;
using logtest::sa;
using logtest::v4;

namespace {

constexpr const char* kEveryVar =
    "%ci|%cp|%fi|%fp|%f|%ft|%b|%s|%si|%sp|%bi|%bp|%H|%HM|%HU|%HP|%HPO|%HQ|%HV|%ID|%ST|%TR|%Tw|%Tc|"
    "%Tr|%Ta|%Tt|%Th|%Ti|%Tq|%Td|%Tu|%B|%U|%CC|%CS|%tsc|%ts|%ac|%fc|%bc|%sc|%rc|%sq|%bq|%lc|%rt|"
    "%pid|%hr|%hrl|%hs|%hsl|%r|%{+Q}r|%{+Q}b|%{-Q}r|%{+X}ST|%{+X}cp|%{+Q}ST|%{+Q}hr|%{+Q}HM|%t|%tr|"
    "%trg|%trl|%T|%Tl|%ms|%Ts|%sslv|%sslc|%o|%{+E}HU|%{+J}HU";

// haproxy's `unique-id-format %{+X}o\ %ci:%cp_%fi:%fp_%Ts_%rt:%pid`.
constexpr const char* kUniqueId = "%{+X}o %ci:%cp_%fi:%fp_%Ts_%rt:%pid";

std::unique_ptr<log::Format> compile(const char* text) {
  std::string error;
  auto f = log::Format::compile(text, error);
  REQUIRE_MESSAGE(f, error);
  CHECK(error.empty());
  return f;
}

struct Exchange {
  sockaddr_in client, front, server, source;
  std::string_view req_caps[1];
  std::string_view rsp_caps[1] = {"text/plain"};
  std::string id;
  log::Record r;
  Exchange(uint16_t cport, uint16_t fport, uint16_t sport, uint16_t bport, timespec date,
           const char* line, uint32_t pid)
      : client(v4("127.0.0.1", cport)), front(v4("127.0.0.1", fport)),
        server(v4("127.0.0.1", sport)), source(v4("127.0.0.1", bport)) {
    r.client = sa(client);
    r.frontend_addr = sa(front);
    r.server_addr = sa(server);
    r.backend_src = sa(source);
    r.accept_date = r.request_date = date;
    r.frontend = "fe_lf";
    r.backend = "be1";
    r.server = "s1";
    r.hostname = "vm";
    r.pid = pid;
    r.t_request = r.t_queue = r.t_connect = r.t_idle = 0;
    r.status = 200;
    r.bytes_out = 170;
    r.actconn = r.feconn = 1;
    r.request_line = line;
    r.captured_request_headers = req_caps;
    r.captured_response_headers = rsp_caps;
  }
  void unique_id() {
    id = render(*compile(kUniqueId), r);
    r.unique_id = id;
  }
};

}  // namespace

TEST_CASE("every variable: a GET with a query string") {
  Exchange e(55274, 24014, 24001, 41262, at(20, 38, 3, 265000), "GET /lf/a%20b?q=1&r=2 HTTP/1.1",
             32426);
  e.req_caps[0] = "example.com";
  e.r.t_response = e.r.t_active = e.r.t_total = 1;
  e.r.bytes_in = 108;
  logtest::set_ts(e.r, "--VD");
  e.r.request_counter = 4;
  e.unique_id();
  CHECK(e.id == "7F000001:D7EA_7F000001:5DCE_6B05F5AB_0004:7EAA");
  CHECK(render(*compile(kEveryVar), e.r) ==
        "127.0.0.1|55274|127.0.0.1|24014|fe_lf|fe_lf|be1|s1|127.0.0.1|24001|127.0.0.1|41262|vm|GET|"
        "/lf/a%20b?q=1&r=2|/lf/a%20b|/lf/a%20b|?q=1&r=2|HTTP/1.1|"
        "7F000001:D7EA_7F000001:5DCE_6B05F5AB_0004:7EAA|200|0|0|0|1|1|1|0|0|0|0|1|170|108|-|-|--VD|"
        "--|1|1|0|0|0|0|0|0|4|32426|{example.com}|example.com|{text/plain}|text/plain|"
        "GET /lf/a%20b?q=1&r=2 HTTP/1.1|\"GET /lf/a%20b?q=1&r=2 HTTP/1.1\"|\"be1\"|"
        "GET /lf/a%20b?q=1&r=2 HTTP/1.1|200|D7EA|200|\"{example.com}\"|\"GET\"|"
        "24/Nov/2026:20:38:03.265|24/Nov/2026:20:38:03.265|24/Nov/2026:20:38:03 +0000|"
        "24/Nov/2026:20:38:03 +0000|24/Nov/2026:20:38:03 +0000|24/Nov/2026:20:38:03 +0000|265|"
        "1795552683|-|-||/lf/a%20b?q=1&r=2|/lf/a%20b?q=1&r=2");
}

TEST_CASE("every variable: HTTP/1.0 POST without the captured header") {
  Exchange e(55290, 24014, 24001, 41300, at(20, 38, 3, 277000), "POST /post HTTP/1.0", 32426);
  e.req_caps[0] = std::string_view();  // configured, not sent
  e.r.t_response = e.r.t_active = e.r.t_total = 3;
  e.r.bytes_in = 56;
  logtest::set_ts(e.r, "--NI");
  e.r.log_counter = 1;
  e.r.request_counter = 10;
  e.unique_id();
  CHECK(render(*compile(kEveryVar), e.r) ==
        "127.0.0.1|55290|127.0.0.1|24014|fe_lf|fe_lf|be1|s1|127.0.0.1|24001|127.0.0.1|41300|vm|POST|"
        "/post|/post|/post||HTTP/1.0|7F000001:D7FA_7F000001:5DCE_6B05F5AB_000A:7EAA|200|0|0|0|3|3|3|"
        "0|0|0|0|3|170|56|-|-|--NI|--|1|1|0|0|0|0|0|1|10|32426|{}|-|{text/plain}|text/plain|"
        "POST /post HTTP/1.0|\"POST /post HTTP/1.0\"|\"be1\"|POST /post HTTP/1.0|200|D7FA|200|\"{}\"|"
        "\"POST\"|24/Nov/2026:20:38:03.277|24/Nov/2026:20:38:03.277|24/Nov/2026:20:38:03 +0000|"
        "24/Nov/2026:20:38:03 +0000|24/Nov/2026:20:38:03 +0000|24/Nov/2026:20:38:03 +0000|277|"
        "1795552683|-|-||/post|/post");
}

TEST_CASE("every variable: a bad request") {
  Exchange e(36208, 25014, 0, 0, at(20, 38, 44, 900000), "<BADREQ>", 749);
  e.r.server_addr = e.r.backend_src = nullptr;
  e.r.backend = "fe_lf";
  e.r.server = "<NOSRV>";
  e.r.t_request = e.r.t_queue = e.r.t_connect = e.r.t_response = -1;
  e.r.t_active = e.r.t_total = 0;
  e.r.status = 400;
  e.r.bytes_out = 0;
  logtest::set_ts(e.r, "PR--");
  e.r.actconn = 2;
  e.r.log_counter = 2;
  e.r.request_counter = 15;
  e.r.captured_request_headers = {};
  e.r.captured_response_headers = {};
  CHECK(render(*compile(kEveryVar), e.r) ==
        "127.0.0.1|36208|127.0.0.1|25014|fe_lf|fe_lf|fe_lf|<NOSRV>|-|-|-|-|vm|<BADREQ>|<BADREQ>|"
        "<BADREQ>|<BADREQ>|<BADREQ>|<BADREQ>|-|400|-1|-1|-1|-1|0|0|0|0|-1|-1|0|0|0|-|-|PR--|PR|2|1|"
        "0|0|0|0|0|2|15|749|||||<BADREQ>|\"<BADREQ>\"|\"fe_lf\"|<BADREQ>|400|8D70|400||\"<BADREQ>\"|"
        "24/Nov/2026:20:38:44.900|24/Nov/2026:20:38:44.900|24/Nov/2026:20:38:44 +0000|"
        "24/Nov/2026:20:38:44 +0000|24/Nov/2026:20:38:44 +0000|24/Nov/2026:20:38:44 +0000|900|"
        "1795552724|-|-||<BADREQ>|<BADREQ>");
}

TEST_CASE("every variable: an absolute URI") {
  Exchange e(36210, 25014, 25001, 34876, at(20, 38, 44, 913000),
             "GET http://h.example/abs/p?z HTTP/1.1", 749);
  e.req_caps[0] = "h.example";
  e.r.t_response = e.r.t_active = e.r.t_total = 3;
  e.r.bytes_in = 69;
  logtest::set_ts(e.r, "--NI");
  e.r.log_counter = 3;
  e.r.request_counter = 19;
  e.unique_id();
  CHECK(render(*compile(kEveryVar), e.r) ==
        "127.0.0.1|36210|127.0.0.1|25014|fe_lf|fe_lf|be1|s1|127.0.0.1|25001|127.0.0.1|34876|vm|GET|"
        "http://h.example/abs/p?z|http://h.example/abs/p|/abs/p|?z|HTTP/1.1|"
        "7F000001:8D72_7F000001:61B6_6B05F5D4_0013:02ED|200|0|0|0|3|3|3|0|0|0|0|3|170|69|-|-|--NI|"
        "--|1|1|0|0|0|0|0|3|19|749|{h.example}|h.example|{text/plain}|text/plain|"
        "GET http://h.example/abs/p?z HTTP/1.1|\"GET http://h.example/abs/p?z HTTP/1.1\"|\"be1\"|"
        "GET http://h.example/abs/p?z HTTP/1.1|200|8D72|200|\"{h.example}\"|\"GET\"|"
        "24/Nov/2026:20:38:44.913|24/Nov/2026:20:38:44.913|24/Nov/2026:20:38:44 +0000|"
        "24/Nov/2026:20:38:44 +0000|24/Nov/2026:20:38:44 +0000|24/Nov/2026:20:38:44 +0000|913|"
        "1795552724|-|-||http://h.example/abs/p?z|http://h.example/abs/p?z");
}

TEST_CASE("separators: runs of spaces are one, none after an empty variable") {
  log::Record r;
  r.frontend = "fe";
  CHECK(render(*compile("a   b %f"), r) == "a b fe");
  CHECK(render(*compile("%hr %hs %f"), r) == "fe");
  CHECK(render(*compile("%f %hr"), r) == "fe ");
  CHECK(render(*compile("100%% %f"), r) == "100% fe");
}

TEST_CASE("+E escapes quotes, backslashes and closing brackets") {
  log::Record r;
  r.backend = "a\"b\\c]d";
  CHECK(render(*compile("%{+E}b %{+Q,+E}b %b"), r) == "a\\\"b\\\\c\\]d \"a\\\"b\\\\c\\]d\" a\"b\\c]d");
}

TEST_CASE("compile errors") {
  std::string error;
  CHECK_FALSE(log::Format::compile("%ci %foo", error));
  CHECK(error ==
        "no such format variable 'foo'. If you wanted to emit the '%' character verbatim, you "
        "need to use '%%'");
  CHECK_FALSE(log::Format::compile("%[src]", error));
  CHECK(error.find("%[...]") != std::string::npos);
  CHECK_FALSE(log::Format::compile("%{+Q", error));
  CHECK_FALSE(log::Format::compile("50% off", error));
}

TEST_CASE("the built-in formats keep their log-format strings") {
  CHECK(log::Format::httplog().text() ==
        "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc "
        "%sq/%bq %hr %hs %{+Q}r");
  CHECK(log::Format::tcplog().text() ==
        "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq");
}
