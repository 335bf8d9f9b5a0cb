#pragma once
// Time and size values as haproxy.cfg writes them.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace portero::config {

// "10s", "1m", "500" (ms by default), "100us" (rounded up to 1 ms), "2h", "1d".
// Returns nothing on a malformed value or overflow.
std::optional<uint64_t> parse_time_ms(std::string_view text);

// As parse_time_ms, but as HAProxy 2.6 also takes characters after a valid unit ("15min" is
// 15 minutes, "10sec" 10 seconds) and then only warns: `warning` receives its text.
std::optional<uint64_t> parse_time_ms(std::string_view text, std::string& warning);

// "16384", "16k", "1m", "2g" (powers of 1024).
std::optional<uint64_t> parse_size(std::string_view text);

}  // namespace portero::config
