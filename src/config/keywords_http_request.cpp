// `http-request`: `return` and `deny` are parsed fully; other actions HAProxy knows are kept as
// words (Action::other) for the ACL/rules work and warned about. Errors stop parsing, as in
// HAProxy (its rule parser aborts the file).
#include <fstream>
#include <set>
#include <sstream>

#include "parse_context.h"

namespace portero::config {
namespace {

// HAProxy 2.6's action names, in the order its error message lists them.
constexpr const char* kActions =
    "'wait-for-handshake', 'ot-group', 'set-log-level', 'set-nice', 'use-service', 'sc-inc-gpc(*)', "
    "'sc-inc-gpc0(*)', 'sc-inc-gpc1(*)', 'sc-set-gpt(*)', 'sc-set-gpt0(*)', 'send-spoe-group', "
    "'do-resolve(*)', 'cache-use', 'add-acl(*)', 'add-header', 'allow', 'auth', 'capture', "
    "'del-acl(*)', 'del-header', 'del-map(*)', 'deny', 'disable-l7-retry', 'early-hint', "
    "'normalize-uri', 'redirect', 'reject', 'replace-header', 'replace-path', 'replace-pathq', "
    "'replace-uri', 'replace-value', 'return', 'set-header', 'set-map(*)', 'set-method', 'set-path', "
    "'set-pathq', 'set-query', 'set-uri', 'strict-mode', 'tarpit', 'track-sc(*)', 'set-timeout', "
    "'wait-for-body', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)', 'set-dst', 'set-dst-port', "
    "'set-mark', 'set-src', 'set-src-port', 'set-tos', 'silent-drop', 'set-priority-class', "
    "'set-priority-offset'";

bool known_action(const std::string& a) {
  static const std::set<std::string> plain{
      "wait-for-handshake", "ot-group", "set-log-level", "set-nice", "use-service", "send-spoe-group",
      "cache-use", "add-header", "allow", "auth", "capture", "del-header", "deny", "disable-l7-retry",
      "early-hint", "normalize-uri", "redirect", "reject", "replace-header", "replace-path",
      "replace-pathq", "replace-uri", "replace-value", "return", "set-header", "set-method",
      "set-path", "set-pathq", "set-query", "set-uri", "strict-mode", "tarpit", "set-timeout",
      "wait-for-body", "set-dst", "set-dst-port", "set-mark", "set-src", "set-src-port", "set-tos",
      "silent-drop", "set-priority-class", "set-priority-offset"};
  static const char* const prefixed[] = {"sc-inc-gpc", "sc-set-gpt", "do-resolve(", "add-acl(",
                                         "del-acl(", "del-map(", "set-map(", "track-sc", "set-var-fmt(",
                                         "set-var(", "unset-var("};
  if (plain.count(a)) return true;
  for (const char* p : prefixed)
    if (a.starts_with(p)) return true;
  return false;
}

struct RuleError {
  std::string text;
  Form form = Form::parsing;
};

uint16_t status_of(const std::string& v) {
  const long n = std::strtol(v.c_str(), nullptr, 10);
  return uint16_t(n < 0 || n > 65535 ? 0 : n);
}

// Parses the arguments of return/deny from a[i]; stops at if/unless.
void parse_return_args(ParseContext& c, const Args& a, size_t& i, HttpRequestRule& r) {
  const std::string head = "error detected in " + std::string(c.proxy_type()) + " '" + c.proxy->name +
                           "' while parsing 'http-request " + r.action_name + "' rule : ";
  const bool deny = r.action == HttpRequestRule::Action::deny;
  r.ret.status = deny ? 403 : 200;
  for (; i < a.size() && a[i] != "if" && a[i] != "unless"; ++i) {
    const std::string& w = a[i];
    const bool has_value = i + 1 < a.size();
    if ((w == "status" && !deny) || (w == "deny_status" && deny)) {
      if (!has_value) throw RuleError{head + "missing status code."};
      const uint16_t st = status_of(a[++i]);
      if (st < 200 || st > 599) throw RuleError{head + "Unexpected status code '" + std::to_string(st) + "'."};
      r.ret.status = st;
    } else if (w == "content-type") {
      if (!has_value) throw RuleError{head + "missing content-type."};
      r.ret.content_type = a[++i];
    } else if (w == "string" || w == "lf-string") {
      if (!has_value) throw RuleError{head + "missing string."};
      r.ret.body = a[++i];
      r.ret.has_body = true;
    } else if (w == "file" || w == "lf-file" || w == "errorfile") {
      if (!has_value) throw RuleError{head + "missing file."};
      std::ifstream in(a[++i], std::ios::binary);
      if (!in) throw RuleError{head + "error opening file '" + a[i] + "'."};
      std::ostringstream ss;
      ss << in.rdbuf();
      r.ret.body = ss.str();
      r.ret.has_body = true;
    } else if (w == "hdr") {
      if (i + 2 >= a.size()) throw RuleError{head + "'hdr' expects <name> and <value> arguments."};
      i += 2;  // kept in `words`
    } else if (w == "default-errorfiles" || w == "errorfiles") {
      if (w == "errorfiles") ++i;
    } else {
      throw RuleError{"'http-request " + r.action_name + "' expects either 'if' or 'unless' followed by a "
                      "condition but found '" + w + "'.", Form::tight};
    }
  }
  if (r.ret.has_body && !r.ret.body.empty() && r.ret.content_type.empty())
    throw RuleError{head + "a content type must be defined when non-empty payload is configured."};
}

void kw_http_request(ParseContext& c, const Args& a) {
  if (c.section == SectionKind::defaults && !c.defaults_named)
    return c.alert("'http-request' not allowed in anonymous 'defaults' section.");
  const std::string action = a.size() > 1 ? a[1] : "";
  if (!known_action(action)) {
    c.alert(Form::tight, std::string("'http-request' expects ") + kActions + ", but got '" + action + "'" +
                             (action.empty() ? " (missing argument)." : "."));
    c.abort = true;
    return;
  }
  HttpRequestRule r;
  r.origin = c.origin;
  r.action_name = action;
  r.words.assign(a.begin() + 2, a.end());
  size_t i = 2;
  try {
    if (action == "return" || action == "deny") {
      r.action = action == "return" ? HttpRequestRule::Action::return_ : HttpRequestRule::Action::deny;
      parse_return_args(c, a, i, r);
    } else {
      r.action = action == "allow" ? HttpRequestRule::Action::allow : HttpRequestRule::Action::other;
      while (i < a.size() && a[i] != "if" && a[i] != "unless") ++i;
    }
    if (i < a.size()) {
      if (i + 1 >= a.size()) {
        // HAProxy only warns about an empty condition.
        c.warning("'http-request " + action + "' : no condition after '" + a[i] + "', the rule always applies.");
      } else {
        r.condition.assign(a.begin() + long(i), a.end());
      }
    }
  } catch (const RuleError& e) {
    c.alert(e.form, e.text);
    c.abort = true;
    return;
  }
  if (r.action == HttpRequestRule::Action::other)
    c.warning("keyword 'http-request " + action + "' in '" + std::string(c.proxy_type()) +
              "' section is not supported yet by portero and is ignored.");
  c.proxy->http_request_rules.push_back(std::move(r));
}

const KeywordRow kRows[] = {
    {kInProxies, "http-request", true, Cap::any, false, kw_http_request},
};

}  // namespace

void register_http_request_keywords(Registry& r) { r.add(kRows); }

}  // namespace portero::config
