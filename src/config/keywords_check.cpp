// Health check keywords (owned by the check module's feature): server options (agent-*,
// observe, on-error, ...), `option httpchk|tcp-check|external-check|log-health-checks`,
// `http-check`, `tcp-check`, `external-check`, and global `external-check` / `spread-checks`.
// Messages are HAProxy 2.6.12's (captured from `haproxy -c`).
#include <cstdlib>
#include <functional>

#include "checks.h"
#include "parse_context.h"
#include "portero/config/units.h"
#include "unimplemented.h"

namespace portero::config {
namespace {

long lenient(const std::string& v) { return std::strtol(v.c_str(), nullptr, 10); }

// Every check option portero parses but does not act on is refused through the table of
// unimplemented keywords: a check must decide, send and report what its configuration says.
bool refused(ParseContext& c, GapContext ctx, const std::string& word, const std::string& parent) {
  return check_unimplemented(c, ctx, word, parent) == GapResult::refused;
}

// A log-format argument (`send-lf`, `uri-lf`...) is taken as written: refused when it holds
// something to evaluate.
bool refused_lf(ParseContext& c, const std::string& word, const std::string& value, const std::string& parent) {
  return word.ends_with("-lf") && value.find('%') != std::string::npos && refused(c, GapContext::check, word, parent);
}

// `expect` options before the pattern: `comment` is a label; the others change the verdict or
// what it reports. Returns false after an error.
bool expect_options(ParseContext& c, const Args& a, size_t& i, const std::string& parent) {
  while (i < a.size() && (a[i] == "min-recv" || a[i] == "comment" || a[i] == "ok-status" || a[i] == "error-status" ||
                          a[i] == "tout-status" || a[i] == "on-success" || a[i] == "on-error" || a[i] == "status-code")) {
    if (a[i] != "comment" && refused(c, GapContext::check, a[i], parent)) return false;
    i += 2;
  }
  return true;
}

// `connect` options; `implemented` says which the caller handles. Returns false after an error.
bool connect_options(ParseContext& c, const Args& a, const std::string& parent,
                     const std::function<int(size_t&)>& implemented) {
  for (size_t i = 2; i < a.size(); ++i) {
    if (a[i] == "default") continue;
    if (a[i] == "comment") { ++i; continue; }
    if (int r = implemented(i); r != 0) {
      if (r < 0) return false;
      continue;
    }
    const GapResult g = check_unimplemented(c, GapContext::check_connect, a[i], parent);
    if (g == GapResult::refused) return false;
    if (g == GapResult::none) {
      c.alert("'" + parent + "' : expects 'comment', 'port', 'addr', 'send-proxy', 'ssl', 'sni', 'alpn' or "
              "'via-socks4', 'linger', 'default' but got '" + a[i] + "' as argument..");
      return false;
    }
  }
  return true;
}

std::string lower(std::string s) {
  for (auto& ch : s) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// "0a0d" -> bytes; returns the offending character on failure.
std::optional<char> decode_hex(const std::string& in, std::string& out) {
  out.clear();
  auto val = [](char ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < in.size(); ++i)
    if (val(in[i]) < 0) return in[i];
  if (in.size() % 2) return '\0';
  for (size_t i = 0; i < in.size(); i += 2) out.push_back(char(val(in[i]) * 16 + val(in[i + 1])));
  return std::nullopt;
}

void kw_http_check(ParseContext& c, const Args& a) {
  Proxy& p = *c.proxy;
  CheckSetup& k = p.checks;
  const std::string sub = a.size() > 1 ? a[1] : "";
  if (sub == "disable-on-404" || sub == "send-state") {
    if (a.size() > 2) return c.alert("'http-check' cannot handle unexpected argument '" + a[2] + "'.");
    (sub == "disable-on-404" ? k.disable_on_404 : k.send_state) = true;
    return;
  }
  if (sub == "comment") return;
  if (sub.starts_with("set-var") || sub.starts_with("unset-var")) {
    refused(c, GapContext::check, sub, "http-check");
    return;
  }
  if (sub == "connect") {
    connect_options(c, a, "http-check connect", [](size_t&) { return 0; });
    return;
  }
  if (sub == "send") {
    std::vector<std::pair<std::string, std::string>> headers;
    bool has_hdr = false;
    for (size_t i = 2; i < a.size(); ++i) {
      const std::string& o = a[i];
      auto need = [&](const char* what) {
        if (i + 1 >= a.size() || a[i + 1].empty()) {
          c.alert("'http-check send' : '" + o + "' expects " + what + " as argument..");
          return false;
        }
        return true;
      };
      if (o == "meth") { if (!need("a string")) return; k.method = a[++i]; }
      else if (o == "uri" || o == "uri-lf") {
        if (!need("a string") || refused_lf(c, o, a[i + 1], "http-check send")) return;
        k.uri = a[++i];
      }
      else if (o == "ver") { if (!need("a string")) return; k.version = a[++i]; }
      else if (o == "body" || o == "body-lf") {
        if (!need("a string") || refused_lf(c, o, a[i + 1], "http-check send")) return;
        k.body = a[++i];
      }
      else if (o == "comment") { if (!need("a string")) return; ++i; }
      else if (o == "hdr") {
        if (i + 2 >= a.size()) return c.alert("'http-check send' : 'hdr' expects <name> and <value> as arguments..");
        headers.emplace_back(lower(a[i + 1]), a[i + 2]);
        has_hdr = true;
        i += 2;
      } else {
        return c.alert("'http-check send' : expects 'comment', 'meth', 'uri', 'uri-lf', 'ver', 'hdr', 'body' or "
                       "'body-lf' but got '" + o + "' as argument..");
      }
    }
    // The header list of the later declaration replaces the earlier one entirely, which also
    // drops headers hidden in an `option httpchk` version string.
    if (has_hdr) {
      k.headers = std::move(headers);
      if (auto crlf = k.version.find("\r\n"); crlf != std::string::npos) k.version.resize(crlf);
    }
    if (k.kind != CheckSetup::Kind::http && p.httpchk) k.kind = CheckSetup::Kind::http;
    return;
  }
  if (sub == "expect") {
    size_t i = 2;
    bool neg = false;
    if (!expect_options(c, a, i, "http-check expect")) return;
    if (i >= a.size()) return c.alert("'http-check expect' : expects at least a matching pattern as arguments.");
    std::string m = a[i];
    if (m == "!" && i + 1 < a.size()) {   // "! status 500": spaces allowed after the '!'
      neg = true;
      m = a[++i];
    } else if (m.starts_with("!")) {
      neg = true;
      m = m.substr(1);
    }
    HttpCheckExpect e;
    e.negate = neg;
    if (m == "status") e.kind = HttpCheckExpect::Kind::status;
    else if (m == "rstatus") e.kind = HttpCheckExpect::Kind::rstatus;
    else if (m == "string" || m == "string-lf") e.kind = HttpCheckExpect::Kind::string;
    else if (m == "rstring") e.kind = HttpCheckExpect::Kind::rstring;
    else if (m == "hdr" || m == "fhdr") {
      // hdr { name | name-lf } [-m meth] <name> [{ value | value-lf } [-m meth] <value>]
      e.kind = m == "hdr" ? HttpCheckExpect::Kind::hdr : HttpCheckExpect::Kind::fhdr;
      size_t j = i + 1;
      auto method = [&](HttpCheckExpect::Match& out) {
        if (j + 1 < a.size() && a[j] == "-m") {
          const std::string& w = a[j + 1];
          if (w == "str") out = HttpCheckExpect::Match::str;
          else if (w == "beg") out = HttpCheckExpect::Match::beg;
          else if (w == "end") out = HttpCheckExpect::Match::end;
          else if (w == "sub") out = HttpCheckExpect::Match::sub;
          else if (w == "reg") out = HttpCheckExpect::Match::reg;
          else {
            c.alert("'http-check expect' : '" + m + "' : unknown matching method '" + w + "'.");
            return false;
          }
          j += 2;
        }
        return true;
      };
      if (j >= a.size() || (a[j] != "name" && a[j] != "name-lf"))
        return c.alert("'http-check expect' : '" + m + "' : missing header name.");
      ++j;
      if (!method(e.name_match)) return;
      if (j >= a.size()) return c.alert("'http-check expect' : '" + m + "' : missing header name.");
      e.pattern = a[j++];
      if (j < a.size() && (a[j] == "value" || a[j] == "value-lf")) {
        ++j;
        if (!method(e.value_match)) return;
        if (j >= a.size()) return c.alert("'http-check expect' : '" + m + "' : missing header value.");
        e.has_value = true;
        e.value = a[j++];
      }
      k.expects.push_back(std::move(e));
      return;
    }
    else
      return c.alert("'http-check expect' : 'only supports min-recv, [!]string', '[!]rstring', '[!]string-lf', "
                     "'[!]status', '[!]rstatus', [!]hdr, [!]fhdr or comment but got '" + a[i] + "' as argument..");
    if (i + 1 >= a.size()) return c.alert("'http-check expect' : '" + m + "' expects a <pattern> as argument.");
    if (refused_lf(c, m, a[i + 1], "http-check expect")) return;
    e.pattern = a[i + 1];
    k.expects.push_back(std::move(e));
    return;
  }
  c.alert(Form::tight, "'http-check' only supports 'disable-on-404', 'send-state', 'comment', 'connect', 'send', 'expect', "
          "'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'. but got '" + sub + "'");
}

void kw_tcp_check(ParseContext& c, const Args& a) {
  CheckSetup& k = c.proxy->checks;
  const std::string sub = a.size() > 1 ? a[1] : "";
  TcpCheckRule r;
  if (sub == "comment") return;
  if (sub.starts_with("set-var") || sub.starts_with("unset-var")) {
    refused(c, GapContext::check, sub, "tcp-check");
    return;
  }
  if (sub == "connect") {
    r.kind = TcpCheckRule::Kind::connect;
    const bool ok = connect_options(c, a, "tcp-check connect", [&](size_t& i) {
      if (a[i] == "port" && i + 1 < a.size()) {
        const long n = lenient(a[i + 1]);
        if (n <= 0 || n > 65535 || a[i + 1].find_first_not_of("0123456789") != std::string::npos) {
          c.alert("'tcp-check connect' : error detected while parsing port expression : unknown fetch method '" +
                  a[i + 1] + "'.");
          return -1;
        }
        r.port = uint16_t(n);
        ++i;
        return 1;
      }
      if (a[i] == "send-proxy") {
        r.send_proxy = true;
        return 1;
      }
      return 0;
    });
    if (!ok) return;
  } else if (sub == "send" || sub == "send-lf") {
    if (a.size() < 3) return c.alert("'tcp-check send' : 'string' expects a send as argument.");
    if (refused_lf(c, sub, a[2], "tcp-check")) return;
    r.kind = TcpCheckRule::Kind::send;
    r.data = a[2];
  } else if (sub == "send-binary" || sub == "send-binary-lf") {
    if (a.size() < 3) return c.alert("'tcp-check send-binary' : 'binary' expects a send as argument.");
    if (refused_lf(c, sub, a[2], "tcp-check")) return;
    if (auto bad = decode_hex(a[2], r.data))
      return c.alert("'tcp-check send-binary' : '" + a[2] + "' invalid binary string (an hex digit is expected (found '" +
                     std::string(1, *bad) + "')).");
    r.kind = TcpCheckRule::Kind::send_binary;
  } else if (sub == "expect") {
    size_t i = 2;
    if (!expect_options(c, a, i, "tcp-check expect")) return;
    if (i >= a.size()) return c.alert("'tcp-check expect' : expects at least a matching pattern as arguments.");
    std::string m = a[i];
    if (m.starts_with("!")) {
      r.negate = true;
      m = m.substr(1);
    }
    if (m == "string" || m == "string-lf") r.kind = TcpCheckRule::Kind::expect_string;
    else if (m == "rstring") r.kind = TcpCheckRule::Kind::expect_rstring;
    else if (m == "binary" || m == "binary-lf") r.kind = TcpCheckRule::Kind::expect_binary;
    else if (m == "rbinary") r.kind = TcpCheckRule::Kind::expect_rbinary;
    else
      return c.alert("'tcp-check expect' : 'only supports min-recv, '[!]binary', '[!]string', '[!]rstring', "
                     "'[!]string-lf''[!]rbinary', '[!]binary-lf' or comment but got '" + a[i] + "' as argument..");
    if (i + 1 >= a.size()) return c.alert("'tcp-check expect' : '" + m + "' expects a <pattern> as argument.");
    if (refused_lf(c, m, a[i + 1], "tcp-check expect")) return;
    r.data = a[i + 1];
    if (r.kind == TcpCheckRule::Kind::expect_binary && m != "rbinary") {
      std::string bytes;
      if (auto bad = decode_hex(a[i + 1], bytes))
        return c.alert("'tcp-check expect' : '" + a[i + 1] + "' invalid binary string (an hex digit is expected (found '" +
                       std::string(1, *bad) + "')).");
      r.data = bytes;
    }
  } else {
    return c.alert(Form::tight, "'tcp-check' only supports 'comment', 'connect', 'send', 'send-binary', 'expect', "
                   "'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'. but got '" + sub + "'");
  }
  k.tcp_rules.push_back(std::move(r));
}

void kw_external_check(ParseContext& c, const Args& a) {
  CheckSetup& k = c.proxy->checks;
  const std::string sub = a.size() > 1 ? a[1] : "";
  if (sub == "command" || sub == "path") {
    if (a.size() < 3) return c.alert("missing argument after '" + sub + "'.");
    (sub == "command" ? k.external_command : k.external_path) = a[2];
    return;
  }
  c.alert("'external-check' only supports 'command' and 'path'. but got '" + sub + "'.");
}

void kw_global_external_check(ParseContext& c, const Args&) { c.config.global.external_check = true; }

void kw_spread_checks(ParseContext& c, const Args& a) {
  if (a.size() < 2) return c.alert("'" + a[0] + "' expects an integer argument (0..50).");
  const long n = lenient(a[1]);
  if (n < 0 || n > 50) return c.alert("'" + a[0] + "' needs a positive value in range 0..50.");
  c.config.global.spread_checks = uint32_t(n);
}

const KeywordRow kRows[] = {
    {kInProxies, "http-check", true, Cap::backend, false, kw_http_check},
    {kInProxies, "tcp-check", true, Cap::backend, false, kw_tcp_check},
    {kInProxies, "external-check", true, Cap::backend, false, kw_external_check},
    {kInGlobal, "external-check", false, Cap::any, false, kw_global_external_check},
    {kInGlobal, "spread-checks", false, Cap::any, false, kw_spread_checks},
};

// ---- protocol checks: predefined tcp-check sequences ------------------------------------------

TcpCheckRule builtin(TcpCheckRule::Kind kind, std::string data) {
  TcpCheckRule r;
  r.kind = kind;
  r.data = std::move(data);
  r.builtin = true;
  return r;
}

TcpCheckRule expect_rstring(std::string re, std::string error_status, TcpCheckRule::Msg on_error) {
  TcpCheckRule r = builtin(TcpCheckRule::Kind::expect_rstring, std::move(re));
  r.min_recv = 4;
  r.error_status = std::move(error_status);
  r.on_error = on_error;
  return r;
}

std::string le24(size_t n) { return std::string{char(n & 0xff), char((n >> 8) & 0xff), char((n >> 16) & 0xff)}; }

std::vector<TcpCheckRule> redis_rules() {
  TcpCheckRule e = builtin(TcpCheckRule::Kind::expect_string, "+PONG");
  e.error_status = "L7STS";
  e.on_error = TcpCheckRule::Msg::line;
  e.on_success = TcpCheckRule::Msg::text;
  e.success_text = "Redis server is ok";
  return {builtin(TcpCheckRule::Kind::send, "*1\r\n$4\r\nPING\r\n"), e};
}

// An SSLv3 ClientHello (record version 3.0) offering the 39 suites 0x0001-0x001b and
// 0x002f-0x003a and no compression; the 4 bytes of time at offset 11 are set when sent.
std::vector<TcpCheckRule> ssl_hello_rules() {
  std::string hello("\x16\x03\x00\x00\x79\x01\x00\x00\x75\x03\x00", 11);
  hello.append(4, '\0');
  hello += "HAPROXYSSLCHK\nHAPROXYSSLCHK\n";
  hello += std::string("\x00\x00\x4e", 3);
  for (int s = 0x01; s <= 0x1b; ++s) hello += std::string{'\0', char(s)};
  for (int s = 0x2f; s <= 0x3a; ++s) hello += std::string{'\0', char(s)};
  hello += std::string("\x01\x00", 2);
  TcpCheckRule send = builtin(TcpCheckRule::Kind::send_binary, hello);
  send.unix_time_at_11 = true;
  // A handshake (0x16) or alert (0x15) record: the server speaks TLS.
  TcpCheckRule e = builtin(TcpCheckRule::Kind::expect_rbinary, "^1[56]");
  e.min_recv = 5;
  e.ok_status = "L6OK";
  e.error_status = "L6RSP";
  e.tout_status = "L6TOUT";
  return {send, e};
}

std::vector<TcpCheckRule> smtp_rules(const std::string& cmd) {
  using M = TcpCheckRule::Msg;
  std::vector<TcpCheckRule> out;
  out.push_back(builtin(TcpCheckRule::Kind::connect, ""));
  out.push_back(expect_rstring("^[0-9]{3}[ \r]", "L7RSP", M::line));            // a banner
  TcpCheckRule ok = expect_rstring("^2[0-9]{2}[ \r]", "L7STS", M::after_code);   // a 2xx banner
  ok.code_from_reply = true;
  out.push_back(ok);
  out.push_back(builtin(TcpCheckRule::Kind::send, cmd + "\r\n"));
  TcpCheckRule hello = expect_rstring("^2[0-9]{2}[- \r]", "L7STS", M::after_code);
  hello.code_from_reply = true;
  out.push_back(hello);
  out.push_back(builtin(TcpCheckRule::Kind::send, "QUIT\r\n"));
  hello.on_success = M::after_code;
  out.push_back(hello);
  return out;
}

std::vector<TcpCheckRule> mysql_rules(const std::string& user, bool pre41) {
  std::vector<TcpCheckRule> out;
  out.push_back(builtin(TcpCheckRule::Kind::connect, ""));
  if (!user.empty()) {
    // A login packet (sequence 1, no password) followed by COM_QUIT.
    std::string body = pre41 ? std::string("\x00\x80" "\x00\x00\x01", 5)
                             : std::string("\x00\x82\x00\x00" "\x00\x80\x00\x01" "\x21", 9) + std::string(23, '\0');
    body += user;
    body += std::string("\0\0", 2);
    std::string pkt = le24(body.size()) + '\x01' + body + std::string("\x01\x00\x00\x00\x01", 5);
    out.push_back(builtin(TcpCheckRule::Kind::send_binary, pkt));
  }
  TcpCheckRule greeting = builtin(TcpCheckRule::Kind::expect_custom, "");
  greeting.custom = TcpCheckRule::Custom::mysql_greeting;
  out.push_back(greeting);
  if (!user.empty()) {
    TcpCheckRule ok = builtin(TcpCheckRule::Kind::expect_custom, "");
    ok.custom = TcpCheckRule::Custom::mysql_ok;
    out.push_back(ok);
  }
  return out;
}

std::vector<TcpCheckRule> pgsql_rules(const std::string& user) {
  std::string body = std::string("\x00\x03\x00\x00", 4) + "user" + '\0' + user + '\0' + '\0';
  const uint32_t len = uint32_t(body.size() + 4);
  std::string pkt{char(len >> 24), char(len >> 16), char(len >> 8), char(len)};
  pkt += body;
  std::vector<TcpCheckRule> out;
  out.push_back(builtin(TcpCheckRule::Kind::connect, ""));
  out.push_back(builtin(TcpCheckRule::Kind::send_binary, pkt));
  TcpCheckRule no_error = builtin(TcpCheckRule::Kind::expect_rstring, "^E");   // an ErrorResponse
  no_error.negate = true;
  no_error.min_recv = 5;
  no_error.error_status = "L7RSP";
  no_error.on_error = TcpCheckRule::Msg::cstring_at6;
  out.push_back(no_error);
  // AuthenticationOk, or a request for a password (cleartext, MD5...): the server is up.
  TcpCheckRule auth = builtin(TcpCheckRule::Kind::expect_rbinary, "^52000000(08|0A|0C)000000(00|02|03|04|05|06)");
  auth.min_recv = 9;
  auth.error_status = "L7STS";
  auth.on_success = auth.on_error = TcpCheckRule::Msg::text;
  auth.success_text = "PostgreSQL server is ok";
  auth.error_text = "PostgreSQL unknown error";
  out.push_back(auth);
  return out;
}

std::vector<TcpCheckRule> ldap_rules() {
  // An anonymous simple BindRequest, LDAPv3, messageID 1.
  std::vector<TcpCheckRule> out;
  out.push_back(builtin(TcpCheckRule::Kind::send_binary,
                        std::string("\x30\x0c\x02\x01\x01\x60\x07\x02\x01\x03\x04\x00\x80\x00", 14)));
  TcpCheckRule seq = builtin(TcpCheckRule::Kind::expect_rbinary, "^30");   // a BER SEQUENCE
  seq.min_recv = 14;
  seq.on_error = TcpCheckRule::Msg::text;
  seq.error_text = "Not LDAPv3 protocol";
  out.push_back(seq);
  TcpCheckRule bind = builtin(TcpCheckRule::Kind::expect_custom, "");
  bind.custom = TcpCheckRule::Custom::ldap_bind;
  out.push_back(bind);
  return out;
}

// `option redis-check|ssl-hello-chk|smtpchk|mysql-check|pgsql-check|ldap-check`: true when `o`
// is one of them (handled, errors included).
bool parse_protocol_check(ParseContext& c, const Args& a) {
  const std::string& o = a[1];
  if (o != "redis-check" && o != "ssl-hello-chk" && o != "smtpchk" && o != "mysql-check" && o != "pgsql-check" &&
      o != "ldap-check")
    return false;
  if (c.negated) {
    c.alert(Form::tight, "negation/default is not supported for option '" + o + "'.");
    return true;
  }
  auto unexpected = [&](size_t i) {
    if (a.size() <= i) return false;
    c.alert("'option " + o + "' cannot handle unexpected argument '" + a[i] + "'.");
    return true;
  };
  std::vector<TcpCheckRule> rules;
  if (o == "redis-check") {
    if (unexpected(2)) return true;
    rules = redis_rules();
  } else if (o == "ssl-hello-chk") {
    if (unexpected(2)) return true;
    rules = ssl_hello_rules();
  } else if (o == "ldap-check") {
    if (unexpected(2)) return true;
    rules = ldap_rules();
  } else if (o == "smtpchk") {
    if (unexpected(4)) return true;
    // Anything but "HELO <domain>" or "EHLO <domain>" says HELO localhost.
    std::string cmd = "HELO localhost";
    if (a.size() == 4 && (a[2] == "HELO" || a[2] == "EHLO")) cmd = a[2] + " " + a[3];
    rules = smtp_rules(cmd);
  } else if (o == "mysql-check") {
    std::string user;
    bool pre41 = false;
    if (a.size() > 2) {
      if (a[2] != "user") {
        c.alert("'option mysql-check' only supports optional values: 'user' (got '" + a[2] + "').");
        return true;
      }
      if (a.size() < 4 || a[3].empty()) {
        c.alert("'option mysql-check user' expects <username> as argument.");
        return true;
      }
      user = a[3];
      if (a.size() > 4) {
        if (a[4] == "pre-41") pre41 = true;
        else if (a[4] != "post-41") {
          c.alert("keyword 'user' only supports 'post-41' and 'pre-41' (got '" + a[4] + "').");
          return true;
        }
      }
      if (unexpected(5)) return true;
    }
    rules = mysql_rules(user, pre41);
  } else {   // pgsql-check
    if (a.size() < 4 || a[2] != "user" || a[3].empty()) {
      c.alert("'option pgsql-check' expects 'user <username>' as argument.");
      return true;
    }
    if (unexpected(4)) return true;
    rules = pgsql_rules(a[3]);
  }
  CheckSetup& k = c.proxy->checks;
  k.kind = CheckSetup::Kind::tcp_check;
  k.tcp_rules = std::move(rules);
  k.protocol = o;
  return true;
}

}  // namespace

bool parse_check_option(ParseContext& c, const Args& a) {
  Proxy& p = *c.proxy;
  const std::string& o = a[1];
  if (o == "log-health-checks") {
    p.checks.log_health_checks = !c.negated;
    return true;
  }
  if (parse_protocol_check(c, a)) return true;
  if (o == "tcp-check") {
    // A protocol check's predefined sequence gives way to the rules written after.
    if (!c.negated && !p.checks.protocol.empty()) {
      p.checks.tcp_rules.clear();
      p.checks.protocol.clear();
    }
    if (!c.negated) p.checks.kind = CheckSetup::Kind::tcp_check;
    else if (p.checks.kind == CheckSetup::Kind::tcp_check) p.checks.kind = CheckSetup::Kind::tcp;
    return true;
  }
  if (o == "external-check") {
    if (!c.negated) p.checks.kind = CheckSetup::Kind::external;
    else if (p.checks.kind == CheckSetup::Kind::external) p.checks.kind = CheckSetup::Kind::tcp;
    return true;
  }
  if (o == "httpchk") {
    if (c.negated) return false;
    if (a.size() > 5) {
      c.alert("'option httpchk' cannot handle unexpected argument '" + a[5] + "'.");
      return true;
    }
    // A new `option httpchk` resets the request inherited from defaults.
    CheckSetup& k = p.checks;
    k.kind = CheckSetup::Kind::http;
    k.method = "OPTIONS";
    k.uri = "/";
    k.version = "HTTP/1.0";
    k.headers.clear();
    k.body.clear();
    if (a.size() == 3) k.uri = a[2];
    else if (a.size() >= 4) {
      k.method = a[2];
      k.uri = a[3];
      if (a.size() == 5) k.version = a[4];
      if (k.version.find("\r\n") != std::string::npos)
        c.warning(Form::tight, "'option httpchk' : hiding headers or body at the end of the version string is deprecated."
                  " Please, consider to use 'http-check send' directive instead.");
    }
    return false;   // the option file also records httpchk / httpchk_words
  }
  return false;
}

int parse_check_server_option(ParseContext& c, const Args& a, size_t& i, Server& s, const std::string& prefix,
                              const std::string& srv) {
  const std::string& o = a[i];
  const bool has = i + 1 < a.size();
  const std::string v = has ? a[i + 1] : "";
  auto fail = [&](const std::string& why) {
    c.alert(Form::bare, prefix + why);
    return -1;
  };
  if (o == "check-send-proxy") { s.check_send_proxy = true; return 1; }
  if (o == "no-check-send-proxy") { s.check_send_proxy = false; return 1; }
  if (o == "agent-check") { s.agent_check = true; return 1; }
  if (o == "no-agent-check") { s.agent_check = false; return 1; }
  if (o == "no-check") { s.check = false; return 1; }
  if (o == "agent-port") {
    if (v.empty()) return fail("'agent-port' expects a port number as argument..");
    const long n = lenient(v);
    if (n > 0 && n <= 65535) s.agent_port = uint16_t(n);
    ++i;
    return 1;
  }
  if (o == "agent-inter") {
    if (v.empty()) return fail("'agent-inter' expects a delay as argument..");
    if (auto bad = time_stop_char(v))
      return fail("unexpected character '" + std::string(1, *bad) + "' in 'agent-inter' argument of server " + srv + "..");
    auto t = time_value(c, v, prefix.size() > 3 ? prefix.substr(0, prefix.size() - 3) : std::string());
    if (!t || *t == 0) return fail("invalid value 0 for argument 'agent-inter' of server " + srv + "..");
    s.agent_inter = *t;
    ++i;
    return 1;
  }
  if (o == "agent-send") {
    if (v.empty()) return fail("'agent-send' expects a string as argument..");
    s.agent_send = v;
    ++i;
    return 1;
  }
  if (o == "agent-addr") {
    if (v.empty()) return fail("'agent-addr' expects an address as argument..");
    s.agent_addr = v;
    ++i;
    return 1;
  }
  if (o == "observe") {
    if (v.empty()) return fail("'observe' expects <mode> as argument..");
    if (v == "none") s.observe = Server::Observe::none;
    else if (v == "layer4") s.observe = Server::Observe::layer4;
    else if (v == "layer7") s.observe = Server::Observe::layer7;
    else return fail("'observe' expects one of 'none', 'layer4', 'layer7' but got '" + v + "'.");
    ++i;
    return 1;
  }
  if (o == "error-limit") {
    if (v.empty()) return fail("'error-limit' expects integer argument..");
    const long n = lenient(v);
    if (n <= 0) return fail("error-limit has to be > 0..");
    s.error_limit = uint32_t(n);
    ++i;
    return 1;
  }
  if (o == "on-error") {
    if (v == "fastinter") s.on_error = Server::OnError::fastinter;
    else if (v == "fail-check") s.on_error = Server::OnError::fail_check;
    else if (v == "sudden-death") s.on_error = Server::OnError::sudden_death;
    else if (v == "mark-down") s.on_error = Server::OnError::mark_down;
    else
      return fail("'on-error' expects one of 'fastinter', 'fail-check', 'sudden-death' or 'mark-down' but got '" + v + "'.");
    ++i;
    return 1;
  }
  if (o == "on-marked-down") {
    if (v != "shutdown-sessions") return fail("'on-marked-down' expects 'shutdown-sessions' but got '" + v + "'.");
    s.on_marked_down_shutdown = true;
    ++i;
    return 1;
  }
  if (o == "on-marked-up") {
    if (v != "shutdown-backup-sessions")
      return fail("'on-marked-up' expects 'shutdown-backup-sessions' but got '" + v + "'.");
    s.on_marked_up_shutdown_backup = true;
    ++i;
    return 1;
  }
  return 0;
}

// Checks once a proxy is complete (HAProxy's post-parse messages).
void check_check_setup(const Proxy& p, Diagnostics& diag) {
  if (p.checks.kind == CheckSetup::Kind::external && p.checks.external_command.empty())
    diag.alert("Proxy '" + p.name + "' : 'option external-check' unable to find required 'external-check command'.");
  // A check needs a port to connect to: the server's, or its own `port` (HAProxy refuses both missing).
  const bool connect_has_port = !p.checks.tcp_rules.empty() &&
                                p.checks.tcp_rules.front().kind == TcpCheckRule::Kind::connect &&
                                p.checks.tcp_rules.front().port.has_value();
  for (const auto& s : p.servers)
    if (s.check && !connect_has_port && p.checks.kind != CheckSetup::Kind::external && s.address.kind == Address::Kind::inet &&
        s.address.port_lo == 0 && !s.check_port)
      diag.alert("config: " + std::string(cap_type_name(p.kind)) + " '" +
                 p.name + "': server '" + s.name + "' has neither service port nor check port.");
  for (const auto& s : p.servers)
    if (s.agent_check && !s.agent_port)
      diag.add(Severity::alert, s.origin, Form::bare,
               "'server " + p.name + "/" + s.name + "' : server " + s.name +
                   " does not have agent port. Agent check has been disabled.");
}

void register_check_keywords(Registry& r) { r.add(kRows); }

}  // namespace portero::config
