// Arbitrary bytes as everything a client sends to a `bind ... ssl`: a server SSL made from
// portero's bind context (built from fuzz_env's tls_frontend_config: an RSA and an ECDSA
// certificate, a crt-list with SNI filters, ALPN, ticket keys) reads them from a memory BIO,
// so the ClientHello callback (client_sni, client_wants_ecdsa, client_offers_tls13, the
// certificate selection), the servername and ALPN callbacks run on them. Then the same bytes
// as a mode tcp payload through req.ssl_ver / req.ssl_sni / req.ssl_hello_type and the ACLs
// using them, with more bytes to come and without.
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "fuzz_env.h"
#include "portero/acl/acl.h"
#include "portero/config/load.h"
#include "portero/tls/contexts.h"

using namespace portero;

namespace {

struct Env {
  config::Diagnostics diag;
  config::ConfigPtr cfg;
  std::unique_ptr<tls::Contexts> contexts;
  std::unique_ptr<acl::Compiled> compiled;
  SSL_CTX* ctx = nullptr;
  const acl::Expression* fetches[3] = {};
  const acl::Condition* conditions[4] = {};
  Env() {
    cfg = config::load_text(fuzzenv::tls_frontend_config(), "fuzz.cfg", diag);
    if (cfg) contexts = tls::Contexts::build(*cfg, diag);
    if (cfg) compiled = acl::compile(*cfg, diag);
    if (!cfg || !contexts || !compiled) {
      diag.print(stderr, 0);
      std::abort();
    }
    ctx = contexts->bind(0, 0);
    const char* exprs[] = {"%[req.ssl_ver]", "%[req.ssl_sni,lower]", "%[req.ssl_hello_type]"};
    for (int i = 0; i < 3; ++i) fetches[i] = compiled->format(0, exprs[i]);
    conditions[0] = compiled->condition(0, {"if", "sni_a"});
    conditions[1] = compiled->condition(0, {"if", "sni_end"});
    conditions[2] = compiled->condition(0, {"if", "v12"});
    conditions[3] = compiled->condition(0, {"if", "hello", "sni_a", "or", "v12", "sni_end"});
    for (auto* f : fetches)
      if (!f) std::abort();
    for (auto* c : conditions)
      if (!c) std::abort();
  }
};

Env& env() {
  static Env e;
  return e;
}

void handshake(SSL_CTX* ctx, const uint8_t* data, size_t size) {
  SSL* ssl = SSL_new(ctx);
  BIO* in = BIO_new_mem_buf(data, int(size));
  SSL_set_bio(ssl, in, BIO_new(BIO_s_mem()));
  SSL_set_accept_state(ssl);
  if (SSL_do_handshake(ssl) == 1) {
    char buf[4096];
    for (int i = 0; i < 8 && SSL_read(ssl, buf, sizeof buf) > 0; ++i) {
    }
  }
  SSL_free(ssl);
  ERR_clear_error();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  env();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return -1;
  Env& e = env();
  handshake(e.ctx, data, size);
  // A copy of exactly `size` bytes on the heap: a read past the payload is caught by ASan.
  std::unique_ptr<char[]> copy(new char[size ? size : 1]);
  if (size) std::memcpy(copy.get(), data, size);
  acl::SampleContext c;
  c.config = e.cfg.get();
  c.frontend = &e.cfg->proxies[0];
  c.backend = &e.cfg->proxies[1];
  for (bool final : {false, true}) {
    c.final = final;
    // Every prefix length that matters is the whole input; also a cut one, as a split read.
    for (size_t len : {size, size / 2}) {
      c.payload = std::string_view(copy.get(), len);
      char out[512];
      for (auto* f : e.fetches) (void)f->evaluate(c, out, sizeof out);
      for (auto* cond : e.conditions) (void)cond->evaluate(c);
    }
  }
  return 0;
}
