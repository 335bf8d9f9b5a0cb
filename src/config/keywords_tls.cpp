// TLS keywords: the global ones (ca-base, crt-base, ssl-default-*, ssl-server-verify,
// ssl-dh-param-file, tune.ssl.*), and the TLS options of bind, crt-list and server lines.
// Only what can be checked without OpenSSL is checked here (names, values, files that must
// exist); certificates, keys, ciphers and curves are checked when the contexts are built.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "parse_context.h"
#include "unimplemented.h"
#include "portero/config/units.h"

namespace portero::config {

TlsVersion parse_tls_version(const std::string& s) {
  if (s == "SSLv3") return TlsVersion::sslv3;
  if (s == "TLSv1.0") return TlsVersion::tlsv10;
  if (s == "TLSv1.1") return TlsVersion::tlsv11;
  if (s == "TLSv1.2") return TlsVersion::tlsv12;
  if (s == "TLSv1.3") return TlsVersion::tlsv13;
  return TlsVersion::none;
}

namespace {

Global& g(ParseContext& c) { return c.config.global; }

std::string join_base(const std::string& base, const std::string& path) {
  if (base.empty() || path.empty() || path[0] == '/') return path;
  return base + "/" + path;
}

// no-sslv3 ... no-tlsv13 / force-sslv3 ... force-tlsv13: the version named, or none.
TlsVersion flag_version(const std::string& o, const char* prefix) {
  static const char* names[] = {"sslv3", "tlsv10", "tlsv11", "tlsv12", "tlsv13"};
  const std::string p = prefix;
  if (!o.starts_with(p)) return TlsVersion::none;
  for (int i = 0; i < kTlsVersionCount; ++i)
    if (o.substr(p.size()) == names[i]) return TlsVersion(i + 1);
  return TlsVersion::none;
}

// Version words shared by bind, server and ssl-default-*-options. 0: not one, 1: parsed,
// -1: error in `err`.
int parse_version_option(const Args& a, size_t& i, TlsVersions& v, std::string& err) {
  const std::string& o = a[i];
  if (o == "ssl-min-ver" || o == "ssl-max-ver") {
    if (i + 1 >= a.size() || a[i + 1].empty()) {
      err = "'" + o + "' : missing the ssl/tls version";
      return -1;
    }
    const TlsVersion t = parse_tls_version(a[i + 1]);
    if (t == TlsVersion::none) {
      err = "'" + a[i + 1] + "' : unknown ssl/tls version";
      return -1;
    }
    (o == "ssl-min-ver" ? v.min : v.max) = t;
    ++i;
    return 1;
  }
  if (TlsVersion t = flag_version(o, "no-"); t != TlsVersion::none) {
    v.no_mask |= uint8_t(1u << (int(t) - 1));
    return 1;
  }
  if (TlsVersion t = flag_version(o, "force-"); t != TlsVersion::none) {
    v.min = v.max = t;
    return 1;
  }
  return 0;
}

// A CA or CRL file is read when the contexts are built; HAProxy opens it while parsing.
bool ca_file_opens(ParseContext& c, const std::string& path, const std::string& prefix) {
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (f) {
    std::fclose(f);
    return true;
  }
  const std::string text = "Couldn't open the ca-file '" + path + "' (" + std::strerror(errno) + ").";
  if (prefix.empty()) c.diag.alert(text);
  else c.alert(Form::bare, prefix + text);
  return false;
}

// `ca-ignore-err` / `crt-ignore-err`: "all" or a comma list of X509_V_ERR ids (HAProxy 2.6
// accepts numbers only).
bool parse_ignore_list(const std::string& kw, const std::string& v, bool& all, std::bitset<128>& ids,
                       std::string& err) {
  if (v == "all") {
    all = true;
    return true;
  }
  std::stringstream ss(v);
  std::string one;
  while (std::getline(ss, one, ',')) {
    const long n = std::strtol(one.c_str(), nullptr, 10);
    if (n < 1 || n > 94) {
      err = "'" + kw + "' : ID '" + std::to_string(n) + "' out of range (1..94) in error IDs list '" + v + "'";
      return false;
    }
    ids.set(size_t(n));
  }
  return true;
}

// Options a crt-list line may carry, also valid on a bind line. 0: not one, 1: parsed,
// -1: error in `err`, -2: value missing (`err` holds the bind line's message).
int parse_ssl_conf_option(ParseContext& c, const Args& a, size_t& i, TlsSslConf& conf, std::string& err,
                          bool& ca_error) {
  const std::string& o = a[i];
  const bool has = i + 1 < a.size() && !a[i + 1].empty();
  auto value = [&](std::optional<std::string>& out, const char* missing) {
    if (!has) {
      err = "'" + o + "' : " + missing;
      return -2;
    }
    out = a[++i];
    return 1;
  };
  if (o == "alpn") return value(conf.alpn, "missing the comma-delimited ALPN protocol suite");
  if (o == "ciphers") return value(conf.ciphers, "missing cipher suite");
  if (o == "ciphersuites") return value(conf.ciphersuites, "missing cipher suite");
  if (o == "curves") return value(conf.curves, "missing curve suite");
  if (o == "ecdhe") return value(conf.ecdhe, "missing named curve");
  if (o == "npn") {
    std::optional<std::string> ignored;
    return value(ignored, "missing the comma-delimited NPN protocol suite");
  }
  if (o == "ca-file" || o == "crl-file" || o == "ca-verify-file") {
    std::optional<std::string> v;
    if (int r = value(v, o == "crl-file" ? "missing CRLfile path" : "missing CAfile path"); r != 1) return r;
    const std::string path = join_base(c.config.global.tls.ca_base, *v);
    (o == "ca-file" ? conf.ca_file : o == "crl-file" ? conf.crl_file : conf.ca_verify_file) = path;
    if (!ca_file_opens(c, path, "")) {
      err = "'" + o + "' : unable to load " + path;
      ca_error = true;
      return -1;
    }
    return 1;
  }
  if (o == "verify") {
    if (!has) {
      err = "'verify' : missing verify method";
      return -2;
    }
    const std::string& v = a[++i];
    if (v == "none") conf.verify = TlsVerify::none;
    else if (v == "optional") conf.verify = TlsVerify::optional;
    else if (v == "required") conf.verify = TlsVerify::required;
    else {
      err = "'verify' : unknown verify method '" + v + "', only 'none', 'optional', and 'required' are supported";
      return -1;
    }
    return 1;
  }
  if (o == "ssl-min-ver" || o == "ssl-max-ver") {
    if (!has) {
      err = "'" + o + "' : missing the ssl/tls version";
      return -2;
    }
    return parse_version_option(a, i, conf.versions, err);
  }
  if (o == "no-ca-names") {
    conf.no_ca_names = true;
    return 1;
  }
  if (o == "allow-0rtt") {
    conf.allow_0rtt = true;
    return 1;
  }
  return 0;
}

bool stat_crt(const std::string& path, std::string& err) {
  struct stat st{};
  if (stat(path.c_str(), &st) == 0) return true;
  err = "unable to stat SSL certificate from file '" + path + "' : " + std::strerror(errno) + ".";
  return false;
}

// Splits a crt-list line into words; `[...]` stays one word group (its words are returned with
// the brackets as separate words "[" and "]").
std::vector<std::string> crt_list_words(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) out.push_back(cur);
    cur.clear();
  };
  for (char ch : line) {
    if (ch == ' ' || ch == '\t') flush();
    else if (ch == '[' || ch == ']') {
      flush();
      out.emplace_back(1, ch);
    } else cur += ch;
  }
  flush();
  return out;
}

