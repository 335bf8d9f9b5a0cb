// The TLS fetches over real in-memory handshakes. Expected strings marked [haproxy] are what
// Debian's haproxy 2.6.12 printed for the same certificates (same names, serials and dates,
// made with the openssl CLI) on
//   bind ... ssl crt srv.pem ca-file ca.crt verify optional [crt-ignore-err all ca-ignore-err all]
//   http-request return status 200 content-type text/plain lf-string "...%[ssl_c_s_dn]..."
// queried with `curl --cert cli.crt --key cli.key https://www.example.test/` (TLS 1.3, ALPN h2)
// and `curl --tlsv1.2 --tls-max 1.2 -k` (no client certificate), and on a plaintext bind.
// Digests and DER differ from run to run (fresh keys): they are checked against OpenSSL's own.
#include "acl_fixture.h"
#include "tls_pair.h"

using acltest::Env;
using acltest::messages;
using tlstest::ClientOptions;
using tlstest::Pair;
using tlstest::Pki;

namespace {
Pki& pki() {
  static Pki p;
  return p;
}
}  // namespace

TEST_CASE("plaintext: ssl_fc, ssl_fc_has_sni, ssl_fc_is_resumed are 0, the rest absent [haproxy]") {
  Env e("");
  CHECK(e.expr("ssl_fc") == "0");
  CHECK(e.expr("ssl_fc_has_sni") == "0");
  CHECK(e.expr("ssl_fc_is_resumed") == "0");
  CHECK(e.expr("ssl_bc") == "0");
  for (const char* f : {"ssl_fc_sni", "ssl_fc_protocol", "ssl_fc_cipher", "ssl_fc_alpn", "ssl_fc_npn",
                        "ssl_fc_has_crt", "ssl_fc_use_keysize", "ssl_fc_alg_keysize", "ssl_fc_session_id",
                        "ssl_fc_session_key", "ssl_fc_client_random", "ssl_fc_server_random", "ssl_c_used",
                        "ssl_c_verify", "ssl_c_err", "ssl_c_ca_err", "ssl_c_ca_err_depth", "ssl_c_s_dn",
                        "ssl_c_i_dn", "ssl_c_serial", "ssl_c_sha1", "ssl_c_der", "ssl_c_notafter",
                        "ssl_c_notbefore", "ssl_c_version", "ssl_c_sig_alg", "ssl_c_key_alg", "ssl_f_s_dn",
                        "ssl_f_i_dn", "ssl_f_serial", "ssl_f_sha1", "ssl_f_der", "ssl_f_notafter",
                        "ssl_f_notbefore", "ssl_f_version", "ssl_f_sig_alg", "ssl_f_key_alg", "ssl_bc_protocol",
                        "ssl_s_s_dn"}) {
    CAPTURE(f);
    CHECK(e.expr(f) == "<absent>");
  }
  // option httpslog's fields in plaintext: "0/-/-/-/0 -" [haproxy].
  CHECK(e.expr("fc_err") == "0");
  CHECK(e.expr("fc_err_str") == "Success");
  CHECK(e.expr("ssl_fc_err") == "<absent>");
  CHECK(e.expr("ssl_fc_err_str") == "<absent>");
  // The older flag still makes ssl_fc true for a data plane that sets only it.
  e.ctx.ssl = true;
  CHECK(e.expr("ssl_fc") == "1");
}

