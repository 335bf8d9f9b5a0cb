#pragma once
// A client connection and the HTTP exchange in progress on it, plus the server connection it
// talks to. Worker-local: created, used and destroyed on one worker's loop, allocated from the
// worker's pools. Both sides read into pooled buffers held only while they carry bytes.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>
#include <netinet/in.h>

#include <uv.h>

#include "portero/core/timers.h"
#include "portero/core/transport.h"
#include "portero/tls/transport.h"
#include "portero/config/config.h"
#include "portero/http/head_edit.h"
#include "portero/http/parser.h"
#include "portero/acl/acl.h"
#include "portero/lb/balancer.h"
#include "portero/proxy/bound_rules.h"
#include "portero/stats/source.h"

#include "portero/log/log.h"
#include "exchange.h"

namespace portero::proxy {

class Worker;
struct BindContext;
// An IPv4 or IPv6 socket address (a unix socket leaves it zeroed).
union SockAddr {
  sockaddr sa;
  sockaddr_in v4;
  sockaddr_in6 v6;
};

class Session;

// The bytes one side has received and not yet finished with: [fwd, end) of `data`.
// `parsed` is how far the HTTP parser has looked (fwd <= parsed <= end).
struct ReadBuffer {
  char* data = nullptr;
  uint32_t fwd = 0;
  uint32_t parsed = 0;
  uint32_t end = 0;
};

// How an exchange ended, in HAProxy's termination letters (first two chars of %tsc).
struct Termination {
  char cause = '-';   // C client abort, S server, P proxy, R resource, c/s timeouts...
  char state = '-';   // R request, Q queue, C connect, H headers, D data, L last, T tarpit
};

class ServerConn {
 public:
  explicit ServerConn(Worker& w) : worker(w) {}
  core::TcpTransport tcp;        // the socket; never moves (pool-allocated object)
  core::Transport* io = &tcp;    // what we talk through: the socket, or TLS over it
  tls::TlsTransport* tls = nullptr;  // TLS over tcp (pooled), to a `server ... ssl`
  uint64_t sni_key = 0;          // hash of the SNI it was made with (0: none), for reuse
  Worker& worker;
  Session* owner = nullptr;      // null while idle in the pool
  Session* keeper = nullptr;     // `http-reuse never`: the client session it stays private to
  int proxy_index = -1;          // backend
  int server_index = -1;
  http::Parser parser{http::Parser::Kind::response};
  ReadBuffer in;
  core::TimerNode timer;
  ServerConn* idle_next = nullptr;   // links in the worker's idle pool
  ServerConn* idle_prev = nullptr;
  bool connected = false;
  bool reading = false;
  bool writing = false;
  bool closing = false;
  bool reused = false;           // served an earlier request
  bool idle = false;
  bool busy = false;             // counted in the worker's pool statistics as serving a request

  void set_busy(bool b);
  void start_reading();
  void stop_reading();
  void release_buffer();
  void close();                  // closes the socket; the object is freed in the close callback
  static const core::TransportEvents kEvents;
};

class Session {
 public:
  Session(Worker& w, int proxy_index);
  ~Session() {
    retire_exchange();
    settle_retired();
    release_exchange();
  }

  // Takes `fd` (accepted, non-blocking) and starts reading; over TLS on a `bind ... ssl`.
  bool open(int fd, const sockaddr_storage& peer, int listener_fd, const BindContext& bind);
  // Worker control: finish the current exchange and close / close now.
  void soft_stop();
  void hard_close();
  int frontend() const { return fe_; }
  stats::SessionInfo info(uint64_t now_ms) const;   // `show sess`

  Session* next = nullptr;   // worker's list of live sessions
  Session* prev = nullptr;
  // Links in one of the worker's queues while waiting for a server slot.
  Session* qnext = nullptr;
  Session* qprev = nullptr;
  int queued_on = kNotQueued;   // -1: the backend's queue; >= 0: that server's queue
  uint64_t queued_seq = 0;
  static constexpr int kNotQueued = -2;

