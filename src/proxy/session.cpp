#include "session.h"

#include <cstring>
#include <unistd.h>

#include "portero/http/error_pages.h"
#include "portero/http/head_writer.h"
#include "portero/http/status.h"
#include "portero/proxy/worker.h"
#include "trace.h"

namespace portero::proxy {

using http::ParseStatus;

namespace {

uv_stream_t* stream(uv_tcp_t* t) { return reinterpret_cast<uv_stream_t*>(t); }
uv_handle_t* handle(uv_tcp_t* t) { return reinterpret_cast<uv_handle_t*>(t); }

bool is_hop_by_hop(std::string_view name) {
  return http::iequals(name, "connection") || http::iequals(name, "proxy-connection") ||
         http::iequals(name, "keep-alive");
}

// Writes "name: value" for every header except the hop-by-hop ones this proxy manages.
// A repeated Content-Length (accepted only when equal) is sent once, as HAProxy merges it.
void copy_headers(http::HeadWriter& w, const http::Head& h, const char* base) {
  bool length_sent = false;
  for (uint16_t i = 0; i < h.count; ++i) {
    std::string_view name = h.headers[i].name.in(base);
    if (is_hop_by_hop(name)) continue;
    if (http::iequals(name, "content-length")) {
      if (length_sent) continue;
      length_sent = true;
    }
    w.header(name, h.headers[i].value.in(base));
  }
}

void put_version(http::HeadWriter& w, const http::Head& h) {
  w.put(h.major == 1 && h.minor == 0 ? "HTTP/1.0" : "HTTP/1.1");
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Server connection

void ServerConn::start_reading() {
  if (reading || closing) return;
  reading = true;
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&tcp),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        auto* c = static_cast<ServerConn*>(h->data);
        if (!c->in.data) {
          c->in.data = c->worker.buffers().get();
          c->in.fwd = c->in.parsed = c->in.end = 0;
        }
        buf->base = c->in.data + c->in.end;
        buf->len = c->worker.bufsize() - c->in.end;
      },
      [](uv_stream_t* s, ssize_t nread, const uv_buf_t*) {
        auto* c = static_cast<ServerConn*>(s->data);
        if (nread == 0) return;
        if (nread == UV_ENOBUFS) {
          c->stop_reading();
          return;
        }
        if (nread > 0) c->in.end += static_cast<uint32_t>(nread);
        if (c->owner) {
          c->owner->on_server_read(nread);
        } else {
          // Idle in the pool: the server closed it or sent something unexpected; drop it.
          c->worker.forget_idle(c);
          c->close();
        }
      });
}

void ServerConn::stop_reading() {
  if (!reading) return;
  reading = false;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp));
}

void ServerConn::release_buffer() {
  if (in.data && in.fwd == in.end) {
    worker.buffers().put(in.data);
    in = ReadBuffer{};
  }
}

void ServerConn::set_busy(bool b) {
  if (b == busy) return;
  busy = b;
  if (b) worker.conn_busy(proxy_index, server_index);
  else worker.conn_done(proxy_index, server_index);
}

void ServerConn::close() {
  if (closing) return;
  closing = true;
  set_busy(false);
  owner = nullptr;
  worker.timers().disarm(timer);
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp), [](uv_handle_t* h) {
    auto* c = static_cast<ServerConn*>(h->data);
    if (c->in.data) c->worker.buffers().put(c->in.data);
    c->in = ReadBuffer{};
    c->worker.free_server_conn(c);
  });
}

// ---------------------------------------------------------------------------------------------
// Client connection: setup and teardown

Session::Session(Worker& w, int proxy_index) : w_(w), fe_(proxy_index) {
  ctimer_.on_expire = on_client_timer;
  ctimer_.owner = this;
}

http::Header* Session::header_slots(char* block) const {
  // Header index slots live right after the data area of the same pooled block.
  return reinterpret_cast<http::Header*>(block + w_.bufsize());
}

bool Session::open(int fd, const sockaddr_storage& peer, int listener_fd) {
  uv_tcp_init(w_.loop(), &tcp_);
  tcp_.data = this;
  if (uv_tcp_open(&tcp_, fd) != 0) {
    ::close(fd);
    uv_close(handle(&tcp_), on_closed);
    return false;
  }
  std::memcpy(&peer_, &peer, peer.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
  if (peer.ss_family == AF_INET || peer.ss_family == AF_INET6) {
    uv_tcp_nodelay(&tcp_, 1);
    sockaddr_storage local;
    int len = sizeof(local);
    if (uv_tcp_getsockname(&tcp_, reinterpret_cast<sockaddr*>(&local), &len) == 0)
      local_port_ = ntohs(local.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&local)->sin6_port
                                                     : reinterpret_cast<sockaddr_in*>(&local)->sin_port);
  }
  phase_ = Phase::idle;
  if (w_.runtime().debug) {
    stream_id_ = w_.runtime().next_stream_id.fetch_add(1);
    trace::accept(stream_id_, w_.config().proxies[fe_].name, listener_fd, fd, &peer_.sa);
  }
  arm_client_timer(w_.config().proxies[fe_].http_request_timeout());
  start_reading();
  return true;
}

