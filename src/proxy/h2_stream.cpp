// One HTTP/2 stream as an HTTP/1 transport for its session (see h2_stream.h). Worker-local.
#include "h2_stream.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "portero/http/h1_writer.h"
#include "portero/http/head_writer.h"
#include "portero/proxy/worker.h"
#include "h2_conn.h"
#include "session.h"

namespace portero::proxy {

using http::Head;
using http::ParseStatus;

H2Stream::H2Stream(H2Conn& conn, int32_t id)
    : conn_(conn), id_(id), body_(conn.worker().buffers(), conn.worker().bufsize()) {
  deferred_.run = run;
  deferred_.self = this;
}

H2Stream::~H2Stream() {
  core::LoopContext::of(conn_.worker().loop()).cancel(&deferred_);
  release_blocks();
}

void H2Stream::release_blocks() {
  core::BufferPool& pool = conn_.worker().buffers();
  for (char** b : {&room_, &rq_, &raw_, &data_, &trl_})
    if (*b) {
      pool.put(*b);
      *b = nullptr;
    }
  body_.clear();
}

const ssl_st* H2Stream::tls() const { return conn_.tls(); }

// ---------------------------------------------------------------------------------------------
// The request: codec events in, HTTP/1 bytes out to the session

void H2Stream::open(http::h2::HeadRoom& room) {
  Worker& w = conn_.worker();
  room_ = w.buffers().get();
  room.data = room_;
  room.cap = w.bufsize();
  room.slots = w.header_slots(room_);
  room.max_headers = w.max_headers();
}

void H2Stream::on_head(const Head& h, const char* base, bool end_stream) {
  req_ended_ = end_stream;
  head_request_ = h.method_id == http::Method::head;
  // RFC 8441: only WebSocket is carried over an extended CONNECT (as haproxy 2.6).
  if (!h.protocol.empty() && !http::iequals(h.protocol.in(base), "websocket")) return answer_locally(501);
  if (!render_request(h, base, end_stream)) return answer_locally(431);
  conn_.worker().buffers().put(room_);   // the head is in rq_ now
  room_ = nullptr;
  Session* s = conn_.worker().new_stream_session(conn_.conn().frontend());
  attached_ = true;
  stats::Counters& c = conn_.worker().px_counters(conn_.conn().frontend());
  c.add(c.h2_streams);
  s->open_stream(*this, conn_.conn(), conn_.first_stream());
}

// Without :authority the codec takes Host as the authority: then the request reads as an
// HTTP/1 one would (origin form), as haproxy has it.
static bool authority_from_host(const Head& h, const char* base) {
  const http::Header* host = h.find(base, "host");
  return host && host->value.off == h.authority.off;
}

// Whether llhttp reads the rendered request exactly as the stream indexes it (see
// render_request): a known method other than CONNECT, no body, a target and authority of RFC
// 3986 characters, values without control bytes or surrounding blanks. Anything else (rare) is
// parsed by the session as it arrives.
static bool uri_bytes(std::string_view s) {
  for (unsigned char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          std::string_view("-._~:/?[]@!$&'()*+,;=%").find(char(c)) != std::string_view::npos))
      return false;
  return true;
}

