// TLS keywords of bind, server and global lines: what is kept, and haproxy 2.6.12's messages
// for misuse (each checked against `haproxy -c` on the same line).
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "portero/config/load.h"

using namespace portero::config;

namespace {
const char* kHead = "defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n";

struct Result {
  ConfigPtr cfg;
  std::vector<std::string> lines;
};
Result load(const std::string& text) {
  Diagnostics d;
  Result r;
  r.cfg = load_text(text, "x.cfg", d);
  for (const auto& m : d.all()) r.lines.push_back(format(m, 42));
  return r;
}
std::string first(const std::string& text) {
  auto r = load(text);
  REQUIRE(!r.lines.empty());
  return r.lines[0];
}
// A file that exists (its content does not matter while parsing).
std::string some_file() {
  static const std::string path = [] {
    std::string p = "/tmp/portero_tls_kw_test_" + std::to_string(::getpid()) + ".pem";
    std::ofstream(p) << "x\n";
    return p;
  }();
  return path;
}
const std::string kBindErr = "[ALERT]    (42) : config : parsing [x.cfg:7] : 'bind :8443' in section 'frontend' : ";
const std::string kSrvErr = "[ALERT]    (42) : config : [x.cfg:7] : 'server b/s' : ";
}  // namespace

TEST_CASE("bind TLS options are kept on the Bind") {
  const std::string f = some_file();
  auto r = load(std::string(kHead) + "frontend f\n  bind :8443 ssl crt " + f + " crt " + f +
                " alpn h2,http/1.1 verify optional ca-file " + f + " ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.3"
                " strict-sni no-tls-tickets prefer-client-ciphers ciphers ECDHE+AESGCM curves X25519:P-256"
                " ca-ignore-err all crt-ignore-err 10,18 no-ca-names allow-0rtt no-tlsv10\n");
  REQUIRE(r.cfg);
  const auto& b = r.cfg->proxies[0].binds[0];
  CHECK(b.written == ":8443");
  CHECK(b.tls.ssl);
  REQUIRE(b.tls.crts.size() == 2);
  CHECK(b.tls.crts[0].path == f);
  CHECK(*b.tls.conf.alpn == "h2,http/1.1");
  CHECK(b.tls.conf.verify == TlsVerify::optional);
  CHECK(*b.tls.conf.ca_file == f);
  CHECK(b.tls.conf.versions.min == TlsVersion::tlsv12);
  CHECK(b.tls.conf.versions.max == TlsVersion::tlsv13);
  CHECK(b.tls.conf.versions.no_mask == 0b10);
  CHECK(b.tls.strict_sni);
  CHECK(b.tls.no_tls_tickets);
  CHECK(b.tls.prefer_client_ciphers);
  CHECK(*b.tls.conf.ciphers == "ECDHE+AESGCM");
  CHECK(*b.tls.conf.curves == "X25519:P-256");
  CHECK(b.tls.ca_ignore_all);
  CHECK(b.tls.crt_ignore.test(10));
  CHECK(b.tls.crt_ignore.test(18));
  CHECK(*b.tls.conf.no_ca_names);
}

TEST_CASE("bind TLS misuse: haproxy's words") {
  const std::string f = some_file();
  const std::string fe = std::string(kHead) + "frontend f\n  bind :8443 ssl crt " + f + " ";
  CHECK(first(fe + "verify\n") == kBindErr + "'verify' : missing verify method");
  CHECK(first(fe + "verify bogus\n") ==
        kBindErr + "'verify' : unknown verify method 'bogus', only 'none', 'optional', and 'required' are supported");
  CHECK(first(fe + "ssl-min-ver TLSv9\n") == kBindErr + "'TLSv9' : unknown ssl/tls version");
  CHECK(first(fe + "ssl-max-ver\n") == kBindErr + "'ssl-max-ver' : missing the ssl/tls version");
  CHECK(first(fe + "ca-file\n") == kBindErr + "'ca-file' : missing CAfile path");
  CHECK(first(fe + "crl-file\n") == kBindErr + "'crl-file' : missing CRLfile path");
  CHECK(first(fe + "alpn\n") == kBindErr + "'alpn' : missing the comma-delimited ALPN protocol suite");
  CHECK(first(fe + "ciphers\n") == kBindErr + "'ciphers' : missing cipher suite");
  CHECK(first(fe + "curves\n") == kBindErr + "'curves' : missing curve suite");
  CHECK(first(fe + "ecdhe\n") == kBindErr + "'ecdhe' : missing named curve");
  CHECK(first(fe + "crt-list\n") == kBindErr + "'crt-list' : missing certificate location");
  CHECK(first(fe + "crt-list /nonexistent/l\n") ==
        kBindErr + "'crt-list' : cannot open file '/nonexistent/l' : No such file or directory");
  CHECK(first(fe + "ca-ignore-err\n") == kBindErr + "'ca-ignore-err' : missing error IDs list");
  CHECK(first(fe + "ca-ignore-err 99\n") == kBindErr + "'ca-ignore-err' : ID '99' out of range (1..94) in error IDs list '99'");
  CHECK(first(fe + "tls-ticket-keys /nonexistent/k\n") ==
        kBindErr + "'/nonexistent/k' : unable to load ssl tickets keys file");
  auto r = load(fe + "ca-file /nonexistent/ca.pem\n");
  REQUIRE(r.lines.size() >= 2);
  CHECK(r.lines[0] == "[ALERT]    (42) : config : Couldn't open the ca-file '/nonexistent/ca.pem' (No such file or directory).");
  CHECK(r.lines[1] == kBindErr + "'ca-file' : unable to load /nonexistent/ca.pem");
  CHECK(first(std::string(kHead) + "frontend f\n  bind :8443 ssl crt\n") == kBindErr + "'crt' : missing certificate location");
}

