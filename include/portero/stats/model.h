#pragma once
// The row model of `show stat`: one Row per frontend, server and backend, each with HAProxy
// 2.6.12's positional fields (COMPAT.md §4.1). The CSV, typed, JSON and HTML renderers all
// read the same rows. Plain values, built on the main thread.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace portero::stats {

enum class ObjType : uint8_t { frontend, backend, server, listener };

// Positional fields, in CSV column order, up to the literal "-" separator (not a field).
enum Field : int {
  f_pxname, f_svname, f_qcur, f_qmax, f_scur, f_smax,
  f_slim, f_stot, f_bin, f_bout, f_dreq, f_dresp,
  f_ereq, f_econ, f_eresp, f_wretr, f_wredis, f_status,
  f_weight, f_act, f_bck, f_chkfail, f_chkdown, f_lastchg,
  f_downtime, f_qlimit, f_pid, f_iid, f_sid, f_throttle,
  f_lbtot, f_tracked, f_type, f_rate, f_rate_lim, f_rate_max,
  f_check_status, f_check_code, f_check_duration, f_hrsp_1xx, f_hrsp_2xx, f_hrsp_3xx,
  f_hrsp_4xx, f_hrsp_5xx, f_hrsp_other, f_hanafail, f_req_rate, f_req_rate_max,
  f_req_tot, f_cli_abrt, f_srv_abrt, f_comp_in, f_comp_out, f_comp_byp,
  f_comp_rsp, f_lastsess, f_last_chk, f_last_agt, f_qtime, f_ctime,
  f_rtime, f_ttime, f_agent_status, f_agent_code, f_agent_duration, f_check_desc,
  f_agent_desc, f_check_rise, f_check_fall, f_check_health, f_agent_rise, f_agent_fall,
  f_agent_health, f_addr, f_cookie, f_mode, f_algo, f_conn_rate,
  f_conn_rate_max, f_conn_tot, f_intercepted, f_dcon, f_dses, f_wrew,
  f_connect, f_reuse, f_cache_lookups, f_cache_hits, f_srv_icur, f_src_ilim,
  f_qtime_max, f_ctime_max, f_rtime_max, f_ttime_max, f_eint, f_idle_conn_cur,
  f_safe_conn_cur, f_used_conn_cur, f_need_conn_est, f_uweight, f_agg_server_status, f_agg_server_check_status,
  f_agg_check_status,
  kFieldCount
};

// One field value as HAProxy types it (typed / JSON forms). `none` prints as an empty cell.
struct Value {
  enum class Type : uint8_t { none, s32, s64, u32, u64, str };
  Type type = Type::none;
  int64_t i = 0;       // s32 / s64
  uint64_t u = 0;      // u32 / u64
  std::string s;       // str
  std::string text() const;   // the CSV form (no quoting)

  static Value make_s32(int64_t v) { Value x; x.type = Type::s32; x.i = v; return x; }
  static Value make_u32(uint64_t v) { Value x; x.type = Type::u32; x.u = v; return x; }
  static Value make_u64(uint64_t v) { Value x; x.type = Type::u64; x.u = v; return x; }
  static Value make_str(std::string v) { Value x; x.type = Type::str; x.s = std::move(v); return x; }
  bool empty() const { return type == Type::none; }
  const char* type_name() const;  // "s32", "u32", "u64", "str" as the typed/JSON forms print them
};

struct Row {
  ObjType type = ObjType::frontend;
  int proxy = -1;      // index in config proxies
  int server = -1;     // index in the proxy's servers, -1 for FRONTEND/BACKEND rows
  std::vector<Value> fields;   // kFieldCount values
  // The per-module columns printed after the "-" separator (SSL, H2, H1 counters; 24 of
  // them in 2.6.12). Servers fill only the SSL ones; the others stay empty.
  std::vector<Value> extra;
};

}  // namespace portero::stats
