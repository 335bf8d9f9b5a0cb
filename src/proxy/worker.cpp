#include "portero/proxy/worker.h"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "portero/http/message.h"
#include "session.h"
#include "h2_conn.h"
#include "h2_stream.h"
#include "h2_call.h"
#include "h2_upstream.h"

namespace portero::proxy {

Worker::Worker(Runtime& rt, int index) : rt_(rt), index_(index) {
  uv_loop_init(&loop_);
  mailbox_ = std::make_unique<core::Mailbox>(&loop_);
  timers_ = std::make_unique<core::Timers>(&loop_);
  const auto& g = rt_.config->global;
  bufsize_ = g.tune_bufsize;
  max_headers_ = static_cast<uint16_t>(g.tune_http_maxhdr > 32767 ? 32767 : g.tune_http_maxhdr);
  // One block holds a side's bytes and, right after them, the index of a message head.
  // One block holds a side's bytes, right after them the index of a message head, and (for a
  // head rewritten by rules) the Head itself.
  buffers_ = std::make_unique<core::BufferPool>(
      bufsize_ + sizeof(http::Header) * max_headers_ + sizeof(http::Head), 32);
  vars_pool_ = std::make_unique<core::ObjectPool<acl::VarStore>>(64);
  tls_pool_ = std::make_unique<core::ObjectPool<tls::TlsTransport>>(256);
  loop_ctx_ = std::make_unique<core::LoopContext>(&loop_, *buffers_);
  scratch_ = std::make_unique<char[]>(bufsize_);
  log_sender_ = std::make_unique<log::Sender>(rt_.config->global);
  log_sender_->set_pid(static_cast<uint32_t>(getpid()));
  sessions_pool_ = std::make_unique<core::ObjectPool<Session>>(4096);
  server_pool_ = std::make_unique<core::ObjectPool<ServerConn>>(1024);
  exchanges_pool_ = std::make_unique<core::ObjectPool<Exchange>>(1024);
  h2conn_pool_ = std::make_unique<core::ObjectPool<H2Conn>>(64);
  h2stream_pool_ = std::make_unique<core::ObjectPool<H2Stream>>(256);
  h2upstream_pool_ = std::make_unique<core::ObjectPool<H2Upstream>>(16);
  h2call_pool_ = std::make_unique<core::ObjectPool<H2Call>>(256);
  const size_t n = rt_.config->proxies.size();
  idle_.resize(n);
  upstreams_.resize(n);
  pool_stats_.resize(n);
  backend_queues_.resize(n);
  server_queues_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const size_t servers = rt_.config->proxies[i].servers.capacity();   // every slot (add server)
    idle_[i].assign(servers, nullptr);
    upstreams_[i].assign(servers, nullptr);
    pool_stats_[i].resize(servers);
    server_queues_[i].resize(servers);
  }
  // Every few seconds the peaks decay to the current load (HAProxy's pool-purge-delay is 5s).
  uv_timer_init(&loop_, &purge_timer_);
  purge_timer_.data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(&purge_timer_));
  uv_timer_start(&purge_timer_, [](uv_timer_t* t) {
    auto* w = static_cast<Worker*>(t->data);
    for (auto& per_proxy : w->pool_stats_)
      for (auto& st : per_proxy) st.peak = st.busy;
  }, 5000, 5000);
}

