#pragma once
// Splits one haproxy.cfg line into words: quoting, escapes and environment expansion as
// HAProxy 2.6 does them (COMPAT.md §8). Pure function of the line and the context.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portero::config {

struct LexContext {
  std::string file;
  int line = 0;
  std::string section;  // value of ${.SECTION}: the current proxy name, empty elsewhere
  // Environment lookup; nullopt = unset. Defaults to ::getenv when empty.
  std::function<std::optional<std::string>(const std::string&)> getenv;
};

struct LexResult {
  std::vector<std::string> words;
  // Set on malformed input, in HAProxy's words, including the "at position N:" caret lines.
  std::string error;
};

LexResult split_line(std::string_view line, const LexContext& ctx);

}  // namespace portero::config