  // Worker: a slot of server `idx` is ours if we can take it; then the request proceeds.
  bool try_take_slot(int idx);
  void on_dequeued(int idx);
  int backend() const { return x().be_; }
  bool serving(int proxy_index, int server_index) const { return x().be_ == proxy_index && x().slot_ == server_index; }
  enum class Tri : uint8_t { yes, no, miss };   // a condition on bytes that may still come

  // Called by the server connection's callbacks.
  void on_server_connected(int status);
  void on_server_read(ssize_t nread);
  void on_server_write_done(int status);
  void on_server_timeout();

 private:
  enum class Phase : uint8_t {
    idle,          // between requests (keep-alive) or before the first one
    inspect,       // mode tcp: waiting for content the tcp-request rules need
    head,          // receiving a request head
    queued,        // waiting for a server slot (maxconn), under `timeout queue`
    retry_wait,    // between two connection attempts (HAProxy's 1 s turn-around)
    body_wait,     // http-request wait-for-body: buffering the body before the next rules
    tarpit,        // http-request tarpit: holding the client before answering
    stats,         // the stats page is being rendered on the main thread
    connecting,    // waiting for a server connection
    request,       // request head sent, body still flowing to the server
    response,      // request fully sent, waiting for / relaying the response
    tunnel,        // after a protocol switch: bytes relayed both ways
    closing,       // last bytes written, lingering until the client closes
  };
  // What a pending write to the client carries, to know how to continue once it is done.
  enum class ClientWrite : uint8_t { none, response, interim, local, tunnel };

  // The client transport's events.
  static const core::TransportEvents kClientEvents;
  static void on_alloc(void* self, uv_buf_t* room);
  static void on_read(void* self, ssize_t nread);
  static void on_write_done(void* self, int status);
  static void on_shutdown(void* self, int status);
  static void on_closed(void* self);
  static void on_client_handshake(void* self, int status);   // TLS: the client's handshake is done
  static void on_client_timer(core::TimerNode* n);

