// HTTP/2 configuration: tune.h2.* and `bind ... proto`, as the config module stores them, the
// errors HAProxy 2.6.12 gives for them (captured with haproxy -c on the same lines), and the
// codec Settings they make (compared with the SETTINGS frame haproxy 2.6.12 sends).
#include <doctest/doctest.h>

#include "portero/config/load.h"
#include "portero/http/h2_settings.h"

using namespace portero::config;

namespace {

const char* kProxies =
    "defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n"
    "listen l\n  bind 127.0.0.1:18081\n  server s 127.0.0.1:81\n";

struct Loaded {
  ConfigPtr config;
  std::vector<std::string> alerts;   // formatted, pid 7
};

Loaded load(const std::string& text) {
  Diagnostics d;
  Loaded out;
  out.config = load_text(text, "c.cfg", d);
  for (const auto& x : d.all())
    if (x.severity == Severity::alert) out.alerts.push_back(format(x, 7));
  return out;
}

// One global line (line 2) before a proxy that is valid.
Loaded global_line(const std::string& line) { return load("global\n  " + line + "\n" + kProxies); }

std::string parsing(int line, const std::string& text) {
  return "[ALERT]    (7) : config : parsing [c.cfg:" + std::to_string(line) + "] : " + text;
}
std::string plain(const std::string& text) { return "[ALERT]    (7) : config : " + text; }

H2Tuning tuning(const std::string& line) {
  auto r = global_line(line);
  INFO(line);
  for (const auto& a : r.alerts) MESSAGE(a);
  REQUIRE(r.config);
  return r.config->global.h2;
}

}  // namespace

TEST_CASE("tune.h2.* defaults are HAProxy's") {
  auto r = load(std::string("global\n") + kProxies);
  REQUIRE(r.config);
  const H2Tuning& h2 = r.config->global.h2;
  CHECK(h2.header_table_size == 4096);
  CHECK(h2.initial_window_size == 65535);
  CHECK(h2.max_concurrent_streams == 100);
  CHECK(h2.max_frame_size == 0);   // not set: tune.bufsize applies
}

TEST_CASE("tune.h2.* values are stored, read as HAProxy's atoi() reads them") {
  CHECK(tuning("tune.h2.header-table-size 65536").header_table_size == 65536);
  CHECK(tuning("tune.h2.header-table-size 4096").header_table_size == 4096);
  CHECK(tuning("tune.h2.header-table-size 8192abc").header_table_size == 8192);
  CHECK(tuning("tune.h2.header-table-size +5000").header_table_size == 5000);
  CHECK(tuning("tune.h2.initial-window-size 1048576").initial_window_size == 1048576);
  CHECK(tuning("tune.h2.initial-window-size 2147483647").initial_window_size == 2147483647);
  // Junk, nothing and a number that wraps to 0 as an int all read as 0, which HAProxy takes.
  CHECK(tuning("tune.h2.initial-window-size abc").initial_window_size == 0);
  CHECK(tuning("tune.h2.initial-window-size").initial_window_size == 0);
  CHECK(tuning("tune.h2.initial-window-size 4294967296").initial_window_size == 0);
  CHECK(tuning("tune.h2.max-concurrent-streams 0").max_concurrent_streams == 0);
  CHECK(tuning("tune.h2.max-concurrent-streams 1000").max_concurrent_streams == 1000);
  CHECK(tuning("tune.h2.max-frame-size 16384").max_frame_size == 16384);
  CHECK(tuning("tune.h2.max-frame-size 16777215").max_frame_size == 16777215);
  CHECK(tuning("tune.h2.max-frame-size 65536").max_frame_size == 65536);
  CHECK(tuning("tune.h2.max-frame-size 4294983680").max_frame_size == 16384);   // 2^32 + 16384 as an int
}

TEST_CASE("tune.h2.* errors [haproxy -c]") {
  const std::string table = "'tune.h2.header-table-size' expects a numeric value between 4096 and 65536.";
  const std::string frame = "'tune.h2.max-frame-size' expects a numeric value between 16384 and 16777215.";
  const struct {
    const char* line;
    std::string text;
  } cases[] = {
      {"tune.h2.header-table-size", table},
      {"tune.h2.header-table-size abc", table},
      {"tune.h2.header-table-size 4095", table},
      {"tune.h2.header-table-size 65537", table},
      {"tune.h2.header-table-size -1", table},
      {"tune.h2.header-table-size 0x2000", table},   // atoi stops at the 'x': 0
      {"tune.h2.max-frame-size", frame},
      {"tune.h2.max-frame-size 16383", frame},
      {"tune.h2.max-frame-size 16777216", frame},
      {"tune.h2.initial-window-size -1", "'tune.h2.initial-window-size' expects a positive numeric value."},
      {"tune.h2.initial-window-size 2147483648", "'tune.h2.initial-window-size' expects a positive numeric value."},
      {"tune.h2.initial-window-size 99999999999999999999",
       "'tune.h2.initial-window-size' expects a positive numeric value."},
      {"tune.h2.max-concurrent-streams -5", "'tune.h2.max-concurrent-streams' expects a positive numeric value."},
      {"tune.h2.header-table-size 4096 extra", "'tune.h2.header-table-size' cannot handle unexpected argument 'extra'."},
      {"tune.h2.initial-window-size -5 7", "'tune.h2.initial-window-size' cannot handle unexpected argument '7'."},
      {"tune.h2.max-frame-size 1 2 3", "'tune.h2.max-frame-size' cannot handle unexpected argument '2'."},
  };
  for (const auto& k : cases) {
    INFO(k.line);
    auto r = global_line(k.line);
    CHECK_FALSE(r.config);
    REQUIRE(r.alerts.size() == 3);
    CHECK(r.alerts[0] == parsing(2, k.text));
    CHECK(r.alerts[1] == plain("Error(s) found in configuration file : c.cfg"));
    CHECK(r.alerts[2] == plain("Fatal errors found in configuration."));
  }
}

