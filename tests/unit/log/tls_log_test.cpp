// TLS in traffic logs: %sslv / %sslc / %ft read the client's SSL object, option httpslog's
// format, and the connection-level line of a failed handshake. Expected lines were received
// from haproxy 2.6.12 (UTC, `log 127.0.0.1:<port> local0` to a UDP listener) for:
//   log-format "v=%sslv c=%sslc ft=%ft"        on an ssl bind and a plaintext bind (curl)
//   option httpslog                             curl -k https://.../x?y, curl http://..., and
//                                               curl --resolve www.example.test (SNI)
//   option httplog / tcplog / log-format "hello" / dontlognull / log-separate-errors on
//   `bind ... ssl crt srv.pem ca-file ca.crt verify required [name secure]`, sent: nothing then
//   close (FIN), a reset (SO_LINGER 0), 6 bytes of a record then FIN or reset, "GET / HTTP/1.0",
//   garbage, `openssl s_client` with a certificate of an unknown CA and without a certificate,
//   and a silent client until `timeout client`.
#include <doctest/doctest.h>
#include <openssl/err.h>
#include <syslog.h>

#include <string>

#include "../acl/tls_pair.h"
#include "log_fixture.h"

using namespace portero;
using logtest::render;
using logtest::sa;
using logtest::v4;

namespace {

// 07/Dec/2026:HH:MM:SS.mmm UTC, the day of these captures.
timespec dec7(int h, int m, int s, long ms) {
  constexpr time_t kDay = 1796601600;   // 2026-12-07T00:00:00Z
  return timespec{kDay + h * 3600 + m * 60 + s, ms * 1000000};
}

tlstest::Pki& pki() {
  static tlstest::Pki p;
  return p;
}

std::unique_ptr<log::Format> compile(const char* text, const log::SampleCompiler& samples = nullptr) {
  std::string err;
  auto f = log::Format::compile(text, err, samples);
  INFO(err);
  REQUIRE(f);
  return f;
}

}  // namespace

TEST_CASE("%sslv, %sslc and %ft's '~' come from the client's SSL object [haproxy]") {
  tlstest::Pair pair(pki());
  REQUIRE(pair.connect());
  auto f = compile("v=%sslv c=%sslc ft=%ft");
  log::Record r;
  r.frontend = "fe_lf";
  CHECK(render(*f, r) == "v=- c=- ft=fe_lf");
  r.client_tls = pair.frontend();
  CHECK(render(*f, r) == "v=TLSv1.3 c=TLS_AES_256_GCM_SHA384 ft=fe_lf~");
  auto q = compile("%{+Q}sslv %{+Q}sslc");
  CHECK(render(*q, r) == "\"TLSv1.3\" \"TLS_AES_256_GCM_SHA384\"");
  r.client_tls = nullptr;
  CHECK(render(*q, r) == "\"\" \"\"");
}

TEST_CASE("option httpslog: httplog followed by the TLS fields [haproxy]") {
  // The sample values are what the fetches give (tests/unit/acl/ssl_fetches_test.cpp checks
  // them on real connections): fc_err, ssl_fc_err,hex, ssl_c_err, ssl_c_ca_err,
  // ssl_fc_is_resumed, ssl_fc_sni.
  std::vector<std::string> exprs;
  auto compiler = [&](std::string_view e, std::string_view, std::string&) {
    exprs.emplace_back(e);
    return int(exprs.size() - 1);
  };
  auto f = compile(log::kHttpslogFormat, compiler);
  REQUIRE(exprs == std::vector<std::string>{"fc_err", "ssl_fc_err,hex", "ssl_c_err", "ssl_c_ca_err",
                                            "ssl_fc_is_resumed", "ssl_fc_sni"});
  struct Values {
    const char* v[6];
  };
  auto sample = [](const void* self, int id, std::string_view& out) {
    const char* v = static_cast<const Values*>(self)->v[id];
    if (!v) return false;
    out = v;
    return true;
  };
  tlstest::Pair pair(pki());
  REQUIRE(pair.connect());
  const sockaddr_in client = v4("127.0.0.1", 35752);
  log::Record r;
  r.client = sa(client);
  r.accept_date = r.request_date = dec7(1, 37, 45, 416);
  r.frontend = r.backend = "fe_httpslog";
  r.server = "<NOSRV>";
  r.t_request = 0;
  r.t_active = 0;
  r.status = 200;
  r.bytes_out = 49;
  logtest::set_ts(r, "LR--");
  r.actconn = r.feconn = 1;
  r.request_line = "GET /x?y HTTP/1.1";
  r.client_tls = pair.frontend();
  r.sample = sample;
  Values tls{{"0", "0000000000000000", "0", "0", "0", nullptr}};
  r.sample_self = &tls;
  CHECK(render(*f, r) ==
        "127.0.0.1:35752 [07/Dec/2026:01:37:45.416] fe_httpslog~ fe_httpslog/<NOSRV> 0/-1/-1/-1/0 200 49 - - LR-- "
        "1/1/0/0/0 0/0 \"GET /x?y HTTP/1.1\" 0/0000000000000000/0/0/0 -/TLSv1.3/TLS_AES_256_GCM_SHA384");
  Values sni{{"0", "0000000000000000", "0", "0", "0", "www.example.test"}};
  r.sample_self = &sni;
  r.request_line = "GET / HTTP/1.1";
  CHECK(render(*f, r).ends_with("\"GET / HTTP/1.1\" 0/0000000000000000/0/0/0 www.example.test/TLSv1.3/"
                                "TLS_AES_256_GCM_SHA384"));
  // Plaintext (the same frontend's other bind).
  const sockaddr_in plain_client = v4("127.0.0.1", 50394);
  r.client = sa(plain_client);
  r.accept_date = r.request_date = dec7(1, 37, 45, 555);
  r.client_tls = nullptr;
  Values plain{{"0", nullptr, nullptr, nullptr, "0", nullptr}};
  r.sample_self = &plain;
  CHECK(render(*f, r) ==
        "127.0.0.1:50394 [07/Dec/2026:01:37:45.555] fe_httpslog fe_httpslog/<NOSRV> 0/-1/-1/-1/0 200 49 - - LR-- "
        "1/1/0/0/0 0/0 \"GET / HTTP/1.1\" 0/-/-/-/0 -/-/-");
}