// Reads a crt-list file. Errors are returned in HAProxy's words (after "'crt-list' : ").
bool read_crt_list(ParseContext& c, const std::string& path, std::vector<CrtListLine>& out, std::string& err) {
  std::ifstream in(path);
  if (!in) {
    err = "cannot open file '" + path + "' : " + std::strerror(errno);
    return false;
  }
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    auto w = crt_list_words(line);
    if (w.empty()) continue;
    CrtListLine l;
    l.file = path;
    l.line = n;
    l.crt = join_base(c.config.global.tls.crt_base, w[0]);
    const std::string at = "parsing [" + path + ":" + std::to_string(n) + "]: ";
    size_t i = 1;
    if (i < w.size() && w[i] == "[") {
      l.has_conf = true;
      Args opts;
      for (++i; i < w.size() && w[i] != "]"; ++i) opts.push_back(w[i]);
      if (i < w.size()) ++i;  // "]"
      for (size_t j = 0; j < opts.size(); ++j) {
        std::string e;
        bool ca_error = false;
        const int r = parse_ssl_conf_option(c, opts, j, l.conf, e, ca_error);
        if (r == 0) {
          err = at + "unknown ssl keyword " + opts[j];
          return false;
        }
        if (r == -2) {
          err = at + "ssl args out of '[]' for " + opts[j];
          return false;
        }
        if (r < 0) {
          err = e;
          return false;
        }
      }
    }
    for (; i < w.size(); ++i)
      if (w[i] != "[" && w[i] != "]") l.filters.push_back(w[i]);
    std::string e;
    if (!stat_crt(l.crt, e)) {
      err = e;
      return false;
    }
    out.push_back(std::move(l));
  }
  return true;
}

