#pragma once
// Rewriting a message head for http-request / http-response rules. The head is written anew
// into a block (the same layout as a connection buffer: bytes, then header index slots) with
// one change applied, and indexed as it is written, so the next rule sees the change exactly
// as HAProxy's rules see each other's edits. Nothing is allocated: the caller owns the block.
#include <cstdint>
#include <string_view>

#include "portero/http/message.h"

namespace portero::http {

struct HeadEdit {
  enum class Kind : uint8_t {
    set_header,      // remove every `name`, then add `name: value`
    add_header,      // add `name: value` after the others
    del_header,      // remove every `name` (match: see `match`)
    replace_header,  // the whole value of every `name` becomes `value` (computed by the caller)
    set_method, set_target,
    set_status,      // responses: `status` and `value` as the reason
  } kind = Kind::add_header;
  std::string_view name;
  std::string_view value;
  uint16_t status = 0;
  // del-header -m: how `name` matches a header name (case-insensitive in every method).
  enum class Match : uint8_t { str, beg, end, sub } match = Match::str;
  // replace_header only: the header occurrences to change get their new value from this
  // callback (nullptr: all of them get `value`). Returns the new value, or the old one.
  std::string_view (*replace)(void* ctx, std::string_view old_value) = nullptr;
  void* replace_ctx = nullptr;
  // replace_header only: a header whose new value is empty is removed rather than kept empty
  // (a Cookie header left with no cookie, a Set-Cookie to delete).
  bool drop_empty = false;
  // add_header: a second header to add after the first (Set-Cookie then Cache-Control).
  std::string_view name2, value2;
};

// Writes `src` (spans relative to `src_base`) with `edit` applied into `block` (`data_cap` bytes
// of data followed by room for `max_headers` Header slots), and sets `out` to index it (spans
// relative to `block`; `out.start` = 0, `out.length` = bytes written). The framing facts of
// `src` (keep_alive, chunked, lengths, version) are carried over. False when the result does
// not fit (HAProxy answers such a failed rewrite with an error too).
bool rewrite_head(const Head& src, const char* src_base, bool request, const HeadEdit& edit,
                  char* block, uint32_t data_cap, uint16_t max_headers, Head& out);

// Copies the head of a response portero wrote itself (an error page, a redirect, a `return`, the
// stats page: "HTTP/1.x NNN reason" and "name: value" lines, CRLF-terminated) into `block` and
// indexes it as rewrite_head would, so that http-after-response rules can edit it. The body is
// not copied. False when the head is not of that form or does not fit.
bool index_local_response(std::string_view response, char* block, uint32_t data_cap, uint16_t max_headers,
                          Head& out);

// Does header name `name` match `pattern` under `m` (case-insensitive)?
bool header_name_matches(std::string_view name, std::string_view pattern, HeadEdit::Match m);

}  // namespace portero::http
