// Changes to servers and limits. The server-level work is admin::actions (shared with the
// stats page's admin form); this file parses the CLI words and picks the reply texts.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdlib>

#include "handlers.h"
#include "portero/admin/actions.h"
#include "portero/config/dynamic_server.h"

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

// An address's port as HAProxy prints it in `set server addr` replies: "+N" for a port map
// (no port, or +N/-N written), else the number.
std::string port_text(const config::Address& a) {
  if (a.port_offset || a.port_lo == 0) return (a.offset >= 0 ? "+" : "") + std::to_string(a.offset);
  return std::to_string(a.port_lo);
}

std::string host_text(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET6) inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(ss).sin6_addr, buf, sizeof buf);
  else inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(ss).sin_addr, buf, sizeof buf);
  return buf;
}

// `set server <bk>/<srv> addr <ip> [port <port>]`: new connections (and checks without an
// `addr` of their own) go there; HAProxy's reply words, missing spaces included.
std::string set_addr(Context& c, ServerRef ref, const Args& a) {
  static const std::string by = " by 'stats socket command'\n";
  const std::string_view ip = arg(a, 4);
  if (ip.empty()) return "set server <b>/<s> addr requires an address and optionally a port.\n";
  const config::Server& cs = server_cfg(c, ref);
  lb::ServerState& st = *c.src->states[size_t(ref.proxy)][size_t(ref.server)];
  sockaddr_storage cur = cs.address.storage;
  config::Address now = cs.address;
  if (st.get_addr(cur)) {
    now.storage = cur;
    now.port_offset = false;
    now.port_lo = ntohs(cur.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&cur)->sin6_port
                                                   : reinterpret_cast<sockaddr_in*>(&cur)->sin_port);
  }
  if (now.kind != config::Address::Kind::inet) return "portero cannot move a server on a unix socket.\n";
  sockaddr_storage next{};
  in6_addr buf6;
  in_addr buf4;
  if (inet_pton(AF_INET, std::string(ip).c_str(), &buf4) == 1) {
    next.ss_family = AF_INET;
    reinterpret_cast<sockaddr_in&>(next).sin_addr = buf4;
  } else if (inet_pton(AF_INET6, std::string(ip).c_str(), &buf6) == 1) {
    next.ss_family = AF_INET6;
    reinterpret_cast<sockaddr_in6&>(next).sin6_addr = buf6;
  } else {
    return "Invalid addr '" + std::string(ip) + "'" + by;
  }
  const std::string old_host = host_text(now.storage), new_host = host_text(next);
  std::string msg = old_host == new_host ? "no need to change the addr"
                                         : "IP changed from '" + old_host + "' to '" + new_host + "'";
  uint16_t port = now.port_offset ? 0 : now.port_lo;
  if (arg(a, 5) == "port") {
    const std::string p(arg(a, 6));
    if (!p.empty() && (p[0] == '+' || p[0] == '-'))
      return msg + ", portero cannot map the port ('" + p + "'): give a port number" + by;
    char* end = nullptr;
    const unsigned long v = std::strtoul(p.c_str(), &end, 10);
    if (p.empty() || *end) {
      msg += ", problem converting port '" + p + "' to an int";
    } else {
      const uint16_t np = uint16_t(v & 0xffff);
      msg += np == port && !now.port_offset && now.port_lo != 0
                 ? std::string(", no need to change the port")
                 : ", port changed from '" + port_text(now) + "' to '" + std::to_string(np) + "'";
      port = np;
    }
  }
  if (next.ss_family == AF_INET6) reinterpret_cast<sockaddr_in6&>(next).sin6_port = htons(port);
  else reinterpret_cast<sockaddr_in&>(next).sin_port = htons(port);
  st.set_addr(next);
  if (c.src->server_moved) c.src->server_moved(ref.proxy, ref.server);
  return msg + by;
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
  if (sub == "addr") return set_addr(c, ref, a);
  if (sub == "agent-addr" || sub == "agent-port" || sub == "agent-send" || sub == "check-addr" ||
      sub == "check-port" || sub == "fqdn" || sub == "ssl")
    return "'set server <srv> " + std::string(sub) + "' is not supported by portero.\n";
  return "usage: set server <backend>/<server> addr | agent | agent-addr | agent-port | agent-send | check-addr | "
         "check-port | fqdn | health | ssl | state | weight\n";
}

// `add server <bk>/<srv> <addr>[:<port>] [options]`. HAProxy frames the replies it gives before
// reading the server line with a single newline, the others with two.
std::string cmd_add_server(Context& c, Session&, const Args& a) {
  const std::string_view spec = arg(a, 2);
  const size_t slash = spec.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == spec.size()) return "Require 'backend/server'.";
  const int be = find_backend(*c.src, spec.substr(0, slash));
  if (be < 0) return "No such backend.";
  const config::Proxy& px = c.src->cfg->proxies[size_t(be)];
  if (!dynamic_lb(px)) return "Backend must use a dynamic load balancing to support dynamic servers.";
  const std::string name(spec.substr(slash + 1));
  config::Server s;
  const std::string err =
      config::parse_dynamic_server(px, name, std::vector<std::string>(a.begin() + std::min<size_t>(3, a.size()), a.end()), s);
  if (!err.empty()) return err + "\n";
  for (size_t i = 0; i < px.servers.size(); ++i)
    if (px.servers.live(i) && px.servers[i].name == name) return "Already exists a server with the same name in backend.\n";
  if (!c.src->add_server) return "portero: servers cannot be added in this process.\n";
  const std::string why = c.src->add_server(be, std::move(s));
  if (!why.empty()) return why + "\n";
  return "New server registered.\n";
}

// `del server <bk>/<srv>`: only a server in maintenance, that nothing in the configuration
// names, without connections (HAProxy's rules and words; every reply ends with one newline).
std::string cmd_del_server(Context& c, Session&, const Args& a) {
  const std::string_view spec = arg(a, 2);
  const size_t slash = spec.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == spec.size()) return "Require 'backend/server'.";
  ServerRef ref;
  std::string why;
  if (!find_server(*c.src, spec, ref, why)) return why;
  const config::Proxy& px = c.src->cfg->proxies[size_t(ref.proxy)];
  for (const auto& u : px.use_servers)
    if (u.server_index == ref.server)
      return "This server cannot be removed at runtime due to other configuration elements pointing to it.";
  if (c.src->states[size_t(ref.proxy)][size_t(ref.server)]->admin.load() != lb::AdminState::maint)
    return "Only servers in maintenance mode can be deleted.";
  if (c.src->server_has_connections && c.src->server_has_connections(ref.proxy, ref.server))
    return "Server still has connections attached to it, cannot remove it.";
  if (!c.src->del_server) return "portero: servers cannot be deleted in this process.";
  c.src->del_server(ref.proxy, ref.server);
  return "Server deleted.";
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
