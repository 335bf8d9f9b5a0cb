#pragma once
// Text of `show errors` and `show sess` in HAProxy 2.6's layout (COMPAT.md §5.2). Only what
// portero really knows is printed: the captured bytes, their proxies and source for errors;
// protocol, source, frontend, backend, server and age for sessions (HAProxy's internal buffer
// and stream flags have no meaning here). Pure functions.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "portero/config/config.h"
#include "portero/stats/source.h"

namespace portero::admin {

// "24/Nov/2026:17:09:34.488" (local time), as in HAProxy's error captures.
std::string capture_date(uint64_t unix_ms);

// The escaped dump of captured bytes: "  00000  GET / HTTP/1.1\r\n" lines, a new line after
// each "\n", long lines continued with '+' after the offset.
std::string dump_bytes(std::string_view bytes);

// Which directions `show errors` lists.
enum ErrorDirs : int { dir_request = 1, dir_response = 2, dir_both = 3 };

// `show errors`: proxy_id -1 for every proxy, else only that proxy's (config id) captures.
std::string format_errors(const config::Config& cfg, const std::vector<stats::CapturedError>& errors,
                          uint64_t now_ms, int proxy_id, int dirs, uint32_t bufsize);

// "5s", "2m10s", "1h3m", "4d2h": two units at most, as HAProxy prints ages.
std::string human_age(uint64_t seconds);

// One `show sess` line (with its '\n'): "0x1a2b: proto=tcpv4 src=1.2.3.4:5678 fe=f be=b srv=s age=3s".
// Empty be/srv print as <NONE>/<none>, as HAProxy does for a stream not yet routed.
std::string session_line(uint64_t id, std::string_view proto, std::string_view source, std::string_view fe,
                         std::string_view be, std::string_view srv, uint64_t age_s);

}  // namespace portero::admin
