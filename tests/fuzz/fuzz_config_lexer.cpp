// The config lexer alone (config::split_line): every input line split into words with a fixed
// environment (${NAME}, ${NAME[*]}, ${.SECTION}, defaults), and, when it splits, its words
// quoted back into one line that must split into the same words again: what the lexer gives
// the parser can always be written in a config. Errors are checked to carry a message.
#include <cstdlib>
#include <map>
#include <string>

#include "config/lexer.h"

using namespace portero::config;

namespace {

LexContext make_context() {
  LexContext c;
  c.file = "fuzz.cfg";
  c.line = 12;
  c.section = "web";
  static const std::map<std::string, std::string> env = {
      {"HOME", "/home/fuzz"}, {"EMPTY", ""}, {"SPACES", "a b  c"}, {"QUOTE", "it's \"x\""},
      {"HASH", "#x"}, {"BS", "a\\b"}, {"TAB", "a\tb"}, {"PORT", "8080"}};
  c.getenv = [](const std::string& n) -> std::optional<std::string> {
    auto it = env.find(n);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  return c;
}

// One word in single quotes, where nothing is special but the closing quote: a quote is
// written as '\'' (close, escaped quote, reopen).
std::string quote(const std::string& w) {
  std::string out = "'";
  for (char ch : w) {
    if (ch == '\'') out += "'\\''";
    else out += ch;
  }
  return out + "'";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const LexContext ctx = make_context();
  static const LexContext bare = [] {
    LexContext c = make_context();
    c.getenv = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
    return c;
  }();
  if (size > 8192) return -1;
  std::string_view all(reinterpret_cast<const char*>(data), size);
  while (!all.empty()) {
    size_t nl = all.find('\n');
    std::string_view line = all.substr(0, nl);
    all = nl == std::string_view::npos ? std::string_view() : all.substr(nl + 1);
    LexResult r = split_line(line, ctx);
    if (!r.error.empty()) continue;
    std::string joined;
    for (const auto& w : r.words) {
      if (!joined.empty()) joined += ' ';
      joined += quote(w);
    }
    // A NUL, CR or LF inside a word cannot be written back on one line.
    if (joined.find_first_of(std::string_view("\0\r\n", 3)) != std::string::npos) continue;
    LexResult again = split_line(joined, bare);
    if (!again.error.empty() || again.words != r.words) {
      std::fprintf(stderr, "re-quoted words split differently:\n  line: %.*s\n  joined: %s\n  error: %s\n",
                   int(line.size()), line.data(), joined.c_str(), again.error.c_str());
      std::abort();
    }
  }
  return 0;
}
