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
      "log-proto", "namespace", "pool-low-conn", "redir", "socks4", "source", "tcp-ut", "track", "ws"};
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
      "no-send-proxy-v2-ssl-cn", "proxy-v2-options", "init-addr", "resolvers", "resolve-prefer", "resolve-net",
      "resolve-opts"};
  return v;
}

// `init-addr` methods, in order ("last,libc" when not written, as HAProxy).
std::vector<std::string> init_addr_methods(const std::string& written) {
  std::vector<std::string> out;
  const std::string m = written.empty() ? "last,libc" : written;
  size_t pos = 0;
  while (pos <= m.size()) {
    size_t end = m.find(',', pos);
    if (end == std::string::npos) end = m.size();
    out.push_back(m.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

bool is_ip(const std::string& t) {
  in6_addr buf;
  return inet_pton(AF_INET, t.c_str(), &buf) == 1 || inet_pton(AF_INET6, t.c_str(), &buf) == 1;
}

// `resolve-net 10.0.0.0/8,fd00::/8`: false on a malformed network.
bool parse_nets(const std::string& v, std::vector<Server::Net>& out) {
  size_t pos = 0;
  while (pos <= v.size()) {
    size_t end = v.find(',', pos);
    if (end == std::string::npos) end = v.size();
    const std::string item = v.substr(pos, end - pos);
    const size_t slash = item.find('/');
    Server::Net n;
    const std::string ip = item.substr(0, slash);
    n.family = ip.find(':') != std::string::npos ? AF_INET6 : AF_INET;
    if (inet_pton(n.family, ip.c_str(), n.bytes) != 1) return false;
    const int max = n.family == AF_INET ? 32 : 128;
    int prefix = max;
    if (slash != std::string::npos) {
      const std::string p = item.substr(slash + 1);
      if (p.empty() || p.size() > 3 || p.find_first_not_of("0123456789") != std::string::npos) {
        // IPv4 networks may give a dotted mask.
        in_addr mask;
        if (n.family != AF_INET || inet_pton(AF_INET, p.c_str(), &mask) != 1) return false;
        prefix = __builtin_popcount(mask.s_addr);
      } else {
        prefix = std::atoi(p.c_str());
      }
    }
    if (prefix < 0 || prefix > max) return false;
    n.prefix = uint8_t(prefix);
    out.push_back(n);
    pos = end + 1;
  }
  return true;
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
    } else if (o == "init-addr") {
      if (v.empty()) return fail("'init-addr' expects an argument.");
      for (const auto& m : init_addr_methods(v))
        if (m != "last" && m != "libc" && m != "none" && !is_ip(m))
          return fail("'init-addr' : unknown init-addr method '" + m +
                      "', supported methods are 'libc', 'last', 'none'..");
      s.init_addr = v;   // applied by kw_server, which knows whether the address is a name
      ++i;
    } else if (o == "resolvers") {
      if (v.empty()) return fail("'resolvers' expects <resolvers_id> as argument.");
      s.resolvers = v;   // the section is looked up once every file is read (check_resolvers)
      ++i;
    } else if (o == "resolve-prefer") {
      if (v != "ipv4" && v != "ipv6") return fail("'resolve-prefer' expects either ipv4 or ipv6 as argument..");
      s.prefer_ipv4 = v == "ipv4";
      ++i;
    } else if (o == "resolve-net") {
      std::vector<Server::Net> nets;
      if (v.empty() || !parse_nets(v, nets)) return fail("'resolve-net' invalid network '" + v + "'..");
      s.resolve_net = std::move(nets);
      ++i;
    } else if (o == "resolve-opts") {
      if (v.empty()) return fail("'resolve-opts' expects an argument.");
      for (const auto& opt : init_addr_methods(v)) {
        if (opt == "allow-dup-ip") s.allow_dup_ip = true;
        else if (opt == "prevent-dup-ip") s.allow_dup_ip = false;
        else if (opt == "ignore-weight") s.ignore_weight = true;
        else
          return fail("'resolve-opts' : unknown resolve-opts option '" + opt +
                      "', supported methods are 'allow-dup-ip', 'ignore-weight', and 'prevent-dup-ip'..");
      }
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

// The host part of a server address as written ("web.test" of "web.test:80", "[::1]:80" -> "::1").
std::string host_part(std::string t) {
  if (auto at = t.find('@'); at != std::string::npos) t = t.substr(at + 1);
  if (t.starts_with('[')) return t.substr(1, t.find(']') - 1);
  if (std::count(t.begin(), t.end(), ':') > 1) return t;
  return t.substr(0, t.find(':'));
}

// A server address without its IP (a name libc did not resolve, an SRV record): the port only.
Address placeholder_address(const std::string& text, const std::string& host) {
  Address a;
  a.text = text;
  if (host.size() < text.size() && text[host.size()] == ':') {
    const long port = std::strtol(text.c_str() + host.size() + 1, nullptr, 10);
    if (port > 0 && port < 65536) a.port_lo = a.port_hi = uint16_t(port);
  }
  return a;
}

// Where a named server's address comes from at start, HAProxy's `init-addr` methods in order:
// `last` (the server-state file, which portero does not read: never found), `libc` (the name
// as libc resolved it while parsing), `none` (no address: in maintenance until DNS answers),
// an IP. When none works: a server with `resolvers` and the default methods starts in
// maintenance; otherwise the load fails (reported after the checks, as HAProxy).
void apply_init_addr(ParseContext& c, Server& s, const std::string& who, bool libc_resolved) {
  bool tried_libc = false;
  for (const auto& m : init_addr_methods(s.init_addr)) {
    if (m == "libc" && libc_resolved) return;
    tried_libc = tried_libc || m == "libc";
    if (m == "none") {
      s.start_in_dns_maint = true;
      s.address = placeholder_address(s.address.text, host_part(s.address.text));
      return;
    }
    if (is_ip(m)) {
      const uint16_t port = s.address.port_lo;
      auto r = parse_address(m.find(':') != std::string::npos ? "[" + m + "]" : m, false);
      if (!r.address) continue;
      const std::string text = s.address.text;
      const bool offset = s.address.port_offset;
      const int32_t off = s.address.offset;
      s.address = *r.address;
      s.address.text = text;
      s.address.port_offset = offset;
      s.address.offset = off;
      s.address.port_lo = s.address.port_hi = port;
      if (s.address.family() == AF_INET) reinterpret_cast<sockaddr_in&>(s.address.storage).sin_port = htons(port);
      else reinterpret_cast<sockaddr_in6&>(s.address.storage).sin6_port = htons(port);
      if (tried_libc)   // HAProxy says so when libc failed first
        c.late_warnings.push_back(Diagnostic{Severity::warning, c.origin, who + " : could not resolve address '" +
                                                 s.hostname + "', falling back to configured address.", Form::bare});
      return;
    }
  }
  if (!s.resolvers.empty() && s.init_addr.empty()) {
    c.late_warnings.push_back(Diagnostic{Severity::warning, c.origin, who + " : could not resolve address '" +
                                             s.hostname + "', disabling server.", Form::bare});
    s.start_in_dns_maint = true;
    return;
  }
  bool libc = false;
  for (const auto& m : init_addr_methods(s.init_addr)) libc = libc || m == "libc";
  c.unresolved.push_back(Diagnostic{Severity::alert, c.origin,
                                    who + (libc ? " : could not resolve address '" : " : no method found to resolve address '") +
                                        s.hostname + "'.",
                                    Form::bare});
}

// One server: a `server` line's, or one of a `server-template`'s (`template_index` > 0, the
// address an SRV record when it starts with '_'). Returns false after an error.
bool add_server(ParseContext& c, const std::string& name, const std::string& addr_text, const Args& a, size_t from,
                int template_index) {
  const std::string who = "'server " + c.proxy->name + "/" + name + "'";
  Server s = c.proxy->default_server;
  s.origin = c.origin;
  s.name = name;
  s.template_index = template_index;
  const bool srv_record = template_index > 0 && addr_text.starts_with('_');
  bool libc_resolved = true;
  if (srv_record) {
    // HAProxy resolves SRV records at run time only: such servers start without an address.
    s.address = placeholder_address(addr_text, host_part(addr_text));
    s.srvrecord = host_part(addr_text);
    libc_resolved = false;
  } else {
    auto r = parse_address(addr_text, false);
    if (r.address) {
      s.address = *r.address;
    } else if (r.error.starts_with("invalid address: ")) {
      s.address = placeholder_address(addr_text, host_part(addr_text));
      libc_resolved = false;
    } else {
      c.alert(Form::bare, who + " : " + r.error);
      return false;
    }
  }
  if (!parse_options(c, a, from, s, who + " : ", name, false)) return false;
  if (srv_record) {
    s.start_in_dns_maint = true;
  } else if (!libc_resolved || names_a_host(s.address)) {
    s.hostname = host_part(addr_text);
    apply_init_addr(c, s, who, libc_resolved);
  }
  c.proxy->servers.push_back(std::move(s));
  refresh_dynamic_cookies(*c.proxy);
  return true;
}

void kw_server(ParseContext& c, const Args& a) {
  if (a.size() < 3)
    return c.alert(Form::bare, "'server' expects <name> and <addr>[:<port>] as arguments.");
  add_server(c, a[1], a[2], a, 3, 0);
}

// `server-template <prefix> <num | first-last> <fqdn>[:<port>] [options]`: servers named
// <prefix><n>, filled from the name's A/AAAA records or, for `_service._proto.name`, from its
// SRV records (dns/ module).
void kw_server_template(ParseContext& c, const Args& a) {
  if (a.size() < 4)
    return c.alert(Form::bare, "'server-template' expects <prefix> <nb | range> <addr>[:<port>] as arguments.");
  const std::string& range = a[2];
  long first = 1, last = 0;
  char* end = nullptr;
  const size_t dash = range.find('-');
  if (dash == std::string::npos) {
    last = std::strtol(range.c_str(), &end, 10);
  } else {
    first = std::strtol(range.c_str(), &end, 10);
    if (end == range.c_str() + dash) last = std::strtol(range.c_str() + dash + 1, &end, 10);
    else end = nullptr;
  }
  if (!end || *end || first <= 0 || last < first || last - first > 100000)
    return c.alert(Form::bare, "Wrong server-template number or range arg '" + range + "'.");
  for (long n = first; n <= last; ++n)
    if (!add_server(c, a[1] + std::to_string(n), a[3], a, 4, int(n))) return;
}

void kw_default_server(ParseContext& c, const Args& a) {
  Server s = c.proxy->default_server;
  if (parse_options(c, a, 1, s, "", "default-server", true)) c.proxy->default_server = s;
}

const KeywordRow kRows[] = {
    {kInProxies, "server", false, Cap::backend, true, kw_server},
    {kInProxies, "server-template", false, Cap::backend, true, kw_server_template},
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