// ---- global ---------------------------------------------------------------------------------

void kw_base(ParseContext& c, const Args& a) {
  std::string& base = a[0] == "ca-base" ? g(c).tls.ca_base : g(c).tls.crt_base;
  if (!base.empty()) return c.alert("'" + a[0] + "' already specified.");
  if (a.size() < 2 || a[1].empty())
    return c.alert("global statement '" + a[0] + "' expects a directory path as an argument.");
  base = a[1];
}

void kw_default_string(ParseContext& c, const Args& a) {
  auto& t = g(c).tls;
  const bool curves = a[0] == "ssl-default-bind-curves";
  if (a.size() < 2 || a[1].empty())
    return c.alert("global statement '" + a[0] + "' expects " +
                   (curves ? "a curves suite as an arguments." : "a cipher suite as an argument."));
  if (a[0] == "ssl-default-bind-ciphers") t.bind_ciphers = a[1];
  else if (a[0] == "ssl-default-bind-ciphersuites") t.bind_ciphersuites = a[1];
  else if (curves) t.bind_curves = a[1];
  else if (a[0] == "ssl-default-server-ciphers") t.server_ciphers = a[1];
  else t.server_ciphersuites = a[1];
}

void kw_default_options(ParseContext& c, const Args& a) {
  auto& t = g(c).tls;
  const bool bind = a[0] == "ssl-default-bind-options";
  if (a.size() < 2) return c.alert("global statement '" + a[0] + "' expects an option as an argument.");
  TlsVersions& v = bind ? t.bind_versions : t.server_versions;
  for (size_t i = 1; i < a.size(); ++i) {
    std::string err;
    const int r = parse_version_option(a, i, v, err);
    if (r < 0) return c.alert(err + " on global statement '" + a[0] + "'.");
    if (r > 0) continue;
    if (a[i] == "no-tls-tickets") (bind ? t.bind_no_tls_tickets : t.server_no_tls_tickets) = true;
    else if (bind && a[i] == "prefer-client-ciphers") t.bind_prefer_client_ciphers = true;
    else return c.alert("unknown option '" + a[i] + "' on global statement '" + a[0] + "'.");
  }
}

void kw_server_verify(ParseContext& c, const Args& a) {
  if (a.size() < 2) return c.alert("'" + a[0] + "' expects an integer argument.");
  if (a[1] == "none") g(c).tls.server_verify_none = true;
  else if (a[1] == "required") g(c).tls.server_verify_none = false;
  else c.alert("'" + a[0] + "' expects 'none' or 'required' as argument.");
}

