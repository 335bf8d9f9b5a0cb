// The TLS contexts, built once from the configuration (see contexts.h).
//
// A `bind ... ssl` gets one SSL_CTX per certificate (per crt-list line), all configured alike
// and sharing one session id context. The first one is the bind's context: the transport
// creates its SSL objects from it, so its session cache and ticket keys serve every
// certificate of the bind. Its ClientHello callback picks the certificate from the SNI (exact
// name, then wildcard, then the bind's first certificate unless strict-sni) and the client's
// signature algorithms (ECDSA or RSA), and switches the SSL to that certificate's context.
// Nothing in a handshake parses configuration text: every list was parsed here.
#include "portero/tls/contexts.h"

#include <sys/stat.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <bitset>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>

#include "certs.h"
#include "portero/tls/verify_record.h"

namespace portero::tls {

using config::TlsVersion;
using config::TlsVerify;
using config::TlsVersions;

namespace {

// ---- small helpers ----------------------------------------------------------------------

int ossl_version(TlsVersion v) {
  switch (v) {
    case TlsVersion::sslv3: return SSL3_VERSION;
    case TlsVersion::tlsv10: return TLS1_VERSION;
    case TlsVersion::tlsv11: return TLS1_1_VERSION;
    case TlsVersion::tlsv12: return TLS1_2_VERSION;
    case TlsVersion::tlsv13: return TLS1_3_VERSION;
    default: return 0;
  }
}

const char* kind_name(config::Proxy::Kind k) {
  switch (k) {
    case config::Proxy::Kind::frontend: return "frontend";
    case config::Proxy::Kind::backend: return "backend";
    case config::Proxy::Kind::listen: return "listen";
    default: return "defaults";
  }
}

std::string at(const config::Origin& o) { return "[" + o.file + ":" + std::to_string(o.line) + "]"; }

// "h2,http/1.1" -> the ALPN wire format, as written; empty when a name is empty or too long.
std::string alpn_wire(const std::string& list) {
  std::string out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string::npos) end = list.size();
    const size_t n = end - start;
    if (n == 0 || n > 255) return {};
    out += char(n);
    out.append(list, start, n);
    start = end + 1;
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& ch : out) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

// The versions a line allows, as HAProxy resolves them: min/max win over no-* flags (which are
// then ignored, with a warning), the default minimum is TLSv1.2, holes are closed with
// SSL_OP_NO_*. False: every version is disabled.
struct VersionRange {
  int min = 0, max = 0;
  uint64_t no_options = 0;
  bool flags_ignored = false;
  bool ambiguous = false;       // max below the default min and no min: min = max
  TlsVersion ambiguous_to = TlsVersion::none;
};
bool resolve_versions(const TlsVersions& v, VersionRange& out) {
  unsigned flags = v.no_mask;
  TlsVersion min = v.min, max = v.max;
  if (flags && (min != TlsVersion::none || max != TlsVersion::none)) {
    out.flags_ignored = true;
    flags = 0;
  }
  if (min == TlsVersion::none) {
    if (max != TlsVersion::none && max < TlsVersion::tlsv12) {
      out.ambiguous = true;
      out.ambiguous_to = max;
      min = max;
    } else {
      min = TlsVersion::tlsv12;
    }
  }
  for (int i = 1; i <= config::kTlsVersionCount; ++i) {
    if (i < int(min) || (max != TlsVersion::none && i > int(max))) flags |= 1u << (i - 1);
  }
  int lo = 0, hi = 0;
  for (int i = 1; i <= config::kTlsVersionCount; ++i) {
    if (flags & (1u << (i - 1))) continue;
    if (!lo) lo = i;
    hi = i;
  }
  if (!lo) return false;
  out.min = ossl_version(TlsVersion(lo));
  out.max = ossl_version(TlsVersion(hi));
  static const uint64_t no_op[] = {SSL_OP_NO_SSLv3, SSL_OP_NO_TLSv1, SSL_OP_NO_TLSv1_1, SSL_OP_NO_TLSv1_2,
                                   SSL_OP_NO_TLSv1_3};
  for (int i = lo; i <= hi; ++i)
    if (flags & (1u << (i - 1))) out.no_options |= no_op[i - 1];
  return true;
}

void apply_versions(SSL_CTX* ctx, const VersionRange& r) {
  if (!SSL_CTX_set_min_proto_version(ctx, r.min)) SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
  SSL_CTX_set_max_proto_version(ctx, r.max);
  if (r.no_options) SSL_CTX_set_options(ctx, r.no_options);
}

// Options and modes every context has: no renegotiation, no compression, buffers released
// when idle, partial writes from moving buffers; no 0-RTT. The chain sent is the one the PEM
// holds, never completed from the context's CA store (as haproxy; OpenSSL's automatic chain
// building also cost about 80 µs per full handshake).
void common_setup(SSL_CTX* ctx, bool no_tickets) {
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_SINGLE_DH_USE |
                               SSL_OP_SINGLE_ECDH_USE | (no_tickets ? SSL_OP_NO_TICKET : 0));
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                            SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_NO_AUTO_CHAIN);
  SSL_CTX_set_max_early_data(ctx, 0);
}

int server_state_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// Prefetched once: the ticket key callback must not fetch per handshake.
const EVP_CIPHER* aes_cbc(size_t len) {
  static EVP_CIPHER* aes128 = EVP_CIPHER_fetch(nullptr, "AES-128-CBC", nullptr);
  static EVP_CIPHER* aes256 = EVP_CIPHER_fetch(nullptr, "AES-256-CBC", nullptr);
  return len == 32 ? aes256 : aes128;
}

// ---- binds ------------------------------------------------------------------------------
//
// Runtime updates (`set/commit ssl cert`, `add/del ssl crt-list`, `set ssl tls-key`) happen on
// the main thread while workers handshake. So that a handshake never meets a freed object:
//  * a CertCtx is owned by its SSL_CTX (ex_data freed with it): an SSL that switched to a
//    context holds a reference to it, hence to its CertCtx, until the SSL is freed;
//  * a bind's SNI table is immutable and published as a whole (an atomic shared_ptr): the
//    ClientHello callback loads it once, picks, switches the SSL (SSL_set_SSL_CTX takes a
//    reference) and lets it go; a table replaced meanwhile dies with its last reader;
//  * ticket keys are an immutable ring published the same way.
// The bind's own context (the one SSLs are made from: session cache, ticket callback, the
// ClientHello callback) never changes.

struct BindState;

// One certificate of a bind (a crt file, or a crt-list line) and its context.
struct CertCtx {
  BindState* bind = nullptr;
  SSL_CTX* ctx = nullptr;           // not owned: the context owns this
  bool ecdsa = false;
  std::set<std::string> excluded;   // "!name" filters of its crt-list line
  std::string alpn;                 // wire format, server preference order
  std::string ocsp;                 // DER response to staple
  int verify_mode = SSL_VERIFY_NONE;
  bool verify_cb = false;           // a ca-file: the ignore lists apply
  // A crt-list line's own ciphers / ciphersuites / curves: an SSL copies these lists from the
  // context it is made from (the bind's), so they are set on the SSL when this certificate is
  // chosen (only for such lines).
  std::optional<std::string> ciphers, ciphersuites, groups;
};

void free_cert_ctx(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) { delete static_cast<CertCtx*>(ptr); }

int ctx_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, free_cert_ctx);
  return index;
}

CertCtx* cert_of(SSL_CTX* ctx) { return ctx ? static_cast<CertCtx*>(SSL_CTX_get_ex_data(ctx, ctx_index())) : nullptr; }

CtxPtr up_ref(SSL_CTX* ctx) {
  if (ctx) SSL_CTX_up_ref(ctx);
  return CtxPtr(ctx);
}

// A bind's certificates by name, immutable once published.
struct SniTable {
  std::vector<CtxPtr> held;         // keeps every context (and CertCtx) below alive
  std::unordered_map<std::string, std::vector<CertCtx*>> exact;
  std::unordered_map<std::string, std::vector<CertCtx*>> wildcard;   // key: ".example.com"
  CertCtx* fallback = nullptr;      // null with strict-sni

  CertCtx* pick(const std::vector<CertCtx*>& list, const std::string& name, bool ecdsa) const {
    CertCtx* any = nullptr;
    for (CertCtx* c : list) {
      if (c->excluded.count(name)) continue;
      if (c->ecdsa == ecdsa) return c;
      if (!any) any = c;
    }
    return any;
  }

  CertCtx* select(const std::string& name, bool ecdsa) const {
    if (!name.empty()) {
      if (auto it = exact.find(name); it != exact.end())
        if (CertCtx* c = pick(it->second, name, ecdsa)) return c;
      if (auto dot = name.find('.'); dot != std::string::npos)
        if (auto it = wildcard.find(name.substr(dot)); it != wildcard.end())
          if (CertCtx* c = pick(it->second, name, ecdsa)) return c;
    }
    return fallback;
  }
};

// A tls-ticket-keys file, shared by the binds naming it: the last three keys in file order;
// [1] encrypts, all three decrypt.
struct KeyRef {
  int id = -1;
  std::string file;
  size_t len = 16;                  // 16: AES-128 keys (48 bytes), 32: AES-256 (80 bytes)
  std::atomic<std::shared_ptr<const std::vector<TicketKey>>> ring;
};

