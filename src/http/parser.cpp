#include "portero/http/parser.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

#include <llhttp.h>

namespace portero::http {

// llhttp's callbacks, with access to the parser they serve (its `data`).
struct Parser::Callbacks {
  static int on_message_begin(llhttp_t* p);
  static int on_method(llhttp_t* p, const char* at, size_t len);
  static int on_url(llhttp_t* p, const char* at, size_t len);
  static int on_status(llhttp_t* p, const char* at, size_t len);
  static int on_header_field(llhttp_t* p, const char* at, size_t len);
  static int on_header_value(llhttp_t* p, const char* at, size_t len);
  static int on_version_complete(llhttp_t* p);
  static int on_header_field_complete(llhttp_t* p);
  static int on_header_value_complete(llhttp_t* p);
  static int on_headers_complete(llhttp_t* p);
  static int on_message_complete(llhttp_t* p);
  static int on_body(llhttp_t* p, const char* at, size_t len);
  // Two tables: the proxy's without on_body (llhttp then skips body bytes without a call),
  // and the same with on_body for a parser given a body sink.
  static const llhttp_settings_t* settings();
  static const llhttp_settings_t* settings_with_body();
  static llhttp_t& ll(Parser& s) { return *reinterpret_cast<llhttp_t*>(s.state_); }
  static const llhttp_t& ll(const Parser& s) { return *reinterpret_cast<const llhttp_t*>(s.state_); }
  static_assert(sizeof(llhttp_t) <= sizeof(Parser::state_) && alignof(llhttp_t) <= 8);
};

// llhttp already knows the method: no need to compare its text again.
static Method method_from(uint8_t m) {
  switch (m) {
    case HTTP_GET: return Method::get;
    case HTTP_HEAD: return Method::head;
    case HTTP_POST: return Method::post;
    case HTTP_PUT: return Method::put;
    case HTTP_DELETE: return Method::delete_;
    case HTTP_CONNECT: return Method::connect;
    case HTTP_OPTIONS: return Method::options;
    case HTTP_TRACE: return Method::trace;
    default: return Method::other;
  }
}

static Parser* self(llhttp_t* p) { return static_cast<Parser*>(p->data); }

const llhttp_settings_t* Parser::Callbacks::settings() {
  static const llhttp_settings_t s = [] {
    llhttp_settings_t st;
    llhttp_settings_init(&st);
    st.on_message_begin = on_message_begin;
    st.on_method = on_method;
    st.on_url = on_url;
    st.on_status = on_status;
    st.on_header_field = on_header_field;
    st.on_header_value = on_header_value;
    st.on_version_complete = on_version_complete;
    st.on_header_field_complete = on_header_field_complete;
    st.on_header_value_complete = on_header_value_complete;
    st.on_headers_complete = on_headers_complete;
    st.on_message_complete = on_message_complete;
    return st;
  }();
  return &s;
}

const llhttp_settings_t* Parser::Callbacks::settings_with_body() {
  static const llhttp_settings_t s = [] {
    llhttp_settings_t st = *settings();
    st.on_body = on_body;
    return st;
  }();
  return &s;
}

void Parser::set_body_sink(BodySink fn, void* ctx) {
  sink_ = fn;
  sink_ctx_ = ctx;
  // llhttp_reset() keeps the settings pointer: the choice holds for the following messages.
  Callbacks::ll(*this).settings = const_cast<llhttp_settings_t*>(fn ? Callbacks::settings_with_body() : Callbacks::settings());
}

void Parser::tolerate_check_replies() {
  check_replies_ = true;
  // LENIENT_HEADERS lets a header line end in LF alone (it also stops llhttp's checks of the
  // value bytes, which a check only compares); LENIENT_VERSION takes any digit.digit.
  // llhttp_reset() keeps these flags.
  Callbacks::ll(*this).lenient_flags |= LENIENT_HEADERS | LENIENT_VERSION;
}

Parser::Parser(Kind kind) : kind_(kind) {
  llhttp_init(&Callbacks::ll(*this), kind == Kind::request ? HTTP_REQUEST : HTTP_RESPONSE, Callbacks::settings());
  Callbacks::ll(*this).data = this;
}

void Parser::begin(const char* base, uint32_t start, Header* slots, uint16_t max_headers) {
  llhttp_reset(&Callbacks::ll(*this));
  Callbacks::ll(*this).data = this;
  base_ = base;
  head_ = Head{};
  head_.start = start;
  head_.headers = slots;
  max_headers_ = max_headers;
  in_value_ = true;
  head_done_ = complete_ = too_many_ = length_repeated_ = false;
  version_seen_ = te_seen_ = ws_upgrade_ = ws_key_ = host_seen_ = false;
  error_status_ = 400;
  te_ = TeCodings{};
  host_ = Span{};
}

void Parser::extend(Span& s, const char* at, size_t len) {
  if (s.len == 0) s.off = static_cast<uint32_t>(at - base_);
  s.len += static_cast<uint32_t>(len);
}

FeedResult Parser::feed(uint32_t from, uint32_t to) {
  const char* p = base_ + from;
  const char* end = base_ + to;
  for (;;) {
    llhttp_errno_t err = llhttp_execute(&Callbacks::ll(*this), p, static_cast<size_t>(end - p));
    if (err == HPE_OK) return {ParseStatus::more, to};
    uint32_t at = static_cast<uint32_t>(llhttp_get_error_pos(&Callbacks::ll(*this)) - base_);
    if (err == HPE_PAUSED && head_done_ && !complete_ && head_.length == 0) {
      // Paused at the end of the head to learn where it ends; carry on with the body.
      head_.length = at - head_.start;
      // Responses to HEAD, 1xx, 204 and 304 have no body whatever their headers announce.
      if (kind_ == Kind::response &&
          (no_body_ || head_.status < 200 || head_.status == 204 || head_.status == 304))
        Callbacks::ll(*this).flags |= F_SKIPBODY;
      llhttp_resume(&Callbacks::ll(*this));
      p = base_ + at;
      continue;   // even with no byte left: llhttp still has to decide whether a body follows
    }
    if (err == HPE_PAUSED && complete_) return {ParseStatus::complete, at};
    if (err == HPE_PAUSED_UPGRADE) {
      head_.upgrade = true;
      return {ParseStatus::upgrade, at};
    }
    return {ParseStatus::error, at};
  }
}

bool Parser::finish() {
  if (complete_) return true;
  llhttp_errno_t err = llhttp_finish(&Callbacks::ll(*this));
  return (err == HPE_OK || err == HPE_PAUSED) && complete_;
}

FeedResult Parser::adopt(const Head& h) {
  Header* slots = head_.headers;
  const uint32_t start = head_.start;
  head_ = h;
  head_.headers = slots;
  head_.start = start;
  if (slots != h.headers) std::copy(h.headers, h.headers + std::min<uint16_t>(h.count, max_headers_), slots);
  head_.count = std::min<uint16_t>(h.count, max_headers_);
  head_done_ = complete_ = true;
  return {ParseStatus::complete, start + h.length};
}

int Parser::Callbacks::on_message_begin(llhttp_t*) { return 0; }

int Parser::Callbacks::on_method(llhttp_t* p, const char* at, size_t len) {
  self(p)->extend(self(p)->head_.method, at, len);
  return 0;
}

int Parser::Callbacks::on_url(llhttp_t* p, const char* at, size_t len) {
  self(p)->extend(self(p)->head_.target, at, len);
  return 0;
}

int Parser::Callbacks::on_status(llhttp_t* p, const char* at, size_t len) {
  self(p)->extend(self(p)->head_.reason, at, len);
  return 0;
}

int Parser::Callbacks::on_version_complete(llhttp_t* p) {
  self(p)->version_seen_ = true;
  return 0;
}

int Parser::Callbacks::on_header_field(llhttp_t* p, const char* at, size_t len) {
  Parser* s = self(p);
  if (s->in_value_) {
    s->in_value_ = false;
    if (s->head_done_) {
      // A trailer: checked like a header, never indexed with the head's headers (which went,
      // or go, out before the body); it travels with the body bytes.
      s->trailer_ = Header{};
    } else {
      if (s->head_.count >= s->max_headers_) {
        s->too_many_ = true;
        return -1;
      }
      s->head_.headers[s->head_.count++] = Header{};
    }
  }
  s->extend(s->current().name, at, len);
  return 0;
}

// RFC 9110 token characters: what a header name may contain (no space, no control byte).
static bool is_tchar(unsigned char c) {
  static const std::array<bool, 256> table = [] {
    std::array<bool, 256> t{};
    for (int ch = '0'; ch <= '9'; ++ch) t[ch] = true;
    for (int ch = 'a'; ch <= 'z'; ++ch) t[ch] = true;
    for (int ch = 'A'; ch <= 'Z'; ++ch) t[ch] = true;
    for (char ch : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(ch)] = true;
    return t;
  }();
  return table[c];
}

int Parser::Callbacks::on_header_field_complete(llhttp_t* p) {
  Parser* s = self(p);
  // No name byte since the last value: an empty name (": v"), which llhttp accepts.
  // HAProxy refuses it.
  if (s->in_value_) return -1;
  const Span& n = s->current().name;
  if (n.len == 0) return -1;
  for (uint32_t i = 0; i < n.len; ++i)
    if (!is_tchar(static_cast<unsigned char>(s->base_[n.off + i]))) return -1;
  if (!s->head_done_ && (p->flags & F_CONTENT_LENGTH) && iequals(n.in(s->base_), "content-length")) {
    // A repeated Content-Length: HAProxy accepts it when the values agree and rejects it
    // otherwise. llhttp rejects any repeat, so let it parse this value afresh and compare once
    // it is complete.
    s->previous_length_ = p->content_length;
    s->length_repeated_ = true;
    p->flags &= ~F_CONTENT_LENGTH;
    p->content_length = 0;   // llhttp accumulates digits onto what is there
  }
  return 0;
}

int Parser::Callbacks::on_header_value(llhttp_t* p, const char* at, size_t len) {
  Parser* s = self(p);
  Span& v = s->current().value;
  if (v.len == 0) {
    s->extend(v, at, len);
  } else {
    // A later piece: the same line cut by a read boundary, or an obs-fold continuation
    // (llhttp skips the line break and leading whitespace). The span covers both and the
    // line break in between, blanked once the value is complete.
    v.len = static_cast<uint32_t>(at + len - (s->base_ + v.off));
  }
  return 0;
}

int Parser::Callbacks::on_header_value_complete(llhttp_t* p) {
  Parser* s = self(p);
  Span& v = s->current().value;
  // obs-fold: HAProxy merges a continuation line into the value, each CR and LF of the fold
  // becoming a space ("a\r\n  b" -> "a    b"). The buffer is the connection's own, so this is
  // done in place; a value without line break (nearly all) is only scanned.
  char* w = const_cast<char*>(s->base_) + v.off;
  if (std::memchr(w, '\n', v.len) || std::memchr(w, '\r', v.len))
    for (uint32_t i = 0; i < v.len; ++i)
      if (w[i] == '\r' || w[i] == '\n') w[i] = ' ';
  while (v.len && (s->base_[v.off] == ' ' || s->base_[v.off] == '\t')) ++v.off, --v.len;
  while (v.len && (s->base_[v.off + v.len - 1] == ' ' || s->base_[v.off + v.len - 1] == '\t')) --v.len;
  s->in_value_ = true;
  if (s->length_repeated_) {
    s->length_repeated_ = false;
    if (p->content_length != s->previous_length_) return -1;
  }
  if (s->head_done_) {   // a trailer
    if (s->trailer_sink_) s->trailer_sink_(s->sink_ctx_, s->trailer_.name.in(s->base_), v.in(s->base_));
    s->trailer_ = Header{};   // nothing of it is held in the buffer any more
    return 0;
  }
  const Header& h = s->current();
  return s->check_header(h.name.in(s->base_), v.in(s->base_)) ? 0 : -1;
}

bool Parser::check_header(std::string_view name, std::string_view value) {
  // Cheap first-letter dispatch: most headers are none of these.
  switch (name.empty() ? 0 : name[0] | 0x20) {
    case 't':
      if (iequals(name, "transfer-encoding")) {
        te_seen_ = true;
        add_te_codings(te_, value);
      }
      return true;
    case 'h':
      if (kind_ == Kind::request && iequals(name, "host")) {
        // Repeated Host headers must agree (case-insensitively), as in HAProxy.
        if (host_seen_) return iequals(value, host_.in(base_));
        host_seen_ = true;
        host_ = Span{static_cast<uint32_t>(value.data() - base_), static_cast<uint32_t>(value.size())};
      }
      return true;
    case 'u':
      if (iequals(name, "upgrade") && has_token(value, "websocket")) ws_upgrade_ = true;
      return true;
    case 's':
      if (iequals(name, "sec-websocket-key")) ws_key_ = true;
      return true;
    default:
      return true;
  }
}

bool Parser::check_head(const void* state) {
  const auto* p = static_cast<const llhttp_t*>(state);
  // A coding list we read as ending in "chunked" that llhttp did not ("chunked" followed by a
  // tab): llhttp would take the body as close-delimited and relay it unchecked under our
  // "transfer-encoding: chunked". Refused (HAProxy checks such a body's chunks instead).
  if (te_seen_ && te_.chunked && !(p->flags & F_CHUNKED)) return false;
  if (kind_ == Kind::response) {
    // (checks: HAProxy reports such a status as it is; the proxy refuses it)
    if (p->status_code < 100 && !check_replies_) return false;
    return !te_seen_ || te_response_ok(te_);
  }
  if (!version_seen_) return false;   // HTTP/0.9 simple request
  if (te_seen_) {
    if (int st = te_request_verdict(te_)) {
      error_status_ = static_cast<uint16_t>(st);
      return false;
    }
  }
  std::string_view target = head_.target.in(base_);
  if (!target_bytes_ok(target)) return false;
  if (p->method == HTTP_CONNECT) {
    if (!connect_target_ok(target)) return false;
    if (host_seen_ && !connect_matches_host(target, host_.in(base_))) return false;
  } else if (host_seen_ && absolute_authority(target).data() &&
             !authority_matches_host(target, host_.in(base_))) {
    return false;
  }
  // A websocket upgrade without its key is refused (HAProxy checks it; 400).
  if ((p->flags & F_CONNECTION_UPGRADE) && (p->flags & F_UPGRADE) && ws_upgrade_ && !ws_key_) return false;
  return true;
}

int Parser::Callbacks::on_headers_complete(llhttp_t* p) {
  Parser* s = self(p);
  if (!s->check_head(p)) return -1;
  Head& h = s->head_;
  h.major = p->http_major;
  h.minor = p->http_minor;
  h.status = p->status_code;
  h.method_id = s->kind_ == Kind::request ? method_from(p->method) : Method::other;
  h.keep_alive = llhttp_should_keep_alive(p);
  if (h.major == 2 && s->kind_ == Kind::request && s->keep_http2_) {
    h.minor = 0;
    h.keep_alive = true;   // the stream ends with its exchange; the connection stays
  } else if (h.major == 2 && s->kind_ == Kind::request) {
    // "HTTP/2.0" in an HTTP/1 request line: HAProxy takes it as HTTP/1.1 (and forwards 1.1).
    h.major = h.minor = 1;
    h.keep_alive = !(p->flags & F_CONNECTION_CLOSE);
  }
  h.chunked = (p->flags & F_CHUNKED) != 0;
  h.has_length = (p->flags & F_CONTENT_LENGTH) != 0;
  h.content_length = h.has_length ? p->content_length : 0;
  h.upgrade = p->upgrade;
  s->head_done_ = true;
  return HPE_PAUSED;
}

int Parser::Callbacks::on_message_complete(llhttp_t* p) {
  Parser* s = self(p);
  if (p->upgrade) return 0;   // llhttp then returns HPE_PAUSED_UPGRADE at the switch point
  s->complete_ = true;
  return HPE_PAUSED;
}

int Parser::Callbacks::on_body(llhttp_t* p, const char* at, size_t len) {
  Parser* s = self(p);
  s->sink_(s->sink_ctx_, at, len);
  return 0;
}

const char* Parser::error_reason() const { return llhttp_get_error_reason(&Callbacks::ll(*this)); }

}  // namespace portero::http
