// `stats` in proxies (the stats page). `stats socket|timeout` in global live in keywords_global.
#include "parse_context.h"
#include "unimplemented.h"
#include "portero/config/units.h"

namespace portero::config {
namespace {

void kw_stats(ParseContext& c, const Args& a) {
  Proxy& p = *c.proxy;
  const std::string sub = a.size() > 1 ? a[1] : "";
  const bool has = a.size() > 2;
  if (sub == "enable") {
    p.stats_enabled = true;
  } else if (sub == "uri") {
    if (!has) return c.alert("'stats uri' needs an URI prefix.");
    p.stats_uri = a[2];
    p.stats_enabled = true;
  } else if (sub == "realm") {
    if (!has) return c.alert("'stats realm' needs an realm name.");
    p.stats_realm = a[2];
    p.stats_enabled = true;
  } else if (sub == "auth") {
    if (!has || a[2].find(':') == std::string::npos) return c.alert("'stats auth' needs a user:password account.");
    p.stats_auth.push_back(a[2]);
    p.stats_enabled = true;
  } else if (sub == "refresh") {
    auto v = has ? time_value(c, a[2]) : std::nullopt;
    if (!v) {
      if (!has) return c.alert("'stats refresh' needs a refresh interval (in seconds).");
      size_t i = 0;
      while (i < a[2].size() && std::isdigit(static_cast<unsigned char>(a[2][i]))) ++i;
      return c.alert(Form::tight, "unexpected character '" + std::string(1, i < a[2].size() ? a[2][i] : ' ') +
                                      "' in argument to stats refresh interval.");
    }
    p.stats_refresh = *v;
    p.stats_enabled = true;
  } else if (sub == "admin") {
    if (a.size() < 4 || (a[2] != "if" && a[2] != "unless"))
      return c.alert("'stats admin' requires either 'if' or 'unless' followed by a condition.");
    p.stats_admin = true;
    p.stats_admin_condition.assign(a.begin() + 2, a.end());
  } else if (sub == "hide-version") {
    p.stats_hide_version = true;
    p.stats_enabled = true;
  } else if (sub == "scope") {
    if (!has) return c.alert("'stats scope' needs a proxy name.");
    p.stats_scope.push_back(a[2]);
    p.stats_enabled = true;
  } else if (sub == "show-legends") {
    p.stats_show_legends = true;
    p.stats_enabled = true;
  } else if (sub == "show-node") {
    p.stats_show_node = has ? a[2] : std::string();
    p.stats_enabled = true;
  } else if (sub == "show-desc") {
    std::string d;
    for (size_t i = 2; i < a.size(); ++i) d += (i > 2 ? " " : "") + a[i];
    p.stats_show_desc = d;
    p.stats_enabled = true;
  } else if (check_unimplemented(c, GapContext::stats, sub) != GapResult::none) {
    p.stats_enabled = true;  // `stats http-request`, `stats show-modules`: see unimplemented.cpp
  } else {
    c.alert(Form::tight, "unknown stats parameter '" + sub + "', expects 'admin', 'uri', 'realm', 'auth', "
                         "'scope', 'enable', 'hide-version', 'show-node', 'show-desc' or 'show-legends'.");
  }
}

const KeywordRow kRows[] = {
    {kInProxies, "stats", true, Cap::any, false, kw_stats},
};

}  // namespace

void register_stats_keywords(Registry& r) { r.add(kRows); }

}  // namespace portero::config
