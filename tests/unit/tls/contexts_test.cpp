// The contexts built from a configuration, driven by real handshakes in memory: a client SSL
// and a server SSL from Contexts::bind() joined by a BIO pair. What is checked is what a
// client sees: the certificate served, the protocol chosen by ALPN, the version, whether the
// handshake succeeds. Certificates are made at test time with the openssl command.
#include <doctest/doctest.h>

// Designated initializers leave the other options at their defaults on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "portero/config/load.h"
#include "portero/tls/contexts.h"
#include "portero/tls/verify_record.h"

using namespace portero;

namespace {

// A temp directory with a CA, server certificates and client certificates.
struct Pki {
  std::string dir;
  Pki() {
    char tmpl[] = "/tmp/portero_tls_test_XXXXXX";
    dir = mkdtemp(tmpl);
    sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=TestCA");
    leaf("d", "rsa", "d.test", "DNS:d.test");
    leaf("a", "rsa", "a.test", "DNS:a.test");
    leaf("aec", "ec", "a.test", "DNS:a.test");
    leaf("w", "rsa", "w.test", "DNS:*.w.test");
    leaf("client", "rsa", "client", "DNS:client");
    // A client certificate no CA of ours signed.
    sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout rogue.key -out rogue.crt -days 2 -subj /CN=rogue"
       " && cat rogue.crt rogue.key > rogue.pem");
    // A certificate whose key is elsewhere (<crt>.key), and one whose key does not match.
    sh("cp a.crt split.pem && cp a.key split.pem.key && cat a.crt d.key > mismatch.pem && cp a.crt nokey.pem");
  }
  // At exit doctest's context is gone: no REQUIRE there.
  ~Pki() { [[maybe_unused]] const int rc = std::system(("rm -rf " + dir).c_str()); }
  void sh(const std::string& cmd) const {
    const std::string full = "cd " + dir + " && (" + cmd + ") >/dev/null 2>&1";
    REQUIRE(std::system(full.c_str()) == 0);
  }
  void leaf(const std::string& n, const std::string& alg, const std::string& cn, const std::string& san) const {
    const std::string key = alg == "ec" ? "ec -pkeyopt ec_paramgen_curve:P-256" : "rsa:2048";
    sh("openssl req -newkey " + key + " -nodes -keyout " + n + ".key -out " + n + ".csr -subj /CN=" + cn +
       " && printf 'subjectAltName=" + san + "\\n' > " + n + ".ext && openssl x509 -req -in " + n +
       ".csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out " + n + ".crt -extfile " + n + ".ext && cat " +
       n + ".crt " + n + ".key > " + n + ".pem");
  }
  std::string path(const std::string& f) const { return dir + "/" + f; }
};

const Pki& pki() {
  static Pki p;
  return p;
}

const char* kHead =
    "defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n";

struct Built {
  config::ConfigPtr cfg;
  std::unique_ptr<tls::Contexts> ctx;
  std::vector<std::string> messages;
};

Built build(const std::string& text) {
  Built b;
  config::Diagnostics d;
  b.cfg = config::load_text(text, "x.cfg", d);
  if (b.cfg) b.ctx = tls::Contexts::build(*b.cfg, d);
  for (const auto& m : d.all()) b.messages.push_back(config::format(m, 42));
  return b;
}

// A client's view of one handshake.
struct Outcome {
  bool ok = false;
  std::string cn;            // CN of the certificate served
  std::string alpn;
  int version = 0;
  std::string cipher;
  bool resumed = false;
  int verify_crt_err = -1;   // from the server side's VerifyRecord (-1: none recorded)
};

struct ClientOpts {
  std::string sni;
  std::string alpn;            // wire format
  std::string sigalgs;         // e.g. "ECDSA+SHA256"
  int max_version = 0;
  std::string cert;            // client certificate PEM
  SSL_SESSION* session = nullptr;
};

std::string cn_of(X509* x) {
  char buf[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf, sizeof buf);
  return buf;
}