// One line of a crt-list (or one file of a directory given as crt), shared by its binds.
struct ListLine {
  std::string store;                // certificate name
  config::TlsSslConf conf;
  bool has_conf = false;
  std::vector<std::string> filters;
  int linenum = 0;
};

// A certificate instance of one bind.
struct Entry {
  std::string store;
  std::shared_ptr<ListLine> line;   // null: a `crt <file>` of the bind line
  CtxPtr ctx;
  std::vector<std::string> names;   // what SNI matches: the line's filters or the cert's names
};

struct BindState {
  std::atomic<std::shared_ptr<const SniTable>> table;
  CtxPtr main_ctx;                  // the bind's context: SSLs are made from it
  bool strict_sni = false;
  bool ca_ignore_all = false, crt_ignore_all = false;
  std::bitset<128> ca_ignore, crt_ignore;
  std::shared_ptr<KeyRef> keys;     // null: OpenSSL's own ticket keys
  // Main thread only.
  const config::Proxy* px = nullptr;
  const config::Bind* conf = nullptr;
  std::string sid;
  std::vector<std::shared_ptr<Entry>> entries;   // load order; the first is the default

  SSL_CTX* main() const { return main_ctx.get(); }

  // Builds the SNI table from `entries` and publishes it.
  void publish() {
    auto t = std::make_shared<SniTable>();
    for (const auto& e : entries) {
      CertCtx* c = cert_of(e->ctx.get());
      if (!c) continue;
      t->held.push_back(up_ref(e->ctx.get()));
      for (const auto& raw : e->names) {
        std::string n = raw;
        for (auto& ch : n) ch = char(std::tolower(static_cast<unsigned char>(ch)));
        if (n.starts_with("!")) continue;   // in the CertCtx's own exclusions
        if (n.starts_with("*.")) t->wildcard[n.substr(1)].push_back(c);
        else if (!n.empty()) t->exact[n].push_back(c);
      }
    }
    if (!strict_sni && !entries.empty()) t->fallback = cert_of(entries.front()->ctx.get());
    table.store(std::shared_ptr<const SniTable>(std::move(t)), std::memory_order_release);
  }
};

// The client offers TLS 1.3 (its supported_versions list 0x0304): cipher suites then say
// nothing of the certificate's key type.
bool client_offers_tls13(SSL* ssl) {
  const unsigned char* p = nullptr;
  size_t len = 0;
  if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_supported_versions, &p, &len) || len < 1) return false;
  const size_t n = std::min<size_t>(p[0], len - 1);
  for (size_t i = 1; i + 1 < 1 + n; i += 2)
    if (p[i] == 0x03 && p[i + 1] == 0x04) return true;
  return false;
}

// Up to TLS 1.2 a cipher suite names the authentication: one of the client's must be ECDSA's.
bool client_offers_ecdsa_suite(SSL* ssl) {
  const unsigned char* p = nullptr;
  const size_t len = SSL_client_hello_get0_ciphers(ssl, &p);
  for (size_t i = 0; i + 1 < len; i += 2)
    if (const SSL_CIPHER* c = SSL_CIPHER_find(ssl, p + i); c && SSL_CIPHER_get_auth_nid(c) == NID_auth_ecdsa)
      return true;
  return false;
}

// The client can use an ECDSA certificate: its signature_algorithms list one, and it will
// negotiate TLS 1.3 or an ECDSA cipher suite (an RSA-only TLS 1.2 client gets the RSA one).
bool client_wants_ecdsa(SSL* ssl) {
  const unsigned char* p = nullptr;
  size_t len = 0;
  if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_signature_algorithms, &p, &len) || len < 2) return false;
  const size_t n = std::min<size_t>((size_t(p[0]) << 8) | p[1], len - 2);
  bool ecdsa_sigalg = false;
  for (size_t i = 2; i + 1 < 2 + n && !ecdsa_sigalg; i += 2)
    ecdsa_sigalg = p[i + 1] == 0x03 && p[i] >= 0x02 && p[i] <= 0x06;   // ecdsa_* (hash, 3)
  return ecdsa_sigalg && (client_offers_tls13(ssl) || client_offers_ecdsa_suite(ssl));
}

std::string client_sni(SSL* ssl) {
  const unsigned char* p = nullptr;
  size_t len = 0;
  if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &len) || len < 5) return {};
  const size_t list = (size_t(p[0]) << 8) | p[1];
  if (list + 2 > len || p[2] != TLSEXT_NAMETYPE_host_name) return {};
  const size_t n = (size_t(p[3]) << 8) | p[4];
  if (n + 5 > len || n == 0) return {};
  return lower(std::string_view(reinterpret_cast<const char*>(p + 5), n));
}

int bind_verify_cb(int ok, X509_STORE_CTX* x);

int client_hello_cb(SSL* ssl, int* alert, void* arg) {
  const auto* b = static_cast<const BindState*>(arg);
  // One atomic load: the table (and every context in it) stays alive while we hold it; the
  // SSL then holds its own reference to the context it switches to.
  const std::shared_ptr<const SniTable> table = b->table.load(std::memory_order_acquire);
  CertCtx* c = table->select(client_sni(ssl), client_wants_ecdsa(ssl));
  if (!c) {
    *alert = SSL_AD_UNRECOGNIZED_NAME;
    return SSL_CLIENT_HELLO_ERROR;
  }
  if (SSL_get_SSL_CTX(ssl) != c->ctx) SSL_set_SSL_CTX(ssl, c->ctx);
  // The SSL copied these from the context it was created from.
  SSL_set_verify(ssl, c->verify_mode, c->verify_cb ? bind_verify_cb : nullptr);
  SSL_set_min_proto_version(ssl, SSL_CTX_get_min_proto_version(c->ctx));
  SSL_set_max_proto_version(ssl, SSL_CTX_get_max_proto_version(c->ctx));
  if (c->ciphers) SSL_set_cipher_list(ssl, c->ciphers->c_str());
  if (c->ciphersuites) SSL_set_ciphersuites(ssl, c->ciphersuites->c_str());
  if (c->groups) SSL_set1_groups_list(ssl, c->groups->c_str());
  return SSL_CLIENT_HELLO_SUCCESS;
}

int accept_servername(SSL*, int*, void*) { return SSL_TLSEXT_ERR_OK; }

int alpn_select_cb(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                   unsigned int inlen, void* arg) {
  const auto* c = static_cast<const CertCtx*>(arg);
  if (c->alpn.empty()) return SSL_TLSEXT_ERR_NOACK;
  unsigned char* chosen = nullptr;
  // Server preference: the bind's order.
  if (SSL_select_next_proto(&chosen, outlen, reinterpret_cast<const unsigned char*>(c->alpn.data()),
                            unsigned(c->alpn.size()), in, inlen) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

int ocsp_status_cb(SSL* ssl, void* arg) {
  const auto* c = static_cast<const CertCtx*>(arg);
  if (c->ocsp.empty()) return SSL_TLSEXT_ERR_NOACK;
  auto* copy = static_cast<unsigned char*>(OPENSSL_malloc(c->ocsp.size()));
  if (!copy) return SSL_TLSEXT_ERR_NOACK;
  std::memcpy(copy, c->ocsp.data(), c->ocsp.size());
  SSL_set_tlsext_status_ocsp_resp(ssl, copy, long(c->ocsp.size()));
  return SSL_TLSEXT_ERR_OK;
}

// Records the first leaf error and the first CA error (with its depth); an error listed in
// crt-ignore-err / ca-ignore-err lets the handshake go on.
int bind_verify_cb(int ok, X509_STORE_CTX* x) {
  if (ok) return ok;
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (!ssl) return ok;
  const auto* c = static_cast<const CertCtx*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ctx_index()));
  const int err = X509_STORE_CTX_get_error(x);
  const int depth = X509_STORE_CTX_get_error_depth(x);
  auto* rec = static_cast<VerifyRecord*>(SSL_get_ex_data(ssl, verify_record_index()));
  if (!rec) {
    rec = new VerifyRecord;
    SSL_set_ex_data(ssl, verify_record_index(), rec);
  }
  if (!c) return 0;
  const BindState& b = *c->bind;
  const bool known = err >= 0 && err < 128;
  if (depth > 0) {
    if (!rec->ca_err) {
      rec->ca_err = err;
      rec->ca_err_depth = depth;
    }
    // Ignored: the handshake goes on, and the error stays the verify result (ssl_c_verify),
    // as haproxy's.
    if (b.ca_ignore_all || (known && b.ca_ignore.test(size_t(err)))) return 1;
  } else {
    if (!rec->crt_err) rec->crt_err = err;
    if (b.crt_ignore_all || (known && b.crt_ignore.test(size_t(err)))) return 1;
  }
  return 0;
}

