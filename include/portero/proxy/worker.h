#pragma once
// One worker thread: its own libuv loop, its own listening sockets (SO_REUSEPORT), its own
// connections, balancers and server connection pool. Objects never cross threads; other
// threads reach a worker only through post().
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include <uv.h>

#include "portero/acl/acl.h"
#include "portero/core/buffer_pool.h"
#include "portero/core/listener.h"
#include "portero/core/loop_context.h"
#include "portero/core/mailbox.h"
#include "portero/core/timers.h"
#include "portero/lb/balancer.h"
#include "portero/log/log.h"
#include "portero/proxy/runtime.h"
#include "portero/tls/transport.h"

namespace portero::proxy {

class Session;
struct Exchange;
class ServerConn;
class H2Upstream;
class H2Call;
class H2Conn;
class H2Stream;

// What the connections of one listener need of their bind line.
struct BindContext {
  SSL_CTX* tls = nullptr;   // `bind ... ssl`: its context (certificates chosen by SNI)
  int bind = 0;             // the line's index in its frontend
  config::MuxProto proto = config::MuxProto::unset;   // `proto h1|h2`: no guessing from the bytes
};

class Worker {
 public:
  Worker(Runtime& rt, int index);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Main thread, before start(): a listening socket of bind `bind_index` of frontend `proxy_index`.
  void add_listener(int fd, int proxy_index, int bind_index);
  // Starts the thread; `on_exit` runs on it once its loop has ended (after a stop).
  void start(std::function<void()> on_exit);
  void join();
  // Main thread, before start(): the CPUs the thread runs on (cpu-map). The thread pins itself
  // before it accepts anything, so nothing is ever served from an unpinned thread.
  void set_affinity(const std::vector<int>& cpus) { cpus_ = cpus; }

  // Any thread: run `fn` on this worker's loop.
  void post(std::function<void()> fn) { mailbox_->post(std::move(fn)); }
  // Any thread: control requests, carried out on the worker's loop.
  void soft_stop();     // stop accepting, finish the exchanges in flight, then exit
  void hard_stop();     // close everything now
  void pause_listeners();
  void resume_listeners();
  // Any thread: a server's sessions must end (on-marked-down shutdown-sessions).
  void shutdown_server_sessions(int proxy_index, int server_index);
  // Any thread: `del server`: this worker closes its idle connections to that server (and says
  // goodbye to its shared HTTP/2 ones), then runs `done` on its own thread.
  void forget_server(int proxy_index, int server_index, std::function<void()> done);
  // Any thread: `shutdown frontend`: this worker's listeners of that frontend close for good.
  void shutdown_frontend(int proxy_index);
  // Any thread: `show sess`: `done` runs on this worker's thread with its live sessions.
  void list_sessions(std::function<void(std::vector<stats::SessionInfo>)> done);