TEST_CASE("crt-list lines: options in brackets, SNI filters, errors") {
  const std::string f = some_file();
  const std::string list = "/tmp/portero_tls_kw_list_" + std::to_string(::getpid());
  std::ofstream(list) << "# comment\n\n" << f << " [alpn h2 ssl-min-ver TLSv1.3 verify required] a.test !b.a.test *.w.test\n"
                      << f << "\n";
  auto r = load(std::string(kHead) + "frontend f\n  bind :8443 ssl crt-list " + list + "\n");
  REQUIRE(r.cfg);
  const auto& crts = r.cfg->proxies[0].binds[0].tls.crts;
  REQUIRE(crts.size() == 1);
  CHECK(crts[0].crt_list);
  REQUIRE(crts[0].lines.size() == 2);
  const auto& l = crts[0].lines[0];
  CHECK(l.line == 3);
  CHECK(l.has_conf);
  CHECK(*l.conf.alpn == "h2");
  CHECK(l.conf.versions.min == TlsVersion::tlsv13);
  CHECK(l.conf.verify == TlsVerify::required);
  CHECK(l.filters == std::vector<std::string>{"a.test", "!b.a.test", "*.w.test"});
  CHECK(crts[0].lines[1].filters.empty());

  std::ofstream(list) << f << " [alpn http/1.1 bogus] a.test\n";
  CHECK(first(std::string(kHead) + "frontend f\n  bind :8443 ssl crt-list " + list + "\n") ==
        kBindErr + "'crt-list' : parsing [" + list + ":1]: unknown ssl keyword bogus");
  std::ofstream(list) << f << " [ssl-min-ver] a.test\n";
  CHECK(first(std::string(kHead) + "frontend f\n  bind :8443 ssl crt-list " + list + "\n") ==
        kBindErr + "'crt-list' : parsing [" + list + ":1]: ssl args out of '[]' for ssl-min-ver");
  std::ofstream(list) << "/nonexistent/c.pem a.test\n";
  CHECK(first(std::string(kHead) + "frontend f\n  bind :8443 ssl crt-list " + list + "\n") ==
        kBindErr + "'crt-list' : unable to stat SSL certificate from file '/nonexistent/c.pem' : No such file or directory.");
  std::remove(list.c_str());
}

TEST_CASE("server TLS options; default-server carries them") {
  const std::string f = some_file();
  auto r = load(std::string(kHead) + "backend b\n  default-server ssl verify none alpn h2 no-ssl-reuse\n"
                "  server s 127.0.0.1:443 sni req.hdr(host) check-sni c.test ca-file " + f +
                " verify required verifyhost v.test ssl-min-ver TLSv1.3 ciphers HIGH check-alpn http/1.1\n"
                "  server t 127.0.0.1:443 no-ssl\n");
  REQUIRE(r.cfg);
  const auto& s = r.cfg->proxies[0].servers[0].tls;
  CHECK(s.ssl);
  CHECK(s.verify == TlsVerify::required);
  CHECK(s.alpn == "h2");
  CHECK(s.no_ssl_reuse);
  CHECK(s.sni == "req.hdr(host)");
  CHECK(s.check_sni == "c.test");
  CHECK(s.verifyhost == "v.test");
  CHECK(s.versions.min == TlsVersion::tlsv13);
  CHECK(*s.ciphers == "HIGH");
  CHECK(s.check_alpn == "http/1.1");
  CHECK_FALSE(r.cfg->proxies[0].servers[1].tls.ssl);
  CHECK(r.cfg->proxies[0].servers[1].tls.verify == TlsVerify::none);
}

TEST_CASE("server TLS misuse: haproxy's words") {
  const std::string be = std::string(kHead) + "backend b\n  server s 127.0.0.1:443 ssl ";
  CHECK(first(be + "verify\n") == kSrvErr + "'verify' : missing verify method.");
  CHECK(first(be + "verify optional\n") ==
        kSrvErr + "'verify' : unknown verify method 'optional', only 'none' and 'required' are supported.");
  CHECK(first(be + "verify none ssl-min-ver foo\n") == kSrvErr + "'foo' : unknown ssl/tls version.");
  CHECK(first(be + "verify none sni\n") == kSrvErr + "'sni' : missing sni expression.");
  CHECK(first(be + "verify none check-sni\n") == kSrvErr + "'check-sni' : missing SNI.");
  CHECK(first(be + "verify none verifyhost\n") == kSrvErr + "'verifyhost' : missing hostname to verify against.");
  CHECK(first(be + "verify none crt\n") == kSrvErr + "'crt' : missing certificate file path.");
  CHECK(first(be + "verify none curves X25519\n").starts_with(kSrvErr + "unknown keyword 'curves'"));
  auto r = load(be + "verify none ca-file /nonexistent/zz\n");
  REQUIRE(r.lines.size() >= 2);
  CHECK(r.lines[0] == kSrvErr + "Couldn't open the ca-file '/nonexistent/zz' (No such file or directory).");
  CHECK(r.lines[1] == "[ALERT]    (42) : config : 'ca-file' : unable to load /nonexistent/zz.");
}