int ticket_key_cb(SSL* ssl, unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cctx, EVP_MAC_CTX* hctx,
                  int enc) {
  const auto* c = cert_of(SSL_get_SSL_CTX(ssl));
  if (!c || !c->bind->keys) return -1;
  const std::shared_ptr<const std::vector<TicketKey>> ring = c->bind->keys->ring.load(std::memory_order_acquire);
  if (!ring || ring->size() < 3) return -1;
  const auto& keys = *ring;
  auto mac_init = [&](const TicketKey& k) {
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, const_cast<unsigned char*>(k.hmac), k.len),
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
        OSSL_PARAM_construct_end()};
    return EVP_MAC_CTX_set_params(hctx, params) == 1;
  };
  if (enc) {
    const TicketKey& k = keys[1];
    if (RAND_bytes(iv, 16) != 1) return -1;
    std::memcpy(name, k.name, 16);
    if (EVP_EncryptInit_ex(cctx, aes_cbc(k.len), nullptr, k.aes, iv) != 1 || !mac_init(k)) return -1;
    return 1;
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    if (std::memcmp(name, keys[i].name, 16) != 0) continue;
    if (EVP_DecryptInit_ex(cctx, aes_cbc(keys[i].len), nullptr, keys[i].aes, iv) != 1 || !mac_init(keys[i]))
      return -1;
    return i == 1 ? 1 : 2;   // not the current key: a new ticket is issued
  }
  return 0;
}

// ---- servers ----------------------------------------------------------------------------

struct ServerState {
  CtxPtr ctx;
  bool ssl = false, check_ssl = false;
  bool verify = false;
  std::string verifyhost;
  bool no_verifyhost = false;
  bool no_reuse = false;
  std::string check_sni;
  std::string check_alpn;           // wire
  bool has_alpn = false;
  // The last session and the SNI it was made with: reused only for the same name, as HAProxy.
  mutable std::mutex mutex;
  mutable SSL_SESSION* session = nullptr;
  mutable std::string session_sni;
  ~ServerState() { SSL_SESSION_free(session); }
  // Keeps a copy: OpenSSL marks a session not resumable when an SSL holding it is freed
  // without a clean shutdown, which must not spoil the one kept here.
  void keep(SSL* ssl, SSL_SESSION* s) const {
    SSL_SESSION* copy = SSL_SESSION_dup(s);
    if (!copy) return;
    const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    std::lock_guard<std::mutex> lock(mutex);
    SSL_SESSION_free(session);
    session = copy;
    session_sni = sni ? sni : "";
  }
};

int new_session_cb(SSL* ssl, SSL_SESSION* sess) {
  const auto* st = static_cast<const ServerState*>(SSL_get_ex_data(ssl, server_state_index()));
  if (!st || st->no_reuse) return 0;
  st->keep(ssl, sess);
  return 0;   // the session was copied: OpenSSL keeps its reference
}

// ---- the builder ------------------------------------------------------------------------

// A CA (and CRL) store loaded once per file pair, shared by the contexts using it.
struct StoreCache {
  struct Entry {
    X509_STORE* store = nullptr;
    STACK_OF(X509_NAME)* names = nullptr;
  };
  std::map<std::string, Entry> entries;
  ~StoreCache() {
    for (auto& [k, e] : entries) {
      X509_STORE_free(e.store);
      sk_X509_NAME_pop_free(e.names, X509_NAME_free);
    }
  }
  // `verify_only`: CAs that verify but are not announced to clients (`ca-verify-file`).
  const Entry* get(const std::string& ca, const std::string& crl, const std::string& verify_only = {}) {
    const std::string key = ca + '\0' + crl + '\0' + verify_only;
    if (auto it = entries.find(key); it != entries.end()) return &it->second;
    Entry e;
    e.store = X509_STORE_new();
    for (const std::string* f : {&ca, &verify_only}) {
      if (!f->empty() && X509_STORE_load_file(e.store, f->c_str()) != 1) {
        ERR_clear_error();
        X509_STORE_free(e.store);
        return nullptr;
      }
    }
    if (!crl.empty()) {
      if (X509_STORE_load_file(e.store, crl.c_str()) != 1) {
        ERR_clear_error();
        X509_STORE_free(e.store);
        return nullptr;
      }
      X509_STORE_set_flags(e.store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    }
    e.names = ca.empty() ? nullptr : SSL_load_client_CA_file(ca.c_str());
    ERR_clear_error();
    return &entries.emplace(key, e).first->second;
  }
};

class Builder;

class Built final : public Contexts {
 public:
  std::vector<std::vector<std::unique_ptr<BindState>>> binds;
  std::vector<std::vector<std::unique_ptr<ServerState>>> servers;

  // Runtime state of the admin socket's commands (main thread only).
  struct Store {
    std::shared_ptr<const LoadedCert> data;   // null or no cert: an empty store (`new ssl cert`)
  };
  struct CrtList {
    bool dir = false;
    std::vector<std::shared_ptr<ListLine>> lines;   // file order, then lines added
    std::vector<BindState*> binds;
    int linecount = 0;
  };
  std::map<std::string, Store> stores;              // by name, sorted as haproxy lists them
  std::map<std::string, CrtList> lists;
  std::vector<std::shared_ptr<KeyRef>> keyrefs;     // by id
  struct Transaction {
    std::string name;                               // empty: none
    std::shared_ptr<LoadedCert> data;
  } txn;
  std::unique_ptr<Builder> builder;                 // makes contexts for runtime changes

  ~Built() override;
  std::string cli_ssl(const std::vector<std::string>& args, const std::string* payload) override;

 private:
  size_t instances(const std::string& name) const;
  std::string show_cert(const std::vector<std::string>& a) const;
  std::string set_cert(const std::vector<std::string>& a, const std::string* payload);
  std::string commit_cert(const std::vector<std::string>& a);
  std::string abort_cert(const std::vector<std::string>& a);
  std::string new_cert(const std::vector<std::string>& a);
  std::string del_cert(const std::vector<std::string>& a);
  std::string show_crtlist(const std::vector<std::string>& a) const;
  std::string add_crtlist(const std::vector<std::string>& a, const std::string* payload);
  std::string del_crtlist(const std::vector<std::string>& a);
  std::string show_tls_keys(const std::vector<std::string>& a) const;
  std::string set_tls_key(const std::vector<std::string>& a);
 public:

  SSL_CTX* bind(int p, int b) const override {
    if (p < 0 || size_t(p) >= binds.size() || b < 0 || size_t(b) >= binds[p].size() || !binds[p][b]) return nullptr;
    return binds[p][b]->main();
  }
  const ServerState* state(int p, int s) const {
    if (p < 0 || size_t(p) >= servers.size() || s < 0 || size_t(s) >= servers[p].size()) return nullptr;
    return servers[p][s].get();
  }
  SSL_CTX* server(int p, int s) const override {
    const auto* st = state(p, s);
    return st && st->ssl ? st->ctx.get() : nullptr;
  }
  SSL_CTX* check(int p, int s) const override {
    const auto* st = state(p, s);
    return st && st->check_ssl ? st->ctx.get() : nullptr;
  }
  void prepare_server_ssl(SSL* ssl, int p, int s, bool for_check, std::string_view sni) const override {
    const auto* st = state(p, s);
    if (!st) return;
    std::string name(for_check && !st->check_sni.empty() ? std::string_view(st->check_sni) : sni);
    if (!name.empty()) SSL_set_tlsext_host_name(ssl, name.c_str());
    if (st->verify && !st->no_verifyhost) {
      // The SNI sent wins over verifyhost, as in HAProxy.
      const std::string& host = !name.empty() ? name : st->verifyhost;
      if (!host.empty()) {
        SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        SSL_set1_host(ssl, host.c_str());
      }
    }
    if (for_check) {
      if (!st->check_alpn.empty())
        SSL_set_alpn_protos(ssl, reinterpret_cast<const unsigned char*>(st->check_alpn.data()),
                            unsigned(st->check_alpn.size()));
      else if (st->has_alpn)
        SSL_set_alpn_protos(ssl, nullptr, 0);
      SSL_set_ex_data(ssl, server_state_index(), nullptr);
      return;
    }
    SSL_set_ex_data(ssl, server_state_index(), const_cast<ServerState*>(st));
    if (st->no_reuse) return;
    std::lock_guard<std::mutex> lock(st->mutex);
    if (st->session && st->session_sni == name) {
      // A copy again, for the same reason as in keep().
      if (SSL_SESSION* copy = SSL_SESSION_dup(st->session)) {
        SSL_set_session(ssl, copy);
        SSL_SESSION_free(copy);
      }
    }
  }
  void keep_server_session(SSL* ssl, int p, int s) const override {
    const auto* st = state(p, s);
    if (!st || st->no_reuse) return;
    SSL_SESSION* sess = SSL_get0_session(ssl);
    if (sess && SSL_SESSION_is_resumable(sess)) st->keep(ssl, sess);
  }
};

class Builder {
 public:
  Builder(const config::Config& cfg, config::Diagnostics& diag) : cfg_(cfg), diag_(&diag) {}

  std::unique_ptr<Built> run() {
    auto out = std::make_unique<Built>();
    out_ = out.get();
    const auto& g = cfg_.global.tls;
    if (!g.dh_param_file.empty()) dh_ = load_dh_params(g.dh_param_file);
    out->binds.resize(cfg_.proxies.size());
    out->servers.resize(cfg_.proxies.size());
    for (size_t p = 0; p < cfg_.proxies.size(); ++p) {
      const auto& px = cfg_.proxies[p];
      out->binds[p].resize(px.binds.size());
      for (size_t b = 0; b < px.binds.size(); ++b)
        if (px.binds[b].tls.ssl) out->binds[p][b] = build_bind(px, int(b), px.binds[b]);
      out->servers[p].resize(px.servers.size());
      for (size_t s = 0; s < px.servers.size(); ++s) out->servers[p][s] = build_server(px, px.servers[s]);
    }
    if (failed_) return nullptr;
    // haproxy numbers the ticket key files from the last one read.
    std::reverse(out->keyrefs.begin(), out->keyrefs.end());
    for (size_t i = 0; i < out->keyrefs.size(); ++i) out->keyrefs[i]->id = int(i);
    return out;
  }

