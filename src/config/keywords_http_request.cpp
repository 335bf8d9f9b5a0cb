// `http-request`, and the action parsers it shares with `http-response` and `redirect`.
// Every action is checked as HAProxy 2.6 checks it, with its messages; log-format values are
// kept as written (the ACL module compiles `%[...]`), payload files are read now. An error in
// a rule stops reading the file, as HAProxy's rule parser does.
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "checks.h"
#include <algorithm>

#include "parse_context.h"
#include "unimplemented.h"
#include "portero/config/fetch_source.h"
#include "portero/config/units.h"

namespace portero::config {
namespace {

using A = HttpRule::Action;

// The action names of HAProxy 2.6, in the order its "expects ..." message lists them; "(*)"
// marks names matched as a prefix (`set-var(txn.x)`).
const std::vector<std::string_view> kRequestActions = {
    "wait-for-handshake", "ot-group", "set-log-level", "set-nice", "use-service", "sc-inc-gpc(*)",
    "sc-inc-gpc0(*)", "sc-inc-gpc1(*)", "sc-set-gpt(*)", "sc-set-gpt0(*)", "send-spoe-group",
    "do-resolve(*)", "cache-use", "add-acl(*)", "add-header", "allow", "auth", "capture", "del-acl(*)",
    "del-header", "del-map(*)", "deny", "disable-l7-retry", "early-hint", "normalize-uri", "redirect",
    "reject", "replace-header", "replace-path", "replace-pathq", "replace-uri", "replace-value",
    "return", "set-header", "set-map(*)", "set-method", "set-path", "set-pathq", "set-query",
    "set-uri", "strict-mode", "tarpit", "track-sc(*)", "set-timeout", "wait-for-body",
    "set-var-fmt(*)", "set-var(*)", "unset-var(*)", "set-dst", "set-dst-port", "set-mark", "set-src",
    "set-src-port", "set-tos", "silent-drop", "set-priority-class", "set-priority-offset"};

const std::vector<std::string_view> kResponseActions = {
    "ot-group", "set-log-level", "set-nice", "sc-inc-gpc(*)", "sc-inc-gpc0(*)", "sc-inc-gpc1(*)",
    "sc-set-gpt(*)", "sc-set-gpt0(*)", "send-spoe-group", "cache-store", "add-acl(*)", "add-header",
    "allow", "capture", "del-acl(*)", "del-header", "del-map(*)", "deny", "redirect",
    "replace-header", "replace-value", "return", "set-header", "set-map(*)", "set-status",
    "strict-mode", "track-sc(*)", "wait-for-body", "set-var-fmt(*)", "set-var(*)", "unset-var(*)",
    "set-mark", "set-tos", "silent-drop"};

// http-after-response (HAProxy 2.6.12's list and order).
const std::vector<std::string_view> kAfterResponseActions = {
    "ot-group", "add-header", "allow", "capture", "del-header", "replace-header", "replace-value",
    "set-header", "set-status", "strict-mode", "set-var-fmt(*)", "set-var(*)", "unset-var(*)"};

bool is_prefix(std::string_view kw) { return kw.ends_with("(*)"); }
std::string_view bare(std::string_view kw) { return is_prefix(kw) ? kw.substr(0, kw.size() - 3) : kw; }

// The action keyword `word` falls under (first in list order), or empty.
std::string_view lookup(const std::vector<std::string_view>& list, const std::string& word) {
  for (auto kw : list)
    if (is_prefix(kw) ? word.starts_with(bare(kw)) : word == kw) return bare(kw);
  return {};
}

// HAProxy suggests a keyword by comparing counts of letter pairs (letters folded, digits as one
// class, anything else sharing the class of the start and end markers); the nearest wins when its
// distance is within twice the length of both words (three times for prefix keywords).
std::vector<uint8_t> pair_counts(std::string_view w) {
  auto cls = [](unsigned char ch) {
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 1;
    if (ch >= 'A' && ch <= 'Z') return ch - 'A' + 1;
    if (ch >= '0' && ch <= '9') return 27;
    return 28;
  };
  std::vector<uint8_t> fp(32 * 32, 0);
  int prev = 28;
  for (unsigned char ch : w) {
    const int cur = cls(ch);
    ++fp[32 * prev + cur];
    prev = cur;
  }
  ++fp[32 * prev + 28];
  return fp;
}

std::string suggest(const std::vector<std::string_view>& list, const std::string& word) {
  const auto fw = pair_counts(word);
  size_t best = SIZE_MAX;
  std::string_view best_kw;
  for (auto kw : list) {
    const auto fk = pair_counts(bare(kw));
    size_t d = 0;
    for (size_t i = 0; i < fw.size(); ++i) d += size_t(std::abs(int(fw[i]) - int(fk[i])));
    if (d < best) best = d, best_kw = kw;
  }
  if (best_kw.empty()) return {};
  const size_t factor = is_prefix(best_kw) ? 3 : 2;
  if (best > factor * word.size() || best > factor * bare(best_kw).size()) return {};
  return std::string(bare(best_kw));
}

std::string expects_message(const char* kw, const std::vector<std::string_view>& list, const std::string& got) {
  std::string m = std::string("'") + kw + "' expects ";
  for (auto k : list) m += "'" + std::string(k) + "', ";
  m += "but got '" + got + "'" + (got.empty() ? " (missing argument)." : ".");
  if (auto s = suggest(list, got); !s.empty()) m += " Did you mean '" + s + "' maybe ?";
  return m;
}

// A word HAProxy considers present: missing and empty arguments are the same to it.
bool has(const Args& a, size_t i) { return i < a.size() && !a[i].empty(); }
bool is_cond(const Args& a, size_t i) { return i < a.size() && (a[i] == "if" || a[i] == "unless"); }

bool ieq(std::string_view x, std::string_view y) {
  return x.size() == y.size() && strncasecmp(x.data(), y.data(), x.size()) == 0;
}

// What a rule parser reports: the text after "error detected ... rule : ", or a whole message
// in another form.
struct RuleError {
  std::string text;
  bool whole = false;
  Form form = Form::parsing;
};

[[noreturn]] void fail(std::string text) { throw RuleError{std::move(text)}; }

std::string read_file(const std::string& path, bool& ok) {
  std::ifstream in(path, std::ios::binary);
  ok = bool(in);
  if (!ok) return {};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// atol(): leading digits, anything after ignored.
long leading_number(const std::string& s) { return std::strtol(s.c_str(), nullptr, 10); }

// `return`, `deny`, `tarpit`: [status N] [content-type T] [payload] [hdr N V]...; stops at the
// first word it does not know (the caller checks it is a condition).
void parse_reply(ParseContext& c, const Args& a, size_t& i, HttpRule& r, int default_status = -1) {
  HttpReturn& ret = r.ret;
  ret.status = default_status >= 0 ? uint16_t(default_status) : r.action == A::return_ ? 200 : r.action == A::deny ? 403 : 500;
  // deny and tarpit also know HAProxy 1.x's `deny_status`, as their first argument only.
  const bool old_status = r.action != A::return_ && i < a.size() && a[i] == "deny_status";
  std::string payload;  // the payload argument already seen
  bool hdr_seen = false;
  for (; i < a.size(); ++i) {
    const std::string w = (old_status && i == 2) ? std::string("status") : a[i];
    const bool value = has(a, i + 1);
    if (w == "status") {
      if (!value) fail("'status' expects <status_code> as argument.");
      const long st = leading_number(a[++i]);
      if (st < 200 || st > 599) fail("Unexpected status code '" + std::to_string(st) + "'.");
      ret.status = uint16_t(st);
    } else if (w == "content-type") {
      if (!value) fail("'content-type' expects <ctype> as argument.");
      ret.content_type = a[++i];
    } else if (w == "default-errorfiles" || w == "errorfile" || w == "errorfiles" || w == "string" ||
               w == "lf-string" || w == "file" || w == "lf-file") {
      if (!payload.empty()) fail("unexpected '" + w + "' argument, '" + payload + "' already defined.");
      payload = w;
      if (w == "default-errorfiles") {
        ret.default_errorfiles = true;
        continue;
      }
      if (!value) {
        const char* what = w == "errorfiles" ? "<name>" : (w == "string" ? "<str>" : (w == "file" || w == "lf-file") ? "<file>" : "<fmt>");
        fail("'" + w + "' expects " + what + " as argument.");
      }
      const std::string& v = a[++i];
      if (w == "errorfiles") {
        ret.errorfiles = v;
      } else if (w == "string" || w == "lf-string") {
        ret.body = v;
        ret.has_body = true;
        ret.lf = w == "lf-string";
      } else {
        bool ok = false;
        ret.body = read_file(v, ok);
        // HAProxy's errorfile message has its doubled full stop.
        if (!ok) fail("error opening file '" + v + (w == "errorfile" ? "'.." : "'."));
        if (w == "errorfile") {
          if (!ret.body.starts_with("HTTP/")) fail("'" + v + "': unable to parse headers (error offset: 0).");
          ret.errorfile = true;
        } else {
          ret.has_body = true;
          ret.lf = w == "lf-file";
        }
      }
    } else if (w == "hdr") {
      if (!value || !has(a, i + 2)) fail("'hdr' expects <name> and <value> as arguments.");
      const std::string& n = a[i + 1];
      if (ieq(n, "content-length") || ieq(n, "transfer-encoding") || ieq(n, "content-type"))
        c.warning("header '" + n + "' always ignored by the http reply.");
      else
        r.return_headers.emplace_back(n, a[i + 2]);
      hdr_seen = true;
      i += 2;
    } else {
      break;
    }
  }
  // `deny_status` alone stands for `status N default-errorfiles`: N needs a built-in page.
  if (ret.default_errorfiles || (old_status && payload.empty())) {
    static const uint16_t kBuiltin[] = {200, 400, 401, 403, 404, 405, 407, 408, 410, 413,
                                        421, 422, 425, 429, 500, 501, 502, 503, 504};
    if (std::find(std::begin(kBuiltin), std::end(kBuiltin), ret.status) == std::end(kBuiltin))
      fail("status code '" + std::to_string(ret.status) + "' not handled by default with 'default-errorfiles' argument..");
  }
  if (ret.errorfile || ret.default_errorfiles || !ret.errorfiles.empty()) {
    if (!ret.content_type.empty())
      c.warning("content-type '" + ret.content_type + "' ignored by the http reply when used with an erorrfile.");
    if (hdr_seen) c.warning("hdr parameters ignored by the http reply when used with an erorrfile.");
    ret.content_type.clear();
    r.return_headers.clear();
  } else if (!ret.has_body) {
    if (!ret.content_type.empty())
      c.warning("content-type '" + ret.content_type +
                "' ignored by the http reply because neither errorfile nor payload defined.");
    ret.content_type.clear();
  } else if (!ret.body.empty()) {
    if (ret.status == 204 || ret.status == 304)
      fail("No body expected for " + std::to_string(ret.status) + " responses.");
    if (ret.content_type.empty()) fail("a content type must be defined when non-empty payload is configured.");
  }
}

void parse_auth(const Args& a, size_t& i, HttpRule& r) {
  if (i < a.size() && a[i] == "realm") {
    if (!has(a, i + 1)) fail("missing realm value.\n.");
    r.name = a[i + 1];
    i += 2;
  }
}

// set-header / add-header NAME FMT, replace-header / replace-value NAME REGEX FMT.
void parse_header_rewrite(const Args& a, size_t& i, HttpRule& r, bool replace) {
  const size_t n = replace ? 3 : 2;
  for (size_t k = 0; k < n; ++k)
    if (!has(a, i + k)) fail(replace ? "expects exactly 3 arguments." : "expects exactly 2 arguments.");
  r.name = a[i];
  if (replace) {
    r.regex = a[i + 1];
    r.fmt = a[i + 2];
  } else {
    r.fmt = a[i + 1];
  }
  i += n;
}

// replace-path|pathq|uri <regex> <format>
void parse_target_rewrite(const Args& a, size_t& i, HttpRule& r) {
  if (!has(a, i) || !has(a, i + 1) || (has(a, i + 2) && !is_cond(a, i + 2)))
    fail("expects exactly 2 arguments <match-regex> and <replace-format>.");
  r.regex = a[i];
  r.fmt = a[i + 1];
  i += 2;
}

void parse_del_header(const Args& a, size_t& i, HttpRule& r) {
  if (!has(a, i)) fail("expects at least 1 argument.");
  r.name = a[i++];
  if (i < a.size() && a[i] == "-m") {
    if (!has(a, i + 1)) fail("-m flag expects exactly 1 argument.");
    const std::string& m = a[i + 1];
    if (m != "str" && m != "beg" && m != "end" && m != "sub" && m != "reg")
      fail("-m with unsupported matching method '" + m + "'.");
    r.fmt = m;
    i += 2;
  }
}

// set-path, set-pathq, set-query, set-uri, set-method FMT
void parse_one_format(const Args& a, size_t& i, HttpRule& r) {
  if (!has(a, i) || (has(a, i + 1) && !is_cond(a, i + 1))) fail("expects exactly 1 argument <format>.");
  r.fmt = a[i++];
}

void parse_set_status(const Args& a, size_t& i, HttpRule& r) {
  if (!has(a, i)) fail("expects 1 argument: <status>; or 3 arguments: <status> reason <fmt>.");
  char* end = nullptr;
  const long st = std::strtol(a[i].c_str(), &end, 10);
  if (*end || st < 100 || st > 999) fail("expects an integer status code between 100 and 999.");
  r.ret.status = uint16_t(st);
  ++i;
  if (i < a.size() && a[i] == "reason" && has(a, i + 1)) {
    r.reason = a[i + 1];
    i += 2;
  }
}

// The character HAProxy's size parser stops at ("10k" is fine, "10kb" stops at 'b').
std::optional<char> size_stop_char(const std::string& v) {
  size_t i = 0;
  while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i;
  if (i == 0) return v.empty() ? '\0' : v[0];
  if (i < v.size() && std::strchr("kKmMgG", v[i])) ++i;
  if (i < v.size()) return v[i];
  return std::nullopt;
}

void parse_wait_for_body(ParseContext& c, const Args& a, size_t& i, HttpRule& r) {
  bool time_seen = false;
  for (; i < a.size(); ++i) {
    if (a[i] == "time") {
      if (!has(a, i + 1)) fail("missing argument for 'time'.");
      const std::string& v = a[++i];
      if (auto bad = time_stop_char(v)) fail("unexpected character '" + std::string(1, *bad) + "'.");
      const auto ms = time_value(c, v);
      if (!ms || *ms > 2147483647u) fail("time overflow (maximum value is 2147483647 ms or ~24.8 days).");
      r.wait_ms = *ms;
      time_seen = true;
    } else if (a[i] == "at-least") {
      if (!has(a, i + 1)) fail("missing argument for 'at-least'.");
      const std::string& v = a[++i];
      if (auto bad = size_stop_char(v)) fail("unexpected character '" + std::string(1, *bad) + "'.");
      r.at_least = parse_size(v).value_or(0);
    } else {
      break;
    }
  }
  if (!time_seen) fail("expects time <time> [ at-least <bytes> ].");
}

// set-var(NAME[,COND...]) EXPR, unset-var(NAME), from the action word itself.
void parse_var(const Args& a, size_t& i, HttpRule& r, std::string_view kw) {
  const std::string& w = a[1];
  const std::string expects = ". Expects 'set-var(<var-name>)', 'set-var-fmt(<var-name>)' or 'unset-var(<var-name>)'.";
  if (w.size() <= kw.size() || w[kw.size()] != '(') fail("invalid or incomplete action '" + w + "'" + expects);
  const size_t close = w.rfind(')');
  if (close == std::string::npos || close + 1 != w.size() || close <= kw.size())
    fail("incomplete argument after action '" + w + "'" + expects);
  const size_t start = kw.size() + 1;
  const std::string inside = w.substr(start, close - start);
  const size_t comma = inside.find(',');
  const std::string name = inside.substr(0, comma);
  if (name.empty()) fail("Empty variable name cannot be accepted.");
  static const char* const scopes[] = {"proc.", "sess.", "txn.", "req.", "res.", "check."};
  bool scoped = false;
  for (const char* s : scopes)
    if (name.starts_with(s) && name.size() > std::strlen(s)) scoped = true;
  if (!scoped)
    fail("invalid variable name '" + name +
         "'. A variable name must be start by its scope. The scope can be 'proc', 'sess', 'txn', 'req', "
         "'res' or 'check'.");
  if (comma != std::string::npos) {
    if (kw == "unset-var")
      fail("unset-var does not expect parameters after the variable name. Only \"set-var\" and "
           "\"set-var-fmt\" manage conditions.");
    static const char* const conds[] = {"ifexists", "ifnotexists", "ifempty", "ifnotempty",
                                        "ifset",    "ifnotset",    "ifgt",    "iflt"};
    std::istringstream in(inside.substr(comma + 1));
    for (std::string cnd; std::getline(in, cnd, ',');) {
      if (cnd.empty()) continue;
      bool known = false;
      for (const char* k : conds) known = known || cnd == k;
      if (!known) fail("unknown condition \"" + cnd + "\".");
      r.var_conditions.push_back(cnd);
    }
  }
  for (size_t k = 0; k < name.size(); ++k) {
    const unsigned char ch = static_cast<unsigned char>(name[k]);
    if (!std::isalnum(ch) || ch >= 0x80) {
      if (ch == '_' || ch == '.') continue;
      fail("invalid syntax at char '" + w.substr(start + k) + "'.");
    }
  }
  r.name = name;
  if (kw == "set-var") {
    if (!has(a, i)) fail("missing fetch method.");
    r.fmt = a[i++];
  } else if (kw == "set-var-fmt" && i < a.size()) {
    r.fmt = a[i++];   // a log-format; none at all is an empty value
  }
}

// set-log-level <emerg|alert|crit|err|warning|notice|info|debug|silent>
void parse_log_level(const Args& a, size_t& i, HttpRule& r) {
  static const char* const levels[] = {"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"};
  const std::string w = i < a.size() ? a[i] : "";
  if (w == "silent") {
    r.log_level = HttpRule::kSilentLog;
  } else {
    const auto* at = std::find_if(std::begin(levels), std::end(levels), [&](const char* l) { return w == l; });
    if (at == std::end(levels)) fail("expects exactly 1 argument (log level name or 'silent').");
    r.log_level = int8_t(at - std::begin(levels));
  }
  ++i;
}

// The source a fetch reads that a capture rule of this side cannot see (HAProxy's words), or
// null. `fetch_word`: the expression as written ("res.hdr(x),lower").
const char* capture_unavailable(const std::string& fetch_word, bool request) {
  const char* source = fetch_source(std::string_view(fetch_word).substr(0, fetch_word.find_first_of("(,")));
  return is_response_source(source) == request ? source : nullptr;
}

// http-request capture <sample> len <n> | id <n>; http-response capture <sample> id <n>.
void parse_capture(ParseContext& c, const Args& a, size_t& i, HttpRule& r, bool request) {
  // Three words before any condition, else HAProxy's usage line.
  size_t n = 0;
  while (n < 3 && has(a, i + n) && !is_cond(a, i + n)) ++n;
  if (n < 3) fail(request ? "expects <expression> [ 'len' <length> | id <idx> ]." : "expects <expression> id <idx>.");
  r.fmt = a[i];
  if (const char* from = capture_unavailable(a[i], request))
    fail("fetch method '" + a[i] + "' extracts information from '" + from + "', none of which is available here.");
  const std::string& kw = a[i + 1];
  const std::string& v = a[i + 2];
  if (request && kw == "len") {
    Proxy& p = *c.proxy;
    if (!p.is_frontend()) fail("proxy '" + p.name + "' has no frontend capability.");
    const long len = std::atol(v.c_str());
    if (len <= 0) fail("length must be > 0.");
    r.capture_id = int(p.capture_request_headers.size());
    p.capture_request_headers.push_back({"", uint32_t(std::min<long>(len, 0x7fffffff))});
  } else if (kw == "id") {
    char* end = nullptr;
    const long id = std::strtol(v.c_str(), &end, 10);
    if (*end) fail("cannot parse id '" + v + "'.");
    r.capture_id = id < 0 || id > 0x7fffffff ? -1 : int(id);
    // Checked once the proxy is read (checks.cpp): the slot may be declared further down.
    r.capture_by_id = true;
    r.capture_id_written = id;
  } else {
    fail(request ? "expects 'len' or 'id', found '" + kw + "'." : "expects 'id', found '" + kw + "'.");
  }
  i += 3;
}

// track-sc<N> <key> [table <table>]
void parse_track_sc(const Args& a, size_t& i, HttpRule& r, const std::string& action) {
  const std::string num = action.substr(8);
  const long n = std::atol(num.c_str());
  if (n > 2) fail(num + " track-sc number exceeding 2 (MAX_SESS_STKCTR-1) value.");
  r.sc = int(n);
  if (!has(a, i) || is_cond(a, i)) fail("missing fetch method.");
  r.fmt = a[i++];
  if (i < a.size() && a[i] == "table") {
    if (!has(a, i + 1)) fail("missing table name.");
    r.name = a[i + 1];
    i += 2;
  }
}

// sc-inc-gpc0[(<id>)], sc-set-gpt0[(<id>)]: the stick counter number in parentheses.
void parse_sc_id(const std::string& action, size_t base_len, HttpRule& r) {
  r.sc = 0;
  if (action.size() == base_len) return;
  const std::string inside = action.substr(base_len + 1, action.size() - base_len - 2);
  char* end = nullptr;
  const long id = std::strtol(inside.c_str(), &end, 10);
  if (action[base_len] != '(' || !action.ends_with(")") || inside.empty() || *end)
    fail("invalid stick table track ID. Expects " + action + "(<Track ID>).");
  if (id < 0 || id > 2) fail("invalid stick table track ID. The max allowed ID is 2.");
  r.sc = int(id);
}

// sc-inc-gpc(<idx>,<sc>), sc-set-gpt(<idx>,<sc>): the array element and the stick counter,
// with HAProxy 2.6's messages (`what` is "gpc" or "gpt").
void parse_gp_index(const std::string& action, size_t base_len, const std::string& what, HttpRule& r) {
  std::string upper = what;
  for (char& ch : upper) ch = char(std::toupper(static_cast<unsigned char>(ch)));
  const std::string expects = "Expects " + action.substr(0, base_len) + "(<" + upper + " ID>,<Track ID>)";
  const char* p = action.c_str() + base_len + 1;   // after '('
  char* end = nullptr;
  const unsigned long idx = std::strtoul(p, &end, 10);
  if (*end != ',') fail("Missing " + what + " ID '" + action + "'. " + expects + ".");
  const long sc = std::strtol(end + 1, &end, 10);
  if (*end != ')') fail("invalid stick table track ID '" + action + "'. " + expects + ".");
  if (sc > 2) fail("invalid stick table track ID '" + action + "'. The max allowed ID is 2.");
  r.gp_index = uint32_t(std::min<unsigned long>(idx, 0xffffffffu));
  r.sc = int(sc);
}

// sc-set-gpt0(<id>) <integer> | <expression>: an integer is kept in at_least, else fmt.
void parse_set_gpt0(const Args& a, size_t& i, HttpRule& r) {
  r.at_least = 0;
  if (!has(a, i) || is_cond(a, i)) return;
  const std::string& v = a[i];
  char* end = nullptr;
  const long long x = std::strtoll(v.c_str(), &end, 10);
  if (!v.empty() && !*end) r.at_least = uint64_t(x);
  else r.fmt = v;
  ++i;
}

// set-timeout server|tunnel <time>|<expr>
void parse_set_timeout(ParseContext& c, const Args& a, size_t& i, HttpRule& r) {
  if (!has(a, i) || !has(a, i + 1)) fail("expects exactly 2 arguments.");
  if (!c.proxy->is_backend()) fail("proxy '" + c.proxy->name + "' has no backend capability.");
  const std::string& which = a[i];
  if (which != "server" && which != "tunnel") fail("'set-timeout' rule supports 'server'/'tunnel' (got '" + which + "').");
  r.name = which;
  const std::string& v = a[i + 1];
  if (time_stop_char(v)) {
    r.fmt = v;   // a sample expression giving milliseconds
  } else {
    const auto ms = time_value(c, v);
    if (!ms || *ms > 2147483647u)
      fail("timer overflow in argument '" + v + "' to rule 'set-timeout " + which +
           "' (maximum value is 2147483647 ms or ~24.8 days).");
    if (*ms == 0) fail("null value is not valid for a 'set-timeout " + which + "' rule.");
    r.wait_ms = *ms;
  }
  i += 2;
}

void parse_strict_mode(const Args& a, size_t& i, HttpRule& r) {
  if (!has(a, i)) fail("expects exactly 1 arguments.");
  if (ieq(a[i], "on")) r.at_least = 0;
  else if (ieq(a[i], "off")) r.at_least = 1;
  else fail("Unexpected value '" + a[i] + "'. Only 'on' and 'off' are supported.");
  ++i;
}

// set-mark / set-tos <integer or hex>
void parse_socket_value(const Args& a, size_t& i, HttpRule& r) {
  if (!has(a, i)) fail("expects exactly 1 argument (integer/hex value).");
  char* end = nullptr;
  const unsigned long v = std::strtoul(a[i].c_str(), &end, 0);
  if (*end) fail("invalid character starting at '" + std::string(end) + "' (integer/hex value expected).");
  r.at_least = v;
  ++i;
}

// set-src|set-src-port|set-dst|set-dst-port <expr>
void parse_set_addr(const Args& a, size_t& i, HttpRule& r) {
  if (!has(a, i) || is_cond(a, i)) fail("missing fetch method.");
  r.fmt = a[i++];
}

}  // namespace

void parse_redirect_args(const Args& a, size_t& i, Redirect& r) {
  bool type_seen = false;
  for (; i < a.size() && !is_cond(a, i); ++i) {
    const std::string& w = a[i];
    if (w == "location" || w == "prefix" || w == "scheme" || w == "code" || w == "set-cookie" ||
        w == "clear-cookie") {
      if (!has(a, i + 1)) throw RedirectError{"missing argument for '" + w + "'."};
      const std::string& v = a[++i];
      if (w == "code") {
        const long code = leading_number(v);
        if (code != 301 && code != 302 && code != 303 && code != 307 && code != 308)
          throw RedirectError{"'code': unsupported HTTP code '" + v + "' (must be one of 301, 302, 303, 307 or 308)."};
        r.code = uint16_t(code);
      } else if (w == "set-cookie") {
        r.set_cookie = v;
      } else if (w == "clear-cookie") {
        r.clear_cookie = v;
      } else {
        r.type = w == "location" ? Redirect::Type::location : w == "prefix" ? Redirect::Type::prefix : Redirect::Type::scheme;
        r.target = v;
        type_seen = true;
      }
    } else if (w == "drop-query") {
      r.drop_query = true;
    } else if (w == "append-slash") {
      r.append_slash = true;
    } else if (w == "ignore-empty") {
      r.ignore_empty = true;
    } else {
      throw RedirectError{"expects 'code', 'prefix', 'location', 'scheme', 'set-cookie', 'clear-cookie', "
                          "'drop-query', 'ignore-empty' or 'append-slash' (was '" + w + "')."};
    }
  }
  if (!type_seen) throw RedirectError{"redirection type expected ('prefix', 'location', or 'scheme')."};
}

bool parse_http_rule(ParseContext& c, const Args& a, HttpRuleSide side, HttpRule& r) {
  const bool req = side == HttpRuleSide::request;
  const bool after = side == HttpRuleSide::after_response;
  const char* kw = req ? "http-request" : after ? "http-after-response" : "http-response";
  const auto& list = req ? kRequestActions : after ? kAfterResponseActions : kResponseActions;
  const std::string action = a.size() > 1 ? a[1] : "";
  const std::string_view found = lookup(list, action);
  // `lua.<name>` actions exist once a Lua script registers them; lua-load is refused.
  if (found.empty() && action.starts_with("lua.")) {
    check_unimplemented(c, req ? GapContext::http_request : GapContext::http_response, action, kw);
    return false;
  }
  if (found.empty()) {
    c.alert(Form::tight, expects_message(kw, list, action));
    c.abort = true;
    return false;
  }
  r.origin = c.origin;
  r.action_name = action;
  r.words.assign(a.begin() + 2, a.end());
  size_t i = 2;
  try {
    try {
      if (found == "allow") r.action = A::allow;
      else if (found == "deny") {
        r.action = A::deny;
        parse_reply(c, a, i, r);
        // A response denied by a rule becomes HAProxy's 502 unless a status is given.
        if (!req && !std::count(a.begin(), a.end(), "status") && !std::count(a.begin(), a.end(), "deny_status"))
          r.ret.status = 502;
      }
      else if (found == "tarpit") r.action = A::tarpit, parse_reply(c, a, i, r);
      else if (found == "return") r.action = A::return_, parse_reply(c, a, i, r);
      else if (found == "auth") r.action = A::auth, parse_auth(a, i, r);
      else if (found == "redirect") {
        r.action = A::redirect;
        parse_redirect_args(a, i, r.redirect);
        // A response has no request line left to build a prefix or scheme redirect from.
        if (!req && r.redirect.type != Redirect::Type::location) fail("response only supports redirect type 'location'.");
      }
      else if (found == "set-header") r.action = A::set_header, parse_header_rewrite(a, i, r, false);
      else if (found == "add-header") r.action = A::add_header, parse_header_rewrite(a, i, r, false);
      else if (found == "replace-header") r.action = A::replace_header, parse_header_rewrite(a, i, r, true);
      else if (found == "replace-value") r.action = A::replace_value, parse_header_rewrite(a, i, r, true);
      else if (found == "del-header") r.action = A::del_header, parse_del_header(a, i, r);
      else if (found == "set-path") r.action = A::set_path, parse_one_format(a, i, r);
      else if (found == "replace-path") r.action = A::replace_path, parse_target_rewrite(a, i, r);
      else if (found == "replace-pathq") r.action = A::replace_pathq, parse_target_rewrite(a, i, r);
      else if (found == "replace-uri") r.action = A::replace_uri, parse_target_rewrite(a, i, r);
      else if (found == "set-pathq") r.action = A::set_pathq, parse_one_format(a, i, r);
      else if (found == "set-query") r.action = A::set_query, parse_one_format(a, i, r);
      else if (found == "set-uri") r.action = A::set_uri, parse_one_format(a, i, r);
      else if (found == "set-method") r.action = A::set_method, parse_one_format(a, i, r);
      else if (found == "set-status") r.action = A::set_status, parse_set_status(a, i, r);
      else if (found == "wait-for-body") r.action = A::wait_for_body, parse_wait_for_body(c, a, i, r);
      else if (found == "use-service" && req && i < a.size() && a[i] == "prometheus-exporter")
        r.action = A::use_service, r.name = a[i++];
      else if (found == "set-var") r.action = A::set_var, parse_var(a, i, r, found);
      else if (found == "set-var-fmt") r.action = A::set_var_fmt, parse_var(a, i, r, found);
      else if (found == "reject") r.action = A::reject;
      else if (found == "silent-drop") r.action = A::silent_drop;
      else if (found == "set-log-level") r.action = A::set_log_level, parse_log_level(a, i, r);
      else if (found == "unset-var") r.action = A::unset_var, parse_var(a, i, r, found);
      else if (found == "capture") r.action = A::capture, parse_capture(c, a, i, r, req);
      else if (found == "track-sc") r.action = A::track_sc, parse_track_sc(a, i, r, action);
      else if (found == "set-timeout") r.action = A::set_timeout, parse_set_timeout(c, a, i, r);
      else if (found == "disable-l7-retry") r.action = A::disable_l7_retry;
      else if (found == "strict-mode") r.action = A::strict_mode, parse_strict_mode(a, i, r);
      else if (found == "set-mark") r.action = A::set_mark, parse_socket_value(a, i, r);
      else if (found == "set-tos") r.action = A::set_tos, parse_socket_value(a, i, r);
      else if (found == "set-src") r.action = A::set_src, parse_set_addr(a, i, r);
      else if (found == "set-src-port") r.action = A::set_src_port, parse_set_addr(a, i, r);
      else if (found == "set-dst") r.action = A::set_dst, parse_set_addr(a, i, r);
      else if (found == "set-dst-port") r.action = A::set_dst_port, parse_set_addr(a, i, r);
      else if (action.starts_with("sc-inc-gpc0") || action.starts_with("sc-inc-gpc1")) {
        r.action = action[10] == '0' ? A::sc_inc_gpc0 : A::sc_inc_gpc1;
        parse_sc_id(action, 11, r);
      } else if (action.starts_with("sc-set-gpt0")) {
        r.action = A::sc_set_gpt0;
        parse_sc_id(action, 11, r);
        parse_set_gpt0(a, i, r);
      } else if (action.starts_with("sc-inc-gpc(")) {
        r.action = A::sc_inc_gpc;
        parse_gp_index(action, 10, "gpc", r);
      } else if (action.starts_with("sc-set-gpt(")) {
        r.action = A::sc_set_gpt;
        parse_gp_index(action, 10, "gpt", r);
        parse_set_gpt0(a, i, r);
      } else if (action.starts_with("sc-inc-gpc") || action.starts_with("sc-set-gpt")) {
        fail("invalid " + action.substr(7, 3) + " ID '" + action + "'. Expects sc-set-" + action.substr(7, 3) + "(<" +
             (action[7] == 'g' && action[9] == 'c' ? "GPC" : "GPT") + " ID>,<Track ID>).");
      }
      else {
        // Not implemented: its arguments are kept as words; the condition is whatever follows
        // the first if/unless.
        r.action = A::other;
        while (i < a.size() && !is_cond(a, i)) ++i;
      }
    } catch (const RedirectError& e) {
      throw RuleError{e.text};
    }
    if (i < a.size()) {
      if (!is_cond(a, i))
        throw RuleError{"'" + std::string(kw) + " " + action + "' expects either 'if' or 'unless' followed by a condition but found '" +
                            a[i] + "'.",
                        true, Form::tight};
      r.condition.assign(a.begin() + long(i), a.end());
    }
  } catch (const RuleError& e) {
    if (e.whole) c.alert(e.form, e.text);
    else
      c.alert("error detected in " + std::string(cap_type_name(c.proxy->kind)) + " '" + c.proxy->name + "' while parsing '" + kw + " " +
              action + "' rule : " + e.text);
    c.abort = true;
    return false;
  }
  if (r.action == A::other) {
    // Every action HAProxy lists has code here or a row in unimplemented.cpp.
    const GapContext ctx = req ? GapContext::http_request : GapContext::http_response;
    if (check_unimplemented(c, ctx, found == "use-service" ? std::string(found) : action, kw) == GapResult::refused)
      return false;
  }
  return true;
}

bool parse_http_error(ParseContext& c, const Args& a, HttpRule& r) {
  r.origin = c.origin;
  r.action = A::return_;
  r.action_name = "http-error";
  size_t i = 1;
  // HAProxy's reply parser words its errors without the final full stop http rules add.
  auto report = [&](std::string text) {
    if (text.ends_with('.')) text.pop_back();
    c.alert("http-error : " + text);
  };
  try {
    parse_reply(c, a, i, r, 0);
  } catch (const RuleError& e) {
    report(e.text);
    return false;
  }
  if (r.ret.status == 0) {
    c.alert("http-error : expects at least a <status> as arguments.\n");
    return false;
  }
  static const int kHandled[] = {200, 400, 401, 403, 404, 405, 407, 408, 410, 413,
                                 421, 422, 425, 429, 500, 501, 502, 503, 504};
  if (std::find(std::begin(kHandled), std::end(kHandled), int(r.ret.status)) == std::end(kHandled)) {
    c.alert("http-error: status code '" + std::to_string(r.ret.status) + "' not handled.");
    return false;
  }
  if (i < a.size() && !a[i].empty()) {
    c.alert("http-error : unknown keyword '" + a[i] + "'.");
    return false;
  }
  return true;
}

namespace {

void kw_http_request(ParseContext& c, const Args& a) {
  if (c.section == SectionKind::defaults && !c.defaults_named)
    return c.alert("'http-request' not allowed in anonymous 'defaults' section.");
  HttpRule r;
  if (parse_http_rule(c, a, HttpRuleSide::request, r)) c.proxy->http_request_rules.push_back(std::move(r));
}

const KeywordRow kRows[] = {
    {kInProxies, "http-request", true, Cap::any, false, kw_http_request},
};

}  // namespace

void register_http_request_keywords(Registry& r) { r.add(kRows); }

}  // namespace portero::config
