#pragma once
// The state of one exchange (one request and its response) on a client connection: what the
// rules, the routing, the dispatch to a server, the counters and the log line need. Taken from
// the worker's pool when a request starts and given back when it ends, so an idle keep-alive
// connection holds its connection only. Worker-local.
#include <cstdint>
#include <string>

#include "portero/acl/acl.h"
#include "portero/http/parser.h"

namespace portero::proxy {

class ServerConn;

// What a pending write to the server carries, to know how to continue once it is done.
enum class ServerWrite : uint8_t { none, head, body, tunnel };

struct Exchange {
  int be_ = -1;                  // backend chosen for the current request
  int srv_idx_ = -1;
  int slot_ = -1;                // server whose connection slot this request holds
  int retry_target_ = -1;        // server of the next attempt (retry_wait)
  bool be_counted_ = false;      // counted in the backend's current requests
  ServerConn* srv_ = nullptr;
  http::Parser req_{http::Parser::Kind::request};
  char* out_ = nullptr;          // a rebuilt head being written (pooled block)
  const char* local_ = nullptr;  // a local answer being written (static or config-owned bytes)
  std::string* page_ = nullptr;  // the stats page being written (heap: it can be large; rare)
  uint64_t stats_ticket_ = 0;    // while the main thread renders our stats page
  uint32_t resp_end_ = 0;        // where the current response message ends (when complete)
  // http-request / http-response rules (http_rules.cpp)
  char* rq_block_ = nullptr;     // the request head as rules rewrote it (pooled), or null
  char* rs_block_ = nullptr;     // the response head as rules rewrote it (pooled), or null
  acl::VarStore* vars_ = nullptr;  // txn variables, taken from the worker's pool on first set-var
  uint16_t rule_pos_ = 0;        // where the request rules resume after wait-for-body
  uint8_t rule_stage_ = 0;
  bool buffering_ = false;       // body_wait for option http-buffer-request (408 on timeout)
  uint16_t tarpit_status_ = 0;
  uint64_t t_req_ = 0, req_real_ms_ = 0;
  uint64_t t_head_ = 0, t_queue_ = 0, t_dequeue_ = 0, t_connect_ = 0, t_connected_ = 0, t_resp_ = 0;
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