 private:
  Built* out_ = nullptr;
  const config::Config& cfg_;
  config::Diagnostics* diag_;
  StoreCache stores_;
  PkeyPtr dh_;
  bool failed_ = false;

  // "Proxy 'f': <what> for bind ':443' at [f:l]." HAProxy prints these twice (once bare).
  void bind_late_error(const config::Proxy& px, const config::Bind& b, const std::string& what, bool twice = true) {
    const std::string m = "Proxy '" + px.name + "': " + what + " for bind '" + b.written + "' at " + at(b.origin) + ".";
    diag_->alert(config::Stage::check, std::nullopt, config::Form::parsing, twice ? m + "\n" + m : m);
    failed_ = true;
  }
  void bind_line_error(const config::Proxy& px, const config::Bind& b, const std::string& what) {
    diag_->alert(config::Stage::parse, b.origin, config::Form::parsing,
                "'bind " + b.written + "' in section '" + kind_name(px.kind) + "' : " + what);
    failed_ = true;
  }
  void server_error(const config::Proxy& px, const config::Server& s, const std::string& what) {
    diag_->alert(config::Stage::check, s.origin, config::Form::bare,
                "'server " + px.name + "/" + s.name + "' : " + what);
    failed_ = true;
  }

  // The effective options of one certificate of a bind: crt-list line, then bind, then global.
  struct Effective {
    config::TlsSslConf conf;
    TlsVersions versions;
  };
  Effective effective(const config::Bind& b, const config::TlsSslConf* line) const {
    const auto& g = cfg_.global.tls;
    Effective e;
    e.conf = b.tls.conf;
    auto fill = [](std::optional<std::string>& v, const std::optional<std::string>& over) {
      if (over) v = over;
    };
    if (!e.conf.ciphers) e.conf.ciphers = g.bind_ciphers;
    if (!e.conf.ciphersuites) e.conf.ciphersuites = g.bind_ciphersuites;
    if (!e.conf.curves) e.conf.curves = g.bind_curves;
    e.versions = g.bind_versions;
    e.versions.overlay(b.tls.conf.versions);
    if (line) {
      fill(e.conf.alpn, line->alpn);
      fill(e.conf.ciphers, line->ciphers);
      fill(e.conf.ciphersuites, line->ciphersuites);
      fill(e.conf.curves, line->curves);
      fill(e.conf.ecdhe, line->ecdhe);
      fill(e.conf.ca_file, line->ca_file);
      fill(e.conf.ca_verify_file, line->ca_verify_file);
      fill(e.conf.crl_file, line->crl_file);
      if (line->verify != TlsVerify::unset) e.conf.verify = line->verify;
      if (line->no_ca_names) e.conf.no_ca_names = line->no_ca_names;
      if (line->allow_0rtt) e.conf.allow_0rtt = line->allow_0rtt;
      if (line->versions.min != TlsVersion::none) e.versions.min = line->versions.min;
      if (line->versions.max != TlsVersion::none) e.versions.max = line->versions.max;
    }
    return e;
  }

