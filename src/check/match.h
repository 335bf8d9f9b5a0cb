#pragma once
// Pattern matching shared by the HTTP checks' expects and tcp-check's: PCRE2 searches
// (compiled once per pattern) and the `-m str|beg|end|sub|reg` matches of `expect hdr|fhdr`.
#include <string>
#include <string_view>

#include "portero/config/config.h"

namespace portero::check {

// Is there a match of the PCRE2 pattern `re` in `text`? An invalid pattern never matches.
bool regex_search(const std::string& re, std::string_view text, bool nocase = false);
// `text` against `pat` with the `-m` method `m`.
bool text_match(config::HttpCheckExpect::Match m, std::string_view pat, std::string_view text, bool nocase);

}  // namespace portero::check
