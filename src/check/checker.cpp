// The health check scheduler: one uv timer per check, one short-lived TCP connection (or child
// process for external checks) per run. Main-thread only. Handles are heap-allocated and freed
// in their close callbacks, so a callback that arrives after stop() finds its owner detached.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "h2_check.h"

#include <openssl/ssl.h>
#include "logic.h"
#include "portero/core/proxy_header.h"
#include "portero/core/loop_context.h"
#include "portero/core/transport.h"
#include "portero/tls/contexts.h"
#include "portero/tls/transport.h"
#include "portero/check/checks.h"
#include "portero/lb/slowstart.h"

namespace portero::check {
namespace {

constexpr int kLogAlert = 1, kLogEmerg = 0, kLogNotice = 5;
constexpr size_t kMaxReply = 16384;

uint64_t now_ms() { return uv_hrtime() / 1000000; }
uint64_t unix_now() { return uint64_t(std::time(nullptr)); }

class CheckerImpl;
struct Task;

// One connection attempt. Owned by itself: freed when its transport has closed.
struct Conn {
  Task* task = nullptr;   // null once the task let go of it
  core::TcpTransport tcp;
  tls::TlsTransport tls;  // over tcp, for `check-ssl`
  core::Transport* io = &tcp;
  std::string out;        // the bytes being written
  std::string next;       // bytes to write once they are out
  bool writing = false;
  static const core::TransportEvents kEvents;
};

// One external check child. Freed in the close callback.
struct Proc {
  Task* task = nullptr;
  uv_process_t proc{};
};

enum class Kind : uint8_t { check, agent };

struct Srv;

// A check or an agent check of one server.
struct Task {
  CheckerImpl* owner = nullptr;
  Srv* srv = nullptr;
  Kind kind = Kind::check;
  uv_timer_t* timer = nullptr;
  Health health;
  Result result;
  bool enabled = true;
  bool running = false;     // a check is in progress
  bool connected = false;
  Conn* conn = nullptr;
  Proc* proc = nullptr;
  uint64_t started = 0;
  std::string in;
  std::unique_ptr<H2Check> h2;   // an HTTP check over HTTP/2: its stream, the answer as HTTP/1
  size_t rule = 0;          // tcp-check: index of the next rule
  Verdict last_ok;          // tcp-check: the last expect that passed, and whether it was a
  bool last_ok_builtin = false;   // protocol check's (its status and info end the check)
  bool any_expect = false;
  uint64_t inter = 2000;
  std::optional<uint64_t> fastinter, downinter;
  sockaddr_storage dst{};
};

struct Srv {
  int px = 0, idx = 0;
  const config::Proxy* proxy = nullptr;
  const config::Server* cfg = nullptr;
  lb::ServerState* st = nullptr;
  std::unique_ptr<Task> check, agent;
  bool up = true;          // what the checks concluded (before admin state)
  bool stopping = false;   // NOLB (disable-on-404)
  uint64_t up_since = 0;   // for slowstart
  uint64_t down_since = 0;
  uint32_t iweight = 1;
  uint32_t consecutive_errors = 0;   // observe: errors seen in a row by the traffic
};

void on_handle_closed(uv_handle_t* h) {
  if (h->type == UV_TIMER) delete reinterpret_cast<uv_timer_t*>(h);
}
void on_proc_closed(uv_handle_t* h) { delete static_cast<Proc*>(h->data); }

class CheckerImpl final : public Checker {
 public:
  CheckerImpl(uv_loop_t* loop, const config::Config& cfg, std::vector<std::vector<lb::ServerState*>> states,
              Events& events, const tls::Contexts* tls)
      : loop_(loop), cfg_(cfg), events_(events), tls_(tls) {
    for (size_t p = 0; p < cfg.proxies.size(); ++p) {
      const auto& px = cfg.proxies[p];
      by_proxy_.emplace_back();
      if (!px.is_backend() || p >= states.size()) continue;
      for (size_t s = 0; s < px.servers.size() && s < states[p].size(); ++s) {
        auto srv = std::make_unique<Srv>();
        srv->px = int(p);
        srv->idx = int(s);
        srv->proxy = &px;
        srv->cfg = &px.servers[s];
        srv->st = states[p][s];
        srv->iweight = srv->cfg->weight;
        if (srv->cfg->check) srv->check = make_task(*srv, Kind::check);
        if (srv->cfg->agent_check && srv->cfg->agent_port) srv->agent = make_task(*srv, Kind::agent);
        srv->up = !srv->check || srv->check->health.up();
        by_proxy_.back().push_back(srv.get());
        servers_.push_back(std::move(srv));
      }
    }
  }

  ~CheckerImpl() override { stop(); }

  void start() override {
    if (started_) return;
    started_ = true;
    // The checks' transports need the loop's shared parts: the checker owns them (nothing else
    // on its loop uses transports; loop->data is not read before, libuv leaves it unset).
    own_ctx_ = new core::LoopContext(loop_, kMaxReply);
    std::vector<Task*> tasks;
    for (auto& s : servers_) {
      if (s->check) tasks.push_back(s->check.get());
      if (s->agent) tasks.push_back(s->agent.get());
    }
    // First checks are spread so that they do not all start together, as HAProxy spreads them:
    // the i-th of n starts after i/n of its interval, or of the smallest interval above 1 s
    // among all checks when that is longer (short intervals do not squeeze the others).
    const size_t n = tasks.size();
    uint64_t min_inter = 0;
    for (Task* t : tasks)
      if (t->inter > 1000 && (min_inter == 0 || t->inter < min_inter)) min_inter = t->inter;
    for (size_t i = 0; i < n; ++i) {
      Task* t = tasks[i];
      t->timer = new uv_timer_t;
      uv_timer_init(loop_, t->timer);
      t->timer->data = t;
      uv_timer_start(t->timer, on_timer, std::max(min_inter, t->inter) * i / n, 0);
    }
    ramp_timer_ = new uv_timer_t;
    uv_timer_init(loop_, ramp_timer_);
    ramp_timer_->data = this;
    uv_timer_start(ramp_timer_, on_ramp_tick, 1000, 1000);
    uv_unref(reinterpret_cast<uv_handle_t*>(ramp_timer_));
  }

