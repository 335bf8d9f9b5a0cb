#pragma once
// HAProxy's built-in error responses (COMPAT.md §7.4), byte for byte, and `errorfile` overrides.
//
// HAProxy 2.6 sends an error in one of two forms (observed on 2.6.12):
//  * connection level -- the HTTP/1 layer itself answers a request it could not parse (400) or
//    that did not arrive in time (408): the built-in text as written, mixed-case header names
//    (`Content-length`, `Cache-Control`, ...), `Connection: close` for 400/408, and the proxy's
//    `errorfile` is NOT used;
//  * stream level -- everything else (deny rules, no server, 502/504 from the server side):
//    header names lower-cased, `connection: close` appended after the other headers when the
//    client connection closes after the response (HTTP/1.0 client, `Connection: close`, and
//    always for 400/408), and the proxy's `errorfile` replaces the page when set.
#include <string>
#include <string_view>

#include "portero/config/config.h"

namespace portero::http {

enum class ErrorLevel : unsigned char { connection, stream };

// The complete raw HTTP response (status line, headers, body) HAProxy sends for `status`
// (200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 421, 422, 425, 429, 500, 501, 502, 503,
// 504), or the proxy's `errorfile` content when it has one for that status. Always non-empty:
// an unknown status gets a generic page of that status.
// This is the form of the usual cause of each status: connection level for 400 and 408
// (parse error, `timeout http-request`), stream level on a keep-alive connection otherwise.
std::string_view error_response(int status, const config::Proxy* proxy = nullptr);

// The same with the form chosen by the caller. `closing`: the client connection is closed
// after this response (stream level only; it adds `connection: close`). An errorfile is
// returned as stored, whatever `closing` says.
std::string_view error_response(int status, const config::Proxy* proxy, ErrorLevel level,
                                bool closing);

// What HAProxy makes of an `errorfile` when it loads it, for the config loader to store in
// Proxy::errorfiles: header names lower-cased, `Connection` headers dropped (HAProxy decides
// that itself), status line and body kept. Input that does not look like an HTTP response
// (no blank line after the head) is returned unchanged.
std::string normalize_errorfile(std::string_view raw);

}  // namespace portero::http