  // One certificate's context for a bind. `bind_errors` stops repeating the same message for
  // every certificate of the bind.
  CtxPtr cert_ctx(const config::Proxy& px, const config::Bind& b, BindState& st, const LoadedCert& cert,
                  const Effective& e, const std::string& sid, std::set<std::string>& reported) {
    const auto& g = cfg_.global.tls;
    CtxPtr owner(SSL_CTX_new(TLS_server_method()));
    SSL_CTX* ctx = owner.get();
    auto* c = new CertCtx;   // owned by the context from here on
    SSL_CTX_set_ex_data(ctx, ctx_index(), c);
    c->bind = &st;
    c->ctx = ctx;
    auto once = [&](const std::string& what, bool twice = true) {
      if (reported.insert(what).second) bind_late_error(px, b, what, twice);
      else failed_ = true;
    };
    common_setup(ctx, b.tls.no_tls_tickets || g.bind_no_tls_tickets);
    if (!(b.tls.prefer_client_ciphers || g.bind_prefer_client_ciphers))
      SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
    VersionRange vr;
    if (!resolve_versions(e.versions, vr)) {
      once("all SSL/TLS versions are disabled", false);
      return nullptr;
    }
    if (vr.flags_ignored && reported.insert("#flags").second)
      diag_->warning("Proxy '" + px.name + "': no-sslv3/no-tlsv1x are ignored for bind '" + b.written + "' at " +
                    at(b.origin) + ". Use only 'ssl-min-ver' and 'ssl-max-ver' to fix.");
    if (vr.ambiguous && reported.insert("#ambiguous").second) {
      static const char* names[] = {"", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"};
      diag_->warning("Proxy '" + px.name + "': Ambiguous configuration for bind '" + b.written + "' at " +
                    at(b.origin) + ": the ssl-min-ver value is not configured and the ssl-max-ver value is lower "
                    "than the default ssl-min-ver value (TLSv1.2). Setting the ssl-min-ver to " +
                    names[int(vr.ambiguous_to)] + ". Use 'ssl-min-ver' to fix this.");
    }
    apply_versions(ctx, vr);
    if (e.conf.ciphers && SSL_CTX_set_cipher_list(ctx, e.conf.ciphers->c_str()) != 1) {
      ERR_clear_error();
      once("unable to set SSL cipher list to '" + *e.conf.ciphers + "'");
    }
    if (e.conf.ciphersuites && SSL_CTX_set_ciphersuites(ctx, e.conf.ciphersuites->c_str()) != 1) {
      ERR_clear_error();
      once("unable to set TLS 1.3 cipher suites to '" + *e.conf.ciphersuites + "'");
    }
    if (e.conf.curves) {
      if (SSL_CTX_set1_groups_list(ctx, e.conf.curves->c_str()) != 1) {
        ERR_clear_error();
        once("unable to set SSL curves list to '" + *e.conf.curves + "'");
      }
    } else if (e.conf.ecdhe) {
      const int nid = OBJ_sn2nid(e.conf.ecdhe->c_str());
      if (nid == NID_undef || SSL_CTX_set1_groups(ctx, &nid, 1) != 1) {
        ERR_clear_error();
        once("unable to set elliptic named curve to '" + *e.conf.ecdhe + "'");
      }
    }
    if (g.maxrecord >= 512 && g.maxrecord <= 16384) SSL_CTX_set_max_send_fragment(ctx, g.maxrecord);
    // The certificate.
    if (SSL_CTX_use_certificate(ctx, cert.cert.get()) != 1 || SSL_CTX_use_PrivateKey(ctx, cert.key.get()) != 1 ||
        (cert.chain && SSL_CTX_set1_chain(ctx, cert.chain.get()) != 1)) {
      ERR_clear_error();
      bind_line_error(px, b, "unable to use the certificate of '" + cert.path + "'.");
      return nullptr;
    }
    if (cert.dh) {
      EVP_PKEY_up_ref(cert.dh.get());
      SSL_CTX_set0_tmp_dh_pkey(ctx, cert.dh.get());
    } else if (dh_) {
      EVP_PKEY_up_ref(dh_.get());
      SSL_CTX_set0_tmp_dh_pkey(ctx, dh_.get());
    } else {
      SSL_CTX_set_dh_auto(ctx, 1);
    }
    c->ecdsa = cert.ecdsa;
    c->ocsp = cert.ocsp;
    if (!c->ocsp.empty()) {
      SSL_CTX_set_tlsext_status_cb(ctx, ocsp_status_cb);
      SSL_CTX_set_tlsext_status_arg(ctx, c);
    }
    // Client certificates.
    switch (e.conf.verify) {
      case TlsVerify::required: c->verify_mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT; break;
      case TlsVerify::optional: c->verify_mode = SSL_VERIFY_PEER; break;
      default: c->verify_mode = SSL_VERIFY_NONE; break;
    }
    c->verify_cb = e.conf.ca_file || e.conf.ca_verify_file;
    SSL_CTX_set_verify(ctx, c->verify_mode, c->verify_cb ? bind_verify_cb : nullptr);
    if (c->verify_mode & SSL_VERIFY_PEER) {
      if (!c->verify_cb) {
        once("verify is enabled but no CA file specified");
      } else if (const auto* s = stores_.get(e.conf.ca_file.value_or(""), e.conf.crl_file.value_or(""),
                                             e.conf.ca_verify_file.value_or(""))) {
        SSL_CTX_set1_cert_store(ctx, s->store);
        if (!e.conf.no_ca_names.value_or(false) && s->names) SSL_CTX_set_client_CA_list(ctx, SSL_dup_CA_list(s->names));
      } else {
        once("unable to load CA file '" + e.conf.ca_file.value_or(e.conf.ca_verify_file.value_or("")) + "'" +
             (e.conf.crl_file ? " or CRL file '" + *e.conf.crl_file + "'" : std::string()));
      }
    }
    if (e.conf.alpn) {
      c->alpn = alpn_wire(*e.conf.alpn);
      if (c->alpn.empty()) once("invalid ALPN protocol list '" + *e.conf.alpn + "'");
    }
    SSL_CTX_set_alpn_select_cb(ctx, alpn_select_cb, c);
    // Accepting the name (the certificate was chosen in the ClientHello callback) makes
    // OpenSSL keep it in the session, so a resumed TLS 1.2 session still knows its SNI.
    SSL_CTX_set_tlsext_servername_callback(ctx, accept_servername);
    SSL_CTX_set_session_id_context(ctx, reinterpret_cast<const unsigned char*>(sid.data()), unsigned(sid.size()));
    return owner;
  }

  // The certificate `file`, loaded once for every bind naming it (its store, by name).
  std::shared_ptr<const LoadedCert> store(const std::string& file, std::string& err) {
    auto it = out_->stores.find(file);
    if (it != out_->stores.end() && it->second.data) return it->second.data;
    auto lc = std::make_shared<LoadedCert>();
    if (!load_cert_file(file, *lc, err)) return nullptr;
    out_->stores[file].data = lc;
    return lc;
  }

  std::shared_ptr<KeyRef> keyref(const std::string& file, std::string& err) {
    for (auto& k : out_->keyrefs)
      if (k->file == file) return k;
    std::vector<TicketKey> keys;
    if (!load_ticket_keys(file, keys, err)) return nullptr;
    auto k = std::make_shared<KeyRef>();
    k->file = file;
    k->len = keys.front().len;
    k->ring.store(std::make_shared<const std::vector<TicketKey>>(std::move(keys)));
    out_->keyrefs.push_back(k);
    return k;
  }

  // A crt-list (or a directory given as crt), read once for every bind naming it.
  Built::CrtList& crt_list(const config::TlsBindOptions::Crt& crt) {
    auto [it, fresh] = out_->lists.try_emplace(crt.path);
    Built::CrtList& list = it->second;
    if (!fresh) return list;
    if (!crt.crt_list) {
      list.dir = true;
      for (const auto& file : expand_cert_path(crt.path)) {
        auto l = std::make_shared<ListLine>();
        l->store = file;
        list.lines.push_back(std::move(l));
      }
      return list;
    }
    for (const auto& cl : crt.lines) {
      for (const auto& file : expand_cert_path(cl.crt)) {
        auto l = std::make_shared<ListLine>();
        l->store = file;
        l->conf = cl.conf;
        l->has_conf = cl.has_conf;
        l->filters = cl.filters;
        l->linenum = cl.line;
        list.lines.push_back(std::move(l));
      }
    }
    // HAProxy numbers lines added at runtime after the file's last line.
    if (FILE* f = std::fopen(crt.path.c_str(), "r")) {
      int n = 0, ch, last = '\n';
      while ((ch = std::fgetc(f)) != EOF) {
        if (ch == '\n') ++n;
        last = ch;
      }
      if (last != '\n') ++n;
      std::fclose(f);
      list.linecount = n;
    }
    return list;
  }

 public:
  // A certificate instance for a bind: its context configured from the bind line and the
  // crt-list line. Null when the context cannot be made (reported into diag_).
  std::shared_ptr<Entry> make_entry(BindState& st, const std::string& name, const LoadedCert& lc,
                                    std::shared_ptr<ListLine> line) {
    std::set<std::string> reported;
    const config::TlsSslConf* lconf = line && line->has_conf ? &line->conf : nullptr;
    const Effective e = effective(*st.conf, lconf);
    CtxPtr ctx = cert_ctx(*st.px, *st.conf, st, lc, e, st.sid, reported);
    if (!ctx) return nullptr;
    CertCtx* c = cert_of(ctx.get());
    if (lconf) {
      const Effective base = effective(*st.conf, nullptr);
      if (e.conf.ciphers != base.conf.ciphers) c->ciphers = e.conf.ciphers.value_or("DEFAULT");
      if (e.conf.ciphersuites != base.conf.ciphersuites)
        c->ciphersuites = e.conf.ciphersuites.value_or(OSSL_default_ciphersuites());
      if (e.conf.curves != base.conf.curves || e.conf.ecdhe != base.conf.ecdhe)
        c->groups = e.conf.curves ? *e.conf.curves : e.conf.ecdhe ? *e.conf.ecdhe : "X25519:P-256:X448:P-521:P-384";
    }
    auto en = std::make_shared<Entry>();
    en->store = name;
    en->line = std::move(line);
    en->ctx = std::move(ctx);
    // Any filter, even only negated ones, replaces the certificate's own names (haproxy).
    en->names = en->line && !en->line->filters.empty() ? en->line->filters : lc.names;
    for (const auto& n : en->names)
      if (n.starts_with("!")) c->excluded.insert(lower(n.substr(1)));
    return en;
  }
  const std::string& crt_base() const { return cfg_.global.tls.crt_base; }
  // Errors of runtime changes go to `d` (the admin socket's reply) instead.
  void set_diag(config::Diagnostics* d) {
    diag_ = d;
    failed_ = false;
  }

 private:
  std::unique_ptr<BindState> build_bind(const config::Proxy& px, int bi, const config::Bind& b) {
    const auto& g = cfg_.global.tls;
    auto st = std::make_unique<BindState>();
    st->ca_ignore_all = b.tls.ca_ignore_all;
    st->crt_ignore_all = b.tls.crt_ignore_all;
    st->ca_ignore = b.tls.ca_ignore;
    st->crt_ignore = b.tls.crt_ignore;
    st->strict_sni = b.tls.strict_sni || g.bind_strict_sni;
    st->px = &px;
    st->conf = &b;
    if (b.tls.generate_certificates) {
      if (b.tls.ca_sign_file.empty()) {
        diag_->alert(config::Stage::check, std::nullopt, config::Form::parsing,
                    "Proxy '" + px.name + "': cannot enable certificate generation, no CA certificate File "
                    "configured at " + at(b.origin) + ".");
        failed_ = true;
      } else {
        bind_late_error(px, b, "certificate generation (generate-certificates) is not supported by portero", false);
      }
      return nullptr;
    }
    if (!b.tls.tls_ticket_keys.empty()) {
      std::string err;
      st->keys = keyref(b.tls.tls_ticket_keys, err);
      if (!st->keys) {
        bind_line_error(px, b, err);
        return nullptr;
      }
    }
    // haproxy's session id context for every bind: a ticket made with a tls-ticket-keys file
    // shared with haproxy (or with another bind) resumes here, and the other way round.
    st->sid = "haproxy";
    (void)bi;
    for (const auto& crt : b.tls.crts) {
      struct stat fs{};
      const bool dir = !crt.crt_list && stat(crt.path.c_str(), &fs) == 0 && S_ISDIR(fs.st_mode);
      if (!crt.crt_list && !dir) {
        std::string err;
        auto lc = store(crt.path, err);
        if (!lc) {
          bind_line_error(px, b, err);
          continue;
        }
        if (auto en = make_entry(*st, crt.path, *lc, nullptr)) st->entries.push_back(std::move(en));
        continue;
      }
      Built::CrtList& list = crt_list(crt);
      for (const auto& line : list.lines) {
        std::string err;
        auto lc = store(line->store, err);
        if (!lc) {
          bind_line_error(px, b, crt.crt_list ? "'crt-list' : " + err : err);
          continue;
        }
        if (auto en = make_entry(*st, line->store, *lc, line)) st->entries.push_back(std::move(en));
      }
      list.binds.push_back(st.get());
    }
    if (failed_) return nullptr;
    if (st->entries.empty()) {
      diag_->alert(config::Stage::check, std::nullopt, config::Form::parsing,
                  "Proxy '" + px.name + "': no SSL certificate specified for bind '" + b.written + "' at " +
                  at(b.origin) + " (use 'crt').");
      failed_ = true;
      return nullptr;
    }
    // The bind's context: the first certificate's, with the session cache, the tickets and
    // the certificate selection. It stays the bind's even when that certificate is replaced.
    st->main_ctx = up_ref(st->entries.front()->ctx.get());
    SSL_CTX* main = st->main();
    if (g.cachesize) {
      SSL_CTX_set_session_cache_mode(main, SSL_SESS_CACHE_SERVER);
      SSL_CTX_sess_set_cache_size(main, long(g.cachesize));
    } else {
      SSL_CTX_set_session_cache_mode(main, SSL_SESS_CACHE_OFF);
    }
    SSL_CTX_set_timeout(main, long(g.lifetime_s));
    if (st->keys) SSL_CTX_set_tlsext_ticket_key_evp_cb(main, ticket_key_cb);
    SSL_CTX_set_client_hello_cb(main, client_hello_cb, st.get());
    st->publish();
    return st;
  }

  std::unique_ptr<ServerState> build_server(const config::Proxy& px, const config::Server& s) {
    const auto& g = cfg_.global.tls;
    const auto& t = s.tls;
    const bool check_ssl =
        t.check_ssl || (t.ssl && !t.no_check_ssl && !s.check_port && s.check_addr.empty());
    if (!t.ssl && !check_ssl) return nullptr;
    auto st = std::make_unique<ServerState>();
    st->ssl = t.ssl;
    st->check_ssl = check_ssl;
    st->no_reuse = t.no_ssl_reuse;
    st->verifyhost = t.verifyhost;
    st->no_verifyhost = t.no_verifyhost;
    st->check_sni = t.check_sni;
    st->ctx.reset(SSL_CTX_new(TLS_client_method()));
    SSL_CTX* ctx = st->ctx.get();
    common_setup(ctx, t.no_tls_tickets || g.server_no_tls_tickets);
    TlsVersions v = g.server_versions;
    v.overlay(t.versions);
    VersionRange vr;
    if (!resolve_versions(v, vr)) {
      server_error(px, s, "backend '" + px.name + "': all SSL/TLS versions are disabled for server '" + s.name + "'.");
      return nullptr;
    }
    if (vr.flags_ignored)
      diag_->add(config::Severity::warning, s.origin, config::Form::bare,
                "'server " + px.name + "/" + s.name + "' : no-sslv3/no-tlsv1x are ignored for this server. "
                "Use only 'ssl-min-ver' and 'ssl-max-ver' to fix.");
    apply_versions(ctx, vr);
    const auto ciphers = t.ciphers ? t.ciphers : g.server_ciphers;
    if (ciphers && SSL_CTX_set_cipher_list(ctx, ciphers->c_str()) != 1) {
      ERR_clear_error();
      server_error(px, s, "unable to set SSL cipher list to '" + *ciphers + "'.");
    }
    const auto suites = t.ciphersuites ? t.ciphersuites : g.server_ciphersuites;
    if (suites && SSL_CTX_set_ciphersuites(ctx, suites->c_str()) != 1) {
      ERR_clear_error();
      server_error(px, s, "unable to set TLS 1.3 cipher suites to '" + *suites + "'.");
    }
    const bool verify = t.verify == TlsVerify::required || (t.verify == TlsVerify::unset && !g.server_verify_none);
    st->verify = verify;
    if (verify) {
      if (t.ca_file.empty()) {
        server_error(px, s, "verify is enabled by default but no CA file specified. If you're running on a LAN "
                            "where you're certain to trust the server's certificate, please set an explicit "
                            "'verify none' statement on the 'server' line, or use 'ssl-server-verify none' in the "
                            "global section to disable server-side verifications by default.");
        return nullptr;
      }
      if (const auto* store = stores_.get(t.ca_file, t.crl_file)) {
        SSL_CTX_set1_cert_store(ctx, store->store);
      } else {
        server_error(px, s, "unable to load CA file '" + t.ca_file + "'.");
        return nullptr;
      }
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    } else {
      SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    }
    if (!t.crt.empty()) {
      LoadedCert lc;
      std::string err;
      if (FILE* f = std::fopen(t.crt.c_str(), "r")) {
        std::fclose(f);
        if (!load_cert_file(t.crt, lc, err)) {
          server_error(px, s, err);
          return nullptr;
        }
      } else {
        server_error(px, s, "unable to stat SSL certificate from file '" + t.crt + "' : " + std::strerror(errno) + ".");
        return nullptr;
      }
      if (SSL_CTX_use_certificate(ctx, lc.cert.get()) != 1 || SSL_CTX_use_PrivateKey(ctx, lc.key.get()) != 1 ||
          (lc.chain && SSL_CTX_set1_chain(ctx, lc.chain.get()) != 1)) {
        ERR_clear_error();
        server_error(px, s, "unable to use the certificate of '" + t.crt + "'.");
        return nullptr;
      }
    }
    if (!t.alpn.empty()) {
      // Requests go over HTTP/2 when the server picks h2 (proxy/h2_upstream.h).
      const std::string wire = alpn_wire(t.alpn);
      SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(wire.data()), unsigned(wire.size()));
      st->has_alpn = true;
    }
    // An HTTP check goes over HTTP/2 when the server picks h2 (check/checker.cpp).
    if (!t.check_alpn.empty()) st->check_alpn = alpn_wire(t.check_alpn);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, new_session_cb);
    return st;
  }
};

}  // namespace


