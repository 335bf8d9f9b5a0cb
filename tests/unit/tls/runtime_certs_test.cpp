// Runtime certificate updates: the PEM payload of `set ssl cert`, the key-only payload, and
// the `show ssl cert` detail lines, on a certificate made here with OpenSSL's API.
#include <doctest/doctest.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <string>

#include "tls/certs.h"

using namespace portero::tls;

namespace {

std::string to_pem(X509* cert, EVP_PKEY* key) {
  BIO* b = BIO_new(BIO_s_mem());
  if (cert) PEM_write_bio_X509(b, cert);
  if (key) PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(b, &data);
  std::string out(data, size_t(n));
  BIO_free(b);
  return out;
}

// A self-signed EC P-256 certificate "/O=Unit/CN=unit.test", serial 0x0102AB, SAN unit.test.
std::pair<X509Ptr, PkeyPtr> make_cert() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  X509Ptr x(X509_new());
  X509_set_version(x.get(), 2);
  ASN1_INTEGER* serial = ASN1_INTEGER_new();
  BIGNUM* bn = BN_new();
  BN_hex2bn(&bn, "0102AB");
  BN_to_ASN1_INTEGER(bn, serial);
  X509_set_serialNumber(x.get(), serial);
  ASN1_INTEGER_free(serial);
  BN_free(bn);
  ASN1_TIME_set_string(X509_getm_notBefore(x.get()), "20240101000000Z");
  ASN1_TIME_set_string(X509_getm_notAfter(x.get()), "20340101000000Z");
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("Unit"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("unit.test"), -1, -1, 0);
  X509_set_issuer_name(x.get(), name);
  X509_set_pubkey(x.get(), key.get());
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, x.get(), x.get(), nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, "DNS:unit.test");
  X509_add_ext(x.get(), ext, -1);
  X509_EXTENSION_free(ext);
  X509_sign(x.get(), key.get(), EVP_sha256());
  return {std::move(x), std::move(key)};
}

}  // namespace

TEST_CASE("set ssl cert payload: certificate and key replace the old ones; names follow") {
  auto [cert, key] = make_cert();
  LoadedCert lc;
  std::string err;
  REQUIRE(load_pem_payload("/x/unit.pem", to_pem(cert.get(), key.get()), lc, err));
  CHECK(lc.cert);
  CHECK(lc.key);
  CHECK(lc.ecdsa);
  CHECK(lc.names == std::vector<std::string>{"unit.test"});
  // a copy shares the objects; changing the copy's key leaves the original alone
  LoadedCert copy = dup_cert(lc);
  CHECK(copy.cert.get() == lc.cert.get());
  auto [cert2, key2] = make_cert();
  REQUIRE(load_key_payload("/x/unit.pem", to_pem(nullptr, key2.get()), copy, err));
  CHECK(copy.key.get() != lc.key.get());
  CHECK(X509_check_private_key(copy.cert.get(), copy.key.get()) != 1);
}

TEST_CASE("set ssl cert payload: haproxy's errors") {
  LoadedCert lc;
  std::string err;
  CHECK_FALSE(load_pem_payload("/x/a.pem", "garbage", lc, err));
  CHECK(err == "unable to load certificate from file '/x/a.pem'.\n");
  CHECK_FALSE(load_key_payload("/x/a.pem", "garbage", lc, err));
  CHECK(err == "unable to load private key from file '/x/a.pem'.\n");
  // a certificate alone is accepted (the key is then missing: commit refuses it)
  auto [cert, key] = make_cert();
  REQUIRE(load_pem_payload("/x/a.pem", to_pem(cert.get(), nullptr), lc, err));
  CHECK_FALSE(lc.key);
}

TEST_CASE("show ssl cert detail lines") {
  auto [cert, key] = make_cert();
  LoadedCert lc;
  std::string err;
  REQUIRE(load_pem_payload("/x/unit.pem", to_pem(cert.get(), key.get()), lc, err));
  const std::string d = cert_detail(lc);
  CHECK(d.starts_with("Serial: 0102AB\nnotBefore: Jan  1 00:00:00 2024 GMT\nnotAfter: Jan  1 00:00:00 2034 GMT\n"
                      "Subject Alternative Name: DNS:unit.test\nAlgorithm: EC256\nSHA1 FingerPrint: "));
  CHECK(d.ends_with("\nSubject: /O=Unit/CN=unit.test\nIssuer: /O=Unit/CN=unit.test\n"));
}
