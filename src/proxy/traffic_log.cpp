// One traffic log line per exchange (option httplog / httplog clf / tcplog / log-format), sent
// to the frontend's log targets by the worker's own log::Sender. Timings are HAProxy's: TR
// (request head received), Tw (queue), Tc (connect), Tr (response head), Ta (whole exchange).
// Session methods; worker-local.
//
// `capture request/response header` and the unique id live in the session's log block (a
// pooled bufsize block, taken when the request head arrives), nothing is allocated per request:
//   [0, 1024)       the request line (%r)
//   [1024, 1152)    the unique id (unique-id-format, at most 127 bytes as HAProxy)
//   [1152, 1216)    `capture cookie`, request: a length byte and up to 63 bytes (%CC)
//   [1216, 1280)    the same for the response cookie (%CS)
//   [1280, 1282)    the status of the server's final response (%[status]), 0: none
//   [1288, ...)     the string_views handed to the Record for %hr/%hs (filled at log time),
//                   then one slot per capture (request ones, then response ones): a 2-byte
//                   length (kAbsent: the header was not present) and up to `len` bytes.
// HAProxy's semantics: captures in config order, the last occurrence of a header wins, values
// cut at `len`; request headers as received (before any rule), response headers at the final
// response head (before http-response rules). Slots made by `declare capture` or
// `http-request capture ... len` have no header; `http-request/http-response capture` rules
// write any slot of the frontend (capture_sample) when their sample is present. The block is
// taken for a frontend with captures even when it does not log, for the capture.* fetches. `capture cookie NAME`: the first cookie whose
// "name=value" begins with NAME, cut at `len`; request cookies before any rule, response ones
// (Set-Cookie, up to its first ';') at the final response head.
//
// %[...] in log-format / log-format-sd is evaluated when the line is written, with what HAProxy
// still has then (addresses, names, variables, the server's status, a known method); the
// fetches that need the request or response buffers are refused at load time, as HAProxy does.
// unique-id-format's are evaluated with the request, when HAProxy computes the id.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <ctime>

#include "portero/log/log.h"
#include "portero/proxy/worker.h"
#include "session.h"