void Session::on_closed(uv_handle_t* h) {
  auto* s = static_cast<Session*>(h->data);
  s->w_.session_closed(s);
}

void Session::finish_close() {
  if (closed_) return;
  closed_ = true;
  w_.timers().disarm(ctimer_);
  if (queued_on != kNotQueued) w_.dequeue(this);
  close_server();
  release_slot();
  if (out_) {
    w_.buffers().put(out_);
    out_ = nullptr;
  }
  if (in_.data) {
    w_.buffers().put(in_.data);
    in_ = ReadBuffer{};
  }
  uv_close(handle(&tcp_), on_closed);
}

void Session::hard_close() { finish_close(); }

void Session::soft_stop() {
  stop_after_ = true;
  // An idle keep-alive connection is closed now; a new one still gets its first request served.
  if (phase_ == Phase::idle && !first_request_ && in_.end == 0 && client_write_ == ClientWrite::none)
    finish_close();
}

void Session::close_client() {
  if (client_write_ != ClientWrite::none) {
    close_pending_ = true;
    return;
  }
  close_server();
  phase_ = Phase::closing;
  // Send FIN after the last bytes, then drain what the client still sends until it closes,
  // so unread input does not turn our close into a reset that could destroy the response.
  if (uv_shutdown(&shutdown_req_, stream(&tcp_), on_shutdown) != 0) {
    finish_close();
    return;
  }
  arm_client_timer(w_.config().proxies[fe_].timeouts.client_fin.value_or(1000));
  start_reading();
}

void Session::on_shutdown(uv_shutdown_t* req, int) {
  auto* s = static_cast<Session*>(req->handle->data);
  if (s->client_eof_) s->finish_close();
}

void Session::abort_both(Termination t) {
  term_ = t;
  close_server();
  finish_close();
}

void Session::close_server() {
  if (!srv_) return;
  ServerConn* c = srv_;
  srv_ = nullptr;
  if (srv_idx_ >= 0 && be_ >= 0) {
    auto* st = w_.runtime().backends[be_].states[srv_idx_];
    (void)st;
  }
  c->close();
}

// ---------------------------------------------------------------------------------------------
// Reading from the client

void Session::start_reading() {
  if (reading_ || closed_) return;
  reading_ = true;
  uv_read_start(stream(&tcp_), on_alloc, on_read);
}

void Session::stop_reading() {
  if (!reading_) return;
  reading_ = false;
  uv_read_stop(stream(&tcp_));
}

void Session::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  auto* s = static_cast<Session*>(h->data);
  if (!s->in_.data) {
    s->in_.data = s->w_.buffers().get();
    s->in_.fwd = s->in_.parsed = s->in_.end = 0;
  }
  buf->base = s->in_.data + s->in_.end;
  buf->len = s->w_.bufsize() - s->in_.end;
}

void Session::on_read(uv_stream_t* st, ssize_t nread, const uv_buf_t*) {
  auto* s = static_cast<Session*>(st->data);
  if (nread == 0) return;
  if (nread == UV_ENOBUFS) {  // buffer full: wait until bytes are forwarded
    s->stop_reading();
    return;
  }
  if (nread < 0) {
    s->client_eof_ = true;
    s->handle_client_eof();
    return;
  }
  s->in_.end += static_cast<uint32_t>(nread);
  s->handle_client_input();
}

void Session::release(ReadBuffer& b) {
  if (b.data && b.fwd == b.end) {
    w_.buffers().put(b.data);
    b = ReadBuffer{};
  }
}

void Session::compact(ReadBuffer& b) {
  if (!b.data) return;
  if (b.fwd == b.end) {
    b.fwd = b.parsed = b.end = 0;
    return;
  }
  if (b.fwd == 0) return;
  std::memmove(b.data, b.data + b.fwd, b.end - b.fwd);
  b.parsed -= b.fwd;
  b.end -= b.fwd;
  b.fwd = 0;
}

void Session::handle_client_eof() {
  stop_reading();
  switch (phase_) {
    case Phase::idle:
    case Phase::closing:
      finish_close();
      return;
    case Phase::head:
      term_ = {'C', 'R'};
      finish_close();
      return;
    case Phase::tunnel:
      // Pass the half-close on; the tunnel ends when the server side closes too.
      if (srv_ && in_.fwd == in_.end) {
        auto* req = new uv_shutdown_t;   // rare (tunnels only): not worth a slot in every session
        if (uv_shutdown(req, stream(&srv_->tcp), [](uv_shutdown_t* r, int) { delete r; }) != 0) delete req;
      }
      return;
    default:
      if (req_complete_ && phase_ == Phase::response) {
        // The client finished sending and half-closed: HTTP/1.0-style clients do that. Let the
        // response come, then close.
        keep_client_ = false;
        return;
      }
      abort_both({'C', phase_ == Phase::queued ? 'Q' : phase_ == Phase::connecting ? 'C' : 'D'});
      return;
  }
}

