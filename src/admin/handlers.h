#pragma once
// Private to the command table: every handler, grouped by file (commands.cpp: the session
// commands, cmd_show.cpp: read-only views, cmd_servers.cpp: changes to servers and limits).
#include <string>
#include <string_view>
#include <vector>

#include "commands.h"

namespace portero::admin {

using Args = std::vector<std::string>;
using Handler = std::string (*)(Context&, Session&, const Args&);

// The i-th word, or "" (HAProxy's parsers see missing words as empty strings).
inline std::string_view arg(const Args& a, size_t i) { return i < a.size() ? std::string_view(a[i]) : std::string_view(); }

// A message from admin::actions framed as HAProxy prints it: with its '\n', except the three
// 2.6 messages that lack one (the caller's framing then gives a single '\n').
std::string reply(const std::string& msg);

// cmd_show.cpp
std::string cmd_show_info(Context&, Session&, const Args&);
std::string cmd_show_stat(Context&, Session&, const Args&);
std::string cmd_show_servers_state(Context&, Session&, const Args&);
std::string cmd_show_servers_conn(Context&, Session&, const Args&);
std::string cmd_show_backend(Context&, Session&, const Args&);
std::string cmd_show_resolvers(Context&, Session&, const Args&);
std::string cmd_show_sess(Context&, Session&, const Args&);
std::string cmd_show_errors(Context&, Session&, const Args&);
std::string cmd_show_pools(Context&, Session&, const Args&);
std::string cmd_clear_counters(Context&, Session&, const Args&);

// cmd_table.cpp (key lookups check the operator level inside, as haproxy)
std::string cmd_show_table(Context&, Session&, const Args&);
std::string cmd_show_peers(Context&, Session&, const Args&);
std::string cmd_clear_table(Context&, Session&, const Args&);
std::string cmd_set_table(Context&, Session&, const Args&);

// cmd_servers.cpp
std::string cmd_enable_server(Context&, Session&, const Args&);
std::string cmd_disable_server(Context&, Session&, const Args&);
std::string cmd_enable_health(Context&, Session&, const Args&);
std::string cmd_disable_health(Context&, Session&, const Args&);
std::string cmd_enable_agent(Context&, Session&, const Args&);
std::string cmd_disable_agent(Context&, Session&, const Args&);
std::string cmd_set_server(Context&, Session&, const Args&);
std::string cmd_add_server(Context&, Session&, const Args&);
std::string cmd_del_server(Context&, Session&, const Args&);
std::string cmd_set_weight(Context&, Session&, const Args&);
std::string cmd_get_weight(Context&, Session&, const Args&);
std::string cmd_set_maxconn_server(Context&, Session&, const Args&);
std::string cmd_set_maxconn_frontend(Context&, Session&, const Args&);
std::string cmd_set_maxconn_global(Context&, Session&, const Args&);
std::string cmd_shutdown_sessions(Context&, Session&, const Args&);
std::string cmd_shutdown_frontend(Context&, Session&, const Args&);

// cmd_tls.cpp (levels checked inside: haproxy's replies differ per command)
std::string cmd_show_ssl_cert(Context&, Session&, const Args&);
std::string cmd_ssl_admin(Context&, Session&, const Args&);
std::string cmd_tls_keys(Context&, Session&, const Args&);

}  // namespace portero::admin