TEST_CASE("tune.h2.* outside global is an unknown keyword") {
  auto r = load(std::string(kProxies) + "  tune.h2.max-frame-size 16384\n");
  CHECK_FALSE(r.config);
  REQUIRE_FALSE(r.alerts.empty());
  CHECK(r.alerts[0].find("unknown keyword 'tune.h2.max-frame-size' in 'listen' section") != std::string::npos);
}

TEST_CASE("the codec's Settings from tune.h2.* and tune.bufsize, as haproxy 2.6 advertises them") {
  using portero::http::h2::from_config;
  Global g;
  auto s = from_config(g);
  CHECK(s.header_table_size == 4096);
  CHECK(s.initial_window_size == 65535);
  CHECK(s.max_concurrent_streams == 100);
  CHECK(s.max_frame_size == 16384);
  CHECK(s.max_header_list_size == 0);                          // the codec's own defaults stay
  CHECK(s.max_resets_per_s == portero::http::h2::Settings{}.max_resets_per_s);

  g.h2 = H2Tuning{};
  g.h2.header_table_size = 65536;
  g.h2.initial_window_size = 1048576;
  g.h2.max_concurrent_streams = 250;
  s = from_config(g);
  CHECK(s.header_table_size == 65536);
  CHECK(s.initial_window_size == 1048576);
  CHECK(s.max_concurrent_streams == 250);

  // Frames: tune.bufsize when max-frame-size is not set, a smaller max-frame-size, never more
  // than tune.bufsize (haproxy 2.6.12: bufsize 32768 -> 32768; + max-frame-size 20000 ->
  // 20000; max-frame-size 65536 with the default bufsize -> 16384).
  g.tune_bufsize = 32768;
  CHECK(from_config(g).max_frame_size == 32768);
  g.h2.max_frame_size = 20000;
  CHECK(from_config(g).max_frame_size == 20000);
  g.tune_bufsize = 16384;
  g.h2.max_frame_size = 65536;
  CHECK(from_config(g).max_frame_size == 16384);
  // haproxy advertises a bufsize of 8192 as is, which RFC 9113 forbids: the RFC's minimum.
  g.h2.max_frame_size = 0;
  g.tune_bufsize = 8192;
  CHECK(from_config(g).max_frame_size == 16384);
  g.tune_bufsize = 64u << 20;
  CHECK(from_config(g).max_frame_size == (1u << 24) - 1);
}

TEST_CASE("tune.h2.* reach the Settings through a loaded configuration") {
  auto r = load("global\n  tune.bufsize 65536\n  tune.h2.header-table-size 8192\n"
                "  tune.h2.initial-window-size 131072\n  tune.h2.max-concurrent-streams 32\n"
                "  tune.h2.max-frame-size 32768\n" + std::string(kProxies));
  REQUIRE(r.config);
  const auto s = portero::http::h2::from_config(r.config->global);
  CHECK(s.header_table_size == 8192);
  CHECK(s.initial_window_size == 131072);
  CHECK(s.max_concurrent_streams == 32);
  CHECK(s.max_frame_size == 32768);
}

namespace {
// A proxy in `mode` whose bind (line 8) carries `options`.
Loaded bind_line(const std::string& options, const std::string& mode = "http") {
  return load("global\ndefaults\n  mode " + mode +
              "\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n"
              "listen l\n  bind 127.0.0.1:18081" + options + "\n  server s 127.0.0.1:81\n");
}
MuxProto bound_proto(const std::string& options, const std::string& mode = "http") {
  auto r = bind_line(options, mode);
  INFO(options);
  for (const auto& a : r.alerts) MESSAGE(a);
  REQUIRE(r.config);
  return r.config->proxies[0].binds[0].proto;
}
const std::string kWhere = "'bind 127.0.0.1:18081' in section 'listen' : ";
}  // namespace

TEST_CASE("bind proto is stored; the last one written wins") {
  CHECK(bound_proto("") == MuxProto::unset);
  CHECK(bound_proto(" proto h1") == MuxProto::h1);
  CHECK(bound_proto(" proto none", "tcp") == MuxProto::none);
  CHECK(bound_proto(" proto none proto h1") == MuxProto::h1);
  CHECK(bound_proto(" proto h1 name front maxconn 10") == MuxProto::h1);
}

