#include <doctest/doctest.h>

#include "check/logic.h"

using namespace portero;
using namespace portero::check;

namespace {
// An `http-check expect` of one kind (the hdr/fhdr fields left at their defaults).
config::HttpCheckExpect expect(config::HttpCheckExpect::Kind kind, bool negate, const char* pattern) {
  config::HttpCheckExpect e;
  e.kind = kind;
  e.negate = negate;
  e.pattern = pattern;
  return e;
}
}  // namespace

TEST_CASE("status names and descriptions") {
  CHECK(status_name(Status::l4con) == "L4CON");
  CHECK(status_name(Status::l7okc) == "L7OKC");
  CHECK(status_desc(Status::l4con) == "Layer4 connection problem");
  CHECK(status_desc(Status::l7sts) == "Layer7 wrong status");
  CHECK(status_desc(Status::l7okc) == "Layer7 check conditionally passed");
  CHECK(status_desc(Status::ini) == "Initializing");
  CHECK(status_outcome(Status::l7okc) == Outcome::condpass);
  CHECK(status_outcome(Status::l4tout) == Outcome::fail);
  CHECK(status_has_code(Status::l7sts));
  CHECK_FALSE(status_has_code(Status::l7rsp));
}

TEST_CASE("health: initial state, one failure marks down, rise/fall") {
  Health h;
  h.rise = 3;
  h.fall = 3;
  h.value = h.rise;  // initial: UP transitional
  CHECK(h.up());
  CHECK(h.ratio() == "1/3");
  CHECK(h.apply(Outcome::fail));
  CHECK(h.value == 0);
  CHECK(h.ratio() == "0/3");
  CHECK_FALSE(h.apply(Outcome::fail));
  CHECK(h.apply(Outcome::pass));
  CHECK(h.ratio() == "1/3");
  CHECK(h.apply(Outcome::pass));
  CHECK_FALSE(h.up());
  CHECK(h.apply(Outcome::pass));
  CHECK(h.up());
  CHECK(h.full());
  CHECK(h.value == 5);
  CHECK(h.ratio() == "3/3");
  h.apply(Outcome::fail);
  CHECK(h.ratio() == "2/3");
  h.apply(Outcome::fail);
  CHECK(h.up());
  h.apply(Outcome::fail);
  CHECK_FALSE(h.up());
  CHECK(h.value == 0);
}

TEST_CASE("intervals") {
  Health h{5, 3, 3};
  CHECK(next_interval(h, false, 2000, 500, 10000) == 2000);
  h.value = 0;
  CHECK(next_interval(h, true, 2000, 500, 10000) == 10000);
  CHECK(next_interval(h, true, 2000, std::nullopt, std::nullopt) == 2000);
  h.value = 1;
  CHECK(next_interval(h, true, 2000, 500, 10000) == 500);
}

