#pragma once
// Writing HTTP/1 heads: the writer half of the HTTP/1 codec (http::Parser is the reader).
// A head is rebuilt from a Head (whatever protocol it came on) into a HeadWriter's fixed buffer:
// the start line, then the headers this proxy does not manage itself. Worker-local, allocates
// nothing.
#include <string_view>

#include "portero/http/head_writer.h"
#include "portero/http/message.h"

namespace portero::http::h1 {

// Connection-management headers the proxy writes itself (hop-by-hop on HTTP/1).
bool is_hop_by_hop(std::string_view name);

// "METHOD target HTTP/1.x\r\n". An HTTP/2 request's absolute target is cut to its path, unless
// `keep_absolute` (the server speaks HTTP/2 too: it becomes :scheme and :authority there).
void put_request_line(HeadWriter& w, const Head& h, const char* base, bool keep_absolute = false);
// "HTTP/1.x NNN reason\r\n"
void put_status_line(HeadWriter& w, const Head& h, const char* base);

// Writes "name: value" for every header except the hop-by-hop ones and `drop` (the
// http-send-name-header name, replaced by the proxy's; empty: none). A repeated Content-Length
// or Host (accepted only when equal) is sent once, as HAProxy merges them. `bodiless` (1xx,
// 204): Content-Length and Transfer-Encoding are dropped, as HAProxy does.
void copy_headers(HeadWriter& w, const Head& h, const char* base, std::string_view drop = {},
                  bool bodiless = false);

// The headers copy_headers writes, in its order, each given to `emit(const Header&)`: for a
// client side that takes a head rather than its text (an HTTP/2 stream).
template <class Emit>
void forwarded_headers(const Head& h, const char* base, std::string_view drop, bool bodiless, Emit&& emit) {
  bool length_sent = false, host_sent = false;
  const Header* framing = nullptr;   // HTTP/2: the chunked framing the bridge announced
  for (uint16_t i = 0; i < h.count; ++i) {
    std::string_view name = h.headers[i].name.in(base);
    if (is_hop_by_hop(name)) continue;
    if (!drop.empty() && iequals(name, drop)) continue;
    if (h.is_http2() && iequals(name, "transfer-encoding")) {
      // It says how this hop frames the body, not what the client sent: last, as haproxy
      // writes it after the rules' fields.
      framing = &h.headers[i];
      continue;
    }
    if (iequals(name, "content-length")) {
      if (length_sent || bodiless) continue;
      length_sent = true;
    } else if (iequals(name, "host")) {
      if (host_sent) continue;
      host_sent = true;
    } else if (bodiless && iequals(name, "transfer-encoding")) {
      continue;
    }
    emit(h.headers[i]);
  }
  if (framing && !bodiless) emit(*framing);
}

}  // namespace portero::http::h1
