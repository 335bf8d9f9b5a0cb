// option httplog / httplog clf / tcplog: each expected line was received from haproxy 2.6.12
// (UTC) for a real exchange; the Record carries the values haproxy reported.
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

// A finished request through fe/be1/s1 with haproxy's counters for a lone client.
log::Record exchange(const sockaddr_in& client, timespec date, const char* fe, const char* line) {
  log::Record r;
  r.client = sa(client);
  r.accept_date = r.request_date = date;
  r.frontend = fe;
  r.backend = "be1";
  r.server = "s1";
  r.t_request = r.t_queue = r.t_connect = 0;
  r.t_idle = 0;
  r.status = 200;
  r.bytes_out = 170;
  logtest::set_ts(r, "--NI");
  r.actconn = r.feconn = 1;
  r.request_line = line;
  return r;
}

}  // namespace

TEST_CASE("httplog: a proxied request") {
  auto c = v4("127.0.0.1", 39832);
  log::Record r = exchange(c, at(20, 38, 3, 253000), "fe_http", "GET /foo?x=1 HTTP/1.1");
  r.t_response = 2;
  r.t_active = 2;
  CHECK(render(log::Format::httplog(), r) ==
        "127.0.0.1:39832 [24/Nov/2026:20:38:03.253] fe_http be1/s1 0/0/0/2/2 200 170 - - --NI "
        "1/1/0/0/0 0/0 \"GET /foo?x=1 HTTP/1.1\"");
}

TEST_CASE("httplog: captured cookies and headers") {
  auto c = v4("127.0.0.1", 48440);
  log::Record r = exchange(c, at(20, 38, 3, 256000), "fe_cap", "GET /cap HTTP/1.1");
  r.t_response = r.t_active = 5;
  r.captured_request_cookie = "SRV=s1";
  r.captured_response_cookie = "SRV=abc123";
  logtest::set_ts(r, "--VD");
  std::string_view req[] = {"example.com", "curl/7.88."};  // `len 10` cut by the capture
  std::string_view rsp[] = {"text/plain"};
  r.captured_request_headers = req;
  r.captured_response_headers = rsp;
  CHECK(render(log::Format::httplog(), r) ==
        "127.0.0.1:48440 [24/Nov/2026:20:38:03.256] fe_cap be1/s1 0/0/0/5/5 200 170 SRV=s1 "
        "SRV=abc123 --VD 1/1/0/0/0 0/0 {example.com|curl/7.88.} {text/plain} \"GET /cap HTTP/1.1\"");

  SUBCASE("a header that was not sent leaves its slot empty") {
    auto c2 = v4("127.0.0.1", 59896);
    log::Record r2 = exchange(c2, at(20, 38, 44, 901000), "fe_cap", "GET /p HTTP/1.1");
    r2.t_response = r2.t_active = 4;
    r2.captured_response_cookie = "SRV=abc123";
    std::string_view req2[] = {std::string_view(), "only"};
    r2.captured_request_headers = req2;
    r2.captured_response_headers = rsp;
    CHECK(render(log::Format::httplog(), r2) ==
          "127.0.0.1:59896 [24/Nov/2026:20:38:44.901] fe_cap be1/s1 0/0/0/4/4 200 170 - "
          "SRV=abc123 --NI 1/1/0/0/0 0/0 {|only} {text/plain} \"GET /p HTTP/1.1\"");
  }
  SUBCASE("captured values are #-encoded (\" # { | } controls, bytes >= 127)") {
    auto c3 = v4("127.0.0.1", 59888);
    log::Record r3 = exchange(c3, at(20, 38, 44, 899000), "fe_cap", "GET /e HTTP/1.1");
    r3.t_response = r3.t_active = 1;
    r3.captured_response_cookie = "SRV=abc123";
    std::string_view req3[] = {"a\"b|c{d}e#f\tg\xe9h\\i", "x y"};
    r3.captured_request_headers = req3;
    r3.captured_response_headers = rsp;
    CHECK(render(log::Format::httplog(), r3) ==
          "127.0.0.1:59888 [24/Nov/2026:20:38:44.899] fe_cap be1/s1 0/0/0/1/1 200 170 - "
          "SRV=abc123 --NI 1/1/0/0/0 0/0 {a#22b#7Cc#7Bd#7De#23f#09g#E9h\\i|x y} {text/plain} "
          "\"GET /e HTTP/1.1\"");
  }
}

