// The TLS fetches: what the client-side (ssl_fc_*, ssl_c_*, ssl_f_*) and server-side
// (ssl_bc_*, ssl_s_*) TLS connections of an exchange negotiated and the certificates they
// carried. They read the OpenSSL SSL objects the data plane puts in the SampleContext; a null
// pointer is a plaintext side. Values and formats are HAProxy 2.6's (checked against haproxy
// 2.6.12, see docs/TLS_FETCHES.md): DNs as "/C=FR/O=x/CN=y" (or RFC 2253), serials, digests,
// DER and randoms as binary, dates as the certificate's ASN.1 text without the century.
//
// Computed values (DNs, digests, DER...) are written into a small ring of thread-local
// buffers: a sample stays valid while the next few fetches of the same evaluation run.
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstring>

#include "portero/tls/verify_record.h"
#include "sample.h"

namespace portero::acl {
namespace {

constexpr size_t kBufSize = 16384;   // HAProxy's trash (tune.bufsize) holds a value as large
thread_local char tl_bufs[4][kBufSize];
thread_local unsigned tl_next = 0;
char* out_buffer() { return tl_bufs[tl_next++ & 3]; }

SSL* client(const SampleContext& c) { return const_cast<SSL*>(c.client_tls); }
SSL* server(const SampleContext& c) { return const_cast<SSL*>(c.server_tls); }

bool boolean(Sample& o, bool v) {
  o.type = SmpType::boolean;
  o.i = v;
  return true;
}
bool integer(Sample& o, int64_t v) {
  o.type = SmpType::sint;
  o.i = v;
  return true;
}
bool text(Sample& o, const char* s) {
  if (!s) return false;
  o.type = SmpType::str;
  o.s = s;
  return true;
}
bool bytes(Sample& o, const void* p, size_t n, SmpType t = SmpType::bin) {
  if (!p || !n) return false;
  o.type = t;
  o.s = std::string_view(static_cast<const char*>(p), n);
  return true;
}

// ---- connection: ssl_fc_* / ssl_bc_* ----------------------------------------------------------

// Which side a fetch reads: the table entry's name says it ("ssl_bc..." is the server side).
SSL* side(const FetchCall& f, const SampleContext& c) {
  return std::strncmp(f.def->name, "ssl_bc", 6) == 0 ? server(c) : client(c);
}

// ssl_fc / ssl_bc. The older `ssl` flag still counts for ssl_fc (a data plane that has no SSL
// object to give).
bool f_ssl(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  const bool fc = f.def->name[4] == 'f';
  return boolean(o, side(f, c) != nullptr || (fc && c.ssl));
}
bool f_has_sni(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  SSL* s = side(f, c);
  return boolean(o, s && SSL_get_servername(s, TLSEXT_NAMETYPE_host_name));
}
bool f_sni(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  SSL* s = side(f, c);
  return s && text(o, SSL_get_servername(s, TLSEXT_NAMETYPE_host_name));
}
bool f_is_resumed(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  SSL* s = side(f, c);
  return boolean(o, s && SSL_session_reused(s));
}
bool f_protocol(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  SSL* s = side(f, c);
  return s && text(o, SSL_get_version(s));
}
bool f_cipher(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  SSL* s = side(f, c);
  return s && text(o, SSL_get_cipher_name(s));
}
bool keysize(const FetchCall& f, const SampleContext& c, Sample& o, bool alg) {
  SSL* s = side(f, c);
  const SSL_CIPHER* ci = s ? SSL_get_current_cipher(s) : nullptr;
  if (!ci) return false;
  int alg_bits = 0;
  const int use_bits = SSL_CIPHER_get_bits(ci, &alg_bits);
  return integer(o, alg ? alg_bits : use_bits);
}
bool f_use_keysize(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  return keysize(f, c, o, false);
}
bool f_alg_keysize(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  return keysize(f, c, o, true);
}
bool f_alpn(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  SSL* s = side(f, c);
  if (!s) return false;
  const unsigned char* p = nullptr;
  unsigned len = 0;
  SSL_get0_alpn_selected(s, &p, &len);
  return bytes(o, p, len, SmpType::str);
}
bool f_npn(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  SSL* s = side(f, c);
  if (!s) return false;
#ifndef OPENSSL_NO_NEXTPROTONEG
  const unsigned char* p = nullptr;
  unsigned len = 0;
  SSL_get0_next_proto_negotiated(s, &p, &len);
  return bytes(o, p, len, SmpType::str);
#else
  return false;
#endif
}
bool f_session_id(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  SSL* s = side(f, c);
  const SSL_SESSION* sess = s ? SSL_get_session(s) : nullptr;
  if (!sess) return false;
  unsigned len = 0;
  const unsigned char* id = SSL_SESSION_get_id(sess, &len);
  return bytes(o, id, len);
}
bool f_session_key(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  SSL* s = side(f, c);
  const SSL_SESSION* sess = s ? SSL_get_session(s) : nullptr;
  if (!sess) return false;
  char* b = out_buffer();
  return bytes(o, b, SSL_SESSION_get_master_key(sess, reinterpret_cast<unsigned char*>(b), kBufSize));
}
bool f_client_random(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  SSL* s = side(f, c);
  if (!s) return false;
  char* b = out_buffer();
  return bytes(o, b, SSL_get_client_random(s, reinterpret_cast<unsigned char*>(b), kBufSize));
}
bool f_server_random(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  SSL* s = side(f, c);
  if (!s) return false;
  char* b = out_buffer();
  return bytes(o, b, SSL_get_server_random(s, reinterpret_cast<unsigned char*>(b), kBufSize));
}

// Connection and handshake errors. A stream exists only over a connection whose handshake
// succeeded, so every fetch evaluated on one sees no error: fc_err is 0 ("Success"), ssl_fc_err
// 0 on TLS (absent in plaintext), and ssl_fc_err_str absent, as HAProxy shows them then.
// (A failed handshake has its own log line: log::handshake_failure_line.)
bool f_fc_err(const FetchCall&, const SampleContext&, bool, FetchState&, Sample& o) { return integer(o, 0); }
bool f_fc_err_str(const FetchCall&, const SampleContext&, bool, FetchState&, Sample& o) {
  return text(o, "Success");
}
bool f_ssl_err(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  return side(f, c) && integer(o, 0);
}
bool f_ssl_err_str(const FetchCall&, const SampleContext&, bool, FetchState&, Sample&) { return false; }

// ---- client verification: ssl_c_used, ssl_c_verify, ssl_c_err... -------------------------------

bool f_has_crt(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) {
  SSL* s = client(c);
  return s && boolean(o, SSL_get0_peer_certificate(s) != nullptr);
}
bool f_c_verify(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) {
  SSL* s = client(c);
  return s && integer(o, SSL_get_verify_result(s));
}
bool f_c_err(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) {
  SSL* s = client(c);
  if (!s) return false;
  const tls::VerifyRecord* r = tls::verify_record(s);
  return integer(o, r ? r->crt_err : 0);
}
bool f_c_ca_err(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) {
  SSL* s = client(c);
  if (!s) return false;
  const tls::VerifyRecord* r = tls::verify_record(s);
  return integer(o, r ? r->ca_err : 0);
}
bool f_c_ca_err_depth(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) {
  SSL* s = client(c);
  if (!s) return false;
  const tls::VerifyRecord* r = tls::verify_record(s);
  return integer(o, r ? r->ca_err_depth : 0);
}

// ---- certificates: ssl_c_* (client's), ssl_f_* (frontend's own), ssl_s_* (server's) ----------

// The certificate a fetch reads, by its prefix.
X509* cert_of(const FetchCall& f, const SampleContext& c) {
  const char* n = f.def->name;
  if (std::strncmp(n, "ssl_f_", 6) == 0) {
    SSL* s = client(c);
    return s ? SSL_get_certificate(s) : nullptr;
  }
  SSL* s = std::strncmp(n, "ssl_s_", 6) == 0 ? server(c) : client(c);
  return s ? SSL_get0_peer_certificate(s) : nullptr;
}

bool f_c_used(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) {
  SSL* s = client(c);
  return s && boolean(o, SSL_get0_peer_certificate(s) != nullptr);
}

// An X509_NAME entry's short name ("CN"), or its dotted OID when OpenSSL has no name for it.
const char* entry_name(X509_NAME_ENTRY* e, char* tmp, size_t cap) {
  ASN1_OBJECT* obj = X509_NAME_ENTRY_get_object(e);
  const int nid = OBJ_obj2nid(obj);
  const char* sn = nid == NID_undef ? nullptr : OBJ_nid2sn(nid);
  if (sn) return sn;
  OBJ_obj2txt(tmp, int(cap), obj, 1);
  return tmp;
}

// "/C=FR/O=Example/CN=www": every entry in certificate order, values as their raw bytes.
bool dn_oneline(X509_NAME* name, Sample& o) {
  char* b = out_buffer();
  size_t len = 0;
  const int n = X509_NAME_entry_count(name);
  for (int i = 0; i < n; ++i) {
    X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
    char tmp[128];
    const char* sn = entry_name(e, tmp, sizeof tmp);
    const ASN1_STRING* v = X509_NAME_ENTRY_get_data(e);
    const size_t sl = std::strlen(sn), vl = size_t(ASN1_STRING_length(v));
    if (len + 2 + sl + vl > kBufSize) return false;
    b[len++] = '/';
    std::memcpy(b + len, sn, sl);
    len += sl;
    b[len++] = '=';
    std::memcpy(b + len, ASN1_STRING_get0_data(v), vl);
    len += vl;
  }
  return bytes(o, b, len, SmpType::str);
}

// The value of the `pos`-th entry named `want` (case-insensitive): pos > 0 counts from the
// first entry, pos < 0 from the last; 0 never matches.
bool dn_entry(X509_NAME* name, std::string_view want, int64_t pos, Sample& o) {
  const int n = X509_NAME_entry_count(name);
  int64_t seen = 0;
  for (int k = 0; k < n; ++k) {
    const int i = pos < 0 ? n - 1 - k : k;
    X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
    char tmp[128];
    if (!iequal(entry_name(e, tmp, sizeof tmp), want)) continue;
    seen += pos < 0 ? -1 : 1;
    if (seen != pos) continue;
    const ASN1_STRING* v = X509_NAME_ENTRY_get_data(e);
    const size_t vl = size_t(ASN1_STRING_length(v));
    if (vl > kBufSize) return false;
    char* b = out_buffer();
    std::memcpy(b, ASN1_STRING_get0_data(v), vl);
    return bytes(o, b, vl, SmpType::str);
  }
  return false;
}

// RFC 2253 form, as OpenSSL prints it ("CN=www,O=Example\, Inc.,C=FR": last entry first).
bool dn_rfc2253(X509_NAME* name, Sample& o) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (!bio) return false;
  bool ok = false;
  if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
    char* b = out_buffer();
    const int n = BIO_read(bio, b, int(kBufSize));
    ok = n > 0 && bytes(o, b, size_t(n), SmpType::str);
  }
  BIO_free(bio);
  return ok;
}