TEST_CASE("TLS 1.3 with a client certificate [haproxy]") {
  Pair pair(pki());
  REQUIRE(pair.connect({pki().cli.x, pki().cli_key.p}));
  Env e("");
  e.ctx.client_tls = pair.frontend();
  CHECK(e.expr("ssl_fc") == "1");
  CHECK(e.expr("ssl_fc_sni") == "www.example.test");
  CHECK(e.expr("ssl_fc_has_sni") == "1");
  CHECK(e.expr("ssl_fc_protocol") == "TLSv1.3");
  CHECK(e.expr("ssl_fc_cipher") == "TLS_AES_256_GCM_SHA384");
  CHECK(e.expr("ssl_fc_alpn") == "h2");
  CHECK(e.expr("ssl_fc_npn") == "<absent>");
  CHECK(e.expr("ssl_fc_is_resumed") == "0");
  CHECK(e.expr("ssl_fc_has_crt") == "1");
  CHECK(e.expr("ssl_fc_use_keysize") == "256");
  CHECK(e.expr("ssl_fc_alg_keysize") == "256");
  // Binary values: 32 random bytes each side, a 48-byte TLS 1.3 resumption secret.
  CHECK(e.expr("ssl_fc_client_random,hex").size() == 64);
  CHECK(e.expr("ssl_fc_server_random,hex").size() == 64);
  CHECK(e.expr("ssl_fc_session_key,hex").size() == 96);
  unsigned char cr[32];
  SSL_get_client_random(pair.frontend(), cr, sizeof cr);
  CHECK(e.expr("ssl_fc_client_random,hex") == tlstest::hex(cr, 32));

  CHECK(e.expr("ssl_c_used") == "1");
  CHECK(e.expr("ssl_c_verify") == "0");
  CHECK(e.expr("ssl_c_err") == "0");
  CHECK(e.expr("ssl_c_ca_err") == "0");
  CHECK(e.expr("ssl_c_ca_err_depth") == "0");
  CHECK(e.expr("ssl_c_s_dn") == "/C=US/O=Client Org/OU=Unit A/OU=Unit B/CN=alice");
  CHECK(e.expr("ssl_c_i_dn") == "/C=FR/O=Portero Test/CN=Test CA");
  CHECK(e.expr("ssl_c_s_dn(CN)") == "alice");
  CHECK(e.expr("ssl_c_s_dn(OU)") == "Unit A");
  CHECK(e.expr("ssl_c_s_dn(ou)") == "Unit A");
  CHECK(e.expr("ssl_c_s_dn(OU,1)") == "Unit A");
  CHECK(e.expr("ssl_c_s_dn(OU,2)") == "Unit B");
  CHECK(e.expr("ssl_c_s_dn(OU,-1)") == "Unit B");
  CHECK(e.expr("ssl_c_s_dn(OU,-2)") == "Unit A");
  CHECK(e.expr("ssl_c_s_dn(OU,0)") == "<absent>");
  CHECK(e.expr("ssl_c_s_dn(OU,3)") == "<absent>");
  CHECK(e.expr("ssl_c_s_dn(OU,-3)") == "<absent>");
  CHECK(e.expr("ssl_c_s_dn(commonName)") == "<absent>");   // short names only
  CHECK(e.expr("ssl_c_s_dn(2.5.4.3)") == "<absent>");
  CHECK(e.expr("ssl_c_s_dn(,1)") == "/C=US/O=Client Org/OU=Unit A/OU=Unit B/CN=alice");
  CHECK(e.expr("ssl_c_s_dn(,0,rfc2253)") == "CN=alice,OU=Unit B,OU=Unit A,O=Client Org,C=US");
  CHECK(e.expr("ssl_c_i_dn(,0,rfc2253)") == "CN=Test CA,O=Portero Test,C=FR");
  CHECK(e.expr("ssl_c_s_dn(CN,1,rfc2253)") == "alice");   // an entry wins over the format
  CHECK(e.expr("ssl_c_serial,hex") == "1234");
  CHECK(e.expr("ssl_c_sha1,hex") == tlstest::sha1_hex(pki().cli.x));
  CHECK(e.expr("ssl_c_der,hex") == tlstest::der_hex(pki().cli.x));
  CHECK(e.expr("ssl_c_notafter") == "270106012615Z");
  CHECK(e.expr("ssl_c_notbefore") == "261207012615Z");
  CHECK(e.expr("ssl_c_version") == "1");
  CHECK(e.expr("ssl_c_sig_alg") == "RSA-SHA256");
  CHECK(e.expr("ssl_c_key_alg") == "id-ecPublicKey");
  CHECK(e.expr("ssl_fc_protocol,lower") == "tlsv1.3");
  // option httpslog's fields on an established TLS connection: "0/0000000000000000/0/0/0".
  CHECK(e.expr("fc_err") == "0");
  CHECK(e.expr("ssl_fc_err,hex") == "0000000000000000");
  CHECK(e.expr("ssl_fc_err_str") == "<absent>");
  CHECK(e.expr("ssl_fc_cipher,length") == "22");

  // The frontend's own certificate.
  CHECK(e.expr("ssl_f_s_dn") == "/C=FR/ST=IDF/O=Portero, Inc./OU=Edge/CN=www.example.test");
  CHECK(e.expr("ssl_f_i_dn") == "/C=FR/O=Portero Test/CN=Test CA");
  CHECK(e.expr("ssl_f_s_dn(,0,rfc2253)") == "CN=www.example.test,OU=Edge,O=Portero\\, Inc.,ST=IDF,C=FR");
  CHECK(e.expr("ssl_f_serial,hex") == "0A1B2C3D");
  CHECK(e.expr("ssl_f_sha1,hex") == tlstest::sha1_hex(pki().srv.x));
  CHECK(e.expr("ssl_f_der,hex") == tlstest::der_hex(pki().srv.x));
  CHECK(e.expr("ssl_f_notafter") == "271207012615Z");
  CHECK(e.expr("ssl_f_notbefore") == "261207012615Z");
  CHECK(e.expr("ssl_f_sig_alg") == "RSA-SHA256");
  CHECK(e.expr("ssl_f_key_alg") == "rsaEncryption");

  // The same handshake seen from the connecting side: what ssl_bc_* / ssl_s_* read.
  e.ctx.server_tls = pair.backend();
  CHECK(e.expr("ssl_bc") == "1");
  CHECK(e.expr("ssl_bc_protocol") == "TLSv1.3");
  CHECK(e.expr("ssl_bc_cipher") == "TLS_AES_256_GCM_SHA384");
  CHECK(e.expr("ssl_bc_alpn") == "h2");
  CHECK(e.expr("ssl_bc_is_resumed") == "0");
  CHECK(e.expr("ssl_bc_use_keysize") == "256");
  CHECK(e.expr("ssl_bc_alg_keysize") == "256");
  CHECK(e.expr("ssl_bc_client_random,hex") == tlstest::hex(cr, 32));
  CHECK(e.expr("ssl_s_s_dn(CN)") == "www.example.test");
  CHECK(e.expr("ssl_s_i_dn") == "/C=FR/O=Portero Test/CN=Test CA");
  CHECK(e.expr("ssl_s_serial,hex") == "0A1B2C3D");
  CHECK(e.expr("ssl_s_sha1,hex") == tlstest::sha1_hex(pki().srv.x));
  CHECK(e.expr("ssl_s_notafter") == "271207012615Z");
  CHECK(e.expr("ssl_s_version") == "1");
  CHECK(e.expr("ssl_f_version") == "1");
  CHECK(e.expr("ssl_s_key_alg") == "rsaEncryption");
}

