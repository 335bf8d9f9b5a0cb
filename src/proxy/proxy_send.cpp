// The PROXY protocol header a `server ... send-proxy[-v2]` gets first on each new connection
// (never again on a reused one: such a connection stays private to its client, see
// Exchange::private_server_conns). It tells the client's addresses as portero sees them (those
// of a received PROXY header included) and, for v2, the TLVs `proxy-v2-options` asks for.
// Worker-local.
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdio>

#include "portero/core/proxy_header.h"
#include "portero/proxy/worker.h"
#include "session.h"

namespace portero::proxy {

namespace {

// "RSA2048", "EC256": the key of a certificate, as HAProxy's cert-key TLV names it.
size_t key_algo(X509* crt, char* out, size_t cap) {
  EVP_PKEY* k = crt ? X509_get0_pubkey(crt) : nullptr;
  if (!k) return 0;
  const char* name = EVP_PKEY_base_id(k) == EVP_PKEY_RSA ? "RSA"
                     : EVP_PKEY_base_id(k) == EVP_PKEY_EC ? "EC"
                     : EVP_PKEY_base_id(k) == EVP_PKEY_DSA ? "DSA"
                                                            : OBJ_nid2sn(EVP_PKEY_base_id(k));
  const int n = std::snprintf(out, cap, "%s%d", name, EVP_PKEY_bits(k));
  return n > 0 && size_t(n) < cap ? size_t(n) : 0;
}

}  // namespace

bool Exchange::private_server_conns(int be, int idx) const {
  const auto& p = w_.config().proxies[size_t(be)];
  return p.http_reuse == config::HttpReuse::never || p.servers[size_t(idx)].sends_proxy();
}

size_t Exchange::make_proxy_header(const config::Server& s, char* out, size_t cap) {
  const sockaddr* src = &c_.facts_.peer.sa;
  const sockaddr* dst = &c_.facts_.local.sa;
  if (!s.send_proxy_v2) return cap > core::pp::kV1MaxLine ? core::pp::write_v1(out, src, dst) : 0;
  core::pp::V2Extras x;
  x.crc32c = s.pp2_options & config::Server::pp2_crc32c;
  SSL* tls = const_cast<SSL*>(c_.cli()->tls());
  if (tls) {
    const unsigned char* alpn = nullptr;
    unsigned alpn_len = 0;
    SSL_get0_alpn_selected(tls, &alpn, &alpn_len);
    x.alpn = std::string_view(reinterpret_cast<const char*>(alpn), alpn_len);
  }
  if (s.pp2_options & config::Server::pp2_authority) {
    if (c_.facts_.pp && !c_.facts_.pp->authority.empty()) x.authority = c_.facts_.pp->authority;
    else if (const char* sni = tls ? SSL_get_servername(tls, TLSEXT_NAMETYPE_host_name) : nullptr) x.authority = sni;
  }
  if ((s.pp2_options & config::Server::pp2_unique_id) && !w_.config().proxies[fe_].unique_id_format.empty())
    x.unique_id = unique_id_of(this);
  char cn[256], key[32];
  X509* peer_crt = nullptr;
  if ((s.pp2_options & config::Server::pp2_ssl) && tls) {
    x.ssl = true;
    x.ssl_client = 0x01;   // PP2_CLIENT_SSL
    x.ssl_version = SSL_get_version(tls);
    peer_crt = SSL_get1_peer_certificate(tls);
    if (peer_crt) {
      x.ssl_client |= 0x04;   // PP2_CLIENT_CERT_SESS
      if (!SSL_session_reused(tls)) x.ssl_client |= 0x02;   // PP2_CLIENT_CERT_CONN
      x.ssl_verify = uint32_t(SSL_get_verify_result(tls));
      if (s.pp2_options & config::Server::pp2_cert_cn) {
        const int n = X509_NAME_get_text_by_NID(X509_get_subject_name(peer_crt), NID_commonName, cn, sizeof cn);
        if (n > 0) x.ssl_cn = std::string_view(cn, size_t(n));
      }
    }
    X509* own = SSL_get_certificate(tls);
    if (s.pp2_options & config::Server::pp2_cert_key) x.ssl_key_alg = std::string_view(key, key_algo(own, key, sizeof key));
    if ((s.pp2_options & config::Server::pp2_cert_sig) && own)
      if (const char* sig = OBJ_nid2sn(X509_get_signature_nid(own))) x.ssl_sig_alg = sig;
    if (s.pp2_options & config::Server::pp2_ssl_cipher)
      if (const char* c = SSL_get_cipher_name(tls)) x.ssl_cipher = c;
  } else if (s.pp2_options & config::Server::pp2_ssl) {
    x.ssl = true;   // a plaintext client: the SSL TLV says so (no flag)
  }
  const size_t n = core::pp::write_v2(out, cap, src, dst, x);
  if (peer_crt) X509_free(peer_crt);
  return n;
}

}  // namespace portero::proxy