// ssl_*_s_dn / ssl_*_i_dn([entry[,occ[,format]]]).
bool dn(const FetchCall& f, X509_NAME* name, Sample& o) {
  if (!name) return false;
  const auto& a = f.args;
  if (!a.empty() && !a[0].s.empty()) return dn_entry(name, a[0].s, a.size() > 1 ? a[1].i : 1, o);
  if (a.size() > 2 && !a[2].s.empty()) return dn_rfc2253(name, o);
  return dn_oneline(name, o);
}
bool f_s_dn(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  X509* x = cert_of(f, c);
  return x && dn(f, X509_get_subject_name(x), o);
}
bool f_i_dn(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  X509* x = cert_of(f, c);
  return x && dn(f, X509_get_issuer_name(x), o);
}

// The serial number's magnitude bytes (0x80 is "80", not DER's "0080").
bool f_serial(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  X509* x = cert_of(f, c);
  const ASN1_INTEGER* serial = x ? X509_get0_serialNumber(x) : nullptr;
  if (!serial) return false;
  const size_t n = size_t(ASN1_STRING_length(serial));
  if (n > kBufSize) return false;
  char* b = out_buffer();
  std::memcpy(b, ASN1_STRING_get0_data(serial), n);
  return bytes(o, b, n);
}
bool f_sha1(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  X509* x = cert_of(f, c);
  if (!x) return false;
  char* b = out_buffer();
  unsigned n = 0;
  if (!X509_digest(x, EVP_sha1(), reinterpret_cast<unsigned char*>(b), &n)) return false;
  return bytes(o, b, n);
}
bool f_der(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  X509* x = cert_of(f, c);
  if (!x) return false;
  const int n = i2d_X509(x, nullptr);
  if (n <= 0 || size_t(n) > kBufSize) return false;
  char* b = out_buffer();
  unsigned char* p = reinterpret_cast<unsigned char*>(b);
  i2d_X509(x, &p);
  return bytes(o, b, size_t(n));
}

