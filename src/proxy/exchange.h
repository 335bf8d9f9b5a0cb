#pragma once
// One exchange: a request and its response on a client connection. What the rules, the
// routing, persistence, the dispatch to a server, retries, the counters and the log line need,
// and the functions that do that work. Taken from the worker's pool when a request starts and
// given back when it ends, so an idle keep-alive connection holds its connection only.
// Worker-local.
//
// Issue 12's split, first cut: the exchange still reaches into its HTTP/1 client connection
// (`c_`) for the request bytes and the client socket; the next cut puts a small interface
// there so that an HTTP/2 stream can carry an exchange too.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <uv.h>

#include "portero/acl/acl.h"
#include "portero/config/config.h"
#include "portero/http/head_edit.h"
#include "portero/http/parser.h"
#include "portero/lb/balancer.h"
#include "portero/log/log.h"
#include "portero/proxy/bound_rules.h"
#include "portero/stick/table.h"
#include "common.h"

namespace portero::proxy {

class ServerConn;
class Session;
class Worker;

struct Exchange {
  Exchange(Worker& w, Session& c, int fe) : w_(w), c_(c), fe_(fe) {}
  ~Exchange();   // gives back what it holds from the worker's pools
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  enum class Tri : uint8_t { yes, no, miss };   // a condition on bytes that may still come
  enum class RuleResult : uint8_t { next, stop, answered, wait };

  // Entry points (through the client connection's wrappers, which hold its Entry)
  bool try_take_slot(int idx);
  void on_dequeued(int idx);
  void on_server_connected(int status);
  void on_server_read(ssize_t nread);
  void on_server_write_done(int status);
  void on_server_timeout();
  void stats_answer(std::string page);

  // exchange.cpp: start and end
  void start_request();
  void dispatch_request();
  config::HttpConnMode conn_mode() const;
  void end_exchange();
  void abort_both(Termination t);
  void trace_end(bool client_closes, bool server_closes);

  // http_rules.cpp: the request's stages, rules and rewrites
  const http::Head& req_head() const;    // the request head as rules left it
  const char* req_base() const;
  http::Head* block_head(char* block) const;
  acl::SampleContext sample(bool final) const;
  std::string_view eval_format(const acl::Expression* fmt, const acl::SampleContext& ctx, char* out, size_t cap);
  RuleResult run_rules(const std::vector<BoundRule>& rules, int proxy_index, size_t from, bool request);

  // tracking.cpp: stick counters (track-sc, sc-inc-gpc0, sc-set-gpt0) and their accounting.
  // Tracks `key` in the table of proxy `table_index` in slot `sc` of `into` (this stream's
  // counters, or the session's for tcp-request connection rules). True when it now tracks.
  bool track_key(stick::Tracked* into, int sc, int table_index, const acl::Expression* key,
                 const acl::SampleContext& ctx);
  // The counter sc<n> as the fetches see it (the stream's, else the session's), or null.
  const stick::Tracked* tracked(int n) const;
  void stick_request_start();   // a request begins: http_req_cnt/rate of every tracked counter
  void stick_exchange_end();    // bytes, http errors and failures; the stream's counters released
  stick::Tracked sc_[3];        // tracked by this stream (http-request, tcp-request content)
  void stick_match();           // `stick match|on`: the server a table remembers for this request
  // `stick on|store-request`: the keys to store, taken from the request when it is first
  // dispatched; `stick store-response` adds its keys from the response, and all are written
  // with the server that answered (after retries and redispatches), as HAProxy does.
  void tcp_sc_action(const stick::Tracked* t, const config::TcpRequestRule& rule, const acl::Expression* value,
                     const acl::SampleContext& ctx);
  void stick_prepare_store();
  void stick_store_final();
  struct PendingStore {
    stick::Table* table;
    stick::Key key;
  };
  std::vector<PendingStore> stick_pending_;   // capacity kept across requests (at most 8, as HAProxy)
  bool stick_stored_ = false;    // the store-request keys were taken
  void process_request();
  bool choose_backend();                // select_backend(), or a 503
  int select_backend();
  bool process_response_rules();
  bool run_after_response_rules();
  // Before portero's own answer is written: true when some http-after-response rule may apply.
  bool has_after_response_rules() const;
  bool edit_head(bool request, const http::HeadEdit& e);
  void release_rewrites();
  // `option http-buffer-request` of proxy p: parks the request until its body is whole (or
  // fills the buffer); true while it waits.
  bool buffer_request_body(int proxy_index);