TEST_CASE("bind proto errors while parsing [haproxy -c]") {
  const struct {
    const char* options;
    std::string text;
  } cases[] = {
      {" proto", "'proto' : missing value"},
      {" proto \"\"", "'proto' : missing value"},
      {" proto foo", "'proto' :  unknown MUX protocol 'foo'"},
      {" proto H2", "'proto' :  unknown MUX protocol 'H2'"},   // names are case-sensitive
      {" proto quic", "'proto' :  unknown MUX protocol 'quic'"},
  };
  for (const auto& k : cases) {
    INFO(k.options);
    auto r = bind_line(k.options);
    CHECK_FALSE(r.config);
    REQUIRE(r.alerts.size() == 3);
    CHECK(r.alerts[0] == parsing(8, kWhere + k.text));
    CHECK(r.alerts[1] == plain("Error(s) found in configuration file : c.cfg"));
  }
  // The message names the address list as written.
  auto r = load("global\ndefaults\n  mode tcp\nfrontend f\n  bind 127.0.0.1:18081,127.0.0.1:18082 proto bar\n");
  REQUIRE_FALSE(r.alerts.empty());
  CHECK(r.alerts[0] == parsing(5, "'bind 127.0.0.1:18081,127.0.0.1:18082' in section 'frontend' : 'proto' :  "
                                  "unknown MUX protocol 'bar'"));
}

TEST_CASE("bind proto of the wrong mode is refused by the post-parse checks [haproxy -c]") {
  const struct {
    const char* options;
    const char* mode;
    const char* proto;
  } cases[] = {
      {" proto h1", "tcp", "h1"},
      {" proto none", "http", "none"},
      {" proto fcgi", "http", "fcgi"},
      {" proto fcgi", "tcp", "fcgi"},
  };
  for (const auto& k : cases) {
    INFO(k.options << " in mode " << k.mode);
    auto r = bind_line(k.options, k.mode);
    CHECK_FALSE(r.config);
    REQUIRE(r.alerts.size() == 2);
    CHECK(r.alerts[0] == plain(std::string("proxy 'l' : MUX protocol '") + k.proto +
                               "' is not usable for 'bind 127.0.0.1:18081' at [c.cfg:8]."));
    CHECK(r.alerts[1] == plain("Fatal errors found in configuration."));
  }
  // A frontend is named so; the mode is the proxy's final one, whatever line set it.
  auto r = load("global\ndefaults\n  mode http\n  timeout client 1s\nfrontend f\n  bind 127.0.0.1:18081 proto h1\n"
                "  mode tcp\n");
  REQUIRE_FALSE(r.alerts.empty());
  CHECK(r.alerts[0] ==
        plain("frontend 'f' : MUX protocol 'h1' is not usable for 'bind 127.0.0.1:18081' at [c.cfg:6]."));
  // A disabled proxy is not checked.
  r = load("global\ndefaults\n  mode http\n  timeout client 1s\nfrontend f\n  disabled\n"
           "  bind 127.0.0.1:18081 proto none\n");
  CHECK(r.config);
}

TEST_CASE("bind proto h2 is accepted: the bind speaks HTTP/2 from the first byte") {
  auto r = bind_line(" proto h2");
  CHECK(r.config);
  CHECK(r.alerts.empty());
  r = bind_line(" proto h3");
  REQUIRE_FALSE(r.alerts.empty());
  CHECK(r.alerts[0] == parsing(8, kWhere + "'proto' :  unknown MUX protocol 'h3'"));
}

TEST_CASE("tune.h2.limit.*: portero's abuse limits set the codec's, 0 turns one off, junk is refused") {
  using portero::http::h2::from_config;
  const portero::http::h2::Settings defaults;
  auto r = load("global\n  tune.h2.limit.pings 10\n  tune.h2.limit.resets 0\n  tune.h2.limit.header-list 8192\n" +
                std::string(kProxies));
  REQUIRE(r.config);
  const auto s = from_config(r.config->global);
  CHECK(s.max_pings_per_s == 10);
  CHECK(s.max_resets_per_s == 0);
  CHECK(s.header_list_limit == 8192);
  CHECK(s.max_settings_per_s == defaults.max_settings_per_s);   // not set: the codec's default
  CHECK(s.max_streams_per_s == defaults.max_streams_per_s);

  for (const char* bad : {"tune.h2.limit.pings", "tune.h2.limit.pings -1", "tune.h2.limit.pings 10x",
                          "tune.h2.limit.pings 4294967296", "tune.h2.limit.pings 1 2"}) {
    auto b = global_line(bad);
    CHECK_FALSE(b.config);
    REQUIRE_FALSE(b.alerts.empty());
    CHECK(b.alerts[0].find("'tune.h2.limit.pings' expects") != std::string::npos);
    CHECK(b.alerts[0].find("[c.cfg:2]") != std::string::npos);
  }
}