// A validity date as the certificate writes it, in UTCTime's form "YYMMDDhhmmssZ": a
// GeneralizedTime loses its century ("20540424012634Z" gives "540424012634Z"). As HAProxy,
// a GeneralizedTime outside 20xx and a UTCTime of 1950-1999 give nothing.
bool asn1_date(const ASN1_TIME* t, Sample& o) {
  if (!t) return false;
  const unsigned char* d = ASN1_STRING_get0_data(t);
  const int n = ASN1_STRING_length(t);
  if (ASN1_STRING_type(t) == V_ASN1_GENERALIZEDTIME) {
    if (n < 12 || d[0] != '2' || d[1] != '0') return false;
    return bytes(o, d + 2, size_t(n - 2), SmpType::str);
  }
  if (ASN1_STRING_type(t) == V_ASN1_UTCTIME) {
    if (n < 10 || d[0] >= '5') return false;
    return bytes(o, d, size_t(n), SmpType::str);
  }
  return false;
}
bool f_notafter(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  X509* x = cert_of(f, c);
  return x && asn1_date(X509_get0_notAfter(x), o);
}
bool f_notbefore(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  X509* x = cert_of(f, c);
  return x && asn1_date(X509_get0_notBefore(x), o);
}
bool f_version(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  X509* x = cert_of(f, c);
  return x && integer(o, X509_get_version(x) + 1);
}
// Signature and key algorithms by OpenSSL's short names ("RSA-SHA256", "id-ecPublicKey").
bool f_sig_alg(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  X509* x = cert_of(f, c);
  if (!x) return false;
  const X509_ALGOR* alg = X509_get0_tbs_sigalg(x);
  const ASN1_OBJECT* obj = nullptr;
  X509_ALGOR_get0(&obj, nullptr, nullptr, alg);
  const int nid = obj ? OBJ_obj2nid(obj) : NID_undef;
  return nid != NID_undef && text(o, OBJ_nid2sn(nid));
}
bool f_key_alg(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  X509* x = cert_of(f, c);
  if (!x) return false;
  ASN1_OBJECT* obj = nullptr;
  if (!X509_PUBKEY_get0_param(&obj, nullptr, nullptr, nullptr, X509_get_X509_PUBKEY(x))) return false;
  const int nid = obj ? OBJ_obj2nid(obj) : NID_undef;
  return nid != NID_undef && text(o, OBJ_nid2sn(nid));
}