  // replies.cpp: the proxy's own answers
  void reply_error(int status, Termination t, bool from_rule = false);
  const BoundRule* error_reply(int status, int& owner, std::string_view& page) const;
  void reply_local(const char* data, size_t len, bool close_after, bool after_rules = true);
  void release_local();                   // frees out_ / page_ once a local answer is written
  void reply_auth(const std::string& realm);
  void reply_redirect(const config::Redirect& r, const acl::Expression* target);
  void reply_return(const BoundRule& b, int proxy_index, uint16_t default_status, Termination t = {'P', 'R'});
  // http-request reject, http-request/response silent-drop: no answer, the connection closed
  // (silently: nothing at all reaches the client, as far as the kernel allows).
  void drop_client(bool silent, bool response);

  // dispatch.cpp: choosing a server, slots, queues, retries
  void dispatch(int avoid);
  void use_server_rules();
  uint32_t server_maxconn(int idx) const;
  void release_slot();
  void enqueue(int where);
  lb::PickContext pick_context() const;
  void connect_server(int server_index);
  void fail_connect();
  void retry_after_failure(bool layer7);   // the next attempt of a retried request
  // `retry-on`: retries the kept request when `flag` (or `status`, when flag is 0) is listed.
  bool retry_layer7(uint16_t flag, int status);
  void drop_replay();
  bool redispatch_now() const;

  // forward.cpp: the server side
  bool forwardfor_applies(const config::ForwardFor& ff, const SockAddr& addr) const;
  void send_request_head();
  bool rename_replay();
  void forward_request_body();
  void request_sent();
  bool write_server(uv_buf_t* bufs, int n, ServerWrite kind);
  void handle_response_input();
  void send_response_head(bool interim);
  void forward_response_body();
  void response_written();
  void detach_server(bool reusable);
  void close_server();

  // tunnel.cpp: after 101 Switching Protocols, and mode tcp's relay
  void start_tunnel();
  void relay_to_server();
  void relay_to_client();
  std::optional<uint64_t> tunnel_timeout() const;
  // `timeout server`, or what `http-request set-timeout server` made it for this exchange.
  std::optional<uint64_t> server_timeout() const;
  // http-request set-src|set-src-port|set-dst|set-dst-port: the new address, for this
  // exchange only (the connection's are given back when it ends, as HAProxy's stream copies).
  void set_address(config::HttpRule::Action a, std::string_view value);
  void restore_addresses();
  bool split_timeouts() const;
  std::optional<uint64_t> side_timeout(bool client) const;
  void server_side_timeout();

  // tcp_mode.cpp
  bool tcp_mode() const;
  void start_tcp();
  // `tcp-request connection` rules (false: refused); `expect_proxy` is set by a matching
  // `expect-proxy layer4`. Then, once any PROXY header is read, the `tcp-request session` rules.
  bool connection_rules_accept(bool& expect_proxy);
  bool session_rules_accept();
  void inspect_tcp(bool final);
  void route_tcp();
  void start_tcp_relay();
  Tri eval_tcp_condition(int proxy_index, size_t rule, bool final) const;
  Tri run_tcp_rules(int proxy_index, bool final);

  // cookies.cpp
  void cookie_request();
  bool cookie_response();
  bool response_cacheable(const http::Head& h, const char* base) const;

  // stats_page.cpp: `stats uri` of proxy p matched: answer from the main thread
  bool stats_request(int proxy_index);
  void start_stats(int proxy_index, bool prometheus = false);

