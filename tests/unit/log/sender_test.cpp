// Syslog headers, level filtering and truncation: the expected datagrams were received from
// haproxy 2.6.12 (`log 127.0.0.1:P [len N] format F FACILITY [max [min]]`, UTC, pid 32426).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "log_fixture.h"

using namespace portero;
using logtest::at;

namespace {

const std::string kMsg =
    "127.0.0.1:39832 [24/Nov/2026:20:38:03.253] fe_http be1/s1 0/0/0/2/2 200 170 - - --NI "
    "1/1/0/0/0 0/0 \"GET /foo?x=1 HTTP/1.1\"";

config::LogTarget target(const char* format, int facility, int level = 7, int min_level = 0,
                         uint32_t len = 1024) {
  config::LogTarget t;
  t.format = format;
  t.facility = facility;
  t.level = level;
  t.min_level = min_level;
  t.max_len = len;
  return t;
}

std::string build(log::Sender& s, const config::LogTarget& t, int level, const std::string& msg,
                  timespec now) {
  char buf[70000];
  size_t n = s.build(t, level, msg, now, buf, sizeof buf);
  return std::string(buf, n);
}

struct Haproxy {
  config::Global g;
  std::unique_ptr<log::Sender> s;
  explicit Haproxy(uint32_t pid = 32426, const char* tag = "haproxy", const char* host = nullptr) {
    g.log_tag = tag;
    if (host) {
      g.log_send_hostname = true;
      g.node = host;
    }
    s = std::make_unique<log::Sender>(g);
    s->set_pid(pid);
  }
};

}  // namespace

TEST_CASE("every syslog format's header, as haproxy sends it") {
  Haproxy h;
  const timespec t = at(20, 38, 3, 256294);
  CHECK(build(*h.s, target("local", 16), 6, kMsg, t) ==
        "<134>Nov 24 20:38:03 haproxy[32426]: " + kMsg + "\n");
  CHECK(build(*h.s, target("rfc3164", 17), 6, kMsg, t) ==
        "<142>Nov 24 20:38:03 localhost haproxy[32426]: " + kMsg + "\n");
  CHECK(build(*h.s, target("rfc5424", 18), 6, kMsg, t) ==
        "<150>1 2026-11-24T20:38:03.256294+00:00 - haproxy 32426 - - " + kMsg + "\n");
  CHECK(build(*h.s, target("short", 19), 6, kMsg, t) == "<6>" + kMsg + "\n");
  CHECK(build(*h.s, target("raw", 20), 6, kMsg, t) == kMsg + "\n");
  CHECK(build(*h.s, target("iso", 21), 6, kMsg, at(20, 38, 3, 256366)) ==
        "2026-11-24T20:38:03.256366+00:00 " + kMsg + "\n");
  CHECK(build(*h.s, target("timed", 22), 6, kMsg, at(20, 38, 3, 256382)) ==
        "<6>2026-11-24T20:38:03.256382+00:00 " + kMsg + "\n");
  CHECK(build(*h.s, target("priority", 23), 6, kMsg, t) == "<190>" + kMsg + "\n");
}

TEST_CASE("log-send-hostname and log-tag") {
  Haproxy h(749, "mytag", "myhost");
  const std::string m =
      "127.0.0.1:44862 [24/Nov/2026:20:38:44.869] fe_http be1/s1 0/0/0/3/4 200 170 - - --NI "
      "1/1/0/0/0 0/0 \"GET /foo?x=1 HTTP/1.1\"";
  const timespec t = at(20, 38, 44, 873821);
  // `local` never shows the host name; rfc3164 and rfc5424 do.
  CHECK(build(*h.s, target("local", 16), 6, m, t) == "<134>Nov 24 20:38:44 mytag[749]: " + m + "\n");
  CHECK(build(*h.s, target("rfc3164", 17), 6, m, t) ==
        "<142>Nov 24 20:38:44 myhost mytag[749]: " + m + "\n");
  CHECK(build(*h.s, target("rfc5424", 18), 6, m, t) ==
        "<150>1 2026-11-24T20:38:44.873821+00:00 myhost mytag 749 - - " + m + "\n");
}

