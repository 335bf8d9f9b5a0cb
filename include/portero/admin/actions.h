#pragma once
// Runtime changes to servers and limits, as the admin socket and the stats page's admin form
// ask for them, with HAProxy's error texts. Main-thread only. Each function returns the reply
// text HAProxy gives (empty on success; errors end without a newline, the caller frames them).
#include <string>
#include <string_view>

#include "portero/stats/source.h"

namespace portero::admin {

struct ServerRef {
  int proxy = -1;
  int server = -1;
};

// "backend/server", each part a name or `#<id>`. On failure returns false and sets `error` to
// "Require 'backend/server'.", "No such backend." or "No such server.".
bool find_server(const stats::StatsSource& src, std::string_view spec, ServerRef& out, std::string& error);
// A backend (or listen) by name or `#<id>`; -1 when there is none.
int find_backend(const stats::StatsSource& src, std::string_view spec);
// A frontend (or listen) by name or `#<id>`; -1 when there is none.
int find_frontend(const stats::StatsSource& src, std::string_view spec);

// Whether the backend's algorithm accepts servers added at run time (HAProxy: not static-rr,
// not map-based hashing).
bool dynamic_lb(const config::Proxy& px);

// `set server b/s state ready|drain|maint`, `enable/disable server`, page actions ready/drain/maint.
// Logs what HAProxy logs ("Server b/s is going DOWN for maintenance.", ...) through `log`.
std::string set_admin_state(stats::StatsSource& src, ServerRef s, lb::AdminState state);
// `set server b/s weight N[%]`, `set weight b/s N[%]` (relative to the configured weight).
std::string set_weight(stats::StatsSource& src, ServerRef s, std::string_view arg);
// `get weight b/s`: "<current> (initial <configured>)".
std::string get_weight(const stats::StatsSource& src, ServerRef s);
// `set maxconn server b/s N`, `set maxconn frontend F N`, `set maxconn global N`.
std::string set_server_maxconn(stats::StatsSource& src, ServerRef s, std::string_view arg);
// Health / agent checks: enable, disable, force up / stopping (NOLB) / down.
enum class Health : uint8_t { up, stopping, down };
std::string set_check_enabled(stats::StatsSource& src, ServerRef s, bool agent, bool enabled);
std::string force_health(stats::StatsSource& src, ServerRef s, bool agent, Health h);
// `shutdown sessions server b/s`, the page's "Kill Sessions".
std::string shutdown_sessions(stats::StatsSource& src, ServerRef s);

}  // namespace portero::admin
