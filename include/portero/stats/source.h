#pragma once
// What the stats renderers, the stats page and the admin socket read and act on, so that they
// need neither the proxy runtime nor the workers. main.cpp fills one StatsSource before the
// admin socket starts and keeps everything it points to alive while it runs.
// Main-thread only: everything here is read and called on the main thread (the stats page is
// rendered there too: workers post the request and get the bytes back).
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "portero/check/checks.h"
#include "portero/config/config.h"
#include "portero/lb/server_state.h"
#include "portero/stats/counters.h"

namespace portero::stats {

// Process-wide facts for `show info` (and the stats page header).
// portero names itself as portero (hatop and the exporters read any name and version); what it
// is compatible with is said in `Build info` and on the stats page.
struct ProcessInfo {
  std::string name = "portero";                 // `Name:`
  std::string version;                          // `Version:`, `show version` (main: PORTERO_VERSION)
  std::string release_date;                     // `Release_date:`
  std::string build_info;                       // `Build info:`, Prometheus build_info's version label
  int pid = 0;
  uint64_t start_time_ms = 0;                   // unix ms when the process started
  uint32_t nbthread = 1;
  uint32_t ulimit_n = 0;                        // Ulimit-n / Maxsock
  uint32_t maxconn = 0;                         // Maxconn / Hard_maxconn
  uint32_t listeners = 0;                       // bound listening sockets
};

// Per-second rates over the last second and their maxima (HAProxy's rate, rate_max,
// req_rate, req_rate_max, conn_rate, conn_rate_max), as a sampler on the main thread sees them.
struct Rate {
  uint32_t cur = 0, max = 0;
};
struct Rates {
  Rate sessions, requests, connections;
};
// Process-wide TLS rates for `show info`: connections accepted on `ssl` binds (SslRate,
// MaxSslRate), full handshakes on the client side (SslFrontendKeyRate) and the server side
// (SslBackendKeyRate), each per second with its maximum.
struct SslRates {
  Rate conns, fe_keys, be_keys;
};
class RateView {
 public:
  virtual ~RateView() = default;
  virtual SslRates ssl() const { return {}; }
  virtual Rates proxy(int p) const = 0;     // frontend side (FRONTEND row)
  virtual Rates backend(int p) const = 0;   // backend side (BACKEND row)
  virtual Rates server(int p, int s) const = 0;
  virtual void clear_max() = 0;   // `clear counters` (the SSL maxima too)
};

// The last request (or response) a frontend/backend rejected as malformed (`show errors`).
struct CapturedError {
  uint64_t when_ms = 0;          // unix ms
  int proxy = -1;                // frontend (request) or backend (response)
  int backend = -1, server = -1; // -1: none
  bool request = true;
  uint32_t event = 0;            // running number of captured errors in this proxy
  std::string source;            // "127.0.0.1:52702"
  int error_pos = -1;            // offset of the offending byte, -1 unknown
  std::string bytes;             // what was received (capped at tune.bufsize)
};

// One live client connection (`show sess`).
struct SessionInfo {
  uint64_t id = 0;               // unique, printed as 0x%x
  std::string proto;             // "tcpv4", "tcpv6"
  std::string source;            // "ip:port"
  int frontend = -1, backend = -1, server = -1;
  uint64_t age_s = 0;
};

class BackendWatch;

struct StatsSource {
  const config::Config* cfg = nullptr;
  CounterSet* counters = nullptr;               // may be null: traffic counters print 0
  RateView* rates = nullptr;                    // may be null: rates print 0
  BackendWatch* backend_watch = nullptr;        // may be null: backend chkdown/downtime print 0
  // The live JSON of the charts (web::Sampler::live_json); may be empty.
  std::function<std::string()> live_json;
  // states[p][s]: runtime state of server s of proxy p (empty for proxies without servers).
  std::vector<std::vector<lb::ServerState*>> states;
  check::Checker* checker = nullptr;            // may be null: no health checks running
  ProcessInfo process;

  // Live gauges; each may be left empty (then 0 is reported).
  std::function<uint32_t(int proxy)> frontend_cur_conns;   // scur of a FRONTEND row
  std::function<uint32_t(int proxy)> backend_cur_conns;    // scur of a BACKEND row
  std::function<uint32_t(int proxy)> backend_queued;       // qcur of a BACKEND row
  std::function<uint32_t(int proxy, int server)> server_queued;  // qcur of a server row
  struct ServerConns {
    uint32_t used = 0, idle = 0, safe = 0, peak_used = 0;
  };
  std::function<ServerConns(int proxy, int server)> server_conns;  // srv_icur, *_conn_cur
  std::function<uint32_t()> cur_conns;                     // CurrConns
  std::function<uint64_t()> cum_conns;                     // CumConns
  std::function<uint64_t()> cum_reqs;                      // CumReq
  std::function<bool(int proxy)> frontend_paused;          // status STOP (paused listeners)
  std::function<std::vector<CapturedError>()> errors;      // `show errors`
  std::function<std::vector<SessionInfo>()> sessions;      // `show sess` (asks every worker)
  // The peers (main thread): `show peers [<section>]` (`found` false: no such section) and
  // `show info`'s ActivePeers / ConnectedPeers. Empty without peers sections.
  std::function<std::string(std::string_view section, bool& found)> show_peers;
  std::function<void(uint32_t& active, uint32_t& connected)> peer_counts;

  // Called after an admin action changed server s of proxy p (admin state, weight, checks):
  // the data plane posts a balancer refresh to every worker.
  std::function<void(int proxy)> state_changed;
  // `add server` / `del server` (admin socket): the runtime server set, see proxy/server_set.h.
  // add_server: `s` goes into a free slot of `proxy` (in maintenance); returns "" or why not.
  // del_server: the server leaves (the caller checked HAProxy's conditions).
  std::function<std::string(int proxy, config::Server s)> add_server;
  std::function<void(int proxy, int server)> del_server;
  // `set server addr`: the state holds the new address; idle connections to the old one close
  // and checks follow.
  std::function<void(int proxy, int server)> server_moved;
  // DNS (dns/service.cpp): `show resolvers [<id>]` (found: false when no section has that id),
  // and the name a server resolves now (an SRV target; empty: the configured one).
  std::function<std::string(std::string_view id, bool& found)> show_resolvers;
  std::function<std::string(int proxy, int server)> server_fqdn;
  std::function<bool(int proxy, int server)> server_named_by_srv;   // HAProxy's HMAINT flag
  // `del server`'s last condition: no request on it, none queued for it, no connection in use.
  std::function<bool(int proxy, int server)> server_has_connections;
  // `shutdown sessions server` / the page's "Kill Sessions": end every stream of that server.
  std::function<void(int proxy, int server)> shutdown_sessions;
  // `shutdown frontend`: stop that frontend's listeners for good.
  std::function<void(int proxy)> shutdown_frontend;
  // `set maxconn frontend` / `set maxconn global`; `frontend_maxconn` reads slim back.
  std::function<void(int proxy, uint32_t)> set_frontend_maxconn;
  std::function<uint32_t(int proxy)> frontend_maxconn;
  std::function<void(uint32_t)> set_global_maxconn;
  // A message HAProxy would log for an admin action ("Server b/s is going DOWN for
  // maintenance. ..."); `proxy` picks the log targets (-1: global). Syslog level 0..7.
  std::function<void(int proxy, int level, std::string_view message)> log;
};

}  // namespace portero::stats
