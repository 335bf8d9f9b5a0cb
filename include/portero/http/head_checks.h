#pragma once
// The checks HAProxy 2.6 applies to a message head beyond the HTTP/1 grammar llhttp enforces:
// Transfer-Encoding coding lists, request-target bytes, absolute-form authority against Host,
// CONNECT targets. Pure functions over string views; the parser calls them as headers arrive
// and once the head is complete. Measured against haproxy 2.6.12 by
// tests/integration/test_http_corpus.py.
#include <cstdint>
#include <string_view>

namespace portero::http {

// State over every Transfer-Encoding header of one message (the lists concatenate).
struct TeCodings {
  bool chunked = false;   // "chunked" was seen
  bool other = false;     // a coding other than chunked came before it
  bool bad = false;       // chunked twice, or a coding after chunked
};
// Adds one Transfer-Encoding value: comma-separated codings, optional whitespace around them;
// one empty element at the very end ("chunked,") is ignored, any other empty element counts
// as an unknown coding.
void add_te_codings(TeCodings& te, std::string_view value);
// The status a request with these codings gets: 0 (acceptable: chunked, last, once), 400
// (chunked missing, repeated or not last), 422 (other codings before chunked).
int te_request_verdict(const TeCodings& te);
// Responses accept only a lone "chunked" (HAProxy answers 502 to anything else).
inline bool te_response_ok(const TeCodings& te) { return te.chunked && !te.other && !te.bad; }

// Bytes HAProxy refuses in a request-target: controls, '#' (fragments), and 0xA4..0xFF.
bool target_bytes_ok(std::string_view target);
// The authority of an absolute-form target ("scheme://[userinfo@]authority/..."), without the
// userinfo; empty view (data() == nullptr) when the target is not absolute-form.
std::string_view absolute_authority(std::string_view target);
// Whether an absolute-form target's authority designates the Host header's value: case-insensitive,
// the scheme's default port (http 80, https 443) being the same as no port.
bool authority_matches_host(std::string_view target, std::string_view host);
// A CONNECT target must be an authority with a numeric port ("host:port", or absolute-form);
// what follows a '/' is not part of it. The host part may be empty, as haproxy 2.6.12 allows.
bool connect_target_ok(std::string_view target);
// Whether a CONNECT target's authority designates the Host header's value: case-insensitive,
// the target's port 80 or 443 being the same as none (haproxy 2.6.12 observed, see the tests).
bool connect_matches_host(std::string_view target, std::string_view host);

}  // namespace portero::http
