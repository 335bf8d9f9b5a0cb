#pragma once
// Real TLS handshakes in memory for the TLS fetch tests: certificates made with OpenSSL's API
// at test time (names, serials and dates chosen to match the ones haproxy 2.6.12 was run with
// when the expected strings were recorded), and two SSL objects talking over a BIO pair.
#include <doctest/doctest.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "portero/tls/verify_record.h"

namespace tlstest {

struct Key {
  EVP_PKEY* p = nullptr;
  Key() = default;
  explicit Key(EVP_PKEY* k) : p(k) {}
  Key(Key&& o) noexcept : p(std::exchange(o.p, nullptr)) {}
  Key& operator=(Key&& o) noexcept {
    std::swap(p, o.p);
    return *this;
  }
  ~Key() { EVP_PKEY_free(p); }
};
struct Cert {
  X509* x = nullptr;
  Cert() = default;
  explicit Cert(X509* c) : x(c) {}
  Cert(Cert&& o) noexcept : x(std::exchange(o.x, nullptr)) {}
  Cert& operator=(Cert&& o) noexcept {
    std::swap(x, o.x);
    return *this;
  }
  ~Cert() { X509_free(x); }
};

inline Key rsa_key() { return Key(EVP_RSA_gen(2048)); }
inline Key ec_key() { return Key(EVP_EC_gen("P-256")); }

// "/C=FR/O=x/CN=y" entries, in order.
inline X509_NAME* make_name(const std::vector<std::pair<std::string, std::string>>& entries) {
  X509_NAME* n = X509_NAME_new();
  for (const auto& [k, v] : entries)
    X509_NAME_add_entry_by_txt(n, k.c_str(), MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(v.data()),
                               int(v.size()), -1, 0);
  return n;
}

struct CertSpec {
  std::vector<std::pair<std::string, std::string>> subject;
  long serial = 1;
  const char* not_before = "261207012615Z";
  const char* not_after = "270106012615Z";
  bool ca = false;
};

// A certificate for `key` (v3 for a CA, v1 otherwise), signed with SHA-256 by `issuer_key` (self-signed when
// issuer is null).
inline Cert make_cert(const CertSpec& s, EVP_PKEY* key, const X509* issuer, EVP_PKEY* issuer_key) {
  X509* x = X509_new();
  X509_set_version(x, s.ca ? 2 : 0);   // leaves as `openssl x509 -req` makes them: version 1
  ASN1_INTEGER_set(X509_get_serialNumber(x), s.serial);
  ASN1_TIME_set_string(X509_getm_notBefore(x), s.not_before);
  ASN1_TIME_set_string(X509_getm_notAfter(x), s.not_after);
  X509_NAME* subject = make_name(s.subject);
  X509_set_subject_name(x, subject);
  X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : subject);
  X509_NAME_free(subject);
  X509_set_pubkey(x, key);
  if (s.ca) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_basic_constraints, "critical,CA:TRUE");
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  REQUIRE(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
  return Cert(x);
}

// The PKI of the tests: the same names as the files haproxy was run with.
struct Pki {
  Key ca_key = rsa_key(), srv_key = rsa_key(), cli_key = ec_key(), other_key = rsa_key(), bad_key = rsa_key();
  Cert ca = make_cert({{{"C", "FR"}, {"O", "Portero Test"}, {"CN", "Test CA"}}, 1, "261207012615Z",
                       "361205012615Z", true},
                      ca_key.p, nullptr, nullptr);
  Cert srv = make_cert({{{"C", "FR"}, {"ST", "IDF"}, {"O", "Portero, Inc."}, {"OU", "Edge"}, {"CN", "www.example.test"}},
                        0x0A1B2C3D, "261207012615Z", "271207012615Z"},
                       srv_key.p, ca.x, ca_key.p);
  Cert cli = make_cert({{{"C", "US"}, {"O", "Client Org"}, {"OU", "Unit A"}, {"OU", "Unit B"}, {"CN", "alice"}},
                        0x1234, "261207012615Z", "270106012615Z"},
                       cli_key.p, ca.x, ca_key.p);
  // Serial 128 (DER 00 80) and a notAfter in 2054 (a GeneralizedTime).
  Cert s80 = make_cert({{{"CN", "s80"}, {"emailAddress", "a@b.c"}}, 128, "261207012634Z", "20540424012634Z"},
                       bad_key.p, ca.x, ca_key.p);
  Cert other = make_cert({{{"CN", "Other CA"}}, 2, "261207012615Z", "270106012615Z", true}, other_key.p, nullptr,
                         nullptr);
  Cert bad = make_cert({{{"CN", "mallory"}}, 7, "261207012615Z", "270106012615Z"}, bad_key.p, other.x,
                       other_key.p);
};

// The verify callback a bind with `verify optional crt-ignore-err all ca-ignore-err all` has,
// as far as the fetches see it: the first error at depth 0 and the first at a CA depth are
// kept in the VerifyRecord; every error is ignored.
inline int record_and_ignore(int, X509_STORE_CTX* store) {
  const int err = X509_STORE_CTX_get_error(store);
  if (err == X509_V_OK) return 1;
  SSL* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* rec = static_cast<portero::tls::VerifyRecord*>(SSL_get_ex_data(ssl, portero::tls::verify_record_index()));
  if (!rec) {
    rec = new portero::tls::VerifyRecord;
    SSL_set_ex_data(ssl, portero::tls::verify_record_index(), rec);
  }
  const int depth = X509_STORE_CTX_get_error_depth(store);
  if (depth == 0 && !rec->crt_err) rec->crt_err = err;
  if (depth > 0 && !rec->ca_err) {
    rec->ca_err = err;
    rec->ca_err_depth = depth;
  }
  return 1;
}

