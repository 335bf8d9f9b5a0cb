// The field tables of `show stat` and of the typed/JSON forms.
#include "fields.h"

#include <array>

namespace portero::stats::detail {
namespace {

// Columns: name, frontend tags, backend tags, server tags, description.
constexpr std::array<StatField, kFieldCount> kFields = {{
    {"pxname", "KNS", "KNS", "KNS", "Name of the proxy"},
    {"svname", "KNS", "KNS", "KNS", "Name of the server, or FRONTEND / BACKEND"},
    {"qcur", "", "MGP", "MGP", "Requests waiting in the queue now"},
    {"qmax", "", "MMP", "MMP", "Largest queue length seen"},
    {"scur", "MGP", "MGP", "MGP", "Sessions open now"},
    {"smax", "MMP", "MMP", "MMP", "Largest number of open sessions seen"},
    {"slim", "CLP", "CLP", "CLP", "Session limit: maxconn (frontend, server) or fullconn (backend)"},
    {"stot", "MCP", "MCP", "MCP", "Sessions since start"},
    {"bin", "MCP", "MCP", "MCP", "Bytes received from clients"},
    {"bout", "MCP", "MCP", "MCP", "Bytes sent to clients"},
    {"dreq", "MCP", "MCP", "", "Requests denied by rules"},
    {"dresp", "MCP", "MCP", "MCP", "Responses denied by rules"},
    {"ereq", "MCP", "", "", "Invalid or aborted requests"},
    {"econ", "", "MCP", "MCP", "Failed connections to servers"},
    {"eresp", "", "MCP", "MCP", "Invalid or aborted responses"},
    {"wretr", "", "MCP", "MCP", "Connection retries"},
    {"wredis", "", "MCP", "MCP", "Redispatches to another server"},
    {"status", "SGP", "SGP", "SGP", "State of the object"},
    {"weight", "", "MaP", "MaP", "Effective weight (backend: sum of the servers in use)"},
    {"act", "", "MGP", "SGP", "Active server (backend: active servers in use)"},
    {"bck", "", "MGP", "SGP", "Backup server (backend: backup servers in use)"},
    {"chkfail", "", "", "MCP", "Failed health checks"},
    {"chkdown", "", "MCP", "MCP", "Transitions to DOWN"},
    {"lastchg", "", "MAP", "MAP", "Seconds since the last state change"},
    {"downtime", "", "MCP", "MCP", "Seconds spent DOWN"},
    {"qlimit", "", "", "CGS", "Queue limit of the server (maxqueue)"},
    {"pid", "KGP", "KGP", "KGP", "Process number"},
    {"iid", "KGS", "KGS", "KGS", "Proxy id"},
    {"sid", "KGS", "KGS", "KGS", "Server id"},
    {"throttle", "", "", "MaP", "Slow-start throttle in percent"},
    {"lbtot", "", "MCP", "MCP", "Times the load balancer picked it"},
    {"tracked", "", "", "CNS", "Server whose state this one follows"},
    {"type", "CGS", "CGS", "CGS", "Object type: 0 frontend, 1 backend, 2 server, 3 listener"},
    {"rate", "MRP", "MGP", "MRP", "Sessions over the last second"},
    {"rate_lim", "CLP", "", "", "Session rate limit"},
    {"rate_max", "MMP", "MGP", "MMP", "Largest session rate seen"},
    {"check_status", "", "", "MOP", "Result of the last health check"},
    {"check_code", "", "", "MOP", "Layer 5-7 code of the last health check"},
    {"check_duration", "", "", "MDP", "Milliseconds the last health check took"},
    {"hrsp_1xx", "MCP", "MCP", "MCP", "HTTP responses 1xx"},
    {"hrsp_2xx", "MCP", "MCP", "MCP", "HTTP responses 2xx"},
    {"hrsp_3xx", "MCP", "MCP", "MCP", "HTTP responses 3xx"},
    {"hrsp_4xx", "MCP", "MCP", "MCP", "HTTP responses 4xx"},
    {"hrsp_5xx", "MCP", "MCP", "MCP", "HTTP responses 5xx"},
    {"hrsp_other", "MCP", "MCP", "MCP", "HTTP responses of another class"},
    {"hanafail", "", "", "MCP", "Failures seen by traffic observation"},
    {"req_rate", "MRP", "", "", "HTTP requests over the last second"},
    {"req_rate_max", "MMP", "", "", "Largest HTTP request rate seen"},
    {"req_tot", "MCP", "MCP", "MCP", "HTTP requests since start"},
    {"cli_abrt", "", "MCP", "MCP", "Transfers aborted by the client"},
    {"srv_abrt", "", "MCP", "MCP", "Transfers aborted by the server"},
    {"comp_in", "MCP", "MCP", "", "Bytes given to the compressor"},
    {"comp_out", "MCP", "MCP", "", "Bytes out of the compressor"},
    {"comp_byp", "MCP", "MCP", "", "Bytes that bypassed the compressor"},
    {"comp_rsp", "MCP", "MCP", "", "Compressed responses"},
    {"lastsess", "", "MAP", "MAP", "Seconds since the last session, -1 if none"},
    {"last_chk", "", "", "MOP", "Details of the last health check"},
    {"last_agt", "", "", "MOP", "Details of the last agent check"},
    {"qtime", "", "MaP", "MaP", "Average queue time (ms)"},
    {"ctime", "", "MaP", "MaP", "Average connect time (ms)"},
    {"rtime", "", "MaP", "MaP", "Average response time (ms)"},
    {"ttime", "", "MaP", "MaP", "Average total time (ms)"},
    {"agent_status", "", "", "MOP", "Result of the last agent check"},
    {"agent_code", "", "", "MOP", "Code of the last agent check"},
    {"agent_duration", "", "", "MDP", "Milliseconds the last agent check took"},
    {"check_desc", "", "", "MOP", "Meaning of check_status"},
    {"agent_desc", "", "", "MOP", "Meaning of agent_status"},
    {"check_rise", "", "", "CGS", "Successes needed to go UP"},
    {"check_fall", "", "", "CGS", "Failures needed to go DOWN"},
    {"check_health", "", "", "CGS", "Health counter of the check"},
    {"agent_rise", "", "", "CGS", "Agent successes needed to go UP"},
    {"agent_fall", "", "", "CGS", "Agent failures needed to go DOWN"},
    {"agent_health", "", "", "CGS", "Health counter of the agent"},
    {"addr", "", "", "CGS", "Server address"},
    {"cookie", "", "CNS", "CNS", "Persistence cookie name or value"},
    {"mode", "CGS", "CGS", "CGS", "Proxy mode"},
    {"algo", "", "CGS", "", "Load balancing algorithm"},
    {"conn_rate", "MRP", "", "", "Connections over the last second"},
    {"conn_rate_max", "MMP", "", "", "Largest connection rate seen"},
    {"conn_tot", "MCP", "", "", "Connections since start"},
    {"intercepted", "MCP", "MCP", "", "Requests answered by the proxy itself"},
    {"dcon", "MCP", "", "", "Connections denied by tcp-request connection rules"},
    {"dses", "MCP", "", "", "Sessions denied by tcp-request session rules"},
    {"wrew", "MCP", "MCP", "MCP", "Failed header rewrites"},
    {"connect", "", "MCP", "MCP", "Connection attempts to servers"},
    {"reuse", "", "MCP", "MCP", "Reused server connections"},
    {"cache_lookups", "MCP", "MCP", "", "Cache lookups"},
    {"cache_hits", "MCP", "MCP", "", "Cache hits"},
    {"srv_icur", "", "", "MGP", "Idle server connections now"},
    {"src_ilim", "", "", "CLP", "Limit of idle server connections"},
    {"qtime_max", "", "MMP", "MMP", "Longest queue time (ms)"},
    {"ctime_max", "", "MMP", "MMP", "Longest connect time (ms)"},
    {"rtime_max", "", "MMP", "MMP", "Longest response time (ms)"},
    {"ttime_max", "", "MMP", "MMP", "Longest total time (ms)"},
    {"eint", "MCP", "MCP", "MCP", "Internal errors"},
    {"idle_conn_cur", "", "", "MGP", "Unsafe idle connections now"},
    {"safe_conn_cur", "", "", "MGP", "Safe idle connections now"},
    {"used_conn_cur", "", "", "MGP", "Server connections in use now"},
    {"need_conn_est", "", "", "MGP", "Estimate of the server connections needed"},
    {"uweight", "", "MaP", "MaP", "User weight (backend: sum of the servers in use)"},
    {"agg_server_status", "", "MGP", "", "Aggregated server states"},
    {"agg_server_check_status", "", "MGP", "", "Aggregated server check states (deprecated)"},
    {"agg_check_status", "", "MGP", "", "Aggregated check states"},
}};

// After "-": SSL (every row), then H2 and H1 (frontend and backend rows only).
constexpr std::array<StatField, kExtraCount> kExtras = {{
    {"ssl_sess", "MCP", "MCP", "MCP", "SSL sessions"},
    {"ssl_reused_sess", "MCP", "MCP", "MCP", "Reused SSL sessions"},
    {"ssl_failed_handshake", "MCP", "MCP", "MCP", "Failed SSL handshakes"},
    {"h2_headers_rcvd", "MCP", "MCP", "", "H2 HEADERS frames received"},
    {"h2_data_rcvd", "MCP", "MCP", "", "H2 DATA frames received"},
    {"h2_settings_rcvd", "MCP", "MCP", "", "H2 SETTINGS frames received"},
    {"h2_rst_stream_rcvd", "MCP", "MCP", "", "H2 RST_STREAM frames received"},
    {"h2_goaway_rcvd", "MCP", "MCP", "", "H2 GOAWAY frames received"},
    {"h2_detected_conn_protocol_errors", "MCP", "MCP", "", "H2 connection protocol errors"},
    {"h2_detected_strm_protocol_errors", "MCP", "MCP", "", "H2 stream protocol errors"},
    {"h2_rst_stream_resp", "MCP", "MCP", "", "H2 RST_STREAM frames sent"},
    {"h2_goaway_resp", "MCP", "MCP", "", "H2 GOAWAY frames sent"},
    {"h2_open_connections", "MGP", "MGP", "", "H2 connections open now"},
    {"h2_backend_open_streams", "MGP", "MGP", "", "H2 backend streams open now"},
    {"h2_total_connections", "MCP", "MCP", "", "H2 connections since start"},
    {"h2_backend_total_streams", "MCP", "MCP", "", "H2 backend streams since start"},
    {"h1_open_connections", "MGP", "MGP", "", "H1 connections open now"},
    {"h1_open_streams", "MGP", "MGP", "", "H1 streams open now"},
    {"h1_total_connections", "MCP", "MCP", "", "H1 connections since start"},
    {"h1_total_streams", "MCP", "MCP", "", "H1 streams since start"},
    {"h1_bytes_in", "MCP", "MCP", "", "H1 bytes received"},
    {"h1_bytes_out", "MCP", "MCP", "", "H1 bytes sent"},
    {"h1_spliced_bytes_in", "MCP", "MCP", "", "H1 bytes received by splicing"},
    {"h1_spliced_bytes_out", "MCP", "MCP", "", "H1 bytes sent by splicing"},
}};

}  // namespace

const StatField& stat_field(int f) { return kFields[static_cast<size_t>(f)]; }
const StatField& extra_field(int i) { return kExtras[static_cast<size_t>(i)]; }

std::string_view tags_for(const StatField& f, ObjType t) {
  switch (t) {
    case ObjType::backend: return f.be;
    case ObjType::server: return f.sv;
    default: return f.fe;
  }
}

std::string_view origin_word(char c) {
  switch (c) {
    case 'M': return "Metric";
    case 'S': return "Status";
    case 'K': return "Key";
    case 'C': return "Config";
    case 'P': return "Product";
    default: return "Unknown";
  }
}

std::string_view nature_word(char c) {
  switch (c) {
    case 'A': return "Age";
    case 'a': return "Avg";
    case 'C': return "Counter";
    case 'D': return "Duration";
    case 'G': return "Gauge";
    case 'L': return "Limit";
    case 'M': return "Max";
    case 'N': return "Name";
    case 'O': return "Output";
    case 'R': return "Rate";
    case 'T': return "Time";
    default: return "Unknown";
  }
}

std::string_view scope_word(char c) {
  switch (c) {
    case 'P': return "Process";
    case 'S': return "Service";
    case 's': return "System";
    default: return "Unknown";
  }
}

}  // namespace portero::stats::detail