void kw_dh_param_file(ParseContext& c, const Args& a) {
  if (a.size() < 2 || a[1].empty()) return c.alert("'" + a[0] + "' expects a file path as an argument.");
  std::FILE* f = std::fopen(a[1].c_str(), "r");
  if (!f) return c.alert("'" + a[0] + "': unable to load DH parameters from file <" + a[1] + ">.");
  std::fclose(f);
  g(c).tls.dh_param_file = a[1];
}

void kw_tune_ssl(ParseContext& c, const Args& a) {
  auto& t = g(c).tls;
  const std::string& k = a[0];
  if (k == "tune.ssl.lifetime") {
    if (a.size() < 2 || a[1].empty())
      return c.alert("'" + k + "' expects ssl sessions <lifetime> in seconds as argument.");
    // A time whose default unit is the second.
    const std::string& v = a[1];
    size_t digits = 0;
    while (digits < v.size() && std::isdigit(static_cast<unsigned char>(v[digits]))) ++digits;
    const std::string unit = v.substr(digits);
    const uint64_t n = std::strtoull(v.substr(0, digits).c_str(), nullptr, 10);
    uint64_t s = n;
    if (unit.empty() || unit == "s") s = n;
    else if (unit == "m") s = n * 60;
    else if (unit == "h") s = n * 3600;
    else if (unit == "d") s = n * 86400;
    else if (unit == "ms") s = n / 1000;
    else if (unit == "us") s = n / 1000000;
    else return c.alert("unexpected character '" + std::string(1, unit[0]) + "' in argument to <" + k + ">.");
    t.lifetime_s = uint32_t(std::min<uint64_t>(s, UINT32_MAX));
    return;
  }
  if (a.size() < 2 || a[1].empty()) return c.alert("'" + k + "' expects an integer argument.");
  const long n = std::strtol(a[1].c_str(), nullptr, 10);
  if (k == "tune.ssl.default-dh-param") {
    if (n < 1024) return c.alert("'" + k + "' expects a value >= 1024.");
    t.default_dh_param = uint32_t(n);
    t.default_dh_param_set = true;
  } else if (k == "tune.ssl.cachesize") {
    if (n < 0) return c.alert("'" + k + "' expects a positive numeric value.");
    t.cachesize = uint32_t(n);
  } else if (k == "tune.ssl.maxrecord") {
    t.maxrecord = uint32_t(std::max(0L, n));
  } else if (k == "tune.ssl.ssl-ctx-cache-size") {
    t.ctx_cache_size = uint32_t(std::max(0L, n));
  } else {
    t.capture_buffer_size = uint32_t(std::max(0L, n));
  }
}

const KeywordRow kRows[] = {
    {kInGlobal, "ca-base", false, Cap::any, false, kw_base},
    {kInGlobal, "crt-base", false, Cap::any, false, kw_base},
    {kInGlobal, "ssl-default-bind-ciphers", false, Cap::any, false, kw_default_string},
    {kInGlobal, "ssl-default-bind-ciphersuites", false, Cap::any, false, kw_default_string},
    {kInGlobal, "ssl-default-bind-curves", false, Cap::any, false, kw_default_string},
    {kInGlobal, "ssl-default-server-ciphers", false, Cap::any, false, kw_default_string},
    {kInGlobal, "ssl-default-server-ciphersuites", false, Cap::any, false, kw_default_string},
    {kInGlobal, "ssl-default-bind-options", false, Cap::any, false, kw_default_options},
    {kInGlobal, "ssl-default-server-options", false, Cap::any, false, kw_default_options},
    {kInGlobal, "ssl-server-verify", false, Cap::any, false, kw_server_verify},
    {kInGlobal, "ssl-dh-param-file", false, Cap::any, false, kw_dh_param_file},
    {kInGlobal, "tune.ssl.default-dh-param", false, Cap::any, false, kw_tune_ssl},
    {kInGlobal, "tune.ssl.cachesize", false, Cap::any, false, kw_tune_ssl},
    {kInGlobal, "tune.ssl.lifetime", false, Cap::any, false, kw_tune_ssl},
    {kInGlobal, "tune.ssl.maxrecord", false, Cap::any, false, kw_tune_ssl},
    {kInGlobal, "tune.ssl.ssl-ctx-cache-size", false, Cap::any, false, kw_tune_ssl},
    {kInGlobal, "tune.ssl.capture-buffer-size", false, Cap::any, false, kw_tune_ssl},
};

}  // namespace