  // Request side
  void handle_client_input();
  void handle_client_eof();
  void parse_request_body();
  static bool is_h2_preface(const ReadBuffer& b);
  void start_request();
  // dispatch.cpp: choosing a server, slots, queues, retries
  void dispatch(int avoid);
  void use_server_rules();
  uint32_t server_maxconn(int idx) const;
  void release_slot();
  void enqueue(int where);
  lb::PickContext pick_context() const;
  // http_rules.cpp
  enum class RuleResult : uint8_t { next, stop, answered, wait };
  const http::Head& req_head() const;    // the request head as rules left it
  const char* req_base() const;
  http::Head* block_head(char* block) const;
  acl::SampleContext sample(bool final) const;
  std::string_view eval_format(const acl::Expression* fmt, const acl::SampleContext& ctx, char* out, size_t cap);
  RuleResult run_rules(const std::vector<BoundRule>& rules, int proxy_index, size_t from, bool request);
  void process_request();
  bool choose_backend();                // select_backend(), or a 503
  int select_backend();
  void dispatch_request();
  bool process_response_rules();
  bool edit_head(bool request, const http::HeadEdit& e);
  void release_rewrites();
  void reply_auth(const std::string& realm);
  void reply_redirect(const config::Redirect& r, const acl::Expression* target);
  void reply_return(const BoundRule& b, int proxy_index, uint16_t default_status, Termination t = {'P', 'R'});
  // http-request reject, http-request/response silent-drop: no answer, the connection closed
  // (silently: nothing at all reaches the client, as far as the kernel allows).
  void drop_client(bool silent, bool response);
  // `option http-buffer-request` of proxy p: parks the request until its body is whole (or
  // fills the buffer); true while it waits.
  bool buffer_request_body(int proxy_index);
  // traffic_log.cpp
  bool logging() const;
  void log_request_start();
  void log_request_line();
  void log_exchange();
  void release_log_block();
  void log_response_head();            // `capture response header`: at the final response head
  // The TLS handshake did not complete: HAProxy's connection line ("fe/1: SSL handshake
  // failure"), no stream, no request; then the connection closes.
  void handshake_failed(log::HandshakeEnd how);
  // `http-request/http-response capture ... id|len`: stores `v` (cut at the slot's length) in
  // the frontend's request (or response) capture slot `id`; ignored when there is no such slot.
  void capture_sample(bool response, int id, std::string_view v);
  // `capture.req.hdr(N)` / `capture.res.hdr(N)`, for acl::SampleContext.
  static bool captured_of(const void* self, bool response, int64_t index, std::string_view& out);
  std::string_view unique_id();        // the request's unique-id-format, computed once
  static std::string_view unique_id_of(const void* self);   // for acl::SampleContext
  void fill_log_record(log::Record& r, uint64_t now);
  std::string_view make_unique_id(bool at_log_time);
  void init_log_block();
  // %[...] of the log formats when the exchange is over: what HAProxy still knows then.
  acl::SampleContext log_sample_context(http::Head& req, http::Head& res) const;
  // counting.cpp: the exchange's counters (frontend, backend, server), once, at its end
  void count_exchange();
  void count_request();
  void count_status(bool from_server);
  bool backend_counted() const;
  // stats_page.cpp: `stats uri` of proxy p matched: answer from the main thread
  bool stats_request(int proxy_index);
  void start_stats(int proxy_index, bool prometheus = false);
  // `show errors`: keeps the rejected request's bytes for the admin socket (rare).
  void capture_bad_request(uint32_t error_at);
  // cookies.cpp
  void cookie_request();
  bool cookie_response();
  bool response_cacheable(const http::Head& h, const char* base) const;
  // tcp_mode.cpp
  bool tcp_mode() const;
  void start_tcp();
  bool connection_rules_accept();
  void inspect_tcp(bool final);
  void route_tcp();
  void start_tcp_relay();
  Tri eval_tcp_condition(int proxy_index, size_t rule, bool final) const;
  Tri run_tcp_rules(int proxy_index, bool final);
  void connect_server(int server_index);
  void fail_connect();
  void retry_after_failure(bool layer7);   // the next attempt of a retried request
  // `retry-on`: retries the kept request when `flag` (or `status`, when flag is 0) is listed.
  bool retry_layer7(uint16_t flag, int status);
  void drop_replay();
  bool redispatch_now() const;
  void send_request_head();
  bool rename_replay();
  void forward_request_body();
  void request_sent();
  // Response side
  void handle_response_input();
  void send_response_head(bool interim);
  void forward_response_body();
  void response_written();
  void end_exchange();
  void begin_next_request();
  // Tunnel (after 101 Switching Protocols)
  void start_tunnel();
  void relay_to_server();
  void relay_to_client();
  std::optional<uint64_t> tunnel_timeout() const;
  bool split_timeouts() const;
  std::optional<uint64_t> side_timeout(bool client) const;
  void server_side_timeout();

  // Local answers
  void reply_error(int status, Termination t, bool from_rule = false);
  void reply_local(const char* data, size_t len, bool close_after);
 public:
  void stats_answer(std::string page);   // worker: the main thread's answer arrived
 private:
  void release_local();                   // frees out_ / page_ once a local answer is written

  bool write_client(uv_buf_t* bufs, int n, ClientWrite kind);
  bool write_server(uv_buf_t* bufs, int n, ServerWrite kind);
  void start_reading();
  void stop_reading();
  void arm_client_timer(std::optional<uint64_t> ms);
  void detach_server(bool reusable);
  void close_private();
  void close_server();
  void abort_both(Termination t);
  void close_client();
  void finish_close();
  bool forwardfor_applies(const config::ForwardFor& ff, const SockAddr& addr) const;
  config::HttpConnMode conn_mode() const;
  void compact(ReadBuffer& b);
  void release(ReadBuffer& b);
  http::Header* header_slots(char* block) const;
  void trace_end(bool client_closes, bool server_closes);