  void stop() override {
    if (!started_) return;
    started_ = false;
    for (auto& s : servers_)
      for (Task* t : {s->check.get(), s->agent.get()}) {
        if (!t) continue;
        release(*t);
        if (t->timer) {
          uv_close(reinterpret_cast<uv_handle_t*>(t->timer), on_handle_closed);
          t->timer = nullptr;
        }
      }
    if (ramp_timer_) {
      uv_close(reinterpret_cast<uv_handle_t*>(ramp_timer_), on_handle_closed);
      ramp_timer_ = nullptr;
    }
    if (own_ctx_) {
      core::LoopContext::close_and_delete(own_ctx_);
      own_ctx_ = nullptr;
    }
  }

  const Result* check(int proxy, int server) const override {
    const Srv* s = find(proxy, server);
    return s && s->check ? &s->check->result : nullptr;
  }
  const Result* agent(int proxy, int server) const override {
    const Srv* s = find(proxy, server);
    return s && s->agent ? &s->agent->result : nullptr;
  }
  void set_check_enabled(int proxy, int server, bool enabled) override { set_enabled(find(proxy, server), false, enabled); }
  void set_agent_enabled(int proxy, int server, bool enabled) override { set_enabled(find(proxy, server), true, enabled); }

  void force(int proxy, int server, bool agent, Force how) override {
    Srv* s = find(proxy, server);
    Task* t = !s ? nullptr : agent ? s->agent.get() : s->check.get();
    if (s && !t && !agent) {
      // No check to move: the operational state itself is forced, as HAProxy does.
      s->up = how != Force::down;
      s->stopping = how == Force::stopping;
      s->st->oper.store(how == Force::down ? lb::OperState::down
                        : how == Force::stopping ? lb::OperState::stopping : lb::OperState::up,
                        std::memory_order_relaxed);
      events_.server_state_changed(s->px, s->idx);
      return;
    }
    if (!t) return;
    t->health.value = how == Force::down ? 0 : t->health.rise + t->health.fall - 1;
    t->result.health = t->health.value;
    update_state(*s, *t, how == Force::down ? Outcome::fail : how == Force::stopping ? Outcome::condpass : Outcome::pass);
  }

  void enter_maintenance(int proxy, int server) override {
    Srv* s = find(proxy, server);
    if (!s) return;
    for (Task* t : {s->check.get(), s->agent.get()})
      if (t) release(*t);
    const uint64_t now = unix_now();
    if (s->check) {
      Result& r = s->check->result;
      if (s->up) {
        ++r.downs;   // HAProxy counts entering maintenance as a DOWN transition
        s->down_since = now;
      }
      r.last_change = now;
      // and its health falls to 0 (`show servers state`); leaving maintenance restores it
      s->check->health.value = 0;
      r.health = 0;
    }
  }

  void leave_maintenance(int proxy, int server) override {
    Srv* s = find(proxy, server);
    if (!s) return;
    const uint64_t now = unix_now();
    if (s->check) {
      Task& t = *s->check;
      t.health.value = t.health.rise + t.health.fall - 1;
      t.result.health = t.health.value;
      if (s->down_since) t.result.downtime += now - s->down_since;
      t.result.last_change = now;
    }
    s->down_since = 0;
    s->up = true;
    s->stopping = false;
    s->st->oper.store(lb::OperState::up, std::memory_order_relaxed);
    if (s->cfg->slowstart) {
      s->up_since = now_ms();
      s->st->ramp.store(lb::slowstart_ramp(s->cfg->slowstart, 0), std::memory_order_relaxed);
    }
    for (Task* t : {s->check.get(), s->agent.get()})
      if (t && t->enabled && t->timer && !t->running) uv_timer_start(t->timer, on_timer, 0, 0);
    events_.server_state_changed(s->px, s->idx);
  }

  void add_server(int proxy, int server, lb::ServerState* st) override {
    if (proxy < 0 || size_t(proxy) >= by_proxy_.size() || server < 0) return;
    auto& slots = by_proxy_[size_t(proxy)];
    if (slots.size() <= size_t(server)) slots.resize(size_t(server) + 1, nullptr);
    const auto& px = cfg_.proxies[size_t(proxy)];
    auto srv = std::make_unique<Srv>();
    srv->px = proxy;
    srv->idx = server;
    srv->proxy = &px;
    srv->cfg = &px.servers[size_t(server)];
    srv->st = st;
    srv->iweight = srv->cfg->weight;
    // HAProxy's dynamic servers: their checks wait for `enable health` / `enable agent`.
    if (srv->cfg->check) srv->check = make_task(*srv, Kind::check);
    if (srv->cfg->agent_check && srv->cfg->agent_port) srv->agent = make_task(*srv, Kind::agent);
    for (Task* t : {srv->check.get(), srv->agent.get()}) {
      if (!t) continue;
      t->enabled = false;
      t->result.enabled = false;
      if (!started_) continue;   // start() makes the timers
      t->timer = new uv_timer_t;
      uv_timer_init(loop_, t->timer);
      t->timer->data = t;
    }
    srv->up = !srv->check || srv->check->health.up();
    slots[size_t(server)] = srv.get();
    servers_.push_back(std::move(srv));
  }

