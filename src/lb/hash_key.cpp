#include "hash_key.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cctype>
#include <cstdlib>
#include <cstring>

#include "portero/lb/rdp_cookie.h"

namespace portero::lb {
namespace {

// The name between parentheses of `hdr(name)` / `rdp-cookie(name)`, or `fallback` when the
// algorithm was stored bare (the config loader keeps the name in a field of its own).
std::string paren_arg(const std::string& algorithm, const std::string& fallback) {
  auto open = algorithm.find('(');
  if (open == std::string::npos) return fallback;
  auto close = algorithm.find(')', open);
  if (close == std::string::npos) return algorithm.substr(open + 1);
  return algorithm.substr(open + 1, close - open - 1);
}

bool is_token(unsigned char c) {
  return std::isalnum(c) || (c && std::strchr("!#$%&'*+-.^_`|~", c));
}
bool is_lws(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Where the path starts in a request target: the target itself for origin-form; after
// "scheme://authority" for absolute-form; empty when there is no path ("*", authority-form).
std::string_view path_of(std::string_view uri) {
  if (uri.empty() || uri[0] == '*') return {};
  size_t p = 0;
  if (std::isalpha(static_cast<unsigned char>(uri[0]))) {
    ++p;
    while (p < uri.size() && (std::isalnum(static_cast<unsigned char>(uri[p])) || uri[p] == '+' ||
                              uri[p] == '-' || uri[p] == '.'))
      ++p;
    for (char want : {':', '/', '/'}) {
      if (p == uri.size() || uri[p] != want) return {};
      ++p;
    }
  }
  while (p < uri.size() && uri[p] != '/') ++p;
  if (p == uri.size()) return {};
  return uri.substr(p);
}

}  // namespace

bool parse_key_spec(const config::Balance& b, KeySpec& spec, std::string& error) {
  std::string_view algo = b.algorithm;
  algo = algo.substr(0, algo.find('('));
  const auto& args = b.args;
  if (algo == "source") {
    spec.kind = KeyKind::source;
  } else if (algo == "uri") {
    spec.kind = KeyKind::uri;
    for (size_t i = 0; i < args.size(); ++i) {
      if ((args[i] == "len" || args[i] == "depth") && i + 1 < args.size() && std::atoi(args[i + 1].c_str()) > 0) {
        uint32_t v = static_cast<uint32_t>(std::atoi(args[i + 1].c_str()));
        if (args[i] == "len") spec.len = v; else spec.stop_slash = v + 1;
        ++i;
      } else if (args[i] == "whole") {
        spec.whole = true;
      } else if (args[i] == "path-only") {
        spec.path_only = true;
      } else {
        error = "uri only accepts parameters 'len', 'depth', 'path-only', and 'whole' (got '" + args[i] + "').";
        return false;
      }
    }
    if (args.empty()) {   // the loader may have kept only the structured fields
      spec.len = b.uri_len;
      spec.stop_slash = b.uri_depth ? b.uri_depth + 1 : 0;
      spec.whole = b.uri_whole;
      spec.path_only = b.uri_path_only;
    }
  } else if (algo == "url_param") {
    spec.kind = KeyKind::url_param;
    spec.name = args.empty() ? b.param_name : args[0];
    if (spec.name.empty()) {
      error = "url_param requires an URL parameter name.";
      return false;
    }
  } else if (algo == "hdr") {
    spec.kind = KeyKind::hdr;
    spec.name = paren_arg(b.algorithm, b.header_name);
    spec.domain_only = b.use_domain_only || (!args.empty() && args[0] == "use_domain_only");
    if (spec.name.empty()) {
      error = "hdr requires an http header field name.";
      return false;
    }
  } else if (algo == "rdp-cookie") {
    spec.kind = KeyKind::rdp_cookie;
    spec.name = paren_arg(b.algorithm, b.rdp_cookie_name.empty() ? "mstshash" : b.rdp_cookie_name);
    if (spec.name.empty()) {
      error = "rdp-cookie : missing cookie name.";
      return false;
    }
  } else if (algo == "hash") {
    spec.kind = KeyKind::sample;   // the session evaluates the expression (PickContext::sample_key)
  } else {
    error = "'" + b.algorithm + "' is not a hash algorithm";
    return false;
  }
  return true;
}

std::string_view uri_key(const KeySpec& spec, std::string_view uri) {
  if (spec.path_only) uri = path_of(uri);
  size_t n = uri.size();
  if (spec.len && spec.len < n) n = spec.len;
  uint32_t slashes = 0;
  size_t end = 0;
  for (; end < n; ++end) {
    char c = uri[end];
    if (c == '/') {
      if (++slashes == spec.stop_slash) break;
    } else if (c == '?' && !spec.whole) {
      break;
    }
  }
  return uri.substr(0, end);
}

bool find_param(std::string_view params, std::string_view name, std::string_view& value) {
  // Parameters are split on '&'; a match starts with exactly "name=" (case-sensitive). The
  // value runs to the next '&' or the end: no '#' handling, no decoding.
  const size_t plen = name.size();
  while (params.size() > plen) {
    if (params[plen] == '=' && params.substr(0, plen) == name) {
      std::string_view rest = params.substr(plen + 1);
      value = rest.substr(0, rest.find('&'));
      return true;
    }
    size_t amp = params.find('&');
    if (amp == std::string_view::npos) return false;
    params.remove_prefix(amp + 1);
  }
  return false;
}

bool find_post_param(std::string_view body, std::string_view name, std::string_view& value) {
  const size_t plen = name.size();
  while (body.size() > plen) {
    if (body[plen] == '=' && body.substr(0, plen) == name) {
      std::string_view rest = body.substr(plen + 1);
      size_t end = rest.find('&');
      if (end == std::string_view::npos) end = rest.size();
      // HAProxy only vets the first byte of the value: a body whose value does not start with a
      // token character is not a form (an LWS there ends the value at once, empty).
      if (end > 0 && !is_token(static_cast<unsigned char>(rest[0]))) {
        if (!is_lws(static_cast<unsigned char>(rest[0]))) return false;
        end = 0;
      }
      value = rest.substr(0, end);
      return true;
    }
    size_t amp = body.find('&');
    if (amp == std::string_view::npos) return false;
    body.remove_prefix(amp + 1);
  }
  return false;
}

std::string_view domain_of(std::string_view host) {
  // Walks back from the end: the key is what lies between the last dot (index >= 1) and the
  // dot before it (or the start). Index 0 is never taken for a dot, nor the byte right before
  // the last dot -- HAProxy's loop bounds, kept.
  size_t n = host.size();
  size_t p = n, end = n;
  bool in_domain = false;
  for (size_t left = n; left > 0; --left, --p) {
    if (in_domain) {
      if (host[p - 1] == '.') break;
    } else if (p < n && host[p] == '.') {
      end = p;
      in_domain = true;
    }
  }
  return host.substr(p, end - p);
}

KeyStatus hash_key(const KeySpec& spec, HashFunction fn, const PickContext& ctx, uint32_t& hash) {
  const bool http = ctx.request != nullptr || !ctx.uri.empty();
  switch (spec.kind) {
    case KeyKind::source: {
      if (!ctx.source) return KeyStatus::error;
      if (ctx.source->sa_family == AF_INET) {
        hash = ntohl(reinterpret_cast<const sockaddr_in*>(ctx.source)->sin_addr.s_addr);
        return KeyStatus::found;
      }
      if (ctx.source->sa_family == AF_INET6) {
        const auto* a = reinterpret_cast<const sockaddr_in6*>(ctx.source)->sin6_addr.s6_addr;
        uint32_t h = 0;
        for (int w = 0; w < 4; ++w) {
          uint32_t word;
          std::memcpy(&word, a + 4 * w, 4);
          h ^= ntohl(word);
        }
        hash = h;
        return KeyStatus::found;
      }
      return KeyStatus::error;
    }
    case KeyKind::uri:
      if (!http) return KeyStatus::missing;
      hash = hash_with(fn, uri_key(spec, ctx.uri));
      return KeyStatus::found;
    case KeyKind::url_param: {
      if (!http) return KeyStatus::missing;
      std::string_view v;
      size_t q = ctx.uri.find('?');
      if (q != std::string_view::npos && find_param(ctx.uri.substr(q + 1), spec.name, v)) {
        hash = hash_with(fn, v);
        return KeyStatus::found;
      }
      // Every POST body is searched in 2.6, with or without check_post.
      if (ctx.request && ctx.base && ctx.request->method.in(ctx.base) == "POST" &&
          find_post_param(ctx.body, spec.name, v)) {
        hash = hash_with(fn, v);
        return KeyStatus::found;
      }
      return KeyStatus::missing;
    }
    case KeyKind::hdr: {
      if (!ctx.request || !ctx.base) return KeyStatus::missing;
      const http::Header* h = ctx.request->find(ctx.base, spec.name);
      if (!h || h->value.empty()) return KeyStatus::missing;
      std::string_view v = h->value.in(ctx.base);
      hash = hash_with(fn, spec.domain_only ? domain_of(v) : v);
      return KeyStatus::found;
    }
    case KeyKind::sample:
      if (!ctx.has_sample_key) return KeyStatus::missing;
      hash = hash_with(fn, ctx.sample_key);
      return KeyStatus::found;
    case KeyKind::rdp_cookie: {
      std::string_view v;
      if (find_rdp_cookie(ctx.payload, spec.name, v) != RdpCookie::found || v.empty())
        return KeyStatus::missing;
      hash = hash_with(fn, v);
      return KeyStatus::found;
    }
  }
  return KeyStatus::missing;
}

}  // namespace portero::lb
