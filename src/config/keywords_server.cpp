// `server NAME ADDR [options]` and `default-server [options]`. A server starts as a copy of
// the proxy's default-server settings, as in HAProxy.
#include <set>

#include "did_you_mean.h"
#include "parse_context.h"
#include "portero/config/units.h"

namespace portero::config {
namespace {

// HAProxy 2.6 server options portero does not implement yet: with a value, then flags.
const std::set<std::string>& later_valued() {
  static const std::set<std::string> s{
      "agent-addr", "agent-inter", "agent-port", "agent-send", "alpn", "ca-file", "check-alpn",
      "check-proto", "check-sni", "ciphers", "ciphersuites", "crl-file", "crt", "curves", "error-limit",
      "init-addr", "log-proto", "max-reuse", "namespace", "npn", "observe", "on-error", "on-marked-down",
      "on-marked-up", "pool-low-conn", "pool-max-conn", "pool-purge-delay", "proto", "proxy-v2-options",
      "redir", "resolve-net", "resolve-opts", "resolve-prefer", "resolvers", "shard", "sni", "socks4",
      "source", "ssl-max-ver", "ssl-min-ver", "tcp-ut", "track", "verify", "verifyhost", "ws",
      "set-proxy-v2-tlv-fmt", "usesrc", "sigalgs", "client-sigalgs", "check-via-socks4"};
  return s;
}
const std::set<std::string>& later_flags() {
  static const std::set<std::string> s{
      "agent-check", "allow-0rtt", "check-send-proxy", "check-ssl", "force-sslv3", "force-tlsv10",
      "force-tlsv11", "force-tlsv12", "force-tlsv13", "no-agent-check", "no-backup", "no-check",
      "no-check-ssl", "no-send-proxy", "no-send-proxy-v2", "no-send-proxy-v2-ssl",
      "no-send-proxy-v2-ssl-cn", "no-ssl", "no-ssl-reuse", "no-sslv3", "no-tfo", "no-tls-tickets",
      "no-tlsv10", "no-tlsv11", "no-tlsv12", "no-tlsv13", "no-verifyhost", "non-stick", "send-proxy",
      "send-proxy-v2", "send-proxy-v2-ssl", "send-proxy-v2-ssl-cn", "ssl", "ssl-reuse", "stick",
      "tfo", "tls-tickets"};
  return s;
}

const std::vector<std::string_view>& implemented() {
  static const std::vector<std::string_view> v{
      "weight", "disabled", "enabled", "backup", "maxconn", "maxqueue", "id", "cookie", "check",
      "inter", "fastinter", "downinter", "rise", "fall", "port", "addr", "slowstart"};
  return v;
}

// Parses options from a[from..] into `s`. `who` is "'server b/s1'" (or default-server's).
bool parse_options(ParseContext& c, const Args& a, size_t from, Server& s, const std::string& who) {
  for (size_t i = from; i < a.size(); ++i) {
    const std::string& o = a[i];
    const std::string v = i + 1 < a.size() ? a[i + 1] : "";
    auto need = [&]() {
      if (i + 1 >= a.size()) {
        c.alert(Form::bare, who + " : '" + o + "' expects an argument.");
        return false;
      }
      ++i;
      return true;
    };
    auto number = [&](uint32_t& out, uint32_t lo, uint32_t hi) {
      if (!need()) return false;
      uint32_t n = 0;
      if (!parse_uint(v, n) || n < lo || n > hi) {
        c.alert(Form::bare, who + " : invalid value '" + v + "' for '" + o + "' (expects " +
                                std::to_string(lo) + ".." + std::to_string(hi) + ").");
        return false;
      }
      out = n;
      return true;
    };
    auto time = [&](Millis& out) {
      if (!need()) return false;
      auto t = parse_time_ms(v);
      if (!t || *t == 0) {
        c.alert(Form::bare, who + " : invalid time value '" + v + "' for '" + o + "'.");
        return false;
      }
      out = *t;
      return true;
    };
    uint32_t n = 0;
    Millis t = 0;
    if (o == "weight") { if (!number(s.weight, 0, 256)) return false; }
    else if (o == "disabled") s.disabled = true;
    else if (o == "enabled") s.disabled = false;
    else if (o == "backup") s.backup = true;
    else if (o == "maxconn") { if (!number(s.maxconn, 0, UINT32_MAX)) return false; }
    else if (o == "maxqueue") { if (!number(s.maxqueue, 0, UINT32_MAX)) return false; }
    else if (o == "id") { if (!number(n, 1, INT32_MAX)) return false; s.id = int32_t(n); }
    else if (o == "cookie") { if (!need()) return false; s.cookie = v; }
    else if (o == "check") s.check = true;
    else if (o == "inter") { if (!time(s.inter)) return false; }
    else if (o == "fastinter") { if (!time(t)) return false; s.fastinter = t; }
    else if (o == "downinter") { if (!time(t)) return false; s.downinter = t; }
    else if (o == "rise") { if (!number(s.rise, 1, UINT32_MAX)) return false; }
    else if (o == "fall") { if (!number(s.fall, 1, UINT32_MAX)) return false; }
    else if (o == "port") { if (!number(n, 1, 65535)) return false; s.check_port = uint16_t(n); }
    else if (o == "addr") { if (!need()) return false; s.check_addr = v; }
    else if (o == "slowstart") { if (!need()) return false; auto st = parse_time_ms(v); if (!st) { c.alert(Form::bare, who + " : invalid time value '" + v + "' for 'slowstart'."); return false; } s.slowstart = *st; }
    else if (later_valued().count(o)) {
      if (!need()) return false;
      c.warning(Form::bare, who + " : option '" + o + "' is not supported yet by portero and is ignored.");
    } else if (later_flags().count(o)) {
      c.warning(Form::bare, who + " : option '" + o + "' is not supported yet by portero and is ignored.");
    } else {
      std::vector<std::string_view> all(implemented().begin(), implemented().end());
      for (auto& x : later_valued()) all.push_back(x);
      for (auto& x : later_flags()) all.push_back(x);
      std::string msg = who + " : unknown keyword '" + o + "'";
      if (auto sug = did_you_mean(o, all)) msg += "; did you mean '" + *sug + "' maybe ?";
      else msg += ".";
      c.alert(Form::bare, msg);
      return false;
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
      return c.alert(Form::bare, who + " : could not resolve address '" + a[2] + "'.");
    return c.alert(Form::bare, who + " : " + r.error);
  }
  s.address = *r.address;
  if (!parse_options(c, a, 3, s, who)) return;
  c.proxy->servers.push_back(std::move(s));
}

void kw_default_server(ParseContext& c, const Args& a) {
  Server s = c.proxy->default_server;
  if (parse_options(c, a, 1, s, "'default-server'")) c.proxy->default_server = s;
}

const KeywordRow kRows[] = {
    {kInProxies, "server", false, Cap::backend, true, kw_server},
    {kInProxies, "default-server", true, Cap::backend, false, kw_default_server},
};

}  // namespace

void register_server_keywords(Registry& r) { r.add(kRows); }

}  // namespace portero::config