  void restore(int proxy, int server, const Saved& saved) override {
    Srv* s = find(proxy, server);
    if (!s) return;
    s->up = !saved.down;
    s->stopping = saved.stopping;
    if (saved.down) s->down_since = saved.last_change;
    if (Task* t = s->check.get()) {
      t->health.value = std::clamp(saved.health, 0, t->health.rise + t->health.fall - 1);
      t->result.health = t->health.value;
      t->result.status = saved.status;
      t->result.last_change = saved.last_change;
      if (saved.down) ++t->result.downs;   // HAProxy counts the restored stop as a DOWN transition
    }
    if (saved.check_disabled) set_enabled(s, false, false);
    if (saved.agent_disabled) set_enabled(s, true, false);
  }

  void address_changed(int proxy, int server) override {
    Srv* s = find(proxy, server);
    if (!s) return;
    if (s->check) s->check->dst = destination(*s, Kind::check);
    if (s->agent) s->agent->dst = destination(*s, Kind::agent);
  }

  void remove_server(int proxy, int server) override {
    Srv* s = find(proxy, server);
    if (!s) return;
    for (Task* t : {s->check.get(), s->agent.get()}) {
      if (!t) continue;
      release(*t);
      if (t->timer) {
        uv_close(reinterpret_cast<uv_handle_t*>(t->timer), on_handle_closed);
        t->timer = nullptr;
      }
    }
    by_proxy_[size_t(proxy)][size_t(server)] = nullptr;
    for (auto it = servers_.begin(); it != servers_.end(); ++it)
      if (it->get() == s) {
        servers_.erase(it);
        break;
      }
  }

  void observe(int proxy, int server, Observed what) override {
    Srv* s = find(proxy, server);
    if (!s) return;
    const int effect = observed_effect(s->cfg->observe, what);
    if (effect == 0) return;
    if (effect < 0) {
      s->consecutive_errors = 0;
      return;
    }
    if (++s->consecutive_errors < std::max<uint32_t>(1, s->cfg->error_limit)) return;
    const uint32_t count = s->consecutive_errors;
    s->consecutive_errors = 0;
    Task* t = s->check.get();
    if (!t) return;   // observing needs the server's health check
    ++t->result.analyse_failures;
    if (t->enabled && prepare_on_error(t->health, s->cfg->on_error)) {
      // One failed check, in HAProxy's words: "Health analyze", no code, no duration.
      const Status prev = t->result.status;
      t->result.status = Status::hana;
      t->result.code = -1;
      t->result.duration_ms = -1;
      t->result.desc = on_error_info(count, what);
      if (t->health.value > 0) ++t->result.failures;
      const bool report = t->health.apply(Outcome::fail);
      t->result.health = t->health.value;
      const auto& px = *s->proxy;
      if (px.checks.log_health_checks && (report || prev != Status::hana))
        events_.log(s->px, kLogNotice,
                    check_log_line(false, s->cfg->backup, px.name, s->cfg->name, t->result, t->health,
                                   s->st->admin.load() == lb::AdminState::drain || s->st->user_weight.load() == 0));
      update_state(*s, *t, Outcome::fail);
    }
    // Every action brings the next check forward to `fastinter`.
    if (t->fastinter && t->timer && t->enabled && !t->running && uv_timer_get_due_in(t->timer) > *t->fastinter)
      uv_timer_start(t->timer, on_timer, *t->fastinter, 0);
  }

 private:
  Srv* find(int proxy, int server) const {
    if (proxy < 0 || size_t(proxy) >= by_proxy_.size()) return nullptr;
    const auto& v = by_proxy_[proxy];
    if (server < 0 || size_t(server) >= v.size()) return nullptr;
    return v[server];
  }

  void set_enabled(Srv* s, bool agent, bool enabled) {
    if (!s) return;
    Task* t = agent ? s->agent.get() : s->check.get();
    if (!t || t->enabled == enabled) return;
    t->enabled = enabled;
    t->result.enabled = enabled;
    if (!enabled) {
      release(*t);
    } else if (t->timer) {
      uv_timer_start(t->timer, on_timer, 0, 0);
    }
  }

  std::unique_ptr<Task> make_task(Srv& s, Kind kind) {
    auto t = std::make_unique<Task>();
    t->owner = this;
    t->srv = &s;
    t->kind = kind;
    const auto& c = *s.cfg;
    if (kind == Kind::check) {
      t->health.rise = int(c.rise);
      t->health.fall = int(c.fall);
      // A server with checks starts UP but transitional: one failure takes it DOWN.
      t->health.value = c.disabled ? 0 : t->health.rise;
      t->inter = c.inter;
      t->fastinter = c.fastinter;
      t->downinter = c.downinter;
    } else {
      // Agents go by a single result each way.
      t->health.rise = t->health.fall = 1;
      t->health.value = 1;
      t->inter = c.agent_inter.value_or(c.inter);
    }
    t->result.health = t->health.value;
    t->dst = destination(s, kind);
    return t;
  }

