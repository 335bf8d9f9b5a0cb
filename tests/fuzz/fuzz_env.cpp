#include "fuzz_env.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fuzzenv {
namespace {

std::string pem_of(X509* x, EVP_PKEY* k) {
  BIO* b = BIO_new(BIO_s_mem());
  if (x) PEM_write_bio_X509(b, x);
  if (k) PEM_write_bio_PrivateKey(b, k, nullptr, nullptr, 0, nullptr, nullptr);
  char* p = nullptr;
  const long n = BIO_get_mem_data(b, &p);
  std::string out(p, size_t(n));
  BIO_free(b);
  return out;
}

X509* self_signed(EVP_PKEY* key, const char* cn, const char* san) {
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), 0);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_set_issuer_name(x, name);
  if (san) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
    if (X509_EXTENSION* e = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san)) {
      X509_add_ext(x, e, -1);
      X509_EXTENSION_free(e);
    }
  }
  X509_sign(x, key, EVP_sha256());
  return x;
}

std::string b64(const unsigned char* p, int n) {
  std::string out(size_t(4 * ((n + 2) / 3)) + 1, '\0');
  const int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), p, n);
  out.resize(size_t(len));
  return out;
}

std::string make_dir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/portero_fuzz_XXXXXX";
  const char* d = mkdtemp(tmpl.data());
  if (!d) std::abort();
  std::string dir = d;
  EVP_PKEY* rsa = EVP_RSA_gen(2048);
  EVP_PKEY* ec = EVP_EC_gen("P-256");
  EVP_PKEY* ec2 = EVP_EC_gen("P-256");
  EVP_PKEY* ec3 = EVP_EC_gen("P-256");
  X509* xr = self_signed(rsa, "a.test", "DNS:a.test,DNS:*.w.test");
  X509* xe = self_signed(ec, "a.test", "DNS:a.test");
  X509* xd = self_signed(ec2, "d.test", nullptr);
  X509* xs = self_signed(ec3, "s.test", "DNS:s.test");
  auto put = [&](const std::string& n, const std::string& s) {
    std::ofstream(dir + "/" + n, std::ios::binary) << s;
  };
  put("rsa.pem", pem_of(xr, rsa));
  put("ec.pem", pem_of(xe, ec));
  put("d.pem", pem_of(xd, ec2));
  put("split.pem", pem_of(xs, nullptr));
  put("split.pem.key", pem_of(nullptr, ec3));
  put("ca.pem", pem_of(xr, nullptr));
  std::string keys;
  for (int i = 0; i < 3; ++i) {
    unsigned char k[48];
    RAND_bytes(k, sizeof k);
    keys += b64(k, sizeof k) + "\n";
  }
  put("keys.txt", keys);
  put("list.crtlist",
      "rsa.pem [alpn h2,http/1.1 ssl-min-ver TLSv1.2] a.test *.w.test !bad.w.test\n"
      "ec.pem [ciphersuites TLS_AES_128_GCM_SHA256 curves P-256] a.test\n"
      "d.pem\n");
  for (X509* x : {xr, xe, xd, xs}) X509_free(x);
  for (EVP_PKEY* k : {rsa, ec, ec2, ec3}) EVP_PKEY_free(k);
  return dir;
}

struct Dir {
  std::string path = make_dir();
  ~Dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

}  // namespace

const std::string& dir() {
  static Dir d;
  static const bool entered = chdir(d.path.c_str()) == 0;
  if (!entered) std::abort();
  return d.path;
}

std::string write_file(const std::string& name, std::string_view data) {
  const std::string path = dir() + "/" + name;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (!data.empty()) std::fwrite(data.data(), 1, data.size(), f);
  std::fclose(f);
  return path;
}

std::string tls_frontend_config() {
  dir();
  return "global\n"
         "  tune.ssl.cachesize 100\n"
         "defaults\n"
         "  mode tcp\n"
         "  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n"
         "frontend f\n"
         "  bind 127.0.0.1:1 ssl crt rsa.pem crt ec.pem crt-list list.crtlist alpn h2,http/1.1 "
         "ssl-min-ver TLSv1.0 ciphers DEFAULT:@SECLEVEL=0 tls-ticket-keys keys.txt\n"
         "  tcp-request inspect-delay 1s\n"
         "  acl sni_a req.ssl_sni -i a.test\n"
         "  acl sni_end req.ssl_sni -m end .w.test\n"
         "  acl v12 req.ssl_ver 3.1:3.3\n"
         "  acl hello req.ssl_hello_type 1\n"
         "  tcp-request content accept if hello sni_a or v12 sni_end\n"
         "  default_backend b\n"
         "backend b\n"
         "  server s 127.0.0.1:2\n";
}

}  // namespace fuzzenv