TEST_CASE("global TLS keywords") {
  auto r = load("global\n  ca-base /etc/ssl\n  crt-base /etc/crt\n  ssl-default-bind-ciphers HIGH\n"
                "  ssl-default-bind-options ssl-min-ver TLSv1.3 no-tls-tickets prefer-client-ciphers\n"
                "  ssl-default-server-options no-tlsv12\n  ssl-server-verify none\n  tune.ssl.cachesize 100\n"
                "  tune.ssl.lifetime 10m\n  tune.ssl.maxrecord 1400\n  ssl-mode-async\n" + std::string(kHead));
  REQUIRE(r.cfg);
  const auto& t = r.cfg->global.tls;
  CHECK(t.ca_base == "/etc/ssl");
  CHECK(t.crt_base == "/etc/crt");
  CHECK(*t.bind_ciphers == "HIGH");
  CHECK(t.bind_versions.min == TlsVersion::tlsv13);
  CHECK(t.bind_no_tls_tickets);
  CHECK(t.bind_prefer_client_ciphers);
  CHECK(t.server_versions.no_mask == 0b1000);
  CHECK(t.server_verify_none);
  CHECK(t.cachesize == 100);
  CHECK(t.lifetime_s == 600);
  CHECK(t.maxrecord == 1400);
  REQUIRE(r.lines.size() == 1);
  CHECK(r.lines[0].find("'ssl-mode-async'") != std::string::npos);

  const std::string g = "[ALERT]    (42) : config : parsing [x.cfg:2] : ";
  CHECK(first("global\n  ca-base\n") == g + "global statement 'ca-base' expects a directory path as an argument.");
  CHECK(first("global\n  crt-base /a\n  crt-base /b\n") ==
        "[ALERT]    (42) : config : parsing [x.cfg:3] : 'crt-base' already specified.");
  CHECK(first("global\n  ssl-default-bind-ciphers\n") ==
        g + "global statement 'ssl-default-bind-ciphers' expects a cipher suite as an argument.");
  CHECK(first("global\n  ssl-default-bind-curves\n") ==
        g + "global statement 'ssl-default-bind-curves' expects a curves suite as an arguments.");
  CHECK(first("global\n  ssl-default-bind-options\n") ==
        g + "global statement 'ssl-default-bind-options' expects an option as an argument.");
  CHECK(first("global\n  ssl-default-bind-options foo\n") ==
        g + "unknown option 'foo' on global statement 'ssl-default-bind-options'.");
  CHECK(first("global\n  ssl-default-server-options prefer-client-ciphers\n") ==
        g + "unknown option 'prefer-client-ciphers' on global statement 'ssl-default-server-options'.");
  CHECK(first("global\n  ssl-default-bind-options ssl-min-ver X\n") ==
        g + "'X' : unknown ssl/tls version on global statement 'ssl-default-bind-options'.");
  CHECK(first("global\n  ssl-server-verify bogus\n") == g + "'ssl-server-verify' expects 'none' or 'required' as argument.");
  CHECK(first("global\n  ssl-dh-param-file /nonexistent/dh\n") ==
        g + "'ssl-dh-param-file': unable to load DH parameters from file </nonexistent/dh>.");
  CHECK(first("global\n  tune.ssl.default-dh-param 1000\n") == g + "'tune.ssl.default-dh-param' expects a value >= 1024.");
  CHECK(first("global\n  tune.ssl.cachesize -1\n") == g + "'tune.ssl.cachesize' expects a positive numeric value.");
  CHECK(first("global\n  tune.ssl.lifetime 3x\n") == g + "unexpected character 'x' in argument to <tune.ssl.lifetime>.");
  CHECK(first("global\n  tune.ssl.lifetime\n") ==
        g + "'tune.ssl.lifetime' expects ssl sessions <lifetime> in seconds as argument.");
  CHECK(first("global\n  tune.ssl.maxrecord\n") == g + "'tune.ssl.maxrecord' expects an integer argument.");
}

TEST_CASE("crt-base and ca-base prefix relative paths") {
  auto r = load("global\n  crt-base /nonexistent/base\n" + std::string(kHead) + "frontend f\n  bind :8443 ssl crt x.pem\n");
  REQUIRE(!r.lines.empty());
  CHECK(r.lines[0].ends_with("unable to stat SSL certificate from file '/nonexistent/base/x.pem' : No such file or directory."));
}
