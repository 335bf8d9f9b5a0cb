#pragma once
// A message head, whatever protocol carried it, indexed in place: every piece is a span (offset,
// length) into a block of bytes, never a copy. For HTTP/1 the block is the connection's read
// buffer (valid until it is compacted, which only happens between messages); for HTTP/2 it is
// the block the stream's header fields were decoded into.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace portero::http {

struct Span {
  uint32_t off = 0;
  uint32_t len = 0;
  std::string_view in(const char* base) const { return {base + off, len}; }
  bool empty() const { return len == 0; }
};

struct Header {
  Span name;
  Span value;   // without surrounding whitespace
};

// Case-insensitive comparison for ASCII header names and tokens. The length test is inline:
// most comparisons of a header name against a known one end there.
bool iequals_bytes(const char* a, const char* b, size_t n);
inline bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && iequals_bytes(a.data(), b.data(), a.size());
}
// Does the comma-separated token list `list` contain `token` (case-insensitive)?
bool has_token(std::string_view list, std::string_view token);

// The request methods the proxy treats specially; any other is `other` (its text is in Head::method).
enum class Method : uint8_t { other, get, head, post, put, delete_, connect, options, trace };
Method method_of(std::string_view token);

struct Head {
  Span method;        // requests
  Span target;        // requests: the request-target as received (HTTP/2: :path)
  Span scheme;        // HTTP/2 requests: :scheme (empty on HTTP/1)
  Span authority;     // HTTP/2 requests: :authority, else the Host field (empty on HTTP/1)
  Span protocol;      // HTTP/2 extended CONNECT (RFC 8441): :protocol, e.g. "websocket"
  Span reason;        // responses
  uint16_t status = 0;
  uint8_t major = 1, minor = 1;
  uint32_t start = 0;     // offset of the first byte of the message
  uint32_t length = 0;    // bytes from `start` to the end of the blank line
  Header* headers = nullptr;  // slots owned by the caller (see Parser::begin)
  uint16_t count = 0;
  bool keep_alive = false;    // as llhttp judged it from version and Connection
  bool upgrade = false;       // Connection: upgrade + Upgrade (request) / 101 (response);
                              // HTTP/2: an extended CONNECT (`protocol` says to what)
  bool chunked = false;
  bool has_length = false;    // Content-Length present
  uint64_t content_length = 0;
  Method method_id = Method::other;

  // The first header named `name`, or nullptr.
  const Header* find(const char* base, std::string_view name) const;
  bool is_http10() const { return major == 1 && minor == 0; }
  bool is_http2() const { return major == 2; }
};

}  // namespace portero::http
