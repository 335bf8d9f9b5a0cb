#include "portero/http/message.h"

#include <utility>

namespace portero::http {

static inline char lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c | 0x20) : c; }

bool iequals_bytes(const char* a, const char* b, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

bool has_token(std::string_view list, std::string_view token) {
  size_t i = 0;
  while (i < list.size()) {
    size_t comma = list.find(',', i);
    if (comma == std::string_view::npos) comma = list.size();
    std::string_view item = list.substr(i, comma - i);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (iequals(item, token)) return true;
    i = comma + 1;
  }
  return false;
}

Method method_of(std::string_view t) {
  // Methods are case-sensitive tokens (RFC 9110 9.1): "get" is not GET.
  static constexpr std::pair<std::string_view, Method> known[] = {
      {"GET", Method::get},         {"HEAD", Method::head},       {"POST", Method::post},
      {"PUT", Method::put},         {"DELETE", Method::delete_},  {"CONNECT", Method::connect},
      {"OPTIONS", Method::options}, {"TRACE", Method::trace},
  };
  for (const auto& [name, m] : known)
    if (t == name) return m;
  return Method::other;
}

const Header* Head::find(const char* base, std::string_view name) const {
  for (uint16_t i = 0; i < count; ++i)
    if (iequals(headers[i].name.in(base), name)) return &headers[i];
  return nullptr;
}

}  // namespace portero::http
