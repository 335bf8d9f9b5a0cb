#pragma once
// HTTP/2 header fields <-> http::Head, without nghttp2: the request side decodes a stream's
// fields into the owner's HeadRoom as they arrive, the response side selects and lower-cases
// the fields of an HTTP/1-style head that may go on an HTTP/2 stream. Private to src/http.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "portero/http/h2_server.h"
#include "portero/http/message.h"

namespace portero::http::h2 {

class RequestBuilder {
 public:
  enum class Verdict : uint8_t { ok, overflow, malformed };

  void begin(const HeadRoom& room);
  // One field as nghttp2 delivers it (already checked against RFC 9113 8.2/8.3: lower-case
  // names, pseudo-fields first and known, no connection-specific field).
  void add(std::string_view name, std::string_view value);
  // After the last field: joins cookies, fills authority from Host when :authority is absent,
  // reads content-length, the method and the extended CONNECT protocol.
  Verdict finish();
  bool overflowed() const { return overflow_; }
  const Head& head() const { return head_; }
  const char* base() const { return room_.data; }

 private:
  bool copy(std::string_view s, Span& out);
  HeadRoom room_{};
  Head head_{};
  uint32_t used_ = 0;
  bool overflow_ = false;
  bool has_authority_ = false;
};

// The fields of `head` to send on HTTP/2, names lower-cased into `names` (reserved up front,
// so the views stay valid). Connection-specific fields (RFC 9113 8.2.2) and those the
// Connection field names are left out.
struct Field {
  std::string_view name;
  std::string_view value;
};
void response_fields(const Head& head, const char* base, std::string& names, std::vector<Field>& out);

}  // namespace portero::http::h2
