// Choosing a server for a request: the balancer's pick, connection slots (server maxconn),
// queues under `timeout queue`, and connection retries with HAProxy's turn-around delay and
// redispatch. Session methods; worker-local.
#include <ctime>
#include <algorithm>
#include <cstring>

#include "portero/proxy/worker.h"
#include "session.h"
#include "h2_upstream.h"

namespace portero::proxy {

namespace {
// HAProxy waits this long before another attempt after a failed connect.
constexpr uint64_t kRetryTurnAround = 1000;
}  // namespace

lb::PickContext Exchange::pick_context() const {
  lb::PickContext ctx;
  ctx.source = &c_.facts_.peer.sa;
  if (tcp_mode()) {
    ctx.payload = c_.unread_input();
    return ctx;
  }
  if (req_.head_done() && c_.in_.data) {
    const http::Head& h = req_.head();
    ctx.request = &h;
    ctx.base = c_.in_.data;
    ctx.uri = h.target.in(c_.in_.data);
    uint32_t body_start = h.start + h.length;
    uint32_t body_end = req_complete_ ? c_.req_end_ : c_.in_.parsed;
    if (body_end > body_start) ctx.body = std::string_view(c_.in_.data + body_start, body_end - body_start);
  }
  return ctx;
}

uint32_t Exchange::server_maxconn(int idx) const {
  // HAProxy's dynamic limit: with minconn set, the limit grows from minconn to maxconn as the
  // backend's load approaches fullconn.
  const auto& be = w_.config().proxies[be_];
  const auto& s = be.servers[idx];
  // `set maxconn server` changes the runtime value; minconn scaling applies to it.
  const uint32_t maxconn = w_.runtime().backends[be_].states[idx]->maxconn.load(std::memory_order_relaxed);
  if (!s.minconn || !maxconn || !be.fullconn_effective) return maxconn;
  uint64_t load = w_.runtime().backends[be_].cur_conns.load(std::memory_order_relaxed);
  if (load >= be.fullconn_effective) return maxconn;
  uint64_t dyn = uint64_t(maxconn) * load / be.fullconn_effective;
  return static_cast<uint32_t>(std::max<uint64_t>(dyn, s.minconn));
}

bool Exchange::try_take_slot(int idx) {
  auto& st = *w_.runtime().backends[be_].states[idx];
  uint32_t max = server_maxconn(idx);
  if (max == 0) {
    st.cur_conns.fetch_add(1, std::memory_order_relaxed);
  } else {
    uint32_t cur = st.cur_conns.load(std::memory_order_relaxed);
    do {
      if (cur >= max) return false;
    } while (!st.cur_conns.compare_exchange_weak(cur, cur + 1, std::memory_order_relaxed));
  }
  w_.srv_counters(be_, idx).max_of(&stats::Counters::cur_max, st.cur_conns.load(std::memory_order_relaxed));
  slot_ = idx;
  if (lb::Balancer* lb = w_.balancer(be_)) lb->on_take(idx);
  return true;
}

void Exchange::release_slot() {
  if (be_counted_) {
    be_counted_ = false;
    w_.runtime().backends[be_].cur_conns.fetch_sub(1, std::memory_order_relaxed);
  }
  if (slot_ < 0) return;
  int idx = slot_;
  slot_ = -1;
  w_.runtime().backends[be_].states[idx]->cur_conns.fetch_sub(1, std::memory_order_relaxed);
  if (lb::Balancer* lb = w_.balancer(be_)) lb->on_release(idx);
  w_.slot_freed(be_, idx);
}

// `use-server` rules, in order, before cookie persistence and the balancer: the first rule
// whose condition matches names the server, taken as long as it is not stopped (down or in
// maintenance; a draining server still takes it), or when `option persist` or a matching
// `force-persist` allows a stopped one. A stopped server lets the next rules try; a dynamic
// name naming no server (or a shared name) ends the rules. No allocation: a dynamic name is
// rendered into the worker's scratch block.
void Exchange::use_server_rules() {
  const auto& be = w_.config().proxies[be_];
  if (be.use_servers.empty()) return;
  const BoundProxy& bp = w_.runtime().rules->proxies[be_];
  const auto& states = w_.runtime().backends[be_].states;
  acl::SampleContext ctx = sample(true);
  int forced = -1;   // force-persist, evaluated only when a stopped server needs it
  for (size_t i = 0; i < be.use_servers.size(); ++i) {
    const acl::Condition* c = bp.use_server_cond[i];
    if (!c || c->evaluate(ctx) != acl::Tri::yes) continue;
    int idx = be.use_servers[i].server_index;
    if (const acl::Expression* e = bp.use_server_name[i]) {
      std::string_view name = eval_format(e, ctx, w_.scratch(), w_.bufsize());
      idx = -1;
      for (size_t k = 0; k < be.servers.size(); ++k) {
        if (!be.servers.live(k) || be.servers[k].name != name) continue;
        if (idx >= 0) {   // a shared name names no server
          idx = -1;
          break;
        }
        idx = static_cast<int>(k);
      }
      if (idx < 0) return;
    }
    if (idx < 0) return;
    const lb::ServerState& st = *states[idx];
    const bool stopped = st.admin.load(std::memory_order_relaxed) == lb::AdminState::maint ||
                         st.oper.load(std::memory_order_relaxed) == lb::OperState::down;
    if (stopped && !be.persist) {
      if (forced < 0) {
        forced = 0;
        for (const auto* f : bp.force_persist) forced = forced || (f && f->evaluate(ctx) == acl::Tri::yes);
      }
      if (!forced) continue;
    }
    persist_server_ = static_cast<int16_t>(idx);
    direct_ = true;
    server_by_rule_ = true;
    return;
  }
}

// Picks a server and sends the request, or queues it, or answers 503.
void Exchange::dispatch(int avoid) {
  if (!be_counted_) {
    be_counted_ = true;
    stats::Counters& bc = w_.be_counters(be_);
    bc.add(bc.sessions);   // HAProxy counts a backend's sessions when the stream is assigned to it
    if (!tcp_mode()) bc.add(bc.requests);
    bc.max_of(&stats::Counters::cur_max, w_.runtime().backends[be_].cur_conns.load(std::memory_order_relaxed) + 1);
    w_.runtime().backends[be_].cur_conns.fetch_add(1, std::memory_order_relaxed);
  }
  if (!direct_ && avoid < 0 && !w_.config().proxies[be_].stick_rules.empty()) stick_match();
  if (direct_ && persist_server_ >= 0 && avoid < 0) {
    // The cookie names its server: no balancing, wait for it if it is full.
    int idx = persist_server_;
    if (try_take_slot(idx)) connect_server(idx);
    else enqueue(idx);
    return;
  }
  lb::Balancer* lb = w_.balancer(be_);
  lb::PickContext pick = pick_context();
  if (const acl::Expression* e = w_.runtime().rules->proxies[be_].balance_hash) {
    // `balance hash <expr>`: an absent sample is no key (round robin); an empty one is a key.
    const int n = e->evaluate_binary(sample(true), w_.scratch(), w_.bufsize());
    pick.has_sample_key = n >= 0;
    if (n >= 0) pick.sample_key = std::string_view(w_.scratch(), static_cast<size_t>(n));
  }
  int idx = lb ? lb->pick(pick, avoid) : lb::kNoServer;
  if (idx == lb::kNoServer) {
    reply_error(503, {'S', 'C'});
    return;
  }
  if (idx == lb::kAllFull) {
    enqueue(-1);
    return;
  }
  if (try_take_slot(idx)) {
    connect_server(idx);
    return;
  }
  // The chosen server is full (a hash pick keeps its key on its server): wait for it; with
  // its queue full too, HAProxy refuses at once.
  const auto& s = w_.config().proxies[be_].servers[idx];
  auto& queued = w_.runtime().backends[be_].server_queued[idx];
  if (s.maxqueue && queued.load(std::memory_order_relaxed) >= s.maxqueue) {
    reply_error(503, {'s', 'Q'});
    return;
  }
  enqueue(idx);
}

void Exchange::enqueue(int where) {
  c_.phase_ = Phase::queued;
  t_queue_ = uv_now(w_.loop());
  auto& br = w_.runtime().backends[be_];
  const uint32_t depth = (where < 0 ? br.queued : br.server_queued[where]).fetch_add(1, std::memory_order_relaxed) + 1;
  stats::Counters& c = where < 0 ? w_.be_counters(be_) : w_.srv_counters(be_, where);
  c.max_of(&stats::Counters::queue_max, depth);
  w_.enqueue(this, be_, where);
  const auto& be = w_.config().proxies[be_];
  c_.arm_client_timer(be.queue_timeout());
}

void Exchange::on_dequeued(int idx) {
  // try_take_slot() succeeded: the slot is ours.
  t_dequeue_ = uv_now(w_.loop());
  w_.timers().disarm(c_.ctimer_);
  connect_server(idx);
}

void Exchange::connect_server(int idx) {
  c_.phase_ = Phase::connecting;
  if (!w_.config().proxies[be_].stick_rules.empty()) stick_prepare_store();
  retry_target_ = -1;
  if (counted_srv_ != idx) {
    // A server's sessions, lbtot and lastsess count when a request is assigned to it.
    counted_srv_ = static_cast<int16_t>(idx);
    stats::Counters& sc = w_.srv_counters(be_, idx);
    sc.add(sc.sessions);
    if (!tcp_mode()) sc.add(sc.requests);
    if (!direct_) sc.add(sc.lb_total), w_.be_counters(be_).add(w_.be_counters(be_).lb_total);
    sc.store_max(sc.last_session_s, static_cast<uint64_t>(std::time(nullptr)));
  }
  const auto& be = w_.config().proxies[be_];
  // `sni <expr>`: evaluated for each request; a connection is reused only with the same SNI.
  char sni_buf[256];
  std::string_view sni;
  uint64_t sni_key = 0;
  if (const acl::Expression* e = w_.runtime().rules->proxies[be_].server_sni[idx]) {
    const int n = e->evaluate(sample(true), sni_buf, sizeof sni_buf);
    if (n > 0) {
      sni = std::string_view(sni_buf, static_cast<size_t>(n));
      sni_key = std::hash<std::string_view>{}(sni) | 1;
    }
  }
  if (srv_ && (srv_->proxy_index != be_ || srv_->server_index != idx || srv_->sni_key != sni_key))
    detach_server(true);
  srv_idx_ = idx;
  if (!srv_ && c_.private_) {
    // `http-reuse never`: our own connection from the previous request, if it goes to that server.
    if (c_.private_->proxy_index == be_ && c_.private_->server_index == idx && c_.private_->sni_key == sni_key) {
      srv_ = c_.private_;
      c_.private_ = nullptr;
      srv_->keeper = nullptr;
      srv_->owner = &c_;
      srv_->reused = true;
    } else {
      c_.close_private();
    }
  }
  if (!srv_) {
    bool may_reuse = !be.servers[idx].sends_proxy() &&
                     (be.http_reuse == config::HttpReuse::always || be.http_reuse == config::HttpReuse::aggressive ||
                      (be.http_reuse == config::HttpReuse::safe && !c_.first_request_));
    if (may_reuse) srv_ = w_.take_idle(be_, idx, sni_key);
    if (srv_) {
      srv_->owner = &c_;
      srv_->reused = true;
    }
    // Or a stream on a shared HTTP/2 connection to that server with room for one more.
    if (!srv_ && may_reuse && w_.upstreams(be_, idx)) srv_ = H2Upstream::call_on_shared(w_, be_, idx, sni_key, c_);
  }
  if (srv_) {
    ++srv_->uses;
    srv_->set_busy(true);
    t_connect_ = t_connected_ = uv_now(w_.loop());   // a kept-alive connection: no connect time
    w_.srv_counters(be_, idx).add(w_.srv_counters(be_, idx).reuses);
    w_.be_counters(be_).add(w_.be_counters(be_).reuses);
    send_request_head();
    return;
  }
  const config::Server& s = be.servers[idx];
  ServerConn* c = w_.new_server_conn();
  c->owner = &c_;
  c->proxy_index = be_;
  c->server_index = idx;
  c->tcp.set_owner(c, &ServerConn::kEvents);
  if (SSL_CTX* ctx = w_.runtime().tls->server(be_, idx)) {
    c->tls = w_.new_tls();
    w_.be_counters(be_).add(w_.be_counters(be_).ssl_conns);
    c->tls->set_owner(c, &ServerConn::kEvents);
    c->io = c->tls;
    if (c->tls->client(c->tcp, ctx)) w_.runtime().tls->prepare_server_ssl(c->tls->ssl(), be_, idx, false, sni);
    c->sni_key = sni_key;
  }
  srv_ = c;
  c->uses = 1;
  c->set_busy(true);
  t_connect_ = uv_now(w_.loop());
  w_.srv_counters(be_, idx).add(w_.srv_counters(be_, idx).connects);
  w_.be_counters(be_).add(w_.be_counters(be_).connects);
  t_connected_ = 0;
  c->timer.owner = c;
  c->timer.on_expire = ServerConn::on_timer;
  sockaddr_storage addr = s.address.storage;
  socklen_t len = s.address.storage_len;
  // `set server addr` moved it: the new address and port (0: the client's destination port).
  const bool moved = w_.runtime().backends[be_].states[size_t(idx)]->get_addr(addr);
  if (moved || s.address.kind != config::Address::Kind::unix_path) {
    uint16_t port = s.address.port_lo;
    if (moved) port = ntohs(addr.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port
                                                        : reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    if (!moved && s.address.port_offset) port = static_cast<uint16_t>(c_.facts_.local_port() + s.address.offset);
    else if (port == 0) port = c_.facts_.local_port();
    if (addr.ss_family == AF_INET6) {
      reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port = htons(port);
      len = sizeof(sockaddr_in6);
    } else {
      reinterpret_cast<sockaddr_in*>(&addr)->sin_port = htons(port);
      len = sizeof(sockaddr_in);
    }
  }
  std::string_view first;
  if (s.sends_proxy()) {
    c->first = w_.buffers().get();
    first = std::string_view(c->first, make_proxy_header(s, c->first, w_.bufsize()));
  }
  const int rc = c->io->connect(w_.loop(), reinterpret_cast<sockaddr*>(&addr), len, first);
  if (rc < 0) {
    fail_connect();
    return;
  }
  if (rc == core::Transport::kDone) {
    on_server_connected(0);   // a unix socket: connected at once
    return;
  }
  if (auto t = be.timeouts.connect) w_.timers().arm(c->timer, *t);
}

// With `option redispatch`, whether this failed attempt goes back to the balancer at once
// (HAProxy's rules) rather than to the same server after the turn-around delay.
bool Exchange::redispatch_now() const {
  const auto& be = w_.config().proxies[be_];
  // `option redispatch N`: every Nth retry (N > 0), or the |N|th retry before the last (N < 0).
  int n = be.redispatch_interval;
  if (n > 0 && retries_done_ % n == 0) return true;
  if (n < 0 && retries_left_ == static_cast<uint8_t>(-n - 1)) return true;
  // A request not bound to its server, balanced by an algorithm that does not hash a key, with
  // another active server to try, is re-balanced on every failure.
  if (direct_) return false;
  const std::string& a = be.balance.algorithm;
  bool hashed = a == "source" || a == "uri" || a == "url_param" || a == "hdr" || a == "rdp-cookie" || a == "hash";
  if (hashed) return false;
  int active = 0;
  const auto& states = w_.runtime().backends[be_].states;
  for (size_t i = 0; i < be.servers.size(); ++i)   // published slots; states has room for more
    if (be.servers.live(i) && !be.servers[i].backup && states[i]->usable()) ++active;
  return active > 1;
}

void Exchange::fail_connect() {
  w_.runtime().observed(be_, srv_idx_, check::Observed::l4_err);
  close_server();
  const auto& be = w_.config().proxies[be_];
  if (retries_left_ == 0 || !(be.retry_on & config::Proxy::retry_conn_failure)) {
    reply_error(503, {'S', 'C'});
    return;
  }
  retry_after_failure(false);
}

void Exchange::drop_replay() {
  if (!replay_) return;
  replay_ = false;
  // While the head is still being written to the server, its write completion frees it.
  if (out_ && server_write_ != ServerWrite::head) {
    w_.buffers().put(out_);
    out_ = nullptr;
  }
}

bool Exchange::retry_layer7(uint16_t flag, int status) {
  if (!replay_ || resp_started_ || retries_left_ == 0 || !out_ || server_write_ != ServerWrite::none) return false;
  const auto& be = w_.config().proxies[be_];
  bool listed = flag ? (be.retry_on & flag) != 0
                     : std::find(be.retry_on_status.begin(), be.retry_on_status.end(), status) != be.retry_on_status.end();
  if (!listed) return false;
  close_server();
  resp_begun_ = resp_complete_ = resp_upgrade_ = false;
  keep_server_ = false;
  retry_after_failure(true);
  return true;
}

void Exchange::retry_after_failure(bool layer7) {
  const auto& be = w_.config().proxies[be_];
  --retries_left_;
  ++retries_done_;
  if (be.redispatch && redispatch_now()) {
    {
      int old = slot_;
      release_slot();
      direct_ = false;   // redispatching breaks persistence
      redispatched_ = true;
      persist_server_ = -1;
      dispatch(old);
      return;
    }
  }
  if (layer7) {
    connect_server(srv_idx_);   // a layer-7 retry goes again at once, as HAProxy's
    return;
  }
  // Same server again after the turn-around delay (1 s, or `timeout connect` when shorter).
  c_.phase_ = Phase::retry_wait;
  retry_target_ = srv_idx_;
  uint64_t wait = kRetryTurnAround;
  if (be.timeouts.connect && *be.timeouts.connect < wait) wait = *be.timeouts.connect;
  c_.arm_client_timer(wait);
}

}  // namespace portero::proxy