static bool indexable(const Head& h, const char* base, bool end_stream) {
  if (!end_stream || h.has_length || h.method_id == http::Method::other || h.method_id == http::Method::connect)
    return false;
  if (!uri_bytes(h.target.in(base)) || !uri_bytes(h.authority.in(base)) || !uri_bytes(h.scheme.in(base)))
    return false;
  for (uint16_t i = 0; i < h.count; ++i) {
    const std::string_view v = h.headers[i].value.in(base);
    if (!v.empty() && (v.front() == ' ' || v.front() == '\t' || v.back() == ' ' || v.back() == '\t')) return false;
    for (unsigned char c : v)
      if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

// "GET http://host/path HTTP/2.0": the absolute form keeps :scheme and :authority for the
// rules, fetches and log line (haproxy shows h2 requests so); the exchange sends the server
// the path and Host. Host comes first, from the authority (the codec dropped a client's Host
// that :authority overrides), as haproxy writes it. When llhttp would read the text back
// exactly as written (indexable), the head is indexed while it is written, in the block's
// header slots, and the session takes it without parsing it (Session::take_request).
bool H2Stream::render_request(const Head& h, const char* base, bool end_stream) {
  Worker& w = conn_.worker();
  rq_ = w.buffers().get();
  http::HeadWriter out(rq_, w.bufsize());
  // A WebSocket extended CONNECT is HTTP/1's upgrade GET (RFC 8441 section 5): the key the
  // HTTP/1 handshake wants is made up here.
  websocket_ = !h.protocol.empty();
  indexed_ = !websocket_ && indexable(h, base, end_stream);
  index_ = Head{};
  index_.headers = w.header_slots(rq_);
  index_.major = 2;
  index_.minor = 0;
  index_.keep_alive = true;
  index_.method_id = h.method_id;
  auto span_from = [&](size_t at) { return http::Span{uint32_t(at), uint32_t(out.size() - at)}; };
  auto header = [&](std::string_view name, std::string_view value) {
    const size_t at = out.size();
    out.header(name, value);
    if (!indexed_) return;
    if (index_.count == w.max_headers()) {
      indexed_ = false;   // too many to index: the session's parser answers as it would
      return;
    }
    index_.headers[index_.count++] = {{uint32_t(at), uint32_t(name.size())},
                                      {uint32_t(at + name.size() + 2), uint32_t(value.size())}};
  };
  out.put(websocket_ ? std::string_view("GET") : h.method.in(base));
  index_.method = span_from(0);
  out.put(" ");
  const size_t target_at = out.size();
  if (h.method_id == http::Method::connect && !websocket_) {
    out.put(h.authority.in(base));
  } else if (!h.authority.empty() && !h.scheme.empty() && !authority_from_host(h, base)) {
    out.put(h.scheme.in(base));
    out.put("://");
    out.put(h.authority.in(base));
    out.put(h.target.in(base));
  } else {
    out.put(h.target.in(base));
  }
  index_.target = span_from(target_at);
  out.put(" HTTP/2.0\r\n");
  if (!h.authority.empty()) header("host", h.authority.in(base));
  for (uint16_t i = 0; i < h.count; ++i) {
    std::string_view name = h.headers[i].name.in(base);
    if (name != "host") header(name, h.headers[i].value.in(base));
  }
  if (websocket_) {
    unsigned char key[16], text[32];
    if (RAND_bytes(key, sizeof key) != 1) return false;
    EVP_EncodeBlock(text, key, sizeof key);
    out.put("connection: upgrade\r\nupgrade: websocket\r\nsec-websocket-key: ");
    out.put(std::string_view(reinterpret_cast<char*>(text), 24));
    out.put("\r\n");
  }
  // A body without a length goes as chunks (HTTP/1's way to frame what HTTP/2's DATA frames);
  // a tunnel's bytes go as they are.
  chunked_ = !end_stream && !h.has_length && !websocket_;
  if (chunked_) out.put("transfer-encoding: chunked\r\n");
  out.put("\r\n");
  rq_len_ = uint32_t(out.size());
  index_.length = rq_len_;
  return !out.overflow();
}

// A request the bridge cannot carry gets its answer here, without a session.
void H2Stream::answer_locally(uint16_t status) {
  Head h;
  h.status = status;
  conn_.codec().submit_response(id_, h, "", true);
  conn_.schedule_flush();
}

void H2Stream::on_data(const char* p, size_t n) {
  if (closed_ || shut_) {   // nobody reads it any more: reopen the window at once
    conn_.codec().consumed(id_, n);
    return;
  }
  if (!body_.push(p, n)) {   // more than the window allows: the codec should have refused it
    conn_.codec().reset(id_, http::h2::flow_control_error);
    return;
  }
  schedule();
}

void H2Stream::on_end() {
  req_ended_ = true;
  schedule();
}

void H2Stream::on_codec_closed(uint32_t) {
  gone_ = true;
  // The client reset the stream, or the connection ended, before the exchange did: its session
  // sees the client abort.
  if (attached_ && !closed_ && !(response_done_ && eof_pulled_)) {
    want_reset_ = true;
    schedule();
  }
  maybe_free();
}

void H2Stream::read_start() {
  reading_ = true;
  schedule();
}

bool H2Stream::has_input() const {
  return rq_off_ < rq_len_ || frame_off_ < frame_len_ || chunk_left_ > 0 || !body_.empty() ||
         (chunked_ && req_ended_ && !last_chunk_sent_);
}

// Fills `out` with the next HTTP/1 bytes of the request: the head, then the body, framed as
// chunks when no length was announced.
size_t H2Stream::produce(char* out, size_t cap) {
  size_t n = 0, payload = 0;
  while (n < cap) {
    if (rq_off_ < rq_len_) {
      const size_t m = std::min<size_t>(cap - n, rq_len_ - rq_off_);
      std::memcpy(out + n, rq_ + rq_off_, m);
      rq_off_ += uint32_t(m);
      n += m;
      if (rq_off_ == rq_len_) {
        conn_.worker().buffers().put(rq_);
        rq_ = nullptr;
        rq_off_ = rq_len_ = 0;
      }
      continue;
    }
    if (frame_off_ < frame_len_) {
      const size_t m = std::min<size_t>(cap - n, frame_len_ - frame_off_);
      std::memcpy(out + n, frame_ + frame_off_, m);
      frame_off_ += uint8_t(m);
      n += m;
      continue;
    }
    if (!chunked_) {
      const size_t m = body_.pop(out + n, cap - n);
      n += m;
      payload += m;
      break;
    }
    if (chunk_left_ > 0) {
      const size_t m = body_.pop(out + n, std::min<size_t>(cap - n, chunk_left_));
      chunk_left_ -= uint32_t(m);
      n += m;
      payload += m;
      continue;
    }
    // Between chunks: the next one's size line (after the previous one's CRLF), or the end.
    const char* crlf = chunk_open_ ? "\r\n" : "";
    if (!body_.empty()) {
      chunk_left_ = uint32_t(body_.size());
      frame_len_ = uint8_t(std::snprintf(frame_, sizeof frame_, "%s%x\r\n", crlf, chunk_left_));
      chunk_open_ = true;
    } else if (req_ended_ && !last_chunk_sent_) {
      frame_len_ = uint8_t(std::snprintf(frame_, sizeof frame_, "%s0\r\n\r\n", crlf));
      last_chunk_sent_ = true;
      chunk_open_ = false;
    } else {
      break;
    }
    frame_off_ = 0;
  }
  if (payload > 0) {   // the session has it: the client may send as much again
    conn_.codec().consumed(id_, payload);
    conn_.schedule_flush();
  }
  return n;
}

void H2Stream::deliver() {
  while (reading_ && !closed_) {
    if (shut_ && !tunnel_) {   // the response is over: whatever the client still sends is not read
      reading_ = false;
      ev_->read(owner_, UV_EOF);
      return;
    }
    if (indexed_ && rq_ && rq_off_ == 0) {   // the whole request, indexed: handed over as is
      indexed_ = false;
      char* block = rq_;
      const uint32_t len = rq_len_;
      if (static_cast<Session*>(owner_)->take_request(block, len, index_)) {
        rq_ = nullptr;
        rq_len_ = 0;
        continue;
      }
    }
    if (!has_input()) {
      if (tunnel_ && req_ended_ && !eof_sent_) {   // the client half-closed the tunnel
        eof_sent_ = true;
        reading_ = false;
        ev_->read(owner_, UV_EOF);
      }
      return;
    }
    uv_buf_t room;
    ev_->alloc(owner_, &room);
    if (room.len == 0) {
      ev_->read(owner_, UV_ENOBUFS);   // the session stops reading until it has room again
      return;
    }
    ev_->read(owner_, ssize_t(produce(room.base, room.len)));
  }
}

// ---------------------------------------------------------------------------------------------
// The response: the session's HTTP/1 bytes in, a head and DATA out to the codec

int H2Stream::write(uv_buf_t* bufs, int n) {
  if (closed_ || gone_) return UV_ECONNRESET;
  if (n > kMaxPending) return UV_EINVAL;
  std::copy(bufs, bufs + n, pend_);
  pend_n_ = uint8_t(n);
  pend_i_ = 0;
  pend_off_ = 0;
  if (!pump()) {   // the session wrote no valid HTTP/1 response (a bug): the stream ends
    conn_.codec().reset(id_, http::h2::internal_error);
    conn_.schedule_flush();
    return UV_EPROTO;
  }
  if (pend_i_ < pend_n_) return kPending;
  pend_n_ = pend_i_ = 0;
  return kDone;
}

// Moves the pending write's bytes through the parser as far as the payload block has room.
bool H2Stream::pump() {
  Worker& w = conn_.worker();
  const uint32_t cap = w.bufsize();
  while (pend_i_ < pend_n_ && tunnel_) {   // after the upgrade: the bytes are the payload
    if (!data_) data_ = w.buffers().get();
    if (doff_ == dlen_) doff_ = dlen_ = 0;
    const size_t m = std::min<size_t>(pend_[pend_i_].len - pend_off_, cap - dlen_);
    if (m == 0) break;
    std::memcpy(data_ + dlen_, pend_[pend_i_].base + pend_off_, m);
    dlen_ += uint32_t(m);
    pend_off_ += uint32_t(m);
    if (pend_off_ == pend_[pend_i_].len) {
      ++pend_i_;
      pend_off_ = 0;
    }
  }
  while (pend_i_ < pend_n_ && direct_) {   // the head was given: skip its text, count the body
    const size_t avail = pend_[pend_i_].len - pend_off_;
    size_t m;
    if (skip_) {
      m = std::min<size_t>(avail, skip_);
      skip_ -= uint32_t(m);
    } else {
      if (avail && !body_left_) return false;   // more than the announced length: a bug
      if (!data_) data_ = w.buffers().get();
      if (doff_ == dlen_) doff_ = dlen_ = 0;
      m = std::min<uint64_t>(std::min<size_t>(avail, cap - dlen_), body_left_);
      if (m == 0 && avail) break;   // wait for the codec to pull
      std::memcpy(data_ + dlen_, pend_[pend_i_].base + pend_off_, m);
      dlen_ += uint32_t(m);
      body_left_ -= m;
    }
    pend_off_ += uint32_t(m);
    if (pend_off_ == pend_[pend_i_].len) {
      ++pend_i_;
      pend_off_ = 0;
    }
  }
  if (direct_ && !skip_ && !body_left_) response_done_ = true;
  while (!direct_ && pend_i_ < pend_n_) {
    if (!raw_) raw_ = w.buffers().get();
    if (head_sent_ && !data_) data_ = w.buffers().get();
    if (doff_ == dlen_) doff_ = dlen_ = 0;
    if (parsed_ == raw_len_ && head_sent_ && !rsp_.holds_spans()) raw_len_ = parsed_ = 0;   // nothing to keep
    // Payload never exceeds the raw bytes it came in: feed no more than the block can take.
    size_t m = std::min<size_t>(pend_[pend_i_].len - pend_off_, cap - raw_len_);
    if (head_sent_) m = std::min<size_t>(m, cap - dlen_);
    if (m == 0) {
      if (raw_len_ == cap && rsp_.holds_spans()) return false;   // a head or trailer larger than a buffer
      break;                                                      // wait for the codec to pull
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
  if (dlen_ > doff_ || response_done_) {
    conn_.codec().resume(id_);
    conn_.schedule_flush();
  }
  return true;
}

void H2Stream::on_payload(void* self, const char* p, size_t n) {
  auto* s = static_cast<H2Stream*>(self);
  if (!s->data_) s->data_ = s->conn_.worker().buffers().get();
  std::memcpy(s->data_ + s->dlen_, p, n);
  s->dlen_ += uint32_t(n);
}

bool H2Stream::parse() {
  Worker& w = conn_.worker();
  while (parsed_ < raw_len_ && !response_done_) {
    if (!msg_begun_) {
      rsp_.begin(raw_, parsed_, w.header_slots(raw_), w.max_headers());
      rsp_.expect_no_body(head_request_);
      rsp_.set_body_sink(on_payload, this);
      rsp_.set_trailer_sink(on_trailer);
      msg_begun_ = true;
    }
    const http::FeedResult r = rsp_.feed(parsed_, raw_len_);
    if (r.status == ParseStatus::error) return false;
    parsed_ = r.end;
    const bool complete = r.status != ParseStatus::more;
    if (r.status == ParseStatus::upgrade && websocket_ && rsp_.head().status == 101) {
      submit_head(false);   // as 200: the stream is the tunnel now
      tunnel_ = true;
      // Bytes after the 101 already belong to the tunnel.
      if (parsed_ < raw_len_) on_payload(this, raw_ + parsed_, raw_len_ - parsed_);
      raw_len_ = parsed_ = 0;
      return true;
    }
    if (rsp_.head_done() && !head_sent_) submit_head(complete);
    if (!complete) continue;
    if (rsp_.head().status < 200) {   // an interim response: the final one follows
      std::memmove(raw_, raw_ + parsed_, raw_len_ - parsed_);
      raw_len_ -= parsed_;
      parsed_ = 0;
      msg_begun_ = head_sent_ = false;
      continue;
    }
    response_done_ = true;
    if (trailers_.count) {   // they end the stream after the last DATA
      conn_.codec().submit_trailers(id_, trailers_, trl_);
      conn_.worker().buffers().put(trl_);
      trl_ = nullptr;
      trailers_ = Head{};
    }
  }
  return true;
}

// A trailer of the session's chunked response: kept (copied: the raw bytes move on) until the
// response ends, then sent as HTTP/2 trailers.
void H2Stream::on_trailer(void* self, std::string_view name, std::string_view value) {
  auto* s = static_cast<H2Stream*>(self);
  Worker& w = s->conn_.worker();
  if (!s->trl_) {
    s->trl_ = w.buffers().get();
    s->trailers_ = Head{};
    s->trailers_.headers = w.header_slots(s->trl_);
    s->trl_len_ = 0;
  }
  if (s->trailers_.count >= w.max_headers() || name.size() + value.size() > w.bufsize() - s->trl_len_) return;
  http::Header h;
  h.name = {s->trl_len_, uint32_t(name.size())};
  std::memcpy(s->trl_ + s->trl_len_, name.data(), name.size());
  s->trl_len_ += uint32_t(name.size());
  h.value = {s->trl_len_, uint32_t(value.size())};
  std::memcpy(s->trl_ + s->trl_len_, value.data(), value.size());
  s->trl_len_ += uint32_t(value.size());
  s->trailers_.headers[s->trailers_.count++] = h;
}

void H2Stream::submit_head(bool message_complete) {
  Head h = rsp_.head();
  if (h.status == 101 && websocket_) {
    // RFC 8441: the extended CONNECT succeeds with a 200 (the accept value goes along, as
    // haproxy lets it: clients ignore it).
    h.status = 200;
    message_complete = false;
  }
  const bool interim = h.status < 200;
  const bool no_body = !interim && message_complete && dlen_ == doff_;
  conn_.codec().submit_response(id_, h, raw_, interim || no_body);
  if (no_body) eof_pulled_ = true;
  head_sent_ = true;
  conn_.schedule_flush();
}

bool H2Stream::take_response_head(const Head& h, const char* base, bool drop_length, uint32_t text_len,
                                  uint64_t body_len) {
  if (closed_ || gone_ || websocket_ || tunnel_ || msg_begun_ || head_sent_ || raw_len_ || pend_i_ < pend_n_)
    return false;
  // The fields as the HTTP/1 text has them (the codec then drops what HTTP/2 does not carry).
  thread_local std::vector<http::Header> fields;
  fields.resize(h.count);
  Head fh = h;
  fh.headers = fields.data();
  fh.count = 0;
  http::h1::forwarded_headers(h, base, {}, drop_length, [&](const http::Header& f) { fields[fh.count++] = f; });
  const bool no_body = body_len == 0;
  conn_.codec().submit_response(id_, fh, base, no_body);
  if (no_body) eof_pulled_ = true;
  head_sent_ = true;
  direct_ = true;
  skip_ = text_len;
  body_left_ = body_len;
  conn_.schedule_flush();
  return true;
}

size_t H2Stream::pull(char* out, size_t cap, bool& eof, bool& more_later) {
  const size_t m = std::min<size_t>(cap, dlen_ - doff_);
  if (m) std::memcpy(out, data_ + doff_, m);
  doff_ += uint32_t(m);
  if (doff_ == dlen_ && response_done_) {
    eof = true;
    eof_pulled_ = true;
  } else if (m == 0) {
    more_later = true;
  }
  // Room again: the rest of the session's write can come through.
  if (doff_ == dlen_ && pend_i_ < pend_n_ && !closed_) {
    if (!pump()) conn_.codec().reset(id_, http::h2::internal_error);
    if (pend_i_ == pend_n_) {
      pend_n_ = pend_i_ = 0;
      want_written_ = true;
      schedule();
    }
  }
  return m;
}

// The session ended its response: a body delimited by the end of the connection ends here.
int H2Stream::shutdown() {
  if (closed_) return UV_ENOTCONN;
  shut_ = true;
  if (!response_done_) {
    if (tunnel_) {
      response_done_ = true;
      conn_.codec().resume(id_);
    } else if (head_sent_ && rsp_.finish()) {
      response_done_ = true;
      conn_.codec().resume(id_);
    } else {
      conn_.codec().reset(id_, http::h2::internal_error);
    }
  }
  conn_.schedule_flush();
  want_shut_ = true;
  schedule();
  return 0;
}

void H2Stream::close() {
  if (closed_) return;
  closed_ = true;
  reading_ = false;
  pend_n_ = pend_i_ = 0;
  // An exchange that ended without its whole response (an abort) resets the stream; a complete
  // one stays until the codec has sent it.
  if (!gone_ && !response_done_) {
    conn_.codec().reset(id_, http::h2::internal_error);
    conn_.schedule_flush();
  }
  want_closed_ = true;
  schedule();
}

// ---------------------------------------------------------------------------------------------
// Events to the session, from the loop's deferred turn

void H2Stream::schedule() {
  if (attached_ && !detached_) core::LoopContext::of(conn_.worker().loop()).defer(&deferred_);
}

void H2Stream::run(void* self) {
  auto* s = static_cast<H2Stream*>(self);
  if (s->want_closed_) {
    s->want_closed_ = false;
    s->detached_ = true;
    s->ev_->closed(s->owner_);   // the session is freed
    s->maybe_free();
    return;
  }
  if (s->closed_) return;
  if (s->want_written_) {
    s->want_written_ = false;
    s->ev_->written(s->owner_, 0);
    if (s->closed_) return;
  }
  if (s->want_shut_) {
    s->want_shut_ = false;
    if (s->ev_->shut) s->ev_->shut(s->owner_, 0);
    if (s->closed_) return;
  }
  // What the client sent before it reset the stream is read first: a request whose head came
  // is an exchange (logged as aborted, as haproxy logs it), not a connection that never spoke.
  s->deliver();
  if (s->want_reset_ && !s->closed_) {
    s->want_reset_ = false;
    s->ev_->read(s->owner_, UV_ECONNRESET);
  }
}

void H2Stream::maybe_free() {
  if (!gone_ || (attached_ && !detached_)) return;
  conn_.stream_freed(this);   // destroys this
}

}  // namespace portero::proxy