  // counting.cpp: the exchange's counters (frontend, backend, server), once, at its end
  void count_exchange();
  void count_request();
  void count_status(bool from_server);
  bool backend_counted() const;

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
  // The connection ends before any stream: HAProxy's connection log line, then the close.
  void connection_failed(log::ConnError e);
  // `http-request/http-response capture ... id|len`: stores `v` (cut at the slot's length) in
  // the frontend's request (or response) capture slot `id`; ignored when there is no such slot.
  void capture_sample(bool response, int id, std::string_view v);
  // `capture.req.hdr(N)` / `capture.res.hdr(N)`, for acl::SampleContext.
  static bool captured_of(const void* self, bool response, int64_t index, std::string_view& out);
  std::string_view unique_id();        // the request's unique-id-format, computed once
  static std::string_view unique_id_of(const void* self);   // for acl::SampleContext
  // PROXY protocol to servers (proxy_send.cpp): the header for a new connection to `s` (0 when
  // it does not fit), and whether a server's connections stay with one client (`http-reuse
  // never`, or a PROXY header describing that client).
  size_t make_proxy_header(const config::Server& s, char* out, size_t cap);
  bool private_server_conns(int be, int idx) const;
  void fill_log_record(log::Record& r, uint64_t now);
  std::string_view make_unique_id(bool at_log_time);
  void init_log_block();
  // %[...] of the log formats when the exchange is over: what HAProxy still knows then.
  acl::SampleContext log_sample_context(http::Head& req, http::Head& res) const;