  // Addr/port of the check (agent-addr/agent-port for agents), else the server's (as `set
  // server addr` left it).
  static sockaddr_storage destination(const Srv& s, Kind kind) {
    const auto& c = *s.cfg;
    sockaddr_storage ss = c.address.storage;
    uint16_t port = c.address.port_lo;
    if (s.st && s.st->get_addr(ss))
      port = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    const std::string& addr = kind == Kind::agent && !c.agent_addr.empty() ? c.agent_addr : c.check_addr;
    if (!addr.empty()) {
      auto r = config::parse_address(addr, false);
      if (r.address && r.address->kind == config::Address::Kind::inet) ss = r.address->storage;
    }
    if (kind == Kind::agent) port = *c.agent_port;
    else if (c.check_port) port = *c.check_port;
    if (ss.ss_family == AF_INET) reinterpret_cast<sockaddr_in*>(&ss)->sin_port = htons(port);
    else if (ss.ss_family == AF_INET6) reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port = htons(port);
    return ss;
  }

  // Lets go of the connection or process of a task (without a result).
  void release(Task& t) {
    if (t.conn) {
      t.conn->task = nullptr;
      t.conn->io->close();
      t.conn = nullptr;
    }
    if (t.proc) {
      t.proc->task = nullptr;
      uv_process_kill(&t.proc->proc, SIGKILL);
      uv_close(reinterpret_cast<uv_handle_t*>(&t.proc->proc), on_proc_closed);
      t.proc = nullptr;
    }
    t.running = false;
    t.connected = false;
  }

  static void on_timer(uv_timer_t* h) {
    Task* t = static_cast<Task*>(h->data);
    if (t->running) t->owner->on_timeout(*t);
    else t->owner->run(*t);
  }

  static void on_ramp_tick(uv_timer_t* h) { static_cast<CheckerImpl*>(h->data)->ramp_tick(); }

  void ramp_tick() {
    const uint64_t now = now_ms();
    for (auto& s : servers_) {
      uint32_t cur = s->st->ramp.load(std::memory_order_relaxed);
      if (cur >= lb::kWeightScale) continue;
      uint32_t next = lb::slowstart_ramp(s->cfg->slowstart, now - s->up_since);
      if (next != cur) {
        s->st->ramp.store(next, std::memory_order_relaxed);
        events_.server_state_changed(s->px, s->idx);
      }
    }
  }

  void schedule(Task& t) {
    if (!t.timer || !t.enabled) return;
    uint64_t iv = next_interval(t.health, !t.srv->up, t.inter, t.fastinter, t.downinter);
    uv_timer_start(t.timer, on_timer, iv, 0);
  }

  void run(Task& t) {
    if (!t.enabled) return;
    if (t.srv->st->admin.load(std::memory_order_relaxed) == lb::AdminState::maint && t.kind == Kind::check) {
      schedule(t);   // checks pause in maintenance
      return;
    }
    t.running = true;
    t.connected = false;
    t.in.clear();
    t.h2.reset();
    t.rule = 0;
    t.last_ok = {};
    t.last_ok_builtin = t.any_expect = false;
    t.started = now_ms();
    const auto& px = *t.srv->proxy;
    if (t.kind == Kind::check && px.checks.kind == config::CheckSetup::Kind::external) return run_external(t);
    // The whole check is bounded by `inter`; with `timeout check`, the connect is also bounded
    // by `timeout connect` and the reply by `timeout check`.
    uint64_t tmo = t.inter;
    if (px.timeouts.check && px.timeouts.connect && *px.timeouts.connect < tmo) tmo = *px.timeouts.connect;
    uv_timer_start(t.timer, on_timer, tmo, 0);
    uint16_t port = 0;
    if (t.kind == Kind::check && px.checks.kind == config::CheckSetup::Kind::tcp_check && !px.checks.tcp_rules.empty() &&
        px.checks.tcp_rules[0].kind == config::TcpCheckRule::Kind::connect) {
      port = px.checks.tcp_rules[0].port.value_or(0);
      t.rule = 1;
    }
    connect(t, port);
  }

  void connect(Task& t, uint16_t port) {
    auto* c = new Conn;
    c->task = &t;
    c->tcp.set_owner(c, &Conn::kEvents);
    t.conn = c;
    // `check-ssl`: the same TLS as the traffic's, with the check's own SNI and ALPN.
    if (SSL_CTX* ctx = t.kind == Kind::check && tls_ ? tls_->check(t.srv->px, t.srv->idx) : nullptr) {
      c->tls.set_owner(c, &Conn::kEvents);
      c->io = &c->tls;
      if (c->tls.client(c->tcp, ctx)) tls_->prepare_server_ssl(c->tls.ssl(), t.srv->px, t.srv->idx, true, {});
    }
    sockaddr_storage dst = t.dst;
    socklen_t len = dst.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    if (port) {
      if (dst.ss_family == AF_INET) reinterpret_cast<sockaddr_in*>(&dst)->sin_port = htons(port);
      else if (dst.ss_family == AF_INET6) reinterpret_cast<sockaddr_in6*>(&dst)->sin6_port = htons(port);
    }
    if (dst.ss_family == AF_UNIX) {
      const auto& un = reinterpret_cast<const sockaddr_un&>(dst);
      // (an abstract `abns@` name, sun_path[0] = 0, spans the whole sun_path, as HAProxy's)
      len = un.sun_path[0] ? socklen_t(offsetof(sockaddr_un, sun_path) + strnlen(un.sun_path, sizeof(un.sun_path)) + 1)
                           : socklen_t(sizeof(sockaddr_un));
    }
    const int rc = c->io->connect(loop_, reinterpret_cast<const sockaddr*>(&dst), len);
    // A connect that fails before any wait (a refused or missing unix socket, no route...)
    // is HAProxy's SOCKERR.
    if (rc < 0) finish_errno(t, Status::sockerr, rc);
    else if (rc == core::Transport::kDone) connected(t, 0);
  }

