// `show info` (plain, typed, JSON): the process facts in HAProxy 2.6.12's order and positions.
// Positions 45/46 (zlib memory, not in Debian's build) and 51 (description, only when set)
// may be absent; the others are always printed. Counters we do not keep print 0.
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "portero/stats/render.h"
#include "text_util.h"

namespace portero::stats {
namespace {

struct InfoField {
  int pos;
  const char* name;
  const char* tags;
  const char* desc;   // our own words
  Value value;
};

std::string uptime_text(uint64_t secs) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%llud %lluh%02llum%02llus", static_cast<unsigned long long>(secs / 86400),
                static_cast<unsigned long long>(secs / 3600 % 24), static_cast<unsigned long long>(secs / 60 % 60),
                static_cast<unsigned long long>(secs % 60));
  return buf;
}

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return {};
  return buf;
}

std::vector<InfoField> collect(const StatsSource& src) {
  const ProcessInfo& pi = src.process;
  const config::Global* g = src.cfg ? &src.cfg->global : nullptr;
  const uint64_t now = detail::now_ms();
  const uint64_t start_ms = pi.start_time_ms ? pi.start_time_ms : now;
  const uint64_t up = now > start_ms ? (now - start_ms) / 1000 : 0;
  const uint32_t nbthread = pi.nbthread ? pi.nbthread : g ? g->nbthread : 1;
  const uint32_t ulimit = pi.ulimit_n ? pi.ulimit_n : g ? g->ulimit_n : 0;
  const uint32_t maxconn = pi.maxconn ? pi.maxconn : (g && g->maxconn) ? g->maxconn : 4096;
  const uint32_t cur = src.cur_conns ? src.cur_conns() : 0;

  // Sums over the frontends: rates and bytes sent to clients.
  uint64_t conn_rate = 0, conn_rate_max = 0, sess_rate = 0, sess_rate_max = 0, bytes_out = 0;
  uint32_t checks = 0;
  // TLS connections, both sides: opened since start and open now.
  uint64_t ssl_cum = 0, ssl_cur = 0;
  auto add_ssl = [&](const Totals& t) {
    ssl_cum += t.ssl_conns;
    ssl_cur += t.ssl_conns - std::min(t.ssl_conns, t.ssl_closed);
  };
  if (src.cfg) {
    for (size_t p = 0; p < src.cfg->proxies.size(); ++p) {
      const config::Proxy& px = src.cfg->proxies[p];
      for (const auto& s : px.servers) checks += (s.check ? 1 : 0) + (s.agent_check ? 1 : 0);
      if (src.counters && px.is_backend()) add_ssl(src.counters->backend_totals(p));
      if (!px.is_frontend()) continue;
      if (src.rates) {
        const Rates r = src.rates->proxy(static_cast<int>(p));
        conn_rate += r.connections.cur;
        conn_rate_max += r.connections.max;
        sess_rate += r.sessions.cur;
        sess_rate_max += r.sessions.max;
      }
      if (src.counters) {
        const Totals t = src.counters->proxy_totals(p);
        bytes_out += t.bytes_out;
        add_ssl(t);
      }
    }
  }
  const SslRates ssl = src.rates ? src.rates->ssl() : SslRates{};
  // Client-side resumptions as HAProxy estimates them: the share of the TLS connections
  // accepted over the last second that did not compute a key (failed handshakes included).
  uint32_t ssl_reuse = 0;
  if (ssl.fe_keys.cur < ssl.conns.cur)
    ssl_reuse = 100 - static_cast<uint32_t>((100ull * ssl.fe_keys.cur + (ssl.conns.cur - 1) / 2) / ssl.conns.cur);
  std::string node = g && !g->node.empty() ? g->node : host_name();

  uint32_t active_peers = 0, connected_peers = 0;
  if (src.peer_counts) src.peer_counts(active_peers, connected_peers);
  auto u32 = [](uint64_t v) { return Value::make_u32(v); };
  auto u64 = [](uint64_t v) { return Value::make_u64(v); };
  auto str = [](std::string v) { return Value::make_str(std::move(v)); };
  std::vector<InfoField> v = {
      {0, "Name", "POS", "Product name", str(pi.name)},
      {1, "Version", "POS", "Product version", str(pi.version)},
      {2, "Release_date", "POS", "Release date of this version", str(pi.release_date)},
      {3, "Nbthread", "CGS", "Worker threads", u32(nbthread)},
      {4, "Nbproc", "CGS", "Processes (always 1)", u32(1)},
      {5, "Process_num", "KGP", "Number of this process", u32(1)},
      {6, "Pid", "SGP", "Process id", u32(pi.pid ? static_cast<uint64_t>(pi.pid) : static_cast<uint64_t>(getpid()))},
      {7, "Uptime", "MDP", "Time since start, as days hours minutes seconds", str(uptime_text(up))},
      {8, "Uptime_sec", "MDP", "Seconds since start", u32(up)},
      {9, "Memmax_MB", "CLP", "Memory limit in MB (0: none)", u32(0)},
      {10, "PoolAlloc_MB", "MGP", "Pool memory allocated, MB", u32(0)},
      {11, "PoolUsed_MB", "MGP", "Pool memory in use, MB", u32(0)},
      {12, "PoolFailed", "MCP", "Failed pool allocations", u32(0)},
      {13, "Ulimit-n", "CLP", "Limit of open files", u32(ulimit)},
      {14, "Maxsock", "CLP", "Limit of sockets", u32(ulimit)},
      {15, "Maxconn", "CLP", "Connection limit of the process", u32(maxconn)},
      {16, "Hard_maxconn", "CLP", "Configured connection limit", u32(maxconn)},
      {17, "CurrConns", "MGP", "Connections open now", u32(cur)},
      {18, "CumConns", "MCP", "Connections since start", u32(src.cum_conns ? src.cum_conns() : 0)},
      {19, "CumReq", "MCP", "Requests since start", u32(src.cum_reqs ? src.cum_reqs() : 0)},
      {20, "MaxSslConns", "MMP", "SSL connection limit", u32(0)},
      {21, "CurrSslConns", "MGP", "SSL connections open now", u32(ssl_cur)},
      {22, "CumSslConns", "MCP", "SSL connections since start", u32(ssl_cum)},
      {23, "Maxpipes", "CLP", "Pipe limit", u32(0)},
      {24, "PipesUsed", "MGP", "Pipes in use", u32(0)},
      {25, "PipesFree", "MGP", "Free pipes", u32(0)},
      {26, "ConnRate", "MRP", "Connections over the last second", u32(conn_rate)},
      {27, "ConnRateLimit", "CLP", "Connection rate limit", u32(0)},
      {28, "MaxConnRate", "MMP", "Largest connection rate seen", u32(conn_rate_max)},
      {29, "SessRate", "MRP", "Sessions over the last second", u32(sess_rate)},
      {30, "SessRateLimit", "CLP", "Session rate limit", u32(0)},
      {31, "MaxSessRate", "MRP", "Largest session rate seen", u32(sess_rate_max)},
      {32, "SslRate", "MRP", "SSL connections accepted over the last second", u32(ssl.conns.cur)},
      {33, "SslRateLimit", "CLP", "SSL session rate limit", u32(0)},
      {34, "MaxSslRate", "MMP", "Largest SSL connection rate seen", u32(ssl.conns.max)},
      {35, "SslFrontendKeyRate", "MGP", "Frontend SSL key computations per second", u32(ssl.fe_keys.cur)},
      {36, "SslFrontendMaxKeyRate", "MMP", "Largest frontend SSL key rate seen", u32(ssl.fe_keys.max)},
      {37, "SslFrontendSessionReuse_pct", "MGP", "Frontend SSL session reuse, percent", u32(ssl_reuse)},
      {38, "SslBackendKeyRate", "MRP", "Backend SSL key computations per second", u32(ssl.be_keys.cur)},
      {39, "SslBackendMaxKeyRate", "MMP", "Largest backend SSL key rate seen", u32(ssl.be_keys.max)},
      {40, "SslCacheLookups", "MCP", "SSL session cache lookups", u32(0)},
      {41, "SslCacheMisses", "MCP", "SSL session cache misses", u32(0)},
      {42, "CompressBpsIn", "MRP", "Bytes per second into the compressor", u32(0)},
      {43, "CompressBpsOut", "MRP", "Bytes per second out of the compressor", u32(0)},
      {44, "CompressBpsRateLim", "CLP", "Compression rate limit", u32(0)},
      {47, "Tasks", "MGP", "Scheduled tasks", u32(checks + cur + pi.listeners)},
      {48, "Run_queue", "MGP", "Tasks ready to run", u32(0)},
      {49, "Idle_pct", "MaP", "Idle time of the event loop, percent", u32(100)},
      {50, "node", "COS", "Node name", str(node)},
  };
  if (g && !g->description.empty()) v.push_back({51, "description", "COS", "Node description", str(g->description)});
  std::vector<InfoField> tail = {
      {52, "Stopping", "MGP", "1 while stopping", u32(0)},
      {53, "Jobs", "MGP", "Listeners and connections alive", u32(pi.listeners + cur)},
      {54, "Unstoppable Jobs", "MGP", "Jobs that do not stop on soft stop", u32(0)},
      {55, "Listeners", "MGP", "Listening sockets", u32(pi.listeners)},
      {56, "ActivePeers", "MGP", "Active peers", u32(active_peers)},
      {57, "ConnectedPeers", "MGP", "Connected peers", u32(connected_peers)},
      {58, "DroppedLogs", "MGP", "Log messages dropped", u32(0)},
      {59, "BusyPolling", "MGP", "1 when busy polling", u32(0)},
      {60, "FailedResolutions", "MGP", "Failed DNS resolutions", u32(0)},
      {61, "TotalBytesOut", "MGP", "Bytes sent to clients since start", u64(bytes_out)},
      {62, "TotalSplicdedBytesOut", "MGP", "Bytes sent by splicing since start", u64(0)},
      {63, "BytesOutRate", "MRP", "Bytes sent over the last second", u64(0)},
      {64, "DebugCommandsIssued", "MGP", "Debug commands run", u32(0)},
      {65, "CumRecvLogs", "MCP", "Log messages received", u32(0)},
      {66, "Build info", "POS", "Build version", str(pi.build_info.empty() ? pi.version : pi.build_info)},
      {67, "Memmax_bytes", "CLP", "Memory limit in bytes (0: none)", u32(0)},
      {68, "PoolAlloc_bytes", "MGP", "Pool memory allocated, bytes", u64(0)},
      {69, "PoolUsed_bytes", "MGP", "Pool memory in use, bytes", u64(0)},
      {70, "Start_time_sec", "MDP", "Start time, unix seconds", u32(start_ms / 1000)},
      {71, "Tainted", "SGP", "Taint flags (0: none)", str("0")},
  };
  v.insert(v.end(), tail.begin(), tail.end());
  return v;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> info_fields(const StatsSource& src) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const InfoField& f : collect(src)) out.emplace_back(f.name, f.value.text());
  return out;
}

std::string show_info(const StatsSource& src, InfoFormat format, bool desc) {
  const std::vector<InfoField> fields = collect(src);
  std::string out;
  switch (format) {
    case InfoFormat::plain:
      for (const InfoField& f : fields) {
        out += f.name;
        out += ": ";
        out += f.value.text();
        out += '\n';
      }
      break;
    case InfoFormat::typed:
      for (const InfoField& f : fields) {
        out += std::to_string(f.pos);
        out += '.';
        out += f.name;
        out += ".1:";
        out += f.tags;
        out += ':';
        out += f.value.type_name();
        out += ':';
        out += f.value.text();
        if (desc) {
          out += ":\"";
          out += f.desc;
          out += '"';
        }
        out += '\n';
      }
      break;
    case InfoFormat::json: {
      out += '[';
      bool first = true;
      for (const InfoField& f : fields) {
        if (!first) out += ',';
        first = false;
        out += "{\"field\":{\"pos\":";
        out += std::to_string(f.pos);
        out += ",\"name\":";
        detail::append_json_string(out, f.name);
        out += "},";
        detail::append_json_field_tail(out, f.tags, f.value);
      }
      out += "]\n";
      break;
    }
  }
  return out;
}

}  // namespace portero::stats
