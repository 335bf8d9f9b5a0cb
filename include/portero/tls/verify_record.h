#pragma once
// What the verification of a client's (or server's) certificate chain met, kept on the SSL
// object for the ssl_c_err / ssl_c_ca_err / ssl_c_ca_err_depth fetches. The contexts' verify
// callback fills it (the first error at depth 0, and the first at a CA depth, as HAProxy
// keeps them when ca-ignore-err / crt-ignore-err let the handshake go on).
#include <openssl/ssl.h>

namespace portero::tls {

struct VerifyRecord {
  int crt_err = 0;        // X509_V_ERR_* of the leaf certificate, 0: none
  int ca_err = 0;         // first X509_V_ERR_* met on a CA certificate, 0: none
  int ca_err_depth = 0;   // its depth in the chain
};

// The SSL ex_data index under which a VerifyRecord* is stored (created once, thread-safe).
int verify_record_index();
// The record of `ssl`, or null when its verification recorded nothing.
inline const VerifyRecord* verify_record(const SSL* ssl) {
  return static_cast<const VerifyRecord*>(SSL_get_ex_data(ssl, verify_record_index()));
}

}  // namespace portero::tls
