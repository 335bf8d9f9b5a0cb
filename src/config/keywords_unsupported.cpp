// Global and proxy keywords HAProxy 2.6 knows that portero does not implement: their rows come
// from the table in unimplemented.cpp (a hint is accepted with a notice, a missing feature is an
// error naming it). Registered last, so a feature's own row wins once it lands. Also the
// keywords HAProxy 2.6 itself refuses or deprecates with a message of its own.
#include <vector>

#include "parse_context.h"
#include "unimplemented.h"

namespace portero::config {
namespace {

void kw_unimplemented(ParseContext& c, const Args& a) {
  const GapContext ctx = c.section == SectionKind::global ? GapContext::global : GapContext::proxy;
  if (a[0] == "expose-experimental-directives") c.experimental = true;
  // HAProxy refuses its experimental directives unless they were exposed first.
  if (a[0] == "tune.fd.edge-triggered" && !c.experimental)
    return c.alert("'" + a[0] + "' directive is experimental, must be allowed via a global "
                   "'expose-experimental-directives'");
  check_unimplemented(c, ctx, a[0]);
}

void kw_bind_process(ParseContext& c, const Args&) {
  c.warning(Form::tight, "'bind-process' has no effect, is deprecated, and will be removed in version 2.7.");
}

void kw_grace(ParseContext& c, const Args&) {
  c.alert(Form::tight, "the 'grace' keyword is not supported any more since HAProxy version 2.5.");
}

const KeywordRow kFixed[] = {
    {kInProxies, "bind-process", true, Cap::any, false, kw_bind_process},
    {kInProxies, "grace", true, Cap::any, false, kw_grace},
};

}  // namespace

void register_unsupported_keywords(Registry& r) {
  r.add(kFixed);
  static const std::vector<KeywordRow> rows = [] {
    std::vector<KeywordRow> v;
    for (const auto& u : unimplemented_table()) {
      if (u.context == GapContext::global) v.push_back({kInGlobal, u.keyword, false, Cap::any, false, kw_unimplemented});
      if (u.context == GapContext::proxy) v.push_back({kInProxies, u.keyword, true, Cap::any, false, kw_unimplemented});
    }
    return v;
  }();
  r.add(rows.data(), rows.size());
}

}  // namespace portero::config
