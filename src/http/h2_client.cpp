#include "portero/http/h2_client.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "h2_head.h"
#include "h2_mem.h"

namespace portero::http::h2 {

namespace {

nghttp2_nv nv(std::string_view name, std::string_view value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
                    NGHTTP2_NV_FLAG_NONE};
}

// Response fields beyond this (bytes of names and values, or fields) reset the stream: the
// proxy's buffers could not carry such a head on to the client anyway.
constexpr size_t kMaxHeadBytes = 65536;
constexpr size_t kMaxFields = 512;

}  // namespace

struct Client::Impl {
  struct Stream {
    bool final_seen = false;   // the final (non-1xx) response head was delivered
    bool ended = false;        // on_response_end was called
    bool closed = false;       // on_stream_closed was called
    size_t unconsumed = 0;     // response bytes given to the owner, not yet consumed()
  };

  Impl(ClientOwner& o) : owner(o) {}

  ClientOwner& owner;
  nghttp2_session* s = nullptr;
  std::unordered_map<int32_t, Stream, std::hash<int32_t>, std::equal_to<int32_t>,
                     PooledAllocator<std::pair<const int32_t, Stream>>>
      streams;   // nodes from the pooled free lists (h2_mem.h)
  // The header block being decoded (one at a time on a connection: RFC 9113 6.10).
  std::string block;
  std::vector<Header> slots;
  Head head;
  bool overflow = false;
  // The last frame nghttp2 serialized, valid until its next mem_send.
  const uint8_t* chunk = nullptr;
  size_t chunk_len = 0;
  bool failed = false;
  bool broken = false;
  bool busy = false;
  bool goaway = false;   // the server's GOAWAY came

  Stream* find(int32_t id) {
    auto it = streams.find(id);
    return it == streams.end() ? nullptr : &it->second;
  }

  void end_response(int32_t id) {
    Stream* st = find(id);
    if (!st || st->ended || st->closed || !st->final_seen) return;
    st->ended = true;
    owner.on_response_end(id);
  }

  void close_all(uint32_t code) {
    std::vector<int32_t> ids;
    for (auto& [id, st] : streams)
      if (!st.closed) ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    for (int32_t id : ids) {
      Stream* st = find(id);
      if (!st || st->closed) continue;
      st->closed = true;
      owner.on_stream_closed(id, code);
    }
  }

