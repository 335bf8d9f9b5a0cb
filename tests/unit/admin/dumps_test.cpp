// `show errors` and `show sess` text, shaped as haproxy 2.6.12 prints them (COMPAT.md §5.2).
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "admin/dumps.h"

using namespace portero;
using namespace portero::admin;

namespace {

config::Config two_proxies() {
  config::Config cfg;
  config::Proxy fe;
  fe.kind = config::Proxy::Kind::frontend;
  fe.name = "fe_main";
  fe.id = 2;
  config::Proxy be;
  be.kind = config::Proxy::Kind::backend;
  be.name = "be_app";
  be.id = 3;
  config::Server s;
  s.name = "s1";
  s.puid = 1;
  be.servers.push_back(s);
  cfg.proxies = {fe, be};
  return cfg;
}

struct UtcZone {
  UtcZone() {
    setenv("TZ", "UTC", 1);
    tzset();
  }
};

}  // namespace

TEST_CASE("capture dates") {
  UtcZone utc;
  // 2026-11-24 17:10:16.125 UTC
  CHECK(capture_date(1795540216125ull) == "24/Nov/2026:17:10:16.125");
}

TEST_CASE("byte dump: one line per captured line, escapes as haproxy") {
  CHECK(dump_bytes("GET /bad path HTTP/1.1\r\nHost: x\r\n\r\n") ==
        "  00000  GET /bad path HTTP/1.1\\r\\n\n"
        "  00024  Host: x\\r\\n\n"
        "  00033  \\r\\n\n");
  CHECK(dump_bytes(std::string("a\tb\x01\\", 5)) == "  00000  a\\tb\\x01\\\\\n");
  // a long line continues with '+' after the offset
  const std::string d = dump_bytes(std::string(100, 'a'));
  CHECK(d.find("\n  00072+ aaaa") != std::string::npos);
}

TEST_CASE("show errors: the observed layout of an invalid request") {
  UtcZone utc;
  const auto cfg = two_proxies();
  stats::CapturedError e;
  e.when_ms = 1795540216122ull;
  e.proxy = 0;
  e.request = true;
  e.event = 0;
  e.source = "127.0.0.1:52702";
  e.error_pos = 9;
  e.bytes = "GET /bad path HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string out = format_errors(cfg, {e}, 1795540216125ull, -1, dir_both, 16384);
  CHECK(out ==
        "Total events captured on [24/Nov/2026:17:10:16.125] : 1\n"
        " \n"
        "[24/Nov/2026:17:10:16.122] frontend fe_main (#2): invalid request\n"
        "  backend <NONE> (#-1), server <NONE> (#-1), event #0, src 127.0.0.1:52702\n"
        "  buffer starts at 0 (including 0 out), 16349 free,\n"
        "  len 35, wraps at 16384, error at position 9\n"
        "  \n"
        "  00000  GET /bad path HTTP/1.1\\r\\n\n"
        "  00024  Host: x\\r\\n\n"
        "  00033  \\r\\n\n");
  // filtered by proxy or direction, the total stays
  CHECK(format_errors(cfg, {e}, 1795540216125ull, 3, dir_both, 16384) ==
        "Total events captured on [24/Nov/2026:17:10:16.125] : 1\n");
  CHECK(format_errors(cfg, {e}, 1795540216125ull, -1, dir_response, 16384) ==
        "Total events captured on [24/Nov/2026:17:10:16.125] : 1\n");
  CHECK(format_errors(cfg, {}, 1795540216125ull, -1, dir_both, 16384) ==
        "Total events captured on [24/Nov/2026:17:10:16.125] : 0\n");
}

TEST_CASE("show errors: a response error names its backend first") {
  const auto cfg = two_proxies();
  stats::CapturedError e;
  e.proxy = 1;
  e.backend = 0;
  e.server = 0;
  e.request = false;
  e.event = 4;
  e.source = "127.0.0.1:1";
  e.bytes = "x";
  const std::string out = format_errors(cfg, {e}, 0, -1, dir_both, 16384);
  CHECK(out.find(": 5\n") != std::string::npos);
  CHECK(out.find("] backend be_app (#3): invalid response\n  frontend fe_main (#2), server s1 (#1), event #4, src "
                 "127.0.0.1:1\n") != std::string::npos);
}

TEST_CASE("ages and session lines") {
  CHECK(human_age(0) == "0s");
  CHECK(human_age(42) == "42s");
  CHECK(human_age(130) == "2m10s");
  CHECK(human_age(3600) == "1h");
  CHECK(human_age(3600 + 180 + 5) == "1h3m");
  CHECK(human_age(4 * 86400 + 2 * 3600) == "4d2h");
  CHECK(session_line(0x7f00, "unix_stream", "unix:1", "GLOBAL", "", "", 0) ==
        "0x7f00: proto=unix_stream src=unix:1 fe=GLOBAL be=<NONE> srv=<none> age=0s\n");
  CHECK(session_line(0x1a, "tcpv4", "1.2.3.4:5678", "fe", "be", "s1", 3) ==
        "0x1a: proto=tcpv4 src=1.2.3.4:5678 fe=fe be=be srv=s1 age=3s\n");
}
