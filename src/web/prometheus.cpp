// The Prometheus metrics page (`http-request use-service prometheus-exporter`).
//
// Layout, as HAProxy 2.6.12 answers (observed on the same configs): one block per metric (HELP,
// TYPE, then one sample per object), scopes in the order process, frontend, backend, server,
// objects in config order. Metrics with a second label (`code`, `state`) list every value of it:
// per object for `state`, per value then object for `code`. A field `show stat` leaves empty is
// `NaN`; times kept in milliseconds are printed in seconds ("%f"). HTTP-only metrics are only
// given for proxies in `mode http`.
#include "prometheus.h"

#include <cinttypes>
#include <cstdio>
#include <map>

#include "http_reply.h"
#include "portero/stats/counters.h"
#include "portero/stats/model.h"
#include "portero/stats/render.h"

namespace portero::web {
namespace {

using stats::Row;
using stats::Value;
using namespace stats;  // Field names (f_scur...)

// The process block: the `show info` field each metric reads.
struct ProcMetric {
  const char* name;
  const char* help;
  bool counter;
  const char* info;   // `show info` field name
};

// How an object metric gets its value(s).
enum class K : uint8_t {
  field,            // the `show stat` field, NaN when empty
  ms_as_seconds,    // a field in ms, printed in seconds
  status,           // {state=...}: the object's status, one sample per state
  http_codes,       // {code=1xx..other}: hrsp_* fields
  agg_status,       // backend: servers per state
  agg_check,        // backend: servers per check status
  check_status,     // server with checks: one sample per check status
  check_code,       // server with checks: L7 code, 0 when none
  check_duration,   // server with checks: last check duration, seconds
};
struct ObjMetric {
  const char* name;
  const char* help;
  bool counter;
  K kind;
  Field field;
  bool http_only;
};

// The tables: metric names, types and order follow HAProxy 2.6.12's exporter; the help texts
// are portero's own.
constexpr ProcMetric kProcess[] = {
    {"nbthread", "Worker threads running in the process, as set by 'nbthread'", false, "Nbthread"},
    {"nbproc", "Worker processes started; always 1, kept for compatibility", false, "Nbproc"},
    {"relative_process_id", "Index of this worker process, always 1", false, "Process_num"},
    {"uptime_seconds", "Seconds elapsed since this process started", false, "Uptime_sec"},
    {"pool_failures_total", "Memory pool allocations that failed since startup", true, "PoolFailed"},
    {"max_fds", "File descriptor ceiling of the process (ulimit-n)", false, "Ulimit-n"},
    {"max_sockets", "Socket ceiling of the process", false, "Maxsock"},
    {"max_connections", "Connection ceiling of the process, from 'maxconn' or derived from ulimit-n", false, "Maxconn"},
    {"hard_max_connections", "Absolute connection ceiling of the process, derived from the memory cap or ulimit-n", false, "Hard_maxconn"},
    {"current_connections", "Connections open in this process right now", false, "CurrConns"},
    {"connections_total", "Connections accepted by this process since startup", true, "CumConns"},
    {"requests_total", "Requests received by this process since startup", true, "CumReq"},
    {"max_ssl_connections", "Cap on SSL/TLS connections, client and server side together (0 means no cap)", false, "MaxSslConns"},
    {"current_ssl_connections", "SSL/TLS connections open right now, client and server side together", false, "CurrSslConns"},
    {"ssl_connections_total", "SSL/TLS connections opened since startup, client and server side together", true, "CumSslConns"},
    {"max_pipes", "Cap on kernel pipes used for splicing (0 means no cap)", false, "Maxpipes"},
    {"pipes_used_total", "Splicing pipes in use right now", true, "PipesUsed"},
    {"pipes_free_total", "Splicing pipes allocated but idle right now", true, "PipesFree"},
    {"current_connection_rate", "Client connections accepted within the past second", false, "ConnRate"},
    {"limit_connection_rate", "Configured cap on accepted connections per second ('maxconnrate')", false, "ConnRateLimit"},
    {"max_connection_rate", "Peak rate of accepted connections per second since startup", false, "MaxConnRate"},
    {"current_session_rate", "Sessions created within the past second", false, "SessRate"},
    {"limit_session_rate", "Configured cap on new sessions per second ('maxsessrate')", false, "SessRateLimit"},
    {"max_session_rate", "Peak rate of new sessions per second since startup", false, "MaxSessRate"},
    {"current_ssl_rate", "SSL/TLS connections opened within the past second", false, "SslRate"},
    {"limit_ssl_rate", "Configured cap on new SSL/TLS connections per second ('maxsslrate')", false, "SslRateLimit"},
    {"max_ssl_rate", "Peak rate of new SSL/TLS connections per second since startup", false, "MaxSslRate"},
    {"current_frontend_ssl_key_rate", "Client-side SSL/TLS key computations within the past second", false, "SslFrontendKeyRate"},
    {"max_frontend_ssl_key_rate", "Peak rate of client-side SSL/TLS key computations per second since startup", false, "SslFrontendMaxKeyRate"},
    {"frontend_ssl_reuse", "Share of client-side SSL/TLS connections resumed without computing a new key, in percent", false, "SslFrontendSessionReuse_pct"},
    {"current_backend_ssl_key_rate", "Server-side SSL/TLS key computations within the past second", false, "SslBackendKeyRate"},
    {"max_backend_ssl_key_rate", "Peak rate of server-side SSL/TLS key computations per second since startup", false, "SslBackendMaxKeyRate"},
    {"ssl_cache_lookups_total", "Lookups in the SSL/TLS session cache since startup", true, "SslCacheLookups"},
    {"ssl_cache_misses_total", "SSL/TLS session cache lookups that found no entry, since startup", true, "SslCacheMisses"},
    {"http_comp_bytes_in_total", "Input taken by the HTTP compressor within the past second, in bytes", true, "CompressBpsIn"},
    {"http_comp_bytes_out_total", "Output of the HTTP compressor within the past second, in bytes", true, "CompressBpsOut"},
    {"limit_http_comp", "Compressor output rate in bytes per second above which HTTP compression is switched off", false, "CompressBpsRateLim"},
    {"current_zlib_memory", "Memory held by HTTP compression right now, in bytes", false, "ZlibMemUsage"},
    {"max_zlib_memory", "Memory cap for HTTP compression in bytes ('maxzlibmem'); compression stops beyond it", false, "MaxZlibMemUsage"},
    {"current_tasks", "Tasks existing in the process, running or sleeping", false, "Tasks"},
    {"current_run_queue", "Tasks and tasklets waiting to run", false, "Run_queue"},
    {"idle_time_percent", "Share of the last second this thread spent idle, in percent", false, "Idle_pct"},
    {"stopping", "1 while the process is shutting down, else 0", false, "Stopping"},
    {"jobs", "Active jobs in the process: client connections, master connections and listeners", false, "Jobs"},
    {"unstoppable_jobs", "Jobs that a soft stop does not end (master connections)", false, "Unstoppable Jobs"},
    {"listeners", "Listening sockets active in the process", false, "Listeners"},
    {"active_peers", "Peer connections established and verified", false, "ActivePeers"},
    {"connected_peers", "Peers that got through the connect step", false, "ConnectedPeers"},
    {"dropped_logs_total", "Log messages lost since startup", true, "DroppedLogs"},
    {"busy_polling_enabled", "1 when busy polling is on ('busy-polling'), else 0", false, "BusyPolling"},
    {"failed_resolutions", "DNS resolutions that failed since startup", true, "FailedResolutions"},
    {"bytes_out_total", "Bytes sent by this process since startup", true, "TotalBytesOut"},
    {"spliced_bytes_out_total", "Bytes sent through kernel pipes (splicing) since startup", true, "TotalSplicdedBytesOut"},
    {"bytes_out_rate", "Bytes sent within the past second", false, "BytesOutRate"},
    {"recv_logs_total", "Log messages taken in by log-forwarding listeners since startup", true, "CumRecvLogs"},
    {"build_info", "portero's version in the 'version' label (HAProxy 2.6 compatible); the value is always 1", false, "Version"},
    {"max_memory_bytes", "Memory cap of the process in bytes (the -m option)", false, "Memmax_bytes"},
    {"pool_allocated_bytes", "Bytes allocated to memory pools", false, "PoolAlloc_bytes"},
    {"pool_used_bytes", "Bytes of pool memory in use", false, "PoolUsed_bytes"},
    {"start_time_seconds", "Process start time as a Unix timestamp, in seconds", false, "Start_time_sec"},
};
constexpr ObjMetric kFrontend[] = {
    {"current_sessions", "Sessions open right now", false, K::field, f_scur, false},
    {"max_sessions", "Peak number of simultaneous sessions since startup", false, K::field, f_smax, false},
    {"limit_sessions", "Session cap: 'maxconn' for a frontend or server, 'fullconn' for a backend", false, K::field, f_slim, false},
    {"sessions_total", "Sessions handled since startup", true, K::field, f_stot, false},
    {"bytes_in_total", "Bytes carried in the request direction since startup", true, K::field, f_bin, false},
    {"bytes_out_total", "Bytes carried in the response direction since startup", true, K::field, f_bout, false},
    {"requests_denied_total", "Requests refused by deny or reject rules since startup", true, K::field, f_dreq, false},
    {"responses_denied_total", "Responses blocked by deny rules since startup", true, K::field, f_dresp, false},
    {"request_errors_total", "Requests that failed on the client side (malformed, read error, timeout) since startup", true, K::field, f_ereq, false},
    {"status", "1 for the current state and 0 for the others, one series per 'state' label value", false, K::status, f_pxname, false},
    {"limit_session_rate", "Configured cap on new sessions per second ('rate-limit sessions')", false, K::field, f_rate_lim, false},
    {"max_session_rate", "Peak rate of new sessions per second since startup", false, K::field, f_rate_max, false},
    {"http_responses_total", "HTTP responses sent since startup, split by status class in the 'code' label", true, K::http_codes, f_pxname, true},
    {"http_requests_rate_max", "Peak rate of HTTP requests per second since startup", false, K::field, f_req_rate_max, true},
    {"http_requests_total", "HTTP requests handled since startup", true, K::field, f_req_tot, true},
    {"http_comp_bytes_in_total", "Input taken by the HTTP compressor since startup, in bytes", true, K::field, f_comp_in, true},
    {"http_comp_bytes_out_total", "Output of the HTTP compressor since startup, in bytes", true, K::field, f_comp_out, true},
    {"http_comp_bytes_bypassed_total", "Response bytes left uncompressed because of CPU, memory or bandwidth limits, since startup", true, K::field, f_comp_byp, true},
    {"http_comp_responses_total", "HTTP responses sent compressed since startup", true, K::field, f_comp_rsp, true},
    {"connections_rate_max", "Peak rate of accepted connections per second since startup", false, K::field, f_conn_rate_max, false},
    {"connections_total", "Client connections accepted since startup", true, K::field, f_conn_tot, false},
    {"intercepted_requests_total", "HTTP requests answered by the frontend itself (redirects, stats page, services) since startup", true, K::field, f_intercepted, true},
    {"denied_connections_total", "Client connections rejected by 'tcp-request connection' rules since startup", true, K::field, f_dcon, false},
    {"denied_sessions_total", "Client sessions rejected by 'tcp-request session' rules since startup", true, K::field, f_dses, false},
    {"failed_header_rewriting_total", "Header rewrite operations that could not be applied, since startup", true, K::field, f_wrew, false},
    {"http_cache_lookups_total", "HTTP requests checked against the cache since startup", true, K::field, f_cache_lookups, true},
    {"http_cache_hits_total", "HTTP requests served from the cache since startup", true, K::field, f_cache_hits, true},
    {"internal_errors_total", "Errors raised inside the proxy itself rather than by a peer, since startup", true, K::field, f_eint, false},
};
constexpr ObjMetric kBackend[] = {
    {"current_queue", "Requests waiting in the queue right now", false, K::field, f_qcur, false},
    {"max_queue", "Peak queue length since startup", false, K::field, f_qmax, false},
    {"current_sessions", "Sessions open right now", false, K::field, f_scur, false},
    {"max_sessions", "Peak number of simultaneous sessions since startup", false, K::field, f_smax, false},
    {"limit_sessions", "Session cap: 'maxconn' for a frontend or server, 'fullconn' for a backend", false, K::field, f_slim, false},
    {"sessions_total", "Sessions handled since startup", true, K::field, f_stot, false},
    {"bytes_in_total", "Bytes carried in the request direction since startup", true, K::field, f_bin, false},
    {"bytes_out_total", "Bytes carried in the response direction since startup", true, K::field, f_bout, false},
    {"requests_denied_total", "Requests refused by deny or reject rules since startup", true, K::field, f_dreq, false},
    {"responses_denied_total", "Responses blocked by deny rules since startup", true, K::field, f_dresp, false},
    {"connection_errors_total", "Attempts to connect to a server that failed, since startup", true, K::field, f_econ, false},
    {"response_errors_total", "Server responses that failed or were malformed, since startup", true, K::field, f_eresp, false},
    {"retry_warnings_total", "Server connection attempts that were retried, since startup", true, K::field, f_wretr, false},
    {"redispatch_warnings_total", "Requests moved to another server after a connection failure, since startup", true, K::field, f_wredis, false},
    {"status", "1 for the current state and 0 for the others, one series per 'state' label value", false, K::status, f_pxname, false},
    {"weight", "Effective balancing weight of the server; for a backend, the total over its active servers", false, K::field, f_weight, false},
    {"active_servers", "Count of usable primary servers (up, weight above zero)", false, K::field, f_act, false},
    {"backup_servers", "Count of usable backup servers (up, weight above zero)", false, K::field, f_bck, false},
    {"check_up_down_total", "Transitions from up to down caused by failed checks, since startup", true, K::field, f_chkdown, false},
    {"check_last_change_seconds", "Seconds since the last up/down state change", false, K::field, f_lastchg, false},
    {"downtime_seconds_total", "Seconds spent in the down state since startup", true, K::field, f_downtime, false},
    {"loadbalanced_total", "Requests assigned by the balancing algorithm since startup, not counting queue hand-offs or persistence", true, K::field, f_lbtot, false},
    {"max_session_rate", "Peak rate of new sessions per second since startup", false, K::field, f_rate_max, false},
    {"http_responses_total", "HTTP responses sent since startup, split by status class in the 'code' label", true, K::http_codes, f_pxname, true},
    {"http_requests_total", "HTTP requests handled since startup", true, K::field, f_req_tot, true},
    {"client_aborts_total", "Transfers cut short by the client since startup", true, K::field, f_cli_abrt, false},
    {"server_aborts_total", "Transfers cut short by the server since startup", true, K::field, f_srv_abrt, false},
    {"http_comp_bytes_in_total", "Input taken by the HTTP compressor since startup, in bytes", true, K::field, f_comp_in, true},
    {"http_comp_bytes_out_total", "Output of the HTTP compressor since startup, in bytes", true, K::field, f_comp_out, true},
    {"http_comp_bytes_bypassed_total", "Response bytes left uncompressed because of CPU, memory or bandwidth limits, since startup", true, K::field, f_comp_byp, true},
    {"http_comp_responses_total", "HTTP responses sent compressed since startup", true, K::field, f_comp_rsp, true},
    {"last_session_seconds", "Seconds since a session was last assigned here", false, K::field, f_lastsess, false},
    {"queue_time_average_seconds", "Mean time spent queued across the most recent 1024 successful connections, in seconds", false, K::ms_as_seconds, f_qtime, false},
    {"connect_time_average_seconds", "Mean time to connect across the most recent 1024 successful connections, in seconds", false, K::ms_as_seconds, f_ctime, false},
    {"response_time_average_seconds", "Mean wait for the server response across the most recent 1024 successful connections, in seconds", false, K::ms_as_seconds, f_rtime, false},
    {"total_time_average_seconds", "Mean end-to-end duration across the most recent 1024 successful connections, in seconds", false, K::ms_as_seconds, f_ttime, false},
    {"failed_header_rewriting_total", "Header rewrite operations that could not be applied, since startup", true, K::field, f_wrew, false},
    {"connection_attempts_total", "Attempts to open a connection to a server since startup", true, K::field, f_connect, false},
    {"connection_reuses_total", "Requests sent over an already open server connection since startup", true, K::field, f_reuse, false},
    {"http_cache_lookups_total", "HTTP requests checked against the cache since startup", true, K::field, f_cache_lookups, true},
    {"http_cache_hits_total", "HTTP requests served from the cache since startup", true, K::field, f_cache_hits, true},
    {"max_queue_time_seconds", "Longest time a request waited in the queue, in seconds", false, K::ms_as_seconds, f_qtime_max, false},
    {"max_connect_time_seconds", "Longest time taken to establish a server connection, in seconds", false, K::ms_as_seconds, f_ctime_max, false},
    {"max_response_time_seconds", "Longest wait for a server's response, in seconds", false, K::ms_as_seconds, f_rtime_max, false},
    {"max_total_time_seconds", "Longest end-to-end request duration, queueing and transfer included, in seconds", false, K::ms_as_seconds, f_ttime_max, false},
    {"internal_errors_total", "Errors raised inside the proxy itself rather than by a peer, since startup", true, K::field, f_eint, false},
    {"uweight", "Weight set by the user for the server; for a backend, the total over its active servers", false, K::field, f_uweight, false},
    {"agg_server_status", "Servers of this backend in each state, one series per 'state' label value", false, K::agg_status, f_pxname, false},
    {"agg_server_check_status", "Deprecated alias of agg_server_status: servers in each state, one series per 'state' label value", false, K::agg_status, f_pxname, false},
    {"agg_check_status", "Servers of this backend in each health-check result, one series per 'state' label value", false, K::agg_check, f_pxname, false},
};
constexpr ObjMetric kServer[] = {
    {"current_queue", "Requests waiting in the queue right now", false, K::field, f_qcur, false},
    {"max_queue", "Peak queue length since startup", false, K::field, f_qmax, false},
    {"current_sessions", "Sessions open right now", false, K::field, f_scur, false},
    {"max_sessions", "Peak number of simultaneous sessions since startup", false, K::field, f_smax, false},
    {"limit_sessions", "Session cap: 'maxconn' for a frontend or server, 'fullconn' for a backend", false, K::field, f_slim, false},
    {"sessions_total", "Sessions handled since startup", true, K::field, f_stot, false},
    {"bytes_in_total", "Bytes carried in the request direction since startup", true, K::field, f_bin, false},
    {"bytes_out_total", "Bytes carried in the response direction since startup", true, K::field, f_bout, false},
    {"responses_denied_total", "Responses blocked by deny rules since startup", true, K::field, f_dresp, false},
    {"connection_errors_total", "Attempts to connect to a server that failed, since startup", true, K::field, f_econ, false},
    {"response_errors_total", "Server responses that failed or were malformed, since startup", true, K::field, f_eresp, false},
    {"retry_warnings_total", "Server connection attempts that were retried, since startup", true, K::field, f_wretr, false},
    {"redispatch_warnings_total", "Requests moved to another server after a connection failure, since startup", true, K::field, f_wredis, false},
    {"status", "1 for the current state and 0 for the others, one series per 'state' label value", false, K::status, f_pxname, false},
    {"weight", "Effective balancing weight of the server; for a backend, the total over its active servers", false, K::field, f_weight, false},
    {"check_failures_total", "Health checks that failed since startup", true, K::field, f_chkfail, false},
    {"check_up_down_total", "Transitions from up to down caused by failed checks, since startup", true, K::field, f_chkdown, false},
    {"check_last_change_seconds", "Seconds since the last up/down state change", false, K::field, f_lastchg, false},
    {"downtime_seconds_total", "Seconds spent in the down state since startup", true, K::field, f_downtime, false},
    {"queue_limit", "Queue length cap for the server ('maxqueue')", false, K::field, f_qlimit, false},
    {"current_throttle", "Share of maxconn and weight currently granted while the server is in slow start, in percent", false, K::field, f_throttle, false},
    {"loadbalanced_total", "Requests assigned by the balancing algorithm since startup, not counting queue hand-offs or persistence", true, K::field, f_lbtot, false},
    {"max_session_rate", "Peak rate of new sessions per second since startup", false, K::field, f_rate_max, false},
    {"check_status", "1 for the latest health-check result and 0 for the others, one series per 'state' label value", false, K::check_status, f_pxname, false},
    {"check_code", "Layer 5-7 response code of the latest health check, 0 when there is none", false, K::check_code, f_pxname, false},
    {"check_duration_seconds", "Time the latest health check took, in seconds", false, K::check_duration, f_pxname, false},
    {"http_responses_total", "HTTP responses sent since startup, split by status class in the 'code' label", true, K::http_codes, f_pxname, true},
    {"client_aborts_total", "Transfers cut short by the client since startup", true, K::field, f_cli_abrt, false},
    {"server_aborts_total", "Transfers cut short by the server since startup", true, K::field, f_srv_abrt, false},
    {"last_session_seconds", "Seconds since a session was last assigned here", false, K::field, f_lastsess, false},
    {"queue_time_average_seconds", "Mean time spent queued across the most recent 1024 successful connections, in seconds", false, K::ms_as_seconds, f_qtime, false},
    {"connect_time_average_seconds", "Mean time to connect across the most recent 1024 successful connections, in seconds", false, K::ms_as_seconds, f_ctime, false},
    {"response_time_average_seconds", "Mean wait for the server response across the most recent 1024 successful connections, in seconds", false, K::ms_as_seconds, f_rtime, false},
    {"total_time_average_seconds", "Mean end-to-end duration across the most recent 1024 successful connections, in seconds", false, K::ms_as_seconds, f_ttime, false},
    {"failed_header_rewriting_total", "Header rewrite operations that could not be applied, since startup", true, K::field, f_wrew, false},
    {"connection_attempts_total", "Attempts to open a connection to a server since startup", true, K::field, f_connect, false},
    {"connection_reuses_total", "Requests sent over an already open server connection since startup", true, K::field, f_reuse, false},
    {"idle_connections_current", "Idle server connections that new requests can pick up", false, K::field, f_srv_icur, false},
    {"idle_connections_limit", "Cap on idle connections kept for this server ('pool-max-conn')", false, K::field, f_src_ilim, false},
    {"max_queue_time_seconds", "Longest time a request waited in the queue, in seconds", false, K::ms_as_seconds, f_qtime_max, false},
    {"max_connect_time_seconds", "Longest time taken to establish a server connection, in seconds", false, K::ms_as_seconds, f_ctime_max, false},
    {"max_response_time_seconds", "Longest wait for a server's response, in seconds", false, K::ms_as_seconds, f_rtime_max, false},
    {"max_total_time_seconds", "Longest end-to-end request duration, queueing and transfer included, in seconds", false, K::ms_as_seconds, f_ttime_max, false},
    {"internal_errors_total", "Errors raised inside the proxy itself rather than by a peer, since startup", true, K::field, f_eint, false},
    {"unsafe_idle_connections_current", "Idle server connections not marked safe for sharing", false, K::field, f_idle_conn_cur, false},
    {"safe_idle_connections_current", "Idle server connections marked safe for sharing", false, K::field, f_safe_conn_cur, false},
    {"used_connections_current", "Server connections carrying traffic right now", false, K::field, f_used_conn_cur, false},
    {"need_connections_current", "Estimate of the server connections needed", false, K::field, f_need_conn_est, false},
    {"uweight", "Weight set by the user for the server; for a backend, the total over its active servers", false, K::field, f_uweight, false},
};

constexpr const char* kServerStates[] = {"DOWN", "UP", "MAINT", "DRAIN", "NOLB"};
constexpr const char* kCheckStates[] = {"HANA",  "SOCKERR", "L4OK", "L4TOUT", "L4CON",   "L6OK",
                                        "L6TOUT", "L6RSP",  "L7TOUT", "L7RSP", "L7OK",   "L7OKC",
                                        "L7STS", "PROCERR", "PROCTOUT", "PROCOK"};
constexpr const char* kCodes[] = {"1xx", "2xx", "3xx", "4xx", "5xx", "other"};
constexpr Field kCodeFields[] = {f_hrsp_1xx, f_hrsp_2xx, f_hrsp_3xx, f_hrsp_4xx, f_hrsp_5xx, f_hrsp_other};

// Label values escaped as the exposition format wants (\\, \", \n).
void append_label_value(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
}

std::string fmt_seconds_ms(uint64_t ms) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%f", static_cast<double>(ms) / 1000.0);
  return buf;
}

std::string value_text(const Value& v) {
  switch (v.type) {
    case Value::Type::none: return "NaN";
    case Value::Type::str: return v.s.empty() ? "NaN" : v.s;
    default: return v.text();
  }
}
uint64_t value_u(const Value& v) {
  switch (v.type) {
    case Value::Type::u32:
    case Value::Type::u64: return v.u;
    case Value::Type::s32:
    case Value::Type::s64: return v.i > 0 ? static_cast<uint64_t>(v.i) : 0;
    default: return 0;
  }
}

// The server's state label from its status cell ("UP 1/3", "no check", "MAINT (via b/s)"...).
std::string_view server_state(const Row& r) {
  const std::string& s = r.fields[f_status].s;
  auto starts = [&](std::string_view p) { return s.compare(0, p.size(), p) == 0; };
  if (starts("MAINT")) return "MAINT";
  if (starts("DRAIN")) return "DRAIN";
  if (starts("NOLB")) return "NOLB";
  if (starts("DOWN")) return "DOWN";
  return "UP";
}
// "L4OK" from "L4OK" or "* L4OK" (check in progress); "" when none.
std::string_view check_state(const Row& r) {
  std::string_view s = r.fields[f_check_status].s;
  if (s.substr(0, 2) == "* ") s.remove_prefix(2);
  return s;
}

class Writer {
 public:
  Writer(const StatsSource& src, const PromOptions& o) : src_(src), o_(o) {}
  std::string run();