  static Impl& self(void* ud) { return *static_cast<Impl*>(ud); }

  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* f, void* ud) {
    Impl& i = self(ud);
    i.block.clear();
    i.slots.clear();
    i.head = Head{};
    i.head.major = 2;
    i.head.minor = 0;
    i.head.keep_alive = true;
    i.overflow = false;
    (void)f;
    return 0;
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* f, const uint8_t* name, size_t namelen,
                       const uint8_t* value, size_t valuelen, uint8_t, void* ud) {
    if (f->hd.type != NGHTTP2_HEADERS) return 0;
    Impl& i = self(ud);
    const std::string_view n(reinterpret_cast<const char*>(name), namelen);
    const std::string_view v(reinterpret_cast<const char*>(value), valuelen);
    if (n == ":status") {   // nghttp2 has checked it is three digits
      i.head.status = uint16_t((v[0] - '0') * 100 + (v[1] - '0') * 10 + (v[2] - '0'));
      return 0;
    }
    if (i.overflow || i.block.size() + namelen + valuelen > kMaxHeadBytes || i.slots.size() == kMaxFields) {
      i.overflow = true;
      return 0;
    }
    Header h;
    h.name = {uint32_t(i.block.size()), uint32_t(namelen)};
    i.block.append(n);
    h.value = {uint32_t(i.block.size()), uint32_t(valuelen)};
    i.block.append(v);
    i.slots.push_back(h);
    return 0;
  }

  static int on_frame_recv(nghttp2_session* s, const nghttp2_frame* f, void* ud) {
    Impl& i = self(ud);
    const int32_t id = f->hd.stream_id;
    const bool end = f->hd.flags & NGHTTP2_FLAG_END_STREAM;
    if (f->hd.type == NGHTTP2_GOAWAY) {
      i.goaway = true;
      return 0;
    }
    if (f->hd.type == NGHTTP2_HEADERS) {
      Stream* st = i.find(id);
      if (!st || st->closed) return 0;
      if (i.overflow) {
        nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, id, NGHTTP2_INTERNAL_ERROR);
        return 0;
      }
      i.head.headers = i.slots.data();
      i.head.count = uint16_t(i.slots.size());
      if (const Header* cl = i.head.find(i.block.data(), "content-length")) {
        uint64_t len = 0;   // nghttp2 has checked the digits (and their agreement with DATA)
        for (char c : cl->value.in(i.block.data())) len = len * 10 + uint64_t(c - '0');
        i.head.has_length = true;
        i.head.content_length = len;
      }
      if (i.head.status) {   // a response head: interim (1xx) or final
        if (st->final_seen) return 0;
        if (i.head.status < 100) {   // three digits, but no status (nghttp2 lets "042" by)
          nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, id, NGHTTP2_PROTOCOL_ERROR);
          return 0;
        }
        if (i.head.status >= 200) st->final_seen = true;
        i.owner.on_response_head(id, i.head, i.block.data(), end && i.head.status >= 200);
      } else if (st->final_seen) {   // trailers
        i.owner.on_response_trailers(id, i.head, i.block.data());
      }
      if (end) i.end_response(id);
    } else if (f->hd.type == NGHTTP2_DATA && end) {
      i.end_response(id);
    }
    return 0;
  }

  static int on_data_chunk(nghttp2_session* s, uint8_t, int32_t id, const uint8_t* data, size_t len, void* ud) {
    Impl& i = self(ud);
    Stream* st = i.find(id);
    if (!st || st->closed || !st->final_seen) {
      nghttp2_session_consume(s, id, len);
      return 0;
    }
    st->unconsumed += len;
    i.owner.on_response_data(id, reinterpret_cast<const char*>(data), len);
    return 0;
  }

  static int on_stream_close(nghttp2_session* s, int32_t id, uint32_t code, void* ud) {
    Impl& i = self(ud);
    Stream* st = i.find(id);
    if (!st) return 0;
    if (st->unconsumed) nghttp2_session_consume_connection(s, st->unconsumed);
    if (!st->closed) {
      st->closed = true;
      i.owner.on_stream_closed(id, code);
    }
    i.streams.erase(id);
    return 0;
  }

  static int on_frame_send(nghttp2_session*, const nghttp2_frame* f, void* ud) {
    Impl& i = self(ud);
    if (f->hd.type == NGHTTP2_GOAWAY && f->goaway.error_code != NGHTTP2_NO_ERROR) i.failed = true;
    return 0;
  }

  static ssize_t read_body(nghttp2_session*, int32_t id, uint8_t* buf, size_t length, uint32_t* flags,
                           nghttp2_data_source*, void* ud) {
    Impl& i = self(ud);
    Stream* st = i.find(id);
    if (!st || st->closed) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    bool eof = false, later = false;
    const size_t n = std::min(i.owner.request_data(id, reinterpret_cast<char*>(buf), length, eof, later), length);
    if (eof) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      return ssize_t(n);
    }
    if (n == 0) return NGHTTP2_ERR_DEFERRED;
    return ssize_t(n);
  }
};

