// Everything a client writes to the admin socket: admin::Conversation (line splitting at
// unescaped '\n', ';' between commands, escapes, `<<` payloads up to an empty line, `prompt`,
// `quit`, overlong lines) with admin::run_command behind it, as the socket server wires them,
// against a stats::StatsSource filled by the data plane's own fill_stats_source() over a
// Runtime of a small config (frontends, backends with servers of several algorithms). Commands
// that change state (set server, set weight, set maxconn, shutdown, clear counters, disable...)
// run too: the Runtime is made afresh for every input, so each input starts from the same
// state. An input naming "ssl" or "tls" also gets TLS contexts (certificates, crt-list, ticket
// keys of fuzz_env; made afresh after an input that could change them), for `show/set/commit ssl cert`, `set ssl tls-key`, crt-list commands.
// `show/set/clear table` work on the frontend's ip table and a small string table.
// `add server` / `del server` / `set server addr` run against the Runtime's server slots.
// Byte 0 picks the chunk size the bytes arrive in (a line cut anywhere) and the level.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "admin/commands.h"
#include "admin/conversation.h"
#include "fuzz_env.h"
#include "portero/config/load.h"
#include "portero/proxy/runtime.h"
#include "portero/proxy/stats_source.h"
#include "portero/tls/contexts.h"

using namespace portero;

namespace {

std::string config_text() {
  return "global\n"
         "  stats socket " + fuzzenv::dir() + "/admin.sock level admin\n"
         "  tune.bufsize 4096\n"
         "  maxconn 100\n"
         "frontend fe\n"
         "  mode http\n"
         "  bind 127.0.0.1:1\n"
         "  bind 127.0.0.1:2 ssl crt rsa.pem crt-list list.crtlist\n"
         "  maxconn 50\n"
         "  stick-table type ip size 4 expire 10s store gpc0,conn_cnt,http_req_rate(10s),bytes_in_cnt\n"
         "  default_backend be\n"
         "backend be\n"
         "  mode http\n"
         "  balance roundrobin\n"
         "  option httpchk\n"
         "  server s1 127.0.0.1:3 check weight 10 maxconn 5\n"
         "  server s2 127.0.0.1:4 weight 0 disabled\n"
         "  server s3 127.0.0.1:5 ssl verify none check agent-check agent-port 6 agent-inter 1s\n"
         "backend static\n"
         "  balance static-rr\n"
         "  stick-table type string len 8 size 2 nopurge store gpt0,gpc1_rate(1s)\n"
         "  server a 127.0.0.1:7\n"
         "  server b [::1]:8 backup\n"
         "backend hashed\n"
         "  balance source\n"
         "  hash-type map-based\n"
         "  server h1 127.0.0.1:9 weight 3\n"
         "  server h2 127.0.0.1:10\n"
         "backend lc\n"
         "  balance leastconn\n"
         "  server l1 127.0.0.1:11 slowstart 10s\n";
}

struct Env {
  config::Diagnostics diag;
  config::ConfigPtr cfg;
  Env() {
    fuzzenv::dir();
    cfg = config::load_text(config_text(), "fuzz.cfg", diag);
    if (!cfg || diag.has_errors()) {
      diag.print(stderr, 0);
      std::abort();
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  static Env e;
  (void)e;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Env e;
  if (size < 1 || size > 16384) return -1;
  const uint8_t ctl = data[0];
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);

  // `add server` / `del server` change the configuration's server slots (config/server_list.h):
  // such an input gets a configuration of its own, so every input starts from the same servers.
  config::ConfigPtr cfg = e.cfg;
  if (in.find("add") != std::string_view::npos || in.find("del") != std::string_view::npos) {
    config::Diagnostics diag;
    cfg = config::load_text(config_text(), "fuzz.cfg", diag);
    if (!cfg) std::abort();
  }
  proxy::Runtime rt(cfg);
  rt.make_counters(1);
  std::string err;
  if (!rt.make_balancers(err)) std::abort();
  // TLS contexts cost milliseconds: kept from one input to the next unless an input may have
  // changed them (a TLS command other than show), then built afresh before the next one.
  static std::unique_ptr<tls::Contexts> contexts;
  static bool dirty = true;
  const bool wants_tls = in.find("ssl") != std::string_view::npos || in.find("tls") != std::string_view::npos;
  if (wants_tls && (dirty || !contexts)) {
    config::Diagnostics diag;
    contexts = tls::Contexts::build(*e.cfg, diag);
    if (!contexts) std::abort();
    dirty = false;
  }
  if (wants_tls)
    for (std::string_view verb : {"set", "new", "del", "add", "commit", "abort"})
      if (in.find(verb) != std::string_view::npos) dirty = true;
  stats::StatsSource src;
  proxy::fill_stats_source(src, rt, {});
  src.log = [](int, int, std::string_view) {};

  admin::Context ctx;
  ctx.src = &src;
  ctx.bufsize = e.cfg->global.tune_bufsize;
  ctx.now_ms = [] { return uint64_t(1795478400000); };
  ctx.frontend_stopped.assign(e.cfg->proxies.size(), false);
  ctx.cli_clients = [] {
    return std::vector<admin::CliClientInfo>{{1, "unix_stream", "unix:1", 3}};
  };
  ctx.tls = wants_tls ? contexts.get() : nullptr;

  admin::Session s;
  s.level = static_cast<admin::Level>((ctl >> 6) % 3);
  s.interactive = (ctl & 0x20) != 0;
  admin::Conversation conv(s, e.cfg->global.tune_bufsize, [&ctx](admin::Session& ss, const std::vector<std::string>& args) {
    return admin::run_command(ctx, ss, args);
  });
  const size_t chunk = (ctl & 0x1f) ? (ctl & 0x1f) : in.size() + 1;
  size_t out = 0;
  for (size_t pos = 0; pos < in.size() && !conv.finished(); pos += chunk) out += conv.feed(in.substr(pos, chunk)).size();
  conv.peer_closed();
  (void)out;
  return 0;
}
