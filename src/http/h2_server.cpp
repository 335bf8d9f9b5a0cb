#include "portero/http/h2_server.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "h2_head.h"
#include "h2_mem.h"
#include "h2_rate.h"

namespace portero::http::h2 {

namespace {

// Control frames pulled out of nghttp2 while feeding (see flush_control) are bounded: past
// this, they wait in nghttp2's queue, where its flood protection counts them (a client that
// sends PINGs and never reads ends with a GOAWAY). A connection error whose GOAWAY sits behind
// more than this is then reported by fill_output/done() and the next feed() instead.
constexpr size_t kEarlyLimit = 64 * 1024;
// Above this, the early buffer's memory is given back once drained (idle connections stay small).
constexpr size_t kEarlyKeep = 4096;

nghttp2_nv nv(std::string_view name, std::string_view value) {
  // NO_COPY flags are not used: nghttp2 copies the fields when they are submitted.
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
                    NGHTTP2_NV_FLAG_NONE};
}

uint64_t steady_ms(void*) {
  return uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count());
}

}  // namespace

struct Server::Impl {
  struct Stream {
    RequestBuilder req;
    bool accepted = false;     // the owner took it: it is owed on_stream_closed
    bool told_closed = false;  // on_stream_closed was called
    bool delivered = false;    // on_request_head was called
    bool ended = false;        // on_request_end was called
    bool quiet = false;        // reset or answered by the codec: no more request events
    bool answered = false;     // a final response was submitted
    bool body_eof = false;     // the response body's end was handed to nghttp2
    size_t unconsumed = 0;     // request body bytes given to the owner, not yet consumed()
    std::vector<std::pair<std::string, std::string>> trailers;
    bool has_trailers = false;
    // Reset by a decision (the owner's reset or refusal, or a limit that already counted it),
    // not provoked: its RST_STREAM is not counted as a server reset.
    bool decided_reset = false;
    bool too_big = false;      // its decoded header list passed the limit: answered 431
    uint64_t list_size = 0;    // decoded size of the header block so far (RFC 9113 6.5.2)
  };

  Impl(ServerOwner& o, const Settings& c) : owner(o), cfg(c) {
    head_limit = cfg.header_list_limit ? cfg.header_list_limit : UINT64_MAX;
    if (cfg.max_header_list_size) head_limit = std::min<uint64_t>(head_limit, cfg.max_header_list_size);
  }

  ServerOwner& owner;
  const Settings cfg;
  FrameCounts frames;
  uint64_t head_limit = UINT64_MAX;   // decoded header list size answered 431 beyond
  // Abuse limits (Settings documents them): their rates, the clock, the first one to trip.
  uint64_t (*clock)(void*) = &steady_ms;
  void* clock_ctx = nullptr;
  Abuse abuse = Abuse::none;
  Rate resets_in, resets_out, opened, settings_in, pings_in, priority_in, empty_data_in, too_large;
  uint8_t last_recv_type = 0xff;   // the type of the last frame received, for nghttp2's own trips
  bool terminating = false;        // the GOAWAY being sent is ours (terminate, a failed feed)
  nghttp2_session* s = nullptr;
  // Nodes from the pooled free lists: a stream is a node taken and given back per request.
  std::unordered_map<int32_t, Stream, std::hash<int32_t>, std::equal_to<int32_t>,
                     PooledAllocator<std::pair<const int32_t, Stream>>>
      streams;
  // Output: control frames pulled early (flush_control), then the rest of the last frame
  // nghttp2 serialized (valid until its next mem_send). When `chunk` is set `early` is empty.
  std::string early;
  size_t early_off = 0;
  const uint8_t* chunk = nullptr;
  size_t chunk_len = 0;
  bool failed = false;   // a connection error: GOAWAY with an error code was sent
  uint32_t fail_code = NGHTTP2_PROTOCOL_ERROR;   // that code
  bool broken = false;   // nghttp2 itself failed (out of memory): nothing more to do
  bool busy = false;     // inside nghttp2 (feed/mem_send): no re-entry

