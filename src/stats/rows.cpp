// collect_rows: one Row per FRONTEND, server and BACKEND, with the cells HAProxy 2.6.12 fills
// for each object type (and leaves empty otherwise), as observed in its `show stat` output.
#include <algorithm>
#include <cctype>

#include "fields.h"
#include "portero/stats/render.h"
#include "portero/stats/backend_watch.h"
#include "text_util.h"

namespace portero::stats {
namespace {

using detail::now_ms;
using V = Value;

// What every row builder needs.
struct Ctx {
  const StatsSource& src;
  const StatQuery& q;
  uint64_t now_s;
  uint64_t start_s;
};

lb::ServerState* state_of(const StatsSource& src, int p, int s) {
  if (p < 0 || static_cast<size_t>(p) >= src.states.size()) return nullptr;
  const auto& v = src.states[static_cast<size_t>(p)];
  return static_cast<size_t>(s) < v.size() ? v[static_cast<size_t>(s)] : nullptr;
}

// A server's runtime facts, with the config's values when no runtime state is attached.
struct SrvView {
  lb::AdminState admin = lb::AdminState::ready;
  lb::OperState oper = lb::OperState::up;
  uint32_t uweight = 1, cur_conns = 0, maxconn = 0, ramp = 16;
};
SrvView view_of(const StatsSource& src, int p, int s) {
  const config::Server& cs = src.cfg->proxies[static_cast<size_t>(p)].servers[static_cast<size_t>(s)];
  SrvView v;
  if (lb::ServerState* st = state_of(src, p, s)) {
    v.admin = st->admin.load(std::memory_order_relaxed);
    v.oper = st->oper.load(std::memory_order_relaxed);
    v.uweight = st->user_weight.load(std::memory_order_relaxed);
    v.cur_conns = st->cur_conns.load(std::memory_order_relaxed);
    v.maxconn = st->maxconn.load(std::memory_order_relaxed);
    v.ramp = st->ramp.load(std::memory_order_relaxed);
  } else {
    v.admin = cs.disabled ? lb::AdminState::maint : lb::AdminState::ready;
    v.uweight = cs.weight;
    v.maxconn = cs.maxconn;
  }
  return v;
}

bool throttled(const SrvView& v) {
  return v.ramp < 16 && v.admin != lb::AdminState::maint && v.oper != lb::OperState::down;
}

// The weight the balancer uses, in user units (slow start scales it down, rounding up).
uint32_t effective_weight(const SrvView& v) {
  if (!throttled(v)) return v.uweight;
  return static_cast<uint32_t>((static_cast<uint64_t>(v.uweight) * v.ramp + 15) / 16);
}

bool usable(const SrvView& v) {
  return v.admin == lb::AdminState::ready && v.oper == lb::OperState::up && effective_weight(v) > 0;
}

const check::Result* check_of(const StatsSource& src, int p, int s) {
  return src.checker ? src.checker->check(p, s) : nullptr;
}
const check::Result* agent_of(const StatsSource& src, int p, int s) {
  return src.checker ? src.checker->agent(p, s) : nullptr;
}

Totals backend_totals(const StatsSource& src, int p) {
  return src.counters ? src.counters->backend_totals(static_cast<size_t>(p)) : Totals{};
}

Totals proxy_totals(const StatsSource& src, int p) {
  return src.counters ? src.counters->proxy_totals(static_cast<size_t>(p)) : Totals{};
}
Totals server_totals(const StatsSource& src, int p, int s) {
  return src.counters ? src.counters->server_totals(static_cast<size_t>(p), static_cast<size_t>(s)) : Totals{};
}
Rates proxy_rates(const StatsSource& src, int p) { return src.rates ? src.rates->proxy(p) : Rates{}; }
Rates backend_rates(const StatsSource& src, int p) { return src.rates ? src.rates->backend(p) : Rates{}; }
Rates server_rates(const StatsSource& src, int p, int s) {
  return src.rates ? src.rates->server(p, s) : Rates{};
}

uint32_t avg(uint64_t sum, uint64_t n) { return n ? static_cast<uint32_t>(sum / n) : 0; }

// Seconds since a unix time, 0 when it is in the future.
uint64_t age(uint64_t now_s, uint64_t when_s) { return now_s > when_s ? now_s - when_s : 0; }

// The cells backends and servers share: queue, traffic, errors, times.
void fill_traffic(Row& r, const Totals& t, bool http) {
  auto& f = r.fields;
  f[f_qmax] = V::make_u32(t.queue_max);
  f[f_smax] = V::make_u32(t.cur_max);
  f[f_stot] = V::make_u64(t.sessions);
  f[f_bin] = V::make_u64(t.bytes_in);
  f[f_bout] = V::make_u64(t.bytes_out);
  f[f_dresp] = V::make_u64(t.denied_resp);
  f[f_econ] = V::make_u64(t.errors_conn);
  f[f_eresp] = V::make_u64(t.errors_resp);
  f[f_wretr] = V::make_u64(t.retries);
  f[f_wredis] = V::make_u64(t.redispatches);
  f[f_lbtot] = V::make_u64(t.lb_total);
  if (http) {
    f[f_hrsp_1xx] = V::make_u64(t.http_1xx);
    f[f_hrsp_2xx] = V::make_u64(t.http_2xx);
    f[f_hrsp_3xx] = V::make_u64(t.http_3xx);
    f[f_hrsp_4xx] = V::make_u64(t.http_4xx);
    f[f_hrsp_5xx] = V::make_u64(t.http_5xx);
    f[f_hrsp_other] = V::make_u64(t.http_other);
    f[f_req_tot] = V::make_u64(t.requests);
  }
  f[f_cli_abrt] = V::make_u64(t.client_aborts);
  f[f_srv_abrt] = V::make_u64(t.server_aborts);
  f[f_qtime] = V::make_u32(avg(t.t_queue_sum, t.t_samples));
  f[f_ctime] = V::make_u32(avg(t.t_connect_sum, t.t_samples));
  f[f_rtime] = V::make_u32(avg(t.t_response_sum, t.t_samples));
  f[f_ttime] = V::make_u32(avg(t.t_total_sum, t.t_samples));
  f[f_wrew] = V::make_u64(t.wrew);
  f[f_connect] = V::make_u64(t.connects);
  f[f_reuse] = V::make_u64(t.reuses);
  f[f_qtime_max] = V::make_u32(t.t_queue_max);
  f[f_ctime_max] = V::make_u32(t.t_connect_max);
  f[f_rtime_max] = V::make_u32(t.t_response_max);
  f[f_ttime_max] = V::make_u32(t.t_total_max);
  f[f_eint] = V::make_u64(0);
}

void fill_common(Row& r, const config::Proxy& px, ObjType type, int sid, const char* svname) {
  r.fields.assign(kFieldCount, Value{});
  r.fields[f_pxname] = V::make_str(px.name);
  r.fields[f_svname] = V::make_str(svname);
  r.fields[f_pid] = V::make_u32(1);
  r.fields[f_iid] = V::make_u32(px.id);
  r.fields[f_sid] = V::make_u32(static_cast<uint64_t>(sid));
  r.fields[f_type] = V::make_u32(type == ObjType::frontend ? 0 : type == ObjType::backend ? 1 : 2);
  r.fields[f_mode] = V::make_str(px.mode == config::Mode::http ? "http" : "tcp");
  r.type = type;
  // SSL counters on every row; H2/H1 only on frontends and backends (empty on servers).
  r.extra.assign(detail::kExtraCount, Value{});
  for (int i = 0; i < detail::kExtraCount; ++i)
    if (type != ObjType::server || i < 3) r.extra[static_cast<size_t>(i)] = V::make_u64(0);
}

// The SSL module's columns (the first three after "-"): the TLS handshakes of this object.
void fill_ssl(Row& r, const Totals& t) {
  r.extra[0] = V::make_u64(t.ssl_sess);
  r.extra[1] = V::make_u64(t.ssl_reused_sess);
  r.extra[2] = V::make_u64(t.ssl_failed_handshake);
}

// The H2 module's columns of a FRONTEND row: its HTTP/2 client connections and their streams.
void fill_h2(Row& r, const Totals& t) {
  // h2_headers_rcvd .. h2_goaway_resp (extras 3-11): the frames the connections counted.
  for (size_t k = 0; k < std::size(t.h2_frames); ++k) r.extra[3 + k] = V::make_u64(t.h2_frames[k]);
  r.extra[12] = V::make_u64(t.h2_conns - std::min(t.h2_conns, t.h2_closed));       // h2_open_connections
  r.extra[13] = V::make_u64(t.h2_streams - std::min(t.h2_streams, t.h2_streams_closed));  // ..._open_streams
  r.extra[14] = V::make_u64(t.h2_conns);                                           // h2_total_connections
  r.extra[15] = V::make_u64(t.h2_streams);                                         // ..._total_streams
}

uint32_t frontend_limit(const Ctx& c, int p, const config::Proxy& px) {
  if (c.src.frontend_maxconn) return c.src.frontend_maxconn(p);
  if (px.maxconn) return *px.maxconn;
  if (c.src.process.maxconn) return c.src.process.maxconn;
  return c.src.cfg->global.maxconn ? c.src.cfg->global.maxconn : 4096;
}

Row frontend_row(const Ctx& c, int p) {
  const config::Proxy& px = c.src.cfg->proxies[static_cast<size_t>(p)];
  const bool http = px.mode == config::Mode::http;
  Row r;
  r.proxy = p;
  fill_common(r, px, ObjType::frontend, 0, "FRONTEND");
  const Totals t = proxy_totals(c.src, p);
  const Rates rt = proxy_rates(c.src, p);
  fill_ssl(r, t);
  fill_h2(r, t);
  auto& f = r.fields;
  const uint32_t scur = c.src.frontend_cur_conns ? c.src.frontend_cur_conns(p) : 0;
  const uint32_t slim = frontend_limit(c, p, px);
  f[f_scur] = V::make_u32(scur);
  f[f_smax] = V::make_u32(std::max<uint64_t>(t.cur_max, scur));
  f[f_slim] = V::make_u32(slim);
  f[f_stot] = V::make_u64(t.sessions);
  f[f_bin] = V::make_u64(t.bytes_in);
  f[f_bout] = V::make_u64(t.bytes_out);
  f[f_dreq] = V::make_u64(t.denied_req);
  f[f_dresp] = V::make_u64(t.denied_resp);
  f[f_ereq] = V::make_u64(t.errors_req);
  const bool paused = px.disabled || (c.src.frontend_paused && c.src.frontend_paused(p));
  f[f_status] = V::make_str(paused ? "STOP" : (slim && scur >= slim) ? "FULL" : "OPEN");
  f[f_rate] = V::make_u32(rt.sessions.cur);
  f[f_rate_lim] = V::make_u32(0);
  f[f_rate_max] = V::make_u32(rt.sessions.max);
  if (http) {
    f[f_hrsp_1xx] = V::make_u64(t.http_1xx);
    f[f_hrsp_2xx] = V::make_u64(t.http_2xx);
    f[f_hrsp_3xx] = V::make_u64(t.http_3xx);
    f[f_hrsp_4xx] = V::make_u64(t.http_4xx);
    f[f_hrsp_5xx] = V::make_u64(t.http_5xx);
    f[f_hrsp_other] = V::make_u64(t.http_other);
    f[f_intercepted] = V::make_u64(t.intercepted);
    f[f_cache_lookups] = V::make_u64(0);
    f[f_cache_hits] = V::make_u64(0);
  }
  f[f_req_rate] = V::make_u32(rt.requests.cur);
  f[f_req_rate_max] = V::make_u32(rt.requests.max);
  f[f_req_tot] = V::make_u64(t.requests);   // 0 on tcp frontends, still printed
  for (int i : {f_comp_in, f_comp_out, f_comp_byp, f_comp_rsp}) f[i] = V::make_u64(0);
  f[f_conn_rate] = V::make_u32(rt.connections.cur);
  f[f_conn_rate_max] = V::make_u32(rt.connections.max);
  f[f_conn_tot] = V::make_u64(t.sessions + t.denied_conn + t.embryonic);   // every accepted connection
  f[f_dcon] = V::make_u64(t.denied_conn);
  f[f_dses] = V::make_u64(0);
  f[f_wrew] = V::make_u64(t.wrew);
  f[f_eint] = V::make_u64(0);
  return r;
}

// Lower-case substring test for the page's `scope=`.
bool contains_nocase(const std::string& hay, const std::string& needle) {
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
  return it != hay.end();
}

}  // namespace

std::string server_status(const StatsSource& src, int p, int s) {
  const config::Server& cs = src.cfg->proxies[static_cast<size_t>(p)].servers[static_cast<size_t>(s)];
  const SrvView v = view_of(src, p, s);
  if (const lb::ServerState* st = detail::state_or_null(src.states, p, s); st && st->dns_maint.load(std::memory_order_relaxed))
    return "MAINT (resolution)";
  if (v.admin == lb::AdminState::maint) return "MAINT";
  const check::Result* chk = cs.check ? check_of(src, p, s) : nullptr;
  const int rise = static_cast<int>(cs.rise), fall = static_cast<int>(cs.fall);
  if (v.oper == lb::OperState::down) {
    if (chk && chk->health > 0 && chk->health < rise)
      return "DOWN " + std::to_string(chk->health) + "/" + std::to_string(rise);
    return "DOWN";
  }
  std::string st = v.admin == lb::AdminState::drain ? "DRAIN" : v.oper == lb::OperState::stopping ? "NOLB" : "UP";
  if (!cs.check || (chk && !chk->enabled)) return st == "UP" ? "no check" : st;
  // Transitional health: "UP 2/3" counts the failures still allowed before DOWN.
  if (chk && chk->health >= rise && chk->health < rise + fall - 1)
    st += " " + std::to_string(chk->health - rise + 1) + "/" + std::to_string(fall);
  return st;
}

namespace {

Row server_row(const Ctx& c, int p, int s) {
  const config::Proxy& px = c.src.cfg->proxies[static_cast<size_t>(p)];
  const config::Server& cs = px.servers[static_cast<size_t>(s)];
  const bool http = px.mode == config::Mode::http;
  Row r;
  r.proxy = p;
  r.server = s;
  fill_common(r, px, ObjType::server, cs.puid, cs.name.c_str());
  const Totals t = server_totals(c.src, p, s);
  const Rates rt = server_rates(c.src, p, s);
  fill_ssl(r, t);
  const SrvView v = view_of(c.src, p, s);
  fill_traffic(r, t, http);
  auto& f = r.fields;
  f[f_qcur] = V::make_u32(c.src.server_queued ? c.src.server_queued(p, s) : 0);
  f[f_scur] = V::make_u32(v.cur_conns);
  f[f_smax] = V::make_u32(std::max<uint64_t>(t.cur_max, v.cur_conns));
  if (v.maxconn) f[f_slim] = V::make_u32(v.maxconn);
  f[f_status] = V::make_str(server_status(c.src, p, s));
  f[f_weight] = V::make_u32(effective_weight(v));
  f[f_act] = V::make_u32(cs.backup ? 0 : 1);
  f[f_bck] = V::make_u32(cs.backup ? 1 : 0);

  const check::Result* chk = cs.check ? check_of(c.src, p, s) : nullptr;
  const check::Result* agt = cs.agent_check ? agent_of(c.src, p, s) : nullptr;
  const bool down_now = v.admin == lb::AdminState::maint || v.oper == lb::OperState::down;
  uint64_t last_change = chk ? chk->last_change : agt ? agt->last_change : 0;
  if (last_change == 0) last_change = c.start_s;
  f[f_lastchg] = V::make_u32(age(c.now_s, last_change));
  // After `disable health|agent` (and on an added server until `enable health|agent`) HAProxy
  // leaves the check's (agent's) columns empty, as for a server without one.
  // A server in resolution maintenance shows no check either (haproxy 2.6.12 leaves the
  // columns empty while DNS gives it no address).
  const lb::ServerState* dns_st = detail::state_or_null(c.src.states, p, s);
  const bool checking = cs.check && (!chk || chk->enabled) && !(dns_st && dns_st->dns_maint.load(std::memory_order_relaxed));
  const bool agent_on = cs.agent_check && (!agt || agt->enabled);
  if (checking) {
    f[f_chkfail] = V::make_u64(chk ? chk->failures : 0);
    f[f_chkdown] = V::make_u64(chk ? chk->downs : 0);
    // The checker adds a DOWN spell to `downtime` when it ends; count the current one too.
    uint64_t down = chk ? chk->downtime : 0;
    if (down_now) down += age(c.now_s, last_change);
    f[f_downtime] = V::make_u32(down);
  }
  if (cs.maxqueue) f[f_qlimit] = V::make_u32(cs.maxqueue);
  if (throttled(v)) f[f_throttle] = V::make_u32(v.ramp * 100 / 16);
  f[f_rate] = V::make_u32(rt.sessions.cur);
  f[f_rate_max] = V::make_u32(rt.sessions.max);
  // A server in maintenance has its checks paused: HAProxy shows their counters but not their
  // last result.
  const bool paused = v.admin == lb::AdminState::maint;
  if (checking && !paused) {
    const check::Status st = chk ? chk->status : check::Status::ini;
    f[f_check_status] = V::make_str(std::string(check::status_name(st)));
    if (chk && chk->code >= 0) f[f_check_code] = V::make_u32(static_cast<uint64_t>(chk->code));
    if (chk && chk->duration_ms >= 0) f[f_check_duration] = V::make_u64(static_cast<uint64_t>(chk->duration_ms));
    f[f_last_chk] = V::make_str(chk && !chk->desc_logged_only ? chk->desc : std::string());
    f[f_check_desc] = V::make_str(std::string(detail::check_status_desc(st)));
    f[f_check_rise] = V::make_u32(cs.rise);
    f[f_check_fall] = V::make_u32(cs.fall);
    f[f_check_health] = V::make_u32(chk ? static_cast<uint64_t>(chk->health) : cs.rise);
  }
  if (agent_on && !paused) {
    const check::Status st = agt ? agt->status : check::Status::ini;
    f[f_agent_status] = V::make_str(std::string(check::status_name(st)));
    if (agt && agt->code >= 0) f[f_agent_code] = V::make_u32(static_cast<uint64_t>(agt->code));
    if (agt && agt->duration_ms >= 0) f[f_agent_duration] = V::make_u64(static_cast<uint64_t>(agt->duration_ms));
    f[f_last_agt] = V::make_str(agt ? agt->desc : std::string());
    f[f_agent_desc] = V::make_str(std::string(detail::check_status_desc(st)));
    // HAProxy's agent counts one success or one failure as enough (rise = fall = 1).
    f[f_agent_rise] = V::make_u32(1);
    f[f_agent_fall] = V::make_u32(1);
    f[f_agent_health] = V::make_u32(agt ? static_cast<uint64_t>(agt->health) : 1);
  }
  if (cs.observe != config::Server::Observe::none) f[f_hanafail] = V::make_u64(chk ? chk->analyse_failures : 0);
  f[f_lastsess] = V::make_s32(t.last_session_s ? static_cast<int64_t>(age(c.now_s, t.last_session_s)) : -1);
  if (c.q.show_private) {
    // (HAProxy names a unix or abns server's address "unix")
    const config::Address addr = detail::current_address(cs.address, detail::state_or_null(c.src.states, p, s));
    // A server DNS gave no address yet has none (HAProxy leaves the column empty).
    if (addr.kind != config::Address::Kind::inet || addr.family() != AF_UNSPEC)
      f[f_addr] = V::make_str(addr.kind == config::Address::Kind::unix_path ? std::string("unix") : config::to_string(addr));
    if (!cs.cookie.empty()) f[f_cookie] = V::make_str(cs.cookie);
  }
  const StatsSource::ServerConns conns = c.src.server_conns ? c.src.server_conns(p, s) : StatsSource::ServerConns{};
  f[f_srv_icur] = V::make_u32(conns.idle);
  f[f_idle_conn_cur] = V::make_u32(conns.idle - std::min(conns.idle, conns.safe));
  f[f_safe_conn_cur] = V::make_u32(conns.safe);
  f[f_used_conn_cur] = V::make_u32(conns.used);
  // HAProxy's estimate of the connections needed: 1 once a check or a request used one, the
  // most used at once when more (HAProxy lets it decay over time; portero keeps the peak).
  f[f_need_conn_est] = V::make_u32(std::max<uint32_t>(conns.peak_used, cs.check || t.sessions ? 1 : 0));
  f[f_uweight] = V::make_u32(v.uweight);
  return r;
}

// The servers the balancer uses right now, as HAProxy sums them for the BACKEND row.
struct LbSummary {
  uint32_t act = 0, bck = 0, weight = 0, uweight = 0, up = 0, total = 0;
  uint64_t last_change = 0;
};
LbSummary summarize(const Ctx& c, int p) {
  const config::Proxy& px = c.src.cfg->proxies[static_cast<size_t>(p)];
  LbSummary sum;
  uint32_t wact = 0, wbck = 0, uwact = 0, uwbck = 0, first_w = 0, first_uw = 0;
  bool first = false;
  for (size_t s = 0; s < px.servers.size(); ++s) {
    if (!px.servers.live(s)) continue;   // deleted (`del server`)
    ++sum.total;
    const SrvView v = view_of(c.src, p, static_cast<int>(s));
    if (v.admin != lb::AdminState::maint && v.oper != lb::OperState::down) ++sum.up;
    if (const check::Result* r = check_of(c.src, p, static_cast<int>(s)))
      sum.last_change = std::max(sum.last_change, r->last_change);
    if (!usable(v)) continue;
    if (px.servers[s].backup) {
      if (!first) {
        first = true;
        first_w = effective_weight(v);
        first_uw = v.uweight;
      }
      ++sum.bck;
      wbck += effective_weight(v);
      uwbck += v.uweight;
    } else {
      ++sum.act;
      wact += effective_weight(v);
      uwact += v.uweight;
    }
  }
  // Backups serve only when no active server can; without `allbackups` only the first one.
  if (sum.act) {
    sum.weight = wact;
    sum.uweight = uwact;
  } else if (px.allbackups) {
    sum.weight = wbck;
    sum.uweight = uwbck;
  } else {
    sum.weight = first_w;
    sum.uweight = first_uw;
  }
  return sum;
}

Row backend_row(const Ctx& c, int p) {
  const config::Proxy& px = c.src.cfg->proxies[static_cast<size_t>(p)];
  const bool http = px.mode == config::Mode::http;
  Row r;
  r.proxy = p;
  fill_common(r, px, ObjType::backend, 0, "BACKEND");
  const Totals t = backend_totals(c.src, p);
  const Rates rt = backend_rates(c.src, p);
  fill_ssl(r, t);
  fill_traffic(r, t, http);
  auto& f = r.fields;
  const uint32_t scur = c.src.backend_cur_conns ? c.src.backend_cur_conns(p) : 0;
  f[f_qcur] = V::make_u32(c.src.backend_queued ? c.src.backend_queued(p) : 0);
  f[f_scur] = V::make_u32(scur);
  f[f_smax] = V::make_u32(std::max<uint64_t>(t.cur_max, scur));
  f[f_slim] = V::make_u32(px.fullconn_effective);
  f[f_dreq] = V::make_u64(t.denied_req);
  const LbSummary sum = summarize(c, p);
  std::string status = (sum.weight > 0 || sum.total == 0) ? "UP" : "DOWN";
  // With `up` or `no-maint` HAProxy appends how many servers are up out of all.
  if (c.q.up_only || c.q.no_maint)
    status += " (" + std::to_string(sum.up) + "/" + std::to_string(sum.total) + ")";
  f[f_status] = V::make_str(status);
  f[f_weight] = V::make_u32(sum.weight);
  f[f_act] = V::make_u32(sum.act);
  f[f_bck] = V::make_u32(sum.bck);
  // Backend transitions as the once-a-second watch saw them; without it, a DOWN backend went
  // down when its last server did and an UP one is taken as up since the start.
  const bool down = status.rfind("DOWN", 0) == 0;
  const BackendWatch::State* w = c.src.backend_watch ? c.src.backend_watch->get(p) : nullptr;
  f[f_chkdown] = V::make_u64(w ? w->downs : 0);
  f[f_lastchg] = V::make_u32(age(c.now_s, w ? w->last_change : down && sum.last_change ? sum.last_change : c.start_s));
  if (!px.servers.empty())
    f[f_downtime] = V::make_u32(w ? w->downtime + (!w->up && c.now_s > w->down_since ? c.now_s - w->down_since : 0) : 0);
  f[f_rate] = V::make_u32(rt.sessions.cur);
  f[f_rate_max] = V::make_u32(rt.sessions.max);
  for (int i : {f_comp_in, f_comp_out, f_comp_byp, f_comp_rsp}) f[i] = V::make_u64(0);
  f[f_lastsess] = V::make_s32(t.last_session_s ? static_cast<int64_t>(age(c.now_s, t.last_session_s)) : -1);
  if (c.q.show_private) {
    if (!px.persistence.name.empty()) f[f_cookie] = V::make_str(px.persistence.name);
    f[f_algo] = V::make_str(px.balance.algorithm);
  }
  if (http) {
    f[f_cache_lookups] = V::make_u64(0);
    f[f_cache_hits] = V::make_u64(0);
  }
  f[f_uweight] = V::make_u32(sum.uweight);
  for (int i : {f_agg_server_status, f_agg_server_check_status, f_agg_check_status}) f[i] = V::make_u32(0);
  return r;
}

bool proxy_selected(const StatQuery& q, const config::Proxy& px) {
  if (q.iid >= 0 && px.id != static_cast<uint32_t>(q.iid)) return false;
  if (!q.scope.empty() && !contains_nocase(px.name, q.scope)) return false;
  if (!q.only_proxies.empty() &&
      std::find(q.only_proxies.begin(), q.only_proxies.end(), px.name) == q.only_proxies.end())
    return false;
  return true;
}

}  // namespace

std::vector<Row> collect_rows(const StatsSource& src, const StatQuery& q) {
  std::vector<Row> rows;
  if (!src.cfg) return rows;
  const uint64_t now = now_ms() / 1000;
  const Ctx c{src, q, now, src.process.start_time_ms ? src.process.start_time_ms / 1000 : now};
  const auto& proxies = src.cfg->proxies;
  for (size_t pi = 0; pi < proxies.size(); ++pi) {
    const config::Proxy& px = proxies[pi];
    if (px.kind == config::Proxy::Kind::defaults || !proxy_selected(q, px)) continue;
    const int p = static_cast<int>(pi);
    if (px.is_frontend() && (q.type_mask & 1)) rows.push_back(frontend_row(c, p));
    if (px.is_backend() && (q.type_mask & 4)) {
      for (size_t s = 0; s < px.servers.size(); ++s) {
        if (!px.servers.live(s)) continue;   // deleted (`del server`)
        const config::Server& cs = px.servers[s];
        if (q.sid >= 0 && cs.puid != q.sid) continue;
        const SrvView v = view_of(src, p, static_cast<int>(s));
        const bool maint = v.admin == lb::AdminState::maint;
        if (q.no_maint && maint) continue;
        if (q.up_only && (maint || v.oper == lb::OperState::down)) continue;
        rows.push_back(server_row(c, p, static_cast<int>(s)));
      }
    }
    if (px.is_backend() && (q.type_mask & 2)) rows.push_back(backend_row(c, p));
  }
  return rows;
}

}  // namespace portero::stats

namespace portero::stats {

bool backend_up(const StatsSource& src, int p) {
  const StatQuery q;
  const Ctx c{src, q, 0, 0};
  return summarize(c, p).weight > 0 || src.cfg->proxies[static_cast<size_t>(p)].servers.empty();
}

}  // namespace portero::stats
