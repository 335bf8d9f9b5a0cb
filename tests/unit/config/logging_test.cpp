// Logging keywords: values kept, and the messages haproxy 2.6.12 -c prints for bad lines.
#include <doctest/doctest.h>

#include <string>

#include "portero/config/load.h"

using namespace portero::config;

namespace {

const std::string kHead =
    "defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n";

ConfigPtr load_lines(const std::string& text, Diagnostics& d) {
  return load_text(kHead + text + "\n", "t.cfg", d);
}

// The first message printed for `text`, in HAProxy's form (pid 0).
std::string first(const std::string& text) {
  Diagnostics d;
  load_lines(text, d);
  return d.all().empty() ? std::string() : format(d.all().front(), 0);
}

const std::string kFe = "frontend f\n  bind :18080\n";
const std::string kAlert = "[ALERT]    (0) : config : parsing [t.cfg:8] : ";

}  // namespace

TEST_CASE("log-format, log-format-sd, log-tag, unique-id, captures are kept") {
  Diagnostics d;
  auto c = load_lines(kFe +
                          "  option httplog\n"
                          "  log-format \"%ci %b\"\n"
                          "  log-format-sd [exp@1\\ a=\\\"%b\\\"]\n"
                          "  log-tag web\n"
                          "  unique-id-format %{+X}o\\ %ci:%cp\n"
                          "  unique-id-header X-Unique-ID\n"
                          "  capture request header Host len 32\n"
                          "  capture request header User-Agent len 10\n"
                          "  capture response header Content-Type len 20\n"
                          "  capture cookie SRV len 32\n"
                          "  option log-separate-errors\n"
                          "  option logasap\n"
                          "  option dontlog-normal\n",
                      d);
  REQUIRE(c);
  const Proxy& p = c->proxies.at(0);
  CHECK(p.log_format == "%ci %b");
  CHECK_FALSE(p.httplog);
  CHECK(p.log_format_origin.line == 9);
  CHECK(p.log_format_sd == "[exp@1 a=\"%b\"]");
  CHECK(p.log_tag == "web");
  CHECK(p.unique_id_format == "%{+X}o %ci:%cp");
  CHECK(p.unique_id_header == "X-Unique-ID");
  REQUIRE(p.capture_request_headers.size() == 2);
  CHECK(p.capture_request_headers[1].name == "User-Agent");
  CHECK(p.capture_request_headers[1].len == 10);
  REQUIRE(p.capture_response_headers.size() == 1);
  CHECK(p.capture_response_headers[0].len == 20);
  REQUIRE(p.capture_cookie);
  CHECK(p.capture_cookie->name == "SRV");
  CHECK(p.log_separate_errors);
  CHECK(p.logasap);
  CHECK(p.dontlog_normal);
}

TEST_CASE("the last of log-format and option httplog wins; defaults are inherited") {
  Diagnostics d;
  auto c = load_lines("  log-format %ci\n  option logasap\n" + kFe + "  option httplog\n  no option logasap\n", d);
  REQUIRE(c);
  const Proxy& p = c->proxies.at(0);
  CHECK(p.log_format.empty());
  CHECK(p.httplog);
  CHECK_FALSE(p.logasap);
  Diagnostics d2;
  auto c2 = load_lines("  log-format %ci\n" + kFe, d2);
  REQUIRE(c2);
  CHECK(c2->proxies.at(0).log_format == "%ci");
}

TEST_CASE("haproxy's messages for bad logging lines") {
  CHECK(first(kFe + "  log-format") == kAlert + "log-format expects an argument.");
  CHECK(first(kFe + "  log-format \"\"") == kAlert + "log-format expects an argument.");
  CHECK(first(kFe + "  log-format a b") ==
        kAlert + "log-format expects only one argument, don't forget to escape spaces!");
  CHECK(first(kFe + "  unique-id-format") == kAlert + "unique-id-format expects an argument.");
  CHECK(first(kFe + "  unique-id-format a b") ==
        kAlert + "unique-id-format expects only one argument, don't forget to escape spaces!");
  CHECK(first(kFe + "  unique-id-header") == kAlert + "unique-id-header expects an argument.");
  CHECK(first(kFe + "  log-tag") == kAlert + "'log-tag' expects a tag for use in syslog.");
  CHECK(first(kFe + "  capture") == kAlert + "'capture' expects 'cookie' or 'request header' or 'response header'.");
  CHECK(first(kFe + "  capture other") ==
        kAlert + "'capture' expects 'cookie' or 'request header' or 'response header'.");
  CHECK(first(kFe + "  capture cookie SRV len") == kAlert + "'capture' expects 'cookie' <cookie_name> 'len' <len>.");
  CHECK(first(kFe + "  capture request header Host") ==
        kAlert + "'capture request' expects 'header' <header_name> 'len' <len>.");
  CHECK(first(kFe + "  capture request header Host lem 10") ==
        kAlert + "'capture request' expects 'header' <header_name> 'len' <len>.");
  CHECK(first(kFe + "  capture response header") ==
        kAlert + "'capture response' expects 'header' <header_name> 'len' <len>.");
  CHECK(first("  capture cookie X len 3") ==
        "[ALERT]    (0) : config : parsing [t.cfg:6] : 'capture cookie' not allowed in 'defaults' section.");
  CHECK(first(kFe + "  option logasap x") == kAlert + "'option logasap' cannot handle unexpected argument 'x'.");
  CHECK(first(kFe + "  option log-separate-errors x") ==
        kAlert + "'option log-separate-errors' cannot handle unexpected argument 'x'.");
  CHECK(first(kFe + "  capture cookie SRV len 100") ==
        "[WARNING]  (0) : config : truncating capture length to 63 bytes for frontend 'f'.");
}

TEST_CASE("frontend-only logging lines in a backend are warned about and ignored") {
  CHECK(first("backend b\n  log-format %ci") ==
        "[WARNING]  (0) : config : parsing [t.cfg:7] : backend 'b' : 'log-format' directive is ignored in backends.");
  CHECK(first("backend b\n  capture request header Host len 3") ==
        "[WARNING]  (0) : config : parsing [t.cfg:7] : 'capture' ignored because backend 'b' has no frontend capability.");
  CHECK(first("backend b\n  option dontlog-normal") ==
        "[WARNING]  (0) : config : parsing [t.cfg:7] : 'dontlog-normal' ignored because backend 'b' has no frontend capability.");
  Diagnostics d;
  auto c = load_lines("backend b\n  option logasap\n  capture request header Host len 3", d);
  REQUIRE(c);
  CHECK_FALSE(c->proxies.at(0).logasap);
}
