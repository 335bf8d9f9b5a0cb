// `http-response`: the actions are parsed by the shared rule parser (keywords_http_request.cpp)
// with HAProxy's response-side action list.
#include "parse_context.h"

namespace portero::config {
namespace {

void kw_http_response(ParseContext& c, const Args& a) {
  if (c.section == SectionKind::defaults && !c.defaults_named)
    return c.alert("'http-response' not allowed in anonymous 'defaults' section.");
  HttpRule r;
  if (parse_http_rule(c, a, HttpRuleSide::response, r)) c.proxy->http_response_rules.push_back(std::move(r));
}

// `http-after-response`: rules run on every response, portero's own answers included.
void kw_http_after_response(ParseContext& c, const Args& a) {
  if (c.section == SectionKind::defaults && !c.defaults_named)
    return c.alert("'http-after-response' not allowed in anonymous 'defaults' section.");
  HttpRule r;
  if (parse_http_rule(c, a, HttpRuleSide::after_response, r)) c.proxy->http_after_response_rules.push_back(std::move(r));
}

const KeywordRow kRows[] = {
    {kInProxies, "http-response", true, Cap::any, false, kw_http_response},
    {kInProxies, "http-after-response", true, Cap::any, false, kw_http_after_response},
};

}  // namespace

void register_http_response_keywords(Registry& r) { r.add(kRows); }

}  // namespace portero::config
