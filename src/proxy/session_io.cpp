// The client connection's bytes: reading (into a pooled block, back to the pool when
// empty), feeding the HTTP/1 parser, writing with backpressure, pipelining, and the client-side
// timer. Worker-local.
#include <cassert>
#include <cstring>
#include <vector>

#include "portero/proxy/worker.h"
#include "session.h"
#include "h2_conn.h"
#include "trace.h"

namespace portero::proxy {

using http::ParseStatus;

bool Session::input_full() const { return in_.end >= w_.bufsize(); }

void Session::start_reading() {
  if (reading_ || closed_) return;
  reading_ = true;
  cli()->read_start();
}

void Session::stop_reading() {
  if (!reading_) return;
  reading_ = false;
  cli()->read_stop();
}

void Session::on_alloc(void* self, uv_buf_t* buf) {
  auto* s = static_cast<Session*>(self);
  if (s->phase_ == Phase::proxy_header) return s->peek_proxy_header(buf);
  if (!s->in_.data) {
    s->in_.data = s->w_.buffers().get();
    s->in_.fwd = s->in_.parsed = s->in_.end = 0;
  }
  buf->base = s->in_.data + s->in_.end;
  buf->len = s->w_.bufsize() - s->in_.end;
}

void Session::on_read(void* self, ssize_t nread) {
  auto* s = static_cast<Session*>(self);
  Entry in(*s);
  if (s->h2_) return s->h2_->on_read(nread);
  if (s->phase_ == Phase::proxy_header) return s->proxy_header_read(nread);
  if (nread == 0) {   // nothing after all: an empty buffer goes back to the pool
    s->release(s->in_);
    return;
  }
  if (nread == UV_ENOBUFS) {  // buffer full: wait until bytes are forwarded
    s->stop_reading();
    return;
  }
  if (nread == core::Transport::kHandshakeFailed) {
    const int end = s->tls_->peer_end();
    s->x().handshake_failed(end == UV_EOF ? log::HandshakeEnd::eof
                        : end < 0     ? log::HandshakeEnd::reset
                                      : log::HandshakeEnd::tls_error);
    return;
  }
  if (nread < 0) {
    s->client_eof_ = true;
    s->client_reset_ = nread != UV_EOF;
    s->handle_client_eof();
    return;
  }
  s->in_.end += static_cast<uint32_t>(nread);
  if (s->x_) s->x_->bytes_in_ += static_cast<uint64_t>(nread);   // a new request counts from its start
  s->handle_client_input();
}

bool Session::take_request(char* block, uint32_t len, const http::Head& head) {
  if (in_.data || phase_ != Phase::idle || closed_) return false;
  Entry in(*this);
  in_ = ReadBuffer{block, 0, 0, len};
  if (x_) x_->bytes_in_ += len;   // as on_read
#ifndef NDEBUG
  // Debug builds (the sanitizer suite) check that the head handed over is the one llhttp reads.
  {
    std::vector<http::Header> slots(w_.max_headers());
    http::Parser p(http::Parser::Kind::request);
    p.keep_http2_version(true);
    p.begin(block, 0, slots.data(), w_.max_headers());
    const auto r = p.feed(0, len);
    const http::Head& a = p.head();
    assert(r.status == ParseStatus::complete && r.end == len);
    assert(a.method.off == head.method.off && a.method.len == head.method.len);
    assert(a.target.off == head.target.off && a.target.len == head.target.len);
    assert(a.major == head.major && a.minor == head.minor && a.keep_alive == head.keep_alive);
    assert(a.upgrade == head.upgrade && a.chunked == head.chunked && a.has_length == head.has_length);
    assert(a.content_length == head.content_length && a.method_id == head.method_id);
    assert(a.length == head.length && a.count == head.count && a.scheme.len == 0 && a.authority.len == 0);
    for (uint16_t i = 0; i < a.count; ++i) {
      assert(a.headers[i].name.off == head.headers[i].name.off && a.headers[i].name.len == head.headers[i].name.len);
      assert(a.headers[i].value.off == head.headers[i].value.off && a.headers[i].value.len == head.headers[i].value.len);
    }
  }
#endif
  adopted_ = &head;
  handle_client_input();
  adopted_ = nullptr;
  return true;
}

void Session::release(ReadBuffer& b) {
  if (b.data && b.fwd == b.end) {
    w_.buffers().put(b.data);
    b = ReadBuffer{};
    // The request's end was an offset into that buffer; pipelined bytes arriving later start a
    // fresh one at 0, and must not be skipped as if they were the rest of the request.
    if (&b == &in_) req_end_ = 0;
  }
}

// The client closed its side: `client_reset_` tells an abort (reset, error) from a half-close
// (FIN), after which HAProxy still delivers the exchange in progress.
void Session::handle_client_eof() {
  stop_reading();
  switch (phase_) {
    case Phase::idle:
    case Phase::closing:
      finish_close();
      return;
    case Phase::inspect:
      // Whatever arrived is all there will be: decide, and forward it if accepted.
      if (client_reset_) finish_close();
      else x().inspect_tcp(true);
      return;
    case Phase::head:
      term_ = {'C', 'R'};
      finish_close();
      return;
    case Phase::tunnel:
      if (client_reset_ || x().client_shut_) x().abort_both({'C', 'D'});
      else x().relay_to_server();   // passes the half-close on once the bytes are through
      return;
    default:
      if (!client_reset_ && (x().req_complete_ || x().tcp_mode())) {
        // Everything was sent: let the answer come, then close (end_exchange sees client_eof_;
        // like HAProxy, the answer does not announce the close).
        return;
      }
      x().abort_both({'C', phase_ == Phase::queued ? 'Q' : phase_ == Phase::connecting ? 'C' : 'D'});
      return;
  }
}

void Session::handle_client_input() {
  switch (phase_) {
    case Phase::proxy_header:   // its bytes never reach here (session_proxy.cpp)
      return;
    case Phase::inspect:
      x().inspect_tcp(false);
      return;
    case Phase::idle: {
      in_.compact();
      // HTTP/2 with prior knowledge: a mode http listener takes the client's connection
      // preface as HAProxy does (the first bytes of the connection only).
      if (first_request_ && !stream_ && proto_ != config::MuxProto::h1 && is_h2_preface(in_, false)) {
        if (!is_h2_preface(in_)) return;   // its first bytes: wait for the rest
        return become_h2();
      }
      phase_ = Phase::head;
      x().log_request_start();
      x().req_.begin(in_.data, in_.fwd, w_.header_slots(in_.data), w_.max_headers());
      x().req_.keep_http2_version(stream_);
      if (!first_request_) arm_client_timer(w_.config().proxies[fe_].http_request_timeout());
      [[fallthrough]];
    }
    case Phase::head: {
      auto r = adopted_ ? x().req_.adopt(*adopted_) : x().req_.feed(in_.parsed, in_.end);
      adopted_ = nullptr;
      in_.parsed = r.end;
      if (r.status == ParseStatus::error) {
        capture_bad_request(r.end);
        if (is_h2_preface(in_)) {
          // An HTTP/2 client on an HTTP/1 listener: HAProxy closes without an answer.
          term_ = {'P', 'R'};
          finish_close();
          return;
        }
        x().reply_error(x().req_.error_status(), {'P', 'R'});   // 400, or 422 (transfer codings)
        return;
      }
      if (!x().req_.head_done()) {
        if (in_.end >= w_.bufsize()) {
          capture_bad_request(in_.end);
          x().reply_error(400, {'P', 'R'});
        }
        return;
      }
      x().req_complete_ = r.status != ParseStatus::more;
      x().req_upgrade_ = r.status == ParseStatus::upgrade;
      req_end_ = r.end;
      x().start_request();
      return;
    }
    case Phase::body_wait:
      parse_request_body();
      if (closed_) return;
      if (x().req_complete_ || in_.end >= w_.bufsize()) {
        w_.timers().disarm(ctimer_);
        x().process_request();   // the rules resume where wait-for-body stopped them
      }
      return;
    case Phase::tarpit:
    case Phase::stats:
    case Phase::queued:
    case Phase::retry_wait:
    case Phase::connecting:
      parse_request_body();
      if (in_.end >= w_.bufsize()) stop_reading();
      return;
    case Phase::request:
      x().forward_request_body();
      return;
    case Phase::response:
      // Pipelined bytes wait for the current response; stop when the buffer is full.
      if (in_.end >= w_.bufsize()) stop_reading();
      return;
    case Phase::tunnel:
      x().relay_to_server();
      return;
    case Phase::closing:
      in_.fwd = in_.parsed = in_.end = 0;   // drained and dropped
      release(in_);
      return;
  }
}

void Session::parse_request_body() {
  if (x().req_complete_ || closed_) return;
  auto r = x().req_.feed(in_.parsed, in_.end);
  in_.parsed = r.end;
  if (r.status == ParseStatus::error) {
    if (!x().resp_started_)
      x().reply_error(400, {'P', 'D'});
    else
      x().abort_both({'P', 'D'});
    return;
  }
  if (r.status != ParseStatus::more) {
    x().req_complete_ = true;
    req_end_ = r.end;
  }
}

// Both writers hand the bytes to their side's transport, which takes them all now or later
// (`written`); they differ only in what a slow or failed side means for the other one.
bool Session::write_client(uv_buf_t* bufs, int n, ClientWrite kind) {
  for (int i = 0; i < n; ++i) x().bytes_out_ += bufs[i].len;
  const int r = cli()->write(bufs, n);
  if (r == core::Transport::kDone) return true;
  if (r < 0) {
    x().abort_both({'C', 'D'});
    return false;
  }
  client_write_ = kind;
  // The client is slow: stop taking bytes from the server until it catches up.
  if (x().srv_) x().srv_->stop_reading();
  arm_client_timer(w_.config().proxies[fe_].timeouts.client);
  return false;
}

void Session::on_write_done(void* self, int status) {
  auto* s = static_cast<Session*>(self);
  Entry in(*s);
  if (s->h2_) return s->h2_->on_written(status);
  ClientWrite kind = s->client_write_;
  s->client_write_ = ClientWrite::none;
  if (s->closed_) return;
  if (status < 0) {
    s->x().abort_both({'C', 'D'});
    return;
  }
  s->w_.timers().disarm(s->ctimer_);
  if (s->close_pending_) {
    s->close_pending_ = false;
    if (kind == ClientWrite::tunnel && s->x().srv_) s->x().srv_->in.fwd = s->pending_client_fwd_;
    s->close_client();
    return;
  }
  switch (kind) {
    case ClientWrite::local:
      s->x().release_local();
      s->x().end_exchange();
      return;
    case ClientWrite::interim:
      if (s->x().out_) {
        s->w_.buffers().put(s->x().out_);
        s->x().out_ = nullptr;
      }
      if (s->x().srv_) {
        s->x().srv_->in.fwd = s->pending_client_fwd_;
        s->x().srv_->start_reading();
      }
      s->x().handle_response_input();
      return;
    case ClientWrite::response:
      s->x().response_written();
      if (!s->closed_ && s->phase_ != Phase::idle && s->x().srv_ && !s->x().resp_complete_) s->x().forward_response_body();
      return;
    case ClientWrite::tunnel:
      if (s->x().srv_) {
        s->x().srv_->in.fwd = s->pending_client_fwd_;
        s->x().srv_->start_reading();
        s->x().relay_to_client();
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
  Entry in(*s);
  if (s->h2_) return s->h2_->on_timer();
  switch (s->phase_) {
    case Phase::proxy_header:
      s->proxy_header_failed(log::ConnError::prx_timeout);
      return;
    case Phase::idle:
      // A TLS handshake still in progress: no stream yet, the connection's own log line.
      if (s->tls_ && !s->tls_->handshake_done()) return s->x().handshake_failed(log::HandshakeEnd::timeout);
      // A new connection that sent nothing within `timeout http-request` gets a 408 (HAProxy
      // does so too); an idle keep-alive connection is just closed.
      if (s->first_request_) s->x().reply_error(408, {'c', 'R'});
      else s->finish_close();
      return;
    case Phase::closing:
      s->finish_close();
      return;
    case Phase::inspect:
      s->x().inspect_tcp(true);
      return;
    case Phase::body_wait:
      if (s->x().buffering_) {
        // option http-buffer-request: the body did not come in time (HAProxy: 408, cR, no TR).
        s->x().buffering_ = false;
        s->x().t_head_ = 0;
        s->x().reply_error(408, {'c', 'R'}, true);   // the stream-level page
        return;
      }
      s->x().process_request();   // waited long enough: the rules go on with what arrived
      return;
    case Phase::tarpit:
      s->x().reply_error(s->x().tarpit_status_, s->term_);
      return;
    case Phase::queued:
      s->w_.dequeue(&s->x());
      s->x().reply_error(503, {'s', 'Q'});
      return;
    case Phase::retry_wait:
      s->x().connect_server(s->x().retry_target_);
      return;
    case Phase::head:
      s->x().reply_error(408, {'c', 'R'});
      return;
    case Phase::request:
      if (!s->x().resp_started_) {
        s->x().close_server();
        s->x().reply_error(408, {'c', 'D'});
      } else {
        s->x().abort_both({'c', 'D'});
      }
      return;
    default:
      s->x().abort_both({'c', 'D'});
      return;
  }
}

void Session::begin_next_request() {
  phase_ = Phase::idle;
  // The next exchange starts blank (nothing of it went out yet: a pipelined request refused by
  // the parser gets its 400 page, not a silent close).
  retire_exchange();
  // Bytes after the finished request are the next, pipelined, request.
  in_.fwd = req_end_ > in_.fwd ? req_end_ : in_.fwd;
  in_.parsed = in_.fwd;
  in_.compact();
  if (in_.data && in_.end > 0) {
    handle_client_input();
    return;
  }
  release(in_);
  arm_client_timer(w_.config().proxies[fe_].keep_alive_timeout());
  if (w_.stopping()) close_idle_within(w_.idle_close_delay());   // kept alive by close-spread-time
  if (closed_) return;
  start_reading();
}

}  // namespace portero::proxy