Client::Client(ClientOwner& owner, const Settings& cfg) : impl_(std::make_unique<Impl>(owner)) {
  nghttp2_session_callbacks* cb = nullptr;
  nghttp2_session_callbacks_new(&cb);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb, &Impl::on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cb, &Impl::on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, &Impl::on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, &Impl::on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, &Impl::on_stream_close);
  nghttp2_session_callbacks_set_on_frame_send_callback(cb, &Impl::on_frame_send);
  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  // The server's window reopens only when the owner has forwarded its bytes (consumed()).
  nghttp2_option_set_no_auto_window_update(opt, 1);
  nghttp2_option_set_max_deflate_dynamic_table_size(opt, 0);   // as h2::Server: no table kept
  const int rv = nghttp2_session_client_new3(&impl_->s, cb, impl_.get(), opt, pooled_mem());
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cb);
  if (rv != 0) {
    impl_->s = nullptr;
    impl_->broken = true;
    return;
  }
  const uint32_t window = std::min<uint32_t>(cfg.initial_window_size, NGHTTP2_MAX_WINDOW_SIZE);
  const uint32_t frame = std::clamp<uint32_t>(cfg.max_frame_size, 16384, (1u << 24) - 1);
  nghttp2_settings_entry iv[] = {
      {NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, cfg.header_table_size},
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, window},
      {NGHTTP2_SETTINGS_MAX_FRAME_SIZE, frame},
  };
  if (nghttp2_submit_settings(impl_->s, NGHTTP2_FLAG_NONE, iv, sizeof iv / sizeof iv[0]) != 0) impl_->broken = true;
  // As on the client side: the connection window covers every stream's, so a stalled response
  // (its bytes not forwarded yet) does not hold back the others sharing the connection.
  const uint64_t conn = uint64_t(window) * 100;
  const int32_t conn_window = int32_t(std::min<uint64_t>(conn, NGHTTP2_MAX_WINDOW_SIZE));
  if (conn_window > NGHTTP2_INITIAL_CONNECTION_WINDOW_SIZE)
    nghttp2_session_set_local_window_size(impl_->s, NGHTTP2_FLAG_NONE, 0, conn_window);
}

Client::~Client() {
  if (impl_->s) nghttp2_session_del(impl_->s);
}

bool Client::feed(const char* p, size_t n) {
  Impl& i = *impl_;
  if (i.broken || i.busy || i.failed) return false;
  i.busy = true;
  const ssize_t rv = nghttp2_session_mem_recv(i.s, reinterpret_cast<const uint8_t*>(p), n);
  i.busy = false;
  if (rv < 0) {
    nghttp2_session_terminate_session(i.s, rv == NGHTTP2_ERR_FLOODED ? NGHTTP2_ENHANCE_YOUR_CALM : NGHTTP2_PROTOCOL_ERROR);
    i.failed = true;
  }
  if (i.failed) {
    i.close_all(NGHTTP2_PROTOCOL_ERROR);
    return false;
  }
  return true;
}

size_t Client::fill_output(char* out, size_t cap) {
  Impl& i = *impl_;
  size_t w = 0;
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
      i.close_all(NGHTTP2_INTERNAL_ERROR);
      break;
    }
    if (r == 0) break;
    i.chunk = d;
    i.chunk_len = size_t(r);
  }
  return w;
}

bool Client::wants_write() const {
  const Impl& i = *impl_;
  return i.chunk_len || (!i.broken && i.s && nghttp2_session_want_write(i.s));
}

bool Client::done() const {
  const Impl& i = *impl_;
  if (i.chunk_len) return false;
  if (i.broken || !i.s) return true;
  return !nghttp2_session_want_read(i.s) && !nghttp2_session_want_write(i.s);
}

namespace {

bool hop_by_hop(std::string_view lname) {
  return lname == "connection" || lname == "keep-alive" || lname == "proxy-connection" ||
         lname == "transfer-encoding" || lname == "upgrade";
}

}  // namespace

