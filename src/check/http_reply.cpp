// The verdict of an HTTP health check, read with the proxy's HTTP/1 codec (http::Parser over
// llhttp): the status and reason from the parsed head, `expect hdr|fhdr` against its indexed
// headers, `expect string|rstring` against the decoded body (a chunked reply is matched on its
// content, without the chunk framing, as HAProxy 2.6 does).
#include <array>
#include <string>

#include "logic.h"
#include "match.h"
#include "portero/http/parser.h"

namespace portero::check {

namespace {

// HAProxy's default tune.http.maxhdr: a reply with more headers is invalid.
constexpr uint16_t kMaxHeaders = 101;

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

// `http-check expect [!] hdr|fhdr name ... [value ...]`: a header whose name matches
// (case-insensitive) and, with a value pattern, one of its values (hdr: each comma-separated
// value; fhdr: the whole value) matches.
bool header_match(const config::HttpCheckExpect& e, const http::Head& head, const char* base) {
  for (uint16_t i = 0; i < head.count; ++i) {
    const http::Header& h = head.headers[i];
    if (!text_match(e.name_match, e.pattern, h.name.in(base), true)) continue;
    if (!e.has_value) return true;
    std::string_view v = h.value.in(base);
    if (e.kind == config::HttpCheckExpect::Kind::fhdr) {
      if (text_match(e.value_match, e.value, v, false)) return true;
      continue;
    }
    size_t p = 0;
    while (p <= v.size()) {
      size_t comma = v.find(',', p);
      if (comma == std::string_view::npos) comma = v.size();
      if (text_match(e.value_match, e.value, trim(v.substr(p, comma - p)), false)) return true;
      p = comma + 1;
    }
  }
  return false;
}

bool reads_body(const config::CheckSetup& setup) {
  for (const auto& e : setup.expects)
    if (e.kind == config::HttpCheckExpect::Kind::string || e.kind == config::HttpCheckExpect::Kind::rstring)
      return true;
  return false;
}

void append_body(void* ctx, const char* p, size_t n) { static_cast<std::string*>(ctx)->append(p, n); }

Verdict invalid() {
  Verdict v;
  v.status = Status::l7rsp;   // HAProxy gives no info for an empty, malformed or non-HTTP reply
  return v;
}

}  // namespace

Verdict http_verdict(const config::CheckSetup& setup, std::string_view data, bool eof) {
  Verdict v;
  // The whole reply is parsed again on each call (checks are not a hot path). The parser
  // needs its own copy: it blanks obs-fold line breaks in place.
  std::string buf(data);
  std::array<http::Header, kMaxHeaders> slots;
  http::Parser parser(http::Parser::Kind::response);
  // HAProxy's checks accept header lines ending in LF alone, any HTTP/x.y version and a
  // status below 100, which llhttp (or the proxy's parser) refuses by default.
  // Not covered: chunk-size lines ending in LF alone, which HAProxy accepts and llhttp 8
  // refuses with no leniency to turn off; such a reply is invalid here (L7RSP).
  parser.tolerate_check_replies();
  parser.begin(buf.data(), 0, slots.data(), kMaxHeaders);
  const bool with_body = reads_body(setup);
  std::string body;
  if (with_body) {
    body.reserve(buf.size());
    parser.set_body_sink(append_body, &body);
  }
  const http::FeedResult r = parser.feed(0, static_cast<uint32_t>(buf.size()));
  // An upgrade (101) is no answer to a check: HAProxy calls it invalid.
  if (r.status == http::ParseStatus::error || r.status == http::ParseStatus::upgrade) return invalid();
  if (r.status == http::ParseStatus::more) {
    if (!parser.head_done()) {
      if (eof) return invalid();
      v.need_more = true;
      return v;
    }
    if (with_body) {
      if (!eof) {
        // The content is matched once the message is complete, or on what came before the close
        // (or before the buffer filled up): HAProxy too matches a body cut short.
        v.need_more = true;
        return v;
      }
      parser.finish();
    }
  }
  const http::Head& head = parser.head();
  v.code = head.status;
  const std::string reason(head.reason.in(buf.data()));

  if (setup.disable_on_404 && v.code == 404) {
    v.status = Status::l7okc;
    return v;
  }
  if (setup.expects.empty()) {
    if (v.code >= 200 && v.code < 400) {
      v.status = Status::l7ok;
    } else {
      v.status = Status::l7sts;
      v.desc = reason;
    }
    return v;
  }
  using K = config::HttpCheckExpect::Kind;
  for (const auto& e : setup.expects) {
    const bool on_body = e.kind == K::string || e.kind == K::rstring;
    if (on_body && body.empty()) {
      // Negated or not: there is nothing to look at (HAProxy's words).
      v.status = Status::l7rsp;
      v.desc = "HTTP content check could not find a response body";
      return v;
    }
    bool match = false;
    switch (e.kind) {
      case K::status: match = status_in_list(e.pattern, v.code); break;
      case K::rstatus: match = regex_search(e.pattern, std::to_string(v.code)); break;
      case K::string: match = body.find(e.pattern) != std::string::npos; break;
      case K::rstring: match = regex_search(e.pattern, body); break;
      case K::hdr:
      case K::fhdr: match = header_match(e, head, buf.data()); break;
    }
    if (match == e.negate) {
      if (on_body) {
        v.status = Status::l7rsp;
        v.desc = "HTTP content check did not match";
      } else {
        v.status = Status::l7sts;
        v.desc = reason;
      }
      return v;
    }
  }
  v.status = Status::l7ok;
  return v;
}

}  // namespace portero::check