Worker::~Worker() {
  for (auto& p : pending_listeners_) ::close(p.fd);
  if (!started_) {
    // Never ran (start-up failed after it was built): close its handles so the loop can go.
    listeners_.clear();
    mailbox_->close();
    timers_->close();
    loop_ctx_->close();
    uv_close(reinterpret_cast<uv_handle_t*>(&purge_timer_), nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
  }
  uv_loop_close(&loop_);
}

void Worker::add_listener(int fd, int proxy_index, int bind_index) {
  pending_listeners_.push_back({fd, proxy_index, bind_index});
}

void Worker::start(std::function<void()> on_exit) {
  on_exit_ = std::move(on_exit);
  for (auto& p : pending_listeners_) {
    listeners_.push_back(std::make_unique<core::Listener>(&loop_, p.fd, on_accept, this, p.proxy,
                                                          core::Listener::Gate{admit, unadmit}));
    // A TLS bind's connections all share its context.
    bind_contexts_.push_back(std::make_unique<BindContext>(
        BindContext{rt_.tls ? rt_.tls->bind(p.proxy, p.bind) : nullptr, p.bind,
                    config().proxies[size_t(p.proxy)].binds[size_t(p.bind)].proto}));
    listeners_.back()->set_context(bind_contexts_.back().get());
  }
  pending_listeners_.clear();
  for (auto& l : listeners_) l->resume();
  started_ = true;
  thread_ = std::thread([this] { run(); });
  // Pinned from here, so the thread is on its CPUs by the time start() returns.
  if (!cpus_.empty()) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int c : cpus_) CPU_SET(c, &set);
    pthread_setaffinity_np(thread_.native_handle(), sizeof(set), &set);
  }
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::run() {
  uv_run(&loop_, UV_RUN_DEFAULT);
  // Everything is closed; let the close callbacks run, then release the loop's own handles.
  mailbox_->close();
  timers_->close();
  loop_ctx_->close();
  uv_close(reinterpret_cast<uv_handle_t*>(&purge_timer_), nullptr);
  uv_run(&loop_, UV_RUN_DEFAULT);
  if (on_exit_) on_exit_();
}

void Worker::soft_stop() { post([this] { stop_now(false); }); }

void Worker::hard_stop() { post([this] { stop_now(true); }); }

// Worker thread: no more accepting; sessions finish their exchange (soft) or close now (hard);
// idle server connections serve no one any more.
void Worker::stop_now(bool hard) {
  stopping_ = true;
  soft_stop_at_ = uv_now(&loop_);
  spread_rng_ = uv_hrtime() * 0x9E3779B97F4A7C15ull + uint64_t(index_) + 1;
  mailbox_->release_loop();
  for (auto& l : listeners_) l->close();
  for (Session* s = sessions_; s;) {
    Session* next = s->next;
    if (hard) s->hard_close();
    else s->soft_stop();
    s = next;
  }
  for (auto& per_server : idle_)
    for (auto& head : per_server)
      while (head) {
        ServerConn* c = head;
        forget_idle(c);
        c->close();
      }
  // Shared HTTP/2 server connections: GOAWAY; each closes once its last call is gone.
  for (auto& per_server : upstreams_)
    for (auto& head : per_server)
      while (head) head->stop();   // unlists it
}

namespace {
uint64_t next_random(uint64_t& x) {   // xorshift64: draws of no consequence beyond spreading
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return x;
}
}  // namespace

bool Worker::closes_on_soft_stop_draw() {
  const auto& g = config().global;
  if (g.close_spread_infinite) return false;
  if (g.close_spread_ms == 0) return true;
  const uint64_t elapsed = uv_now(&loop_) - soft_stop_at_;
  return elapsed >= g.close_spread_ms || next_random(spread_rng_) % g.close_spread_ms < elapsed;
}

uint64_t Worker::idle_close_delay() {
  const auto& g = config().global;
  if (g.close_spread_infinite) return UINT64_MAX;
  const uint64_t elapsed = uv_now(&loop_) - soft_stop_at_;
  if (g.close_spread_ms == 0 || elapsed >= g.close_spread_ms) return 0;
  return next_random(spread_rng_) % (g.close_spread_ms - elapsed);
}

void Worker::shutdown_server_sessions(int proxy_index, int server_index) {
  post([this, proxy_index, server_index] {
    for (Session* s = sessions_; s;) {
      Session* next = s->next;
      if (s->serving(proxy_index, server_index)) s->hard_close();
      s = next;
    }
  });
}

void Worker::forget_server(int proxy_index, int server_index, std::function<void()> done) {
  post([this, proxy_index, server_index, done = std::move(done)] {
    ServerConn*& idle = idle_[size_t(proxy_index)][size_t(server_index)];
    while (idle) {
      ServerConn* c = idle;
      forget_idle(c);
      c->close();
    }
    H2Upstream*& shared = upstreams_[size_t(proxy_index)][size_t(server_index)];
    while (shared) shared->stop();   // GOAWAY; unlists it
    done();
  });
}

void Worker::shutdown_frontend(int proxy_index) {
  post([this, proxy_index] {
    for (auto& l : listeners_)
      if (int(l->tag()) == proxy_index) l->close();
  });
}

