#include "portero/http/parser.h"

#include <array>
#include <string_view>

namespace portero::http {

static Parser* self(llhttp_t* p) { return static_cast<Parser*>(p->data); }

const llhttp_settings_t* Parser::settings() {
  static const llhttp_settings_t s = [] {
    llhttp_settings_t st;
    llhttp_settings_init(&st);
    st.on_message_begin = on_message_begin;
    st.on_method = on_method;
    st.on_url = on_url;
    st.on_status = on_status;
    st.on_header_field = on_header_field;
    st.on_header_value = on_header_value;
    st.on_header_field_complete = on_header_field_complete;
    st.on_header_value_complete = on_header_value_complete;
    st.on_headers_complete = on_headers_complete;
    st.on_message_complete = on_message_complete;
    return st;
  }();
  return &s;
}

Parser::Parser(Kind kind) : kind_(kind) {
  llhttp_init(&parser_, kind == Kind::request ? HTTP_REQUEST : HTTP_RESPONSE, settings());
  parser_.data = this;
}

void Parser::begin(const char* base, uint32_t start, Header* slots, uint16_t max_headers) {
  llhttp_reset(&parser_);
  parser_.data = this;
  base_ = base;
  head_ = Head{};
  head_.start = start;
  head_.headers = slots;
  max_headers_ = max_headers;
  in_value_ = true;
  head_done_ = complete_ = too_many_ = length_repeated_ = false;
}

void Parser::extend(Span& s, const char* at, size_t len) {
  if (s.len == 0) s.off = static_cast<uint32_t>(at - base_);
  s.len += static_cast<uint32_t>(len);
}

FeedResult Parser::feed(uint32_t from, uint32_t to) {
  const char* p = base_ + from;
  const char* end = base_ + to;
  for (;;) {
    llhttp_errno_t err = llhttp_execute(&parser_, p, static_cast<size_t>(end - p));
    if (err == HPE_OK) return {ParseStatus::more, to};
    uint32_t at = static_cast<uint32_t>(llhttp_get_error_pos(&parser_) - base_);
    if (err == HPE_PAUSED && head_done_ && !complete_ && head_.length == 0) {
      // Paused at the end of the head to learn where it ends; carry on with the body.
      head_.length = at - head_.start;
      // Responses to HEAD, 1xx, 204 and 304 have no body whatever their headers announce.
      if (kind_ == Kind::response &&
          (no_body_ || head_.status < 200 || head_.status == 204 || head_.status == 304))
        parser_.flags |= F_SKIPBODY;
      llhttp_resume(&parser_);
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
  llhttp_errno_t err = llhttp_finish(&parser_);
  return (err == HPE_OK || err == HPE_PAUSED) && complete_;
}

int Parser::on_message_begin(llhttp_t*) { return 0; }

int Parser::on_method(llhttp_t* p, const char* at, size_t len) {
  self(p)->extend(self(p)->head_.method, at, len);
  return 0;
}

int Parser::on_url(llhttp_t* p, const char* at, size_t len) {
  self(p)->extend(self(p)->head_.target, at, len);
  return 0;
}

int Parser::on_status(llhttp_t* p, const char* at, size_t len) {
  self(p)->extend(self(p)->head_.reason, at, len);
  return 0;
}

// Fields after the head are the trailers of a chunked body: body bytes, forwarded as they are
// and never indexed (else a trailer such as "Host: x" would join the head the rules and the
// server see, when it arrives in the same read as the head).
int Parser::on_header_field(llhttp_t* p, const char* at, size_t len) {
  Parser* s = self(p);
  if (s->head_done_) return 0;
  if (s->in_value_) {
    if (s->head_.count >= s->max_headers_) {
      s->too_many_ = true;
      return -1;
    }
    s->head_.headers[s->head_.count++] = Header{};
    s->in_value_ = false;
  }
  s->extend(s->head_.headers[s->head_.count - 1].name, at, len);
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

int Parser::on_header_field_complete(llhttp_t* p) {
  Parser* s = self(p);
  if (s->head_done_) return 0;   // a trailer
  const Span& n = s->head_.headers[s->head_.count - 1].name;
  for (uint32_t i = 0; i < n.len; ++i)
    if (!is_tchar(static_cast<unsigned char>(s->base_[n.off + i]))) return -1;
  if ((p->flags & F_CONTENT_LENGTH) && iequals(n.in(s->base_), "content-length")) {
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

int Parser::on_header_value(llhttp_t* p, const char* at, size_t len) {
  Parser* s = self(p);
  if (s->head_done_) return 0;   // a trailer
  s->extend(s->head_.headers[s->head_.count - 1].value, at, len);
  return 0;
}

int Parser::on_header_value_complete(llhttp_t* p) {
  Parser* s = self(p);
  if (s->head_done_) return 0;   // a trailer
  Span& v = s->head_.headers[s->head_.count - 1].value;
  while (v.len && (s->base_[v.off + v.len - 1] == ' ' || s->base_[v.off + v.len - 1] == '\t')) --v.len;
  s->in_value_ = true;
  if (s->length_repeated_) {
    s->length_repeated_ = false;
    if (p->content_length != s->previous_length_) return -1;
  }
  return 0;
}

int Parser::on_headers_complete(llhttp_t* p) {
  Parser* s = self(p);
  Head& h = s->head_;
  h.major = p->http_major;
  h.minor = p->http_minor;
  h.status = p->status_code;
  h.method_id = p->method;
  h.keep_alive = llhttp_should_keep_alive(p);
  h.chunked = (p->flags & F_CHUNKED) != 0;
  h.has_length = (p->flags & F_CONTENT_LENGTH) != 0;
  h.content_length = h.has_length ? p->content_length : 0;
  h.upgrade = p->upgrade;
  s->head_done_ = true;
  return HPE_PAUSED;
}

int Parser::on_message_complete(llhttp_t* p) {
  Parser* s = self(p);
  if (p->upgrade) return 0;   // llhttp then returns HPE_PAUSED_UPGRADE at the switch point
  s->complete_ = true;
  return HPE_PAUSED;
}

}  // namespace portero::http