 private:
  const StatsSource& src_;
  const PromOptions& o_;
  std::string out_;
  std::vector<Row> rows_;
  std::vector<const Row*> fe_, be_, sv_;   // sv_: the servers shown (no-maint applied)

  const config::Proxy& proxy(const Row& r) const { return src_.cfg->proxies[static_cast<size_t>(r.proxy)]; }
  const config::Server& server(const Row& r) const {
    return proxy(r).servers[static_cast<size_t>(r.server)];
  }
  bool is_http(const Row& r) const { return proxy(r).mode == config::Mode::http; }
  bool checked(const Row& r) const { return server(r).check && !server(r).disabled; }

  void header(std::string_view full, const char* help, std::string_view type) {
    out_ += "# HELP ";
    out_ += full;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += full;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  // name{proxy="..",server="..",extra="value"} text
  void sample(std::string_view full, const Row& r, std::string_view extra_key, std::string_view extra,
              std::string_view text) {
    out_ += full;
    out_ += "{proxy=\"";
    append_label_value(out_, proxy(r).name);
    out_ += '"';
    if (r.type == ObjType::server) {
      out_ += ",server=\"";
      append_label_value(out_, server(r).name);
      out_ += '"';
    }
    if (!extra_key.empty()) {
      out_ += ',';
      out_ += extra_key;
      out_ += "=\"";
      out_ += extra;
      out_ += '"';
    }
    out_ += "} ";
    out_ += text;
    out_ += '\n';
  }

  void process();
  void objects(std::string_view scope, const ObjMetric* table, size_t n, const std::vector<const Row*>& rows);
  void one_metric(std::string_view full, const ObjMetric& m, const std::vector<const Row*>& rows);
  void histograms(std::string_view scope, const std::vector<const Row*>& rows);
  void h2_abuse(const std::vector<const Row*>& rows);
  Totals totals_of(const Row& r) const;
};

void Writer::process() {
  std::map<std::string, std::string> info;
  for (auto& [k, v] : stats::info_fields(src_)) info.emplace(k, v);
  for (const ProcMetric& m : kProcess) {
    const std::string full = std::string("haproxy_process_") + m.name;
    header(full, m.help, m.counter ? "counter" : "gauge");
    out_ += full;
    if (std::string_view(m.name) == "build_info") {
      out_ += "{version=\"";
      append_label_value(out_, info["Version"]);
      out_ += "\"} 1\n";
      continue;
    }
    auto it = info.find(m.info);
    out_ += ' ';
    out_ += it == info.end() || it->second.empty() ? std::string("NaN") : it->second;
    out_ += '\n';
  }
}

void Writer::one_metric(std::string_view full, const ObjMetric& m, const std::vector<const Row*>& all) {
  std::vector<const Row*> rows;
  for (const Row* r : all) {
    if (m.http_only && !is_http(*r)) continue;
    if ((m.kind == K::check_status || m.kind == K::check_code || m.kind == K::check_duration) && !checked(*r))
      continue;
    rows.push_back(r);
  }
  if (rows.empty()) return;
  header(full, m.help, m.counter ? "counter" : "gauge");
  switch (m.kind) {
    case K::field:
      for (const Row* r : rows) sample(full, *r, {}, {}, value_text(r->fields[m.field]));
      break;
    case K::ms_as_seconds:
      for (const Row* r : rows) {
        const Value& v = r->fields[m.field];
        sample(full, *r, {}, {}, v.empty() ? std::string("NaN") : fmt_seconds_ms(value_u(v)));
      }
      break;
    case K::status:
      for (const Row* r : rows) {
        if (r->type == ObjType::server) {
          const std::string_view st = server_state(*r);
          for (const char* s : kServerStates) sample(full, *r, "state", s, st == s ? "1" : "0");
        } else {
          // FRONTEND: OPEN/FULL are up, STOP down; BACKEND: UP or DOWN.
          const std::string& s = r->fields[f_status].s;
          const bool up = r->type == ObjType::frontend ? s != "STOP" : s == "UP";
          sample(full, *r, "state", "DOWN", up ? "0" : "1");
          sample(full, *r, "state", "UP", up ? "1" : "0");
        }
      }
      break;
    case K::http_codes:
      for (size_t c = 0; c < std::size(kCodes); ++c)
        for (const Row* r : rows) sample(full, *r, "code", kCodes[c], value_text(r->fields[kCodeFields[c]]));
      break;
    case K::agg_status:
    case K::agg_check:
      for (const Row* r : rows) {
        std::map<std::string_view, uint64_t> count;
        for (const Row& s : rows_) {
          if (s.type != ObjType::server || s.proxy != r->proxy) continue;
          if (m.kind == K::agg_status) ++count[server_state(s)];
          else if (checked(s)) ++count[check_state(s)];
        }
        if (m.kind == K::agg_status)
          for (const char* s : kServerStates) sample(full, *r, "state", s, std::to_string(count[s]));
        else
          for (const char* s : kCheckStates) sample(full, *r, "state", s, std::to_string(count[s]));
      }
      break;
    case K::check_status:
      for (const Row* r : rows) {
        const std::string_view st = check_state(*r);
        for (const char* s : kCheckStates) sample(full, *r, "state", s, st == s ? "1" : "0");
      }
      break;
    case K::check_code:
      for (const Row* r : rows) sample(full, *r, {}, {}, std::to_string(value_u(r->fields[f_check_code])));
      break;
    case K::check_duration:
      for (const Row* r : rows) sample(full, *r, {}, {}, fmt_seconds_ms(value_u(r->fields[f_check_duration])));
      break;
  }
}

void Writer::objects(std::string_view scope, const ObjMetric* table, size_t n, const std::vector<const Row*>& rows) {
  for (size_t i = 0; i < n; ++i) {
    std::string full = "haproxy_";
    full += scope;
    full += '_';
    full += table[i].name;
    one_metric(full, table[i], rows);
  }
  histograms(scope, rows);
  if (scope == "frontend") h2_abuse(rows);
}

// portero_frontend_h2_abuse_total: HTTP/2 connections closed for tripping an abuse limit
// (rapid reset, floods: h2::Settings), beyond HAProxy's metrics.
void Writer::h2_abuse(const std::vector<const Row*>& rows) {
  if (rows.empty()) return;
  const std::string full = "portero_frontend_h2_abuse_total";
  out_ += "# HELP " + full + " HTTP/2 connections closed for abuse: GOAWAY ENHANCE_YOUR_CALM (portero)\n";
  out_ += "# TYPE " + full + " counter\n";
  for (const Row* r : rows) sample(full, *r, {}, {}, std::to_string(totals_of(*r).h2_abuse));
}

Totals Writer::totals_of(const Row& r) const {
  if (!src_.counters) return {};
  const size_t p = static_cast<size_t>(r.proxy);
  switch (r.type) {
    case ObjType::frontend: return src_.counters->proxy_totals(p);
    case ObjType::backend: return src_.counters->backend_totals(p);
    case ObjType::server: return src_.counters->server_totals(p, static_cast<size_t>(r.server));
    default: return {};
  }
}

// Seconds from whole microseconds, without trailing zeros ("0.000128", "1.048576", "2").
std::string us_as_seconds(uint64_t us) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%" PRIu64 ".%06" PRIu64, us / 1000000, us % 1000000);
  std::string s = buf;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

// portero_<scope>_request_duration_seconds: the latency counters (log2 µs buckets, 4 per power
// of two) as a Prometheus histogram. Every 4th bucket bound is shown, 128 µs .. 67 s: bucket b
// holds whole µs values up to latency_bucket_upper(b), so `le` = (upper + 1) µs is exact.
// _sum is estimated from the bucket midpoints.
void Writer::histograms(std::string_view scope, const std::vector<const Row*>& rows) {
  if (rows.empty()) return;
  constexpr int kFirst = 23, kLast = 99, kStep = 4;   // 128 µs, 256 µs, ... 67.108864 s
  const std::string full = std::string("portero_") + std::string(scope) + "_request_duration_seconds";
  out_ += "# HELP " + full +
          " Total time of the requests (portero; from log2 buckets, 4 per power of two; sum estimated)\n";
  out_ += "# TYPE " + full + " histogram\n";
  for (const Row* r : rows) {
    const Totals t = totals_of(*r);
    uint64_t cum = 0, total = 0;
    double sum_us = 0;
    for (int b = 0; b < kLatencyBuckets; ++b) {
      const uint64_t lo = b == 0 ? 0 : latency_bucket_upper(b - 1) + 1, hi = latency_bucket_upper(b);
      total += t.latency[b];
      sum_us += static_cast<double>(t.latency[b]) * (static_cast<double>(lo) + static_cast<double>(hi)) / 2.0;
    }
    int b = 0;
    for (int bound = kFirst; bound <= kLast; bound += kStep) {
      for (; b <= bound; ++b) cum += t.latency[b];
      sample(full + "_bucket", *r, "le", us_as_seconds(latency_bucket_upper(bound) + 1), std::to_string(cum));
    }
    sample(full + "_bucket", *r, "le", "+Inf", std::to_string(total));
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6f", sum_us / 1e6);
    sample(full + "_sum", *r, {}, {}, buf);
    sample(full + "_count", *r, {}, {}, std::to_string(total));
  }
}

std::string Writer::run() {
  if (o_.global) process();
  if (!src_.cfg || !(o_.frontend || o_.backend || o_.server)) return std::move(out_);
  StatQuery q;
  q.show_private = true;
  rows_ = collect_rows(src_, q);
  for (const Row& r : rows_) {
    if (r.type == ObjType::frontend) fe_.push_back(&r);
    else if (r.type == ObjType::backend) be_.push_back(&r);
    else if (r.type == ObjType::server) {
      if (o_.no_maint && server_state(r) == "MAINT") continue;
      sv_.push_back(&r);
    }
  }
  if (o_.frontend) objects("frontend", kFrontend, std::size(kFrontend), fe_);
  if (o_.backend) objects("backend", kBackend, std::size(kBackend), be_);
  if (o_.server) objects("server", kServer, std::size(kServer), sv_);
  return std::move(out_);
}

// HAProxy's 400 (its default error page).
constexpr std::string_view k400 =
    "HTTP/1.1 400 Bad request\r\n"
    "content-length: 90\r\n"
    "cache-control: no-cache\r\n"
    "content-type: text/html\r\n"
    "connection: close\r\n"
    "\r\n"
    "<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n";

}  // namespace

PromOptions parse_prom_query(std::string_view uri) {
  PromOptions o;
  const size_t q = uri.find('?');
  if (q == std::string_view::npos) return o;
  std::string_view rest = uri.substr(q + 1);
  bool scoped = false;
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    std::string_view param = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const size_t eq = param.find('=');
    const std::string_view key = param.substr(0, eq);
    const std::string_view val = eq == std::string_view::npos ? std::string_view() : param.substr(eq + 1);
    if (key == "no-maint") {
      o.no_maint = true;
    } else if (key == "scope") {
      if (!scoped) o.global = o.frontend = o.backend = o.server = false;
      scoped = true;
      if (val.empty()) o.global = o.frontend = o.backend = o.server = false;   // "none so far"
      else if (val == "sticktable") {}   // nothing: portero has no stick tables to show
      else if (val == "*") o.global = o.frontend = o.backend = o.server = true;
      else if (val == "global") o.global = true;
      else if (val == "frontend") o.frontend = true;
      else if (val == "backend") o.backend = true;
      else if (val == "server") o.server = true;
      else o.bad_request = true;
    }
  }
  return o;
}

std::string prometheus_metrics(const stats::StatsSource& src, const PromOptions& o) {
  return Writer(src, o).run();
}

std::string prometheus_reply(const stats::StatsSource& src, const stats::PageRequest& req) {
  const PromOptions o = parse_prom_query(req.uri);
  if (o.bad_request) return std::string(k400);
  return ok_reply(req, "text/plain; version=0.0.4", std::nullopt, prometheus_metrics(src, o));
}

}  // namespace portero::web