// The DN fetches' third argument: a format, of which only rfc2253 exists.
const char* check_dn_format(const std::vector<Arg>& a) {
  if (a.size() > 2 && !a[2].s.empty() && a[2].s != "rfc2253")
    return "only rfc2253 or a blank value are currently supported as the format argument.";
  return nullptr;
}

using A = ArgType;
using T = SmpType;
#define DN_ARGS {A::str, A::sint, A::str}, 0, false, check_dn_format
// One certificate family: ssl_c_*, ssl_f_*, ssl_s_*.
#define CERT_FETCHES(p)                                                   \
  {p "s_dn", f_s_dn, T::str, DN_ARGS}, {p "i_dn", f_i_dn, T::str, DN_ARGS}, \
      {p "serial", f_serial, T::bin, {}, 0, false},                       \
      {p "sha1", f_sha1, T::bin, {}, 0, false},                           \
      {p "der", f_der, T::bin, {}, 0, false},                             \
      {p "notafter", f_notafter, T::str, {}, 0, false},                   \
      {p "notbefore", f_notbefore, T::str, {}, 0, false},                 \
      {p "version", f_version, T::sint, {}, 0, false},                    \
      {p "sig_alg", f_sig_alg, T::str, {}, 0, false},                     \
      {p "key_alg", f_key_alg, T::str, {}, 0, false}
