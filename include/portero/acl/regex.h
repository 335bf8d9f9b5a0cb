#pragma once
// PCRE2 regexes compiled (with JIT when available) at compile() time; matching uses one
// match-data block per thread, so evaluating allocates nothing after a thread's first match.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <memory>
#include <string>
#include <string_view>

namespace portero::acl {

class Regex {
 public:
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Null with HAProxy's message in `err` when the pattern is invalid.
  static std::shared_ptr<const Regex> compile(const std::string& pattern, bool icase, std::string& err);

  bool match(std::string_view subject) const;
  // Matches from `start`; fills ovector pairs (offsets) for up to `max_groups` groups
  // (group 0 included). Returns the number of pairs set, 0 when no match.
  int match_at(std::string_view subject, size_t start, size_t* ovec, int max_groups) const;
  const std::string& text() const { return text_; }

 private:
  Regex() = default;
  pcre2_code* code_ = nullptr;
  bool jit_ = false;
  std::string text_;
};

}  // namespace portero::acl
