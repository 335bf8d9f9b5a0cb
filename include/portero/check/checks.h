#pragma once
// Health checks, as HAProxy runs them: one scheduler on the main thread's loop drives every
// server's check (tcp connect, httpchk / http-check, tcp-check, agent-check, external-check),
// keeps rise/fall health, and writes the outcome into the shared lb::ServerState atomics.
// Workers learn of changes through Events::server_state_changed (the caller posts a balancer
// refresh to every worker). Main-thread only.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <uv.h>

#include "portero/config/config.h"
#include "portero/lb/server_state.h"

namespace portero::tls {
class Contexts;
}

namespace portero::check {

// What the rest of the process must do when checks change something. Called on the main thread.
class Events {
 public:
  virtual ~Events() = default;
  // Server `server` of backend `proxy` changed operational state, weight or slow-start ramp.
  virtual void server_state_changed(int proxy, int server) = 0;
  // A message HAProxy would log (same words): "Health check for server b/s failed, ...",
  // "Server b/s is DOWN, ...", "backend b has no server available!". `level` is syslog's
  // (0 emerg .. 7 debug). `proxy` names whose log targets receive it (-1: global targets).
  virtual void log(int proxy, int level, std::string_view message) = 0;
  // on-marked-down shutdown-sessions / on-marked-up shutdown-backup-sessions.
  virtual void shutdown_sessions(int proxy, int server) = 0;
};

// HAProxy's check status names and their meaning (CSV check_status).
enum class Status : uint8_t {
  unk, ini, sockerr, l4ok, l4tout, l4con, l6ok, l6tout, l6rsp, l7ok, l7okc, l7tout, l7rsp, l7sts,
  procerr, proctout, procok,
  hana,   // "Health analyze": traffic observation (`observe` + `on-error`) failed the check
};
std::string_view status_name(Status s);   // "L7OK", "L4CON"...

// The last result of a server's check or agent, for the stats page and the admin socket.
struct Result {
  Status status = Status::ini;
  int code = -1;              // L7 status code, or -1
  int64_t duration_ms = -1;   // -1 when not measured
  std::string desc;           // HAProxy's description ("Layer4 connection problem", ...)
  bool desc_logged_only = false;   // `desc` is in the log lines but not in show stat's last_chk
  int health = 0;             // 0 .. rise+fall-1
  uint64_t failures = 0;      // chkfail
  uint64_t downs = 0;         // chkdown: UP -> DOWN transitions
  uint64_t last_change = 0;   // unix seconds of the last state change
  uint64_t downtime = 0;      // seconds spent DOWN
  uint64_t analyse_failures = 0;   // hanafail: times `error-limit` consecutive errors were seen
  bool enabled = true;        // false after `disable health|agent` (and on new dynamic servers)
};

// What a worker saw of a server's traffic (`observe layer4|layer7`), HAProxy's analysis
// statuses. The worker reports them; the checker counts consecutive errors.
enum class Observed : uint8_t {
  l4_ok, l4_err,                               // connection established / failed
  http_ok, http_sts,                           // status 100-499, 501, 505 / any other
  http_hdrrsp, read_error, read_timeout, broken_pipe,
};
// "L4 unsuccessful connection", "Wrong http response"... (the "last one was" of the log line).
std::string_view observed_desc(Observed o);
// For a server observing `mode`: +1 an error, -1 a success (resets the count), 0 ignored.
int observed_effect(config::Server::Observe mode, Observed o);

class Checker {
 public:
  // `states[p][s]` is the runtime state of server s of proxy p (empty for non-backends).
  // `tls`: the TLS contexts of `check-ssl` (null: every check is plaintext).
  static std::unique_ptr<Checker> create(uv_loop_t* loop, const config::Config& cfg,
                                         std::vector<std::vector<lb::ServerState*>> states, Events& events,
                                         const tls::Contexts* tls = nullptr);
  virtual ~Checker() = default;
  virtual void start() = 0;
  virtual void stop() = 0;   // closes every handle; the loop can then end
  // Null when the server has no check (or no agent).
  virtual const Result* check(int proxy, int server) const = 0;
  virtual const Result* agent(int proxy, int server) const = 0;
  // Admin socket / stats page actions (enable/disable health, agent; force states).
  virtual void set_check_enabled(int proxy, int server, bool enabled) = 0;
  virtual void set_agent_enabled(int proxy, int server, bool enabled) = 0;
  // `set server b/s health|agent up|stopping|down`, the page's "force" actions: the check (or
  // agent) health jumps to full (up), stays up but takes no new traffic (stopping, NOLB) or 0.
  enum class Force : uint8_t { up, stopping, down };
  virtual void force(int proxy, int server, bool agent, Force how) = 0;
  // The server left maintenance (admin READY): it comes back UP with full health, as HAProxy's.
  virtual void leave_maintenance(int proxy, int server) = 0;
  // The server entered maintenance: checks pause (their results stay), chkdown counts it.
  virtual void enter_maintenance(int proxy, int server) = 0;
  // Traffic outcome of a server with `observe` (main thread; workers post it through
  // proxy::Runtime::observe). `error-limit` consecutive errors run the `on-error` action.
  virtual void observe(int proxy, int server, Observed what) { (void)proxy, (void)server, (void)what; }
  // `add server`: slot `server` of `proxy` now holds a server (config and state in place), in
  // maintenance; its checks wait for `enable health|agent`, as HAProxy's dynamic servers'.
  virtual void add_server(int proxy, int server, lb::ServerState* state) { (void)proxy, (void)server, (void)state; }
  // `set server b/s addr`: the checks without an `addr` of their own follow the server.
  virtual void address_changed(int proxy, int server) { (void)proxy, (void)server; }
  // `server-state-file` at start, before start(): what a previous process saved of the checks
  // (health, last status and change) and whether the operator had disabled them; `down` and
  // `stopping` say the operational state restored with them.
  struct Saved {
    int health = 0;
    Status status = Status::ini;
    uint64_t last_change = 0;   // unix seconds
    bool down = false, stopping = false;
    bool check_disabled = false, agent_disabled = false;
  };
  virtual void restore(int proxy, int server, const Saved& saved) { (void)proxy, (void)server, (void)saved; }
  // `del server`: its checks stop for good and their connections close.
  virtual void remove_server(int proxy, int server) { (void)proxy, (void)server; }
};

}  // namespace portero::check