// One connection side: ssl_fc_*, ssl_bc_*.
#define CONN_FETCHES(p)                                                      \
  {p "_protocol", f_protocol, T::str, {}, 0, false},                         \
      {p "_cipher", f_cipher, T::str, {}, 0, false},                         \
      {p "_alpn", f_alpn, T::str, {}, 0, false},                             \
      {p "_npn", f_npn, T::str, {}, 0, false},                               \
      {p "_is_resumed", f_is_resumed, T::boolean, {}, 0, false},             \
      {p "_use_keysize", f_use_keysize, T::sint, {}, 0, false},              \
      {p "_alg_keysize", f_alg_keysize, T::sint, {}, 0, false},              \
      {p "_session_id", f_session_id, T::bin, {}, 0, false},                 \
      {p "_session_key", f_session_key, T::bin, {}, 0, false},               \
      {p "_client_random", f_client_random, T::bin, {}, 0, false},           \
      {p "_server_random", f_server_random, T::bin, {}, 0, false}

const FetchDef kSslFetches[] = {
    {"ssl_fc", f_ssl, T::boolean, {}, 0, false},
    {"ssl_bc", f_ssl, T::boolean, {}, 0, false},
    CONN_FETCHES("ssl_fc"),
    CONN_FETCHES("ssl_bc"),
    {"fc_err", f_fc_err, T::sint, {}, 0, false},
    {"fc_err_str", f_fc_err_str, T::str, {}, 0, false},
    {"ssl_fc_err", f_ssl_err, T::sint, {}, 0, false},
    {"ssl_fc_err_str", f_ssl_err_str, T::str, {}, 0, false},
    {"ssl_bc_err", f_ssl_err, T::sint, {}, 0, false},
    {"ssl_bc_err_str", f_ssl_err_str, T::str, {}, 0, false},
    {"ssl_fc_sni", f_sni, T::str, {}, 0, false},
    {"ssl_fc_has_sni", f_has_sni, T::boolean, {}, 0, false},
    {"ssl_fc_has_crt", f_has_crt, T::boolean, {}, 0, false},
    {"ssl_c_used", f_c_used, T::boolean, {}, 0, false},
    {"ssl_c_verify", f_c_verify, T::sint, {}, 0, false},
    {"ssl_c_err", f_c_err, T::sint, {}, 0, false},
    {"ssl_c_ca_err", f_c_ca_err, T::sint, {}, 0, false},
    {"ssl_c_ca_err_depth", f_c_ca_err_depth, T::sint, {}, 0, false},
    CERT_FETCHES("ssl_c_"),
    CERT_FETCHES("ssl_f_"),
    CERT_FETCHES("ssl_s_"),
};
#undef CONN_FETCHES
#undef CERT_FETCHES
#undef DN_ARGS

}  // namespace

const FetchDef* find_ssl_fetch(std::string_view name) {
  if (!name.starts_with("ssl_") && !name.starts_with("fc_err")) return nullptr;
  for (const auto& f : kSslFetches)
    if (name == f.name) return &f;
  return nullptr;
}

}  // namespace portero::acl