  // --- worker thread only ---
  uv_loop_t* loop() { return &loop_; }
  core::Timers& timers() { return *timers_; }
  core::BufferPool& buffers() { return *buffers_; }
  Runtime& runtime() { return rt_; }
  const config::Config& config() const { return *rt_.config; }
  lb::Balancer* balancer(int proxy_index) { return rt_.balancers[proxy_index].get(); }
  bool stopping() const { return stopping_; }
  // During a soft stop (`close-spread-time`): whether the exchange starting now closes its
  // client connection after it (at once without a window; with one, a chance that grows with
  // the time spent in it; never with `infinite`), and how long a connection going idle now may
  // stay open at most (a random point of what is left of the window).
  bool closes_on_soft_stop() { return stopping_ && closes_on_soft_stop_draw(); }
  uint64_t idle_close_delay();
  uint32_t bufsize() const { return bufsize_; }
  // A bufsize-long scratch area for one evaluation at a time (rule values, replacements).
  char* scratch() { return scratch_.get(); }
  // Per-transaction variables, pooled: taken on a request's first set-var, given back after.
  acl::VarStore* new_vars() {
    acl::VarStore* v = vars_pool_->make();
    v->clear();
    return v;
  }
  void free_vars(acl::VarStore* v) { vars_pool_->destroy(v); }
  // The state of a request in progress, pooled (an idle connection holds none).
  Exchange* new_exchange(Session& s, int frontend);
  void free_exchange(Exchange* x);
  // TLS connections' state, pooled (only TLS binds and servers take one).
  tls::TlsTransport* new_tls() { return tls_pool_->make(); }
  void free_tls(tls::TlsTransport* t) { tls_pool_->destroy(t); }
  log::Sender& log_sender() { return *log_sender_; }
  uint16_t max_headers() const { return max_headers_; }
  // A pooled block holds bufsize() bytes, then the header index slots of the head parsed in it.
  http::Header* header_slots(char* block) const { return reinterpret_cast<http::Header*>(block + bufsize_); }
  // This worker's own counter blocks (it is their only writer).
  stats::Counters& px_counters(int proxy) { return rt_.counters->proxy(size_t(index_), size_t(proxy)); }
  stats::Counters& be_counters(int proxy) { return rt_.counters->backend(size_t(index_), size_t(proxy)); }
  stats::Counters& srv_counters(int proxy, int server) {
    return rt_.counters->server(size_t(index_), size_t(proxy), size_t(server));
  }

  // Idle server connections kept for reuse, per server (LIFO).
  // `sni_key`: the hash of the SNI the request's connection needs (0: none).
  ServerConn* take_idle(int proxy_index, int server_index, uint64_t sni_key);
  void put_idle(ServerConn* c);
  void forget_idle(ServerConn* c);
  ServerConn* new_server_conn();
  void free_server_conn(ServerConn* c);
  // A server connection starts / stops serving a request.
  void conn_busy(int proxy_index, int server_index);
  void conn_done(int proxy_index, int server_index);

  void session_closed(Session* s);
  // HTTP/2 client connections and their streams, pooled. A stream's session is a session of
  // the frontend, listed with the others (show sess, stops), not a connection of its own.
  H2Conn* new_h2conn(Session& conn);
  void free_h2conn(H2Conn* c);
  H2Stream* new_h2stream(H2Conn& conn, int32_t id);
  void free_h2stream(H2Stream* s);
  // HTTP/2 connections to servers and their calls, pooled; the shared ones are listed per
  // server, for the exchanges that may open a stream on one (h2_upstream.h).
  H2Upstream* new_h2upstream(ServerConn& carrier, bool shared);
  void free_h2upstream(H2Upstream* u);
  H2Call* new_h2call(H2Upstream& up);
  void free_h2call(H2Call* c);
  H2Upstream* upstreams(int proxy_index, int server_index) { return upstreams_[size_t(proxy_index)][size_t(server_index)]; }
  void list_upstream(H2Upstream* u);
  void forget_upstream(H2Upstream* u);
  Session* new_stream_session(int frontend);
  // Stats page requests waiting for the main thread: a ticket per session, forgotten when the
  // session closes first (then the answer is dropped).
  uint64_t stats_wait(Session* s);
  void stats_forget(uint64_t ticket);
  Session* stats_waiting(uint64_t ticket);

  // Requests waiting for a connection slot: each backend has its own queue and one per server
  // (worker-local lists; the totals of all workers are in BackendRuntime for the others to see).
  // An exchange waiting for a server slot (FIFO per queue, ordered across queues).
  void enqueue(Exchange* x, int proxy_index, int server_index /* -1: the backend's queue */);
  void dequeue(Exchange* x);   // no-op when it is not queued
  // A slot of server `server_index` of backend `proxy_index` was freed: hand it to the request
  // that has waited longest for that server or for any server of the backend.
  void slot_freed(int proxy_index, int server_index);

 private:
  static void on_accept(void* self, int fd, const sockaddr_storage& peer, socklen_t len,
                        core::Listener& from);
  void accept_one(int fd, const sockaddr_storage& peer, core::Listener& from);
  // maxconn, global and per frontend, shared by every thread: a connection is counted before
  // it is accepted; a listener at the limit pauses until some thread frees a connection.
  static bool admit(void* self, core::Listener& from);
  static void unadmit(void* self, core::Listener& from);
  void wake_paused_listeners();
  void run();
  void update_saturation();
  void stop_now(bool hard);

