// Cookie persistence: `cookie` and `dynamic-cookie-key` (the server's `cookie VALUE` is a
// server option). Messages as haproxy 2.6 prints them.
#include <netinet/in.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "parse_context.h"

namespace portero::config {

// XXH64 (seed 0), the hash HAProxy derives dynamic cookies with.
uint64_t xxh64(std::string_view data) {
  constexpr uint64_t p1 = 11400714785074694791ULL, p2 = 14029467366897019727ULL, p3 = 1609587929392839161ULL,
                     p4 = 9650029242287828579ULL, p5 = 2870177450012600261ULL;
  auto rotl = [](uint64_t x, int r) { return (x << r) | (x >> (64 - r)); };
  auto round = [&](uint64_t acc, uint64_t in) { return rotl(acc + in * p2, 31) * p1; };
  auto merge = [&](uint64_t acc, uint64_t v) { return (acc ^ round(0, v)) * p1 + p4; };
  auto le64 = [](const unsigned char* b) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | b[i];
    return v;
  };
  auto le32 = [](const unsigned char* b) { return uint64_t(b[0]) | uint64_t(b[1]) << 8 | uint64_t(b[2]) << 16 | uint64_t(b[3]) << 24; };
  const auto* b = reinterpret_cast<const unsigned char*>(data.data());
  const size_t n = data.size();
  size_t i = 0;
  uint64_t h;
  if (n >= 32) {
    uint64_t v1 = p1 + p2, v2 = p2, v3 = 0, v4 = 0 - p1;
    for (; i + 32 <= n; i += 32) {
      v1 = round(v1, le64(b + i));
      v2 = round(v2, le64(b + i + 8));
      v3 = round(v3, le64(b + i + 16));
      v4 = round(v4, le64(b + i + 24));
    }
    h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
    h = merge(merge(merge(merge(h, v1), v2), v3), v4);
  } else {
    h = p5;
  }
  h += n;
  for (; i + 8 <= n; i += 8) h = rotl(h ^ round(0, le64(b + i)), 27) * p1 + p4;
  if (i + 4 <= n) {
    h = rotl(h ^ (le32(b + i) * p1), 23) * p2 + p3;
    i += 4;
  }
  for (; i < n; ++i) h = rotl(h ^ (b[i] * p5), 11) * p1;
  h ^= h >> 33;
  h *= p2;
  h ^= h >> 29;
  h *= p3;
  h ^= h >> 32;
  return h;
}

// `cookie NAME ... dynamic` + `dynamic-cookie-key KEY`: a server without its own `cookie` value
// gets 16 hex digits of XXH64(key, address bytes in network order, port as a 32-bit big-endian
// integer), as HAProxy computes it. Called whenever the cookie, the key or a server changes, so
// the order of the keywords in the section does not matter.
void refresh_dynamic_cookies(Proxy& p) {
  const bool on = p.persistence.dynamic && !p.persistence.name.empty() && !p.dynamic_cookie_key.empty();
  for (auto& s : p.servers) {
    if (!s.dynamic_cookie && !s.cookie.empty()) continue;   // an explicit value wins
    s.cookie.clear();
    s.dynamic_cookie = false;
    if (!on) continue;
    std::string buf = p.dynamic_cookie_key;
    const auto& ss = s.address.storage;
    if (ss.ss_family == AF_INET) {
      const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
      buf.append(reinterpret_cast<const char*>(&a->sin_addr), 4);
    } else if (ss.ss_family == AF_INET6) {
      const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
      buf.append(reinterpret_cast<const char*>(&a->sin6_addr), 16);
    } else {
      continue;
    }
    const uint32_t port = s.address.port_lo;
    const char be[4] = {char(port >> 24), char(port >> 16), char(port >> 8), char(port)};
    buf.append(be, 4);
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(xxh64(buf)));
    s.cookie = hex;
    s.dynamic_cookie = true;
  }
}