  Stream* find(int32_t id) {
    auto it = streams.find(id);
    return it == streams.end() ? nullptr : &it->second;
  }

  void end_request(int32_t id) {
    Stream* st = find(id);
    if (!st || !st->accepted || !st->delivered || st->quiet || st->ended || st->told_closed) return;
    st->ended = true;
    owner.on_request_end(id);
  }

  void close_for_owner(int32_t id, uint32_t code) {
    Stream* st = find(id);
    if (!st || !st->accepted || st->told_closed) return;
    st->told_closed = true;
    owner.on_stream_closed(id, code);
  }

  // The connection is dead: every stream the owner still holds is closed now.
  void close_all(uint32_t code) {
    std::vector<int32_t> ids;
    for (auto& [id, st] : streams)
      if (st.accepted && !st.told_closed) ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    for (int32_t id : ids) close_for_owner(id, code);
  }

  // One more event of a limited kind: true when its rate now exceeds `cap` (the first limit
  // to trip is the one reported).
  bool over(Rate& r, uint32_t cap, Abuse why) {
    if (!r.add(clock(clock_ctx), cap)) return false;
    if (abuse == Abuse::none) abuse = why;
    return true;
  }

  // The rates of received frames, counted whether nghttp2 found the frame valid or not (an
  // invalid one costs as much). Non-zero: a limit tripped, stop reading (feed() sends the
  // GOAWAY).
  int count_recv(const nghttp2_frame* f) {
    last_recv_type = f->hd.type;
    switch (f->hd.type) {
      case NGHTTP2_HEADERS: ++frames.headers_rcvd; break;
      case NGHTTP2_DATA: ++frames.data_rcvd; break;
      case NGHTTP2_SETTINGS: ++frames.settings_rcvd; break;
      case NGHTTP2_RST_STREAM: ++frames.rst_stream_rcvd; break;
      case NGHTTP2_GOAWAY: ++frames.goaway_rcvd; break;
      default: break;
    }
    bool trip = false;
    switch (f->hd.type) {
      case NGHTTP2_RST_STREAM: trip = over(resets_in, cfg.max_resets_per_s, Abuse::resets); break;
      case NGHTTP2_SETTINGS: trip = over(settings_in, cfg.max_settings_per_s, Abuse::settings_flood); break;
      case NGHTTP2_PING: trip = over(pings_in, cfg.max_pings_per_s, Abuse::ping_flood); break;
      case NGHTTP2_PRIORITY: trip = over(priority_in, cfg.max_priority_per_s, Abuse::priority_flood); break;
      case NGHTTP2_DATA:
        // padlen includes the Pad Length field: what is left is the payload.
        if (f->hd.length <= f->data.padlen && !(f->hd.flags & NGHTTP2_FLAG_END_STREAM))
          trip = over(empty_data_in, cfg.max_empty_data_per_s, Abuse::empty_data_flood);
        break;
      default: break;
    }
    return trip ? NGHTTP2_ERR_CALLBACK_FAILURE : 0;
  }

