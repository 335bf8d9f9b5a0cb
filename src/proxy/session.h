#pragma once
// A client connection and the HTTP exchange in progress on it, plus the server connection it
// talks to. Worker-local: created, used and destroyed on one worker's loop, allocated from the
// worker's pools. Both sides read into pooled buffers held only while they carry bytes.
#include <cstdint>
#include <memory>
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
#include "common.h"
#include "exchange.h"

namespace portero::proxy {

class Worker;
struct BindContext;
class H2Conn;
class H2Stream;

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
  bool stream = false;           // a call on a shared HTTP/2 connection (h2_call.h): never pooled
  uint32_t uses = 0;             // requests it carried (`max-reuse`)
  char* first = nullptr;         // a pooled block: the PROXY header sent once connected

  void set_busy(bool b);
  void start_reading();
  void stop_reading();
  void release_buffer();
  void release_first() {
    if (first) worker.buffers().put(first);
    first = nullptr;
  }
  void close();                  // closes the socket; the object is freed in the close callback
  static const core::TransportEvents kEvents;
  static void on_timer(core::TimerNode* n);   // its exchange's timeout, or idle in the pool
};

class Session {
 public:
  Session(Worker& w, int proxy_index);
  ~Session() {
    if (!stream_) delete facts_.pp;   // a stream's copy belongs to its connection's session
    release_exchange();
    settle_retired();
    release_tracking();
  }
  void release_tracking();   // the session's stick counters (tracking.cpp)
  void count_new_session();  // sess_cnt/sess_rate of the counters the connection rules track

  // Takes `fd` (accepted, non-blocking) and starts reading; over TLS on a `bind ... ssl`, after
  // a PROXY protocol header on `accept-proxy` (or `expect-proxy layer4`). The session is
  // counted (stot) once it is established.
  void open(int fd, const sockaddr_storage& peer, int listener_fd, const BindContext& bind);
  // One stream of an HTTP/2 connection, carried as an HTTP/1 byte stream by `stream` (see
  // h2_stream.h): one exchange, then the stream ends. `conn` is the HTTP/2 connection's session.
  void open_stream(H2Stream& stream, const Session& conn, bool first);
  bool is_stream() const { return stream_; }
  // The stream's request, written (HTTP/1 text in a pooled `block` of `len` bytes) and indexed
  // (`head`, with its header slots in the block) by the stream: the block becomes the input
  // buffer and the head is taken as parsed, as if the bytes had been read. false (nothing
  // taken) when input is already buffered: the stream then delivers the bytes to be read.
  bool take_request(char* block, uint32_t len, const http::Head& head);
  // Worker control: finish the current exchange and close / close now.
  void soft_stop();
  void hard_close();
  int frontend() const { return fe_; }
  stats::SessionInfo info(uint64_t now_ms) const;   // `show sess`

  Session* next = nullptr;   // worker's list of live sessions
  Session* prev = nullptr;

  // Worker: a slot of server `idx` is ours if we can take it; then the request proceeds.
  bool try_take_slot(int idx);
  void on_dequeued(int idx);
  int backend() const { return x_ ? x_->be_ : -1; }
  bool serving(int proxy_index, int server_index) const {
    return x_ && x_->be_ == proxy_index && x_->slot_ == server_index;
  }
  void stats_answer(std::string page);   // worker: the main thread's answer arrived

  // Called by the server connection's callbacks.
  void on_server_connected(int status);
  void on_server_read(ssize_t nread);
  void on_server_write_done(int status);
  void on_server_timeout();

 private:
  // The client transport's events.
  static const core::TransportEvents kClientEvents;
  static void on_alloc(void* self, uv_buf_t* room);
  static void on_read(void* self, ssize_t nread);
  static void on_write_done(void* self, int status);
  static void on_shutdown(void* self, int status);
  static void on_closed(void* self);
  static void on_client_handshake(void* self, int status);   // TLS: the client's handshake is done
  static void on_client_timer(core::TimerNode* n);
  // After the connection rules and any PROXY header: the session rules, TLS, the protocol.
  void establish();
  // The PROXY header (session_proxy.cpp): peeked at when bytes come, so that exactly its bytes
  // are read and TLS or HTTP starts on the next byte; judged as HAProxy does.
  void peek_proxy_header(uv_buf_t* room);
  void proxy_header_read(ssize_t nread);
  void proxy_header_failed(log::ConnError e);   // HAProxy's log line, counted in conn_tot only