namespace portero::proxy {

namespace {

timespec to_timespec(uint64_t ms) {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(ms / 1000);
  ts.tv_nsec = static_cast<long>((ms % 1000) * 1000000);
  return ts;
}

int64_t span(uint64_t from, uint64_t to) { return from && to >= from ? static_cast<int64_t>(to - from) : -1; }

constexpr uint32_t kLineCap = 1024;
constexpr uint32_t kIdOff = 1024, kIdCap = 127;
constexpr uint32_t kReqCookieOff = 1152, kResCookieOff = 1216, kCookieCap = 63;
constexpr uint32_t kSrvStatusOff = 1280;
constexpr uint32_t kViewsOff = 1288;
constexpr uint16_t kAbsent = 0xFFFF;

// HAProxy's %rt: one counter for the whole process, a value per request (or TCP session) of
// every proxy.
std::atomic<uint32_t> g_request_counter{0};

size_t capture_count(const config::Proxy& fe) {
  return fe.capture_request_headers.size() + fe.capture_response_headers.size();
}

// Offset in the log block of capture slot k (request captures first) and the bytes it may
// hold; 0 when the block has no room left for it.
uint32_t slot_at(const config::Proxy& fe, size_t k, uint32_t bufsize, uint32_t& room) {
  const size_t nreq = fe.capture_request_headers.size();
  uint64_t off = kViewsOff + capture_count(fe) * sizeof(std::string_view);
  for (size_t i = 0; i < k; ++i)
    off += 2 + (i < nreq ? fe.capture_request_headers[i].len : fe.capture_response_headers[i - nreq].len);
  if (off + 2 > bufsize) return 0;
  uint32_t len = k < nreq ? fe.capture_request_headers[k].len : fe.capture_response_headers[k - nreq].len;
  room = static_cast<uint32_t>(std::min<uint64_t>({len, bufsize - off - 2, kAbsent - 1}));
  return static_cast<uint32_t>(off);
}

void set_len(char* block, uint32_t off, uint16_t len) { std::memcpy(block + off, &len, sizeof len); }
uint16_t get_len(const char* block, uint32_t off) {
  uint16_t len;
  std::memcpy(&len, block + off, sizeof len);
  return len;
}

void reset_captures(char* block, const config::Proxy& fe, uint32_t bufsize) {
  uint32_t room = 0;
  for (size_t k = 0, n = capture_count(fe); k < n; ++k)
    if (uint32_t off = slot_at(fe, k, bufsize, room)) set_len(block, off, kAbsent);
}

// Stores the captured headers of `h` in slots [first, first + caps.size()).
void capture_headers(char* block, const config::Proxy& fe, uint32_t bufsize, size_t first,
                     const std::vector<config::Proxy::Capture>& caps, const http::Head& h, const char* base) {
  for (uint16_t i = 0; i < h.count; ++i) {
    std::string_view name = h.headers[i].name.in(base);
    for (size_t k = 0; k < caps.size(); ++k) {
      if (caps[k].name.empty() || !http::iequals(name, caps[k].name)) continue;
      uint32_t room = 0;
      uint32_t off = slot_at(fe, first + k, bufsize, room);
      if (!off) continue;
      std::string_view v = h.headers[i].value.in(base);
      uint16_t n = static_cast<uint16_t>(std::min<size_t>(v.size(), room));
      if (n) std::memcpy(block + off + 2, v.data(), n);
      set_len(block, off, n);
    }
  }
}

void put_u16(char* block, uint32_t off, uint16_t v) { std::memcpy(block + off, &v, sizeof v); }
uint16_t get_u16(const char* block, uint32_t off) {
  uint16_t v;
  std::memcpy(&v, block + off, sizeof v);
  return v;
}

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

// Keeps `item` ("name=value") in the cookie slot at `off` when it is the one to capture.
bool capture_cookie_item(char* block, uint32_t off, const config::Proxy::Capture& cap, std::string_view item) {
  item = trim(item);
  if (item.find('=') == std::string_view::npos || !item.starts_with(cap.name)) return false;
  const size_t n = std::min<size_t>({item.size(), cap.len, kCookieCap});
  block[off] = static_cast<char>(n);
  if (n) std::memcpy(block + off + 1, item.data(), n);
  return true;
}

// `capture cookie` on a request head: the Cookie headers in order, items split on ';' and ','.
void capture_request_cookie(char* block, const config::Proxy::Capture& cap, const http::Head& h, const char* base) {
  for (uint16_t i = 0; i < h.count; ++i) {
    if (!http::iequals(h.headers[i].name.in(base), "cookie")) continue;
    std::string_view v = h.headers[i].value.in(base);
    while (!v.empty()) {
      size_t sep = v.find_first_of(";,");
      if (capture_cookie_item(block, kReqCookieOff, cap, v.substr(0, sep))) return;
      v = sep == std::string_view::npos ? std::string_view() : v.substr(sep + 1);
    }
  }
}

// On a response head: the first Set-Cookie whose cookie matches, up to its attributes.
void capture_response_cookie(char* block, const config::Proxy::Capture& cap, const http::Head& h, const char* base) {
  for (uint16_t i = 0; i < h.count; ++i) {
    if (!http::iequals(h.headers[i].name.in(base), "set-cookie")) continue;
    std::string_view v = h.headers[i].value.in(base);
    if (capture_cookie_item(block, kResCookieOff, cap, v.substr(0, v.find(';')))) return;
  }
}

std::string_view cookie_slot(const char* block, uint32_t off) {
  return {block + off + 1, static_cast<uint8_t>(block[off])};
}

bool known_method(std::string_view m) {
  for (std::string_view k : {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "CONNECT"})
    if (m == k) return true;
  return false;
}

// Record::sample for the session's formats.
struct SampleSource {
  const acl::SampleContext* ctx;
  const std::vector<const acl::Expression*>* exprs;
};

bool eval_sample(const void* self, int id, std::string_view& out) {
  static thread_local char buf[8192];
  const auto* src = static_cast<const SampleSource*>(self);
  if (id < 0 || static_cast<size_t>(id) >= src->exprs->size()) return false;
  const acl::Expression* e = (*src->exprs)[static_cast<size_t>(id)];
  if (!e) return false;
  const int n = e->evaluate(*src->ctx, buf, sizeof buf);
  if (n < 0) return false;
  out = std::string_view(buf, static_cast<size_t>(n));
  return true;
}

}  // namespace

bool Exchange::logging() const { return w_.runtime().log_formats[fe_] != nullptr; }

// Called when the first byte of a request arrives (or at accept for the first one).
// The timings are kept for the counters too, logged or not.
void Exchange::log_request_start() {
  t_req_ = uv_now(w_.loop());
  t_req_ns_ = uv_hrtime();
  if (logging()) req_real_ms_ = realtime_ms();
  t_head_ = t_queue_ = t_dequeue_ = t_connect_ = t_connected_ = t_resp_ = 0;
  bytes_out_ = 0;
  bytes_in_ = c_.unread_input().size();   // what of this request is already buffered
  status_ = 0;
  log_level_ = 0;
  denied_by_ = -1;
  status_counted_ = false;
  intercepted_ = false;
  logged_ = false;
  unique_id_set_ = false;
  log_line_len_ = 0;
  // %rt: only numbered when some format shows it (one shared atomic otherwise unused).
  const BoundRules* br = w_.runtime().rules.get();
  if (br && br->request_counter) req_counter_ = g_request_counter.fetch_add(1, std::memory_order_relaxed);
}

// Keeps the request line for %r (the request buffer is gone by the time the line is written)
// and the captured request headers.
void Exchange::init_log_block() {
  if (!log_block_) log_block_ = w_.buffers().get();
  log_block_[kReqCookieOff] = log_block_[kResCookieOff] = 0;
  put_u16(log_block_, kSrvStatusOff, 0);
  const config::Proxy& fe = w_.config().proxies[fe_];
  if (capture_count(fe)) reset_captures(log_block_, fe, w_.bufsize());
}

void Exchange::log_request_line() {
  t_head_ = uv_now(w_.loop());
  const config::Proxy& fe = w_.config().proxies[fe_];
  // Captures are kept for the capture.req/res.hdr fetches even when nothing is logged.
  if (!logging() && !capture_count(fe)) return;
  init_log_block();
  const http::Head& h = req_.head();
  std::string_view m = h.method.in(c_.in_.data), t = h.target.in(c_.in_.data);
  size_t n = 0;
  auto put = [&](std::string_view s) {
    size_t len = s.size() < kLineCap - n ? s.size() : kLineCap - n;
    if (len) std::memcpy(log_block_ + n, s.data(), len);
    n += len;
  };
  put(m);
  put(" ");
  put(t);
  put(h.is_http10() ? " HTTP/1.0" : h.is_http2() ? " HTTP/2.0" : " HTTP/1.1");
  log_line_len_ = static_cast<uint16_t>(n);
  if (capture_count(fe)) capture_headers(log_block_, fe, w_.bufsize(), 0, fe.capture_request_headers, h, c_.in_.data);
  if (fe.capture_cookie) capture_request_cookie(log_block_, *fe.capture_cookie, h, c_.in_.data);
}

// The final response head arrived: `capture response header`.
void Exchange::log_response_head() {
  if (!log_block_ || !srv_) return;
  const config::Proxy& fe = w_.config().proxies[fe_];
  put_u16(log_block_, kSrvStatusOff, srv_->parser.head().status);
  if (fe.capture_cookie) capture_response_cookie(log_block_, *fe.capture_cookie, srv_->parser.head(), srv_->in.data);
  if (fe.capture_response_headers.empty()) return;
  capture_headers(log_block_, fe, w_.bufsize(), fe.capture_request_headers.size(), fe.capture_response_headers,
                  srv_->parser.head(), srv_->in.data);
}

void Exchange::capture_sample(bool response, int id, std::string_view v) {
  const config::Proxy& fe = w_.config().proxies[fe_];
  const size_t nreq = fe.capture_request_headers.size();
  const size_t n = response ? fe.capture_response_headers.size() : nreq;
  if (id < 0 || size_t(id) >= n || !log_block_) return;
  uint32_t room = 0;
  const uint32_t off = slot_at(fe, response ? nreq + size_t(id) : size_t(id), w_.bufsize(), room);
  if (!off) return;
  const uint16_t len = static_cast<uint16_t>(std::min<size_t>(v.size(), room));
  if (len) std::memcpy(log_block_ + off + 2, v.data(), len);
  set_len(log_block_, off, len);
}

bool Exchange::captured_of(const void* self, bool response, int64_t index, std::string_view& out) {
  const auto* s = static_cast<const Exchange*>(self);
  if (!s->log_block_) return false;
  const config::Proxy& fe = s->w_.config().proxies[s->fe_];
  const size_t nreq = fe.capture_request_headers.size();
  const size_t n = response ? fe.capture_response_headers.size() : nreq;
  if (index < 0 || uint64_t(index) >= n) return false;
  uint32_t room = 0;
  const uint32_t off = slot_at(fe, response ? nreq + size_t(index) : size_t(index), s->w_.bufsize(), room);
  const uint16_t len = off ? get_len(s->log_block_, off) : kAbsent;
  if (len == kAbsent) return false;
  out = std::string_view(s->log_block_ + off + 2, len);
  return true;
}

// HAProxy computes the unique id once, at its first use (the `unique-id` fetch, the
// unique-id-header, the log line), with what is known at that moment.
std::string_view Exchange::unique_id() { return make_unique_id(false); }

// At log time the request is gone: its fetches are then absent (HAProxy's id of a request
// denied before it computed one).
std::string_view Exchange::make_unique_id(bool at_log_time) {
  if (unique_id_set_) return {log_block_ + kIdOff, unique_id_len_};
  const BoundRules* br = w_.runtime().rules.get();
  if (!br || br->unique_id_formats.size() <= size_t(fe_) || !br->unique_id_formats[fe_]) return {};
  if (w_.bufsize() < kIdOff + kIdCap) return {};
  if (!log_block_) {
    init_log_block();
    log_line_len_ = 0;
  }
  const log::Format& f = *br->unique_id_formats[fe_];
  log::Record r;
  fill_log_record(r, uv_now(w_.loop()));
  http::Head req, res;
  acl::SampleContext ctx;
  SampleSource src{&ctx, &br->format_samples[fe_]};
  if (f.has_samples()) {
    ctx = at_log_time ? log_sample_context(req, res) : sample(true);
    ctx.unique_id = nullptr;   // %[unique-id] inside its own format: absent
    r.sample = eval_sample;
    r.sample_self = &src;
  }
  unique_id_len_ = static_cast<uint16_t>(f.render(r, log_block_ + kIdOff, kIdCap));
  unique_id_set_ = true;
  return {log_block_ + kIdOff, unique_id_len_};
}

acl::SampleContext Exchange::log_sample_context(http::Head& req, http::Head& res) const {
  const auto& cfg = w_.config();
  acl::SampleContext ctx = sample(true);
  ctx.request = ctx.response = nullptr;
  ctx.base = ctx.response_base = nullptr;
  ctx.body = ctx.payload = {};
  ctx.body_complete = false;
  ctx.backend = &cfg.proxies[be_ >= 0 ? be_ : fe_];
  if (!log_block_ || !log_line_len_) {
    // No request came whole (<BADREQ>): HAProxy logs it without a stream, nothing of a
    // transaction (backend, variables, unique id) exists.
    ctx.backend = nullptr;
    ctx.vars = nullptr;
    ctx.unique_id = nullptr;
    ctx.captured = nullptr;
    return ctx;
  }
  std::string_view line(log_block_, log_line_len_);
  std::string_view method = line.substr(0, line.find(' '));
  // HAProxy keeps the method when it is one it knows; another one was only in the buffer.
  if (known_method(method)) {
    req.method = http::Span{0, static_cast<uint32_t>(method.size())};
    ctx.request = &req;
    ctx.base = log_block_;
  }
  // `status`: the server's response (HAProxy reads it from the response it got).
  if (uint16_t st = get_u16(log_block_, kSrvStatusOff)) {
    res.status = st;
    ctx.response = &res;
    ctx.response_base = log_block_;
  }
  return ctx;
}

std::string_view Exchange::unique_id_of(const void* self) {
  return const_cast<Exchange*>(static_cast<const Exchange*>(self))->unique_id();
}

void Exchange::fill_log_record(log::Record& r, uint64_t now) {
  const auto& cfg = w_.config();
  const auto& fe = cfg.proxies[fe_];
  const Runtime& rt = w_.runtime();
  r.client = &c_.facts_.peer.sa;
  r.frontend_addr = &c_.facts_.local.sa;
  r.accept_date = to_timespec(c_.facts_.accept_real_ms);
  r.request_date = to_timespec(req_real_ms_);
  r.frontend = fe.name;
  if (const SSL* ssl = c_.cli()->tls()) {
    // TLS from the client: %ft gets its '~', %sslv / %sslc what was negotiated.
    r.ssl = true;
    r.ssl_version = SSL_get_version(ssl);
    if (const SSL_CIPHER* c = SSL_get_current_cipher(ssl)) r.ssl_cipher = SSL_CIPHER_get_name(c);
  }
  r.backend = be_ >= 0 ? std::string_view(cfg.proxies[be_].name) : std::string_view(fe.name);
  r.server = (be_ >= 0 && srv_idx_ >= 0 && t_connect_) ? std::string_view(cfg.proxies[be_].servers[srv_idx_].name)
                                                        : std::string_view("<NOSRV>");
  r.t_request = span(t_req_, t_head_);
  r.t_queue = t_queue_ ? span(t_queue_, t_dequeue_ ? t_dequeue_ : now) : (t_connect_ ? 0 : -1);
  r.t_connect = span(t_connect_, t_connected_);
  r.t_response = span(t_connected_, t_resp_);
  r.t_active = span(t_req_, now);
  r.t_total = span(c_.facts_.t_accept, now);
  r.t_idle = 0;
  // %Th: the TLS handshake, on a connection's first request only (later ones had none).
  if (c_.first_request_ && c_.facts_.t_handshake) r.t_handshake = static_cast<int64_t>(c_.facts_.t_handshake - c_.facts_.t_accept);
  r.status = status_ ? status_ : -1;
  r.bytes_out = bytes_out_;
  r.termination[0] = c_.term_.cause;
  r.termination[1] = c_.term_.state;
  r.termination[2] = cookie_req_flag_;
  r.termination[3] = cookie_resp_flag_;
  r.actconn = rt.cur_conns.load(std::memory_order_relaxed);
  r.feconn = rt.frontends[fe_].cur_conns.load(std::memory_order_relaxed);
  r.beconn = be_ >= 0 ? rt.backends[be_].cur_conns.load(std::memory_order_relaxed) : 0;
  r.srv_conn = (be_ >= 0 && srv_idx_ >= 0) ? rt.backends[be_].states[srv_idx_]->cur_conns.load(std::memory_order_relaxed) : 0;
  r.retries = retries_done_;
  r.redispatched = redispatched_;
  r.request_line = log_block_ && log_line_len_ ? std::string_view(log_block_, log_line_len_) : std::string_view("<BADREQ>");
  r.pid = static_cast<uint32_t>(getpid());
  r.request_counter = req_counter_;
  if (unique_id_set_) r.unique_id = std::string_view(log_block_ + kIdOff, unique_id_len_);
  if (log_block_ && fe.capture_cookie) {
    r.captured_request_cookie = cookie_slot(log_block_, kReqCookieOff);
    r.captured_response_cookie = cookie_slot(log_block_, kResCookieOff);
  }
  // Captured headers: a view per configured capture (absent ones have no data), stored in the
  // block itself. A request whose head never came whole (<BADREQ>) shows none, as HAProxy.
  const size_t ncap = capture_count(fe);
  if (ncap && log_block_ && log_line_len_ && w_.bufsize() >= kViewsOff + ncap * sizeof(std::string_view)) {
    auto* views = reinterpret_cast<std::string_view*>(log_block_ + kViewsOff);
    for (size_t k = 0; k < ncap; ++k) {
      uint32_t room = 0;
      uint32_t off = slot_at(fe, k, w_.bufsize(), room);
      uint16_t len = off ? get_len(log_block_, off) : kAbsent;
      views[k] = len == kAbsent ? std::string_view() : std::string_view(log_block_ + off + 2, len);
    }
    const size_t nreq = fe.capture_request_headers.size();
    r.captured_request_headers = std::span<const std::string_view>(views, nreq);
    r.captured_response_headers = std::span<const std::string_view>(views + nreq, ncap - nreq);
  }
}

void Exchange::log_exchange() {
  if (logged_ || !t_req_) return;
  logged_ = true;
  count_exchange();
  if (!logging() || log_level_ < 0) return release_log_block();   // set-log-level silent
  const auto& fe = w_.config().proxies[fe_];
  bool error = status_ >= 500 || c_.term_.cause != '-';
  if (fe.dontlog_normal && !error) return release_log_block();
  uint64_t now = uv_now(w_.loop());
  make_unique_id(true);   // HAProxy computes it for the log line when nothing asked for it before
  const Runtime& rt = w_.runtime();
  const log::Format& format = *rt.log_formats[fe_];
  const log::Format* sd = rt.rules->log_format_sds[fe_].get();
  log::Record r;
  fill_log_record(r, now);
  http::Head req, res;
  acl::SampleContext ctx;
  SampleSource src{&ctx, &rt.rules->format_samples[fe_]};
  if (format.has_samples() || (sd && sd->has_samples())) {
    ctx = log_sample_context(req, res);
    r.sample = eval_sample;
    r.sample_self = &src;
  }
  char* line = w_.scratch();
  const size_t line_cap = std::min<size_t>(4096, w_.bufsize() / 2);
  size_t len = format.render(r, line, line_cap);
  std::string_view structured;
  if (sd) structured = std::string_view(line + line_cap, sd->render(r, line + line_cap, w_.bufsize() - line_cap));
  timespec ts = to_timespec(realtime_ms());
  // `option log-separate-errors` raises errors from info to err.
  // set-log-level wins over both.
  int level = log_level_ > 0 ? log_level_ - 1 : fe.log_separate_errors && error ? 3 : 6;
  w_.log_sender().send(std::span<const config::LogTarget>(fe.logs), level, std::string_view(line, len), ts,
                       structured);
  release_log_block();
}

void Exchange::handshake_failed(log::HandshakeEnd how) {
  if (how != log::HandshakeEnd::timeout) w_.px_counters(fe_).add(w_.px_counters(fe_).ssl_failed_handshake);
  connection_failed(log::classify_handshake_failure(c_.cli()->tls(), how));
}

void Exchange::connection_failed(log::ConnError e) {
  const auto& fe = w_.config().proxies[fe_];
  if (log::conn_error_logged(fe, e)) {
    log::ConnErrorLine l;
    l.client = &c_.facts_.peer.sa;
    l.accept_date = to_timespec(c_.facts_.accept_real_ms);
    l.frontend = fe.name;
    l.bind_name = fe.binds[c_.facts_.bind].name;
    l.bind_id = c_.facts_.bind + 1;
    l.error = e;
    char* line = w_.scratch();
    const size_t len = log::render_conn_error(l, line, std::min<size_t>(1024, w_.bufsize()));
    w_.log_sender().send(std::span<const config::LogTarget>(fe.logs), log::conn_error_level(fe),
                         std::string_view(line, len), to_timespec(realtime_ms()), {});
  }
  c_.phase_ = Phase::idle;   // no exchange to log
  c_.finish_close();
}

void Exchange::release_log_block() {
  if (log_block_) {
    w_.buffers().put(log_block_);
    log_block_ = nullptr;
  }
  unique_id_set_ = false;
}

}  // namespace portero::proxy
