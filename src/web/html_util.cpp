#include "html_util.h"

namespace portero::web {

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string human_duration(int64_t t) {
  if (t < 0) return "?";
  static constexpr struct {
    int64_t secs;
    char unit;
  } kUnits[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
  std::string out;
  int shown = 0;
  for (const auto& u : kUnits) {
    const int64_t n = t / u.secs;
    t %= u.secs;
    // Once a leading unit is printed, the next one follows even when zero ("1m0s").
    if (n == 0 && shown == 0 && u.secs != 1) continue;
    out += std::to_string(n);
    out += u.unit;
    if (++shown == 2) break;
  }
  return out;
}

std::string grouped_number(uint64_t v) {
  const std::string digits = std::to_string(v);
  if (digits.size() <= 3) return digits;
  // The last three digits stay plain; every group before them is spaced by the stylesheet.
  std::string out;
  const size_t head = digits.size() % 3 == 0 ? 3 : digits.size() % 3;
  size_t i = 0;
  for (size_t len = head; i + 3 < digits.size(); i += len, len = 3)
    out += "<span class=\"g\">" + digits.substr(i, len) + "</span>";
  out += digits.substr(i);
  return out;
}

}  // namespace portero::web
