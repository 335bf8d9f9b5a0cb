// `redirect`, `monitor-uri` and `monitor fail`. Unlike http-request rules, an error here does
// not stop reading the file (HAProxy goes on with the next line).
#include "checks.h"
#include "parse_context.h"

namespace portero::config {
namespace {

bool is_cond(const std::string& w) { return w == "if" || w == "unless"; }

void kw_redirect(ParseContext& c, const Args& a) {
  HttpRule r;
  r.origin = c.origin;
  r.action = HttpRule::Action::redirect;
  r.action_name = "redirect";
  r.words.assign(a.begin() + 1, a.end());
  size_t i = 1;
  try {
    parse_redirect_args(a, i, r.redirect);
  } catch (const RedirectError& e) {
    return c.alert("error detected in " + std::string(cap_type_name(c.proxy->kind)) + " '" + c.proxy->name +
                   "' while parsing redirect rule : " + e.text);
  }
  if (i < a.size()) r.condition.assign(a.begin() + long(i), a.end());
  c.proxy->redirect_rules.push_back(std::move(r));
}

void kw_monitor_uri(ParseContext& c, const Args& a) {
  if (a.size() < 2 || a[1].empty()) return c.alert("'monitor-uri' expects an URI.");
  if (a.size() > 2) return c.alert("'monitor-uri' cannot handle unexpected argument '" + a[2] + "'.");
  c.proxy->monitor_uri = a[1];
}

void kw_monitor(ParseContext& c, const Args& a) {
  if (a.size() < 2 || a[1] != "fail") return c.alert("'monitor' only supports 'fail'.");
  if (a.size() < 3 || !is_cond(a[2]))
    return c.alert("'monitor fail' requires either 'if' or 'unless' followed by a condition.");
  c.proxy->monitor_fail.emplace_back(a.begin() + 2, a.end());
}

const KeywordRow kRows[] = {
    {kInProxies, "redirect", false, Cap::any, false, kw_redirect},
    {kInProxies, "monitor-uri", true, Cap::frontend, false, kw_monitor_uri},
    {kInProxies, "monitor", false, Cap::frontend, false, kw_monitor},
};

}  // namespace

void register_redirect_keywords(Registry& r) { r.add(kRows); }

}  // namespace portero::config