TEST_CASE("TLS 1.2 without a client certificate, no SNI [haproxy]") {
  Pair pair(pki());
  ClientOptions o;
  o.sni = nullptr;
  o.max_version = TLS1_2_VERSION;
  REQUIRE(pair.connect(o));
  Env e("");
  e.ctx.client_tls = pair.frontend();
  CHECK(e.expr("ssl_fc") == "1");
  CHECK(e.expr("ssl_fc_sni") == "<absent>");
  CHECK(e.expr("ssl_fc_has_sni") == "0");
  CHECK(e.expr("ssl_fc_protocol") == "TLSv1.2");
  CHECK(e.expr("ssl_fc_cipher") == "ECDHE-RSA-AES256-GCM-SHA384");
  CHECK(e.expr("ssl_fc_alpn") == "h2");
  CHECK(e.expr("ssl_fc_has_crt") == "0");
  CHECK(e.expr("ssl_fc_use_keysize") == "256");
  CHECK(e.expr("ssl_fc_alg_keysize") == "256");
  // The session id is what the context's session cache gave (haproxy's, with its cache, shows
  // 32 bytes; OpenSSL's defaults with tickets give none): the fetch shows OpenSSL's.
  unsigned id_len = 0;
  const unsigned char* id = SSL_SESSION_get_id(SSL_get_session(pair.frontend()), &id_len);
  CHECK(e.expr("ssl_fc_session_id,hex") == (id_len ? tlstest::hex(id, id_len) : "<absent>"));
  CHECK(e.expr("ssl_fc_session_key,hex").size() == 96);   // the TLS 1.2 master secret
  // No certificate: used 0, verify and errors 0, the certificate's fields absent.
  CHECK(e.expr("ssl_c_used") == "0");
  CHECK(e.expr("ssl_c_verify") == "0");
  CHECK(e.expr("ssl_c_err") == "0");
  CHECK(e.expr("ssl_c_ca_err") == "0");
  CHECK(e.expr("ssl_c_ca_err_depth") == "0");
  for (const char* f : {"ssl_c_s_dn", "ssl_c_i_dn", "ssl_c_s_dn(CN)", "ssl_c_serial", "ssl_c_sha1", "ssl_c_der",
                        "ssl_c_notafter", "ssl_c_notbefore", "ssl_c_version", "ssl_c_sig_alg", "ssl_c_key_alg"}) {
    CAPTURE(f);
    CHECK(e.expr(f) == "<absent>");
  }
  CHECK(e.expr("ssl_f_serial,hex") == "0A1B2C3D");
}