  // A request head that did not fit the owner's room: 431 (RFC 6585), answered here.
  void answer_too_large(int32_t id, Stream& st) {
    st.quiet = true;
    st.answered = true;
    st.body_eof = true;
    nghttp2_nv status = nv(":status", "431");
    if (nghttp2_submit_response(s, id, &status, 1, nullptr) != 0)
      nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, id, NGHTTP2_INTERNAL_ERROR);
  }

  // Serializes the queued non-DATA frames into `early` right away, so that a connection error
  // nghttp2 found while reading is known when feed() returns (its GOAWAY is "sent" here, and
  // on_frame_send sees it), and a reset stream is closed for the owner in the same call.
  void flush_control() {
    if (busy || broken) return;
    while (nghttp2_session_get_outbound_queue_size(s) > 0 && early.size() - early_off < kEarlyLimit) {
      if (chunk_len) {   // the next mem_send invalidates it: keep its bytes first
        early.append(reinterpret_cast<const char*>(chunk), chunk_len);
        chunk_len = 0;
      }
      const uint8_t* d = nullptr;
      busy = true;
      ssize_t r = nghttp2_session_mem_send(s, &d);
      busy = false;
      if (r < 0) {
        broken = true;
        return;
      }
      if (r == 0) break;
      early.append(reinterpret_cast<const char*>(d), size_t(r));
    }
  }

  // nghttp2 callbacks -------------------------------------------------------------------------

  static Impl& self(void* ud) { return *static_cast<Impl*>(ud); }

  static int on_begin_headers(nghttp2_session* s, const nghttp2_frame* f, void* ud) {
    if (f->hd.type != NGHTTP2_HEADERS) return 0;
    Impl& i = self(ud);
    if (f->headers.cat == NGHTTP2_HCAT_HEADERS) {   // trailers: a header block of their own
      if (Stream* st = i.find(f->hd.stream_id)) st->list_size = 0;
      return 0;
    }
    if (f->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    if (i.over(i.opened, i.cfg.max_streams_per_s, Abuse::stream_churn)) return NGHTTP2_ERR_CALLBACK_FAILURE;
    Stream& st = i.streams[f->hd.stream_id];
    HeadRoom room;
    if (!i.owner.on_stream_open(f->hd.stream_id, room)) {
      st.quiet = true;
      st.decided_reset = true;
      nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, f->hd.stream_id, NGHTTP2_REFUSED_STREAM);
      return 0;
    }
    st.accepted = true;
    st.req.begin(room);
    return 0;
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* f, const uint8_t* name, size_t namelen,
                       const uint8_t* value, size_t valuelen, uint8_t, void* ud) {
    if (f->hd.type != NGHTTP2_HEADERS) return 0;
    Impl& i = self(ud);
    Stream* st = i.find(f->hd.stream_id);
    if (!st) return 0;
    if (f->headers.cat == NGHTTP2_HCAT_HEADERS) {
      // Request trailers (HEADERS after DATA) are checked by nghttp2 and not passed on, but
      // decoded all the same: too large, the stream is reset (the request has begun, no 431
      // can answer it) and counted as a head too large.
      st->list_size += namelen + valuelen + 32;
      if (st->list_size <= i.head_limit || st->decided_reset) return 0;
      st->decided_reset = true;
      st->quiet = true;
      return i.over(i.too_large, i.cfg.max_too_large_heads_per_s, Abuse::header_list)
                 ? NGHTTP2_ERR_CALLBACK_FAILURE
                 : NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;   // RST_STREAM(INTERNAL_ERROR)
    }
    if (f->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    // Counted even when nothing is kept: what the decoder produced, not what the room holds.
    st->list_size += namelen + valuelen + 32;
    if (st->list_size > i.head_limit) st->too_big = true;
    if (!st->accepted || st->quiet || st->too_big) return 0;
    st->req.add({reinterpret_cast<const char*>(name), namelen}, {reinterpret_cast<const char*>(value), valuelen});
    return 0;
  }

  // A head too large (header_list_limit or the owner's room): 431, and counted.
  int refuse_too_large(int32_t id, Stream& st) {
    answer_too_large(id, st);
    return over(too_large, cfg.max_too_large_heads_per_s, Abuse::header_list) ? NGHTTP2_ERR_CALLBACK_FAILURE : 0;
  }

  static int on_invalid_frame_recv(nghttp2_session*, const nghttp2_frame* f, int, void* ud) {
    return self(ud).count_recv(f);
  }

  static int on_frame_recv(nghttp2_session* s, const nghttp2_frame* f, void* ud) {
    Impl& i = self(ud);
    if (int rv = i.count_recv(f)) return rv;
    const int32_t id = f->hd.stream_id;
    const bool end = f->hd.flags & NGHTTP2_FLAG_END_STREAM;
    if (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_REQUEST) {
      Stream* st = i.find(id);
      if (!st || !st->accepted || st->quiet) return 0;
      if (st->too_big) return i.refuse_too_large(id, *st);
      switch (st->req.finish()) {
        case RequestBuilder::Verdict::overflow:
          return i.refuse_too_large(id, *st);
        case RequestBuilder::Verdict::malformed:
          st->quiet = true;
          nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, id, NGHTTP2_PROTOCOL_ERROR);
          return 0;
        case RequestBuilder::Verdict::ok:
          break;
      }
      st->delivered = true;
      i.owner.on_request_head(id, st->req.head(), st->req.base(), end);
      if (end) i.end_request(id);
    } else if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) && end) {
      i.end_request(id);
    }
    return 0;
  }

  static int on_data_chunk(nghttp2_session* s, uint8_t, int32_t id, const uint8_t* data, size_t len, void* ud) {
    Impl& i = self(ud);
    Stream* st = i.find(id);
    if (!st || !st->accepted || !st->delivered || st->quiet || st->told_closed) {
      nghttp2_session_consume(s, id, len);   // nobody will: reopen the windows now
      return 0;
    }
    st->unconsumed += len;
    i.owner.on_request_data(id, reinterpret_cast<const char*>(data), len);
    return 0;
  }

  static int on_stream_close(nghttp2_session* s, int32_t id, uint32_t code, void* ud) {
    Impl& i = self(ud);
    Stream* st = i.find(id);
    if (!st) return 0;
    // Bytes the owner will not consume any more still count against the connection window.
    if (st->unconsumed) nghttp2_session_consume_connection(s, st->unconsumed);
    i.close_for_owner(id, code);
    i.streams.erase(id);
    return 0;
  }

  static int on_frame_send(nghttp2_session* s, const nghttp2_frame* f, void* ud) {
    Impl& i = self(ud);
    if (f->hd.type == NGHTTP2_GOAWAY) {
      ++i.frames.goaway_sent;
      if (f->goaway.error_code == NGHTTP2_PROTOCOL_ERROR) ++i.frames.conn_protocol_errors;
    } else if (f->hd.type == NGHTTP2_RST_STREAM) {
      ++i.frames.rst_stream_sent;
      if (f->rst_stream.error_code == NGHTTP2_PROTOCOL_ERROR) ++i.frames.strm_protocol_errors;
    }
    if (f->hd.type == NGHTTP2_GOAWAY && f->goaway.error_code != NGHTTP2_NO_ERROR) {
      i.failed = true;
      i.fail_code = f->goaway.error_code;
      // nghttp2's own RST_STREAM token bucket answers with GOAWAY(INTERNAL_ERROR) right after
      // the reset that emptied it: the same abuse as our rate, reported the same way.
      if (f->goaway.error_code == NGHTTP2_INTERNAL_ERROR && !i.terminating && i.abuse == Abuse::none &&
          i.last_recv_type == NGHTTP2_RST_STREAM)
        i.abuse = Abuse::resets;
    }
    // Resets we send that the client provoked ("MadeYouReset"): not the owner's, not the
    // NO_ERROR that ends an upload nobody reads. A stream nghttp2 refused (beyond
    // max_concurrent_streams before the client knew it: a race RFC 9113 5.1.2 allows, a
    // client opening 150 at once meets it) is a stream opened, which on_begin_headers never
    // saw. Once over a limit, the connection goes (the GOAWAY follows in this mem_send loop).
    if (f->hd.type == NGHTTP2_RST_STREAM && f->rst_stream.error_code != NGHTTP2_NO_ERROR && !i.failed) {
      Stream* st = i.find(f->hd.stream_id);
      const bool refused = f->rst_stream.error_code == NGHTTP2_REFUSED_STREAM;
      if (!(st && st->decided_reset) &&
          (refused ? i.over(i.opened, i.cfg.max_streams_per_s, Abuse::stream_churn)
                   : i.over(i.resets_out, i.cfg.max_server_resets_per_s, Abuse::server_resets)))
        nghttp2_session_terminate_session(s, NGHTTP2_ENHANCE_YOUR_CALM);
    }
    // The response is complete while the client is still sending: RFC 9113 8.1 lets the
    // server stop the upload with RST_STREAM(NO_ERROR) rather than read a body nobody wants.
    if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) && (f->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
        nghttp2_session_get_stream_remote_close(s, f->hd.stream_id) == 0)
      nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, f->hd.stream_id, NGHTTP2_NO_ERROR);
    return 0;
  }

  static ssize_t read_body(nghttp2_session* s, int32_t id, uint8_t* buf, size_t length, uint32_t* flags,
                           nghttp2_data_source*, void* ud) {
    Impl& i = self(ud);
    Stream* st = i.find(id);
    if (!st || st->told_closed) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    bool eof = false, later = false;
    size_t n = i.owner.response_data(id, reinterpret_cast<char*>(buf), length, eof, later);
    n = std::min(n, length);
    if (eof) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      st = i.find(id);   // the owner may have submitted trailers from inside response_data
      if (!st) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
      st->body_eof = true;
      if (st->has_trailers) {
        std::vector<nghttp2_nv> nva;
        for (auto& [k, v] : st->trailers) nva.push_back(nv(k, v));
        *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
        if (nghttp2_submit_trailer(s, id, nva.data(), nva.size()) != 0) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
      }
      return ssize_t(n);
    }
    // Nothing now (more_later, or an owner that said neither): wait for resume().
    if (n == 0) return NGHTTP2_ERR_DEFERRED;
    return ssize_t(n);
  }
};