namespace {

// `maxidle` / `maxlife`: seconds by default, with HAProxy's time units.
bool cookie_time(ParseContext& c, const std::string& what, const std::string& v, uint32_t& out) {
  char* end = nullptr;
  unsigned long n = std::strtoul(v.c_str(), &end, 10);
  std::string unit = end ? end : "";
  unsigned long mul = 1;
  if (unit.empty() || unit == "s") mul = 1;
  else if (unit == "m") mul = 60;
  else if (unit == "h") mul = 3600;
  else if (unit == "d") mul = 86400;
  else if (unit == "ms") { out = static_cast<uint32_t>(n / 1000); return true; }
  else {
    c.alert(Form::tight, "unexpected character '" + unit.substr(0, 1) + "' in argument to <" + what + ">.");
    return false;
  }
  if (end == v.c_str()) {
    c.alert(Form::tight, "unexpected character '" + v.substr(0, 1) + "' in argument to <" + what + ">.");
    return false;
  }
  out = static_cast<uint32_t>(n * mul);
  return true;
}

void kw_cookie(ParseContext& c, const Args& a) {
  if (a.size() < 2) return c.alert("'cookie' expects <cookie_name> as argument.");
  CookiePersistence ck;
  ck.name = a[1];
  int modes = 0;
  for (size_t i = 2; i < a.size(); ++i) {
    const std::string& w = a[i];
    auto value = [&](const char* what) -> const std::string* {
      if (i + 1 >= a.size() || a[i + 1].empty()) {
        c.alert(Form::tight, "'" + w + "' expects " + what + " as argument.");
        return nullptr;
      }
      return &a[++i];
    };
    if (w == "rewrite") { ck.mode = CookiePersistence::Mode::rewrite; ++modes; }
    else if (w == "insert") { ck.mode = CookiePersistence::Mode::insert; ++modes; }
    else if (w == "prefix") { ck.mode = CookiePersistence::Mode::prefix; ++modes; }
    else if (w == "indirect") ck.indirect = true;
    else if (w == "nocache") ck.nocache = true;
    else if (w == "postonly") ck.postonly = true;
    else if (w == "preserve") ck.preserve = true;
    else if (w == "httponly") ck.httponly = true;
    else if (w == "secure") ck.secure = true;
    else if (w == "dynamic") ck.dynamic = true;
    else if (w == "domain") {
      const std::string* v = value("<domain>");
      if (!v) return;
      ck.domains.push_back(*v);
    } else if (w == "attr") {
      const std::string* v = value("<value>");
      if (!v) return;
      ck.attrs.push_back(*v);
    } else if (w == "maxidle" || w == "maxlife") {
      const std::string* v = value(w == "maxidle" ? "<idletime> in seconds" : "<lifetime> in seconds");
      if (!v) return;
      if (!cookie_time(c, w, *v, w == "maxidle" ? ck.maxidle_s : ck.maxlife_s)) return;
    } else {
      return c.alert("'cookie' supports 'rewrite', 'insert', 'prefix', 'indirect', 'nocache', 'postonly', "
                     "'domain', 'maxidle', 'dynamic', 'maxlife' and 'attr' options.");
    }
  }
  if (modes > 1) return c.alert("cookie 'rewrite', 'insert' and 'prefix' modes are incompatible.");
  if (ck.mode == CookiePersistence::Mode::rewrite && ck.indirect)
    return c.alert("cookie 'rewrite' and 'indirect' modes are incompatible.");
  if (ck.preserve && ck.mode != CookiePersistence::Mode::insert && !ck.indirect)
    return c.alert("cookie 'preserve' requires at least 'insert' or 'indirect'.");
  c.proxy->cookie = ck.name;
  c.proxy->cookie_words.assign(a.begin() + 1, a.end());
  c.proxy->persistence = std::move(ck);
  refresh_dynamic_cookies(*c.proxy);
}

void kw_dynamic_cookie_key(ParseContext& c, const Args& a) {
  if (a.size() < 2) return c.alert("'dynamic-cookie-key' expects <key> as argument.");
  c.proxy->dynamic_cookie_key = a[1];
  refresh_dynamic_cookies(*c.proxy);
}

// `force-persist if|unless COND` / `ignore-persist if|unless COND`.
void persist_rule(ParseContext& c, const Args& a, std::vector<std::vector<std::string>>& out, Origin& origin) {
  if (a.size() < 2 || (a[1] != "if" && a[1] != "unless"))
    return c.alert("'" + a[0] + "' requires either 'if' or 'unless' followed by a condition.");
  out.emplace_back(a.begin() + 1, a.end());
  origin = c.origin;
}

void kw_force_persist(ParseContext& c, const Args& a) {
  persist_rule(c, a, c.proxy->force_persist, c.proxy->force_persist_origin);
}
void kw_ignore_persist(ParseContext& c, const Args& a) {
  persist_rule(c, a, c.proxy->ignore_persist, c.proxy->ignore_persist_origin);
}

const KeywordRow kRows[] = {
    {kInProxies, "force-persist", false, Cap::backend, false, kw_force_persist},
    {kInProxies, "ignore-persist", false, Cap::backend, false, kw_ignore_persist},
    {kInProxies, "cookie", true, Cap::backend, false, kw_cookie},
    {kInProxies, "dynamic-cookie-key", true, Cap::backend, false, kw_dynamic_cookie_key},
};

}  // namespace

void register_cookie_keywords(Registry& r) {
  r.add(kRows);
}

}  // namespace portero::config