// ---- the admin socket's commands (main thread) ------------------------------------------

Built::~Built() = default;

namespace {

const std::string& word(const std::vector<std::string>& a, size_t i) {
  static const std::string empty;
  return i < a.size() ? a[i] : empty;
}

std::string strip_slashes(std::string s) {
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

const char* version_name(TlsVersion v) {
  switch (v) {
    case TlsVersion::sslv3: return "SSLv3";
    case TlsVersion::tlsv10: return "TLSv1.0";
    case TlsVersion::tlsv11: return "TLSv1.1";
    case TlsVersion::tlsv12: return "TLSv1.2";
    case TlsVersion::tlsv13: return "TLSv1.3";
    default: return "";
  }
}

// A crt-list line's [options] as `show ssl crt-list` prints them (haproxy 2.6 order; it ends
// the ALPN list with a NUL byte, kept here for byte-identical replies).
std::string dump_line_conf(const ListLine& l) {
  if (!l.has_conf) return {};
  const auto& c = l.conf;
  std::string out = " [";
  bool space = false;
  auto item = [&](const std::string& text) {
    if (space) out += ' ';
    out += text;
    space = true;
  };
  if (c.alpn) {
    item("alpn " + *c.alpn);
    out += '\0';
  }
  if (c.verify == TlsVerify::none) item("verify none");
  else if (c.verify == TlsVerify::optional) item("verify optional");
  else if (c.verify == TlsVerify::required) item("verify required");
  if (c.no_ca_names.value_or(false)) item("no-ca-names");
  if (c.allow_0rtt.value_or(false)) item("allow-0rtt");
  if (c.ca_file) item("ca-file " + *c.ca_file);
  if (c.crl_file) item("crl-file " + *c.crl_file);
  if (c.ciphers) item("ciphers " + *c.ciphers);
  if (c.ciphersuites) item("ciphersuites " + *c.ciphersuites);
  if (c.curves) item("curves " + *c.curves);
  if (c.ecdhe) item("ecdhe " + *c.ecdhe);
  if (c.versions.min != TlsVersion::none) item(std::string("ssl-min-ver ") + version_name(c.versions.min));
  if (c.versions.max != TlsVersion::none) item(std::string("ssl-max-ver ") + version_name(c.versions.max));
  out += ']';
  return out;
}

// One crt-list line given to `add ssl crt-list`: `<crt> [[options]] [filters...]`.
bool parse_list_line(const std::string& text, const std::string& crt_base, ListLine& out, std::string& err) {
  std::vector<std::string> w;
  {
    std::string cur;
    auto flush = [&] {
      if (!cur.empty()) w.push_back(cur);
      cur.clear();
    };
    for (char ch : text) {
      if (ch == ' ' || ch == '\t' || ch == '\r') flush();
      else if (ch == '[' || ch == ']') {
        flush();
        w.emplace_back(1, ch);
      } else cur += ch;
    }
    flush();
  }
  const std::string at = "parsing [CLI:1]: ";
  if (w.empty()) return true;   // no certificate: the caller says so
  if (w[0] == "[" || w[0] == "]") {
    err = at + "file must start with a cert";
    return false;
  }
  out.store = (!crt_base.empty() && w[0][0] != '/') ? crt_base + "/" + w[0] : w[0];
  size_t i = 1;
  if (i < w.size() && w[i] == "[") {
    out.has_conf = true;
    for (++i; i < w.size() && w[i] != "]"; ++i) {
      const std::string& o = w[i];
      auto value = [&](std::optional<std::string>& v) {
        if (i + 1 >= w.size() || w[i + 1] == "]") {
          err = at + "ssl args out of '[]' for " + o;
          return false;
        }
        v = w[++i];
        return true;
      };
      if (o == "alpn") { if (!value(out.conf.alpn)) return false; }
      else if (o == "ciphers") { if (!value(out.conf.ciphers)) return false; }
      else if (o == "ciphersuites") { if (!value(out.conf.ciphersuites)) return false; }
      else if (o == "curves") { if (!value(out.conf.curves)) return false; }
      else if (o == "ecdhe") { if (!value(out.conf.ecdhe)) return false; }
      else if (o == "ca-file") { if (!value(out.conf.ca_file)) return false; }
      else if (o == "crl-file") { if (!value(out.conf.crl_file)) return false; }
      else if (o == "no-ca-names") out.conf.no_ca_names = true;
      else if (o == "allow-0rtt") out.conf.allow_0rtt = true;
      else if (o == "verify") {
        std::optional<std::string> v;
        if (!value(v)) return false;
        if (*v == "none") out.conf.verify = TlsVerify::none;
        else if (*v == "optional") out.conf.verify = TlsVerify::optional;
        else if (*v == "required") out.conf.verify = TlsVerify::required;
        else {
          err = "'verify' : unknown verify method '" + *v + "', only 'none', 'optional', and 'required' are supported";
          return false;
        }
      } else if (o == "ssl-min-ver" || o == "ssl-max-ver") {
        std::optional<std::string> v;
        if (!value(v)) return false;
        const TlsVersion ver = config::parse_tls_version(*v);
        if (ver == TlsVersion::none) {
          err = "'" + o + "' : unknown ssl/tls version";
          return false;
        }
        (o == "ssl-min-ver" ? out.conf.versions.min : out.conf.versions.max) = ver;
      } else {
        err = at + "unknown ssl keyword " + o;
        return false;
      }
    }
    if (i >= w.size()) {
      err = at + "missing '['";
      return false;
    }
    ++i;
  }
  for (; i < w.size(); ++i) {
    if (w[i] == "[" || w[i] == "]") {
      err = at + (w[i] == "[" ? "too many '['" : "too many ']'");
      return false;
    }
    out.filters.push_back(w[i]);
  }
  return true;
}

std::string base64(const unsigned char* p, size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  const int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), p, int(n));
  out.resize(size_t(len));
  return out;
}

