// One exchange's stream on a shared HTTP/2 server connection, as an HTTP/1 transport for the
// exchange (see h2_call.h). Worker-local.
#include "h2_call.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "portero/http/head_writer.h"
#include "portero/http/status.h"
#include "portero/proxy/worker.h"
#include "h2_upstream.h"

namespace portero::proxy {

using http::Head;
using http::ParseStatus;

H2Call::H2Call(H2Upstream& up)
    : up_(up),
      body_(up.worker().buffers(), up.worker().bufsize()),
      resp_(up.worker().buffers(), up.worker().bufsize()) {
  deferred_.run = run;
  deferred_.self = this;
}

H2Call::~H2Call() {
  core::LoopContext::of(up_.worker().loop()).cancel(&deferred_);
  core::BufferPool& pool = up_.worker().buffers();
  for (char** b : {&raw_, &trl_})
    if (*b) {
      pool.put(*b);
      *b = nullptr;
    }
}

int H2Call::fd() const { return up_.fd(); }
const ssl_st* H2Call::tls() const { return up_.tls(); }

// ---------------------------------------------------------------------------------------------
// The request: the exchange's HTTP/1 bytes in, HEADERS and DATA out

int H2Call::write(uv_buf_t* bufs, int n) {
  if (closed_) return UV_ECONNRESET;
  if (failed_ && !response_done_) return UV_ECONNRESET;
  if (n > kMaxPending) return UV_EINVAL;
  std::copy(bufs, bufs + n, pend_);
  pend_n_ = uint8_t(n);
  pend_i_ = 0;
  pend_off_ = 0;
  if (!pump()) {   // not a request HTTP/2 can carry (a tunnel), or a head past the buffer
    if (streaming()) up_.codec().reset(id_, 0x2 /* INTERNAL_ERROR */);
    up_.schedule_flush();
    pend_n_ = pend_i_ = 0;
    return UV_EPROTO;
  }
  if (pend_i_ < pend_n_) return kPending;
  pend_n_ = pend_i_ = 0;
  return kDone;
}

// Moves the pending write's bytes through the parser as far as the body queue has room.
bool H2Call::pump() {
  Worker& w = up_.worker();
  const uint32_t cap = w.bufsize();
  while (pend_i_ < pend_n_) {
    if (request_done_ || gone_) {   // nothing more belongs to this request: dropped
      pend_i_ = pend_n_;
      break;
    }
    if (!raw_) raw_ = w.buffers().get();
    if (parsed_ == raw_len_ && id_ > 0 && !req_.holds_spans()) raw_len_ = parsed_ = 0;   // nothing to keep
    size_t m = std::min<size_t>(pend_[pend_i_].len - pend_off_, cap - raw_len_);
    // Payload never exceeds the raw bytes it came in: feed no more than the queue takes.
    if (id_ > 0) m = std::min<size_t>(m, core::ByteQueue::capacity(cap) - body_.size());
    if (m == 0) {
      if (raw_len_ == cap && req_.holds_spans()) return false;
      break;   // wait for the codec to pull
    }
    std::memcpy(raw_ + raw_len_, pend_[pend_i_].base + pend_off_, m);
    raw_len_ += uint32_t(m);
    pend_off_ += uint32_t(m);
    if (pend_off_ == pend_[pend_i_].len) {
      ++pend_i_;
      pend_off_ = 0;
    }
    if (!parse()) return false;
  }
  if (id_ > 0 && (!body_.empty() || request_done_)) {
    up_.codec().resume(id_);
    up_.schedule_flush();
  }
  return true;
}

void H2Call::on_payload(void* self, const char* p, size_t n) {
  static_cast<H2Call*>(self)->body_.push(p, n);   // room was checked by pump()
}

bool H2Call::parse() {
  Worker& w = up_.worker();
  while (parsed_ < raw_len_ && !request_done_) {
    if (!msg_begun_) {
      req_.begin(raw_, parsed_, w.header_slots(raw_), w.max_headers());
      req_.set_body_sink(on_payload, this);
      msg_begun_ = true;
    }
    const http::FeedResult r = req_.feed(parsed_, raw_len_);
    if (r.status == ParseStatus::error || r.status == ParseStatus::upgrade) return false;
    parsed_ = r.end;
    const bool complete = r.status != ParseStatus::more;
    if (req_.head_done() && id_ == 0) {
      head_request_ = req_.head().method_id == http::Method::head;
      id_ = up_.codec().submit_request(req_.head(), raw_, complete && body_.empty());
      if (id_ < 0) return false;
      up_.schedule_flush();
    }
    if (complete) request_done_ = true;
  }
  return true;
}

size_t H2Call::pull(char* out, size_t cap, bool& eof, bool& more_later) {
  const size_t m = body_.pop(out, cap);
  if (body_.empty() && request_done_) eof = true;
  else if (m == 0) more_later = true;
  // Room again: the rest of the exchange's write can come through.
  if (pend_i_ < pend_n_ && !closed_) {
    if (!pump()) up_.codec().reset(id_, 0x2 /* INTERNAL_ERROR */);
    if (pend_i_ == pend_n_) {
      pend_n_ = pend_i_ = 0;
      want_written_ = true;
      schedule();
    }
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// The response: codec events in, HTTP/1 text out to the exchange

bool H2Call::put(std::string_view s) {
  if (resp_.push(s.data(), s.size())) return true;
  // More than the window lets in: the server ignored flow control.
  up_.codec().reset(id_, 0x3 /* FLOW_CONTROL_ERROR */);
  failed_ = true;
  return false;
}

void H2Call::on_head(const Head& h, const char* base, bool end_stream) {
  if (closed_ || final_head_) return;
  Worker& w = up_.worker();
  const bool interim = h.status < 200;
  const bool bodiless = head_request_ || h.status == 204 || h.status == 304;
  char* b = w.buffers().get();
  http::HeadWriter out(b, w.bufsize());
  out.put("HTTP/1.1 ");
  out.put_uint(h.status);
  out.put(" ");
  out.put(http::reason_phrase(h.status));
  out.put("\r\n");
  for (uint16_t i = 0; i < h.count; ++i) {
    const std::string_view name = h.headers[i].name.in(base);
    if (name == "transfer-encoding" || name == "connection") continue;   // not on HTTP/2 (RFC 9113 8.2.2)
    out.header(name, h.headers[i].value.in(base));
  }
  if (!interim) {
    final_head_ = true;
    // HTTP/1 needs the body delimited: a length when the server gave one (or there is none),
    // chunks otherwise; chunks also carry the trailers.
    chunked_ = !end_stream && !bodiless && !h.has_length;
    if (chunked_) out.put("transfer-encoding: chunked\r\n");
    else if (end_stream && !bodiless && !h.has_length) out.put("content-length: 0\r\n");
  }
  out.put("\r\n");
  if (out.overflow()) {
    up_.codec().reset(id_, 0x2 /* INTERNAL_ERROR */);
    failed_ = true;
  } else {
    put(std::string_view(b, out.size()));
  }
  w.buffers().put(b);
  schedule();
}

void H2Call::on_data(const char* p, size_t n) {
  if (closed_ || failed_) {
    up_.codec().consumed(id_, n);
    return;
  }
  unconsumed_ += n;
  if (chunked_) {
    char line[24];
    const int k = std::snprintf(line, sizeof line, "%zx\r\n", n);
    if (!put(std::string_view(line, size_t(k))) || !put(std::string_view(p, n)) || !put("\r\n")) return;
  } else if (!put(std::string_view(p, n))) {
    return;
  }
  schedule();
}

void H2Call::on_trailers(const Head& t, const char* base) {
  if (closed_ || !chunked_) return;   // a body with a length has no room for trailers on HTTP/1
  Worker& w = up_.worker();
  if (!trl_) trl_ = w.buffers().get();
  http::HeadWriter out(trl_ + trl_len_, w.bufsize() - trl_len_);
  for (uint16_t i = 0; i < t.count; ++i) out.header(t.headers[i].name.in(base), t.headers[i].value.in(base));
  if (!out.overflow()) trl_len_ += uint32_t(out.size());
}

void H2Call::on_end() {
  if (closed_) return;
  if (chunked_) {
    if (!put("0\r\n")) return;
    if (trl_len_ && !put(std::string_view(trl_, trl_len_))) return;
    if (!put("\r\n")) return;
  }
  response_done_ = true;
  schedule();
}

void H2Call::on_closed(uint32_t) {
  gone_ = true;
  if (!response_done_) failed_ = true;   // reset, refused or cut before the response ended
  schedule();
}

void H2Call::fail() {
  gone_ = true;
  if (!response_done_) failed_ = true;
  schedule();
}

void H2Call::read_start() {
  reading_ = true;
  schedule();
}

void H2Call::deliver() {
  while (reading_ && !closed_) {
    if (resp_.empty()) {
      if (failed_) {   // what came was read: now the exchange learns the stream is lost
        reading_ = false;
        ev_->read(owner_, UV_ECONNRESET);
      }
      return;
    }
    uv_buf_t room;
    ev_->alloc(owner_, &room);
    if (room.len == 0) {
      ev_->read(owner_, UV_ENOBUFS);
      return;
    }
    const size_t n = resp_.pop(room.base, room.len);
    // The server may send as much again (chunk framing counts as payload here: the window
    // reopens a few bytes early, never late).
    const size_t k = std::min(n, unconsumed_);
    if (k && !gone_) {
      unconsumed_ -= k;
      up_.codec().consumed(id_, k);
      up_.schedule_flush();
    }
    ev_->read(owner_, ssize_t(n));
  }
}

void H2Call::close() {
  if (closed_) return;
  closed_ = true;
  reading_ = false;
  pend_n_ = pend_i_ = 0;
  // An exchange that ends before its stream does (an abort, a timeout, a response it stopped
  // reading) cancels the stream; the server may stop working on it.
  if (streaming()) {
    up_.codec().reset(id_, 0x8 /* CANCEL */);
    up_.schedule_flush();
  }
  want_closed_ = true;
  schedule();
}

// ---------------------------------------------------------------------------------------------
// Events to the exchange, from the loop's deferred turn

void H2Call::schedule() { core::LoopContext::of(up_.worker().loop()).defer(&deferred_); }

void H2Call::run(void* self) {
  auto* c = static_cast<H2Call*>(self);
  if (c->want_closed_) {
    c->want_closed_ = false;
    c->ev_->closed(c->owner_);   // the exchange's server connection is freed
    c->up_.call_freed(c);        // and so is this
    return;
  }
  if (c->closed_) return;
  if (c->want_written_) {
    c->want_written_ = false;
    c->ev_->written(c->owner_, 0);
    if (c->closed_) return;
  }
  c->deliver();
}

}  // namespace portero::proxy
