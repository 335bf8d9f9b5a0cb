#pragma once
// The one table of what portero parses but does not implement (issue 11 §3: a configuration
// means what it says). Every keyword file asks it before accepting a keyword it has no code for:
//  * hint:    no effect on what is served, blocked, authenticated, encrypted, logged or sent
//             (tuning and performance knobs, options of features that are missing anyway):
//             accepted with a NOTICE naming it; no warning, so `-c` stays clean where HAProxy's does;
//  * missing: would change what is served, blocked, authenticated, encrypted, logged or sent:
//             an error naming file:line, the keyword and what would be lost.
#include <span>
#include <string>
#include <string_view>

namespace portero::config {

class ParseContext;

enum class GapKind : uint8_t { hint, missing };

// Where the keyword is written; decides the message's "parent" and how the tests build a config.
enum class GapContext : uint8_t {
  global,         // a global keyword
  proxy,          // a defaults/frontend/backend/listen keyword
  section,        // a section header (`peers`, `program` ...)
  bind,           // a `bind` option
  server,         // a `server` / `default-server` option
  option,         // `option <name>`
  http_request,   // an `http-request` action
  http_response,  // an `http-response` action
  tcp_request,    // a `tcp-request connection|session|content` action
  stats,          // a proxy `stats <sub>`
  stats_global,   // a global `stats <sub>`
  stats_socket,   // a global `stats socket` option
  log,            // a `log` target option or target kind
  check,          // an `http-check`/`tcp-check` action or `expect` option
  check_connect,  // an `http-check connect`/`tcp-check connect` option
};

struct Unimplemented {
  GapContext context;
  std::string_view keyword;  // a trailing '*' matches a family (`tune.lua.*`, `track-sc*`)
  GapKind kind;
  std::string_view reason;   // missing: what would be lost; hint: why ignoring it is harmless
  std::string_view example;  // one config line using it, loaded by the tests (see the .cpp)
};

std::span<const Unimplemented> unimplemented_table();

// The row for `keyword` in `context`, or null when portero implements it (or does not know it).
const Unimplemented* find_unimplemented(GapContext context, std::string_view keyword);

// Reports `row` on the current line: a NOTICE for a hint, an alert for a missing feature.
// `parent` is the keyword the name belongs to ("bind", "option", "tcp-request content"; empty
// for a keyword of its own), `shown` the word as written (`track-sc0`, `set-var(txn.x)`).
// Returns true when the line may be kept (hint), false for an error.
bool report_unimplemented(ParseContext& c, const Unimplemented& row, std::string_view parent, std::string_view shown);

// find + report in one call. `parent` empty: the context's own word ("bind", "option" ...).
enum class GapResult : uint8_t { none, accepted, refused };  // no row / hint noticed / error reported
GapResult check_unimplemented(ParseContext& c, GapContext context, std::string_view keyword,
                              std::string_view parent = {});

// The message text (without the "parsing [f:l] : " prefix) for a row, for the tests.
std::string unimplemented_message(const Unimplemented& row, std::string_view parent, std::string_view shown);

}  // namespace portero::config
