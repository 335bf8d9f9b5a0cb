#include "match.h"

#include <map>
#include <memory>
#include <utility>

#include "portero/acl/regex.h"
#include "portero/http/message.h"

namespace portero::check {

// Check patterns are PCRE2 (JIT) like every regex of the configuration, compiled once per
// pattern and kept: checks run on the main thread only.
bool regex_search(const std::string& re, std::string_view text, bool nocase) {
  static std::map<std::pair<std::string, bool>, std::shared_ptr<const acl::Regex>> cache;
  auto& r = cache[{re, nocase}];
  if (!r) {
    std::string err;
    r = acl::Regex::compile(re, nocase, err);
    if (!r) return false;
  }
  return r->match(text);
}

bool text_match(config::HttpCheckExpect::Match m, std::string_view pat, std::string_view text, bool nocase) {
  using M = config::HttpCheckExpect::Match;
  auto eq = [nocase](std::string_view x, std::string_view y) { return nocase ? http::iequals(x, y) : x == y; };
  switch (m) {
    case M::str: return eq(text, pat);
    case M::beg: return text.size() >= pat.size() && eq(text.substr(0, pat.size()), pat);
    case M::end: return text.size() >= pat.size() && eq(text.substr(text.size() - pat.size()), pat);
    case M::sub:
      if (!nocase) return text.find(pat) != std::string_view::npos;
      for (size_t i = 0; i + pat.size() <= text.size(); ++i)
        if (http::iequals(text.substr(i, pat.size()), pat)) return true;
      return false;
    case M::reg: return regex_search(std::string(pat), text, nocase);
  }
  return false;
}

}  // namespace portero::check