  void connected(Task& t, int status) {
    if (status == core::Transport::kHandshakeFailed) {
      // haproxy's words: a name that does not match (verifyhost / check-sni) has its own.
      const ssl_st* ssl = t.conn->io->tls();
      const bool mismatch = ssl && SSL_get_verify_result(ssl) == X509_V_ERR_HOSTNAME_MISMATCH;
      finish(t, Status::l6rsp, -1,
             mismatch ? "Server presented an SSL certificate different from the expected one" : "SSL handshake failure");
      return;
    }
    if (status < 0) {
      finish_errno(t, status == UV_ETIMEDOUT ? Status::l4tout : Status::l4con, status);
      return;
    }
    t.connected = true;
    const auto& px = *t.srv->proxy;
    if (px.timeouts.check) uv_timer_start(t.timer, on_timer, *px.timeouts.check, 0);
    std::string out;
    if (t.kind == Kind::check && sends_proxy(*t.srv->cfg)) out = proxy_line(t);
    if (t.kind == Kind::agent) {
      out += t.srv->cfg->agent_send;
    } else {
      switch (px.checks.kind) {
        case config::CheckSetup::Kind::tcp:
          // Over TLS, a completed handshake is a layer 6 success.
          if (out.empty()) return finish(t, t.conn->io->tls() ? Status::l6ok : Status::l4ok, -1, "");
          break;
        case config::CheckSetup::Kind::http:
          if (over_h2(*t.srv->cfg, t.conn->io->tls())) {
            t.h2 = std::make_unique<H2Check>();
            const std::string frames = t.h2->start(http_request(px.checks, state_header(t)));
            if (frames.empty()) return finish(t, Status::l7rsp, -1, "HTTP/2 request could not be made");
            out += frames;
          } else {
            out += http_request(px.checks, state_header(t));
          }
          break;
        case config::CheckSetup::Kind::tcp_check:
          if (!out.empty()) send(t, std::move(out));
          return tcp_check_step(t);
        case config::CheckSetup::Kind::external: break;
      }
    }
    if (!out.empty()) send(t, std::move(out));
    start_reading(t);
  }

  // HTTP checks go over HTTP/2 with `check-proto h2`, or without a check-proto of their own
  // on a `proto h2` server or when the check's TLS handshake picked h2 (`check-alpn h2`), as
  // HAProxy.
  static bool over_h2(const config::Server& s, const ssl_st* tls) {
    if (s.check_proto != config::MuxProto::unset) return s.check_proto == config::MuxProto::h2;
    if (s.proto == config::MuxProto::h2) return true;
    if (!tls) return false;
    const unsigned char* alpn = nullptr;
    unsigned len = 0;
    SSL_get0_alpn_selected(tls, &alpn, &len);
    return len == 2 && alpn[0] == 'h' && alpn[1] == '2';
  }

  // HAProxy sends the PROXY header with checks when told to, or when the server gets one and
  // the check goes to the server's own address and port.
  static bool sends_proxy(const config::Server& s) {
    return s.check_send_proxy || (s.sends_proxy() && !s.check_port && s.check_addr.empty());
  }

  std::string proxy_line(Task& t) {
    // v2: the LOCAL command (no client behind a check), as HAProxy 2.6; with
    // `pp2-never-send-local`, the PROXY command with the check connection's addresses.
    if (t.srv->cfg->send_proxy_v2) {
      core::pp::V2Extras x;
      x.local = !cfg_.global.pp2_never_send_local;
      sockaddr_storage a{}, b{};
      t.conn->io->local_address(a);
      t.conn->io->peer_address(b);
      char out[64];
      const size_t n = core::pp::write_v2(out, sizeof out, reinterpret_cast<sockaddr*>(&a), reinterpret_cast<sockaddr*>(&b), x);
      return std::string(out, n);
    }
    sockaddr_storage a{}, b{};
    t.conn->io->local_address(a);
    t.conn->io->peer_address(b);
    char sa[INET6_ADDRSTRLEN] = {}, sb[INET6_ADDRSTRLEN] = {};
    if (a.ss_family == AF_INET && b.ss_family == AF_INET) {
      auto* x = reinterpret_cast<sockaddr_in*>(&a);
      auto* y = reinterpret_cast<sockaddr_in*>(&b);
      inet_ntop(AF_INET, &x->sin_addr, sa, sizeof sa);
      inet_ntop(AF_INET, &y->sin_addr, sb, sizeof sb);
      return std::string("PROXY TCP4 ") + sa + " " + sb + " " + std::to_string(ntohs(x->sin_port)) + " " +
             std::to_string(ntohs(y->sin_port)) + "\r\n";
    }
    return "PROXY UNKNOWN\r\n";
  }

  std::string state_header(Task& t) {
    const auto& px = *t.srv->proxy;
    if (!px.checks.send_state) return {};
    const Srv& s = *t.srv;
    std::string st = s.up ? "UP" : "DOWN";
    if (!t.health.full()) st += " " + t.health.ratio();
    char host[INET6_ADDRSTRLEN] = {};
    const auto& ss = s.cfg->address.storage;
    if (ss.ss_family == AF_INET) inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, host, sizeof host);
    else if (ss.ss_family == AF_INET6) inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr, host, sizeof host);
    char node[256] = {};
    if (cfg_.global.node.empty()) gethostname(node, sizeof node - 1);
    return st + "; address=" + host + "; port=" + std::to_string(s.cfg->address.port_lo) + "; name=" + px.name + "/" +
           s.cfg->name + "; node=" + (cfg_.global.node.empty() ? std::string(node) : cfg_.global.node) +
           "; weight=" + std::to_string(s.st->user_weight.load()) + "/" + std::to_string(s.cfg->weight) +
           "; scur=" + std::to_string(s.st->cur_conns.load()) + "/0; qcur=0";
  }

