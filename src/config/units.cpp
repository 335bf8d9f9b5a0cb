// Time and size suffixes of haproxy.cfg.
#include "portero/config/units.h"

#include <limits>

namespace portero::config {
namespace {

// Leading decimal digits; nothing when there are none or they overflow.
std::optional<uint64_t> leading_number(std::string_view& text) {
  if (text.empty() || text[0] < '0' || text[0] > '9') return std::nullopt;
  uint64_t v = 0;
  size_t i = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    const uint64_t d = uint64_t(text[i] - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  text.remove_prefix(i);
  return v;
}

std::optional<uint64_t> mul(uint64_t v, uint64_t by) {
  if (by != 0 && v > std::numeric_limits<uint64_t>::max() / by) return std::nullopt;
  return v * by;
}

}  // namespace

std::optional<uint64_t> parse_time_ms(std::string_view text) {
  auto v = leading_number(text);
  if (!v) return std::nullopt;
  if (text.empty() || text == "ms") return v;
  if (text == "us") return (*v + 999) / 1000;  // HAProxy rounds microseconds up to 1 ms
  if (text == "s") return mul(*v, 1000);
  if (text == "m") return mul(*v, 60'000);
  if (text == "h") return mul(*v, 3'600'000);
  if (text == "d") return mul(*v, 86'400'000);
  return std::nullopt;
}

std::optional<uint64_t> parse_time_ms(std::string_view text, std::string& warning) {
  if (auto v = parse_time_ms(text)) return v;
  std::string_view rest = text;
  if (!leading_number(rest) || rest.empty()) return std::nullopt;
  size_t unit = 0;
  if (rest.starts_with("ms") || rest.starts_with("us")) unit = 2;
  else if (rest[0] == 's' || rest[0] == 'm' || rest[0] == 'h' || rest[0] == 'd') unit = 1;
  if (unit == 0 || unit >= rest.size()) return std::nullopt;
  auto v = parse_time_ms(text.substr(0, text.size() - rest.size() + unit));
  if (!v) return v;
  warning = "unexpected character '" + std::string(1, rest[unit]) + "' after the timer value '" + std::string(text) +
            "', only (us=microseconds,ms=milliseconds,s=seconds,m=minutes,h=hours,d=days) are supported. This "
            "will be reported as an error in next versions.";
  return v;
}

std::optional<uint64_t> parse_size(std::string_view text) {
  auto v = leading_number(text);
  if (!v) return std::nullopt;
  if (text.empty()) return v;
  if (text.size() != 1) return std::nullopt;
  switch (text[0]) {
    case 'k': case 'K': return mul(*v, 1024);
    case 'm': case 'M': return mul(*v, 1024 * 1024);
    case 'g': case 'G': return mul(*v, 1024ull * 1024 * 1024);
    default: return std::nullopt;
  }
}

}  // namespace portero::config
