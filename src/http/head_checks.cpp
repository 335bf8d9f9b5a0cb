#include "portero/http/head_checks.h"

#include "portero/http/message.h"

namespace portero::http {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The scheme of an absolute-form target ("http" in "http://a/"), or an empty view.
std::string_view scheme_of(std::string_view target) {
  size_t i = target.find("://");
  if (i == std::string_view::npos || i == 0) return {};
  for (size_t k = 0; k < i; ++k) {
    char c = target[k];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (k > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
    if (!ok) return {};
  }
  return target.substr(0, i);
}

// `host` without the scheme's default port.
std::string_view without_default_port(std::string_view host, std::string_view scheme) {
  auto strip = [&](std::string_view port) {
    if (host.size() > port.size() && host.substr(host.size() - port.size()) == port)
      host.remove_suffix(port.size());
  };
  if (iequals(scheme, "http")) strip(":80");
  else if (iequals(scheme, "https")) strip(":443");
  return host;
}

}  // namespace

void add_te_codings(TeCodings& te, std::string_view value) {
  size_t pos = 0;
  for (;;) {
    size_t comma = value.find(',', pos);
    std::string_view word = trim(value.substr(pos, comma == std::string_view::npos ? value.npos : comma - pos));
    bool last = comma == std::string_view::npos;
    // "chunked," is accepted as "chunked": only the element after a final comma is dropped.
    if (!(last && word.empty() && pos > 0)) {
      if (iequals(word, "chunked")) {
        if (te.chunked) te.bad = true;
        te.chunked = true;
      } else if (te.chunked) {
        te.bad = true;
      } else {
        te.other = true;
      }
    }
    if (last) break;
    pos = comma + 1;
  }
}

int te_request_verdict(const TeCodings& te) {
  if (te.bad || !te.chunked) return 400;
  return te.other ? 422 : 0;
}

bool target_bytes_ok(std::string_view target) {
  for (char ch : target) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == '#' || c >= 0xa4) return false;
  }
  return true;
}

std::string_view absolute_authority(std::string_view target) {
  std::string_view scheme = scheme_of(target);
  if (scheme.empty()) return {};
  std::string_view rest = target.substr(scheme.size() + 3);
  std::string_view auth = rest.substr(0, rest.find('/'));
  size_t at = auth.rfind('@');
  if (at != std::string_view::npos) auth.remove_prefix(at + 1);
  return auth;
}

bool authority_matches_host(std::string_view target, std::string_view host) {
  std::string_view scheme = scheme_of(target);
  std::string_view auth = absolute_authority(target);
  return iequals(without_default_port(auth, scheme), without_default_port(host, scheme));
}

namespace {

// What a CONNECT target designates: the authority up to the first '/', without its userinfo
// (haproxy 2.6.12 reads "a:80/" as "a:80" and "x@a:80" as "a:80").
std::string_view connect_authority(std::string_view target) {
  if (!scheme_of(target).empty()) return absolute_authority(target);
  std::string_view auth = target.substr(0, target.find('/'));
  size_t at = auth.rfind('@');
  if (at != std::string_view::npos) auth.remove_prefix(at + 1);
  return auth;
}

}  // namespace

bool connect_target_ok(std::string_view target) {
  std::string_view auth = connect_authority(target);
  size_t colon = auth.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == auth.size()) return false;
  for (char c : auth.substr(colon + 1))
    if (c < '0' || c > '9') return false;
  return true;
}

bool connect_matches_host(std::string_view target, std::string_view host) {
  std::string_view auth = connect_authority(target);
  if (iequals(auth, host)) return true;
  // Only the target's side loses a default port: "a:443" goes with "Host: a", "a" never comes
  // with "Host: a:80" here since a CONNECT target always has a port.
  for (std::string_view port : {std::string_view(":80"), std::string_view(":443")})
    if (auth.size() > port.size() && auth.substr(auth.size() - port.size()) == port &&
        iequals(auth.substr(0, auth.size() - port.size()), host))
      return true;
  return false;
}

}  // namespace portero::http
