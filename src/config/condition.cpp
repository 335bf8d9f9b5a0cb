// Recursive descent over the condition text; errors carry the 1-based position HAProxy shows.
#include "condition.h"

#include <cctype>
#include <cstdlib>
#include <set>
#include <vector>

namespace portero::config {
namespace {

// Build features portero has, answered by feature(NAME) like HAProxy's "+NAME" list.
const std::set<std::string>& features() {
  static const std::set<std::string> f{"OPENSSL", "THREAD", "LINUX_SPLICE", "TPROXY", "GETADDRINFO",
                                       "EPOLL", "POLL", "ACCEPT4", "CLOSEFROM", "PRCTL"};
  return f;
}

struct Failure {
  size_t pos;
  std::string what;
};

class Parser {
 public:
  Parser(const std::string& t, const std::function<bool(const std::string&)>& d) : t_(t), defined_(d) {}

  bool whole() {
    skip();
    if (p_ >= t_.size()) return false;  // empty condition is false
    bool v = expr();
    skip();
    if (p_ < t_.size())
      throw Failure{p_, "unexpected character '" + std::string(1, t_[p_]) +
                            "' at the end of conditional expression '" + t_ + "'"};
    return v;
  }

 private:
  void skip() { while (p_ < t_.size() && (t_[p_] == ' ' || t_[p_] == '\t')) ++p_; }
  bool eat(const char* s) {
    skip();
    if (t_.compare(p_, std::char_traits<char>::length(s), s) == 0) { p_ += std::char_traits<char>::length(s); return true; }
    return false;
  }

  bool expr() {
    bool v = and_expr();
    while (true) {
      skip();
      const size_t op = p_;
      if (!eat("||")) break;
      last_op_ = op;
      v = and_expr() || v;
    }
    return v;
  }
  bool and_expr() {
    bool v = term();
    while (true) {
      skip();
      const size_t op = p_;
      if (!eat("&&")) break;
      last_op_ = op;
      v = term() && v;
    }
    return v;
  }
  bool term() {
    skip();
    const size_t start = p_;
    if (eat("!")) return !term();
    if (eat("(")) {
      bool v = expr();
      if (!eat(")"))
        throw Failure{start, "expected ')' after conditional expression '" + t_.substr(start) + "'"};
      return v;
    }
    std::string word;
    while (p_ < t_.size() && (std::isalnum(static_cast<unsigned char>(t_[p_])) || t_[p_] == '_' || t_[p_] == '-' || t_[p_] == '.'))
      word += t_[p_++];
    if (word.empty()) {
      // Nothing after an operator: HAProxy points at the dangling operator.
      const size_t at = start >= t_.size() && last_op_ != std::string::npos ? last_op_ : start;
      throw Failure{at, "unparsable conditional expression '" + t_.substr(at) + "'"};
    }
    if (std::isdigit(static_cast<unsigned char>(word[0])) || word[0] == '-') {
      char* end = nullptr;
      long v = std::strtol(word.c_str(), &end, 10);
      if (*end) throw Failure{start, "unparsable conditional expression '" + t_.substr(start) + "'"};
      return v != 0;
    }
    if (p_ >= t_.size() || t_[p_] != '(')
      throw Failure{start, "unparsable conditional expression '" + t_.substr(start) + "'"};
    ++p_;
    std::vector<std::string> args(1);
    while (p_ < t_.size() && t_[p_] != ')') {
      if (t_[p_] == ',') args.emplace_back();
      else args.back() += t_[p_];
      ++p_;
    }
    if (p_ >= t_.size()) throw Failure{start, "unparsable conditional expression '" + t_.substr(start) + "'"};
    ++p_;
    auto need = [&](size_t n) {
      if (args.size() != n)
        throw Failure{start, "unparsable conditional expression '" + t_.substr(start) + "'"};
    };
    if (word == "defined") { need(1); return defined_(args[0]); }
    if (word == "feature") { need(1); return features().count(args[0]) > 0; }
    if (word == "streq") { need(2); return args[0] == args[1]; }
    if (word == "strneq") { need(2); return args[0] != args[1]; }
    if (word == "version_atleast") { need(1); return compare_versions(kCompatVersion, args[0]) >= 0; }
    if (word == "version_before") { need(1); return compare_versions(kCompatVersion, args[0]) < 0; }
    throw Failure{start, "unparsable conditional expression '" + t_.substr(start) + "'"};
  }

  const std::string& t_;
  const std::function<bool(const std::string&)>& defined_;
  size_t p_ = 0;
  size_t last_op_ = std::string::npos;
};

}  // namespace

int compare_versions(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    long x = 0, y = 0;
    while (i < a.size() && std::isdigit(static_cast<unsigned char>(a[i]))) x = x * 10 + (a[i++] - '0');
    while (j < b.size() && std::isdigit(static_cast<unsigned char>(b[j]))) y = y * 10 + (b[j++] - '0');
    if (x != y) return x < y ? -1 : 1;
    // Anything that is not a digit separates components ('.', '-', "dev" ...).
    while (i < a.size() && !std::isdigit(static_cast<unsigned char>(a[i]))) ++i;
    while (j < b.size() && !std::isdigit(static_cast<unsigned char>(b[j]))) ++j;
  }
  return 0;
}

ConditionResult eval_condition(const std::string& text, const std::string& directive,
                               const std::function<bool(const std::string&)>& is_defined) {
  try {
    Parser p(text, is_defined);
    return ConditionResult{p.whole(), {}};
  } catch (const Failure& f) {
    const std::string shown = directive + " ";
    return ConditionResult{false, f.what + " in '" + directive + "' at position " +
                                      std::to_string(f.pos + 1) + ":\n  " + shown + text + "\n  " +
                                      std::string(shown.size() + f.pos, ' ') + "^"};
  }
}

}  // namespace portero::config
