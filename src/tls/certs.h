#pragma once
// Certificate files as HAProxy reads them: a PEM with the certificate, its key (or a separate
// `<crt>.key`), the chain and maybe DH parameters; a `<crt>.ocsp` DER response to staple; a
// directory stands for every certificate file in it. Also the tls-ticket-keys file.
#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <vector>

namespace portero::tls {

struct SslFree {
  void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(STACK_OF(X509)* p) const { sk_X509_pop_free(p, X509_free); }
  void operator()(SSL_SESSION* p) const { SSL_SESSION_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
};
using CtxPtr = std::unique_ptr<SSL_CTX, SslFree>;
using X509Ptr = std::unique_ptr<X509, SslFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, SslFree>;
using ChainPtr = std::unique_ptr<STACK_OF(X509), SslFree>;

struct LoadedCert {
  std::string path;
  X509Ptr cert;
  PkeyPtr key;
  ChainPtr chain;                 // may be null
  PkeyPtr dh;                     // DH parameters found in the PEM, may be null
  std::string ocsp;               // DER OCSP response from `<path>.ocsp`, empty: none
  std::vector<std::string> names; // CN and SAN DNS names, lower case
  bool ecdsa = false;             // key type: EC (else RSA or other)
};

// Loads one certificate file. On failure `err` holds HAProxy's words ("No Private Key found in
// '...'.", "inconsistencies between private key and certificate loaded '...'." ...).
bool load_cert_file(const std::string& path, LoadedCert& out, std::string& err);

// ---- runtime updates (`set ssl cert`) ----
// A copy sharing the same OpenSSL objects (reference counted): a transaction starts from it.
LoadedCert dup_cert(const LoadedCert& in);
// Replaces cert, key (null when the PEM has none), chain and DH parameters from a PEM payload,
// as HAProxy's `set ssl cert <name>` does; OCSP is dropped. False with `err` in HAProxy's words
// ("unable to load certificate from file '<name>'.\n").
bool load_pem_payload(const std::string& name, const std::string& pem, LoadedCert& io, std::string& err);
// Replaces only the key (`set ssl cert <name>.key`).
bool load_key_payload(const std::string& name, const std::string& pem, LoadedCert& io, std::string& err);
// Recomputes names (CN + SAN DNS) and key type after the certificate changed.
void refresh_cert_info(LoadedCert& c);
// The lines `show ssl cert <name>` prints after "Status:" (Serial ... Chain Issuer), as 2.6.
std::string cert_detail(const LoadedCert& c);
// A path naming a directory: the certificate files in it (sorted; companions .key .ocsp
// .issuer .sctl and dot files skipped). A file: itself.
std::vector<std::string> expand_cert_path(const std::string& path);
// Reads DH parameters from a PEM file (null when none).
PkeyPtr load_dh_params(const std::string& path);

// tls-ticket-keys: base64 lines of 48 (AES-128) or 80 (AES-256) bytes: name(16) aes hmac.
struct TicketKey {
  unsigned char name[16];
  unsigned char aes[32];
  unsigned char hmac[32];
  size_t len = 16;                // 16 or 32: AES-128 or AES-256, and the HMAC key length
};
bool load_ticket_keys(const std::string& path, std::vector<TicketKey>& out, std::string& err);

}  // namespace portero::tls