TEST_CASE("log-format-sd fills rfc5424's structured data; other formats ignore it") {
  Haproxy h(4220);
  char buf[512];
  const timespec t = at(20, 47, 4, 885282);
  size_t n = h.s->build(target("rfc5424", 16), 6, "127.0.0.1 200", t, buf, sizeof buf, "[exp@1 b=\"f\"]");
  CHECK(std::string(buf, n) ==
        "<134>1 2026-11-24T20:47:04.885282+00:00 - haproxy 4220 - [exp@1 b=\"f\"] 127.0.0.1 200\n");
  n = h.s->build(target("local", 17), 6, "127.0.0.1 200", t, buf, sizeof buf, "[exp@1 b=\"f\"]");
  CHECK(std::string(buf, n) == "<142>Nov 24 20:47:04 haproxy[4220]: 127.0.0.1 200\n");
}

TEST_CASE("single-digit days are padded with a space in rfc3164 dates") {
  Haproxy h(7);
  const timespec t{1795478400 + 10 * 86400 + 3600, 0};  // 4 Dec 2026 01:00:00 UTC
  CHECK(build(*h.s, target("local", 16), 6, "x", t) == "<134>Dec  4 01:00:00 haproxy[7]: x\n");
}

TEST_CASE("len cuts header and message at N bytes, then the newline") {
  Haproxy h;
  CHECK(build(*h.s, target("local", 16, 7, 0, 100), 6, kMsg, at(20, 38, 3, 256000)) ==
        "<134>Nov 24 20:38:03 haproxy[32426]: 127.0.0.1:39832 [24/Nov/2026:20:38:03.253] fe_http "
        "be1/s1 0/0/0\n");
  CHECK(build(*h.s, target("rfc5424", 3, 7, 0, 120), 6, kMsg, at(20, 38, 3, 256452)) ==
        "<30>1 2026-11-24T20:38:03.256452+00:00 - haproxy 32426 - - 127.0.0.1:39832 "
        "[24/Nov/2026:20:38:03.253] fe_http be1/s1 0/0\n");
}

TEST_CASE("level range: max filters, min clips") {
  Haproxy h;
  const timespec t = at(20, 38, 3, 271000);
  const std::string err =
      "127.0.0.1:46368 [24/Nov/2026:20:38:03.271] fe_sep be_empty/<NOSRV> 0/-1/-1/-1/0 503 217 - "
      "- SC-- 1/1/0/0/0 0/0 \"GET /err HTTP/1.1\"";
  // `log ... local0 notice`: the info line is not sent, the err line (log-separate-errors) is.
  CHECK(build(*h.s, target("local", 16, 5), 6, kMsg, t).empty());
  CHECK(build(*h.s, target("local", 16, 5), 3, err, t) ==
        "<131>Nov 24 20:38:03 haproxy[32426]: " + err + "\n");
  // `log ... user debug err`: info stays info, err stays err.
  CHECK(build(*h.s, target("local", 1, 7, 3), 6, kMsg, t) ==
        "<14>Nov 24 20:38:03 haproxy[32426]: " + kMsg + "\n");
  CHECK(build(*h.s, target("local", 1, 7, 3), 3, err, t) ==
        "<11>Nov 24 20:38:03 haproxy[32426]: " + err + "\n");
  // `log ... local7 info info`.
  CHECK(build(*h.s, target("local", 23, 6, 6), 6, kMsg, t) ==
        "<190>Nov 24 20:38:03 haproxy[32426]: " + kMsg + "\n");
  // More severe than min: shown at min (emerg under `debug err` becomes err).
  CHECK(build(*h.s, target("short", 1, 7, 3), 0, "x", t) == "<3>x\n");
}

TEST_CASE("fd targets: one write per line; a full pipe drops and counts") {
  int p[2];
  REQUIRE(pipe(p) == 0);
  config::LogTarget t = target("raw", 16);
  config::Address a;
  a.kind = config::Address::Kind::fd;
  a.fd = p[1];
  t.address = a;
  Haproxy h;
  config::LogTarget ts[] = {t};
  h.s->send(ts, 6, "hello", at(1, 2, 3, 0));
  char buf[64];
  ssize_t n = read(p[0], buf, sizeof buf);
  CHECK(std::string(buf, size_t(std::max<ssize_t>(n, 0))) == "hello\n");
  CHECK(h.s->dropped() == 0);
  // Fill the pipe: the Sender switched the fd to non-blocking, so it never stalls.
  std::string big(4000, 'x');
  for (int i = 0; i < 100; ++i) h.s->send(ts, 6, big, at(1, 2, 3, 0));
  CHECK(h.s->dropped() > 0);
  close(p[0]);
  close(p[1]);
}