  // Queues bytes for the server: written in order, one write at a time.
  static void send(Task& t, std::string data) {
    Conn* c = t.conn;
    if (c->writing) {
      c->next += data;
      return;
    }
    c->out = std::move(data);
    write_out(c);
  }

  static void write_out(Conn* c) {
    uv_buf_t b = uv_buf_init(c->out.data(), unsigned(c->out.size()));
    const int rc = c->io->write(&b, 1);
    // A failed write shows as an error or end when reading the reply.
    c->writing = rc == core::Transport::kPending;
  }

  static void start_reading(Task& t) { t.conn->io->read_start(); }

  static void on_read(Conn* c, ssize_t n) {
    if (!c->task) return;
    Task& t = *c->task;
    if (n > 0 && t.h2) {   // HTTP/2: the answer is appended as HTTP/1 text
      bool ended = false;
      std::string back = t.h2->feed(std::string_view(scratch(), size_t(n)), t.in, ended);
      if (!back.empty()) send(t, std::move(back));
      if (t.in.size() > kMaxReply) t.in.resize(kMaxReply);
      t.owner->received(t, ended || t.in.size() >= kMaxReply);
    } else if (n > 0) {
      size_t room = kMaxReply - std::min(kMaxReply, t.in.size());
      t.in.append(scratch(), std::min(size_t(n), room));
      t.owner->received(t, t.in.size() >= kMaxReply);
    } else if (n < 0) {
      t.owner->received(t, true);
    }
  }
  // Replies are read into one scratch area, then appended to the task's input.
  static char* scratch() {
    static char buf[kMaxReply];
    return buf;
  }

  void received(Task& t, bool eof) {
    const auto& px = *t.srv->proxy;
    if (t.kind == Kind::agent) return agent_reply(t, eof);
    if (px.checks.kind == config::CheckSetup::Kind::http) {
      Verdict v = http_verdict(px.checks, t.in, eof);
      if (v.need_more) return;
      return finish(t, v.status, v.code, v.desc);
    }
    if (px.checks.kind == config::CheckSetup::Kind::tcp_check) return tcp_check_step(t, eof);
    if (eof) finish(t, Status::l4ok, -1, "");
  }

  // Runs tcp-check rules from t.rule until one has to wait for data.
  void tcp_check_step(Task& t, bool eof = false) {
    const auto& rules = t.srv->proxy->checks.tcp_rules;
    bool reading = false;
    while (t.rule < rules.size()) {
      const auto& r = rules[t.rule];
      const int step = int(t.rule) + 1;
      switch (r.kind) {
        case config::TcpCheckRule::Kind::connect:
          // A second connect would need a new connection; portero supports one per check.
          ++t.rule;
          break;
        case config::TcpCheckRule::Kind::comment: ++t.rule; break;
        case config::TcpCheckRule::Kind::send:
        case config::TcpCheckRule::Kind::send_binary: {
          std::string bytes = r.data;
          if (r.unix_time_at_11 && bytes.size() >= 15) {
            const uint32_t now = htonl(uint32_t(std::time(nullptr)));
            std::memcpy(bytes.data() + 11, &now, 4);
          }
          send(t, std::move(bytes));
          t.in.clear();
          ++t.rule;
          break;
        }
        default: {
          Verdict v = tcp_expect_verdict(r, t.in, eof, step);
          if (v.need_more) {
            if (!reading) start_reading(t);
            return;
          }
          if (status_outcome(v.status) != Outcome::pass) return finish(t, v.status, v.code, v.desc);
          t.last_ok = std::move(v);
          t.last_ok_builtin = r.builtin;
          t.any_expect = true;
          ++t.rule;
          reading = true;
          break;
        }
      }
    }
    if (t.any_expect && t.last_ok_builtin)
      finish(t, t.last_ok.status, t.last_ok.code, t.last_ok.desc, t.last_ok.desc_logged_only);
    else if (t.any_expect) finish(t, Status::l7ok, 0, "(tcp-check)");
    else finish(t, Status::l4ok, -1, "");
  }

  void agent_reply(Task& t, bool eof) {
    AgentReply r = parse_agent_reply(t.in, eof);
    if (!r.complete) return;
    Srv& s = *t.srv;
    bool changed = false;
    if (r.weight_pct) {
      uint32_t w = s.iweight * *r.weight_pct / 100;
      if (w > 256) w = 256;
      if (s.st->user_weight.exchange(w) != w) changed = true;
    }
    if (r.admin) {
      lb::AdminState prev = s.st->admin.exchange(*r.admin);
      if (prev != *r.admin) {
        changed = true;
        if (*r.admin == lb::AdminState::drain)
          events_.log(s.px, kLogNotice, server_drain_line(s.cfg->backup, s.proxy->name, s.cfg->name,
                                                          count_usable(s.px, false), count_usable(s.px, true)));
      }
    }
    if (changed) {
      events_.server_state_changed(s.px, s.idx);
    }
    if (r.status) return finish(t, *r.status, -1, r.desc);
    // Nothing about health: the check ends without changing it.
    finish(t, Status::unk, -1, "");
  }