void Session::handle_client_input() {
  switch (phase_) {
    case Phase::idle: {
      compact(in_);
      phase_ = Phase::head;
      req_.begin(in_.data, in_.fwd, header_slots(in_.data), w_.max_headers());
      if (!first_request_) arm_client_timer(w_.config().proxies[fe_].http_request_timeout());
      [[fallthrough]];
    }
    case Phase::head: {
      auto r = req_.feed(in_.parsed, in_.end);
      in_.parsed = r.end;
      if (r.status == ParseStatus::error) {
        reply_error(400, {'P', 'R'});
        return;
      }
      if (!req_.head_done()) {
        if (in_.end >= w_.bufsize()) reply_error(400, {'P', 'R'});
        return;
      }
      req_complete_ = r.status != ParseStatus::more;
      req_upgrade_ = r.status == ParseStatus::upgrade;
      req_end_ = r.end;
      start_request();
      return;
    }
    case Phase::queued:
    case Phase::retry_wait:
    case Phase::connecting:
      parse_request_body();
      if (in_.end >= w_.bufsize()) stop_reading();
      return;
    case Phase::request:
      forward_request_body();
      return;
    case Phase::response:
      // Pipelined bytes wait for the current response; stop when the buffer is full.
      if (in_.end >= w_.bufsize()) stop_reading();
      return;
    case Phase::tunnel:
      relay_to_server();
      return;
    case Phase::closing:
      in_.fwd = in_.parsed = in_.end = 0;   // drained and dropped
      release(in_);
      return;
  }
}

void Session::parse_request_body() {
  if (req_complete_ || closed_) return;
  auto r = req_.feed(in_.parsed, in_.end);
  in_.parsed = r.end;
  if (r.status == ParseStatus::error) {
    if (!resp_started_)
      reply_error(400, {'P', 'D'});
    else
      abort_both({'P', 'D'});
    return;
  }
  if (r.status != ParseStatus::more) {
    req_complete_ = true;
    req_end_ = r.end;
  }
}

// ---------------------------------------------------------------------------------------------
// Routing and connecting

void Session::start_request() {
  w_.timers().disarm(ctimer_);
  const http::Head& h = req_.head();
  req_head_method_ = h.method_id == HTTP_HEAD;
  req_http10_ = h.is_http10();
  const auto& cfg = w_.config();
  keep_client_ = h.keep_alive && conn_mode() != config::HttpConnMode::close && !stop_after_ &&
                 !w_.stopping();
  resp_begun_ = resp_head_sent_ = resp_started_ = resp_complete_ = resp_upgrade_ = false;
  resp_eof_body_ = false;
  term_ = {};
  if (w_.runtime().debug) {
    if (!first_request_) stream_id_ = w_.runtime().next_stream_id.fetch_add(1);
    int cfd = -1;
    uv_fileno(handle(&tcp_), &cfd);
    trace::head(stream_id_, cfg.proxies[fe_].name, true, cfd, -1, h, in_.data);
  }

  if (!apply_http_request_rules(fe_)) return;

  const auto& fe = cfg.proxies[fe_];
  be_ = -1;
  for (const auto& ub : fe.use_backends)
    if (ub.condition.empty() && ub.backend_index >= 0) {
      be_ = ub.backend_index;
      break;
    }
  if (be_ < 0) be_ = fe.default_backend_index;
  if (be_ < 0) {
    reply_error(503, {'S', 'C'});
    return;
  }
  if (be_ != fe_ && !apply_http_request_rules(be_)) return;

  keep_client_ = keep_client_ && conn_mode() != config::HttpConnMode::close;
  const auto& be = cfg.proxies[be_];
  retries_left_ = static_cast<uint8_t>(be.retries > 255 ? 255 : be.retries);
  retries_done_ = 0;
  dispatch(-1);
}

// Applies the unconditional `http-request` rules the foundation knows (return, deny).
// Returns false when a rule answered the request.
bool Session::apply_http_request_rules(int proxy_index) {
  const auto& rules = w_.config().proxies[proxy_index].http_request_rules;
  for (size_t i = 0; i < rules.size(); ++i) {
    const auto& rule = rules[i];
    if (!rule.condition.empty()) continue;  // conditions come with ACLs (warned at load time)
    using A = config::HttpRequestRule::Action;
    if (rule.action == A::allow) return true;
    if (rule.action == A::deny) {
      be_ = proxy_index;
      reply_error(rule.ret.status ? rule.ret.status : 403, {'P', 'R'});
      return false;
    }
    if (rule.action == A::return_) {
      const auto& ret = rule.ret;
      char* b = w_.buffers().get();
      http::HeadWriter hw(b, w_.bufsize());
      hw.put("HTTP/1.1 ");
      hw.put_uint(ret.status);
      hw.put(" ");
      hw.put(http::reason_phrase(ret.status));
      hw.put("\r\n");
      // HAProxy's order: content-length first, none at all for statuses without a body.
      if (ret.status != 204 && ret.status != 304) {
        hw.put("content-length: ");
        hw.put_uint(ret.has_body ? ret.body.size() : 0);
        hw.put("\r\n");
      }
      if (ret.has_body && !ret.content_type.empty()) hw.header("content-type", ret.content_type);
      bool close_after = !keep_client_ || !req_complete_;
      if (close_after) hw.put("connection: close\r\n");
      else if (req_http10_) hw.put("connection: keep-alive\r\n");
      hw.put("\r\n");
      if (!req_head_method_ && ret.has_body) hw.put(ret.body);
      if (hw.overflow()) {
        w_.buffers().put(b);
        reply_error(500, {'P', 'R'});
        return false;
      }
      if (out_) w_.buffers().put(out_);
      out_ = b;
      in_.fwd = req_complete_ ? req_end_ : in_.parsed;
      reply_local(out_, hw.size(), close_after);
      return false;
    }
  }
  return true;
}

