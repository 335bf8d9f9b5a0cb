// `option X` / `no option X`. Options portero does not implement yet are warned about, never
// silently accepted; names HAProxy does not know are alerts.
#include <arpa/inet.h>

#include <set>

#include "parse_context.h"
#include "unimplemented.h"
#include "portero/log/log.h"   // kHttpslogFormat (a constant: no link to portero_log)

namespace portero::config {
namespace {

// Options of HAProxy 2.6 that portero does not implement yet.
// Options HAProxy 2.6 dropped, with its own message.
const char* removed_option(const std::string& o) {
  if (o == "forceclose")
    return "option 'forceclose' is not supported any more since HAProxy 2.0, please just remove it, or use "
           "'option httpclose' if absolutely needed.";
  if (o == "http-tunnel")
    return "option 'http-tunnel' is not supported any more since HAProxy 2.1, please just remove it, it shouldn't "
           "be needed.";
  if (o == "http_proxy")
    return "option 'http_proxy' is not supported any more since HAProxy 2.5. This option stopped working in HAProxy "
           "1.9 and usually had nasty side effects. It can be more reliably implemented with combinations of "
           "'http-request set-dst' and 'http-request set-uri', and even 'http-request do-resolve' if DNS "
           "resolution is desired.";
  return nullptr;
}

// "10.0.0.0/8", "127.0.0.1", "::1/128" into family, bytes and prefix length.
bool parse_network(const std::string& text, ForwardFor& f) {
  std::string addr = text;
  int prefix = -1;
  if (auto slash = text.find('/'); slash != std::string::npos) {
    addr = text.substr(0, slash);
    const std::string p = text.substr(slash + 1);
    if (p.empty() || p.find_first_not_of("0123456789") != std::string::npos) {
      // dotted netmask form, e.g. 255.0.0.0
      in_addr m{};
      if (inet_pton(AF_INET, p.c_str(), &m) != 1) return false;
      uint32_t v = ntohl(m.s_addr);
      prefix = 0;
      while (v & 0x80000000u) { ++prefix; v <<= 1; }
    } else {
      prefix = std::stoi(p);
    }
  }
  if (inet_pton(AF_INET, addr.c_str(), f.except_addr) == 1) {
    f.except_family = AF_INET;
    if (prefix < 0) prefix = 32;
    if (prefix > 32) return false;
  } else if (inet_pton(AF_INET6, addr.c_str(), f.except_addr) == 1) {
    f.except_family = AF_INET6;
    if (prefix < 0) prefix = 128;
    if (prefix > 128) return false;
  } else {
    return false;
  }
  f.except_prefix = uint8_t(prefix);
  return true;
}

void opt_forwardfor(ParseContext& c, const Args& a) {
  ForwardFor f;
  f.enabled = true;
  for (size_t i = 2; i < a.size(); ++i) {
    if (a[i] == "except") {
      if (i + 1 >= a.size()) return c.alert("'option forwardfor' 'except' requires a network mask as argument.");
      if (!parse_network(a[i + 1], f))
        return c.alert("'option forwardfor' 'except' : invalid network mask '" + a[i + 1] + "'.");
      f.except = a[++i];
    } else if (a[i] == "header") {
      if (i + 1 >= a.size()) return c.alert("'option forwardfor' 'header' requires a header name.");
      f.header = a[++i];
    } else if (a[i] == "if-none") {
      f.if_none = true;
    } else {
      return c.alert("'option forwardfor' only supports optional values: 'except', 'header' and 'if-none'.");
    }
  }
  c.proxy->forwardfor = f;
}

void opt_originalto(ParseContext& c, const Args& a) {
  ForwardFor f;
  f.enabled = true;
  f.header = "X-Original-To";
  for (size_t i = 2; i < a.size(); ++i) {
    if (a[i] == "except") {
      if (i + 1 >= a.size() || !parse_network(a[i + 1], f))
        return c.alert("'option originalto except' expects <address>[/mask] as argument.");
      f.except = a[++i];
    } else if (a[i] == "header") {
      if (i + 1 >= a.size()) return c.alert("'option originalto header' expects <header_name> as argument.");
      f.header = a[++i];
    } else {
      return c.alert("'option originalto' only supports optional values: 'except' and 'header'.");
    }
  }
  c.proxy->originalto = f;
}

void kw_option(ParseContext& c, const Args& a) {
  if (a.size() < 2) return c.alert(Form::tight, "'option' expects an option name.");
  Proxy& p = *c.proxy;
  const std::string& o = a[1];
  const bool on = !c.negated;
  auto no_negation = [&] {
    if (c.negated) c.alert(Form::tight, "negation/default is not supported for option '" + o + "'.");
    return c.negated;
  };
  if (parse_logging_option(c, a)) return;
  if ((o == "abortonclose" || o == "http-buffer-request") && a.size() > 2)
    return c.alert("'option " + o + "' cannot handle unexpected argument '" + a[2] + "'.");
  // Backend-side options in a pure frontend: warned and dropped, as HAProxy does.
  if ((o == "redispatch" || o == "abortonclose" || o == "allbackups" || o == "httpchk" || o == "persist" ||
       o == "redis-check" || o == "ssl-hello-chk" || o == "smtpchk" || o == "mysql-check" || o == "pgsql-check" ||
       o == "ldap-check") &&
      c.section != SectionKind::defaults && !p.is_backend())
    return c.warning("'" + o + "' ignored because " + std::string(c.proxy_type()) + " '" + p.name +
                     "' has no backend capability.");
  // Options that take no argument refuse one, as HAProxy does.
  if ((o == "allbackups" || o == "persist" || o == "tcplog") && a.size() > 2)
    return c.alert("'option " + o + "' cannot handle unexpected argument '" + a[2] + "'.");
  if (parse_check_option(c, a)) return;
  if (o == "httplog") {
    if (no_negation()) return;
    // `json` is portero's (HAProxy accepts only `clf`): a log-format (config.h).
    if (a.size() > 2 && a[2] != "clf" && a[2] != "json")
      return c.alert("'option httplog' only supports 'clf' option.");
    p.httplog = true;
    p.httplog_origin = c.origin;
    p.tcplog = false;
    p.httplog_clf = a.size() > 2 && a[2] == "clf";
    if (a.size() > 2 && a[2] == "json") {
      p.log_format = kHttplogJsonFormat;
      p.log_format_origin = c.origin;
    }
  } else if (o == "httpslog") {
    // HAProxy 2.6 ignores any argument. The HTTPS format is a log-format; the flags say
    // "httplog" for the mode tcp fallback and the last-one-wins rule.
    if (no_negation()) return;
    p.httplog = true;
    p.httplog_origin = c.origin;
    p.tcplog = p.httplog_clf = false;
    p.log_format = log::kHttpslogFormat;
    p.log_format_origin = c.origin;
  } else if (o == "tcplog") {
    if (no_negation()) return;
    p.tcplog = true;
    p.httplog = p.httplog_clf = false;
  } else if (o == "dontlognull") {
    p.dontlognull = on;
  } else if (o == "http-keep-alive") {
    if (on) p.conn_mode = HttpConnMode::keep_alive;
  } else if (o == "http-server-close") {
    if (on) p.conn_mode = HttpConnMode::server_close;
    else if (p.conn_mode == HttpConnMode::server_close) p.conn_mode = HttpConnMode::keep_alive;
  } else if (o == "httpclose") {
    if (on) p.conn_mode = HttpConnMode::close;
    else if (p.conn_mode == HttpConnMode::close) p.conn_mode = HttpConnMode::keep_alive;
  } else if (o == "forwardfor") {
    if (no_negation()) return;
    opt_forwardfor(c, a);
  } else if (o == "originalto") {
    if (no_negation()) return;
    opt_originalto(c, a);
  } else if (o == "tcpka" || o == "clitcpka" || o == "srvtcpka") {
    if (o != "srvtcpka") p.client_tcpka = on;
    if (o != "clitcpka") p.server_tcpka = on;
  } else if (o == "http-buffer-request") {
    p.http_buffer_request = on;
  } else if (o == "abortonclose") {
    p.abortonclose = on;
  } else if (o == "redispatch") {
    // `option redispatch [N]`: N read with atoi (junk = 0 = never); no N = the last retry.
    p.redispatch = on;
    if (on) p.redispatch_interval = a.size() > 2 ? std::atoi(a[2].c_str()) : -1;
  } else if (o == "allbackups") {
    p.allbackups = on;
  } else if (o == "persist") {
    p.persist = on;
  } else if (o == "httpchk") {
    if (no_negation()) return;
    p.httpchk = true;
    p.httpchk_words.assign(a.begin() + 2, a.end());
  } else if (const char* gone = removed_option(o)) {
    c.alert(Form::tight, gone);
  } else if (c.negated && find_unimplemented(GapContext::option, o)) {
    // `no option X` asks for what portero does without X: nothing to refuse.
  } else if (check_unimplemented(c, GapContext::option, o) != GapResult::none) {
    // a hint (noticed) or a missing feature (refused): see unimplemented.cpp
  } else {
    c.alert("unknown option '" + o + "'.");
  }
}

const KeywordRow kRows[] = {
    {kInProxies, "option", true, Cap::any, false, kw_option},
};

}  // namespace

void register_option_keywords(Registry& r) { r.add(kRows); }

}  // namespace portero::config