  // The exchange in progress: taken from the worker's pool on first use, given back when the
  // connection goes idle between requests (and when it closes). The const form reads a blank
  // one when there is none, so looking never allocates.
  Exchange* x_ = nullptr;
  Exchange& x() { return x_ ? *x_ : new_exchange(); }
  const Exchange& x() const { return x_ ? *x_ : no_exchange(); }
  Exchange& new_exchange();
  static const Exchange& no_exchange();
  void release_exchange();
  // A finished exchange is retired rather than freed: functions of it may still be on the
  // stack. Every way into the session (libuv callbacks, the worker, the server side) holds an
  // Entry; when the outermost returns, the retired exchange is freed and an idle connection
  // gives its exchange back.
  struct Entry {
    explicit Entry(Session& s) : s(s) { ++s.depth_; }
    ~Entry() {
      if (--s.depth_ == 0) s.settle();
    }
    Session& s;
  };
  Exchange* retired_ = nullptr;
  uint8_t depth_ = 0;
  void retire_exchange();
  void settle();
  void settle_retired();

  core::TcpTransport tcp_;       // the client socket
  tls::TlsTransport* tls_ = nullptr;  // TLS over tcp_ (pooled), on a `bind ... ssl`
  // What we talk through: TLS over the socket, or the socket itself.
  core::Transport* cli() { return tls_ ? static_cast<core::Transport*>(tls_) : &tcp_; }
  const core::Transport* cli() const { return tls_ ? static_cast<const core::Transport*>(tls_) : &tcp_; }
  uint16_t bind_ = 0;            // the bind line (index in the frontend) it came through
  Worker& w_;
  int fe_;                       // frontend proxy index
  ServerConn* private_ = nullptr;  // `http-reuse never`: our idle server connection, for our next request
 public:
  void private_lost() { private_ = nullptr; }   // it closed while idle
 private:
  ReadBuffer in_;                // client bytes
  uint32_t req_end_ = 0;         // where the current request message ends (when complete)
  uint32_t pending_client_fwd_ = 0;  // server-buffer offset reached once the client write ends
  uint32_t pending_server_fwd_ = 0;  // client-buffer offset reached once the server write ends
  core::TimerNode ctimer_;
  bool shutdown_client();        // FIN to the client; false when it could not be started
  bool client_shutting_ = false; // a shutdown of the client side is in progress
  SockAddr peer_{};
  uint32_t stream_id_ = 0;       // for -d traces
  SockAddr local_addr_{};        // the address the client connected to (dst, servers without a port)
  uint16_t local_port() const {
    return ntohs(local_addr_.sa.sa_family == AF_INET6 ? local_addr_.v6.sin6_port : local_addr_.v4.sin_port);
  }
  // traffic log (traffic_log.cpp): loop times (ms) of each phase, 0 when not reached
  uint64_t t_accept_ = 0, accept_real_ms_ = 0;
  uint64_t t_handshake_ = 0;     // when the client's TLS handshake ended (%Th)
  uint64_t bytes_out_ = 0;
  uint64_t bytes_in_ = 0;
  Phase phase_ = Phase::idle;
  ClientWrite client_write_ = ClientWrite::none;
  Termination term_;
  bool reading_ = false;
  bool keep_client_ = false;     // the client connection stays open after this exchange
  bool first_request_ = true;
  bool stop_after_ = false;      // soft stop: close after the current exchange
  bool close_pending_ = false;   // close once the pending client write ends
  bool closed_ = false;
  bool client_eof_ = false;
  bool client_reset_ = false;    // the client aborted (reset/error) rather than half-closed
};

}  // namespace portero::proxy
