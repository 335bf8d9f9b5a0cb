#include "regex.h"

namespace portero::acl {
namespace {

constexpr uint32_t kPairs = 32;

pcre2_match_data* thread_match_data() {
  // One per thread for the life of the thread (released when it exits).
  struct Holder {
    pcre2_match_data* md = pcre2_match_data_create(kPairs, nullptr);
    ~Holder() { pcre2_match_data_free(md); }
  };
  thread_local Holder h;
  return h.md;
}

}  // namespace

Regex::~Regex() {
  if (code_) pcre2_code_free(code_);
}

std::shared_ptr<const Regex> Regex::compile(const std::string& pattern, bool icase, std::string& err) {
  int errcode = 0;
  PCRE2_SIZE erroff = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   icase ? PCRE2_CASELESS : 0, &errcode, &erroff, nullptr);
  if (!code) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(errcode, buf, sizeof(buf));
    err = "regex '" + pattern + "' is invalid (error=" + reinterpret_cast<const char*>(buf) +
          ", erroffset=" + std::to_string(erroff) + ")";
    return nullptr;
  }
  std::shared_ptr<Regex> r(new Regex);
  r->code_ = code;
  r->text_ = pattern;
  r->jit_ = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  return r;
}

int Regex::match_at(std::string_view s, size_t start, size_t* ovec, int max_groups) const {
  pcre2_match_data* md = thread_match_data();
  auto subject = reinterpret_cast<PCRE2_SPTR>(s.data() ? s.data() : "");
  const int rc = jit_ ? pcre2_jit_match(code_, subject, s.size(), start, 0, md, nullptr)
                      : pcre2_match(code_, subject, s.size(), start, 0, md, nullptr);
  if (rc <= 0) return 0;
  const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
  const int n = rc < max_groups ? rc : max_groups;
  for (int i = 0; i < 2 * n; ++i) ovec[i] = ov[i];
  return n;
}

bool Regex::match(std::string_view s) const {
  size_t ov[2];
  return match_at(s, 0, ov, 1) > 0;
}

}  // namespace portero::acl
