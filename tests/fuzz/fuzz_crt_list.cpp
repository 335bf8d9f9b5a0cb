// crt-list file contents (`<crt> [options] [sni filters...]` lines) read by a `bind ... ssl
// crt-list` line, then the bind's contexts built from them (certificates loaded, options
// applied, SNI filters indexed), then two handshakes whose ClientHellos (with SNI a.test and
// x.w.test, one offering ECDSA and one RSA only) go through the certificate selection.
// The files the lines can name are in the current directory (fuzz_env.h).
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <string>

#include "fuzz_env.h"
#include "portero/config/load.h"
#include "portero/tls/contexts.h"

using namespace portero;

namespace {

// A client's first flight.
std::string hello(const char* sni, const char* sigalgs, int max_version) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_max_proto_version(ctx, max_version);
  SSL_CTX_set1_sigalgs_list(ctx, sigalgs);
  SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>("\x02h2\x08http/1.1"), 12);
  SSL* ssl = SSL_new(ctx);
  SSL_set_bio(ssl, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
  SSL_set_tlsext_host_name(ssl, sni);
  SSL_set_connect_state(ssl);
  SSL_do_handshake(ssl);
  char* p = nullptr;
  const long n = BIO_get_mem_data(SSL_get_wbio(ssl), &p);
  std::string out(p, size_t(n));
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  return out;
}

void serve(SSL_CTX* ctx, const std::string& flight) {
  SSL* ssl = SSL_new(ctx);
  BIO* in = BIO_new_mem_buf(flight.data(), int(flight.size()));
  SSL_set_bio(ssl, in, BIO_new(BIO_s_mem()));
  SSL_set_accept_state(ssl);
  SSL_do_handshake(ssl);
  SSL_free(ssl);
  ERR_clear_error();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzzenv::dir();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string ecdsa_hello = hello("A.test", "ECDSA+SHA256:RSA-PSS+SHA256", TLS1_3_VERSION);
  static const std::string rsa_hello = hello("x.w.test", "RSA+SHA256:RSA-PSS+SHA256", TLS1_2_VERSION);
  if (size > 16 * 1024) return -1;
  fuzzenv::write_file("fuzz.crtlist", std::string_view(reinterpret_cast<const char*>(data), size));
  const std::string text =
      "defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n"
      "frontend f\n  bind 127.0.0.1:1 ssl crt-list fuzz.crtlist alpn http/1.1\n  default_backend b\n"
      "backend b\n  server s 127.0.0.1:2\n";
  config::Diagnostics diag;
  config::ConfigPtr cfg = config::load_text(text, "fuzz.cfg", diag);
  if (cfg) {
    auto contexts = tls::Contexts::build(*cfg, diag);
    if (contexts) {
      if (SSL_CTX* ctx = contexts->bind(0, 0)) {
        serve(ctx, ecdsa_hello);
        serve(ctx, rsa_hello);
      }
    }
  }
  for (const auto& d : diag.all()) (void)config::format(d, 42);
  return 0;
}
