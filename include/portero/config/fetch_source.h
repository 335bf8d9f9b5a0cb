#pragma once
// Where a sample fetch takes its value from, in HAProxy's words for its "needs '...' which is
// not available here" errors. Shared by the config checks (capture rules) and the rule binder
// (log formats), so one table says it.
#include <string_view>

namespace portero::config {

// "HTTP request headers", "request buffer", "HTTP response headers" or "HTTP response"; null
// for the fetches that read the session (addresses, names, variables...). `fetch` is the
// fetch's name alone ("req.hdr", not "req.hdr(host),lower").
const char* fetch_source(std::string_view fetch);

inline bool is_response_source(const char* source) {
  return source && std::string_view(source).starts_with("HTTP response");
}

}  // namespace portero::config