Server::Server(ServerOwner& owner, const Settings& cfg) : impl_(std::make_unique<Impl>(owner, cfg)) {
  nghttp2_session_callbacks* cb = nullptr;
  nghttp2_session_callbacks_new(&cb);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb, &Impl::on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cb, &Impl::on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, &Impl::on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, &Impl::on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, &Impl::on_stream_close);
  nghttp2_session_callbacks_set_on_frame_send_callback(cb, &Impl::on_frame_send);
  nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(cb, &Impl::on_invalid_frame_recv);
  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  // Windows reopen only when the owner has forwarded the bytes (consumed()).
  nghttp2_option_set_no_auto_window_update(opt, 1);
  // Response heads are encoded without HPACK's dynamic table (static table and literals, as
  // haproxy's encoder does): no table of past responses is kept per connection, which an idle
  // connection would otherwise hold (up to 4 KiB), for a few bytes more per response head.
  nghttp2_option_set_max_deflate_dynamic_table_size(opt, 0);
  const int rv = nghttp2_session_server_new3(&impl_->s, cb, impl_.get(), opt, pooled_mem());
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cb);
  if (rv != 0) {
    impl_->s = nullptr;
    impl_->broken = true;
    return;
  }

  // Values outside RFC 9113's ranges would make nghttp2 refuse the whole SETTINGS frame.
  const uint32_t window = std::min<uint32_t>(cfg.initial_window_size, NGHTTP2_MAX_WINDOW_SIZE);
  const uint32_t frame = std::clamp<uint32_t>(cfg.max_frame_size, 16384, (1u << 24) - 1);
  nghttp2_settings_entry iv[6];
  size_t n = 0;
  iv[n++] = {NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, cfg.header_table_size};
  iv[n++] = {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, window};
  iv[n++] = {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, cfg.max_concurrent_streams};
  iv[n++] = {NGHTTP2_SETTINGS_MAX_FRAME_SIZE, frame};
  iv[n++] = {NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1};   // RFC 8441: WebSocket over a stream
  if (cfg.max_header_list_size) iv[n++] = {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, cfg.max_header_list_size};
  if (nghttp2_submit_settings(impl_->s, NGHTTP2_FLAG_NONE, iv, n) != 0) impl_->broken = true;
  // The connection window covers every stream's window, so one stalled stream (its bytes not
  // consumed yet) cannot hold the others back.
  const uint64_t conn = uint64_t(window) * std::max<uint32_t>(1, cfg.max_concurrent_streams);
  const int32_t conn_window = int32_t(std::min<uint64_t>(conn, NGHTTP2_MAX_WINDOW_SIZE));
  if (conn_window > NGHTTP2_INITIAL_CONNECTION_WINDOW_SIZE)
    nghttp2_session_set_local_window_size(impl_->s, NGHTTP2_FLAG_NONE, 0, conn_window);
}

