// `show servers state` (the format `server-state-file` reads back) and `show backend`.
#include "portero/stats/render.h"
#include "portero/config/dynamic_server.h"
#include "text_util.h"

#include <algorithm>

namespace portero::stats {
namespace {

constexpr const char* kStateHeader =
    "1\n"
    "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight "
    "srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state "
    "srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl "
    "srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n";

// Check state bits: 0x02 configured, 0x04 enabled, 0x08 paused (maintenance), 0x10 agent.
constexpr int kChkConfigured = 0x02, kChkEnabled = 0x04, kChkPaused = 0x08, kChkAgent = 0x10;

const char* dash_if_empty(const std::string& s) { return s.empty() ? "-" : s.c_str(); }

void server_line(std::string& out, const StatsSource& src, int p, int s, uint64_t now_s, uint64_t start_s) {
  const config::Proxy& px = src.cfg->proxies[static_cast<size_t>(p)];
  const config::Server& cs = px.servers[static_cast<size_t>(s)];
  lb::AdminState admin = cs.disabled ? lb::AdminState::maint : lb::AdminState::ready;
  lb::OperState oper = lb::OperState::up;
  uint32_t uweight = cs.weight, ramp = 16;
  if (p < static_cast<int>(src.states.size()) && s < static_cast<int>(src.states[static_cast<size_t>(p)].size()) &&
      src.states[static_cast<size_t>(p)][static_cast<size_t>(s)]) {
    const lb::ServerState& st = *src.states[static_cast<size_t>(p)][static_cast<size_t>(s)];
    admin = st.admin.load(std::memory_order_relaxed);
    oper = st.oper.load(std::memory_order_relaxed);
    uweight = st.user_weight.load(std::memory_order_relaxed);
    ramp = st.ramp.load(std::memory_order_relaxed);
  }
  const bool maint = admin == lb::AdminState::maint;
  // 0 stopped, 1 starting (slow start), 2 running, 3 stopping (NOLB).
  int op = 2;
  if (maint || oper == lb::OperState::down) op = 0;
  else if (oper == lb::OperState::stopping) op = 3;
  else if (ramp < 16) op = 1;
  // 0x01 forced maintenance, 0x04 `disabled` in the config, 0x08 forced drain.
  int adm = 0;
  // An added server's `disabled` is a forced maintenance (haproxy: 0x01, not the config's 0x04).
  const bool added = config::added_at_run_time(cs);
  const lb::ServerState* dns_st = detail::state_or_null(src.states, p, s);
  const bool dns_maint = dns_st && dns_st->dns_maint.load(std::memory_order_relaxed);
  const std::string fqdn = src.server_fqdn ? src.server_fqdn(p, s) : cs.srvrecord.empty() ? cs.hostname : std::string();
  if (dns_maint) adm = 0x20;   // HAProxy's RMAINT: no address from DNS
  else if (maint) adm = cs.disabled && !added ? 0x05 : 0x01;
  else if (admin == lb::AdminState::drain) adm = 0x08;
  if (src.server_named_by_srv && src.server_named_by_srv(p, s)) adm |= 0x40;   // HMAINT: named by an SRV record

  const check::Result* chk = cs.check && src.checker ? src.checker->check(p, s) : nullptr;
  const check::Result* agt = cs.agent_check && src.checker ? src.checker->agent(p, s) : nullptr;
  uint64_t last_change = chk ? chk->last_change : agt ? agt->last_change : 0;
  if (last_change == 0) last_change = start_s;
  const uint64_t since = now_s > last_change ? now_s - last_change : 0;

  int status = 1, result = 0, health = 0, chk_state = 0, agt_state = 0;
  if (cs.check) {
    const check::Status st = chk ? chk->status : check::Status::ini;
    status = detail::check_status_number(st);
    result = detail::check_result_number(st);
    health = chk ? chk->health : static_cast<int>(cs.rise);
    chk_state = kChkConfigured | (chk && !chk->enabled ? 0 : kChkEnabled);
  } else {
    // Without a check HAProxy keeps health at rise while the server is up, 0 otherwise (always
    // 0 for a server added at run time, whose health haproxy 2.6 never sets).
    health = op == 0 || added || cs.start_in_dns_maint ? 0 : static_cast<int>(cs.rise);
  }
  if (cs.agent_check) agt_state = kChkConfigured | (agt && !agt->enabled ? 0 : kChkEnabled) | kChkAgent;
  // Maintenance pauses the checks; haproxy 2.6 never marks an added server's paused (it starts
  // in maintenance without going through it).
  if (maint && !added) {
    chk_state |= kChkPaused;
    if (cs.agent_check) agt_state |= kChkPaused;
  }

  const config::Address addr = detail::current_address(cs.address, detail::state_or_null(src.states, p, s));
  out += std::to_string(px.id) + ' ' + px.name + ' ' + std::to_string(cs.puid) + ' ' + cs.name + ' ';
  out += dash_if_empty(detail::address_host(addr));
  out += ' ' + std::to_string(op) + ' ' + std::to_string(adm) + ' ' + std::to_string(uweight) + ' ' +
         std::to_string(cs.weight) + ' ' + std::to_string(since) + ' ' + std::to_string(status) + ' ' +
         std::to_string(result) + ' ' + std::to_string(health) + ' ' + std::to_string(chk_state) + ' ' +
         std::to_string(agt_state) + ' ';
  // bk_f_forced_id: the config does not record whether the backend's id was written.
  out += "0 ";
  out += cs.id ? "1" : "0";
  out += ' ';
  out += dash_if_empty(fqdn);
  out += ' ' + std::to_string(addr.port_lo) + ' ' + dash_if_empty(cs.srvrecord) + " 0 " +
         std::to_string(cs.check_port.value_or(0)) + ' ';
  out += dash_if_empty(cs.check_addr);
  out += ' ';
  out += dash_if_empty(cs.agent_addr);
  out += ' ' + std::to_string(cs.agent_port.value_or(0)) + '\n';
}

}  // namespace

std::string show_servers_state(const StatsSource& src, int backend) {
  std::string out = kStateHeader;
  if (!src.cfg) return out;
  const uint64_t now_s = detail::now_ms() / 1000;
  const uint64_t start_s = src.process.start_time_ms ? src.process.start_time_ms / 1000 : now_s;
  const auto& proxies = src.cfg->proxies;
  for (size_t p = 0; p < proxies.size(); ++p) {
    if (!proxies[p].is_backend()) continue;
    if (backend >= 0 && static_cast<size_t>(backend) != p) continue;
    for (size_t s = 0; s < proxies[p].servers.size(); ++s)
      if (proxies[p].servers.live(s)) server_line(out, src, static_cast<int>(p), static_cast<int>(s), now_s, start_s);
  }
  return out;
}

// HAProxy's gauges are per thread; portero's are process-wide: the idle connections are all
// shown under the first thread. purge_delay and idle_lim are the server's pool-purge-delay
// (ms) and pool-max-conn.
std::string show_servers_conn(const StatsSource& src, int backend) {
  const uint32_t threads = src.process.nbthread ? src.process.nbthread : 1;
  std::string out = "# bkname/svname bkid/svid addr port - purge_delay used_cur used_max need_est unsafe_nb safe_nb "
                    "idle_lim idle_cur idle_per_thr[" + std::to_string(threads) + "]\n";
  if (!src.cfg) return out;
  const auto& proxies = src.cfg->proxies;
  for (size_t p = 0; p < proxies.size(); ++p) {
    const config::Proxy& px = proxies[p];
    if (!px.is_backend() || (backend >= 0 && static_cast<size_t>(backend) != p)) continue;
    for (size_t s = 0; s < px.servers.size(); ++s) {
      if (!px.servers.live(s)) continue;
      const config::Server& cs = px.servers[s];
      const StatsSource::ServerConns g = src.server_conns ? src.server_conns(int(p), int(s)) : StatsSource::ServerConns{};
      const uint32_t safe = std::min(g.safe, g.idle);
      const config::Address addr = detail::current_address(cs.address, detail::state_or_null(src.states, int(p), int(s)));
      out += px.name + '/' + cs.name + ' ' + std::to_string(px.id) + '/' + std::to_string(cs.puid) + ' ' +
             dash_if_empty(detail::address_host(addr)) + ' ' + std::to_string(addr.port_lo) + " - " +
             std::to_string(cs.pool_purge_delay) + ' ' +
             std::to_string(g.used) + ' ' + std::to_string(g.peak_used) + ' ' + std::to_string(g.peak_used) + ' ' +
             std::to_string(g.idle - safe) + ' ' + std::to_string(safe) + ' ' + std::to_string(cs.pool_max_conn) + ' ' +
             std::to_string(g.idle);
      for (uint32_t t = 0; t < threads; ++t) out += ' ' + std::to_string(t == 0 ? g.idle : 0);
      out += '\n';
    }
  }
  return out;
}

std::string show_backend(const StatsSource& src) {
  std::string out = "# name\n";
  if (!src.cfg) return out;
  for (const config::Proxy& px : src.cfg->proxies)
    if (px.is_backend()) out += px.name + '\n';
  return out;
}

}  // namespace portero::stats