TEST_CASE("http check request bytes") {
  config::CheckSetup s;
  s.kind = config::CheckSetup::Kind::http;
  CHECK(http_request(s) == "OPTIONS / HTTP/1.0\r\n\r\n");
  s.method = "GET";
  s.uri = "/health";
  s.version = "HTTP/1.1";
  s.headers = {{"host", "www.example.com"}};
  CHECK(http_request(s) == "GET /health HTTP/1.1\r\nhost: www.example.com\r\nconnection: close\r\n\r\n");
  s.headers.clear();
  s.version = "HTTP/1.1\r\nHost: x";
  CHECK(http_request(s) == "GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
}

TEST_CASE("http verdicts") {
  config::CheckSetup s;
  auto v = http_verdict(s, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false);
  CHECK(v.status == Status::l7ok);
  CHECK(v.code == 200);
  v = http_verdict(s, "HTTP/1.1 500 Internal Server Error\r\n\r\n", false);
  CHECK(v.status == Status::l7sts);
  CHECK(v.desc == "Internal Server Error");
  v = http_verdict(s, "HTTP/1.1 200 OK\r\n", false);
  CHECK(v.need_more);
  v = http_verdict(s, "garbage\r\n\r\n", true);
  CHECK(v.status == Status::l7rsp);
  s.disable_on_404 = true;
  v = http_verdict(s, "HTTP/1.0 404 Not Found\r\n\r\n", true);
  CHECK(v.status == Status::l7okc);
  s.expects.push_back(expect(config::HttpCheckExpect::Kind::status, false, "200,300-310"));
  v = http_verdict(s, "HTTP/1.0 305 X\r\n\r\n", true);
  CHECK(v.status == Status::l7ok);
  v = http_verdict(s, "HTTP/1.0 204 X\r\n\r\n", true);
  CHECK(v.status == Status::l7sts);
  s.expects = {expect(config::HttpCheckExpect::Kind::string, false, "alive")};
  v = http_verdict(s, "HTTP/1.0 200 OK\r\n\r\nI am alive", true);
  CHECK(v.status == Status::l7ok);
  v = http_verdict(s, "HTTP/1.0 200 OK\r\n\r\nI am dead", true);
  CHECK(v.status == Status::l7rsp);
  CHECK(v.desc == "HTTP content check did not match");
  s.expects = {expect(config::HttpCheckExpect::Kind::rstatus, true, "^5")};
  CHECK(http_verdict(s, "HTTP/1.0 503 X\r\n\r\n", true).status == Status::l7sts);
  CHECK(http_verdict(s, "HTTP/1.0 403 X\r\n\r\n", true).status == Status::l7ok);
  s.expects = {expect(config::HttpCheckExpect::Kind::rstring, false, "ok[0-9]")};
  CHECK(http_verdict(s, "HTTP/1.0 200 X\r\n\r\nis ok7", true).status == Status::l7ok);
  // PCRE syntax, as HAProxy's checks use (POSIX ERE has no \d nor lazy quantifiers)
  s.expects = {expect(config::HttpCheckExpect::Kind::rstring, false, "\\bok\\d+?\\b")};
  CHECK(http_verdict(s, "HTTP/1.0 200 X\r\n\r\nstatus ok42", true).status == Status::l7ok);
  CHECK(http_verdict(s, "HTTP/1.0 200 X\r\n\r\nstatus okay", true).status == Status::l7rsp);
}

TEST_CASE("http verdicts read the reply with the HTTP/1 codec") {
  using K = config::HttpCheckExpect::Kind;
  config::CheckSetup s;
  s.expects = {expect(K::string, false, "lo wo")};
  const std::string chunked =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
  // the content is matched, not the chunk framing (HAProxy 2.6 alike)
  CHECK(http_verdict(s, chunked, false).status == Status::l7ok);
  s.expects = {expect(K::string, false, "5\r\nhello")};
  CHECK(http_verdict(s, chunked, false).desc == "HTTP content check did not match");
  s.expects = {expect(K::rstring, false, "^hello world$")};
  CHECK(http_verdict(s, chunked, false).status == Status::l7ok);
  // a message not yet complete waits for its end; the close decides on what came
  const std::string cut = chunked.substr(0, chunked.find("6\r\n"));
  CHECK(http_verdict(s, cut, false).need_more);
  s.expects = {expect(K::string, false, "hello")};
  CHECK(http_verdict(s, cut, true).status == Status::l7ok);
  CHECK(http_verdict(s, "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\nhello", false).need_more);
  CHECK(http_verdict(s, "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\nhello", true).status == Status::l7ok);
  // no body at all, negated or not
  for (bool negate : {false, true}) {
    s.expects = {expect(K::string, negate, "hello")};
    auto v = http_verdict(s, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false);
    CHECK(v.status == Status::l7rsp);
    CHECK(v.desc == "HTTP content check could not find a response body");
  }
  CHECK(http_verdict(s, "HTTP/1.1 204 OK\r\nContent-Length: 5\r\n\r\nhello", false).desc ==
        "HTTP content check could not find a response body");
  // framing errors anywhere make the reply invalid, without info
  s.expects.clear();
  auto v = http_verdict(s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", false);
  CHECK(v.status == Status::l7rsp);
  CHECK(v.desc.empty());
  CHECK(http_verdict(s, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nok", true).status ==
        Status::l7rsp);
  CHECK(http_verdict(s, "HTTP/1.1 200 OK\r\nX A: b\r\n\r\n", true).status == Status::l7rsp);
  CHECK(http_verdict(s, "HTTP/1.1 101 Switching\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n", false).status ==
        Status::l7rsp);
  CHECK(http_verdict(s, "HTTP/1.1 200 OK\r\nX: y\r\n", true).status == Status::l7rsp);
  // what HAProxy's checks accept: bare LF line ends, a status below 100, leading blank line
  v = http_verdict(s, "HTTP/1.1 500 Bad Thing\nContent-Length: 2\n\nok", false);
  CHECK(v.status == Status::l7sts);
  CHECK(v.code == 500);
  CHECK(v.desc == "Bad Thing");
  v = http_verdict(s, "HTTP/1.1 099 OK\r\n\r\n", true);
  CHECK(v.status == Status::l7sts);
  CHECK(v.code == 99);
  CHECK(http_verdict(s, "\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false).status == Status::l7ok);
  v = http_verdict(s, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n", false);
  CHECK(v.status == Status::l7sts);
  CHECK(v.code == 100);
  // headers: obs-fold merged into the value, bare LF line ends
  config::HttpCheckExpect e;
  e.kind = K::fhdr;
  e.pattern = "x-a";
  e.has_value = true;
  e.value = "b   c";
  s.expects = {e};
  CHECK(http_verdict(s, "HTTP/1.1 200 OK\r\nX-A: b\r\n c\r\nContent-Length: 0\r\n\r\n", false).status == Status::l7ok);
  e.value = "b";
  s.expects = {e};
  CHECK(http_verdict(s, "HTTP/1.1 200 OK\nX-A: b\nContent-Length: 0\n\n", false).status == Status::l7ok);
}

TEST_CASE("status lists") {
  CHECK(status_in_list("200", 200));
  CHECK(status_in_list("200,201,300-310", 305));
  CHECK_FALSE(status_in_list("200,201,300-310", 311));
}

TEST_CASE("agent replies") {
  auto r = parse_agent_reply("up\n", false);
  CHECK(r.complete);
  CHECK(r.status == Status::l7ok);
  CHECK(r.desc == "via agent : up");
  r = parse_agent_reply("drain", false);
  CHECK_FALSE(r.complete);
  r = parse_agent_reply("drain", true);
  CHECK(r.admin == lb::AdminState::drain);
  CHECK_FALSE(r.status);
  r = parse_agent_reply("75%,ready\r\n", false);
  CHECK(r.weight_pct == 75u);
  CHECK(r.admin == lb::AdminState::ready);
  r = parse_agent_reply("down # disk full\n", false);
  CHECK(r.status == Status::l7sts);
  CHECK(r.desc == "via agent : down (disk full)");
  CHECK(parse_agent_reply("maint\n", false).admin == lb::AdminState::maint);
}

TEST_CASE("log lines") {
  Result r;
  r.status = Status::l7ok;
  r.code = 200;
  r.duration_ms = 1;
  Health h{4, 2, 3};
  CHECK(check_log_line(false, false, "b", "s", r, h, false) ==
        "Health check for server b/s succeeded, reason: Layer7 check passed, code: 200, check duration: 1ms, status: 3/3 UP.");
  r.status = Status::l4con;
  r.desc = "Connection refused";
  r.duration_ms = 0;
  h.value = 0;
  CHECK(check_log_line(false, false, "chk", "closed", r, h, false) ==
        "Health check for server chk/closed failed, reason: Layer4 connection problem, info: \"Connection refused\", "
        "check duration: 0ms, status: 0/2 DOWN.");
  CHECK(server_down_line(false, "chk", "flap", &r, 0, 1, 0) ==
        "Server chk/flap is DOWN, reason: Layer4 connection problem, info: \"Connection refused\", check duration: 0ms. "
        "0 active and 1 backup servers left. Running on backup. 0 sessions active, 0 requeued, 0 remaining in queue.");
  CHECK(server_down_line(false, "chk", "st500", nullptr, 5, 0, 0) ==
        "Server chk/st500 is DOWN. 5 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.");
  r.status = Status::l7ok;
  r.code = 200;
  r.desc.clear();
  r.duration_ms = 1;
  CHECK(server_up_line(false, "chk", "flap", &r, 1, 1) ==
        "Server chk/flap is UP, reason: Layer7 check passed, code: 200, check duration: 1ms. 1 active and 1 backup servers "
        "online. 0 sessions requeued, 0 total in queue.");
}
