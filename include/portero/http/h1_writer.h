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

}  // namespace portero::http::h1
