#pragma once
// The CLI commands: one table row per command (its words, help line, the level it needs, its
// handler) and the dispatcher that finds the row, checks the level and runs it. Replies are
// HAProxy 2.6.12's texts. Main-thread only (handlers touch the StatsSource).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "conversation.h"
#include "portero/stats/source.h"
#include "usage.h"

namespace portero::tls {
class Contexts;
}

namespace portero::stick {
class Tables;
}

namespace portero::admin {

// A connection of the admin socket itself, for `show sess`.
struct CliClientInfo {
  uint64_t id = 0;
  std::string proto;     // "unix_stream", "tcpv4", "tcpv6"
  std::string source;    // "unix:1" (the socket's number), "127.0.0.1:5678"
  uint64_t age_s = 0;
};

// What the commands act on besides their own session.
struct Context {
  stats::StatsSource* src = nullptr;
  std::function<std::vector<CliClientInfo>()> cli_clients;   // the admin socket's connections
  std::vector<bool> frontend_stopped;                        // by proxy index: `shutdown frontend` done
  uint32_t bufsize = 16384;                                  // tune.bufsize, for `show errors`
  std::function<uint64_t()> now_ms;                          // unix ms (tests may fix it)
  tls::Contexts* tls = nullptr;                              // certificates, crt-lists, ticket keys
  // The process's listening sockets, for `_getsocks` (none once they are being closed).
  std::function<std::vector<int>()> exposed_listeners;
  stick::Tables* tables = nullptr;                           // stick tables; null: stick::active_tables()
};

// Runs one command (its words, none for an empty command) and returns the reply text.
std::string run_command(Context& ctx, Session& s, const std::vector<std::string>& args);

// The help lines of every command, in help order.
const std::vector<Usage>& usage_table();

}  // namespace portero::admin