TEST_CASE("TLS 1.2 resumption: ssl_fc_is_resumed, ssl_bc_is_resumed") {
  Pair pair(pki());
  ClientOptions o;
  o.max_version = TLS1_2_VERSION;
  REQUIRE(pair.connect(o));
  SSL_SESSION* sess = pair.client_session();
  REQUIRE(sess);
  o.resume = sess;
  REQUIRE(pair.connect(o));
  SSL_SESSION_free(sess);
  Env e("");
  e.ctx.client_tls = pair.frontend();
  e.ctx.server_tls = pair.backend();
  CHECK(e.expr("ssl_fc_is_resumed") == "1");
  CHECK(e.expr("ssl_bc_is_resumed") == "1");
  CHECK(e.expr("ssl_fc_session_id,hex") == e.expr("ssl_bc_session_id,hex"));
}

TEST_CASE("verification errors ignored: ssl_c_verify is the last, ssl_c_err the first at depth 0 [haproxy]") {
  // A certificate of an unknown CA, sent alone: OpenSSL reports 20 (unable to get local issuer)
  // then 21 (unable to verify the first certificate) at depth 0.
  Pair pair(pki());
  REQUIRE(pair.connect({pki().bad.x, pki().bad_key.p}));
  Env e("");
  e.ctx.client_tls = pair.frontend();
  CHECK(e.expr("ssl_c_used") == "1");
  CHECK(e.expr("ssl_c_verify") == "21");
  CHECK(e.expr("ssl_c_err") == "20");
  CHECK(e.expr("ssl_c_ca_err") == "0");
  CHECK(e.expr("ssl_c_ca_err_depth") == "0");
  CHECK(e.expr("ssl_c_s_dn") == "/CN=mallory");
  CHECK(e.expr("ssl_c_i_dn") == "/CN=Other CA");
  CHECK(e.expr("ssl_c_s_dn(,0,rfc2253)") == "CN=mallory");
  CHECK(e.expr("ssl_c_serial,hex") == "07");
}

