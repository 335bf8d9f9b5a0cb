#include "portero/http/head_edit.h"

#include <cstdlib>
#include <cstring>

namespace portero::http {

namespace {

// Appends to the block and returns the span of what was appended.
class Out {
 public:
  Out(char* block, uint32_t cap) : b_(block), cap_(cap) {}
  Span put(std::string_view s) {
    Span sp{len_, static_cast<uint32_t>(s.size())};
    if (len_ + s.size() > cap_) {
      overflow_ = true;
      return sp;
    }
    if (s.size()) std::memcpy(b_ + len_, s.data(), s.size());
    len_ += static_cast<uint32_t>(s.size());
    return sp;
  }
  uint32_t len() const { return len_; }
  bool overflow() const { return overflow_; }

 private:
  char* b_;
  uint32_t cap_;
  uint32_t len_ = 0;
  bool overflow_ = false;
};

char lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c | 0x20) : c; }

bool iprefix(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && iequals(s.substr(0, p.size()), p);
}

}  // namespace

bool header_name_matches(std::string_view name, std::string_view pattern, HeadEdit::Match m) {
  switch (m) {
    case HeadEdit::Match::str: return iequals(name, pattern);
    case HeadEdit::Match::beg: return iprefix(name, pattern);
    case HeadEdit::Match::end:
      return name.size() >= pattern.size() && iequals(name.substr(name.size() - pattern.size()), pattern);
    case HeadEdit::Match::sub:
      for (size_t i = 0; i + pattern.size() <= name.size(); ++i)
        if (iequals(name.substr(i, pattern.size()), pattern)) return true;
      return false;
  }
  return false;
}

bool rewrite_head(const Head& src, const char* src_base, bool request, const HeadEdit& e, char* block,
                  uint32_t data_cap, uint16_t max_headers, Head& out) {
  using K = HeadEdit::Kind;
  Out o(block, data_cap);
  Head h = src;   // framing facts carried over; every span is redone below
  h.start = 0;
  h.headers = reinterpret_cast<Header*>(block + data_cap);
  h.count = 0;
  char digits[8];
  if (request) {
    h.method = o.put(e.kind == K::set_method ? e.value : src.method.in(src_base));
    o.put(" ");
    h.target = o.put(e.kind == K::set_target ? e.value : src.target.in(src_base));
    o.put(src.is_http10() ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
  } else {
    o.put(src.is_http10() ? "HTTP/1.0 " : "HTTP/1.1 ");
    uint16_t status = e.kind == K::set_status ? e.status : src.status;
    int n = 0;
    for (uint16_t v = status, d = 100; d; d /= 10) digits[n++] = char('0' + (v / d) % 10);
    o.put(std::string_view(digits, n));
    o.put(" ");
    h.status = status;
    h.reason = o.put(e.kind == K::set_status ? e.value : src.reason.in(src_base));
    o.put("\r\n");
  }
  auto add = [&](std::string_view name, std::string_view value) {
    if (h.count >= max_headers) {
      return false;
    }
    Header& hd = h.headers[h.count++];
    hd.name = o.put(name);
    o.put(": ");
    hd.value = o.put(value);
    o.put("\r\n");
    return true;
  };
  bool ok = true;
  for (uint16_t i = 0; i < src.count && ok; ++i) {
    std::string_view name = src.headers[i].name.in(src_base);
    std::string_view value = src.headers[i].value.in(src_base);
    switch (e.kind) {
      case K::set_header:
        if (iequals(name, e.name)) continue;
        break;
      case K::del_header:
        if (header_name_matches(name, e.name, e.match)) continue;
        break;
      case K::replace_header:
        if (iequals(name, e.name)) {
          value = e.replace ? e.replace(e.replace_ctx, value) : e.value;
          if (e.drop_empty && value.empty()) continue;
        }
        break;
      default:
        break;
    }
    ok = add(name, value);
  }
  if (ok && (e.kind == K::set_header || e.kind == K::add_header)) ok = add(e.name, e.value);
  if (ok && e.kind == K::add_header && !e.name2.empty()) ok = add(e.name2, e.value2);
  o.put("\r\n");
  h.length = o.len();
  (void)lower;
  if (!ok || o.overflow()) return false;
  out = h;
  return true;
}

bool index_local_response(std::string_view r, char* block, uint32_t data_cap, uint16_t max_headers, Head& out) {
  const size_t end = r.find("\r\n\r\n");
  if (end == std::string_view::npos || end + 4 > data_cap || r.size() < 13 || !r.starts_with("HTTP/1.")) return false;
  std::memcpy(block, r.data(), end + 4);
  out = Head{};
  out.start = 0;
  out.length = uint32_t(end + 4);
  out.minor = uint8_t(r[7] == '0' ? 0 : 1);
  out.headers = reinterpret_cast<Header*>(block + data_cap);
  out.status = 0;
  for (size_t k = 9; k < 12; ++k) {
    if (r[k] < '0' || r[k] > '9') return false;
    out.status = uint16_t(out.status * 10 + (r[k] - '0'));
  }
  size_t eol = r.find("\r\n");
  const uint32_t reason_at = eol > 13 ? 13 : uint32_t(eol);
  out.reason = Span{reason_at, uint32_t(eol - reason_at)};
  out.keep_alive = true;
  for (size_t at = eol + 2; at < end + 2;) {
    const size_t next = r.find("\r\n", at);
    const size_t colon = r.find(':', at);
    if (colon == std::string_view::npos || colon > next || out.count >= max_headers) return false;
    size_t v = colon + 1;
    while (v < next && (r[v] == ' ' || r[v] == '\t')) ++v;
    Header& h = out.headers[out.count++];
    h.name = Span{uint32_t(at), uint32_t(colon - at)};
    h.value = Span{uint32_t(v), uint32_t(next - v)};
    if (iequals(r.substr(at, colon - at), "content-length")) {
      out.has_length = true;
      out.content_length = std::strtoull(r.data() + v, nullptr, 10);
    }
    at = next + 2;
  }
  return true;
}

}  // namespace portero::http