void Worker::list_sessions(std::function<void(std::vector<stats::SessionInfo>)> done) {
  post([this, done = std::move(done)] {
    std::vector<stats::SessionInfo> out;
    const uint64_t now = uv_now(&loop_);
    for (Session* s = sessions_; s; s = s->next) out.push_back(s->info(now));
    done(std::move(out));
  });
}

void Worker::pause_listeners() {
  post([this] {
    paused_by_signal_ = true;
    for (auto& l : listeners_) l->suspend();
  });
}

void Worker::resume_listeners() {
  post([this] {
    paused_by_signal_ = false;
    if (!paused_by_maxconn_)
      for (auto& l : listeners_) l->resume();
  });
}

void Worker::on_accept(void* self, int fd, const sockaddr_storage& peer, socklen_t, core::Listener& from) {
  static_cast<Worker*>(self)->accept_one(fd, peer, from);
}

// Counts the connection against the global and the frontend maxconn before it is accepted
// (compare-and-swap: threads sharing a limit never overshoot it, as HAProxy's listeners).
bool Worker::admit(void* self, core::Listener& from) {
  auto* w = static_cast<Worker*>(self);
  Runtime& rt = w->rt_;
  FrontendRuntime& fe = rt.frontends[from.tag()];
  auto take = [](std::atomic<uint32_t>& n, uint32_t max) {
    uint32_t cur = n.load(std::memory_order_relaxed);
    do {
      if (cur >= max) return false;
    } while (!n.compare_exchange_weak(cur, cur + 1, std::memory_order_relaxed));
    return true;
  };
  if (take(rt.cur_conns, rt.maxconn.load(std::memory_order_relaxed))) {
    if (take(fe.cur_conns, fe.maxconn.load(std::memory_order_relaxed))) return true;
    rt.cur_conns.fetch_sub(1, std::memory_order_relaxed);
    from.pause();   // this frontend is full; the others still accept
  } else {
    for (auto& l : w->listeners_) l->pause();   // the process is full
  }
  if (!w->paused_by_maxconn_) {
    w->paused_by_maxconn_ = true;
    rt.maxconn_waiters.fetch_add(1, std::memory_order_relaxed);
  }
  // A connection may have closed between the test and the pause: look once more.
  if (rt.cur_conns.load(std::memory_order_relaxed) < rt.maxconn.load(std::memory_order_relaxed) &&
      fe.cur_conns.load(std::memory_order_relaxed) < fe.maxconn.load(std::memory_order_relaxed))
    w->post([w] { w->wake_paused_listeners(); });
  return false;
}

void Worker::unadmit(void* self, core::Listener& from) {
  auto* w = static_cast<Worker*>(self);
  w->rt_.frontends[from.tag()].cur_conns.fetch_sub(1, std::memory_order_relaxed);
  w->rt_.cur_conns.fetch_sub(1, std::memory_order_relaxed);
}

void Worker::accept_one(int fd, const sockaddr_storage& peer, core::Listener& from) {
  int proxy = static_cast<int>(from.tag());
  const uint32_t local = rt_.frontends[proxy].cur_conns.load(std::memory_order_relaxed);
  rt_.cum_conns.fetch_add(1, std::memory_order_relaxed);
  stats::Counters& c = px_counters(proxy);
  c.max_of(&stats::Counters::cur_max, local);
  Session* s = sessions_pool_->make(*this, proxy);
  s->next = sessions_;
  if (sessions_) sessions_->prev = s;
  sessions_ = s;
  s->open(fd, peer, from.fd(), *static_cast<const BindContext*>(from.context()));
}

Session* Worker::new_stream_session(int frontend) {
  Session* s = sessions_pool_->make(*this, frontend);
  s->next = sessions_;
  if (sessions_) sessions_->prev = s;
  sessions_ = s;
  return s;
}

H2Conn* Worker::new_h2conn(Session& conn) { return h2conn_pool_->make(*this, conn); }
void Worker::free_h2conn(H2Conn* c) { h2conn_pool_->destroy(c); }
H2Stream* Worker::new_h2stream(H2Conn& conn, int32_t id) { return h2stream_pool_->make(conn, id); }
void Worker::free_h2stream(H2Stream* s) { h2stream_pool_->destroy(s); }
H2Upstream* Worker::new_h2upstream(ServerConn& carrier, bool shared) {
  return h2upstream_pool_->make(*this, carrier, shared);
}
void Worker::free_h2upstream(H2Upstream* u) { h2upstream_pool_->destroy(u); }
H2Call* Worker::new_h2call(H2Upstream& up) { return h2call_pool_->make(up); }
void Worker::free_h2call(H2Call* c) { h2call_pool_->destroy(c); }

