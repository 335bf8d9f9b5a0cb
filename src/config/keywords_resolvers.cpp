// `resolvers NAME` sections: `nameserver <name> <ip>:<port>`, `parse-resolv-conf`,
// `accepted_payload_size`, `resolve_retries`, `timeout resolve|retry`, `hold <status> <time>`,
// with HAProxy 2.6's messages. The servers that name a section are resolved by the dns/ module.
#include <cstring>
#include <fstream>
#include <sstream>

#include "parse_context.h"

namespace portero::config {
namespace {

bool valid_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == ':';
}

// The `nameserver` lines of a resolv.conf text, each named after its address as HAProxy does.
void add_resolv_conf(ResolversSection& s, const std::string& text, const Origin& origin) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string kw, ip;
    if (!(words >> kw >> ip) || kw != "nameserver") continue;
    const bool v6 = ip.find(':') != std::string::npos;
    auto r = parse_address(v6 ? "[" + ip + "]:53" : ip + ":53", true);
    if (!r.address || r.address->kind != Address::Kind::inet) continue;
    bool dup = false;
    for (const auto& ns : s.nameservers) dup = dup || ns.name == ip;
    if (!dup) s.nameservers.push_back({origin, ip, *r.address, false});
  }
}

std::string read_file(const char* path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

void open_resolvers(ParseContext& c, const Args& a) {
  c.resolvers = nullptr;
  if (a.size() < 2 || a[1].empty()) {
    c.alert("missing name for resolvers section.");
    c.abort = true;
    return;
  }
  for (char ch : a[1])
    if (!valid_name_char(ch)) {
      c.alert(std::string("character '") + ch + "' is not permitted in 'resolvers' name '" + a[1] + "'.");
      c.abort = true;
      return;
    }
  for (const auto& other : c.config.resolvers)
    if (other.name == a[1]) {
      // HAProxy's allocation then fails on the duplicate id, hence its second line.
      c.alert(Form::checks, "resolvers '" + a[1] + "' has same name as another resolvers (declared at " +
                                other.origin.file + ":" + std::to_string(other.origin.line) + ").");
      c.alert("out of memory.");
      c.abort = true;
      return;
    }
  ResolversSection s;
  s.origin = c.origin;
  s.name = a[1];
  c.config.resolvers.push_back(std::move(s));
  c.resolvers = &c.config.resolvers.back();
}

void parse_resolvers_line(ParseContext& c, const Args& a) {
  ResolversSection* s = c.resolvers;
  if (!s) return;
  const std::string& kw = a[0];
  auto time_arg = [&](const std::string& v, const std::string& what) -> std::optional<Millis> {
    if (auto bad = time_stop_char(v)) {
      c.alert(Form::tight, "unexpected character '" + std::string(1, *bad) + "' in argument to <" + what + ">.");
      return std::nullopt;
    }
    return time_value(c, v);
  };
  if (kw == "nameserver") {
    if (a.size() < 3 || a[2].empty()) return c.alert("'nameserver' expects <name> and <addr>[:<port>] as arguments.");
    for (const auto& ns : s->nameservers)
      if (ns.name == a[1])
        return c.alert(Form::checks, "nameserver '" + a[1] + "' has same name as another nameserver (declared at " +
                                         ns.origin.file + ":" + std::to_string(ns.origin.line) + ").");
    // `udp@` (the default) and `tcp@` (DNS over TCP, HAProxy 2.6's "dns stream") name the transport.
    std::string text = a[2];
    bool tcp = false;
    for (const char* p : {"udp@", "udp4@", "udp6@", "tcp@", "tcp4@", "tcp6@"})
      if (text.starts_with(p)) {
        tcp = p[0] == 't';
        text = std::string(p[3] == '@' ? "" : p[3] == '4' ? "ipv4@" : "ipv6@") + text.substr(std::strlen(p));
        break;
      }
    auto r = parse_address(text, false);
    if (!r.address) return c.alert("'nameserver " + a[1] + "' : " + r.error);
    if (r.address->port_offset)
      return c.alert("'nameserver " + a[1] + "' : port offset not permitted here in '" + a[2] + "'");
    if (r.address->kind != Address::Kind::inet) {
      // HAProxy refuses it once every file is read, when it makes the socket (check_resolvers).
      s->unusable_nameservers.push_back(a[1]);
      return;
    }
    if (r.address->port_lo == 0)
      return c.alert("'nameserver " + a[1] + "' : missing port specification in '" + a[2] + "'");
    s->nameservers.push_back({c.origin, a[1], *r.address, tcp});
    return;
  }
  if (kw == "parse-resolv-conf") {
    add_resolv_conf(*s, read_file("/etc/resolv.conf"), c.origin);
    return;
  }
  if (kw == "accepted_payload_size") {
    if (a.size() < 2 || a[1].empty()) return c.alert("'accepted_payload_size' expects <nb> as argument.");
    const long n = std::strtol(a[1].c_str(), nullptr, 10);
    if (n < 12 || n > 65535)
      return c.alert("'accepted_payload_size' must be between 12 and 65535 inclusive (was " + a[1] + ").");
    s->accepted_payload_size = uint32_t(n);
    return;
  }
  if (kw == "resolve_retries") {
    if (a.size() < 2 || a[1].empty()) return c.alert("'resolve_retries' expects <nb> as argument.");
    const long n = std::strtol(a[1].c_str(), nullptr, 10);
    s->resolve_retries = n > 0 ? uint32_t(std::min<long>(n, 100)) : 0;
    return;
  }
  if (kw == "timeout") {
    const std::string which = a.size() > 1 ? a[1] : "";
    if (which != "retry" && which != "resolve")
      return c.alert("'timeout' expects 'retry' or 'resolve' and <time> as arguments got '" + which + "'.");
    if (a.size() < 3 || a[2].empty()) return c.alert("'timeout " + which + "' expects <time> as argument.");
    auto t = time_arg(a[2], "timeout " + which);
    if (!t) return;
    (which == "retry" ? s->timeout_retry : s->timeout_resolve) = *t;
    return;
  }
  if (kw == "hold") {
    if (a.size() < 3 || a[2].empty()) {
      c.alert("'hold' expects an <event> and a <time> as arguments.");
      c.diag.alert("<event> can be either 'valid', 'nx', 'refused', 'timeout', or 'other'");
      return;
    }
    Millis* slot = a[1] == "valid" ? &s->hold_valid : a[1] == "nx" ? &s->hold_nx : a[1] == "other" ? &s->hold_other
                 : a[1] == "refused" ? &s->hold_refused : a[1] == "timeout" ? &s->hold_timeout
                 : a[1] == "obsolete" ? &s->hold_obsolete : nullptr;
    if (!slot)
      return c.alert("'hold' unknown <event>: '" + a[1] +
                     "', expects either 'nx', 'timeout', 'valid', 'obsolete' or 'other'.");
    auto t = time_arg(a[2], "hold");
    if (!t) return;
    *slot = *t;
    return;
  }
  c.alert("unknown keyword '" + kw + "' in 'resolvers' section");
}

void check_resolvers(Config& config, Diagnostics& diag) {
  // HAProxy 2.6 always has a `default` section made from /etc/resolv.conf (unless one is
  // written); `show resolvers` lists it.
  if (!config.find_resolvers("default")) {
    ResolversSection d;
    d.name = "default";
    d.implicit = true;
    add_resolv_conf(d, read_file("/etc/resolv.conf"), Origin{"/etc/resolv.conf", 0});
    if (!d.nameservers.empty()) config.resolvers.push_back(std::move(d));
  }
  for (const auto& r : config.resolvers)
    for (const auto& n : r.unusable_nameservers)
      diag.alert("resolvers '" + r.name + "': can't create socket for nameserver '" + n + "'.");
  for (const auto& r : config.resolvers)
    if (r.nameservers.empty() && r.unusable_nameservers.empty())
      diag.warning("resolvers '" + r.name + "' [" + r.origin.file + ":" + std::to_string(r.origin.line) +
                   "] has no nameservers configured!");
  for (const auto& p : config.proxies)
    for (size_t i = 0; i < p.servers.size(); ++i) {
      const Server& s = p.servers[i];
      if (!s.resolvers.empty() && !config.find_resolvers(s.resolvers))
        diag.alert(std::string(p.is_frontend() && !p.is_backend() ? "frontend" : p.kind == Proxy::Kind::listen ? "proxy" : "backend") +
                   " '" + p.name + "', server '" + s.name + "': unable to find required resolvers '" + s.resolvers + "'");
    }
}

}  // namespace portero::config
