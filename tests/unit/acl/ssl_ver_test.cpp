// req.ssl_ver / req_ssl_ver on real ClientHello bytes (OpenSSL's, captured from a client
// SSL object) and on hand-made SSLv2 / SSLv3 hellos. Values marked [haproxy] were logged by
// haproxy 2.6.12 in mode tcp with
//   tcp-request inspect-delay 2s
//   tcp-request content set-var(sess.v) req.ssl_ver
//   tcp-request content set-var(sess.a) int(1) if { req.ssl_ver 3.1 }   (and 3.3, 3)
//   log-format "v=%[var(sess.v)] a=%[var(sess.a)] ..."
// for `openssl s_client -tls1 / -tls1_2 / -tls1_3` and the bytes below sent by a script.
#include "acl_fixture.h"
#include "tls_pair.h"

using acltest::Env;
using portero::acl::Tri;

namespace {

// The first flight of a client limited to `max_version` (offering `alpn`, wire format).
std::string client_hello(int max_version, std::string_view alpn = {}) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_security_level(ctx, 0);   // TLS 1.0 needs it with today's defaults
  SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
  SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
  SSL_CTX_set_max_proto_version(ctx, max_version);
  SSL* ssl = SSL_new(ctx);
  BIO* rbio = BIO_new(BIO_s_mem());
  BIO* wbio = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, rbio, wbio);
  SSL_set_tlsext_host_name(ssl, "www.example.test");
  if (!alpn.empty()) SSL_set_alpn_protos(ssl, reinterpret_cast<const unsigned char*>(alpn.data()), unsigned(alpn.size()));
  SSL_set_connect_state(ssl);
  SSL_do_handshake(ssl);   // wants to read the server's answer
  char* p = nullptr;
  const long n = BIO_get_mem_data(wbio, &p);
  std::string out(p, size_t(n));
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  return out;
}

}  // namespace

TEST_CASE("req.ssl_ver: the ClientHello's version as (major << 16) + minor [haproxy]") {
  Env e("  acl v31 req.ssl_ver 3.1\n  acl v33 req_ssl_ver 3.3\n  acl v3 req.ssl_ver 3\n"
        "  acl range req.ssl_ver 3.1:3.3\n  acl ge req.ssl_ver ge 3.2\n",
        "");
  const std::string tls10 = client_hello(TLS1_VERSION);
  const std::string tls12 = client_hello(TLS1_2_VERSION);
  const std::string tls13 = client_hello(TLS1_3_VERSION);
  REQUIRE(tls10.size() > 11);
  e.ctx.payload = tls10;
  CHECK(e.expr("req.ssl_ver") == "196609");
  CHECK(e.yes("v31"));
  CHECK_FALSE(e.yes("v33"));
  CHECK(e.yes("range"));
  CHECK_FALSE(e.yes("ge"));
  e.ctx.payload = tls12;
  CHECK(e.expr("req.ssl_ver") == "196611");
  CHECK(e.expr("req_ssl_ver") == "196611");
  CHECK(e.yes("v33"));
  CHECK_FALSE(e.yes("v31"));
  CHECK(e.yes("ge"));
  // TLS 1.3 says 3.3 in its hello (the real version is in an extension).
  e.ctx.payload = tls13;
  CHECK(e.expr("req.ssl_ver") == "196611");

  // Not all of the record yet: the rule waits (miss) until the inspect delay ends.
  e.ctx.final = false;
  e.ctx.payload = std::string_view(tls12).substr(0, 10);
  CHECK(e.cond("if v33") == Tri::miss);
  e.ctx.payload = std::string_view(tls12).substr(0, tls12.size() - 1);
  CHECK(e.cond("if v33") == Tri::miss);
  e.ctx.payload = tls12;
  CHECK(e.cond("if v33") == Tri::yes);
  e.ctx.final = true;
  e.ctx.payload = std::string_view(tls12).substr(0, 10);
  CHECK(e.cond("if v33") == Tri::no);
  CHECK(e.expr("req.ssl_ver") == "<absent>");

  // Not TLS at all.
  e.ctx.payload = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  CHECK(e.expr("req.ssl_ver") == "<absent>");
}