void Worker::list_upstream(H2Upstream* u) {
  H2Upstream*& head = upstreams_[size_t(u->proxy_index())][size_t(u->server_index())];
  u->prev = nullptr;
  u->next = head;
  if (head) head->prev = u;
  head = u;
}

void Worker::forget_upstream(H2Upstream* u) {
  H2Upstream*& head = upstreams_[size_t(u->proxy_index())][size_t(u->server_index())];
  if (u->prev) u->prev->next = u->next;
  else if (head == u) head = u->next;
  if (u->next) u->next->prev = u->prev;
  u->next = u->prev = nullptr;
}

void Worker::session_closed(Session* s) {
  if (s->prev) s->prev->next = s->next;
  else sessions_ = s->next;
  if (s->next) s->next->prev = s->prev;
  int proxy = s->frontend();
  const bool stream = s->is_stream();
  sessions_pool_->destroy(s);
  if (stream) return;   // a stream of a connection, which counts itself
  rt_.frontends[proxy].cur_conns.fetch_sub(1, std::memory_order_relaxed);
  rt_.cur_conns.fetch_sub(1, std::memory_order_relaxed);
  // A slot is free: every thread with a listener paused at a limit may accept again.
  if (rt_.maxconn_waiters.load(std::memory_order_relaxed) == 0) return;
  for (Worker* w : peers_) {
    if (w == this) wake_paused_listeners();
    else w->post([w] { w->wake_paused_listeners(); });
  }
}

// Worker thread: listeners paused at a maxconn accept again (the gate pauses them anew if
// the limit is still reached).
void Worker::wake_paused_listeners() {
  if (!paused_by_maxconn_) return;
  paused_by_maxconn_ = false;
  rt_.maxconn_waiters.fetch_sub(1, std::memory_order_relaxed);
  if (paused_by_signal_ || stopping_) return;
  for (auto& l : listeners_)
    if (!l->closed()) l->resume();
}

void Worker::enqueue(Exchange* x, int proxy_index, int server_index) {
  Pending& q = server_index < 0 ? backend_queues_[proxy_index] : server_queues_[proxy_index][server_index];
  x->queued_on = server_index;
  x->queued_seq = ++queue_seq_;
  x->qnext = nullptr;
  x->qprev = q.tail;
  if (q.tail) q.tail->qnext = x;
  else q.head = x;
  q.tail = x;
}

void Worker::dequeue(Exchange* x) {
  if (x->queued_on == Exchange::kNotQueued) return;
  int p = x->be_;
  Pending& q = x->queued_on < 0 ? backend_queues_[p] : server_queues_[p][x->queued_on];
  auto& br = rt_.backends[p];
  (x->queued_on < 0 ? br.queued : br.server_queued[x->queued_on]).fetch_sub(1, std::memory_order_relaxed);
  if (x->qprev) x->qprev->qnext = x->qnext;
  else q.head = x->qnext;
  if (x->qnext) x->qnext->qprev = x->qprev;
  else q.tail = x->qprev;
  x->qnext = x->qprev = nullptr;
  x->queued_on = Exchange::kNotQueued;
}

void Worker::slot_freed(int p, int idx) {
  // The oldest of "waiting for this server" and "waiting for any server of the backend".
  Exchange* a = server_queues_[p][idx].head;
  Exchange* b = backend_queues_[p].head;
  Exchange* next = !a ? b : !b ? a : (a->queued_seq < b->queued_seq ? a : b);
  if (next) {
    // Through its client connection, which holds an Entry while the exchange runs.
    Session& s = next->c_;
    if (!s.try_take_slot(idx)) return;   // another thread took the slot first
    dequeue(next);
    s.on_dequeued(idx);
    return;
  }
  // Nothing waits here; requests queued on other threads may.
  auto& br = rt_.backends[p];
  if (br.queued.load(std::memory_order_relaxed) == 0 && br.server_queued[idx].load(std::memory_order_relaxed) == 0)
    return;
  for (Worker* w : peers_)
    if (w != this) w->post([w, p, idx] { w->slot_freed(p, idx); });
}