void register_tls_keywords(Registry& r) { r.add(kRows); }

// ---- bind -----------------------------------------------------------------------------------

int parse_tls_bind_option(ParseContext& c, const Args& a, size_t& i, Bind& b, const std::string& where) {
  const std::string& o = a[i];
  auto& t = b.tls;
  const bool has = i + 1 < a.size() && !a[i + 1].empty();
  auto fail = [&](const std::string& msg) {
    c.alert(where + " : " + msg);
    return -1;
  };
  if (o == "ssl") {
    t.ssl = true;
    return 1;
  }
  if (o == "crt") {
    if (!has) return fail("'crt' : missing certificate location");
    const std::string path = join_base(c.config.global.tls.crt_base, a[++i]);
    std::string err;
    if (!stat_crt(path, err)) return fail(err);
    t.crts.push_back({path, false, {}});
    return 1;
  }
  if (o == "crt-list") {
    if (!has) return fail("'crt-list' : missing certificate location");
    const std::string path = a[++i];
    TlsBindOptions::Crt entry{path, true, {}};
    std::string err;
    if (!read_crt_list(c, path, entry.lines, err)) return fail("'crt-list' : " + err);
    t.crts.push_back(std::move(entry));
    return 1;
  }
  if (o == "ca-ignore-err" || o == "crt-ignore-err") {
    if (!has) return fail("'" + o + "' : missing error IDs list");
    std::string err;
    const bool ca = o == "ca-ignore-err";
    if (!parse_ignore_list(o, a[++i], ca ? t.ca_ignore_all : t.crt_ignore_all, ca ? t.ca_ignore : t.crt_ignore, err))
      return fail(err);
    return 1;
  }
  if (o == "npn") {
    if (!has) return fail("'npn' : missing the comma-delimited NPN protocol suite");
    t.npn = a[++i];
    check_unimplemented(c, GapContext::bind, o);  // a hint: nothing negotiates it here
    return 1;
  }
  if (o == "tls-ticket-keys") {
    if (!has) return fail("'tls-ticket-keys' : missing TLS ticket keys file path");
    const std::string path = join_base(c.config.global.tls.crt_base, a[++i]);
    std::FILE* f = std::fopen(path.c_str(), "r");
    if (!f) return fail("'" + path + "' : unable to load ssl tickets keys file");
    std::fclose(f);
    t.tls_ticket_keys = path;
    return 1;
  }
  if (o == "ca-sign-file") {
    if (!has) return fail("'ca-sign-file' : missing CAfile path");
    t.ca_sign_file = join_base(c.config.global.tls.ca_base, a[++i]);
    return 1;
  }
  if (o == "ca-sign-pass") {
    if (!has) return fail("'ca-sign-pass' : missing CAkey password");
    ++i;
    return 1;
  }
  if (o == "generate-certificates") { t.generate_certificates = true; return 1; }
  if (o == "strict-sni") { t.strict_sni = true; return 1; }
  if (o == "no-tls-tickets") { t.no_tls_tickets = true; return 1; }
  if (o == "prefer-client-ciphers") { t.prefer_client_ciphers = true; return 1; }
  std::string err;
  if (int r = parse_version_option(a, i, t.conf.versions, err); r != 0) return r < 0 ? fail(err) : 1;
  bool ca_error = false;
  const int r = parse_ssl_conf_option(c, a, i, t.conf, err, ca_error);
  if (r < 0) return fail(err);
  return r;
}

