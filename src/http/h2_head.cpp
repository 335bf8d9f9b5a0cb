#include "h2_head.h"

#include <cstring>

namespace portero::http::h2 {

void RequestBuilder::begin(const HeadRoom& room) {
  room_ = room;
  head_ = Head{};
  head_.major = 2;
  head_.minor = 0;
  head_.keep_alive = true;   // the stream ends, the connection stays
  head_.headers = room.slots;
  used_ = 0;
  overflow_ = false;
  has_authority_ = false;
}

bool RequestBuilder::copy(std::string_view s, Span& out) {
  if (s.size() > room_.cap - used_) {
    overflow_ = true;
    return false;
  }
  if (!s.empty()) std::memcpy(room_.data + used_, s.data(), s.size());
  out = Span{used_, uint32_t(s.size())};
  used_ += uint32_t(s.size());
  return true;
}

void RequestBuilder::add(std::string_view name, std::string_view value) {
  if (overflow_) return;
  if (!name.empty() && name[0] == ':') {
    Span* to = name == ":method"      ? &head_.method
               : name == ":path"      ? &head_.target
               : name == ":scheme"    ? &head_.scheme
               : name == ":authority" ? &head_.authority
               : name == ":protocol"  ? &head_.protocol
                                      : nullptr;
    if (to == &head_.authority) has_authority_ = true;
    if (to) copy(value, *to);
    return;
  }
  if (head_.count == room_.max_headers) {
    overflow_ = true;
    return;
  }
  Header h;
  if (!copy(name, h.name) || !copy(value, h.value)) return;
  room_.slots[head_.count++] = h;
}

RequestBuilder::Verdict RequestBuilder::finish() {
  if (overflow_) return Verdict::overflow;
  const char* base = room_.data;

  // RFC 9113 8.2.3: several cookie fields are one Cookie header on HTTP/1, joined by "; ".
  // It goes last, after the other fields (where haproxy puts it, a single one too): the joined
  // value is appended to the block and its slot to the list.
  uint16_t n = 0;
  Span name{};
  uint64_t joined_len = 0;
  for (uint16_t i = 0; i < head_.count; ++i) {
    if (head_.headers[i].name.in(base) != "cookie") continue;
    if (n++ == 0) name = head_.headers[i].name;
    joined_len += head_.headers[i].value.len + (n > 1 ? 2 : 0);
  }
  if (n > 0) {
    if (joined_len > room_.cap - used_) {
      overflow_ = true;
      return Verdict::overflow;
    }
    const Span joined{used_, uint32_t(joined_len)};
    uint16_t kept = 0;
    bool sep = false;
    for (uint16_t i = 0; i < head_.count; ++i) {
      const Header h = head_.headers[i];
      if (h.name.in(base) != "cookie") {
        head_.headers[kept++] = h;
        continue;
      }
      if (sep) {
        std::memcpy(room_.data + used_, "; ", 2);
        used_ += 2;
      }
      std::memmove(room_.data + used_, base + h.value.off, h.value.len);
      used_ += h.value.len;
      sep = true;
    }
    head_.headers[kept++] = Header{name, joined};
    head_.count = kept;
  }

  // RFC 9113 8.3.1: without :authority, Host carries it. With both, :authority wins and the
  // Host field goes (haproxy's way): rules and server then read one authority, whatever the
  // client put in Host, so nothing can route on one while the server reads the other.
  if (const Header* host = head_.find(base, "host")) {
    if (!has_authority_) {
      head_.authority = host->value;
    } else {
      uint16_t kept = 0;
      for (uint16_t i = 0; i < head_.count; ++i)
        if (head_.headers[i].name.in(base) != "host") head_.headers[kept++] = head_.headers[i];
      head_.count = kept;
    }
  }

  // nghttp2 lets '#' through in :path. A fragment is never part of a request-target, HTTP/1
  // requests with one are refused (target_bytes_ok), and an HTTP/1 server would cut the path
  // there while the rules saw all of it.
  if (head_.target.in(base).find('#') != std::string_view::npos) return Verdict::malformed;

  head_.method_id = method_of(head_.method.in(base));
  if (head_.method_id == Method::connect) {
    if (head_.protocol.empty()) head_.target = head_.authority;   // classic CONNECT: no :path
    else head_.upgrade = true;                                     // RFC 8441
  }

  if (const Header* cl = head_.find(base, "content-length")) {
    // nghttp2 has checked the digits and that there is only one.
    uint64_t v = 0;
    for (char c : cl->value.in(base)) v = v * 10 + uint64_t(c - '0');
    head_.has_length = true;
    head_.content_length = v;
  }
  head_.start = 0;
  head_.length = used_;
  return Verdict::ok;
}

namespace {

bool connection_specific(std::string_view lname) {
  return lname == "connection" || lname == "keep-alive" || lname == "proxy-connection" ||
         lname == "transfer-encoding" || lname == "upgrade";
}

}  // namespace

void response_fields(const Head& head, const char* base, std::string& names, std::vector<Field>& out) {
  out.clear();
  names.clear();
  size_t total = 0;
  for (uint16_t i = 0; i < head.count; ++i) total += head.headers[i].name.len;
  names.reserve(total);   // no reallocation below: the views into it stay valid

  const Header* conn = head.find(base, "connection");
  for (uint16_t i = 0; i < head.count; ++i) {
    const Header& h = head.headers[i];
    const std::string_view name = h.name.in(base);
    if (name.empty()) continue;
    const size_t at = names.size();
    for (char c : name) names.push_back((c >= 'A' && c <= 'Z') ? char(c | 0x20) : c);
    const std::string_view lname(names.data() + at, name.size());
    // Fields the Connection header names are hop-by-hop too (RFC 9110 7.6.1).
    if (connection_specific(lname) || (conn && has_token(conn->value.in(base), lname))) {
      names.resize(at);
      continue;
    }
    out.push_back({lname, h.value.in(base)});
  }
}

}  // namespace portero::http::h2