int32_t Client::submit_request(const Head& head, const char* base, bool end_stream) {
  Impl& i = *impl_;
  if (i.broken || i.failed || i.goaway) return -1;
  if (head.method_id == Method::connect || head.upgrade) return -1;   // tunnels are not carried
  std::string_view target = head.target.in(base);
  // Absolute form: :scheme and :authority are the target's, Host is not sent; origin form:
  // :scheme https, Host stays a field (RFC 9113 8.3.1 lets it stand for :authority), as
  // haproxy sends what an HTTP/1 client asked.
  std::string_view scheme = "https", authority;
  if (const size_t sep = target.find("://"); sep != std::string_view::npos && target.front() != '/') {
    scheme = target.substr(0, sep);
    const std::string_view rest = target.substr(sep + 3);
    const size_t slash = rest.find_first_of("/?");
    authority = rest.substr(0, slash);
    target = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
    if (!target.empty() && target.front() == '?') return -1;   // "http://h?q": no path to send
  }
  if (target.empty()) return -1;

  // Scratch kept per thread (nghttp2 copies the fields when they are submitted).
  thread_local std::string names;
  thread_local std::vector<nghttp2_nv> nva;
  names.clear();
  nva.clear();
  size_t total = 0;
  for (uint16_t k = 0; k < head.count; ++k) total += head.headers[k].name.len;
  names.reserve(total);   // no reallocation: the views into it stay valid
  nva.push_back(nv(":method", head.method.in(base)));
  nva.push_back(nv(":scheme", scheme));
  if (!authority.empty()) nva.push_back(nv(":authority", authority));
  nva.push_back(nv(":path", target));
  for (uint16_t k = 0; k < head.count; ++k) {
    const Header& h = head.headers[k];
    const std::string_view name = h.name.in(base);
    if (name.empty()) continue;
    const size_t at = names.size();
    for (char c : name) names.push_back((c >= 'A' && c <= 'Z') ? char(c | 0x20) : c);
    const std::string_view lname(names.data() + at, name.size());
    std::string_view value = h.value.in(base);
    // RFC 9113 8.2.2: no connection-specific field, and TE only as "trailers".
    // (Fields the Connection header names stay: haproxy sends them.)
    bool drop = hop_by_hop(lname) || (lname == "host" && !authority.empty());
    if (lname == "te") {
      drop = !has_token(value, "trailers");
      value = "trailers";
    }
    if (drop) {
      names.resize(at);
      continue;
    }
    nva.push_back(nv(lname, value));
  }
  nghttp2_data_provider prd{};
  prd.read_callback = &Impl::read_body;
  const int32_t id = nghttp2_submit_request(i.s, nullptr, nva.data(), nva.size(), end_stream ? nullptr : &prd, nullptr);
  if (id < 0) return -1;
  i.streams.emplace(id, Impl::Stream{});
  return id;
}

bool Client::can_open() const {
  const Impl& i = *impl_;
  if (i.broken || i.failed || i.goaway || !i.s) return false;
  const uint32_t max = nghttp2_session_get_remote_settings(i.s, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
  return i.streams.size() < max && nghttp2_session_get_next_stream_id(i.s) < (1u << 31) - 2;
}

uint32_t Client::max_streams() const {
  const Impl& i = *impl_;
  if (!i.s) return 0;
  return nghttp2_session_get_remote_settings(i.s, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
}

void Client::resume(int32_t id) {
  Impl& i = *impl_;
  if (!i.broken && i.find(id)) nghttp2_session_resume_data(i.s, id);
}

void Client::consumed(int32_t id, size_t n) {
  Impl& i = *impl_;
  Impl::Stream* st = i.find(id);
  if (i.broken || !st) return;
  n = std::min(n, st->unconsumed);
  if (n == 0) return;
  st->unconsumed -= n;
  nghttp2_session_consume(i.s, id, n);
}

void Client::reset(int32_t id, uint32_t error_code) {
  Impl& i = *impl_;
  Impl::Stream* st = i.find(id);
  if (i.broken || !st || st->closed) return;
  nghttp2_submit_rst_stream(i.s, NGHTTP2_FLAG_NONE, id, error_code);
}

void Client::shutdown_notice() {
  Impl& i = *impl_;
  if (i.broken || !i.s) return;
  nghttp2_session_terminate_session(i.s, NGHTTP2_NO_ERROR);
}

size_t Client::open_streams() const {
  size_t n = 0;
  for (const auto& [id, st] : impl_->streams) n += !st.closed;
  return n;
}

bool Client::going_away() const { return impl_->goaway || impl_->failed || impl_->broken; }

}  // namespace portero::http::h2