// ---- server ---------------------------------------------------------------------------------

int parse_tls_server_option(ParseContext& c, const Args& a, size_t& i, Server& s, const std::string& prefix) {
  const std::string& o = a[i];
  auto& t = s.tls;
  const bool has = i + 1 < a.size() && !a[i + 1].empty();
  auto fail = [&](const std::string& msg) {
    c.alert(Form::bare, prefix + msg);
    return -1;
  };
  auto value = [&](std::string& out, const char* missing) {
    if (!has) return fail("'" + o + "' : " + missing + ".");
    out = a[++i];
    return 1;
  };
  if (o == "ssl") { t.ssl = true; return 1; }
  if (o == "no-ssl") { t.ssl = false; return 1; }
  if (o == "check-ssl") { t.check_ssl = true; t.no_check_ssl = false; return 1; }
  if (o == "no-check-ssl") { t.check_ssl = false; t.no_check_ssl = true; return 1; }
  if (o == "no-ssl-reuse") { t.no_ssl_reuse = true; return 1; }
  if (o == "ssl-reuse") { t.no_ssl_reuse = false; return 1; }
  if (o == "no-verifyhost") { t.no_verifyhost = true; t.verifyhost.clear(); return 1; }
  if (o == "no-tls-tickets") { t.no_tls_tickets = true; return 1; }
  if (o == "tls-tickets") { t.no_tls_tickets = false; return 1; }
  if (o == "allow-0rtt") { t.allow_0rtt = true; return 1; }
  if (o == "verify") {
    if (!has) return fail("'verify' : missing verify method.");
    const std::string& v = a[++i];
    if (v == "none") t.verify = TlsVerify::none;
    else if (v == "required") t.verify = TlsVerify::required;
    else return fail("'verify' : unknown verify method '" + v + "', only 'none' and 'required' are supported.");
    return 1;
  }
  if (o == "ca-file" || o == "crl-file") {
    std::string v;
    if (value(v, o == "ca-file" ? "missing CAfile path" : "missing CRLfile path") < 0) return -1;
    const std::string path = join_base(c.config.global.tls.ca_base, v);
    (o == "ca-file" ? t.ca_file : t.crl_file) = path;
    if (!ca_file_opens(c, path, prefix)) {
      c.diag.alert("'" + o + "' : unable to load " + path + ".");
      return -1;
    }
    return 1;
  }
  if (o == "crt") {
    std::string v;
    if (value(v, "missing certificate file path") < 0) return -1;
    t.crt = join_base(c.config.global.tls.crt_base, v);
    return 1;
  }
  if (o == "sni") return value(t.sni, "missing sni expression");
  if (o == "check-sni") return value(t.check_sni, "missing SNI");
  if (o == "alpn") return value(t.alpn, "missing the comma-delimited ALPN protocol suite");
  if (o == "check-alpn") return value(t.check_alpn, "missing the comma-delimited ALPN protocol suite");
  if (o == "verifyhost") {
    if (value(t.verifyhost, "missing hostname to verify against") < 0) return -1;
    t.no_verifyhost = false;
    return 1;
  }
  if (o == "npn") {
    std::string v;
    if (value(v, "missing the comma-delimited NPN protocol suite") < 0) return -1;
    t.npn = v;
    check_unimplemented(c, GapContext::server, o);
    return 1;
  }
  if (o == "ciphers" || o == "ciphersuites") {
    std::string v;
    if (value(v, "missing cipher suite") < 0) return -1;
    (o == "ciphers" ? t.ciphers : t.ciphersuites) = v;
    return 1;
  }
  std::string err;
  if (int r = parse_version_option(a, i, t.versions, err); r != 0) return r < 0 ? fail(err + ".") : 1;
  return 0;
}

}  // namespace portero::config
