// tls-ticket-keys file contents through the loader (base64 lines of 48 or 80 bytes, at least
// three); a file it accepts is then used by a bind whose contexts are built, and a full TLS 1.2
// handshake issues a ticket with those keys and a second connection resumes with it (the
// ticket key callback, both ways).
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <string>
#include <vector>

#include "certs.h"
#include "fuzz_env.h"
#include "portero/config/load.h"
#include "portero/tls/contexts.h"

using namespace portero;

namespace {

// Moves bytes between a client and a server SSL until both are done or stuck.
bool handshake(SSL* c, SSL* s) {
  for (int i = 0; i < 20; ++i) {
    const int rc = SSL_do_handshake(c);
    const int rs = SSL_do_handshake(s);
    if (rc == 1 && rs == 1) return true;
    const int ec = SSL_get_error(c, rc), es = SSL_get_error(s, rs);
    if ((rc != 1 && ec != SSL_ERROR_WANT_READ) || (rs != 1 && es != SSL_ERROR_WANT_READ)) return false;
  }
  return false;
}

SSL_SESSION* connect_once(SSL_CTX* server_ctx, SSL_CTX* client_ctx, SSL_SESSION* resume) {
  SSL* c = SSL_new(client_ctx);
  SSL* s = SSL_new(server_ctx);
  BIO *bc = nullptr, *bs = nullptr;
  BIO_new_bio_pair(&bc, 0, &bs, 0);
  SSL_set_bio(c, bc, bc);
  SSL_set_bio(s, bs, bs);
  SSL_set_connect_state(c);
  SSL_set_accept_state(s);
  if (resume) SSL_set_session(c, resume);
  SSL_SESSION* out = nullptr;
  if (handshake(c, s)) out = SSL_get1_session(c);
  SSL_free(c);
  SSL_free(s);
  ERR_clear_error();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzzenv::dir();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 16 * 1024) return -1;
  const std::string path =
      fuzzenv::write_file("fuzz.keys", std::string_view(reinterpret_cast<const char*>(data), size));
  std::vector<tls::TicketKey> keys;
  std::string err;
  if (!tls::load_ticket_keys(path, keys, err)) return 0;
  if (keys.size() != 3) __builtin_trap();
  for (const auto& k : keys)
    if (k.len != 16 && k.len != 32) __builtin_trap();
  // Accepted: the same file behind a bind, and a ticket issued and used.
  const std::string text =
      "defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n"
      "frontend f\n  bind 127.0.0.1:1 ssl crt ec.pem tls-ticket-keys fuzz.keys\n  default_backend b\n"
      "backend b\n  server s 127.0.0.1:2\n";
  config::Diagnostics diag;
  config::ConfigPtr cfg = config::load_text(text, "fuzz.cfg", diag);
  if (!cfg) __builtin_trap();
  auto contexts = tls::Contexts::build(*cfg, diag);
  if (!contexts) __builtin_trap();   // the loader accepted the file: so must the bind
  static SSL_CTX* client_ctx = [] {
    SSL_CTX* c = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_max_proto_version(c, TLS1_2_VERSION);
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    return c;
  }();
  if (SSL_SESSION* s = connect_once(contexts->bind(0, 0), client_ctx, nullptr)) {
    if (SSL_SESSION* again = connect_once(contexts->bind(0, 0), client_ctx, s)) SSL_SESSION_free(again);
    SSL_SESSION_free(s);
  }
  return 0;
}