// haproxy's base64dec: a multiple of 4 characters, '=' only as padding; -1 when invalid.
int base64_decode(const std::string& in, std::vector<unsigned char>& out) {
  if (in.empty() || in.size() % 4) return -1;
  for (size_t i = 0; i < in.size(); ++i) {
    const char ch = in[i];
    const bool ok = std::isalnum(static_cast<unsigned char>(ch)) || ch == '+' || ch == '/' ||
                    (ch == '=' && i >= in.size() - 2);
    if (!ok) return -1;
  }
  out.assign(in.size() / 4 * 3 + 1, 0);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(in.data()), int(in.size()));
  if (n < 0) return -1;
  int real = n;
  if (in.ends_with("==")) real -= 2;
  else if (in.ends_with("=")) real -= 1;
  out.resize(size_t(real));
  return real;
}

std::string key_bytes(const TicketKey& k) {
  std::string raw(reinterpret_cast<const char*>(k.name), 16);
  raw.append(reinterpret_cast<const char*>(k.aes), k.len);
  raw.append(reinterpret_cast<const char*>(k.hmac), k.len);
  return raw;
}

}  // namespace

size_t Built::instances(const std::string& name) const {
  size_t n = 0;
  for (const auto& px : binds)
    for (const auto& b : px)
      if (b)
        for (const auto& e : b->entries) n += e->store == name;
  return n;
}

std::string Built::cli_ssl(const std::vector<std::string>& a, const std::string* payload) {
  const std::string& verb = word(a, 0);
  if (verb == "show" && word(a, 1) == "tls-keys") return show_tls_keys(a);
  if (verb == "set" && word(a, 2) == "tls-key") return set_tls_key(a);
  const std::string& what = word(a, 2);
  if (what == "cert") {
    if (verb == "show") return show_cert(a);
    if (verb == "set") return set_cert(a, payload);
    if (verb == "commit") return commit_cert(a);
    if (verb == "abort") return abort_cert(a);
    if (verb == "new") return new_cert(a);
    if (verb == "del") return del_cert(a);
  } else if (what == "crt-list") {
    if (verb == "show") return show_crtlist(a);
    if (verb == "add") return add_crtlist(a, payload);
    if (verb == "del") return del_crtlist(a);
  }
  return "Unknown command.\n";
}

std::string Built::show_cert(const std::vector<std::string>& a) const {
  const std::string& name = word(a, 3);
  if (name.empty()) {
    std::string out;
    if (!txn.name.empty()) out += "# transaction\n*" + txn.name + "\n";
    out += "# filename\n";
    for (const auto& [n, st] : stores) out += n + "\n";
    return out;
  }
  const std::string notfound = "Can't display the certificate: Not found or the certificate is a bundle!\n";
  const LoadedCert* data = nullptr;
  std::string shown;
  bool from_txn = false;
  if (name[0] == '*') {
    if (txn.name.empty() || name.substr(1) != txn.name) return notfound;
    data = txn.data.get();
    shown = txn.name;
    from_txn = true;
  } else {
    auto it = stores.find(name);
    if (it == stores.end()) return notfound;
    data = it->second.data.get();
    shown = name;
  }
  std::string out = "Filename: " + std::string(from_txn ? "*" : "") + shown + "\n";
  out += "Status: ";
  if (!data || !data->cert) out += "Empty\n";
  else if (from_txn || !instances(shown)) out += "Unused\n";
  else out += "Used\n";
  if (data && data->cert) out += cert_detail(*data);
  out += "OCSP Response Key: \n";
  return out;
}

std::string Built::set_cert(const std::vector<std::string>& a, const std::string* payload) {
  const std::string& arg = word(a, 3);
  if (arg.empty() || !payload) return "'set ssl cert expects a filename and a certificate as a payload\n";
  // The extension names the part replaced (haproxy: "crt" and "" a PEM, "key" the key).
  std::string name = arg, ext;
  if (auto dot = name.rfind('.'); dot != std::string::npos) {
    const std::string e = name.substr(dot + 1);
    if (e == "crt" || e == "key" || e == "ocsp" || e == "sctl" || e == "issuer") {
      ext = e;
      name.resize(dot);
    }
  }
  auto fail = [&](const std::string& err) { return err + "Can't update " + arg + "!\n"; };
  std::shared_ptr<const LoadedCert> base;
  if (!txn.name.empty()) {
    // haproxy 2.6 refuses another name only with `ssl-load-extra-del-ext`, which portero does
    // not have: otherwise the payload goes into the ongoing transaction, whatever its name.
    base = txn.data;
    name = txn.name;
  } else {
    auto it = stores.find(name);
    if (it == stores.end())
      return fail("Can't replace a certificate which is not referenced by the configuration!\n");
    base = it->second.data;
  }
  auto next = std::make_shared<LoadedCert>(base ? dup_cert(*base) : LoadedCert{});
  next->path = name;
  std::string err;
  bool ok;
  if (ext.empty() || ext == "crt") ok = load_pem_payload(name, *payload, *next, err);
  else if (ext == "key") ok = load_key_payload(name, *payload, *next, err);
  else {
    ok = false;
    err = "";
  }
  if (!ok) return fail(err + "Can't load the payload\n");
  const bool created = txn.name.empty();
  txn.name = name;
  txn.data = std::move(next);
  return (created ? "Transaction created for certificate " : "Transaction updated for certificate ") + name + "!\n";
}

std::string Built::commit_cert(const std::vector<std::string>& a) {
  const std::string& name = word(a, 3);
  if (name.empty()) return "'commit ssl cert expects a filename\n";
  auto fail = [&](const std::string& err) { return err + "Can't commit " + name + "!\n"; };
  if (txn.name.empty()) return fail("No ongoing transaction! !\n");
  if (txn.name != name)
    return fail("The ongoing transaction is about '" + txn.name + "' but you are trying to set '" + name + "'\n");
  const LoadedCert& data = *txn.data;
  if (data.cert && !data.key) return fail("The transaction must contain at least a certificate and a private key!\n");
  if (!data.cert || !data.key || X509_check_private_key(data.cert.get(), data.key.get()) != 1) {
    ERR_clear_error();
    return fail("inconsistencies between private key and certificate loaded '" + name + "'.\n");
  }
  // Every new context first; nothing changes unless all of them could be made.
  std::string out = "Committing " + name;
  config::Diagnostics diag;
  builder->set_diag(&diag);
  std::vector<std::pair<std::shared_ptr<Entry>*, std::shared_ptr<Entry>>> swaps;
  std::vector<BindState*> touched;
  for (auto& px : binds)
    for (auto& b : px) {
      if (!b) continue;
      bool any = false;
      for (auto& e : b->entries) {
        if (e->store != name) continue;
        auto fresh = builder->make_entry(*b, name, data, e->line);
        if (!fresh) {
          std::string err;
          for (const auto& m : diag.all()) err += m.text + "\n";
          return out + "\n" + err + "Failed!\n";
        }
        swaps.emplace_back(&e, std::move(fresh));
        out += ".";
        any = true;
      }
      if (any) touched.push_back(b.get());
    }
  for (auto& [slot, fresh] : swaps) *slot = std::move(fresh);
  for (BindState* b : touched) b->publish();
  stores[name].data = txn.data;
  txn = Transaction{};
  return out + "\nSuccess!\n";
}

std::string Built::abort_cert(const std::vector<std::string>& a) {
  const std::string& name = word(a, 3);
  if (name.empty()) return "'abort ssl cert' expects a filename\n";
  if (txn.name.empty()) return "No ongoing transaction!\n";
  if (txn.name != name)
    return "The ongoing transaction is about '" + txn.name + "' but you are trying to abort a transaction for '" +
           name + "'\n";
  txn = Transaction{};
  return "Transaction aborted for certificate '" + name + "'!\n";
}

std::string Built::new_cert(const std::vector<std::string>& a) {
  const std::string& name = word(a, 3);
  if (name.empty()) return "'new ssl cert' expects a filename\n";
  if (stores.count(name)) return "Certificate '" + name + "' already exists!\n";
  stores[name] = Store{};
  return "New empty certificate store '" + name + "'!\n";
}

std::string Built::del_cert(const std::vector<std::string>& a) {
  const std::string& name = word(a, 3);
  if (name.empty()) return "'del ssl cert' expects a certificate name\n";
  auto fail = [](const std::string& err) { return "Can't remove the certificate: " + err + "\n"; };
  auto it = stores.find(name);
  if (it == stores.end()) return fail("certificate '" + name + "' doesn't exist!\n");
  if (instances(name)) return fail("certificate '" + name + "' in use, can't be deleted!\n");
  stores.erase(it);
  return "Certificate '" + name + "' deleted!\n";
}