Server::~Server() {
  if (impl_->s) nghttp2_session_del(impl_->s);
}

bool Server::feed(const char* p, size_t n) {
  Impl& i = *impl_;
  if (i.broken || i.busy) return false;
  if (i.failed) return false;
  i.busy = true;
  const ssize_t rv = nghttp2_session_mem_recv(i.s, reinterpret_cast<const uint8_t*>(p), n);
  i.busy = false;
  if (rv < 0) {
    // A bad preface (NGHTTP2_ERR_BAD_CLIENT_MAGIC), a flood, an abuse limit (a callback
    // failed on purpose), or a fatal error: nghttp2 queued nothing for these; tell the client
    // why before closing.
    if (rv == NGHTTP2_ERR_FLOODED && i.abuse == Abuse::none) {
      // nghttp2's queue of unsent ACKs overflowed: the client sends PINGs or SETTINGS and
      // does not read the answers.
      if (i.last_recv_type == NGHTTP2_PING) i.abuse = Abuse::ping_flood;
      if (i.last_recv_type == NGHTTP2_SETTINGS) i.abuse = Abuse::settings_flood;
    }
    i.fail_code = rv == NGHTTP2_ERR_FLOODED || i.abuse != Abuse::none ? NGHTTP2_ENHANCE_YOUR_CALM
                  : rv == NGHTTP2_ERR_BAD_CLIENT_MAGIC                ? NGHTTP2_PROTOCOL_ERROR
                                                                      : NGHTTP2_INTERNAL_ERROR;
    i.terminating = true;
    nghttp2_session_terminate_session(i.s, i.fail_code);
    i.failed = true;
  }
  i.flush_control();
  if (i.failed || i.broken) {
    i.close_all(i.fail_code);
    return false;
  }
  return true;
}