TEST_CASE("failed handshake: the connection-level line [haproxy]") {
  const sockaddr_in c1 = v4("127.0.0.1", 45152);
  log::ConnErrorLine l;
  l.client = sa(c1);
  l.accept_date = dec7(1, 29, 8, 951);
  l.frontend = "fe_http";
  l.error = log::ConnError::ssl_timeout;
  CHECK(log::conn_error_line(l) == "127.0.0.1:45152 [07/Dec/2026:01:29:08.951] fe_http/1: Timeout during SSL handshake");
  l.error = log::ConnError::ssl_handshake;
  CHECK(log::conn_error_line(l) == "127.0.0.1:45152 [07/Dec/2026:01:29:08.951] fe_http/1: SSL handshake failure");
  l.error = log::ConnError::ssl_crt_fail;
  CHECK(log::conn_error_line(l) ==
        "127.0.0.1:45152 [07/Dec/2026:01:29:08.951] fe_http/1: SSL client certificate not trusted");
  // A named bind shows its name.
  const sockaddr_in c2 = v4("127.0.0.1", 46906);
  l.client = sa(c2);
  l.accept_date = dec7(1, 30, 21, 582);
  l.frontend = "fe_a";
  l.bind_name = "secure";
  l.error = log::ConnError::ssl_empty;
  CHECK(log::conn_error_line(l) ==
        "127.0.0.1:46906 [07/Dec/2026:01:30:21.582] fe_a/secure: Connection closed during SSL handshake");
  CHECK(std::string(log::conn_error_text(log::ConnError::ssl_ca_fail)) == "SSL client CA chain cannot be verified");
  CHECK(std::string(log::conn_error_text(log::ConnError::ssl_abort)) == "Connection error during SSL handshake");
  // IPv6 clients and a second bind by number.
  sockaddr_in6 c6{};
  c6.sin6_family = AF_INET6;
  c6.sin6_port = htons(40000);
  inet_pton(AF_INET6, "::1", &c6.sin6_addr);
  l.client = reinterpret_cast<const sockaddr*>(&c6);
  l.bind_name = {};
  l.bind_id = 2;
  CHECK(log::conn_error_line(l) == "::1:40000 [07/Dec/2026:01:30:21.582] fe_a/2: Connection closed during SSL handshake");
}