TEST_CASE("req.ssl_ver: SSLv2-format and SSLv3 hellos [haproxy]") {
  Env e("  acl v3 req.ssl_ver 3\n", "");
  // SSLv2 short header: length 28, CLIENT-HELLO asking for 3.1, 3 bytes of ciphers, no
  // session id, a 16-byte challenge.
  const std::string v2 = std::string("\x80\x1c\x01\x03\x01\x00\x03\x00\x00\x00\x10", 11) + std::string("\x01\x00\x80", 3) +
                         std::string(16, 'C');
  e.ctx.payload = v2;
  CHECK(e.expr("req.ssl_ver") == "196609");
  // Long header whose length does not add up: not SSL.
  const std::string bad = std::string("\x00\x1e\x02\x01\x03\x00\x00\x03\x00\x00\x00\x10", 12) + std::string("\x01\x00\x80", 3) +
                          std::string(16, 'C') + "PP";
  e.ctx.payload = bad;
  CHECK(e.expr("req.ssl_ver") == "<absent>");
  // An SSLv3 record with a 6-byte hello asking for 3.0.
  const std::string v3 = std::string("\x16\x03\x00\x00\x06\x01\x00\x00\x02\x03\x00", 11);
  e.ctx.payload = v3;
  CHECK(e.expr("req.ssl_ver") == "196608");
  CHECK(e.yes("v3"));
}

TEST_CASE("req.ssl_ver patterns are dotted versions [haproxy]") {
  auto m = acltest::messages(
      "defaults\n  mode tcp\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n"
      "frontend f\n  bind 127.0.0.1:27001\n  acl x req.ssl_ver 3.x\n  default_backend b\n"
      "backend b\n  server s 127.0.0.1:27002\n");
  REQUIRE(!m.empty());
  CHECK(m[0] == "[ALERT]    (42) : config : parsing [t.cfg:8] : error detected while parsing ACL 'x' : '3.x' is not a "
                "dotted number.");
  m = acltest::messages(
      "defaults\n  mode tcp\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n"
      "frontend f\n  bind 127.0.0.1:27001\n  acl x req.ssl_ver 3.1:x\n  default_backend b\n"
      "backend b\n  server s 127.0.0.1:27002\n");
  REQUIRE(!m.empty());
  CHECK(m[0] == "[ALERT]    (42) : config : parsing [t.cfg:8] : error detected while parsing ACL 'x' : '3.1:x' is not "
                "a valid dotted number range.");
}

TEST_CASE("req.ssl_alpn: the first protocol as a sample, each one for an ACL [haproxy]") {
  // haproxy 2.6.12, mode tcp, `openssl s_client -alpn h2,http/1.1`: set-var(sess.alpn)
  // req.ssl_alpn logged "h2", and `{ req.ssl_alpn -m str http/1.1 }` matched.
  Env e("  acl h11 req.ssl_alpn -m str http/1.1\n  acl h2 req.ssl_alpn h2\n  acl h3 req.ssl_alpn h3\n", "");
  const std::string both = client_hello(TLS1_3_VERSION, std::string("\x02h2\x08http/1.1", 12));
  e.ctx.payload = both;
  CHECK(e.expr("req.ssl_alpn") == "h2");
  CHECK(e.yes("h11"));
  CHECK(e.yes("h2"));
  CHECK_FALSE(e.yes("h3"));
  // No ALPN offered: absent.
  const std::string none = client_hello(TLS1_3_VERSION);
  e.ctx.payload = none;
  CHECK(e.expr("req.ssl_alpn") == "<absent>");
  CHECK_FALSE(e.yes("h2"));
  // Half a record: wait for the rest.
  e.ctx.final = false;
  e.ctx.payload = std::string_view(both).substr(0, both.size() / 2);
  CHECK(e.cond("if h2") == Tri::miss);
}
