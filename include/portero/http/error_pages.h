#pragma once
// HAProxy's built-in error responses (COMPAT.md §7.4), byte for byte, and `errorfile` overrides.
#include <string_view>

#include "portero/config/config.h"

namespace portero::http {

// The complete raw HTTP response (status line, headers, body) HAProxy sends for `status`
// (200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504),
// or the proxy's `errorfile` content when it has one for that status. Always non-empty:
// an unknown status gets a generic page of that status.
std::string_view error_response(int status, const config::Proxy* proxy = nullptr);

}  // namespace portero::http