  // Request side
  void handle_client_input();
  void handle_client_eof();
  void parse_request_body();
  // The first bytes are HTTP/2's connection preface, or (`whole` false) could still become it.
  static bool is_h2_preface(const ReadBuffer& b, bool whole = true);
  // The connection speaks HTTP/2 from now on (ALPN h2, `proto h2`, or a client's preface in
  // mode http): an H2Conn takes its bytes, and its streams become sessions of their own.
  void become_h2();
  // `show errors`: keeps the rejected request's bytes for the admin socket (rare).
  void capture_bad_request(uint32_t error_at);
  void begin_next_request();
  // The request's bytes as the exchange sees them (issue 12: the first draft of the interface
  // an HTTP/2 stream will offer too).
  std::string_view unread_input() const {   // received, not yet forwarded (mode tcp's payload)
    return in_.data ? std::string_view(in_.data + in_.fwd, in_.end - in_.fwd) : std::string_view();
  }
  bool input_full() const;                  // the buffer is full: no more can come before some goes
  // The rest of the request is not forwarded (answered by the proxy): what was parsed of it
  // (all of it when `complete`) is dropped.
  void skip_request(bool complete) { in_.fwd = complete ? req_end_ : in_.parsed; }
  bool write_client(uv_buf_t* bufs, int n, ClientWrite kind);
  void start_reading();
  void stop_reading();
  void arm_client_timer(std::optional<uint64_t> ms);
  // Soft stop: an idle connection closes now (0), within delay_ms, or at its keep-alive
  // timeout (UINT64_MAX), whichever comes first.
  void close_idle_within(uint64_t delay_ms);
  void close_private();
  void close_client();
  void finish_close();
  void release(ReadBuffer& b);

  friend struct Exchange;   // first cut of the split: the exchange still reads our state
  friend class H2Conn;      // an HTTP/2 connection drives this session's transport and timer
  // The closing steps after the transport closed (counters, TLS state, back to the worker);
  // an HTTP/2 connection runs them once its last stream is gone.
  void closed_now();
  // The exchange in progress: taken from the worker's pool on first use, given back when the
  // connection goes idle between requests (and when it closes).
  Exchange* x_ = nullptr;
  Exchange& x() { return x_ ? *x_ : new_exchange(); }
  Exchange& new_exchange();
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

  ConnFacts facts_;
  // Tracked by the session (tcp-request connection/session rules): three slots taken on the
  // first such tracking, so an idle connection of a config that tracks nothing (or tracks per
  // request) keeps a pointer, not the slots.
  std::unique_ptr<stick::Tracked[]> sc_;
  stick::Tracked* session_trackers() {
    if (!sc_) sc_.reset(new stick::Tracked[3]{});
    return sc_.get();
  }
  core::TcpTransport tcp_;       // the client socket
  tls::TlsTransport* tls_ = nullptr;  // TLS over tcp_ (pooled), on a `bind ... ssl`
  // What we talk through: the socket, TLS over it, or an HTTP/2 stream.
  core::Transport* io_ = &tcp_;
  core::Transport* cli() { return io_; }
  const core::Transport* cli() const { return io_; }
  H2Conn* h2_ = nullptr;         // this connection speaks HTTP/2: its streams' driver
  bool stream_ = false;          // this session is one stream of an HTTP/2 connection
  config::MuxProto proto_ = config::MuxProto::unset;   // the bind's `proto`
  SSL_CTX* bind_tls_ = nullptr;  // `bind ... ssl`: started once any PROXY header is read
  Worker& w_;
  int fe_;                       // frontend proxy index
  ServerConn* private_ = nullptr;  // `http-reuse never`: our idle server connection, for our next request
 public:
  void private_lost() { private_ = nullptr; }   // it closed while idle
 private:
  ReadBuffer in_;                // client bytes
  const http::Head* adopted_ = nullptr;   // take_request(): the head of the bytes in in_
  uint32_t req_end_ = 0;         // where the current request message ends (when complete)
  uint32_t pending_client_fwd_ = 0;  // server-buffer offset reached once the client write ends
  uint32_t pending_server_fwd_ = 0;  // client-buffer offset reached once the server write ends
  core::TimerNode ctimer_;
  bool shutdown_client();        // FIN to the client; false when it could not be started
  bool client_shutting_ = false; // a shutdown of the client side is in progress
  uint32_t stream_id_ = 0;       // for -d traces
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
  uint8_t pp_verdict_ = 0;       // Phase::proxy_header: a core::pp::Status seen at the peek
};

}  // namespace portero::proxy