ServerConn* Worker::take_idle(int proxy_index, int server_index, uint64_t sni_key) {
  ServerConn* c = idle_[proxy_index][server_index];
  // A TLS connection made with one SNI never serves a request that asks for another.
  while (c && c->sni_key != sni_key) c = c->idle_next;
  if (!c) return nullptr;
  forget_idle(c);
  return c;
}

void Worker::conn_busy(int p, int s) {
  PoolStats& st = pool_stats_[p][s];
  if (++st.busy > st.peak) st.peak = st.busy;
  auto& g = rt_.backends[p].conns[s];
  const uint32_t used = g.used.fetch_add(1, std::memory_order_relaxed) + 1;
  uint32_t peak = g.peak_used.load(std::memory_order_relaxed);
  while (used > peak && !g.peak_used.compare_exchange_weak(peak, used, std::memory_order_relaxed)) {
  }
}

void Worker::conn_done(int p, int s) {
  --pool_stats_[p][s].busy;
  rt_.backends[p].conns[s].used.fetch_sub(1, std::memory_order_relaxed);
}

void Worker::put_idle(ServerConn* c) {
  PoolStats& st = pool_stats_[c->proxy_index][c->server_index];
  const config::Server& srv = rt_.config->proxies[c->proxy_index].servers[c->server_index];
  auto& g = rt_.backends[c->proxy_index].conns[c->server_index];
  // pool-max-conn: the server's idle connections, every thread's together.
  if (st.idle >= st.peak ||
      (srv.pool_max_conn >= 0 && g.idle.load(std::memory_order_relaxed) >= uint32_t(srv.pool_max_conn))) {
    c->close();
    return;
  }
  ++st.idle;
  g.idle.fetch_add(1, std::memory_order_relaxed);
  if (c->reused) g.safe.fetch_add(1, std::memory_order_relaxed);   // it served more than one request
  ServerConn*& head = idle_[c->proxy_index][c->server_index];
  c->idle = true;
  c->idle_prev = nullptr;
  c->idle_next = head;
  if (head) head->idle_prev = c;
  head = c;
  // Watch it: a server closing an idle connection must not be noticed by the next request.
  c->start_reading();
  // Idle server connections are closed after the server's pool-purge-delay (0: kept).
  if (srv.pool_purge_delay) timers_->arm(c->timer, srv.pool_purge_delay);
}

void Worker::forget_idle(ServerConn* c) {
  if (!c->idle) return;
  --pool_stats_[c->proxy_index][c->server_index].idle;
  auto& g = rt_.backends[c->proxy_index].conns[c->server_index];
  g.idle.fetch_sub(1, std::memory_order_relaxed);
  if (c->reused) g.safe.fetch_sub(1, std::memory_order_relaxed);
  ServerConn*& head = idle_[c->proxy_index][c->server_index];
  if (c->idle_prev) c->idle_prev->idle_next = c->idle_next;
  else head = c->idle_next;
  if (c->idle_next) c->idle_next->idle_prev = c->idle_prev;
  c->idle_next = c->idle_prev = nullptr;
  c->idle = false;
  timers_->disarm(c->timer);
}

ServerConn* Worker::new_server_conn() {
  ++live_server_conns_;
  return server_pool_->make(*this);
}

void Worker::free_server_conn(ServerConn* c) {
  --live_server_conns_;
  server_pool_->destroy(c);
}

Exchange* Worker::new_exchange(Session& s, int frontend) { return exchanges_pool_->make(*this, s, frontend); }
void Worker::free_exchange(Exchange* x) { exchanges_pool_->destroy(x); }

}  // namespace portero::proxy

namespace portero::proxy {

uint64_t Worker::stats_wait(Session* s) {
  stats_waiting_.emplace_back(++stats_tickets_, s);
  return stats_tickets_;
}

void Worker::stats_forget(uint64_t ticket) {
  for (size_t i = 0; i < stats_waiting_.size(); ++i)
    if (stats_waiting_[i].first == ticket) {
      stats_waiting_.erase(stats_waiting_.begin() + long(i));
      return;
    }
}

Session* Worker::stats_waiting(uint64_t ticket) {
  for (auto& [t, s] : stats_waiting_)
    if (t == ticket) return s;
  return nullptr;
}
}  // namespace portero::proxy
