// Changes to servers and limits. The server-level work is admin::actions (shared with the
// stats page's admin form); this file parses the CLI words and picks the reply texts.
#include <cstdlib>

#include "handlers.h"
#include "portero/admin/actions.h"

namespace portero::admin {
namespace {

constexpr int kLogWarning = 4;

// Resolves words[i] as "backend/server"; on failure `err` holds the framed reply.
bool server_at(Context& c, const Args& a, size_t i, ServerRef& ref, std::string& err) {
  std::string why;
  if (find_server(*c.src, arg(a, i), ref, why)) return true;
  err = reply(why);
  return false;
}

using Action = std::string (*)(stats::StatsSource&, ServerRef);

// The `enable|disable <what> <bk>/<srv>` family.
std::string on_server(Context& c, const Args& a, Action act) {
  ServerRef ref;
  std::string err;
  if (!server_at(c, a, 2, ref, err)) return err;
  return reply(act(*c.src, ref));
}

const config::Server& server_cfg(Context& c, ServerRef r) {
  return c.src->cfg->proxies[size_t(r.proxy)].servers[size_t(r.server)];
}

std::string set_state(Context& c, ServerRef ref, std::string_view v) {
  if (v == "ready") return reply(set_admin_state(*c.src, ref, lb::AdminState::ready));
  if (v == "drain") return reply(set_admin_state(*c.src, ref, lb::AdminState::drain));
  if (v == "maint") return reply(set_admin_state(*c.src, ref, lb::AdminState::maint));
  return "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n";
}

std::string set_health(Context& c, ServerRef ref, std::string_view v) {
  if (v == "up") return reply(force_health(*c.src, ref, false, Health::up));
  if (v == "stopping") return reply(force_health(*c.src, ref, false, Health::stopping));
  if (v == "down") return reply(force_health(*c.src, ref, false, Health::down));
  return "'set server <srv> health' expects 'up', 'stopping', or 'down'.\n";
}

std::string set_agent(Context& c, ServerRef ref, std::string_view v) {
  if (!server_cfg(c, ref).agent_check) return "agent checks are not enabled on this server.\n";
  if (v == "up") return reply(force_health(*c.src, ref, true, Health::up));
  if (v == "down") return reply(force_health(*c.src, ref, true, Health::down));
  return "'set server <srv> agent' expects 'up' or 'down'.\n";
}

}  // namespace

std::string cmd_enable_server(Context& c, Session&, const Args& a) {
  return on_server(c, a, [](stats::StatsSource& s, ServerRef r) { return set_admin_state(s, r, lb::AdminState::ready); });
}
std::string cmd_disable_server(Context& c, Session&, const Args& a) {
  return on_server(c, a, [](stats::StatsSource& s, ServerRef r) { return set_admin_state(s, r, lb::AdminState::maint); });
}
std::string cmd_enable_health(Context& c, Session&, const Args& a) {
  return on_server(c, a, [](stats::StatsSource& s, ServerRef r) { return set_check_enabled(s, r, false, true); });
}
std::string cmd_disable_health(Context& c, Session&, const Args& a) {
  return on_server(c, a, [](stats::StatsSource& s, ServerRef r) { return set_check_enabled(s, r, false, false); });
}
std::string cmd_enable_agent(Context& c, Session&, const Args& a) {
  return on_server(c, a, [](stats::StatsSource& s, ServerRef r) { return set_check_enabled(s, r, true, true); });
}
std::string cmd_disable_agent(Context& c, Session&, const Args& a) {
  return on_server(c, a, [](stats::StatsSource& s, ServerRef r) { return set_check_enabled(s, r, true, false); });
}
std::string cmd_shutdown_sessions(Context& c, Session&, const Args& a) {
  ServerRef ref;
  std::string err;
  if (!server_at(c, a, 3, ref, err)) return err;
  return reply(shutdown_sessions(*c.src, ref));
}

// `set server <bk>/<srv> state|weight|health|agent <value>`. The address, port, FQDN and TLS
// options of HAProxy's `set server` change nothing in portero and say so.
std::string cmd_set_server(Context& c, Session&, const Args& a) {
  ServerRef ref;
  std::string err;
  if (!server_at(c, a, 2, ref, err)) return err;
  const std::string_view sub = arg(a, 3), v = arg(a, 4);
  if (sub == "state") return set_state(c, ref, v);
  if (sub == "weight") return reply(set_weight(*c.src, ref, v));
  if (sub == "health") return set_health(c, ref, v);
  if (sub == "agent") return set_agent(c, ref, v);
  if (sub == "addr" || sub == "agent-addr" || sub == "agent-port" || sub == "agent-send" || sub == "check-addr" ||
      sub == "check-port" || sub == "fqdn" || sub == "ssl")
    return "'set server <srv> " + std::string(sub) + "' is not supported by portero.\n";
  return "usage: set server <backend>/<server> addr | agent | agent-addr | agent-port | agent-send | check-addr | "
         "check-port | fqdn | health | ssl | state | weight\n";
}

std::string cmd_set_weight(Context& c, Session&, const Args& a) {
  ServerRef ref;
  std::string err;
  if (!server_at(c, a, 2, ref, err)) return err;
  return reply(set_weight(*c.src, ref, arg(a, 3)));
}

std::string cmd_get_weight(Context& c, Session&, const Args& a) {
  ServerRef ref;
  std::string err;
  if (!server_at(c, a, 2, ref, err)) return err;
  return reply(get_weight(*c.src, ref));
}

std::string cmd_set_maxconn_server(Context& c, Session&, const Args& a) {
  ServerRef ref;
  std::string err;
  if (!server_at(c, a, 3, ref, err)) return err;
  return reply(set_server_maxconn(*c.src, ref, arg(a, 4)));
}

// `set maxconn frontend <fe> <value>`: as HAProxy, the value is read with atoi (garbage is 0).
std::string cmd_set_maxconn_frontend(Context& c, Session&, const Args& a) {
  if (arg(a, 3).empty()) return "A frontend name is expected.\n";
  const int p = find_frontend(*c.src, a[3]);
  if (p < 0) return "No such frontend.\n";
  if (arg(a, 4).empty()) return "Integer value expected.\n";
  const int v = std::atoi(a[4].c_str());
  if (v < 0) return "Value out of range.\n";
  if (c.src->set_frontend_maxconn) c.src->set_frontend_maxconn(p, uint32_t(v));
  return "";
}

// `set maxconn global <value>`: at most the hard limit set at start; 0 (or less) restores it.
std::string cmd_set_maxconn_global(Context& c, Session&, const Args& a) {
  if (arg(a, 3).empty()) return "Expects an integer value.\n";
  const long v = std::atol(a[3].c_str());
  const uint32_t hard = c.src->process.maxconn;
  if (hard && v > long(hard)) return "Value out of range.\n";
  if (c.src->set_global_maxconn) c.src->set_global_maxconn(v > 0 ? uint32_t(v) : hard);
  return "";
}

// `shutdown frontend <fe>`: its listeners close for good, logged as HAProxy logs a stopped proxy.
std::string cmd_shutdown_frontend(Context& c, Session&, const Args& a) {
  if (arg(a, 2).empty()) return "A frontend name is expected.\n";
  const int p = find_frontend(*c.src, a[2]);
  if (p < 0) return "No such frontend.\n";
  if (c.frontend_stopped.size() <= size_t(p)) c.frontend_stopped.resize(size_t(p) + 1, false);
  if (c.frontend_stopped[size_t(p)]) return "Frontend was already shut down.\n";
  c.frontend_stopped[size_t(p)] = true;
  if (c.src->shutdown_frontend) c.src->shutdown_frontend(p);
  if (c.src->log) {
    const auto& px = c.src->cfg->proxies[size_t(p)];
    uint64_t fe = 0, be = 0;
    if (c.src->counters) {
      fe = c.src->counters->proxy_totals(size_t(p)).sessions;
      if (px.is_backend()) be = c.src->counters->backend_totals(size_t(p)).sessions;
    }
    c.src->log(p, kLogWarning, "Proxy " + px.name + " stopped (cumulated conns: FE: " + std::to_string(fe) +
                                   ", BE: " + std::to_string(be) + ").");
  }
  return "";
}

}  // namespace portero::admin
