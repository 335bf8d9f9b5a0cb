#pragma once
// Small helpers shared by the stats renderers: the clock, CSV/JSON escaping, check-status words.
#include <cstdint>
#include <string>
#include <string_view>

#include "portero/check/checks.h"
#include "portero/config/address.h"
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

}  // namespace portero::stats::detail

namespace portero::stats::detail {
// The tail of a JSON field object from "processNum" on: tags words and the typed value
// (shared by `show stat json` and `show info json`).
void append_json_field_tail(std::string& out, std::string_view tags, const Value& v);
}  // namespace portero::stats::detail