TEST_CASE("httplog: no server, deny, bad request, absolute URI") {
  auto c = v4("127.0.0.1", 34728);
  log::Record r = exchange(c, at(20, 38, 3, 267000), "fe_nosrv", "GET /nosrv HTTP/1.1");
  r.backend = "be_empty";
  r.server = "<NOSRV>";
  r.t_queue = r.t_connect = r.t_response = -1;
  r.t_active = 0;
  r.status = 503;
  r.bytes_out = 217;
  logtest::set_ts(r, "SC--");
  CHECK(render(log::Format::httplog(), r) ==
        "127.0.0.1:34728 [24/Nov/2026:20:38:03.267] fe_nosrv be_empty/<NOSRV> 0/-1/-1/-1/0 503 "
        "217 - - SC-- 1/1/0/0/0 0/0 \"GET /nosrv HTTP/1.1\"");

  auto c2 = v4("127.0.0.1", 42548);
  log::Record d = exchange(c2, at(20, 38, 3, 277000), "fe_deny", "GET /deny HTTP/1.1");
  d.backend = "fe_deny";
  d.server = "<NOSRV>";
  d.t_queue = d.t_connect = d.t_response = -1;
  d.t_active = 0;
  d.status = 403;
  d.bytes_out = 192;
  logtest::set_ts(d, "PR--");
  CHECK(render(log::Format::httplog(), d) ==
        "127.0.0.1:42548 [24/Nov/2026:20:38:03.277] fe_deny fe_deny/<NOSRV> 0/-1/-1/-1/0 403 192 "
        "- - PR-- 1/1/0/0/0 0/0 \"GET /deny HTTP/1.1\"");

  auto c3 = v4("127.0.0.1", 39842);
  log::Record b = exchange(c3, at(20, 38, 3, 282000), "fe_http", "<BADREQ>");
  b.backend = "fe_http";
  b.server = "<NOSRV>";
  b.t_request = b.t_queue = b.t_connect = b.t_response = -1;
  b.t_active = 0;
  b.status = 400;
  b.bytes_out = 0;
  logtest::set_ts(b, "PR--");
  CHECK(render(log::Format::httplog(), b) ==
        "127.0.0.1:39842 [24/Nov/2026:20:38:03.282] fe_http fe_http/<NOSRV> -1/-1/-1/-1/0 400 0 - "
        "- PR-- 1/1/0/0/0 0/0 \"<BADREQ>\"");

  auto c4 = v4("127.0.0.1", 44886);
  log::Record a = exchange(c4, at(20, 38, 44, 909000), "fe_http", "GET http://h.example/abs?z HTTP/1.1");
  a.t_response = a.t_active = 3;
  CHECK(render(log::Format::httplog(), a) ==
        "127.0.0.1:44886 [24/Nov/2026:20:38:44.909] fe_http be1/s1 0/0/0/3/3 200 170 - - --NI "
        "1/1/0/0/0 0/0 \"GET http://h.example/abs?z HTTP/1.1\"");
}

TEST_CASE("httplog clf") {
  auto c = v4("127.0.0.1", 45680);
  log::Record r = exchange(c, at(20, 38, 3, 261000), "fe_clf", "GET /clf HTTP/1.1");
  r.t_response = r.t_active = 1;
  // No capture configured: the two list variables print nothing, one separator stays.
  CHECK(render(log::Format::httplog_clf(), r) ==
        "127.0.0.1 - - [24/Nov/2026:20:38:03 +0000] \"GET /clf HTTP/1.1\" 200 170 \"\" \"\" 45680 "
        "261 \"fe_clf\" \"be1\" \"s1\" 0 0 0 1 1 --NI 1 1 0 0 0 0 0 \"\" \"\" ");

  auto c2 = v4("127.0.0.1", 45704);
  log::Record k = exchange(c2, at(20, 38, 3, 263000), "fe_clfcap", "GET /clfcap HTTP/1.1");
  k.t_response = k.t_active = 0;
  std::string_view req[] = {"example.com"};
  std::string_view rsp[] = {"text/plain"};
  k.captured_request_headers = req;
  k.captured_response_headers = rsp;
  CHECK(render(log::Format::httplog_clf(), k) ==
        "127.0.0.1 - - [24/Nov/2026:20:38:03 +0000] \"GET /clfcap HTTP/1.1\" 200 170 \"\" \"\" "
        "45704 263 \"fe_clfcap\" \"be1\" \"s1\" 0 0 0 0 0 --NI 1 1 0 0 0 0 0 \"\" \"\" "
        "\"example.com\" \"text/plain\"");

  auto c3 = v4("127.0.0.1", 49624);
  log::Record m = exchange(c3, at(20, 38, 44, 905000), "fe_clfcap", "GET /p HTTP/1.1");
  m.t_response = m.t_active = 3;
  std::string_view absent[] = {std::string_view()};
  m.captured_request_headers = absent;
  m.captured_response_headers = rsp;
  CHECK(render(log::Format::httplog_clf(), m) ==
        "127.0.0.1 - - [24/Nov/2026:20:38:44 +0000] \"GET /p HTTP/1.1\" 200 170 \"\" \"\" 49624 "
        "905 \"fe_clfcap\" \"be1\" \"s1\" 0 0 0 3 3 --NI 1 1 0 0 0 0 0 \"\" \"\" \"\" "
        "\"text/plain\"");
}

TEST_CASE("tcplog") {
  auto c = v4("127.0.0.1", 58616);
  log::Record r;
  r.client = sa(c);
  r.accept_date = at(20, 38, 3, 273000);
  r.frontend = "fe_tcp";
  r.backend = "be_tcp";
  r.server = "s1";
  r.t_queue = 1;
  r.t_connect = 0;
  r.t_total = 3;
  r.bytes_out = 175;
  logtest::set_ts(r, "----");
  r.actconn = 2;
  r.feconn = 1;
  CHECK(render(log::Format::tcplog(), r) ==
        "127.0.0.1:58616 [24/Nov/2026:20:38:03.273] fe_tcp be_tcp/s1 1/0/3 175 -- 2/1/0/0/0 0/0");
}

TEST_CASE("render stops at the buffer's end") {
  auto c = v4("127.0.0.1", 58616);
  log::Record r;
  r.client = sa(c);
  char buf[10];
  CHECK(log::Format::tcplog().render(r, buf, sizeof buf) == 10);
  CHECK(std::string(buf, 10) == "127.0.0.1:");
}