  void run_external(Task& t) {
    const auto& px = *t.srv->proxy;
    const auto& c = *t.srv->cfg;
    std::string proxy_addr = "NOT_USED", proxy_port = "NOT_USED", env_paddr, env_pport;
    for (const auto& b : px.binds) {
      (void)b;
      break;
    }
    auto host_of = [](const sockaddr_storage& ss) {
      char h[INET6_ADDRSTRLEN] = {};
      if (ss.ss_family == AF_INET) inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, h, sizeof h);
      else if (ss.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr, h, sizeof h);
      return std::string(h);
    };
    std::string srv_addr = host_of(c.address.storage);
    std::string srv_port = std::to_string(c.check_port.value_or(c.address.port_lo));
    std::vector<std::string> args{px.checks.external_command, proxy_addr, proxy_port, srv_addr, srv_port};
    std::vector<std::string> env{
        "PATH=" + px.checks.external_path,
        "HAPROXY_PROXY_ADDR=" + env_paddr,
        "HAPROXY_PROXY_ID=" + std::to_string(px.id),
        "HAPROXY_PROXY_NAME=" + px.name,
        "HAPROXY_PROXY_PORT=" + env_pport,
        "HAPROXY_SERVER_ADDR=" + srv_addr,
        "HAPROXY_SERVER_CURCONN=" + std::to_string(t.srv->st->cur_conns.load()),
        "HAPROXY_SERVER_ID=" + std::to_string(c.puid),
        "HAPROXY_SERVER_MAXCONN=" + std::to_string(c.maxconn),
        "HAPROXY_SERVER_NAME=" + c.name,
        "HAPROXY_SERVER_PORT=" + srv_port,
        "HAPROXY_SERVER_SSL=0",
        "HAPROXY_SERVER_PROTO=" + std::string(px.mode == config::Mode::http ? "h1" : "tcp"),
    };
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    auto* p = new Proc;
    p->task = &t;
    p->proc.data = p;
    uv_process_options_t o{};
    o.file = argv[0];
    o.args = argv.data();
    o.env = envp.data();
    o.exit_cb = on_exit;
    uv_stdio_container_t stdio[3];
    stdio[0].flags = UV_IGNORE;
    stdio[1].flags = UV_IGNORE;
    stdio[2].flags = UV_INHERIT_FD;
    stdio[2].data.fd = 2;
    o.stdio = stdio;
    o.stdio_count = 3;
    int rc = uv_spawn(loop_, &p->proc, &o);
    if (rc < 0) {
      uv_close(reinterpret_cast<uv_handle_t*>(&p->proc), on_proc_closed);
      p->task = nullptr;
      t.proc = nullptr;
      return finish(t, Status::procerr, -1, "");
    }
    t.proc = p;
    uv_timer_start(t.timer, on_timer, px.timeouts.check.value_or(t.inter), 0);
  }

  static void on_exit(uv_process_t* h, int64_t status, int) {
    Proc* p = static_cast<Proc*>(h->data);
    if (!p->task) return;
    Task& t = *p->task;
    t.owner->finish(t, status == 0 ? Status::procok : Status::procerr, int(status), "");
  }

  void on_timeout(Task& t) {
    if (t.proc) return finish(t, Status::proctout, -1, "");
    if (!t.connected) {
      // Connected, but the TLS handshake did not end in time: a layer 6 timeout.
      const bool in_handshake = t.conn && t.conn->io == &t.conn->tls && t.conn->tls.tcp_connected();
      return finish(t, in_handshake ? Status::l6tout : Status::l4tout, -1, "");
    }
    const auto& px = *t.srv->proxy;
    if (t.kind == Kind::check && px.checks.kind == config::CheckSetup::Kind::tcp) return finish(t, Status::l4ok, -1, "");
    if (t.kind == Kind::check && px.checks.kind == config::CheckSetup::Kind::tcp_check && t.rule < px.checks.tcp_rules.size()) {
      const auto& r = px.checks.tcp_rules[t.rule];
      // A protocol check's timeout carries no info, in its own status (ssl-hello-chk: L6TOUT).
      if (r.builtin) return finish(t, status_by_name(r.tout_status).value_or(Status::l7tout), -1, "");
      // HAProxy names a binary regex without its pattern.
      if (r.kind == config::TcpCheckRule::Kind::expect_rbinary)
        return finish(t, Status::l7tout, -1, " at step " + std::to_string(t.rule + 1) + " of tcp-check (expect binary regex)");
      std::string what = r.kind == config::TcpCheckRule::Kind::expect_rstring  ? "rstring"
                         : r.kind == config::TcpCheckRule::Kind::expect_binary ? "binary"
                                                                                : "string";
      std::string shown = r.data;
      if (r.kind == config::TcpCheckRule::Kind::expect_binary) {
        static const char* hex = "0123456789ABCDEF";
        shown.clear();
        for (unsigned char ch : r.data) { shown += hex[ch >> 4]; shown += hex[ch & 15]; }
      }
      return finish(t, Status::l7tout, -1, " at step " + std::to_string(t.rule + 1) + " of tcp-check (expect " + what +
                                               " '" + shown + "')");
    }
    finish(t, Status::l7tout, -1, "");
  }

  void finish_errno(Task& t, Status s, int uv_err) {
    std::string msg = uv_strerror(uv_err);
    if (s == Status::sockerr) msg = std::string("General socket error (") + std::strerror(-uv_err) + ")";
    else if (uv_err == UV_ECONNREFUSED) msg = "Connection refused";
    else if (uv_err == UV_ETIMEDOUT) msg = "";
    finish(t, s, -1, msg);
  }

  // A check ended with status `s`: update health, log as HAProxy does, reschedule.
  void finish(Task& t, Status s, int code, std::string desc, bool desc_logged_only = false) {
    const uint64_t end = now_ms();
    release(t);
    if (s == Status::unk) {
      schedule(t);
      return;
    }
    Srv& srv = *t.srv;
    const Status prev = t.result.status;
    t.result.status = s;
    t.result.code = status_has_code(s) ? (code < 0 ? 0 : code) : -1;
    t.result.duration_ms = int64_t(end - t.started);
    t.result.desc = std::move(desc);
    t.result.desc_logged_only = desc_logged_only;
    Outcome o = status_outcome(s);
    bool report = false;
    // A failure to reach the agent does not count against the server, only its replies do.
    const bool counts = t.kind == Kind::check || status_has_code(s);
    if (counts) {
      if (o == Outcome::fail && t.health.value > 0) ++t.result.failures;
      report = t.health.apply(o);
    }
    t.result.health = t.health.value;
    const auto& px = *srv.proxy;
    if (px.checks.log_health_checks && (report || s != prev)) {
      events_.log(srv.px, kLogNotice,
                  check_log_line(t.kind == Kind::agent, srv.cfg->backup, px.name, srv.cfg->name, t.result, t.health,
                                 srv.st->admin.load() == lb::AdminState::drain || srv.st->user_weight.load() == 0));
    }
    update_state(srv, t, o);
    schedule(t);
  }

  int count_usable(int px, bool backup) const {
    int n = 0;
    for (const Srv* s : by_proxy_[px])
      if (s && s->cfg->backup == backup && s->st->usable()) ++n;
    return n;
  }

  void update_state(Srv& s, Task& t, Outcome o) {
    bool up = (!s.check || s.check->health.up()) && (!s.agent || !s.agent->enabled || s.agent->health.value > 0);
    bool stopping = up && o == Outcome::condpass ? true : (o == Outcome::pass ? false : s.stopping);
    if (!up) stopping = false;
    const bool log_checks = s.proxy->checks.log_health_checks;
    const Result* detail = log_checks ? nullptr : &t.result;
    if (up == s.up && stopping == s.stopping) return;
    const int before = count_usable(s.px, false) + count_usable(s.px, true);
    const bool was_up = s.up;
    s.up = up;
    s.stopping = stopping;
    // NOLB servers take no new traffic but keep their persistent clients.
    s.st->oper.store(!up ? lb::OperState::down : stopping ? lb::OperState::stopping : lb::OperState::up,
                     std::memory_order_relaxed);
    const uint64_t now = unix_now();
    Result& r = s.check ? s.check->result : t.result;
    if (up != was_up) {
      if (!up) {
        ++r.downs;
        s.down_since = now;
      } else if (s.down_since) {
        r.downtime += now - s.down_since;
        s.down_since = 0;
      }
      r.last_change = now;
    }
    if (up && !was_up && s.cfg->slowstart) {
      s.up_since = now_ms();
      s.st->ramp.store(lb::slowstart_ramp(s.cfg->slowstart, 0), std::memory_order_relaxed);
    }
    events_.server_state_changed(s.px, s.idx);
    const int act = count_usable(s.px, false), bck = count_usable(s.px, true);
    const int sess = int(s.st->cur_conns.load());
    if (!up && was_up) {
      events_.log(s.px, kLogAlert, server_down_line(s.cfg->backup, s.proxy->name, s.cfg->name, detail, act, bck, sess));
      if (s.cfg->on_marked_down_shutdown) events_.shutdown_sessions(s.px, s.idx);
    } else if (stopping) {
      events_.log(s.px, kLogNotice,
                  server_stopping_line(s.cfg->backup, s.proxy->name, s.cfg->name, detail, act, bck, sess));
    } else if (up) {
      events_.log(s.px, kLogNotice, server_up_line(s.cfg->backup, s.proxy->name, s.cfg->name, detail, act, bck));
      if (!s.cfg->backup && s.cfg->on_marked_up_shutdown_backup)
        for (Srv* b : by_proxy_[s.px])
          if (b && b->cfg->backup) events_.shutdown_sessions(b->px, b->idx);
    }
    if (before > 0 && act == 0 && bck == 0)
      events_.log(s.px, kLogEmerg, std::string(s.proxy->kind == config::Proxy::Kind::listen ? "proxy" : "backend") + " " + s.proxy->name +
                                       " has no server available!");
  }

  friend struct Conn;   // its transport events call back into the checker

  uv_loop_t* loop_;
  const config::Config& cfg_;
  Events& events_;
  const tls::Contexts* tls_;
  std::vector<std::unique_ptr<Srv>> servers_;
  std::vector<std::vector<Srv*>> by_proxy_;
  uv_timer_t* ramp_timer_ = nullptr;
  core::LoopContext* own_ctx_ = nullptr;
  bool started_ = false;
};

const core::TransportEvents Conn::kEvents = {
    [](void*, uv_buf_t* room) { *room = uv_buf_init(CheckerImpl::scratch(), kMaxReply); },
    [](void* self, ssize_t n) { CheckerImpl::on_read(static_cast<Conn*>(self), n); },
    // written: the next queued bytes go out
    [](void* self, int status) {
      auto* c = static_cast<Conn*>(self);
      c->writing = false;
      if (!c->task || status < 0 || c->next.empty()) return;
      c->out.swap(c->next);
      c->next.clear();
      CheckerImpl::write_out(c);
    },
    [](void* self, int status) {
      auto* c = static_cast<Conn*>(self);
      if (c->task) c->task->owner->connected(*c->task, status);
    },
    nullptr,
    [](void* self) { delete static_cast<Conn*>(self); },
};

}  // namespace

std::unique_ptr<Checker> Checker::create(uv_loop_t* loop, const config::Config& cfg,
                                         std::vector<std::vector<lb::ServerState*>> states, Events& events,
                                         const tls::Contexts* tls) {
  return std::make_unique<CheckerImpl>(loop, cfg, std::move(states), events, tls);
}

}  // namespace portero::check