size_t Server::fill_output(char* out, size_t cap) {
  Impl& i = *impl_;
  size_t w = 0;
  if (i.early_off < i.early.size()) {
    const size_t k = std::min(cap, i.early.size() - i.early_off);
    std::memcpy(out, i.early.data() + i.early_off, k);
    i.early_off += k;
    w += k;
    if (i.early_off < i.early.size()) return w;
    if (i.early.capacity() > kEarlyKeep) std::string().swap(i.early);
    else i.early.clear();
    i.early_off = 0;
  }
  while (w < cap) {
    if (i.chunk_len) {
      const size_t k = std::min(cap - w, i.chunk_len);
      std::memcpy(out + w, i.chunk, k);
      i.chunk += k;
      i.chunk_len -= k;
      w += k;
      continue;
    }
    if (i.broken || i.busy || !i.s) break;
    const uint8_t* d = nullptr;
    i.busy = true;
    const ssize_t r = nghttp2_session_mem_send(i.s, &d);
    i.busy = false;
    if (r < 0) {
      i.broken = true;
      break;
    }
    if (r == 0) break;
    i.chunk = d;
    i.chunk_len = size_t(r);
  }
  if (i.failed) i.close_all(i.fail_code);
  return w;
}

bool Server::wants_write() const {
  const Impl& i = *impl_;
  if (i.early_off < i.early.size() || i.chunk_len) return true;
  return !i.broken && i.s && nghttp2_session_want_write(i.s);
}

bool Server::done() const {
  const Impl& i = *impl_;
  if (i.early_off < i.early.size() || i.chunk_len) return false;
  if (i.broken || !i.s) return true;
  return !nghttp2_session_want_read(i.s) && !nghttp2_session_want_write(i.s);
}

