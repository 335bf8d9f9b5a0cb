// Writes seed inputs for the fuzz targets into <dir>/<target>/, made with OpenSSL's API at
// fuzz time (nothing generated is committed):
//   fuzz_client_hello, fuzz_tls_transport: real first flights of OpenSSL clients (TLS 1.0 to
//     1.3, with and without SNI, ALPN, ECDSA / RSA signature algorithms, a ticket), plus an
//     SSLv2-format hello and an SSLv3 one written by hand.
//   fuzz_ticket_keys: files of three and four random keys, AES-128 and AES-256 sizes.
// Usage: fuzz_seedgen <dir>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace {

struct HelloSpec {
  const char* name;
  int max_version;
  const char* sni;
  const char* sigalgs;   // null: OpenSSL's
  bool alpn;
  const char* ciphers;   // null: OpenSSL's
};

std::string hello(const HelloSpec& s) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_security_level(ctx, 0);
  SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
  SSL_CTX_set_max_proto_version(ctx, s.max_version);
  SSL_CTX_set_cipher_list(ctx, s.ciphers ? s.ciphers : "DEFAULT:@SECLEVEL=0");
  if (s.sigalgs) SSL_CTX_set1_sigalgs_list(ctx, s.sigalgs);
  if (s.alpn) SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>("\x02h2\x08http/1.1"), 12);
  SSL* ssl = SSL_new(ctx);
  SSL_set_bio(ssl, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
  if (s.sni) SSL_set_tlsext_host_name(ssl, s.sni);
  SSL_set_connect_state(ssl);
  SSL_do_handshake(ssl);
  char* p = nullptr;
  const long n = BIO_get_mem_data(SSL_get_wbio(ssl), &p);
  std::string out(p, size_t(n));
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  ERR_clear_error();
  return out;
}

void put(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

std::string b64(const unsigned char* p, int n) {
  std::string out(size_t(4 * ((n + 2) / 3)) + 1, '\0');
  out.resize(size_t(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), p, n)));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <dir>\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  for (const char* t : {"fuzz_client_hello", "fuzz_tls_transport", "fuzz_ticket_keys"})
    mkdir((dir + "/" + t).c_str(), 0755);
  const HelloSpec specs[] = {
      {"tls13_sni_alpn", TLS1_3_VERSION, "a.test", nullptr, true, nullptr},
      {"tls13_ecdsa", TLS1_3_VERSION, "www.w.test", "ECDSA+SHA256:ECDSA+SHA384", false, nullptr},
      {"tls13_rsa_only", TLS1_3_VERSION, "A.TEST", "RSA-PSS+SHA256:RSA+SHA256", true, nullptr},
      {"tls13_nosni", TLS1_3_VERSION, nullptr, nullptr, false, nullptr},
      {"tls12_rsa", TLS1_2_VERSION, "bad.w.test", "RSA+SHA256", true, "aRSA"},
      {"tls12_ecdsa", TLS1_2_VERSION, "d.test", "ECDSA+SHA256", false, "aECDSA"},
      {"tls12_nosni", TLS1_2_VERSION, nullptr, nullptr, true, nullptr},
      {"tls11", TLS1_1_VERSION, "a.test", nullptr, false, nullptr},
      {"tls10", TLS1_VERSION, "unknown.test", nullptr, false, nullptr},
  };
  for (const auto& s : specs) {
    const std::string h = hello(s);
    put(dir + "/fuzz_client_hello/" + s.name, h);
    // fuzz_tls_transport: two bytes first (chunking seed, the owner's room and pausing).
    put(dir + "/fuzz_tls_transport/" + s.name, std::string("\x05\x3f", 2) + h);
    put(dir + "/fuzz_tls_transport/" + std::string(s.name) + "_small_paused", std::string("\x01\x81", 2) + h);
    put(dir + "/fuzz_tls_transport/" + std::string(s.name) + "_abrupt", std::string("\x09\x5f", 2) + h);
  }
  // SSLv2-format CLIENT-HELLO asking for 3.1 (short header), and an SSLv3 record.
  put(dir + "/fuzz_client_hello/sslv2",
      std::string("\x80\x1c\x01\x03\x01\x00\x03\x00\x00\x00\x10", 11) + std::string("\x01\x00\x80", 3) +
          std::string(16, 'C'));
  put(dir + "/fuzz_client_hello/sslv3", std::string("\x16\x03\x00\x00\x06\x01\x00\x00\x02\x03\x00", 11));
  put(dir + "/fuzz_tls_transport/http", "\x07\x10GET / HTTP/1.1\r\nhost: x\r\n\r\n");
  // Ticket keys.
  for (int variant = 0; variant < 3; ++variant) {
    std::string file;
    const int n = variant == 2 ? 4 : 3, len = variant == 1 ? 80 : 48;
    for (int i = 0; i < n; ++i) {
      unsigned char k[80];
      RAND_bytes(k, len);
      file += b64(k, len) + (variant == 2 ? "\r\n" : "\n");
    }
    put(dir + "/fuzz_ticket_keys/generated" + std::to_string(variant), file);
  }
  return 0;
}
