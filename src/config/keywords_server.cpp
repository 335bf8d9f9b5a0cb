// `server NAME ADDR [options]` and `default-server [options]`. A server starts as a copy of
// the proxy's default-server settings, as in HAProxy.
#include <arpa/inet.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <set>

#include "did_you_mean.h"
#include "portero/config/dynamic_server.h"
#include "parse_context.h"
#include "unimplemented.h"
#include "portero/config/units.h"

namespace portero::config {
namespace {

// HAProxy 2.6 server options that TLS and checks do not parse, with a value, then flags: each
// has a row in unimplemented.cpp (hint: accepted with a notice; missing: an error).
const std::set<std::string>& later_valued() {
  static const std::set<std::string> s{
      "init-addr", "log-proto", "namespace", "pool-low-conn", "redir", "resolve-net", "resolve-opts", "resolve-prefer",
      "resolvers", "socks4", "source", "tcp-ut", "track", "ws"};
  return s;
}
const std::set<std::string>& later_flags() {
  static const std::set<std::string> s{
      "check-via-socks4", "no-tfo", "non-stick", "stick", "tfo"};
  return s;
}

const std::vector<std::string_view>& implemented() {
  static const std::vector<std::string_view> v{
      "weight", "disabled", "enabled", "backup", "no-backup", "maxconn", "minconn", "maxqueue", "id", "cookie", "check",
      "inter", "fastinter", "downinter", "rise", "fall", "port", "addr", "slowstart",
      "check-send-proxy", "no-check-send-proxy", "agent-check", "no-agent-check", "no-check", "agent-port", "agent-inter",
      "agent-send", "agent-addr", "observe", "error-limit", "on-error", "on-marked-down", "on-marked-up",
      "proto", "check-proto", "max-reuse", "pool-max-conn", "pool-purge-delay", "send-proxy", "send-proxy-v2",
      "send-proxy-v2-ssl", "send-proxy-v2-ssl-cn", "no-send-proxy", "no-send-proxy-v2", "no-send-proxy-v2-ssl",
      "no-send-proxy-v2-ssl-cn", "proxy-v2-options"};
  return v;
}

// `init-addr` methods: portero resolves with libc at start-up and refuses a name it cannot
// resolve, which is what HAProxy does when libc is the first method it can use (`last` needs
// load-server-state-from-file, which portero refuses, so it finds nothing).
bool init_addr_is_libc(const std::string& methods) {
  if (methods.empty()) return true;  // not set: HAProxy's default, last,libc
  size_t pos = 0;
  while (pos <= methods.size()) {
    size_t end = methods.find(',', pos);
    if (end == std::string::npos) end = methods.size();
    const std::string m = methods.substr(pos, end - pos);
    if (m != "last") return m == "libc";
    pos = end + 1;
  }
  return false;
}

// Whether a server address names a host (resolved at start-up) rather than giving an IP.
bool names_a_host(const Address& addr) {
  if (addr.kind != Address::Kind::inet || addr.wildcard) return false;
  std::string t = addr.text;
  if (auto at = t.find('@'); at != std::string::npos) t = t.substr(at + 1);
  std::string host;
  if (t.starts_with('[')) host = t.substr(1, t.find(']') - 1);
  else if (std::count(t.begin(), t.end(), ':') > 1) host = t;
  else host = t.substr(0, t.find(':'));
  in6_addr buf;
  if (inet_pton(AF_INET, host.c_str(), &buf) == 1 || inet_pton(AF_INET6, host.c_str(), &buf) == 1) return false;
  if (std::count(t.begin(), t.end(), ':') > 1 && inet_pton(AF_INET6, t.substr(0, t.rfind(':')).c_str(), &buf) == 1)
    return false;
  return !host.empty() && host != "*";
}

// HAProxy reads server numbers with atol(): junk reads as 0, trailing junk is ignored.
long lenient_long(const std::string& v) { return std::strtol(v.c_str(), nullptr, 10); }

// Parses options from a[from..] into `s`. `prefix` is "'server b/s1' : " for a server line and
// empty for default-server (HAProxy's habit); `srv` is the server name used inside messages
// ("default-server" for default-server). Returns false after the first error, as HAProxy.
// Server options HAProxy 2.6 parses but refuses on `add server` (they lack its "dynamic" flag).
bool refused_on_dynamic(const std::string& o) {
  static const std::set<std::string> s{
      "cookie", "init-addr", "log-proto", "max-reuse", "namespace", "no-agent-check", "no-check",
      "no-check-send-proxy", "non-stick", "redir", "resolve-net", "resolve-opts", "resolve-prefer", "resolvers",
      "socks4", "stick", "tcp-ut"};
  return s.count(o) > 0;
}

bool parse_options(ParseContext& c, const Args& a, size_t from, Server& s, const std::string& prefix,
                   const std::string& srv, bool is_default, bool dynamic = false) {
  auto fail = [&](const std::string& why) {
    c.alert(Form::bare, prefix + why);
    return false;
  };
  for (size_t i = from; i < a.size(); ++i) {
    const std::string& o = a[i];
    const bool has_value = i + 1 < a.size();
    // Valued options consume the next word even when it is missing or looks like an option.
    const std::string v = has_value ? a[i + 1] : "";
    auto time = [&](Millis& out, bool zero_ok, const char* name_in_error) {
      if (v.empty()) return fail("'" + o + "' expects a delay as argument..");
      if (auto bad = time_stop_char(v))
        return fail("unexpected character '" + (*bad ? std::string(1, *bad) + "' in '" + name_in_error +
                                                             "' argument of server " + srv + "."
                                                       : std::string()) + ".");
      const auto t = time_value(c, v, prefix.size() > 3 ? prefix.substr(0, prefix.size() - 3) : std::string());
      if (!t) return fail("unexpected character '" + v + "' in '" + name_in_error + "' argument of server " + srv + "..");
      if (*t == 0 && !zero_ok) return fail("invalid value 0 for argument '" + o + "' of server " + srv + "..");
      out = *t;
      return true;
    };
    auto positive = [&](uint32_t& out) {
      if (v.empty()) return fail("'" + o + "' expects an integer argument..");
      const long n = lenient_long(v);
      if (n <= 0) return fail("'" + o + "' has to be > 0..");
      out = uint32_t(std::min<long>(n, INT32_MAX));
      return true;
    };
    auto count = [&](uint32_t& out) {
      const long n = lenient_long(v);
      out = n > 0 ? uint32_t(std::min<long>(n, INT32_MAX)) : 0;
    };
    Millis t = 0;
    if (dynamic && refused_on_dynamic(o)) return fail("'" + o + "' option is not accepted for dynamic server");
    if (o == "weight") {
      const long w = lenient_long(v);
      if (w < 0 || w > 256)
        return fail("weight of server " + srv + " is not within 0 and 256 (" + std::to_string(w) + ")..");
      s.weight = uint32_t(w);
      ++i;
    } else if (o == "disabled") s.disabled = true;
    else if (o == "enabled") s.disabled = false;
    else if (o == "backup") s.backup = true;
    else if (o == "no-backup") s.backup = false;  // undoes a default-server's `backup`
    else if (o == "check") s.check = true;
    else if (o == "maxconn") { count(s.maxconn); ++i; }
    else if (o == "minconn") { count(s.minconn); ++i; }
    else if (o == "maxqueue") { count(s.maxqueue); ++i; }
    else if (o == "id") {
      if (is_default) {
        // HAProxy prints this as an alert that does not fail the load.
        c.diag.alert_nonfatal(c.origin, Form::bare, "'id' option is not accepted in default-server sections");
        ++i;
        continue;
      }
      if (v.empty()) return fail("'id' : expects an integer argument.");
      const long n = lenient_long(v);
      if (n <= 0) return fail("'id' : custom id has to be > 0.");
      for (const auto& other : c.proxy->servers)
        if (other.id && *other.id == n)
          return fail("'id' : custom id " + std::to_string(n) + " already used at " + other.origin.file + ":" +
                      std::to_string(other.origin.line) + " ('server " + other.name + "').");
      s.id = int32_t(std::min<long>(n, INT32_MAX));
      ++i;
    } else if (o == "cookie") {
      if (v.empty()) return fail("'cookie' expects <value> as argument..");
      s.cookie = v;
      ++i;
    } else if (o == "inter") { if (!time(s.inter, false, "agent-inter")) return false; ++i; }
    else if (o == "fastinter") { if (!time(t, false, "agent-inter")) return false; s.fastinter = t; ++i; }
    else if (o == "downinter") { if (!time(t, false, "agent-inter")) return false; s.downinter = t; ++i; }
    else if (o == "slowstart") {
      if (auto bad = time_stop_char(v))
        return fail("unexpected character '" + (*bad ? std::string(1, *bad) + "' in 'slowstart' argument of server " + srv + "."
                                                     : std::string()) + ".");
      s.slowstart = time_value(c, v).value_or(0);
      ++i;
    } else if (o == "rise") { if (!positive(s.rise)) return false; ++i; }
    else if (o == "fall") { if (!positive(s.fall)) return false; ++i; }
    else if (o == "port") {
      const long n = lenient_long(v);
      if (n > 0 && n <= 65535) s.check_port = uint16_t(n);
      ++i;
    } else if (o == "addr") {
      if (v.empty()) return fail("'addr' expects <ipv4|ipv6> as argument..");
      s.check_addr = v;
      ++i;
    } else if (int r = parse_check_server_option(c, a, i, s, prefix, srv); r != 0) {
      if (r < 0) return false;
    } else if (int r = parse_tls_server_option(c, a, i, s, prefix); r != 0) {
      if (r < 0) return false;
    } else if (o == "init-addr" && has_value) {
      s.init_addr = v;  // judged by kw_server, which knows whether the address is a name
      if (init_addr_is_libc(v) &&
          check_unimplemented(c, GapContext::server, o, is_default ? "default-server" : "server") == GapResult::refused)
        return false;
      ++i;
    } else if (o == "proto" || o == "check-proto") {
      if (v.empty()) return fail("'" + o + "' : missing value.");
      const auto proto = mux_proto_named(v);
      if (!proto) return fail("'" + o + "' :  unknown MUX protocol '" + v + "'.");
      (o == "proto" ? s.proto : s.check_proto) = *proto;
      ++i;
    } else if (o == "send-proxy" || o == "send-proxy-v2" || o == "send-proxy-v2-ssl" || o == "send-proxy-v2-ssl-cn") {
      if (o == "send-proxy") s.send_proxy_v1 = true;
      else s.send_proxy_v2 = true;
      if (o.starts_with("send-proxy-v2-ssl")) s.pp2_options |= Server::pp2_ssl;
      if (o == "send-proxy-v2-ssl-cn") s.pp2_options |= Server::pp2_cert_cn;
    } else if (o == "no-send-proxy") {
      s.send_proxy_v1 = false;
    } else if (o == "no-send-proxy-v2") {
      s.send_proxy_v2 = false;
    } else if (o == "no-send-proxy-v2-ssl") {
      s.pp2_options &= uint16_t(~Server::pp2_ssl);
    } else if (o == "no-send-proxy-v2-ssl-cn") {
      s.pp2_options &= uint16_t(~Server::pp2_cert_cn);
    } else if (o == "proxy-v2-options") {
      if (v.empty()) return fail("'" + o + "' expects an argument.");
      static const std::pair<const char*, uint16_t> kNames[] = {
          {"ssl", Server::pp2_ssl}, {"cert-cn", Server::pp2_cert_cn}, {"ssl-cipher", Server::pp2_ssl_cipher},
          {"cert-sig", Server::pp2_cert_sig}, {"cert-key", Server::pp2_cert_key}, {"authority", Server::pp2_authority},
          {"crc32c", Server::pp2_crc32c}, {"unique-id", Server::pp2_unique_id}};
      size_t pos = 0;
      while (pos <= v.size()) {
        size_t end = v.find(',', pos);
        if (end == std::string::npos) end = v.size();
        const std::string name = v.substr(pos, end - pos);
        uint16_t bit = 0;
        for (const auto& [n, b] : kNames)
          if (name == n) bit = b;
        if (!bit) {
          c.alert(Form::bare, "'" + name + "' : proxy v2 option not implemented.");
          return false;
        }
        s.pp2_options |= bit;
        pos = end + 1;
      }
      ++i;
    } else if (o == "max-reuse") {
      if (v.empty()) return fail("'max-reuse' expects <value> as argument..");
      const long n = std::strtol(v.c_str(), nullptr, 10);   // as haproxy: atoi, no check
      s.max_reuse = n < 0 ? -1 : int32_t(std::min<long>(n, INT32_MAX));
      ++i;
    } else if (o == "pool-max-conn") {
      if (v.empty()) return fail("'pool-max-conn' expects <value> as argument..");
      const long n = std::strtol(v.c_str(), nullptr, 10);   // as haproxy: atoi
      if (n < -1) return fail("'pool-max-conn' must be >= -1.");
      s.pool_max_conn = int32_t(std::min<long>(n, INT32_MAX));
      ++i;
    } else if (o == "pool-purge-delay") {
      if (v.empty()) return fail("'pool-purge-delay' expects <value> as argument..");
      if (auto bad = time_stop_char(v))
        return fail("unexpected character '" + std::string(1, *bad) + "' in argument to <pool-purge-delay>..");
      s.pool_purge_delay = time_value(c, v).value_or(0);
      ++i;
    } else if (later_valued().count(o) || later_flags().count(o)) {
      const bool valued_option = later_valued().count(o) > 0;
      if (valued_option && !has_value) return fail("'" + o + "' expects an argument.");
      if (check_unimplemented(c, GapContext::server, o, is_default ? "default-server" : "server") ==
          GapResult::refused)
        return false;
      if (valued_option) ++i;
      // HAProxy warns that a TFO connection could not be retried without these retry-on events.
      constexpr auto tfo_retries = Proxy::retry_conn_failure | Proxy::retry_empty_response | Proxy::retry_response_timeout;
      if (o == "tfo" && !is_default && (c.proxy->retry_on & tfo_retries) != tfo_retries)
        c.warning(Form::bare, prefix + "server has tfo activated, the backend should be configured with at least "
                              "'conn-failure', 'empty-response' and 'response-timeout' or we wouldn't be able to "
                              "retry the connection on failure.");
      // `source <addr> usesrc <addr>`: usesrc belongs to source, refused with it.
      if (o == "source" && i + 2 < a.size() && a[i + 1] == "usesrc") i += 2;
    } else {
      std::vector<std::string_view> all(implemented().begin(), implemented().end());
      for (auto& x : later_valued()) all.push_back(x);
      for (auto& x : later_flags()) all.push_back(x);
      std::string msg = "unknown keyword '" + o + "'";
      if (auto sug = did_you_mean(o, all)) msg += "; did you mean '" + *sug + "' maybe ?";
      else msg += ".";
      if (is_default) msg += " Hint: no address was expected for this server.";
      return fail(msg);
    }
  }
  return true;
}

void kw_server(ParseContext& c, const Args& a) {
  if (a.size() < 3)
    return c.alert(Form::bare, "'server' expects <name> and <addr>[:<port>] as arguments.");
  const std::string who = "'server " + c.proxy->name + "/" + a[1] + "'";
  Server s = c.proxy->default_server;
  s.origin = c.origin;
  s.name = a[1];
  auto r = parse_address(a[2], false);
  if (!r.address) {
    if (r.error.starts_with("invalid address: "))
    {
      // HAProxy resolves server names once the whole configuration is read and checked: the
      // loader reports these then (see load.cpp), naming the host without its port.
      const std::string host = std::count(a[2].begin(), a[2].end(), ':') == 1 ? a[2].substr(0, a[2].find(':')) : a[2];
      c.unresolved.push_back(Diagnostic{Severity::alert, c.origin, who + " : could not resolve address '" + host + "'.",
                                        Form::bare});
      Address placeholder;  // keeps the port for the checks that come first
      placeholder.text = a[2];
      if (host.size() < a[2].size()) {
        const long port = std::strtol(a[2].c_str() + host.size() + 1, nullptr, 10);
        if (port > 0 && port < 65536) placeholder.port_lo = placeholder.port_hi = uint16_t(port);
      }
      r.address = placeholder;
    } else {
      return c.alert(Form::bare, who + " : " + r.error);
    }
  }
  s.address = *r.address;
  if (!parse_options(c, a, 3, s, who + " : ", a[1], false)) return;
  if (!init_addr_is_libc(s.init_addr) && names_a_host(s.address)) {
    // HAProxy would start without the name resolved, or on the address given instead.
    static constexpr Unimplemented row{GapContext::server, "init-addr", GapKind::missing,
                                       "the name would be resolved with libc at start-up instead", ""};
    report_unimplemented(c, row, "server", "init-addr " + s.init_addr);
    return;
  }
  c.proxy->servers.push_back(std::move(s));
  refresh_dynamic_cookies(*c.proxy);
}

void kw_default_server(ParseContext& c, const Args& a) {
  Server s = c.proxy->default_server;
  if (parse_options(c, a, 1, s, "", "default-server", true)) c.proxy->default_server = s;
}

const KeywordRow kRows[] = {
    {kInProxies, "server", false, Cap::backend, true, kw_server},
    {kInProxies, "default-server", true, Cap::backend, false, kw_default_server},
};

}  // namespace

void register_server_keywords(Registry& r) { r.add(kRows); }

std::string parse_dynamic_server(const Proxy& backend, const std::string& name, const std::vector<std::string>& words,
                                 Server& out) {
  if (words.empty() || words[0].empty()) return "'server' expects <name> and <addr>[:<port>] as arguments.";
  // The options' parser reads the proxy for duplicate ids: give it the live servers only.
  Config scratch;
  Diagnostics diag;
  ParseContext c(scratch, diag);
  Proxy px;
  px.name = backend.name;
  px.kind = backend.kind;
  px.retry_on = backend.retry_on;
  for (size_t i = 0; i < backend.servers.size(); ++i)
    if (backend.servers.live(i)) {
      px.servers.push_back(backend.servers[i]);
      px.servers.back().id = backend.servers[i].puid;   // every id in use is taken, written or not
    }
  c.proxy = &px;
  c.origin = Origin{"", 0};
  Server s;   // no default-server, as HAProxy
  s.name = name;
  s.disabled = true;
  auto r = parse_address(words[0], false);
  if (!r.address) return "portero cannot add a server at '" + words[0] + "': an IP address is needed (a name would not be resolved at run time).";
  s.address = *r.address;
  Args a{"server", name};
  a.insert(a.end(), words.begin(), words.end());
  if (!parse_options(c, a, 3, s, "", name, false, true)) {
    for (const auto& d : diag.all())
      if (d.severity == Severity::alert) return d.text;
    return "unable to parse the server options.";
  }
  if (s.agent_check && !s.agent_port)
    return "server " + name + " does not have agent port. Agent check has been disabled.";
  if (s.tls.ssl || s.tls.check_ssl)
    return "portero cannot add a server with TLS ('ssl', 'check-ssl') at run time yet.";
  if (s.id) {
    s.puid = *s.id;
  } else {
    // The smallest id no live server uses, as HAProxy picks it.
    std::set<int> used;
    for (const auto& o : px.servers) used.insert(o.puid);
    int next = 1;
    while (used.count(next)) ++next;
    s.puid = next;
  }
  out = std::move(s);
  return "";
}

}  // namespace portero::config
