#pragma once
// Small helpers shared by the stats renderers: the clock, CSV/JSON escaping, check-status words.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "portero/check/checks.h"
#include "portero/config/address.h"
#include "portero/lb/server_state.h"
#include "portero/stats/model.h"

namespace portero::stats::detail {

uint64_t now_ms();   // unix ms (or the test clock)

// A CSV cell: quoted (quotes doubled) only when it holds a comma, quote or line break.
void append_csv(std::string& out, std::string_view v);
// A JSON string literal with its quotes.
void append_json_string(std::string& out, std::string_view v);

// "Layer4 check passed"... (the meaning of each check status, COMPAT.md §3.4).
std::string_view check_status_desc(check::Status s);
// The numeric status and result of `show servers state` (COMPAT.md §3.4).
int check_status_number(check::Status s);
int check_result_number(check::Status s);

// The host part of an inet address ("127.0.0.1", "::1"); the path for unix sockets.
std::string address_host(const config::Address& a);

// Server s of proxy p's address now: the configured one, or where `set server addr` moved it.
config::Address current_address(const config::Address& configured, const lb::ServerState* st);
// Its state, or null when the source has none (tests).
inline const lb::ServerState* state_or_null(const std::vector<std::vector<lb::ServerState*>>& states, int p, int s) {
  return p >= 0 && size_t(p) < states.size() && s >= 0 && size_t(s) < states[size_t(p)].size() ? states[size_t(p)][size_t(s)]
                                                                                              : nullptr;
}

}  // namespace portero::stats::detail

namespace portero::stats::detail {
// The tail of a JSON field object from "processNum" on: tags words and the typed value
// (shared by `show stat json` and `show info json`).
void append_json_field_tail(std::string& out, std::string_view tags, const Value& v);
}  // namespace portero::stats::detail