bool Server::submit_response(int32_t id, const Head& head, const char* base, bool end_stream) {
  Impl& i = *impl_;
  Impl::Stream* st = i.find(id);
  if (i.broken || !st || !st->accepted || st->told_closed || st->answered) return false;
  // 101 has no meaning on HTTP/2 (RFC 9113 8.6); an extended CONNECT is answered 200.
  if (head.status < 100 || head.status > 999 || head.status == 101) return false;
  char status[3] = {char('0' + head.status / 100), char('0' + head.status / 10 % 10), char('0' + head.status % 10)};
  // Scratch kept per thread (nghttp2 copies the fields when they are submitted).
  thread_local std::string names;
  thread_local std::vector<Field> fields;
  thread_local std::vector<nghttp2_nv> nva;
  response_fields(head, base, names, fields);
  nva.clear();
  nva.push_back(nv(":status", {status, 3}));
  for (const Field& f : fields) nva.push_back(nv(f.name, f.value));

  if (head.status < 200) {   // interim: the final response follows
    return nghttp2_submit_headers(i.s, NGHTTP2_FLAG_NONE, id, nullptr, nva.data(), nva.size(), nullptr) >= 0;
  }
  nghttp2_data_provider prd{};
  prd.read_callback = &Impl::read_body;
  if (nghttp2_submit_response(i.s, id, nva.data(), nva.size(), end_stream ? nullptr : &prd) != 0) return false;
  st->answered = true;
  st->body_eof = end_stream;
  return true;
}

bool Server::submit_trailers(int32_t id, const Head& trailers, const char* base) {
  Impl& i = *impl_;
  Impl::Stream* st = i.find(id);
  if (!st || !st->answered || st->body_eof || st->has_trailers || st->told_closed) return false;
  std::string names;
  std::vector<Field> fields;
  response_fields(trailers, base, names, fields);
  for (const Field& f : fields) st->trailers.emplace_back(std::string(f.name), std::string(f.value));
  st->has_trailers = true;
  return true;
}

void Server::resume(int32_t id) {
  Impl& i = *impl_;
  if (!i.broken && i.find(id)) nghttp2_session_resume_data(i.s, id);
}

void Server::consumed(int32_t id, size_t n) {
  Impl& i = *impl_;
  Impl::Stream* st = i.find(id);
  if (i.broken || !st) return;
  n = std::min(n, st->unconsumed);
  if (n == 0) return;
  st->unconsumed -= n;
  nghttp2_session_consume(i.s, id, n);
}

void Server::reset(int32_t id, uint32_t error_code) {
  Impl& i = *impl_;
  Impl::Stream* st = i.find(id);
  if (i.broken || !st || st->told_closed) return;
  st->quiet = true;
  st->decided_reset = true;
  nghttp2_submit_rst_stream(i.s, NGHTTP2_FLAG_NONE, id, error_code);
}

void Server::shutdown_notice() {
  Impl& i = *impl_;
  if (i.broken) return;
  nghttp2_submit_goaway(i.s, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(i.s), NGHTTP2_NO_ERROR,
                        nullptr, 0);
  // Sent now, so that no stream the client opens meanwhile is taken (nghttp2 ignores new
  // streams once its GOAWAY has gone out).
  i.flush_control();
}

void Server::terminate(uint32_t error_code) {
  Impl& i = *impl_;
  if (i.broken) return;
  i.terminating = true;
  nghttp2_session_terminate_session(i.s, error_code);
  i.flush_control();
  i.close_all(error_code);
}

void Server::set_clock(uint64_t (*now_ms)(void*), void* ctx) {
  impl_->clock = now_ms ? now_ms : &steady_ms;
  impl_->clock_ctx = ctx;
}

Abuse Server::tripped() const { return impl_->abuse; }
const FrameCounts& Server::frames() const { return impl_->frames; }

size_t Server::open_streams() const {
  size_t n = 0;
  for (const auto& [id, st] : impl_->streams) n += st.accepted && !st.told_closed;
  return n;
}

}  // namespace portero::http::h2