config::HttpConnMode Session::conn_mode() const {
  // The most restrictive of the frontend's and the backend's modes applies.
  const auto& p = w_.config().proxies;
  auto m = p[fe_].conn_mode;
  if (be_ >= 0 && static_cast<int>(p[be_].conn_mode) > static_cast<int>(m)) m = p[be_].conn_mode;
  return m;
}

void Session::on_server_connected(int status) {
  w_.timers().disarm(srv_->timer);
  if (status < 0) {
    fail_connect();
    return;
  }
  srv_->connected = true;
  uv_tcp_nodelay(&srv_->tcp, 1);
  send_request_head();
}

void Session::on_server_timeout() {
  switch (phase_) {
    case Phase::connecting:
      fail_connect();
      return;
    case Phase::request:
    case Phase::response:
      if (!resp_started_) {
        close_server();
        reply_error(504, {'s', 'H'});
      } else {
        abort_both({'s', 'D'});
      }
      return;
    case Phase::tunnel:
      abort_both({'s', 'D'});
      return;
    default:
      close_server();
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// Sending the request

bool Session::forwardfor_applies(const config::ForwardFor& ff) const {
  if (!ff.enabled) return false;
  if (!ff.except_family || ff.except_family != peer_.sa.sa_family) return true;
  const uint8_t* a = peer_.sa.sa_family == AF_INET
                         ? reinterpret_cast<const uint8_t*>(&peer_.v4.sin_addr)
                         : reinterpret_cast<const uint8_t*>(&peer_.v6.sin6_addr);
  uint8_t bits = ff.except_prefix;
  for (int i = 0; bits > 0; ++i, bits = bits > 8 ? bits - 8 : 0) {
    uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((a[i] & mask) != (ff.except_addr[i] & mask)) return true;
  }
  return false;  // the client is in the `except` network
}

void Session::send_request_head() {
  phase_ = Phase::request;
  const auto& cfg = w_.config();
  const http::Head& h = req_.head();
  const char* base = in_.data;
  char* b = w_.buffers().get();
  http::HeadWriter hw(b, w_.bufsize());
  hw.put(h.method.in(base));
  hw.put(" ");
  hw.put(h.target.in(base));
  hw.put(" ");
  put_version(hw, h);
  hw.put("\r\n");
  copy_headers(hw, h, base);
  // option forwardfor: the backend's settings win over the frontend's.
  const config::ForwardFor& ff =
      cfg.proxies[be_].forwardfor.enabled ? cfg.proxies[be_].forwardfor : cfg.proxies[fe_].forwardfor;
  if (forwardfor_applies(ff) && !(ff.if_none && h.find(base, ff.header))) {
    char ip[INET6_ADDRSTRLEN] = "";
    if (peer_.sa.sa_family == AF_INET)
      uv_ip4_name(&peer_.v4, ip, sizeof(ip));
    else if (peer_.sa.sa_family == AF_INET6)
      uv_ip6_name(&peer_.v6, ip, sizeof(ip));
    if (ip[0]) hw.header(ff.header, ip);
  }
  keep_server_ = conn_mode() == config::HttpConnMode::keep_alive;
  if (req_upgrade_) {
    hw.put("connection: upgrade\r\n");
    keep_server_ = false;
  } else if (!keep_server_) {
    hw.put("connection: close\r\n");
  } else if (req_http10_) {
    hw.put("connection: keep-alive\r\n");
  }
  hw.put("\r\n");
  if (hw.overflow()) {
    w_.buffers().put(b);
    close_server();
    reply_error(400, {'P', 'R'});
    return;
  }
  out_ = b;
  uint32_t head_end = h.start + h.length;
  uint32_t limit = req_complete_ ? req_end_ : in_.parsed;
  in_.fwd = head_end;
  pending_server_fwd_ = limit;
  uv_buf_t bufs[2] = {uv_buf_init(out_, static_cast<unsigned>(hw.size())),
                      uv_buf_init(in_.data + head_end, limit - head_end)};
  srv_->start_reading();
  if (write_server(bufs, limit > head_end ? 2 : 1, ServerWrite::head)) {
    w_.buffers().put(out_);
    out_ = nullptr;
    in_.fwd = limit;
    request_sent();
  }
}

void Session::forward_request_body() {
  parse_request_body();
  if (closed_ || phase_ != Phase::request || server_write_ != ServerWrite::none) return;
  uint32_t limit = req_complete_ ? req_end_ : in_.parsed;
  if (limit > in_.fwd) {
    pending_server_fwd_ = limit;
    uv_buf_t buf = uv_buf_init(in_.data + in_.fwd, limit - in_.fwd);
    if (!write_server(&buf, 1, ServerWrite::body)) return;
    in_.fwd = limit;
  }
  request_sent();
}

// Called whenever everything parsed so far went to the server.
void Session::request_sent() {
  if (closed_) return;
  if (req_complete_) {
    if (phase_ == Phase::request) phase_ = Phase::response;
    if (in_.fwd == in_.end) release(in_);
    if (!resp_started_) {
      w_.timers().disarm(ctimer_);
      if (auto t = w_.config().proxies[be_].timeouts.server) w_.timers().arm(srv_->timer, *t);
    }
  } else {
    compact(in_);
    arm_client_timer(w_.config().proxies[fe_].timeouts.client);
    if (srv_ && !resp_started_)
      if (auto t = w_.config().proxies[be_].timeouts.server) w_.timers().arm(srv_->timer, *t);
  }
  start_reading();
}

void Session::on_server_write_done(int status) {
  ServerWrite kind = server_write_;
  server_write_ = ServerWrite::none;
  if (status < 0) {
    if (!resp_started_) {
      close_server();
      reply_error(502, {'S', 'D'});
    } else {
      abort_both({'S', 'D'});
    }
    return;
  }
  if (out_ && kind == ServerWrite::head) {
    w_.buffers().put(out_);
    out_ = nullptr;
  }
  in_.fwd = pending_server_fwd_;
  if (kind == ServerWrite::tunnel) {
    compact(in_);
    release(in_);
    start_reading();
    if (client_eof_) handle_client_eof();
    return;
  }
  request_sent();
  if (!req_complete_ && in_.parsed < in_.end) forward_request_body();
}

// ---------------------------------------------------------------------------------------------
// Relaying the response

void Session::on_server_read(ssize_t nread) {
  if (nread < 0) {
    srv_->stop_reading();
    if (phase_ == Phase::tunnel) {
      // The server is done; flush what it sent, then close the client side too.
      relay_to_client();
      if (client_write_ == ClientWrite::none) close_client();
      else close_pending_ = true;
      return;
    }
    if (resp_head_sent_ && !resp_complete_ && resp_eof_body_ && srv_->parser.finish()) {
      resp_complete_ = true;
      resp_end_ = srv_->in.end;
      keep_server_ = false;
      forward_response_body();
      return;
    }
    if (!resp_started_) {
      close_server();
      reply_error(502, {'S', 'H'});
    } else {
      abort_both({'S', 'D'});
    }
    return;
  }
  if (phase_ == Phase::tunnel) {
    relay_to_client();
    return;
  }
  handle_response_input();
}

void Session::handle_response_input() {
  ServerConn* c = srv_;
  if (!c || closed_) return;
  for (;;) {
    if (!c->in.data || c->in.parsed == c->in.end) return;
    if (!resp_begun_) {
      compact(c->in);
      c->parser.begin(c->in.data, c->in.fwd, header_slots(c->in.data), w_.max_headers());
      c->parser.expect_no_body(req_head_method_);
      resp_begun_ = true;
    }
    if (resp_head_sent_) {
      forward_response_body();
      return;
    }
    auto r = c->parser.feed(c->in.parsed, c->in.end);
    c->in.parsed = r.end;
    if (r.status == ParseStatus::error) {
      close_server();
      reply_error(502, {'S', 'H'});
      return;
    }
    if (!c->parser.head_done()) {
      if (c->in.end >= w_.bufsize()) {
        close_server();
        reply_error(502, {'S', 'H'});
      }
      return;
    }
    const http::Head& h = c->parser.head();
    resp_complete_ = r.status != ParseStatus::more;
    resp_upgrade_ = r.status == ParseStatus::upgrade && h.status == 101;
    resp_end_ = r.end;
    if (h.status >= 100 && h.status < 200 && h.status != 101) {
      // Interim response (100 Continue...): relay it and wait for the final one.
      send_response_head(true);
      if (client_write_ != ClientWrite::none || closed_) return;
      continue;
    }
    send_response_head(false);
    return;
  }
}

void Session::send_response_head(bool interim) {
  ServerConn* c = srv_;
  const http::Head& h = c->parser.head();
  const char* base = c->in.data;
  char* b = w_.buffers().get();
  http::HeadWriter hw(b, w_.bufsize());
  put_version(hw, h);
  hw.put(" ");
  hw.put_uint(h.status);
  hw.put(" ");
  hw.put(h.reason.in(base));
  hw.put("\r\n");
  copy_headers(hw, h, base);
  if (!interim) {
    bool bodiless = req_head_method_ || h.status == 204 || h.status == 304 || h.status < 200;
    resp_eof_body_ = !bodiless && !h.chunked && !h.has_length;
    if (resp_eof_body_ || !req_complete_) keep_client_ = false;
    keep_server_ = keep_server_ && h.keep_alive && !resp_eof_body_;
    if (resp_upgrade_) {
      hw.put("connection: upgrade\r\n");
    } else if (!keep_client_) {
      hw.put("connection: close\r\n");
    } else if (req_http10_) {
      hw.put("connection: keep-alive\r\n");
    }
  }
  hw.put("\r\n");
  if (hw.overflow()) {
    w_.buffers().put(b);
    close_server();
    reply_error(502, {'P', 'H'});
    return;
  }
  if (w_.runtime().debug && !interim) {
    int cfd = -1, sfd = -1;
    uv_fileno(handle(&tcp_), &cfd);
    uv_fileno(reinterpret_cast<uv_handle_t*>(&c->tcp), &sfd);
    trace::head(stream_id_, w_.config().proxies[be_].name, false, cfd, sfd, h, base);
  }
  if (out_) w_.buffers().put(out_);
  out_ = b;
  w_.timers().disarm(c->timer);
  uint32_t head_end = h.start + h.length;
  uint32_t limit = interim || resp_complete_ ? resp_end_ : c->in.parsed;
  if (resp_upgrade_) limit = c->in.end;   // bytes after a 101 already belong to the tunnel
  c->in.fwd = head_end;
  pending_client_fwd_ = limit;
  resp_started_ = true;
  if (!interim) resp_head_sent_ = true;
  uv_buf_t bufs[2] = {uv_buf_init(out_, static_cast<unsigned>(hw.size())),
                      uv_buf_init(c->in.data + head_end, limit - head_end)};
  if (interim) {
    resp_begun_ = false;   // the final response starts after this one
    if (write_client(bufs, limit > head_end ? 2 : 1, ClientWrite::interim)) {
      w_.buffers().put(out_);
      out_ = nullptr;
      c->in.fwd = limit;
    }
    return;
  }
  if (write_client(bufs, limit > head_end ? 2 : 1, ClientWrite::response)) response_written();
}

void Session::forward_response_body() {
  ServerConn* c = srv_;
  if (!c || client_write_ != ClientWrite::none) return;
  if (!resp_complete_ && c->in.parsed < c->in.end) {
    auto r = c->parser.feed(c->in.parsed, c->in.end);
    c->in.parsed = r.end;
    if (r.status == ParseStatus::error) {
      abort_both({'S', 'D'});
      return;
    }
    if (r.status != ParseStatus::more) {
      resp_complete_ = true;
      resp_end_ = r.end;
    }
  }
  uint32_t limit = resp_complete_ ? resp_end_ : c->in.parsed;
  pending_client_fwd_ = limit;
  if (limit > c->in.fwd) {
    uv_buf_t buf = uv_buf_init(c->in.data + c->in.fwd, limit - c->in.fwd);
    if (!write_client(&buf, 1, ClientWrite::response)) return;
  }
  response_written();
}

// Everything relayed so far reached the client (or the kernel's buffer for it).
void Session::response_written() {
  if (out_) {
    w_.buffers().put(out_);
    out_ = nullptr;
  }
  ServerConn* c = srv_;
  if (!c) return;
  c->in.fwd = pending_client_fwd_;
  if (resp_upgrade_) {
    start_tunnel();
    return;
  }
  if (resp_complete_) {
    end_exchange();
    return;
  }
  compact(c->in);
  c->start_reading();
  if (auto t = w_.config().proxies[be_].timeouts.server) w_.timers().arm(c->timer, *t);
}

void Session::end_exchange() {
  w_.timers().disarm(ctimer_);
  bool reusable = srv_ && keep_server_ && req_complete_ && srv_->in.fwd == srv_->in.end;
  if (w_.runtime().debug) trace_end(!keep_client_ || stop_after_ || w_.stopping(), srv_ && !reusable);
  if (srv_) detach_server(reusable);
  release_slot();
  first_request_ = false;
  if (!keep_client_ || stop_after_ || w_.stopping()) {
    close_client();
    return;
  }
  begin_next_request();
}

void Session::trace_end(bool client_closes, bool server_closes) {
  int cfd = -1, sfd = -1;
  uv_fileno(handle(&tcp_), &cfd);
  if (srv_) uv_fileno(reinterpret_cast<uv_handle_t*>(&srv_->tcp), &sfd);
  std::string_view name = w_.config().proxies[be_ >= 0 ? be_ : fe_].name;
  if (client_closes) trace::event(stream_id_, name, "clicls", cfd, sfd);
  if (server_closes) trace::event(stream_id_, name, "srvcls", cfd, sfd);
  trace::event(stream_id_, name, "closed", cfd, sfd);
}

void Session::detach_server(bool reusable) {
  ServerConn* c = srv_;
  srv_ = nullptr;
  if (!c) return;
  const auto& be = w_.config().proxies[c->proxy_index];
  if (!reusable || be.http_reuse == config::HttpReuse::never || w_.stopping()) {
    c->close();
    return;
  }
  c->owner = nullptr;
  c->set_busy(false);
  c->release_buffer();
  w_.put_idle(c);
}

void Session::begin_next_request() {
  phase_ = Phase::idle;
  req_complete_ = req_upgrade_ = false;
  // Bytes after the finished request are the next, pipelined, request.
  in_.fwd = req_end_ > in_.fwd ? req_end_ : in_.fwd;
  in_.parsed = in_.fwd;
  compact(in_);
  if (in_.data && in_.end > 0) {
    handle_client_input();
    return;
  }
  release(in_);
  arm_client_timer(w_.config().proxies[fe_].keep_alive_timeout());
  start_reading();
}

// ---------------------------------------------------------------------------------------------
// Tunnel

void Session::start_tunnel() {
  phase_ = Phase::tunnel;
  arm_client_timer(tunnel_timeout());
  w_.timers().disarm(srv_->timer);
  in_.fwd = req_end_;
  in_.parsed = in_.end;
  srv_->in.parsed = srv_->in.end;
  srv_->start_reading();
  start_reading();
  relay_to_server();
  relay_to_client();
}

void Session::relay_to_server() {
  if (!srv_ || server_write_ != ServerWrite::none || closed_) return;
  in_.parsed = in_.end;
  if (in_.end > in_.fwd) {
    pending_server_fwd_ = in_.end;
    uv_buf_t buf = uv_buf_init(in_.data + in_.fwd, in_.end - in_.fwd);
    if (!write_server(&buf, 1, ServerWrite::tunnel)) {
      stop_reading();
      return;
    }
    in_.fwd = in_.end;
  }
  compact(in_);
  release(in_);
  arm_client_timer(tunnel_timeout());
}

void Session::relay_to_client() {
  ServerConn* c = srv_;
  if (!c || client_write_ != ClientWrite::none || closed_) return;
  c->in.parsed = c->in.end;
  if (c->in.end > c->in.fwd) {
    pending_client_fwd_ = c->in.end;
    uv_buf_t buf = uv_buf_init(c->in.data + c->in.fwd, c->in.end - c->in.fwd);
    if (!write_client(&buf, 1, ClientWrite::tunnel)) {
      c->stop_reading();
      return;
    }
    c->in.fwd = c->in.end;
  }
  compact(c->in);
  c->release_buffer();
  arm_client_timer(tunnel_timeout());
}

std::optional<uint64_t> Session::tunnel_timeout() const {
  const auto& be = w_.config().proxies[be_];
  const auto& fe = w_.config().proxies[fe_];
  if (be.timeouts.tunnel) return be.timeouts.tunnel;
  if (fe.timeouts.tunnel) return fe.timeouts.tunnel;
  return fe.timeouts.client;
}

// ---------------------------------------------------------------------------------------------
// Local answers and writing

void Session::reply_error(int status, Termination t) {
  term_ = t;
  close_server();
  if (resp_started_) {
    finish_close();
    return;
  }
  // HAProxy's two forms: a request it could not parse or that timed out gets the
  // connection-level page and a close; anything else the stream-level page, and the client
  // connection stays open when the request was read whole and the client wants keep-alive.
  bool connection_level = status == 400 || status == 408;
  bool closing = connection_level || !keep_client_ || !req_complete_;
  int owner = be_ >= 0 ? be_ : fe_;
  std::string_view page;
  if (!connection_level) page = w_.runtime().errorfile(owner, status);
  if (!page.empty()) {
    // Without a length the page ends only with the connection.
    size_t head_end = page.find("\r\n\r\n");
    if (page.substr(0, head_end).find("\ncontent-length:") == std::string_view::npos) closing = true;
  }
  if (!page.empty() && closing) {
    // An errorfile's own Connection header was dropped at load; say we close, as HAProxy does.
    size_t head_end = page.find("\r\n\r\n");
    if (head_end != std::string_view::npos && page.size() + 19 <= w_.bufsize()) {
      char* b = w_.buffers().get();
      http::HeadWriter hw(b, w_.bufsize());
      hw.put(page.substr(0, head_end + 2));
      hw.put("connection: close\r\n");
      hw.put(page.substr(head_end + 2));
      if (out_) w_.buffers().put(out_);
      out_ = b;
      page = std::string_view(out_, hw.size());
    }
  }
  if (page.empty())
    page = http::error_response(status, nullptr,
                                connection_level ? http::ErrorLevel::connection : http::ErrorLevel::stream,
                                closing);
  if (closing) keep_client_ = false;
  else in_.fwd = req_end_;
  reply_local(page.data(), page.size(), closing);
}

void Session::reply_local(const char* data, size_t len, bool close_after) {
  w_.timers().disarm(ctimer_);
  resp_started_ = true;
  if (close_after) keep_client_ = false;
  uv_buf_t buf = uv_buf_init(const_cast<char*>(data), static_cast<unsigned>(len));
  local_ = data;
  if (write_client(&buf, 1, ClientWrite::local)) {
    local_ = nullptr;
    if (out_) {
      w_.buffers().put(out_);
      out_ = nullptr;
    }
    end_exchange();
  }
}

bool Session::write_client(uv_buf_t* bufs, int n, ClientWrite kind) {
  int r = uv_try_write(stream(&tcp_), bufs, n);
  if (r == UV_EAGAIN) r = 0;
  if (r < 0) {
    abort_both({'C', 'D'});
    return false;
  }
  size_t done = static_cast<size_t>(r);
  int i = 0;
  while (i < n && done >= bufs[i].len) done -= bufs[i++].len;
  if (i == n) return true;
  bufs[i].base += done;
  bufs[i].len -= done;
  client_write_ = kind;
  wreq_.data = this;
  if (uv_write(&wreq_, stream(&tcp_), bufs + i, n - i, on_write_done) != 0) {
    client_write_ = ClientWrite::none;
    abort_both({'C', 'D'});
    return false;
  }
  // The client is slow: stop taking bytes from the server until it catches up.
  if (srv_) srv_->stop_reading();
  arm_client_timer(w_.config().proxies[fe_].timeouts.client);
  return false;
}

bool Session::write_server(uv_buf_t* bufs, int n, ServerWrite kind) {
  uv_stream_t* s = stream(&srv_->tcp);
  int r = uv_try_write(s, bufs, n);
  if (r == UV_EAGAIN) r = 0;
  if (r < 0) {
    if (!resp_started_) {
      close_server();
      reply_error(502, {'S', 'D'});
    } else {
      abort_both({'S', 'D'});
    }
    return false;
  }
  size_t done = static_cast<size_t>(r);
  int i = 0;
  while (i < n && done >= bufs[i].len) done -= bufs[i++].len;
  if (i == n) return true;
  bufs[i].base += done;
  bufs[i].len -= done;
  server_write_ = kind;
  srv_->write_req.data = srv_;
  int rc = uv_write(&srv_->write_req, s, bufs + i, n - i, [](uv_write_t* req, int status) {
    auto* c = static_cast<ServerConn*>(req->data);
    if (c->closing || !c->owner) return;
    c->owner->on_server_write_done(status);
  });
  if (rc != 0) {
    server_write_ = ServerWrite::none;
    abort_both({'S', 'D'});
    return false;
  }
  stop_reading();   // the server is slow: stop taking bytes from the client
  return false;
}

void Session::on_write_done(uv_write_t* req, int status) {
  auto* s = static_cast<Session*>(req->data);
  ClientWrite kind = s->client_write_;
  s->client_write_ = ClientWrite::none;
  if (s->closed_) return;
  if (status < 0) {
    s->abort_both({'C', 'D'});
    return;
  }
  s->w_.timers().disarm(s->ctimer_);
  if (s->close_pending_) {
    s->close_pending_ = false;
    if (kind == ClientWrite::tunnel && s->srv_) s->srv_->in.fwd = s->pending_client_fwd_;
    s->close_client();
    return;
  }
  switch (kind) {
    case ClientWrite::local:
      s->local_ = nullptr;
      if (s->out_) {
        s->w_.buffers().put(s->out_);
        s->out_ = nullptr;
      }
      s->end_exchange();
      return;
    case ClientWrite::interim:
      if (s->out_) {
        s->w_.buffers().put(s->out_);
        s->out_ = nullptr;
      }
      if (s->srv_) {
        s->srv_->in.fwd = s->pending_client_fwd_;
        s->srv_->start_reading();
      }
      s->handle_response_input();
      return;
    case ClientWrite::response:
      s->response_written();
      if (!s->closed_ && s->phase_ != Phase::idle && s->srv_ && !s->resp_complete_) s->forward_response_body();
      return;
    case ClientWrite::tunnel:
      if (s->srv_) {
        s->srv_->in.fwd = s->pending_client_fwd_;
        s->srv_->start_reading();
        s->relay_to_client();
      }
      return;
    case ClientWrite::none:
      return;
  }
}

void Session::arm_client_timer(std::optional<uint64_t> ms) {
  if (ms && *ms > 0)
    w_.timers().arm(ctimer_, *ms);
  else
    w_.timers().disarm(ctimer_);
}

void Session::on_client_timer(core::TimerNode* n) {
  auto* s = static_cast<Session*>(n->owner);
  switch (s->phase_) {
    case Phase::idle:
      // A new connection that sent nothing within `timeout http-request` gets a 408 (HAProxy
      // does so too); an idle keep-alive connection is just closed.
      if (s->first_request_) s->reply_error(408, {'c', 'R'});
      else s->finish_close();
      return;
    case Phase::closing:
      s->finish_close();
      return;
    case Phase::queued:
      s->w_.dequeue(s);
      s->reply_error(503, {'s', 'Q'});
      return;
    case Phase::retry_wait:
      s->connect_server(s->retry_target_);
      return;
    case Phase::head:
      s->reply_error(408, {'c', 'R'});
      return;
    case Phase::request:
      if (!s->resp_started_) {
        s->close_server();
        s->reply_error(408, {'c', 'D'});
      } else {
        s->abort_both({'c', 'D'});
      }
      return;
    default:
      s->abort_both({'c', 'D'});
      return;
  }
}

}  // namespace portero::proxy
