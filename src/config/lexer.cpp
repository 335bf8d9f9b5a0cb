// One pass over the characters with a small state (inside double / single quotes). Words are
// built in `cur`; `started` distinguishes an empty quoted word ("") from no word at all.
#include "lexer.h"

#include <cstdlib>

namespace portero::config {
namespace {

bool name_first(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == '.'; }
bool name_char(char c) { return name_first(c) || (c >= '0' && c <= '9'); }
int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Lexer {
 public:
  Lexer(std::string_view line, const LexContext& ctx) : s_(line), ctx_(ctx) {}

  LexResult run() {
    size_t i = 0;
    while (i < s_.size()) {
      const char c = s_[i];
      if (!dq_ && !sq_ && (c == ' ' || c == '\t' || c == '\r' || c == '\n')) {
        end_word();
        ++i;
        continue;
      }
      if (!dq_ && !sq_ && c == '#') break;
      if (sq_) {
        if (c == '\'') sq_ = false;
        else cur_ += c;
        ++i;
        continue;
      }
      started_ = true;
      if (c == '\'' && !dq_) { sq_ = true; quote_pos_ = i; ++i; continue; }
      if (c == '"') { dq_ = !dq_; quote_pos_ = i; ++i; continue; }
      if (c == '\\') {
        if (!escape(i)) return fail(i, "truncated or invalid hexadecimal sequence");
        continue;
      }
      if (c == '$' && dq_) {
        if (!expand(i)) return result_;
        continue;
      }
      cur_ += c;
      ++i;
    }
    if (dq_ || sq_) return fail(quote_pos_, "unmatched quote");
    end_word();
    result_.words = std::move(words_);
    return result_;
  }

 private:
  void end_word() {
    if (started_) words_.push_back(std::move(cur_));
    cur_.clear();
    started_ = false;
  }

  // Handles the backslash at s_[i]; advances i. False on a bad \x sequence.
  bool escape(size_t& i) {
    if (i + 1 >= s_.size()) { cur_ += '\\'; ++i; return true; }
    const char n = s_[i + 1];
    switch (n) {
      case ' ': case '#': case '\\': case '\'': case '"': cur_ += n; i += 2; return true;
      case 'n': cur_ += '\n'; i += 2; return true;
      case 'r': cur_ += '\r'; i += 2; return true;
      case 't': cur_ += '\t'; i += 2; return true;
      case '$':
        if (dq_) { cur_ += '$'; i += 2; return true; }
        break;
      case 'x': {
        const int h = i + 2 < s_.size() ? hexval(s_[i + 2]) : -1;
        const int l = i + 3 < s_.size() ? hexval(s_[i + 3]) : -1;
        if (h < 0 || l < 0) return false;
        cur_ += char(h * 16 + l);
        i += 4;
        return true;
      }
      default: break;
    }
    // Unknown escapes are kept as written.
    cur_ += '\\';
    ++i;
    return true;
  }

  std::optional<std::string> lookup(const std::string& name) const {
    if (name == ".FILE") return ctx_.file;
    if (name == ".LINE") return std::to_string(ctx_.line);
    if (name == ".SECTION") return ctx_.section;
    if (ctx_.getenv) return ctx_.getenv(name);
    if (const char* v = std::getenv(name.c_str())) return std::string(v);
    return std::nullopt;
  }

  // Expands the `$` at s_[i] (inside double quotes); advances i.
  bool expand(size_t& i) {
    size_t p = i + 1;
    const bool braced = p < s_.size() && s_[p] == '{';
    if (braced) ++p;
    if (p >= s_.size() || !name_first(s_[p])) {
      fail(p, "forbidden first char in environment variable name");
      return false;
    }
    const size_t name_start = p;
    while (p < s_.size() && name_char(s_[p])) ++p;
    const std::string name(s_.substr(name_start, p - name_start));
    std::optional<std::string> fallback;
    bool split = false;
    if (braced) {
      if (s_.substr(p).starts_with("[*]")) { split = true; p += 3; }
      if (p < s_.size() && s_[p] == '-') {
        const size_t close = s_.find('}', p);
        if (close == std::string_view::npos) { fail(i + 1, "unmatched brace in environment variable name"); return false; }
        fallback = std::string(s_.substr(p + 1, close - p - 1));
        p = close;
      }
      if (p >= s_.size() || s_[p] != '}') { fail(i + 1, "unmatched brace in environment variable name"); return false; }
      ++p;
    }
    std::optional<std::string> value = lookup(name);
    if (!value) value = fallback.value_or("");
    if (!split) {
      cur_ += *value;
    } else {
      // ${NAME[*]}: every space-separated part becomes its own word.
      bool first = true;
      size_t k = 0;
      const std::string& v = *value;
      while (k < v.size()) {
        while (k < v.size() && (v[k] == ' ' || v[k] == '\t')) ++k;
        if (k >= v.size()) break;
        size_t e = k;
        while (e < v.size() && v[e] != ' ' && v[e] != '\t') ++e;
        if (!first) { end_word(); started_ = true; }
        cur_ += v.substr(k, e - k);
        first = false;
        k = e;
      }
    }
    i = p;
    return true;
  }

  LexResult fail(size_t pos, const std::string& why) {
    // HAProxy shows the line without its indentation and the caret under the culprit, while the
    // position counts from the real start of the line.
    size_t lead = 0;
    while (lead < s_.size() && (s_[lead] == ' ' || s_[lead] == '\t')) ++lead;
    if (lead > pos) lead = pos;
    std::string msg = why + " at position " + std::to_string(pos + 1) + ":\n  " + std::string(s_.substr(lead)) +
                      "\n  " + std::string(pos - lead, ' ') + "^";
    result_.error = msg;
    result_.words.clear();
    return result_;
  }

  std::string_view s_;
  const LexContext& ctx_;
  std::vector<std::string> words_;
  std::string cur_;
  bool started_ = false, dq_ = false, sq_ = false;
  size_t quote_pos_ = 0;
  LexResult result_;
};

}  // namespace

LexResult split_line(std::string_view line, const LexContext& ctx) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  return Lexer(line, ctx).run();
}

}  // namespace portero::config
