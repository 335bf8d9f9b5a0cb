// What a proxy logs and how (COMPAT.md §7): log-format, log-format-sd, log-tag, captures,
// unique-id-format/-header and the logging options. The strings are kept as written; the log
// module compiles them (and reports their syntax errors) when the proxies are built.
#include <algorithm>
#include <cstdlib>

#include "parse_context.h"

namespace portero::config {
namespace {

// HAProxy keeps at most 63 bytes of a captured cookie.
constexpr uint32_t kMaxCookieCapture = 63;

// `keyword <one argument>`, HAProxy's messages for none and for several.
bool one_argument(ParseContext& c, const Args& a) {
  if (a.size() < 2 || a[1].empty()) {
    c.alert(a[0] + " expects an argument.");
    return false;
  }
  if (a.size() > 2) {
    c.alert(a[0] + " expects only one argument, don't forget to escape spaces!");
    return false;
  }
  return true;
}

void kw_log_format(ParseContext& c, const Args& a) {
  if (!one_argument(c, a)) return;
  Proxy& p = *c.proxy;
  if (c.section == SectionKind::backend)
    return c.warning("backend '" + p.name + "' : '" + a[0] + "' directive is ignored in backends.");
  if (a[0] == "log-format-sd") {
    p.log_format_sd = a[1];
    p.log_format_sd_origin = c.origin;
    return;
  }
  p.log_format = a[1];
  p.log_format_origin = c.origin;
  p.httplog = p.httplog_clf = p.tcplog = false;
}

void kw_proxy_log_tag(ParseContext& c, const Args& a) {
  if (a.size() < 2) return c.alert("'log-tag' expects a tag for use in syslog.");
  c.proxy->log_tag = a[1];
}

void kw_capture(ParseContext& c, const Args& a) {
  Proxy& p = *c.proxy;
  const std::string what = a.size() > 1 ? a[1] : "";
  const bool known = what == "cookie" || what == "request" || what == "response";
  if (known && c.section == SectionKind::defaults)
    return c.alert("'capture " + what + "' not allowed in 'defaults' section.");
  if (what == "cookie") {
    if (a.size() < 5) return c.alert("'capture' expects 'cookie' <cookie_name> 'len' <len>.");
    Proxy::Capture cap{a[2], uint32_t(std::max(0L, std::atol(a[4].c_str())))};
    if (cap.len > kMaxCookieCapture) {
      c.diag.warning("truncating capture length to " + std::to_string(kMaxCookieCapture) + " bytes for " +
                     c.proxy_type() + " '" + p.name + "'.");
      cap.len = kMaxCookieCapture;
    }
    p.capture_cookie = cap;
    return;
  }
  if (what == "request" || what == "response") {
    if (a.size() < 6 || a[2] != "header" || a[4] != "len")
      return c.alert("'capture " + what + "' expects 'header' <header_name> 'len' <len>.");
    Proxy::Capture cap{a[3], uint32_t(std::max(0L, std::atol(a[5].c_str())))};
    (what == "request" ? p.capture_request_headers : p.capture_response_headers).push_back(cap);
    return;
  }
  c.alert("'capture' expects 'cookie' or 'request header' or 'response header'.");
}

// `declare capture request|response len N`: a capture slot for `http-request capture ... id`
// and `http-response capture ... id`, numbered with the `capture ... header` slots.
void kw_declare(ParseContext& c, const Args& a) {
  if (c.section == SectionKind::defaults) return c.alert("'declare' not available in default section");
  Proxy& p = *c.proxy;
  if (!p.is_frontend()) return c.alert("'declare' only available in frontend or listen section");
  if (a.size() < 2 || a[1].empty())
    return c.alert("'declare' needs a second keyword that specify the type of declaration ('capture')");
  if (a[1] != "capture") return c.alert("unknown declaration type '" + a[1] + "' (supports 'capture')");
  const bool request = a.size() > 2 && a[2] == "request";
  if (!request && !(a.size() > 2 && a[2] == "response"))
    return c.alert("'declare capture' requires a direction ('request' or 'response')");
  if (a.size() < 4 || a[3] != "len") return c.alert("'declare capture' requires a capture length ('len')");
  if (a.size() < 5 || a[4].empty())
    return c.alert("'declare capture': 'len' requires a numeric value that represents the capture length");
  char* end = nullptr;
  const long len = std::strtol(a[4].c_str(), &end, 10);
  if (*end) return c.alert("'declare capture': cannot parse the length 'len'.");
  if (len <= 0) return c.alert("length must be > 0");
  (request ? p.capture_request_headers : p.capture_response_headers)
      .push_back({"", uint32_t(std::min<long>(len, 0x7fffffff))});
}

void kw_unique_id_format(ParseContext& c, const Args& a) {
  if (!one_argument(c, a)) return;
  c.proxy->unique_id_format = a[1];
  c.proxy->unique_id_format_origin = c.origin;
}

void kw_unique_id_header(ParseContext& c, const Args& a) {
  if (a.size() < 2 || a[1].empty()) return c.alert(a[0] + " expects an argument.");
  c.proxy->unique_id_header = a[1];
}

const KeywordRow kRows[] = {
    {kInProxies, "log-format", true, Cap::any, false, kw_log_format},
    {kInProxies, "log-format-sd", true, Cap::any, false, kw_log_format},
    {kInProxies, "log-tag", true, Cap::any, false, kw_proxy_log_tag},
    // Allowed in defaults here only to give HAProxy's own message for it.
    {kInProxies, "capture", true, Cap::frontend, false, kw_capture},
    {kInProxies, "declare", true, Cap::any, false, kw_declare},
    {kInProxies, "unique-id-format", true, Cap::any, false, kw_unique_id_format},
    {kInProxies, "unique-id-header", true, Cap::any, false, kw_unique_id_header},
};

}  // namespace

bool parse_logging_option(ParseContext& c, const Args& a) {
  const std::string& o = a[1];
  Proxy& p = *c.proxy;
  if (o == "httplog" || o == "tcplog" || o == "httpslog") {
    // The last of log-format / option httplog / option tcplog wins; the option's own parsing
    // goes on in keywords_option.cpp.
    if (!c.negated) p.log_format.clear();
    return false;
  }
  bool Proxy::*flag = o == "log-separate-errors" ? &Proxy::log_separate_errors
                      : o == "logasap"           ? &Proxy::logasap
                      : o == "dontlog-normal"    ? &Proxy::dontlog_normal
                                                 : nullptr;
  if (!flag) return false;
  if (a.size() > 2) {
    c.alert("'option " + o + "' cannot handle unexpected argument '" + a[2] + "'.");
    return true;
  }
  if (c.section != SectionKind::defaults && !p.is_frontend()) {
    c.warning("'" + o + "' ignored because " + std::string(c.proxy_type()) + " '" + p.name +
              "' has no frontend capability.");
    return true;
  }
  p.*flag = !c.negated;
  return true;
}

void register_logging_keywords(Registry& r) { r.add(kRows); }

}  // namespace portero::config
