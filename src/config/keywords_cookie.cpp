// Cookie persistence: `cookie` and `dynamic-cookie-key` (the server's `cookie VALUE` is a
// server option). Messages as haproxy 2.6 prints them.
#include <cstdlib>

#include "parse_context.h"

namespace portero::config {
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
}

void kw_dynamic_cookie_key(ParseContext& c, const Args& a) {
  if (a.size() < 2) return c.alert("'dynamic-cookie-key' expects <key> as argument.");
  c.proxy->dynamic_cookie_key = a[1];
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
