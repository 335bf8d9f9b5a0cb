// `tcp-request inspect-delay | connection | session | content`. accept and reject are stored
// (with their raw condition) for the tcp mode work; the other actions HAProxy 2.6 knows are
// warned about as not supported yet; unknown actions get HAProxy's message.
#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "parse_context.h"
#include "unimplemented.h"
#include "portero/config/fetch_source.h"
#include "portero/config/units.h"

namespace portero::config {
namespace {

// The actions HAProxy 2.6 lists for each layer, in its order (its error text lists them).
constexpr const char* kContentActions[] = {
    "accept", "reject", "capture", "expect-proxy", "expect-netscaler-cip", "track-sc0' ... 'track-sc2",
    "ot-group", "set-log-level", "set-nice", "switch-mode", "use-service", "sc-inc-gpc(*)",
    "sc-inc-gpc0(*)", "sc-inc-gpc1(*)", "sc-set-gpt(*)", "sc-set-gpt0(*)", "send-spoe-group",
    "do-resolve(*)", "set-var-fmt(*)", "set-var(*)", "unset-var(*)", "set-src", "set-src-port",
    "set-dst", "set-dst-port", "set-mark", "set-tos", "silent-drop", "set-priority-class",
    "set-priority-offset"};
constexpr const char* kConnectionActions[] = {
    "accept", "reject", "capture", "expect-proxy", "expect-netscaler-cip", "track-sc0' ... 'track-sc2",
    "sc-inc-gpc(*)", "sc-inc-gpc0(*)", "sc-inc-gpc1(*)", "sc-set-gpt(*)", "sc-set-gpt0(*)",
    "set-var-fmt(*)", "set-var(*)", "unset-var(*)", "set-dst", "set-dst-port", "set-mark", "set-src",
    "set-src-port", "set-tos", "silent-drop"};

template <size_t N>
std::string listing(const char* const (&names)[N]) {
  std::string out;
  for (size_t i = 0; i < N; ++i) out += std::string(i ? ", '" : "'") + names[i] + "'";
  return out;
}

template <size_t N>
bool known_action(const std::string& w, const char* const (&names)[N]) {
  if (w == "track-sc0" || w == "track-sc1" || w == "track-sc2") return true;
  for (const char* n : names) {
    std::string_view v(n);
    if (v.ends_with("(*)")) {
      if (w.starts_with(v.substr(0, v.size() - 2))) return true;  // "name(" prefix
    } else if (w == v) {
      return true;
    }
  }
  return false;
}

// sc-inc-gpc0|1[(<sc>)], sc-inc-gpc(<idx>,<sc>), sc-set-gpt0[(<sc>)], sc-set-gpt(<idx>,<sc>): ""
// or HAProxy 2.6's message.
std::string parse_sc_action(const std::string& action, TcpRequestRule& r) {
  const bool set = action.starts_with("sc-set-gpt");
  const std::string base = set ? "sc-set-gpt" : "sc-inc-gpc";
  const std::string rest = action.substr(base.size());
  const std::string what = set ? "gpt" : "gpc", upper = set ? "GPT" : "GPC";
  r.action = set ? TcpRequestRule::Action::sc_set : TcpRequestRule::Action::sc_inc;
  char* end = nullptr;
  if (!rest.empty() && rest[0] == '(') {
    const unsigned long idx = std::strtoul(rest.c_str() + 1, &end, 10);
    const std::string expects = "Expects " + base + "(<" + upper + " ID>,<Track ID>)";
    if (*end != ',') return "Missing " + what + " ID '" + action + "'. " + expects;
    const long sc = std::strtol(end + 1, &end, 10);
    if (*end != ')') return "invalid stick table track ID '" + action + "'. " + expects;
    if (sc > 2) return "invalid stick table track ID '" + action + "'. The max allowed ID is 2";
    r.gp_data = set ? stick::Data::gpt : stick::Data::gpc;
    r.gp_index = uint32_t(std::min<unsigned long>(idx, 0xffffffffu));
    r.sc = int(sc);
    return "";
  }
  if (rest.empty() || (rest[0] != '0' && (set || rest[0] != '1')))
    return "invalid " + what + " ID '" + action + "'. Expects sc-set-" + what + "(<" + upper + " ID>,<Track ID>)";
  r.gp_data = set ? stick::Data::gpt0 : rest[0] == '0' ? stick::Data::gpc0 : stick::Data::gpc1;
  const std::string id = rest.substr(1);
  r.sc = 0;
  if (id.empty()) return "";
  const std::string quoted = set ? " '" + action + "'" : "";
  if (id[0] != '(') return "invalid stick table track ID" + quoted + ". Expects " + action.substr(0, base.size() + 1) + "(<Track ID>)";
  const long sc = std::strtol(id.c_str() + 1, &end, 10);
  if (*end != ')') return "invalid stick table track ID" + quoted + ". Expects " + action.substr(0, base.size() + 1) + "(<Track ID>)";
  if (sc > 2) return "invalid stick table track ID" + quoted + ". The max allowed ID is 2";
  r.sc = int(sc);
  return "";
}

void kw_tcp_request(ParseContext& c, const Args& a) {
  Proxy& p = *c.proxy;
  const std::string where = std::string(c.proxy_type()) + " '" + p.name + "'";
  if (a.size() < 2 || a[1].empty()) return c.alert("missing argument for 'tcp-request' in " + where);
  const std::string& what = a[1];
  const bool anonymous_defaults = c.section == SectionKind::defaults && !c.defaults_named;

  if (what == "inspect-delay") {
    if (anonymous_defaults) return c.alert("tcp-request inspect-delay is not allowed in anonymous 'defaults' sections");
    const std::string v = a.size() > 2 ? a[2] : "";
    const std::string head = "'tcp-request inspect-delay' expects a positive delay in milliseconds, in " + where;
    if (v.empty()) return c.alert(head);
    if (auto bad = time_stop_char(v)) return c.alert(head + " (unexpected character '" + std::string(1, *bad) + "')");
    auto t = time_value(c, v);
    if (!t) return c.alert(head);
    p.tcp_inspect_delay = *t;
    return;
  }

  TcpRequestRule r;
  r.origin = c.origin;
  if (what == "content") r.layer = TcpRequestRule::Layer::content;
  else if (what == "connection") r.layer = TcpRequestRule::Layer::connection;
  else if (what == "session") r.layer = TcpRequestRule::Layer::session;
  else
    return c.alert("'tcp-request' expects 'inspect-delay', 'connection', or 'content' in " + where + " (got '" +
                   what + "')");
  if (anonymous_defaults) return c.alert("tcp-request " + what + " is not allowed in anonymous 'defaults' sections");
  if (r.layer != TcpRequestRule::Layer::content && c.section != SectionKind::defaults && !p.is_frontend())
    return c.alert("tcp-request " + what + " is not allowed because " + std::string(c.proxy_type()) + " " + p.name +
                   " is not a frontend");

  const std::string action = a.size() > 2 ? a[2] : "";
  const bool is_content = r.layer == TcpRequestRule::Layer::content;
  size_t cond_at = 3;
  if (action == "track-sc0" || action == "track-sc1" || action == "track-sc2") {
    const std::string head = "'tcp-request " + what + " " + action + "' : ";
    if (a.size() < 4 || a[3].empty() || a[3] == "if" || a[3] == "unless") return c.alert(head + "missing fetch method");
    const std::string fetch = a[3].substr(0, a[3].find_first_of("(,"));
    // Before the content layer only the connection's addresses are known.
    if (!is_content)
      if (const char* src = fetch_source(fetch))
        return c.alert(head + "fetch method '" + a[3] + "' extracts information from '" + src +
                       "', none of which is available here");
    r.action = TcpRequestRule::Action::track_sc;
    r.sc = action[8] - '0';
    r.key = a[3];
    cond_at = 4;
    if (a.size() > 4 && a[4] == "table") {
      if (a.size() < 6 || a[5].empty()) return c.alert(head + "missing table name");
      r.table = a[5];
      cond_at = 6;
    }
  } else if (action == "expect-proxy") {
    // Read a PROXY protocol header before anything else on the connection (as `accept-proxy`),
    // for the connections the condition picks (on the addresses the kernel gives).
    if (r.layer != TcpRequestRule::Layer::connection)
      return c.alert("'expect-proxy layer4' is not allowed in 'tcp-request " + what + "' rules in " + where);
    const std::string layer = a.size() > 3 ? a[3] : "";
    if (layer != "layer4")
      return c.alert("'tcp-request connection expect-proxy' only supports 'layer4' in " + where + " (got '" + layer + "')");
    r.action = TcpRequestRule::Action::expect_proxy;
    cond_at = 4;
  } else if (action.starts_with("sc-inc-gpc") || action.starts_with("sc-set-gpt")) {
    if (std::string err = parse_sc_action(action, r); !err.empty()) return c.alert(Form::bare, err);
    if (r.action == TcpRequestRule::Action::sc_set) {
      // An integer, else a sample expression (evaluated when the rule runs).
      const std::string v = a.size() > 3 ? a[3] : "";
      char* end = nullptr;
      const long long x = std::strtoll(v.c_str(), &end, 10);
      if (!v.empty() && !*end) r.gp_value = x;
      else if (v.empty() || v == "if" || v == "unless") r.gp_value = 0;
      else r.key = v;
      if (!v.empty() && v != "if" && v != "unless") cond_at = 4;
    }
  } else if (action != "accept" && action != "reject") {
    const bool known = is_content ? known_action(action, kContentActions) : known_action(action, kConnectionActions);
    if (!known && action.starts_with("lua.")) {  // registered by a Lua script; lua-load is refused
      check_unimplemented(c, GapContext::tcp_request, action, "tcp-request " + what);
      return;
    }
    if (!known) {
      const std::string names = is_content ? listing(kContentActions) : listing(kConnectionActions);
      // session rules list the connection-layer actions in HAProxy's message too.
      return c.alert("'tcp-request " + what + "' expects " + names + " in " + where + " (got '" + action + "').\n");
    }
    check_unimplemented(c, GapContext::tcp_request, action, "tcp-request " + what);
    return;
  }
  if (a.size() > cond_at && a[cond_at] != "if" && a[cond_at] != "unless")
    return c.alert("'tcp-request " + what + " " + action + "' only accepts 'if' or 'unless', in " + where +
                   " (got '" + a[cond_at] + "')");
  if (r.action == TcpRequestRule::Action::accept)   // not set by an action above
    r.action = action == "accept" ? TcpRequestRule::Action::accept : TcpRequestRule::Action::reject;
  r.action_name = action;
  r.condition.assign(a.begin() + std::min<size_t>(cond_at, a.size()), a.end());

  if (c.section == SectionKind::defaults) {
    check_unimplemented(c, GapContext::tcp_request, "named-defaults", "tcp-request " + what);
    return;
  }

  // HAProxy evaluates connection, then session, then content rules whatever the file order.
  auto has = [&](TcpRequestRule::Layer l) {
    for (const auto& x : p.tcp_request_rules)
      if (x.layer == l) return true;
    return false;
  };
  const char* later = nullptr;
  if (r.layer == TcpRequestRule::Layer::connection) {
    if (has(TcpRequestRule::Layer::session)) later = "session";
    else if (has(TcpRequestRule::Layer::content)) later = "content";
  } else if (r.layer == TcpRequestRule::Layer::session && has(TcpRequestRule::Layer::content)) {
    later = "content";
  }
  if (later)
    c.warning(std::string("a 'tcp-request' rule placed after a 'tcp-request ") + later +
              "' rule will still be processed before.");
  p.tcp_request_rules.push_back(std::move(r));
}

const KeywordRow kRows[] = {
    {kInProxies, "tcp-request", true, Cap::any, false, kw_tcp_request},
};

}  // namespace

void register_tcp_request_keywords(Registry& r) { r.add(kRows); }

}  // namespace portero::config