TEST_CASE("serial magnitude, email entries, a GeneralizedTime loses its century [haproxy]") {
  Pair pair(pki());
  REQUIRE(pair.connect({pki().s80.x, pki().bad_key.p}));
  Env e("");
  e.ctx.client_tls = pair.frontend();
  CHECK(e.expr("ssl_c_serial,hex") == "80");
  CHECK(e.expr("ssl_c_s_dn") == "/CN=s80/emailAddress=a@b.c");
  CHECK(e.expr("ssl_c_s_dn(,0,rfc2253)") == "emailAddress=a@b.c,CN=s80");
  CHECK(e.expr("ssl_c_notafter") == "540424012634Z");
  CHECK(e.expr("ssl_c_notbefore") == "261207012634Z");
}

TEST_CASE("TLS ACLs: keywords, default matching, ssl_fc_sni_end/_reg [haproxy]") {
  Pair pair(pki());
  REQUIRE(pair.connect({pki().cli.x, pki().cli_key.p}));
  Env e("  acl end ssl_fc_sni_end .test\n  acl reg ssl_fc_sni_reg ^www\\.\n  acl regno ssl_fc_sni_reg ^x\n"
        "  acl ok ssl_c_verify 0\n  acl used ssl_c_used\n  acl cn ssl_c_s_dn(CN) alice\n"
        "  acl ser ssl_c_serial,hex 1234\n  acl tls13 ssl_fc_protocol TLSv1.3\n  acl fc ssl_fc\n");
  e.ctx.client_tls = pair.frontend();
  for (const char* a : {"end", "reg", "ok", "used", "cn", "ser", "tls13", "fc"}) {
    CAPTURE(a);
    CHECK(e.yes(a));
  }
  CHECK_FALSE(e.yes("regno"));
  e.ctx.client_tls = nullptr;
  CHECK_FALSE(e.yes("fc"));
  CHECK_FALSE(e.yes("end"));
  CHECK_FALSE(e.yes("used"));
}

TEST_CASE("TLS fetch errors in haproxy's words [haproxy]") {
  const std::string head =
      "defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n"
      "frontend f\n  bind 127.0.0.1:27001\n";
  const std::string tail = "  default_backend b\nbackend b\n  server s 127.0.0.1:27002\n";
  auto one = [&](const std::string& line) {
    auto m = messages(head + line + "\n" + tail);
    REQUIRE(!m.empty());
    return m[0];
  };
  const std::string at = "[ALERT]    (42) : config : parsing [t.cfg:8] : error detected while parsing ACL 'x' : ";
  CHECK(one("  acl x ssl_c_s_dn(CN,1,foo) -m found") ==
        at + "invalid args in fetch method 'ssl_c_s_dn' : only rfc2253 or a blank value are currently supported as "
             "the format argument. in ACL expression 'ssl_c_s_dn(CN,1,foo)'.");
  CHECK(one("  acl x ssl_c_serial 12") ==
        at + "matching method must be specified first (using '-m') when using a sample fetch of this type "
             "('ssl_c_serial').");
  CHECK(one("  acl x ssl_fc_sni(1) -m found") ==
        at + "fetch method 'ssl_fc_sni' : expected ')' before '1)' in ACL expression 'ssl_fc_sni(1)'.");
  CHECK(one("  acl x ssl_c_i_dn(CN,a) -m found") ==
        at + "fetch method 'ssl_c_i_dn' : failed to parse 'a' as type 'integer' at position 2 in ACL expression "
             "'ssl_c_i_dn(CN,a)'.");
  CHECK(one("  acl x ssl_c_s_dn_cn alice") ==
        at + "unknown fetch method 'ssl_c_s_dn_cn' in ACL expression 'ssl_c_s_dn_cn'.");
  CHECK(one("  acl x ssl_fc_protocol_beg TLS") ==
        at + "unknown fetch method 'ssl_fc_protocol_beg' in ACL expression 'ssl_fc_protocol_beg'.");
  // The format argument is exact: RFC2253 is refused too.
  Env e("");
  CHECK(e.compiled->format_error(0, "%[ssl_c_i_dn(,0,RFC2253)]").find(
            "invalid args in fetch method 'ssl_c_i_dn' : only rfc2253 or a blank value are currently supported as "
            "the format argument.") != std::string::npos);
}