std::string Built::show_crtlist(const std::vector<std::string>& a) const {
  bool numbers = false;
  std::string file;
  if (word(a, 3) == "-n") {
    numbers = true;
    file = word(a, 4);
    if (file.empty()) return "'show ssl crt-list -n' expects a filename or a directory\n";
  } else {
    file = word(a, 3);
  }
  if (file.empty()) {
    std::string out;
    for (const auto& [n, l] : lists) out += n + "\n";
    return out;
  }
  auto it = lists.find(strip_slashes(file));
  if (it == lists.end()) return "didn't find the specified filename\n";
  std::string out = "# " + it->first + "\n";
  for (const auto& l : it->second.lines) {
    out += l->store;
    if (numbers) out += ":" + std::to_string(l->linenum);
    out += dump_line_conf(*l);
    for (const auto& f : l->filters) out += " " + f;
    out += "\n";
  }
  return out;
}

std::string Built::add_crtlist(const std::vector<std::string>& a, const std::string* payload) {
  if (word(a, 3).empty() || (!payload && word(a, 4).empty()))
    return "'add ssl crtlist' expects a filename and a certificate name\n";
  const std::string file = strip_slashes(word(a, 3));
  auto fail = [](const std::string& err) { return "Can't edit the crt-list: " + err + "\n"; };
  auto it = lists.find(file);
  if (it == lists.end()) return fail("crt-list '" + file + "' does not exist!");
  CrtList& list = it->second;
  auto line = std::make_shared<ListLine>();
  const std::string& crt_base = builder->crt_base();
  if (payload) {
    if (payload->find('\n') != std::string::npos) return fail("only one line of payload is supported!");
    std::string err;
    if (!parse_list_line(*payload, crt_base, *line, err)) return fail(err);
    if (line->store.empty()) return fail("'add ssl crtlist' should contain the certificate name in the payload");
  } else {
    const std::string& crt = word(a, 4);
    line->store = (!crt_base.empty() && crt[0] != '/') ? crt_base + "/" + crt : crt;
  }
  if (list.dir) {
    // haproxy 2.6 asks the path to hold the directory's
    return fail("'" + file + "' is a directory, certificate path '" + line->store +
                "' must contain the directory path");
  }
  auto st = stores.find(line->store);
  if (st == stores.end()) return fail("certificate '" + line->store + "' does not exist!");
  if (!st->second.data || !st->second.data->cert) return fail("certificate '" + line->store + "' is empty!");
  std::string out = "Inserting certificate '" + line->store + "' in crt-list '" + file + "'";
  config::Diagnostics diag;
  builder->set_diag(&diag);
  std::vector<std::pair<BindState*, std::shared_ptr<Entry>>> made;
  for (BindState* b : list.binds) {
    auto en = builder->make_entry(*b, line->store, *st->second.data, line);
    if (!en) {
      std::string err;
      for (const auto& m : diag.all()) err += m.text + "\n";
      return out + "\n" + err + "Failed!\n";
    }
    made.emplace_back(b, std::move(en));
    out += ".";
  }
  line->linenum = ++list.linecount;
  list.lines.push_back(line);
  for (auto& [b, en] : made) {
    b->entries.push_back(std::move(en));
    b->publish();
  }
  return out + "\nSuccess!\n";
}

std::string Built::del_crtlist(const std::vector<std::string>& a) {
  if (word(a, 3).empty() || word(a, 4).empty()) return "'del ssl crtlist' expects a filename and a certificate name\n";
  auto fail = [](const std::string& err) { return "Can't delete the entry: " + err + "\n"; };
  std::string cert = word(a, 4);
  int linenum = 0;
  if (auto colon = cert.find(':'); colon != std::string::npos) {
    const std::string num = cert.substr(colon + 1);
    char* end = nullptr;
    linenum = int(std::strtol(num.c_str(), &end, 10));
    if (num.empty() || *end) return fail("wrong line number after colons in '" + cert + "'!");
    cert.resize(colon);
  }
  const std::string file = strip_slashes(word(a, 3));
  auto it = lists.find(file);
  if (it == lists.end()) return fail("crt-list '" + file + "' does not exist!");
  CrtList& list = it->second;
  auto st = stores.find(cert);
  if (st == stores.end()) return fail("certificate '" + cert + "' does not exist!");
  if (!st->second.data || !st->second.data->cert) return fail("certificate '" + cert + "' is empty!");
  std::string nums;
  std::shared_ptr<ListLine> victim;
  size_t matches = 0;
  for (const auto& l : list.lines) {
    if (l->store != cert) continue;
    ++matches;
    nums += (nums.empty() ? "" : ", ") + std::to_string(l->linenum);
    if ((linenum == 0 || l->linenum == linenum) && !victim) victim = l;
  }
  if (!matches) return fail("certificate '" + cert + "' can't be found in crt-list '" + file + "'!");
  if (!victim)
    return fail("found a certificate '" + cert + "' but the line number is incorrect, please specify a correct line "
                "number preceded by colons (" + nums + ")!");
  if (linenum == 0 && matches > 1)
    return fail("found the certificate '" + cert + "' in several entries, please specify a line number preceded by "
                "colons (" + nums + ")!");
  std::string deflt;
  for (BindState* b : list.binds)
    if (!b->strict_sni && !b->entries.empty() && b->entries.front()->line == victim)
      deflt += "\t- " + b->conf->origin.file + ":" + std::to_string(b->conf->origin.line) + "\n";
  if (!deflt.empty())
    return fail("certificate '" + cert + "' cannot be deleted, it is used as default certificate by the following "
                "frontends:\n" + deflt);
  list.lines.erase(std::find(list.lines.begin(), list.lines.end(), victim));
  for (BindState* b : list.binds) {
    auto& en = b->entries;
    en.erase(std::remove_if(en.begin(), en.end(), [&](const auto& e) { return e->line == victim; }), en.end());
    b->publish();
  }
  return "Entry '" + cert + "' deleted in crtlist '" + file + "'!\n";
}

std::string Built::show_tls_keys(const std::vector<std::string>& a) const {
  const std::string& ref = word(a, 2);
  auto lookup = [&](const std::string& r) -> const KeyRef* {
    if (!r.empty() && r[0] == '#') {
      char* end = nullptr;
      const long id = std::strtol(r.c_str() + 1, &end, 10);
      if (*end) return nullptr;
      for (const auto& k : keyrefs)
        if (k->id == id) return k.get();
      return nullptr;
    }
    for (const auto& k : keyrefs)
      if (k->file == r) return k.get();
    return nullptr;
  };
  std::vector<const KeyRef*> shown;
  const bool secrets = !ref.empty();
  if (ref.empty() || ref[0] == '*') {
    for (const auto& k : keyrefs) shown.push_back(k.get());
  } else {
    const KeyRef* k = lookup(ref);
    if (!k) return "'show tls-keys' unable to locate referenced filename\n";
    shown.push_back(k);
  }
  std::string out = secrets ? "# id secret\n" : "# id (file)\n";
  for (const KeyRef* k : shown) {
    if (secrets) out += "# ";
    out += std::to_string(k->id) + " (" + k->file + ")\n";
    if (!secrets) continue;
    const auto ring = k->ring.load();
    for (size_t i = 0; i < ring->size(); ++i) {
      const std::string raw = key_bytes((*ring)[i]);
      out += std::to_string(k->id) + "." + std::to_string(i) + " " +
             base64(reinterpret_cast<const unsigned char*>(raw.data()), raw.size()) + "\n";
    }
  }
  return out;
}

std::string Built::set_tls_key(const std::vector<std::string>& a) {
  const std::string& ref = word(a, 3);
  const std::string& b64 = word(a, 4);
  if (ref.empty() || b64.empty())
    return "'set ssl tls-key' expects a filename and the new TLS key in base64 encoding.\n";
  KeyRef* k = nullptr;
  if (ref[0] == '#') {
    char* end = nullptr;
    const long id = std::strtol(ref.c_str() + 1, &end, 10);
    if (!*end)
      for (const auto& r : keyrefs)
        if (r->id == id) k = r.get();
  } else {
    for (const auto& r : keyrefs)
      if (r->file == ref) k = r.get();
  }
  if (!k) return "'set ssl tls-key' unable to locate referenced filename\n";
  std::vector<unsigned char> raw;
  if (base64_decode(b64, raw) < 0) return "'set ssl tls-key' received invalid base64 encoded TLS key.\n";
  if (raw.size() != 16 + 2 * k->len) return "'set ssl tls-key' received a key of wrong size.\n";
  TicketKey nk;
  nk.len = k->len;
  std::memcpy(nk.name, raw.data(), 16);
  std::memcpy(nk.aes, raw.data() + 16, nk.len);
  std::memcpy(nk.hmac, raw.data() + 16 + nk.len, nk.len);
  // The ring turns: the oldest key goes, the newest becomes the next one to encrypt with after
  // the current last one, which encrypts from now on (haproxy's ring of three).
  auto ring = std::make_shared<std::vector<TicketKey>>(*k->ring.load());
  ring->erase(ring->begin());
  ring->push_back(nk);
  k->ring.store(std::shared_ptr<const std::vector<TicketKey>>(std::move(ring)), std::memory_order_release);
  return "TLS ticket key updated!\n";
}

std::unique_ptr<Contexts> Contexts::build(const config::Config& cfg, config::Diagnostics& diag) {
  auto builder = std::make_unique<Builder>(cfg, diag);
  auto out = builder->run();
  if (!out) return nullptr;
  out->builder = std::move(builder);
  return out;
}

}  // namespace portero::tls