  Worker& w_;
  Session& c_;                   // the client connection the request came on
  int fe_;                       // frontend proxy index
  Exchange* retired_next = nullptr;   // the client connection's list of finished exchanges
  // Links in one of the worker's queues while waiting for a server slot.
  Exchange* qnext = nullptr;
  Exchange* qprev = nullptr;
  int queued_on = kNotQueued;   // -1: the backend's queue; >= 0: that server's queue
  uint64_t queued_seq = 0;
  static constexpr int kNotQueued = -2;
  int be_ = -1;                  // backend chosen for the current request
  int srv_idx_ = -1;
  int slot_ = -1;                // server whose connection slot this request holds
  int retry_target_ = -1;        // server of the next attempt (retry_wait)
  bool be_counted_ = false;      // counted in the backend's current requests
  ServerConn* srv_ = nullptr;
  http::Parser req_{http::Parser::Kind::request};
  char* out_ = nullptr;          // a rebuilt head being written (pooled block)
  bool after_local_ = false;
  bool hide_request_ = false;    // http-after-response rules run: request fetches find nothing
  bool no_l7_retry_ = false;     // http-request disable-l7-retry
  bool lax_rewrites_ = false;    // strict-mode off: a rewrite that fails is skipped
  uint64_t srv_timeout_ = 0;     // set-timeout server (0: the backend's)
  uint64_t tunnel_timeout_ = 0;  // set-timeout tunnel (0: the proxies')
  bool addrs_saved_ = false;     // set-src/dst changed the connection's addresses, kept here:
  SockAddr saved_peer_{}, saved_local_{};     // http-after-response rules ran on a local answer already
  const char* local_ = nullptr;  // a local answer being written (static or config-owned bytes)
  std::string* page_ = nullptr;  // the stats page being written (heap: it can be large; rare)
  uint64_t stats_ticket_ = 0;    // while the main thread renders our stats page
  uint32_t resp_end_ = 0;        // where the current response message ends (when complete)
  // http-request / http-response rules (http_rules.cpp)
  char* rq_block_ = nullptr;     // the request head as rules rewrote it (pooled), or null
  char* rs_block_ = nullptr;     // the response head as rules rewrote it (pooled), or null
  acl::VarStore* vars_ = nullptr;  // txn variables, taken from the worker's pool on first set-var
  uint16_t rule_pos_ = 0;        // where the request rules resume after wait-for-body
  // Where process_request() stands (it resumes there after wait-for-body), in HAProxy's order.
  enum class Stage : uint8_t {
    monitor,              // monitor-uri
    frontend_rules,       // the frontend's http-request rules, then its stats page
    frontend_redirects,   // its `redirect` rules
    switching,            // use_backend / default_backend
    backend_rules,        // the backend's http-request rules, then its stats page
    backend_redirects,
    dispatch,             // use-server, cookie persistence, then a server
  };
  Stage stage_ = Stage::monitor;
  bool buffering_ = false;       // body_wait for option http-buffer-request (408 on timeout)
  uint16_t tarpit_status_ = 0;
  uint64_t t_req_ = 0, req_real_ms_ = 0;
  uint64_t t_head_ = 0, t_queue_ = 0, t_dequeue_ = 0, t_connect_ = 0, t_connected_ = 0, t_resp_ = 0;
  uint64_t bytes_in_ = 0;        // the client's bytes of this exchange (mode tcp: of the connection)
  uint64_t bytes_out_ = 0;       // bytes sent to the client
  uint64_t t_req_ns_ = 0;        // hrtime at the request's first byte (latency histograms)
  int16_t denied_by_ = -1;       // the proxy whose rule denied the request (dreq)
  int16_t counted_srv_ = -1;     // the server whose stot already counts this request
  bool status_counted_ = false;  // the answer's status is in hrsp_* already
  // layer-7 retries: the request head sent (kept in out_) and its body range in in_
  bool replay_ = false;
  uint32_t replay_head_len_ = 0, replay_body_from_ = 0, replay_body_to_ = 0;
  // http-send-name-header: where its line sits in the head sent (out_), for a replay elsewhere
  uint32_t name_hdr_at_ = 0, name_hdr_len_ = 0;
  int16_t replay_srv_ = -1;      // the server the kept head names
  bool intercepted_ = false;     // answered by the proxy itself (return, redirect, monitor, stats)
  char* log_block_ = nullptr;    // the request line kept for %r (pooled), when the frontend logs
  uint16_t log_line_len_ = 0;
  uint16_t unique_id_len_ = 0;   // the unique id kept in log_block_ (valid when unique_id_set_)
  bool unique_id_set_ = false;
  uint32_t req_counter_ = 0;     // %rt: the process's request counter at this request
  uint16_t status_ = 0;
  // set-log-level: 0 unset, level + 1, or -1 for silent (no log line)
  int8_t log_level_ = 0;
  bool logged_ = false;
  bool redispatched_ = false;
  // cookie persistence (cookies.cpp)
  int16_t persist_server_ = -1;  // the server the request's cookie names, when it may serve
  char cookie_req_flag_ = '-';   // %tsc 3rd char: N I D V E O U -
  char cookie_resp_flag_ = '-';  // %tsc 4th char: N I U P R D -
  bool cookie_dated_ = false;
  bool persist_ignored_ = false;  // ignore-persist matched: no routing by cookie, no insert
  uint64_t cookie_first_ = 0;    // first-seen date of the request's cookie (maxlife), 0: none
  ServerWrite server_write_ = ServerWrite::none;
  uint8_t retries_left_ = 0;
  uint8_t retries_done_ = 0;
  bool req_complete_ = false;
  bool req_upgrade_ = false;
  bool req_head_method_ = false;  // HEAD: the response has no body
  bool req_http10_ = false;
  bool req_post_ = false;             // the request's method, kept for the response side
  bool req_cacheable_method_ = false; // GET, HEAD, OPTIONS, TRACE
  bool keep_server_ = false;     // the server connection can serve another request
  bool resp_begun_ = false;      // the response parser has been started on the server buffer
  bool resp_head_sent_ = false;  // the final response head went to the client
  bool resp_started_ = false;    // some response bytes went to the client
  bool resp_eof_body_ = false;   // response body ends when the server closes
  bool resp_complete_ = false;
  bool resp_upgrade_ = false;
  bool server_shut_ = false;     // the client's half-close was passed on to the server
  bool client_shut_ = false;     // we half-closed the client (tcp server timeout)
  bool direct_ = false;          // the server was chosen by persistence, not by the balancer
  bool server_by_rule_ = false;  // a use-server rule chose it (persist_server_): cookies choose nothing
};

}  // namespace portero::proxy