// Runs a handshake between a client (from `client_ctx`, or a fresh one) and a server SSL from
// `server_ctx`. `keep` receives the client session when asked.
Outcome handshake(SSL_CTX* server_ctx, const ClientOpts& o, SSL_SESSION** keep = nullptr,
                  SSL* client_override = nullptr, SSL_CTX* client_ctx_override = nullptr) {
  Outcome out;
  SSL_CTX* cctx = client_ctx_override ? client_ctx_override : SSL_CTX_new(TLS_client_method());
  if (!client_ctx_override) {
    SSL_CTX_set_verify(cctx, SSL_VERIFY_NONE, nullptr);
    if (o.max_version) SSL_CTX_set_max_proto_version(cctx, o.max_version);
    if (!o.sigalgs.empty()) REQUIRE(SSL_CTX_set1_sigalgs_list(cctx, o.sigalgs.c_str()) == 1);
    if (!o.cert.empty()) {
      REQUIRE(SSL_CTX_use_certificate_chain_file(cctx, o.cert.c_str()) == 1);
      REQUIRE(SSL_CTX_use_PrivateKey_file(cctx, o.cert.c_str(), SSL_FILETYPE_PEM) == 1);
    }
  }
  SSL* c = client_override ? client_override : SSL_new(cctx);
  SSL* s = SSL_new(server_ctx);
  BIO *cb = nullptr, *sb = nullptr;
  BIO_new_bio_pair(&cb, 0, &sb, 0);
  SSL_set_bio(c, cb, cb);
  SSL_set_bio(s, sb, sb);
  SSL_set_connect_state(c);
  SSL_set_accept_state(s);
  if (!client_override) {
    if (!o.sni.empty()) SSL_set_tlsext_host_name(c, o.sni.c_str());
    if (!o.alpn.empty())
      SSL_set_alpn_protos(c, reinterpret_cast<const unsigned char*>(o.alpn.data()), unsigned(o.alpn.size()));
    if (o.session) SSL_set_session(c, o.session);
  }
  bool cdone = false, sdone = false, failed = false;
  // Each round moves bytes one way or the other: a bounded number of rounds, no waiting.
  for (int round = 0; round < 100 && !(cdone && sdone) && !failed; ++round) {
    if (!cdone) {
      const int r = SSL_do_handshake(c);
      if (r == 1) cdone = true;
      else if (SSL_get_error(c, r) != SSL_ERROR_WANT_READ) failed = true;
    }
    if (!sdone && !failed) {
      const int r = SSL_do_handshake(s);
      if (r == 1) sdone = true;
      else if (SSL_get_error(s, r) != SSL_ERROR_WANT_READ) failed = true;
    }
  }
  // TLS 1.3 tickets arrive after the handshake: let the client read them.
  if (cdone && sdone) {
    char byte;
    SSL_write(s, "x", 1);
    SSL_read(c, &byte, 1);
    // A clean close: an SSL freed without one drops its session from the caches.
    SSL_set_shutdown(c, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_set_shutdown(s, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  }
  ERR_clear_error();
  out.ok = cdone && sdone && !failed;
  if (X509* peer = SSL_get1_peer_certificate(c)) {
    out.cn = cn_of(peer);
    X509_free(peer);
  }
  const unsigned char* a = nullptr;
  unsigned alen = 0;
  SSL_get0_alpn_selected(c, &a, &alen);
  out.alpn.assign(reinterpret_cast<const char*>(a ? a : reinterpret_cast<const unsigned char*>("")), alen);
  out.version = SSL_version(c);
  if (const SSL_CIPHER* ci = SSL_get_current_cipher(c)) out.cipher = SSL_CIPHER_get_name(ci);
  out.resumed = SSL_session_reused(c);
  if (const auto* rec = tls::verify_record(s)) out.verify_crt_err = rec->crt_err;
  if (keep) *keep = SSL_get1_session(c);
  SSL_free(s);
  if (!client_override) SSL_free(c);
  if (!client_ctx_override) SSL_CTX_free(cctx);
  return out;
}

std::string wire(std::initializer_list<std::string> protos) {
  std::string w;
  for (const auto& p : protos) w += char(p.size()) + p;
  return w;
}

}  // namespace

TEST_CASE("SNI selection: exact name, wildcard, then the first certificate") {
  const auto& p = pki();
  auto b = build(std::string(kHead) + "frontend f\n  bind :8443 ssl crt " + p.path("d.pem") + " crt " +
                 p.path("a.pem") + " crt " + p.path("w.pem") + "\n");
  REQUIRE(b.ctx);
  SSL_CTX* ctx = b.ctx->bind(0, 0);
  REQUIRE(ctx);
  CHECK(handshake(ctx, {.sni = "a.test"}).cn == "a.test");
  CHECK(handshake(ctx, {.sni = "A.Test"}).cn == "a.test");
  CHECK(handshake(ctx, {.sni = "x.w.test"}).cn == "w.test");
  CHECK(handshake(ctx, {.sni = "y.x.w.test"}).cn == "d.test");   // a wildcard covers one label
  CHECK(handshake(ctx, {.sni = "other.test"}).cn == "d.test");
  auto none = handshake(ctx, {});
  CHECK(none.ok);
  CHECK(none.cn == "d.test");
}

TEST_CASE("strict-sni: no default certificate") {
  const auto& p = pki();
  auto b = build(std::string(kHead) + "frontend f\n  bind :8443 ssl strict-sni crt " + p.path("d.pem") + " crt " +
                 p.path("a.pem") + "\n");
  REQUIRE(b.ctx);
  SSL_CTX* ctx = b.ctx->bind(0, 0);
  CHECK(handshake(ctx, {.sni = "a.test"}).ok);
  CHECK(handshake(ctx, {.sni = "d.test"}).cn == "d.test");
  CHECK_FALSE(handshake(ctx, {.sni = "other.test"}).ok);
  CHECK_FALSE(handshake(ctx, {}).ok);
}

TEST_CASE("crt-list: filters, negated filters, per-line options") {
  const auto& p = pki();
  const std::string list = p.path("list.txt");
  std::ofstream(list) << p.path("d.pem") << "\n"
                      << p.path("w.pem") << " [alpn http/1.1] *.w.test !bad.w.test\n"
                      << p.path("a.pem") << " [ssl-max-ver TLSv1.2] alias.test\n"
                      << p.path("a.pem") << " [ssl-max-ver TLSv1.2 ciphers ECDHE-RSA-AES128-GCM-SHA256] c.test\n"
                      << p.path("aec.pem") << " !x.test\n";
  auto b = build(std::string(kHead) + "frontend f\n  bind :8443 ssl alpn h2 crt-list " + list + "\n");
  REQUIRE(b.ctx);
  SSL_CTX* ctx = b.ctx->bind(0, 0);
  auto w = handshake(ctx, {.sni = "ok.w.test", .alpn = wire({"h2", "http/1.1"})});
  CHECK(w.cn == "w.test");
  CHECK(w.alpn == "http/1.1");                                   // the line's alpn
  CHECK(handshake(ctx, {.sni = "bad.w.test"}).cn == "d.test");   // negated: falls to the default
  auto alias = handshake(ctx, {.sni = "alias.test"});
  CHECK(alias.cn == "a.test");                                   // filters replace the names of the certificate
  CHECK(alias.version == TLS1_2_VERSION);
  CHECK(alias.cipher == "ECDHE-RSA-AES256-GCM-SHA384");          // the bind's list, server order
  auto c = handshake(ctx, {.sni = "c.test"});
  CHECK(c.version == TLS1_2_VERSION);
  CHECK(c.cipher == "ECDHE-RSA-AES128-GCM-SHA256");              // the line's own list
  // Only negated filters: the certificate has no name at all (its CN a.test is not used).
  CHECK(handshake(ctx, {.sni = "a.test"}).cn == "d.test");
  auto d = handshake(ctx, {.sni = "d.test", .alpn = wire({"http/1.1", "h2"})});
  CHECK(d.alpn == "h2");         // the bind's `alpn h2`
  CHECK(d.version == TLS1_3_VERSION);
}

TEST_CASE("ECDSA and RSA certificates for one name: chosen by what the client can verify") {
  const auto& p = pki();
  auto b = build(std::string(kHead) + "frontend f\n  bind :8443 ssl crt " + p.path("d.pem") + " crt " +
                 p.path("a.pem") + " crt " + p.path("aec.pem") + "\n");
  REQUIRE(b.ctx);
  SSL_CTX* ctx = b.ctx->bind(0, 0);
  auto ec = handshake(ctx, {.sni = "a.test", .sigalgs = "ECDSA+SHA256:rsa_pss_rsae_sha256"});
  CHECK(ec.ok);
  auto rsa = handshake(ctx, {.sni = "a.test", .sigalgs = "rsa_pss_rsae_sha256:RSA+SHA256"});
  CHECK(rsa.ok);
  // Which certificate came: look at its key type through a fresh handshake's peer key.
  SSL_CTX* cctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set1_sigalgs_list(cctx, "ECDSA+SHA256");
  SSL* c = SSL_new(cctx);
  SSL_set_tlsext_host_name(c, "a.test");
  CHECK(handshake(ctx, {}, nullptr, c, cctx).ok);
  EVP_PKEY* k = X509_get0_pubkey(SSL_get0_peer_certificate(c));
  CHECK(EVP_PKEY_is_a(k, "EC"));
  SSL_free(c);
  SSL_CTX_set1_sigalgs_list(cctx, "rsa_pss_rsae_sha256");
  c = SSL_new(cctx);
  SSL_set_tlsext_host_name(c, "a.test");
  CHECK(handshake(ctx, {}, nullptr, c, cctx).ok);
  CHECK(EVP_PKEY_is_a(X509_get0_pubkey(SSL_get0_peer_certificate(c)), "RSA"));
  SSL_free(c);
  SSL_CTX_free(cctx);
}

TEST_CASE("ALPN: the bind's order wins; no common protocol: no ALPN, handshake goes on") {
  const auto& p = pki();
  auto b = build(std::string(kHead) + "frontend f\n  bind :8443 ssl crt " + p.path("a.pem") +
                 " alpn h2,http/1.1,http/1.0\n");
  REQUIRE(b.ctx);
  SSL_CTX* ctx = b.ctx->bind(0, 0);
  CHECK(handshake(ctx, {.alpn = wire({"http/1.0", "http/1.1"})}).alpn == "http/1.1");
  CHECK(handshake(ctx, {.alpn = wire({"http/1.1", "h2"})}).alpn == "h2");
  CHECK(handshake(ctx, {.alpn = wire({"h2"})}).alpn == "h2");
  CHECK(handshake(ctx, {.alpn = wire({"http/1.1"})}).alpn == "http/1.1");
  auto none = handshake(ctx, {.alpn = wire({"foo"})});
  CHECK(none.ok);
  CHECK(none.alpn.empty());
}

TEST_CASE("ALPN h2 in mode http: binds, servers and check-alpn negotiate it as written, without a word") {
  const auto& p = pki();
  auto b = build(std::string(kHead) + "frontend f\n  bind :8443 ssl crt " + p.path("a.pem") +
                 " alpn h2,http/1.1\n  default_backend b\nbackend b\n  server s1 127.0.0.1:8443 ssl verify none"
                 " alpn h2 check-alpn h2\n");
  REQUIRE(b.ctx);
  for (const auto& m : b.messages) {
    INFO(m);
    CHECK(m.find("alpn") == std::string::npos);
  }
  SSL_CTX* bind = b.ctx->bind(0, 0);
  CHECK(handshake(bind, {.alpn = wire({"http/1.1", "h2"})}).alpn == "h2");
  // The server line offers h2 (the proxy speaks HTTP/2 to it when picked), and so does its
  // check (an HTTP check then goes over HTTP/2).
  SSL_CTX* s1 = b.ctx->server(1, 0);
  REQUIRE(s1);
  for (bool for_check : {false, true}) {
    SSL* c = SSL_new(s1);
    b.ctx->prepare_server_ssl(c, 1, 0, for_check, "");
    auto o = handshake(bind, {}, nullptr, c, s1);
    CHECK(o.ok);
    CHECK(o.alpn == "h2");
    SSL_free(c);
  }
}

TEST_CASE("version limits") {
  const auto& p = pki();
  auto b = build(std::string(kHead) + "frontend f\n  bind :8443 ssl crt " + p.path("a.pem") +
                 " ssl-max-ver TLSv1.2\n  bind :8444 ssl crt " + p.path("a.pem") + " ssl-min-ver TLSv1.3\n"
                 "  bind :8445 ssl crt " + p.path("a.pem") + " force-tlsv12\n");
  REQUIRE(b.ctx);
  CHECK(handshake(b.ctx->bind(0, 0), {}).version == TLS1_2_VERSION);
  CHECK_FALSE(handshake(b.ctx->bind(0, 1), {.max_version = TLS1_2_VERSION}).ok);
  CHECK(handshake(b.ctx->bind(0, 1), {}).version == TLS1_3_VERSION);
  CHECK(handshake(b.ctx->bind(0, 2), {}).version == TLS1_2_VERSION);
}

TEST_CASE("client certificates: verify required / optional, ignore lists, the verify record") {
  const auto& p = pki();
  const std::string crt = " crt " + p.path("a.pem") + " ca-file " + p.path("ca.pem");
  auto b = build(std::string(kHead) + "frontend f\n  bind :8443 ssl" + crt + " verify required\n  bind :8444 ssl" +
                 crt + " verify optional\n  bind :8445 ssl" + crt + " verify optional crt-ignore-err all\n");
  REQUIRE(b.ctx);
  SSL_CTX* required = b.ctx->bind(0, 0);
  SSL_CTX* optional = b.ctx->bind(0, 1);
  SSL_CTX* ignoring = b.ctx->bind(0, 2);
  CHECK_FALSE(handshake(required, {}).ok);
  CHECK(handshake(required, {.cert = p.path("client.pem")}).ok);
  CHECK_FALSE(handshake(required, {.cert = p.path("rogue.pem")}).ok);
  CHECK(handshake(optional, {}).ok);
  CHECK(handshake(optional, {.cert = p.path("client.pem")}).ok);
  // As haproxy 2.6: optional still refuses a certificate that fails verification.
  CHECK_FALSE(handshake(optional, {.cert = p.path("rogue.pem")}).ok);
  auto ignored = handshake(ignoring, {.cert = p.path("rogue.pem")});
  CHECK(ignored.ok);
  CHECK(ignored.verify_crt_err == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
  CHECK(handshake(ignoring, {.cert = p.path("client.pem")}).verify_crt_err == -1);
}

TEST_CASE("session resumption through the bind's cache and through ticket keys") {
  const auto& p = pki();
  const std::string keys = p.path("tickets.keys");
  p.sh("for i in 1 2 3; do openssl rand 48 | openssl base64 -A; echo; done > tickets.keys");
  auto b = build(std::string(kHead) + "frontend f\n  bind :8443 ssl crt " + p.path("a.pem") + " crt " +
                 p.path("d.pem") + "\n  bind :8444 ssl crt " + p.path("a.pem") + " tls-ticket-keys " + keys +
                 "\n  bind :8445 ssl no-tls-tickets crt " + p.path("a.pem") + "\n");
  REQUIRE(b.ctx);
  for (int i = 0; i < 3; ++i) {
    CAPTURE(i);
    SSL_SESSION* sess = nullptr;
    const std::string sni = i == 0 ? "d.test" : "";
    auto first = handshake(b.ctx->bind(0, i), {.sni = sni}, &sess);
    REQUIRE(first.ok);
    REQUIRE(sess);
    auto second = handshake(b.ctx->bind(0, i), {.sni = sni, .session = sess});
    CHECK(second.ok);
    CHECK(second.resumed);
    CHECK(second.cn == (i == 0 ? "d.test" : "a.test"));
    SSL_SESSION_free(sess);
  }
}

TEST_CASE("tls-ticket-keys: tickets resume on another process with the same file, not without it") {
  const auto& p = pki();
  p.sh("for i in 1 2 3 4; do openssl rand 80 | openssl base64 -A; echo; done > tickets80.keys");
  const std::string with = std::string(kHead) + "frontend f\n  bind :8443 ssl crt " + p.path("a.pem") +
                           " tls-ticket-keys " + p.path("tickets80.keys") + "\n";
  const std::string without = std::string(kHead) + "frontend f\n  bind :8443 ssl crt " + p.path("a.pem") + "\n";
  auto one = build(with), two = build(with), three = build(without), four = build(without);
  REQUIRE((one.ctx && two.ctx && three.ctx && four.ctx));
  SSL_SESSION* sess = nullptr;
  REQUIRE(handshake(one.ctx->bind(0, 0), {}, &sess).ok);
  CHECK(handshake(two.ctx->bind(0, 0), {.session = sess}).resumed);
  SSL_SESSION_free(sess);
  REQUIRE(handshake(three.ctx->bind(0, 0), {}, &sess).ok);
  auto other = handshake(four.ctx->bind(0, 0), {.session = sess});
  CHECK(other.ok);
  CHECK_FALSE(other.resumed);
  SSL_SESSION_free(sess);
}

TEST_CASE("server contexts: verification, SNI and verifyhost, session reuse") {
  const auto& p = pki();
  auto b = build(std::string(kHead) + "frontend f\n  bind :8443 ssl crt " + p.path("a.pem") + " crt " +
                 p.path("w.pem") + "\nbackend b\n  server s1 127.0.0.1:8443 ssl ca-file " + p.path("ca.pem") +
                 " alpn h2\n  server s2 127.0.0.1:8443 ssl verify none no-ssl-reuse\n"
                 "  server s3 127.0.0.1:8443 ssl ca-file " + p.path("ca.pem") + " verifyhost nope.test\n"
                 "  server s4 127.0.0.1:8443 check port 9000\n");
  REQUIRE(b.ctx);
  SSL_CTX* bind = b.ctx->bind(0, 0);
  // Also as the bind's alpn for the h2 check below.
  SSL_CTX* s1 = b.ctx->server(1, 0);
  REQUIRE(s1);
  CHECK(b.ctx->check(1, 0) == s1);          // ssl, no check port: checks speak TLS too
  CHECK(b.ctx->server(1, 3) == nullptr);
  CHECK(b.ctx->check(1, 3) == nullptr);

  auto connect = [&](SSL_CTX* sctx, int si, const std::string& sni, bool keep) {
    SSL* c = SSL_new(sctx);
    b.ctx->prepare_server_ssl(c, 1, si, false, sni);
    auto o = handshake(bind, {}, nullptr, c, sctx);
    if (o.ok && keep) b.ctx->keep_server_session(c, 1, si);
    SSL_free(c);
    return o;
  };
  auto first = connect(s1, 0, "a.test", true);
  CHECK(first.ok);
  CHECK(first.cn == "a.test");
  CHECK(connect(s1, 0, "x.w.test", true).cn == "w.test");
  CHECK(connect(s1, 0, "", false).ok);     // verify required, no name: the chain alone is checked
  CHECK_FALSE(connect(b.ctx->server(1, 2), 2, "", false).ok);   // verifyhost nope.test
  // The session kept is the last one (x.w.test): reused for that name only, as haproxy.
  auto other = connect(s1, 0, "a.test", true);
  CHECK(other.ok);
  CHECK_FALSE(other.resumed);
  auto again = connect(s1, 0, "a.test", true);
  CHECK(again.ok);
  CHECK(again.resumed);
  CHECK(again.cn == "a.test");
  CHECK(connect(b.ctx->server(1, 1), 1, "", true).ok);
  CHECK_FALSE(connect(b.ctx->server(1, 1), 1, "", true).resumed);   // no-ssl-reuse
}

TEST_CASE("OCSP: <crt>.ocsp is stapled when the client asks") {
  const auto& p = pki();
  p.sh("mkdir -p ocsp && cp a.pem ocsp/a.pem && cp d.pem ocsp/d.pem && touch index.txt"
       " && openssl ocsp -issuer ca.pem -cert a.crt -reqout ocsp/req.der -no_nonce"
       " && openssl ocsp -index index.txt -rsigner ca.pem -rkey ca.key -CA ca.pem -reqin ocsp/req.der"
       " -respout ocsp/a.pem.ocsp -ndays 1 && rm ocsp/req.der");
  // A directory: the .ocsp companion is not taken for a certificate.
  auto b = build(std::string(kHead) + "frontend f\n  bind :8443 ssl crt " + p.path("ocsp") + "\n");
  REQUIRE(b.ctx);
  auto stapled = [&](const std::string& sni, bool ask) {
    SSL_CTX* cctx = SSL_CTX_new(TLS_client_method());
    SSL* c = SSL_new(cctx);
    SSL_set_tlsext_host_name(c, sni.c_str());
    if (ask) SSL_set_tlsext_status_type(c, TLSEXT_STATUSTYPE_ocsp);
    REQUIRE(handshake(b.ctx->bind(0, 0), {}, nullptr, c, cctx).ok);
    const unsigned char* resp = nullptr;
    const long len = SSL_get_tlsext_status_ocsp_resp(c, &resp);
    SSL_free(c);
    SSL_CTX_free(cctx);
    return len > 0 ? len : 0;
  };
  std::ifstream f(p.path("ocsp/a.pem.ocsp"), std::ios::binary | std::ios::ate);
  CHECK(stapled("a.test", true) == long(f.tellg()));
  CHECK(stapled("a.test", false) == 0);
  CHECK(stapled("d.test", true) == 0);
}

TEST_CASE("build errors in haproxy's words") {
  const auto& p = pki();
  const std::string fe = std::string(kHead) + "frontend f\n  bind :8443 ssl ";
  const std::string parsing = "[ALERT]    (42) : config : parsing [x.cfg:7] : 'bind :8443' in section 'frontend' : ";
  auto b = build(fe + "crt " + p.path("nokey.pem") + "\n");
  CHECK_FALSE(b.ctx);
  REQUIRE(!b.messages.empty());
  CHECK(b.messages[0] == parsing + "No Private Key found in '" + p.path("nokey.pem") + ".key'.");
  b = build(fe + "crt " + p.path("mismatch.pem") + "\n");
  REQUIRE(!b.messages.empty());
  CHECK(b.messages[0] == parsing + "inconsistencies between private key and certificate loaded '" +
                             p.path("mismatch.pem") + "'.");
  b = build(fe + "crt " + p.path("split.pem") + "\n");
  CHECK(b.ctx);
  const std::string late = "[ALERT]    (42) : config : Proxy 'f': ";
  auto twice = [&](const std::string& m) { return late + m + "\n" + "Proxy 'f': " + m; };
  b = build(fe + "crt " + p.path("a.pem") + " ciphers FOO\n");
  REQUIRE(!b.messages.empty());
  CHECK(b.messages[0] == twice("unable to set SSL cipher list to 'FOO' for bind ':8443' at [x.cfg:7]."));
  b = build(fe + "crt " + p.path("a.pem") + " ciphersuites FOO\n");
  CHECK(b.messages[0] == twice("unable to set TLS 1.3 cipher suites to 'FOO' for bind ':8443' at [x.cfg:7]."));
  b = build(fe + "crt " + p.path("a.pem") + " curves FOO\n");
  CHECK(b.messages[0] == twice("unable to set SSL curves list to 'FOO' for bind ':8443' at [x.cfg:7]."));
  b = build(fe + "crt " + p.path("a.pem") + " verify required\n");
  CHECK(b.messages[0] == twice("verify is enabled but no CA file specified for bind ':8443' at [x.cfg:7]."));
  b = build(fe + "crt " + p.path("a.pem") + " ssl-min-ver TLSv1.3 ssl-max-ver TLSv1.2\n");
  CHECK(b.messages[0] == late + "all SSL/TLS versions are disabled for bind ':8443' at [x.cfg:7].");
  b = build(fe + "\n");
  CHECK(b.messages[0] == late + "no SSL certificate specified for bind ':8443' at [x.cfg:7] (use 'crt').");
  b = build(fe + "crt " + p.path("a.pem") + " ssl-min-ver TLSv1.2 no-tlsv12\n");
  CHECK(b.ctx);
  REQUIRE(!b.messages.empty());
  CHECK(b.messages[0] == "[WARNING]  (42) : config : Proxy 'f': no-sslv3/no-tlsv1x are ignored for bind ':8443' at "
                         "[x.cfg:7]. Use only 'ssl-min-ver' and 'ssl-max-ver' to fix.");

  b = build(std::string(kHead) + "backend b\n  server s 127.0.0.1:443 ssl\n");
  CHECK_FALSE(b.ctx);
  CHECK(b.messages[0].starts_with("[ALERT]    (42) : config : [x.cfg:7] : 'server b/s' : verify is enabled by "
                                  "default but no CA file specified."));
  b = build("global\n  ssl-server-verify none\n" + std::string(kHead) + "backend b\n  server s 127.0.0.1:443 ssl\n");
  CHECK(b.ctx);
  b = build(std::string(kHead) + "backend b\n  server s 127.0.0.1:443 ssl verify none crt /nonexistent/c.pem\n");
  CHECK(b.messages[0] == "[ALERT]    (42) : config : [x.cfg:7] : 'server b/s' : unable to stat SSL certificate "
                         "from file '/nonexistent/c.pem' : No such file or directory.");
  b = build(std::string(kHead) + "backend b\n  server s 127.0.0.1:443 ssl verify none ciphers FOO\n");
  CHECK(b.messages[0] == "[ALERT]    (42) : config : [x.cfg:7] : 'server b/s' : unable to set SSL cipher list to 'FOO'.");
}