TEST_CASE("failed handshake: which frontends log it, at which level [haproxy]") {
  config::Proxy fe;
  fe.logs.resize(1);
  // No log format at all (only `log global`): nothing is logged.
  CHECK_FALSE(log::conn_error_logged(fe, log::ConnError::ssl_handshake));
  fe.httplog = true;
  CHECK(log::conn_error_logged(fe, log::ConnError::ssl_handshake));
  CHECK(log::conn_error_logged(fe, log::ConnError::ssl_empty));
  CHECK(log::conn_error_logged(fe, log::ConnError::ssl_timeout));
  CHECK(log::conn_error_level(fe) == LOG_INFO);
  // dontlognull: a close, an error or a timeout before the handshake are not logged; a
  // failure (garbage, reset, missing certificate) or an untrusted certificate are.
  fe.dontlognull = true;
  CHECK_FALSE(log::conn_error_logged(fe, log::ConnError::ssl_empty));
  CHECK_FALSE(log::conn_error_logged(fe, log::ConnError::ssl_abort));
  CHECK_FALSE(log::conn_error_logged(fe, log::ConnError::ssl_timeout));
  CHECK(log::conn_error_logged(fe, log::ConnError::ssl_handshake));
  CHECK(log::conn_error_logged(fe, log::ConnError::ssl_crt_fail));
  // Any log-format, even one without variables, and tcplog.
  config::Proxy lf;
  lf.logs.resize(1);
  lf.log_format = "hello";
  lf.log_separate_errors = true;
  CHECK(log::conn_error_logged(lf, log::ConnError::ssl_empty));
  CHECK(log::conn_error_level(lf) == LOG_ERR);
  config::Proxy tcp;
  tcp.logs.resize(1);
  tcp.tcplog = true;
  CHECK(log::conn_error_logged(tcp, log::ConnError::ssl_handshake));
  tcp.logs.clear();
  CHECK_FALSE(log::conn_error_logged(tcp, log::ConnError::ssl_handshake));
}

TEST_CASE("failed handshake: classified from real handshakes as haproxy reports them [haproxy]") {
  SUBCASE("a certificate of an unknown CA on `verify required`: not trusted") {
    tlstest::Pair pair(pki(), true);
    CHECK_FALSE(pair.connect({pki().bad.x, pki().bad_key.p}));
    CHECK(pair.server_error() == SSL_ERROR_SSL);
    CHECK(log::classify_handshake_failure(pair.frontend(), log::HandshakeEnd::tls_error) ==
          log::ConnError::ssl_crt_fail);
    ERR_clear_error();
  }
  SUBCASE("no certificate on `verify required`: a failure") {
    tlstest::Pair pair(pki(), true);
    CHECK_FALSE(pair.connect());
    CHECK(pair.server_error() == SSL_ERROR_SSL);
    CHECK(log::classify_handshake_failure(pair.frontend(), log::HandshakeEnd::tls_error) ==
          log::ConnError::ssl_handshake);
    ERR_clear_error();
  }
  SUBCASE("plaintext HTTP: a failure") {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    SSL* s = SSL_new(ctx);
    BIO* in = BIO_new(BIO_s_mem());
    BIO_write(in, "GET / HTTP/1.0\r\n\r\n", 18);
    SSL_set_bio(s, in, BIO_new(BIO_s_mem()));
    SSL_set_accept_state(s);
    const int r = SSL_do_handshake(s);
    CHECK(SSL_get_error(s, r) == SSL_ERROR_SSL);
    CHECK(log::classify_handshake_failure(s, log::HandshakeEnd::tls_error) == log::ConnError::ssl_handshake);
    ERR_clear_error();
    SSL_free(s);
    SSL_CTX_free(ctx);
  }
  SUBCASE("closed before a whole ClientHello: closed; after one: a failure") {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate(ctx, pki().srv.x);
    SSL_CTX_use_PrivateKey(ctx, pki().srv_key.p);
    for (bool whole : {false, true}) {
      // A real ClientHello, whole or cut after 6 bytes, then EOF.
      SSL_CTX* cctx = SSL_CTX_new(TLS_client_method());
      SSL* c = SSL_new(cctx);
      BIO* cout = BIO_new(BIO_s_mem());
      SSL_set_bio(c, BIO_new(BIO_s_mem()), cout);
      SSL_set_connect_state(c);
      SSL_do_handshake(c);
      char* hello = nullptr;
      const long n = BIO_get_mem_data(cout, &hello);
      SSL* s = SSL_new(ctx);
      BIO* in = BIO_new(BIO_s_mem());
      BIO_write(in, hello, whole ? int(n) : 6);
      BIO_set_mem_eof_return(in, 0);
      SSL_set_bio(s, in, BIO_new(BIO_s_mem()));
      SSL_set_accept_state(s);
      SSL_do_handshake(s);
      CAPTURE(whole);
      CHECK(log::classify_handshake_failure(s, log::HandshakeEnd::eof) ==
            (whole ? log::ConnError::ssl_handshake : log::ConnError::ssl_empty));
      ERR_clear_error();
      SSL_free(s);
      SSL_free(c);
      SSL_CTX_free(cctx);
    }
    SSL_CTX_free(ctx);
  }
  CHECK(log::classify_handshake_failure(nullptr, log::HandshakeEnd::timeout) == log::ConnError::ssl_timeout);
  CHECK(log::classify_handshake_failure(nullptr, log::HandshakeEnd::reset) == log::ConnError::ssl_handshake);
}