// `verify required` without ignored errors: the same record, and the first error refuses.
inline int record_and_refuse(int ok, X509_STORE_CTX* store) {
  if (!ok) record_and_ignore(0, store);
  return ok;
}

inline int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                       unsigned inlen, void*) {
  static const unsigned char kServer[] = "\x02h2\x08http/1.1";
  unsigned char* o = nullptr;
  if (SSL_select_next_proto(&o, outlen, kServer, sizeof kServer - 1, in, inlen) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = o;
  return SSL_TLSEXT_ERR_OK;
}

struct ClientOptions {
  const X509* cert = nullptr;   // client certificate, or none
  EVP_PKEY* key = nullptr;
  const char* sni = "www.example.test";
  bool alpn = true;
  int max_version = 0;          // e.g. TLS1_2_VERSION
  SSL_SESSION* resume = nullptr;
};

// A frontend-like server context (the server certificate, the test CA trusted, client
// certificates requested and their errors recorded) and one handshake per connect().
class Pair {
 public:
  // `required`: client certificates are required and verification errors refuse them.
  explicit Pair(Pki& pki, bool required = false) {
    server_ctx_ = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate(server_ctx_, pki.srv.x);
    SSL_CTX_use_PrivateKey(server_ctx_, pki.srv_key.p);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(server_ctx_), pki.ca.x);
    if (required)
      SSL_CTX_set_verify(server_ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, record_and_refuse);
    else
      SSL_CTX_set_verify(server_ctx_, SSL_VERIFY_PEER, record_and_ignore);
    SSL_CTX_set_alpn_select_cb(server_ctx_, select_alpn, nullptr);
    SSL_CTX_set_session_id_context(server_ctx_, reinterpret_cast<const unsigned char*>("fe"), 2);
    client_ctx_ = SSL_CTX_new(TLS_client_method());
    X509_STORE_add_cert(SSL_CTX_get_cert_store(client_ctx_), pki.ca.x);
  }
  ~Pair() {
    reset();
    SSL_CTX_free(server_ctx_);
    SSL_CTX_free(client_ctx_);
  }
  Pair(const Pair&) = delete;
  Pair& operator=(const Pair&) = delete;

  // Runs a handshake; true when both ends completed it.
  bool connect(const ClientOptions& o = {}) {
    reset();
    server_ = SSL_new(server_ctx_);
    client_ = SSL_new(client_ctx_);
    BIO *a = nullptr, *b = nullptr;
    BIO_new_bio_pair(&a, 0, &b, 0);
    SSL_set_bio(server_, a, a);
    SSL_set_bio(client_, b, b);
    SSL_set_accept_state(server_);
    SSL_set_connect_state(client_);
    if (o.cert) {
      SSL_use_certificate(client_, const_cast<X509*>(o.cert));
      SSL_use_PrivateKey(client_, o.key);
    }
    if (o.sni) SSL_set_tlsext_host_name(client_, o.sni);
    if (o.alpn) SSL_set_alpn_protos(client_, reinterpret_cast<const unsigned char*>("\x02h2\x08http/1.1"), 12);
    if (o.max_version) SSL_set_max_proto_version(client_, o.max_version);
    if (o.resume) SSL_set_session(client_, o.resume);
    bool cdone = false, sdone = false;
    server_error_ = 0;
    // Each round moves the bytes one side wrote to the other; a handshake needs a handful.
    for (int round = 0; round < 32 && !(cdone && sdone); ++round) {
      if (!cdone) {
        const int r = SSL_do_handshake(client_);
        if (r == 1) cdone = true;
        else if (SSL_get_error(client_, r) != SSL_ERROR_WANT_READ) return false;
      }
      if (!sdone) {
        const int r = SSL_do_handshake(server_);
        if (r == 1) sdone = true;
        else if ((server_error_ = SSL_get_error(server_, r)) != SSL_ERROR_WANT_READ) return false;
      }
    }
    return cdone && sdone;
  }
  // The client's session after a TLS 1.2 handshake, for a resumption (owned by the caller).
  SSL_SESSION* client_session() const { return SSL_get1_session(client_); }

  // SSL_get_error of the accepting end's last failed SSL_do_handshake.
  int server_error() const { return server_error_; }

  // The accepting end: what a frontend's connection is (ssl_fc_*, ssl_c_*, ssl_f_*).
  const SSL* frontend() const { return server_; }
  // The connecting end: what a connection to a server is (ssl_bc_*, ssl_s_*).
  const SSL* backend() const { return client_; }

 private:
  void reset() {
    // A connection freed without a shutdown makes its session unusable for resumption.
    for (SSL* s : {server_, client_})
      if (s) SSL_set_shutdown(s, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(server_);
    SSL_free(client_);
    server_ = client_ = nullptr;
  }
  SSL_CTX* server_ctx_ = nullptr;
  SSL_CTX* client_ctx_ = nullptr;
  SSL* server_ = nullptr;
  SSL* client_ = nullptr;
  int server_error_ = 0;
};

// Binary as upper-case hex, as haproxy's `hex` converter writes it.
inline std::string hex(const unsigned char* p, size_t n) {
  static const char* d = "0123456789ABCDEF";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += d[p[i] >> 4];
    s += d[p[i] & 15];
  }
  return s;
}
inline std::string sha1_hex(const X509* x) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  X509_digest(x, EVP_sha1(), md, &n);
  return hex(md, n);
}
inline std::string der_hex(const X509* x) {
  unsigned char* der = nullptr;
  const int n = i2d_X509(x, &der);
  std::string s = hex(der, size_t(n));
  OPENSSL_free(der);
  return s;
}

}  // namespace tlstest