  Runtime& rt_;
  int index_;
  uv_loop_t loop_;
  std::thread thread_;
  std::vector<int> cpus_;   // cpu-map pinning, empty: the process' set
  std::function<void()> on_exit_;
  std::unique_ptr<core::Mailbox> mailbox_;
  std::unique_ptr<core::Timers> timers_;
  std::unique_ptr<core::BufferPool> buffers_;
  std::vector<std::unique_ptr<core::Listener>> listeners_;
  std::vector<std::unique_ptr<BindContext>> bind_contexts_;   // one per listener
  struct PendingListener {
    int fd, proxy, bind;
  };
  std::vector<PendingListener> pending_listeners_;   // before start
  // idle_[proxy][server] -> intrusive LIFO of idle connections
  std::vector<std::vector<ServerConn*>> idle_;
  // upstreams_[proxy][server] -> intrusive list of shared HTTP/2 server connections
  std::vector<std::vector<H2Upstream*>> upstreams_;
  // Per server: connections serving a request now, the peak of that since the last purge,
  // and how many sit idle. The idle pool never holds more than the recent peak, so a burst
  // of one-request clients does not leave one server connection behind per client.
  struct PoolStats {
    uint32_t busy = 0, peak = 0, idle = 0;
  };
  std::vector<std::vector<PoolStats>> pool_stats_;
  struct Pending {
    Exchange* head = nullptr;
    Exchange* tail = nullptr;
  };
  std::vector<Pending> backend_queues_;               // indexed like config proxies
  std::vector<std::vector<Pending>> server_queues_;   // [proxy][server]
  uint64_t queue_seq_ = 0;                            // FIFO order across a backend's queues
  std::vector<Worker*> peers_;                        // every worker, for cross-thread dequeues
 public:
  void set_peers(std::vector<Worker*> peers) { peers_ = std::move(peers); }
 private:
  uv_timer_t purge_timer_;
  std::unique_ptr<core::ObjectPool<Session>> sessions_pool_;
  std::unique_ptr<core::ObjectPool<Exchange>> exchanges_pool_;   // one per request in progress
  std::unique_ptr<core::ObjectPool<ServerConn>> server_pool_;
  std::unique_ptr<core::ObjectPool<acl::VarStore>> vars_pool_;
  std::unique_ptr<core::ObjectPool<tls::TlsTransport>> tls_pool_;
  std::unique_ptr<core::ObjectPool<H2Conn>> h2conn_pool_;
  std::unique_ptr<core::ObjectPool<H2Stream>> h2stream_pool_;
  std::unique_ptr<core::ObjectPool<H2Upstream>> h2upstream_pool_;
  std::unique_ptr<core::ObjectPool<H2Call>> h2call_pool_;
  // What the loop's transports share (loop_.data points to it): pending requests, deferred work.
  std::unique_ptr<core::LoopContext> loop_ctx_;
  std::unique_ptr<char[]> scratch_;
  std::unique_ptr<log::Sender> log_sender_;   // this thread's own log sockets
  Session* sessions_ = nullptr;      // intrusive list of live sessions
  std::vector<std::pair<uint64_t, Session*>> stats_waiting_;
  uint64_t stats_tickets_ = 0;
  uint32_t live_server_conns_ = 0;
  uint32_t bufsize_;
  uint16_t max_headers_;
  bool closes_on_soft_stop_draw();
  bool stopping_ = false;
  uint64_t soft_stop_at_ = 0;   // uv_now of the soft stop
  uint64_t spread_rng_ = 0;     // xorshift state for the close-spread-time draws
  bool started_ = false;
  bool paused_by_signal_ = false;
  bool paused_by_maxconn_ = false;

  friend class Session;
  friend struct Exchange;
};

}  // namespace portero::proxy
