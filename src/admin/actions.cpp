// Runtime changes to servers and limits (admin socket, stats page admin form), with HAProxy's
// replies and log lines. Main-thread only: the server state is atomics the workers read; every
// change is followed by StatsSource::state_changed so each worker refreshes its balancer.
#include "portero/admin/actions.h"

#include <algorithm>
#include <charconv>
#include <string>

namespace portero::admin {
namespace {

constexpr int kLogAlert = 1, kLogNotice = 5;

// `#<id>` or a name, among the proxies `accept` lets through.
template <typename Accept>
int find_proxy(const stats::StatsSource& src, std::string_view spec, Accept accept) {
  const auto& px = src.cfg->proxies;
  if (!spec.empty() && spec[0] == '#') {
    uint32_t id = 0;
    auto [p, ec] = std::from_chars(spec.data() + 1, spec.data() + spec.size(), id);
    if (ec != std::errc() || p != spec.data() + spec.size()) return -1;
    for (size_t i = 0; i < px.size(); ++i)
      if (px[i].id == id && accept(px[i])) return int(i);
    return -1;
  }
  for (size_t i = 0; i < px.size(); ++i)
    if (px[i].name == spec && accept(px[i])) return int(i);
  return -1;
}

const config::Server& server_cfg(const stats::StatsSource& src, ServerRef s) {
  return src.cfg->proxies[s.proxy].servers[s.server];
}
lb::ServerState& state(const stats::StatsSource& src, ServerRef s) { return *src.states[s.proxy][s.server]; }

void log(stats::StatsSource& src, int proxy, int level, const std::string& msg) {
  if (src.log) src.log(proxy, level, msg);
}

// "N active and M backup servers left. K sessions active, 0 requeued, 0 remaining in queue."
std::string servers_left(const stats::StatsSource& src, ServerRef s) {
  int act = 0, bck = 0;
  const auto& px = src.cfg->proxies[s.proxy];
  for (size_t i = 0; i < px.servers.size(); ++i)
    if (px.servers.live(i) && src.states[s.proxy][i]->usable()) (px.servers[i].backup ? bck : act)++;
  const uint32_t sess = state(src, s).cur_conns.load(std::memory_order_relaxed);
  return " " + std::to_string(act) + " active and " + std::to_string(bck) + " backup servers left. " +
         std::to_string(sess) + " sessions active, 0 requeued, 0 remaining in queue.";
}

bool any_usable(const stats::StatsSource& src, int proxy) {
  for (auto* st : src.states[proxy])
    if (st->usable()) return true;
  return false;
}

void changed(stats::StatsSource& src, ServerRef s) {
  if (src.state_changed) src.state_changed(s.proxy);
}

// Static algorithms (static-rr, map-based hashing) only take weights 0 and the configured one.
bool static_lb(const config::Proxy& px) {
  static const std::string_view hashed[] = {"source", "uri", "url_param", "hdr", "rdp-cookie"};
  const std::string& a = px.balance.algorithm;
  if (a == "static-rr") return true;
  if (px.hash_type.method != "map-based") return false;
  for (auto h : hashed)
    if (a == h) return true;
  return false;
}

}  // namespace

bool dynamic_lb(const config::Proxy& px) { return !static_lb(px); }

int find_backend(const stats::StatsSource& src, std::string_view spec) {
  return find_proxy(src, spec, [](const config::Proxy& p) { return p.is_backend(); });
}

int find_frontend(const stats::StatsSource& src, std::string_view spec) {
  return find_proxy(src, spec, [](const config::Proxy& p) { return p.is_frontend(); });
}

bool find_server(const stats::StatsSource& src, std::string_view spec, ServerRef& out, std::string& error) {
  const size_t slash = spec.find('/');
  if (slash == std::string_view::npos) {
    error = "Require 'backend/server'.";
    return false;
  }
  const int be = find_backend(src, spec.substr(0, slash));
  if (be < 0) {
    error = "No such backend.";
    return false;
  }
  const std::string_view name = spec.substr(slash + 1);
  const auto& servers = src.cfg->proxies[be].servers;
  for (size_t i = 0; i < servers.size(); ++i) {
    if (!servers.live(i)) continue;   // deleted (`del server`)
    bool match = servers[i].name == name;
    if (!match && !name.empty() && name[0] == '#') match = name.substr(1) == std::to_string(servers[i].puid);
    if (match && size_t(be) < src.states.size() && i < src.states[be].size()) {
      out = {be, int(i)};
      return true;
    }
  }
  error = "No such server.";
  return false;
}

std::string set_admin_state(stats::StatsSource& src, ServerRef s, lb::AdminState to) {
  lb::ServerState& st = state(src, s);
  const lb::AdminState from = st.admin.load(std::memory_order_relaxed);
  if (from == to) return "";
  // A server DNS gave no address stays in maintenance until DNS does (HAProxy's RMAINT).
  if (st.dns_maint.load(std::memory_order_relaxed)) return "";
  const auto& px = src.cfg->proxies[s.proxy];
  const std::string who = "Server " + px.name + "/" + server_cfg(src, s).name;
  const bool had_servers = any_usable(src, s.proxy);
  const bool was_usable = st.usable();
  st.admin.store(to, std::memory_order_relaxed);
  if (to == lb::AdminState::maint) {
    if (src.checker) src.checker->enter_maintenance(s.proxy, s.server);
    log(src, s.proxy, was_usable ? kLogAlert : kLogNotice, who + " is going DOWN for maintenance." + servers_left(src, s));
  } else if (from == lb::AdminState::maint) {
    if (src.checker) src.checker->leave_maintenance(s.proxy, s.server);
    log(src, s.proxy, kLogNotice,
        who + " is UP (leaving forced maintenance)." + servers_left(src, s));
    if (to == lb::AdminState::drain) log(src, s.proxy, kLogNotice, who + " enters drain state.");
  } else if (to == lb::AdminState::drain) {
    log(src, s.proxy, kLogNotice, who + " enters drain state." + servers_left(src, s));
  } else {
    log(src, s.proxy, kLogNotice, who + " is UP/READY (leaving forced drain)." + servers_left(src, s));
  }
  if (had_servers && !any_usable(src, s.proxy))
    log(src, s.proxy, 0, std::string(px.kind == config::Proxy::Kind::listen ? "proxy " : "backend ") + px.name +
                             " has no server available!");
  changed(src, s);
  return "";
}

std::string set_weight(stats::StatsSource& src, ServerRef s, std::string_view arg) {
  const auto& px = src.cfg->proxies[s.proxy];
  const uint32_t initial = server_cfg(src, s).weight;
  const char* b = arg.data();
  const char* e = b + arg.size();
  if (b == e) return "Require <weight> or <weight%>.";
  long long v = 0;
  auto [p, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || p == b) return "Empty weight string empty or preceded by garbage";
  const bool relative = p != e && *p == '%';
  if (relative) ++p;
  if (p != e) return "Trailing garbage in weight string";
  uint32_t w;
  if (relative) {
    if (v < 0) return "Relative weight must be positive.";
    if (v > 25600) v = 25600;
    w = uint32_t(std::min<long long>(initial * v / 100, 256));
  } else {
    if (v < 0 || v > 256) return "Absolute weight can only be between 0 and 256 inclusive.";
    w = uint32_t(v);
  }
  if (static_lb(px) && w != 0 && w != initial)
    return "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.";
  state(src, s).user_weight.store(w, std::memory_order_relaxed);
  changed(src, s);
  return "";
}

std::string get_weight(const stats::StatsSource& src, ServerRef s) {
  return std::to_string(state(src, s).user_weight.load(std::memory_order_relaxed)) + " (initial " +
         std::to_string(server_cfg(src, s).weight) + ")";
}

std::string set_server_maxconn(stats::StatsSource& src, ServerRef s, std::string_view arg) {
  if (arg.empty()) return "Require <maxconn>.";
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), v);
  if (ec != std::errc() || p != arg.data() + arg.size()) return "maxconn string empty or preceded by garbage";
  state(src, s).maxconn.store(v, std::memory_order_relaxed);
  changed(src, s);   // workers may hand queued requests to the new slots
  return "";
}

std::string set_check_enabled(stats::StatsSource& src, ServerRef s, bool agent, bool enabled) {
  const auto& cfg = server_cfg(src, s);
  if (agent ? !cfg.agent_check : !cfg.check) return agent ? (enabled ? "Agent was not configured on this server, cannot enable." : "") : (enabled ? "Health check was not configured on this server, cannot enable." : "");
  if (!src.checker) return "";
  if (agent) src.checker->set_agent_enabled(s.proxy, s.server, enabled);
  else src.checker->set_check_enabled(s.proxy, s.server, enabled);
  return "";
}

std::string force_health(stats::StatsSource& src, ServerRef s, bool agent, Health h) {
  if (!src.checker) return "";
  const auto how = h == Health::up ? check::Checker::Force::up
                   : h == Health::stopping ? check::Checker::Force::stopping
                                           : check::Checker::Force::down;
  src.checker->force(s.proxy, s.server, agent, how);
  return "";
}

std::string shutdown_sessions(stats::StatsSource& src, ServerRef s) {
  if (src.shutdown_sessions) src.shutdown_sessions(s.proxy, s.server);
  return "";
}

}  // namespace portero::admin
