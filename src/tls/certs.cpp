#include "certs.h"

#include <dirent.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace portero::tls {
namespace {

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

std::unique_ptr<BIO, SslFree> mem_bio(const std::string& s) {
  return std::unique_ptr<BIO, SslFree>(BIO_new_mem_buf(s.data(), int(s.size())));
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

void collect_names(X509* cert, std::vector<std::string>& names) {
  if (auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr))) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* n = sk_GENERAL_NAME_value(sans, i);
      if (n->type != GEN_DNS) continue;
      const auto* s = n->d.dNSName;
      names.push_back(lower(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                        size_t(ASN1_STRING_length(s)))));
    }
    GENERAL_NAMES_free(sans);
  }
  X509_NAME* subj = X509_get_subject_name(cert);
  for (int i = -1; (i = X509_NAME_get_index_by_NID(subj, NID_commonName, i)) >= 0;) {
    ASN1_STRING* d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i));
    unsigned char* utf8 = nullptr;
    const int len = ASN1_STRING_to_UTF8(&utf8, d);
    if (len >= 0) {
      std::string cn = lower(std::string(reinterpret_cast<char*>(utf8), size_t(len)));
      if (std::find(names.begin(), names.end(), cn) == names.end()) names.push_back(cn);
    }
    OPENSSL_free(utf8);
  }
}

}  // namespace

bool load_cert_file(const std::string& path, LoadedCert& out, std::string& err) {
  out.path = path;
  std::string pem;
  if (!read_file(path, pem)) {
    err = "unable to load SSL private key from file '" + path + "'.";
    return false;
  }
  {
    auto bio = mem_bio(pem);
    out.cert.reset(PEM_read_bio_X509_AUX(bio.get(), nullptr, nullptr, nullptr));
    if (!out.cert) {
      ERR_clear_error();
      err = "unable to load certificate from file '" + path + "'.";
      return false;
    }
    while (X509* extra = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
      if (!out.chain) out.chain.reset(sk_X509_new_null());
      sk_X509_push(out.chain.get(), extra);
    }
    ERR_clear_error();
  }
  {
    auto bio = mem_bio(pem);
    out.key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    ERR_clear_error();
  }
  if (!out.key) {
    const std::string key_path = path + ".key";
    std::string key_pem;
    if (read_file(key_path, key_pem)) {
      auto bio = mem_bio(key_pem);
      out.key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
      ERR_clear_error();
    }
    if (!out.key) {
      err = "No Private Key found in '" + key_path + "'.";
      return false;
    }
  }
  if (X509_check_private_key(out.cert.get(), out.key.get()) != 1) {
    ERR_clear_error();
    err = "inconsistencies between private key and certificate loaded '" + path + "'.";
    return false;
  }
  {
    auto bio = mem_bio(pem);
    EVP_PKEY* params = PEM_read_bio_Parameters(bio.get(), nullptr);
    ERR_clear_error();
    if (params && EVP_PKEY_is_a(params, "DH")) out.dh.reset(params);
    else EVP_PKEY_free(params);
  }
  std::string ocsp;
  if (read_file(path + ".ocsp", ocsp)) {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(ocsp.data());
    OCSP_RESPONSE* r = d2i_OCSP_RESPONSE(nullptr, &p, long(ocsp.size()));
    if (!r) {
      ERR_clear_error();
      err = "Error reading OCSP response from file '" + path + ".ocsp'.";
      return false;
    }
    OCSP_RESPONSE_free(r);
    out.ocsp = std::move(ocsp);
  }
  out.ecdsa = EVP_PKEY_is_a(out.key.get(), "EC");
  collect_names(out.cert.get(), out.names);
  return true;
}

LoadedCert dup_cert(const LoadedCert& in) {
  LoadedCert out;
  out.path = in.path;
  if (in.cert) {
    X509_up_ref(in.cert.get());
    out.cert.reset(in.cert.get());
  }
  if (in.key) {
    EVP_PKEY_up_ref(in.key.get());
    out.key.reset(in.key.get());
  }
  if (in.chain) out.chain.reset(X509_chain_up_ref(in.chain.get()));
  if (in.dh) {
    EVP_PKEY_up_ref(in.dh.get());
    out.dh.reset(in.dh.get());
  }
  out.ocsp = in.ocsp;
  out.names = in.names;
  out.ecdsa = in.ecdsa;
  return out;
}

void refresh_cert_info(LoadedCert& c) {
  c.names.clear();
  if (c.cert) collect_names(c.cert.get(), c.names);
  c.ecdsa = c.key && EVP_PKEY_is_a(c.key.get(), "EC");
}

bool load_pem_payload(const std::string& name, const std::string& pem, LoadedCert& io, std::string& err) {
  PkeyPtr key, dh;
  X509Ptr cert;
  ChainPtr chain;
  {
    auto bio = mem_bio(pem);
    key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    ERR_clear_error();
  }
  {
    auto bio = mem_bio(pem);
    EVP_PKEY* params = PEM_read_bio_Parameters(bio.get(), nullptr);
    ERR_clear_error();
    if (params && EVP_PKEY_is_a(params, "DH")) dh.reset(params);
    else EVP_PKEY_free(params);
  }
  auto bio = mem_bio(pem);
  cert.reset(PEM_read_bio_X509_AUX(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    ERR_clear_error();
    err = "unable to load certificate from file '" + name + "'.\n";
    return false;
  }
  while (X509* extra = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    if (!chain) chain.reset(sk_X509_new_null());
    sk_X509_push(chain.get(), extra);
  }
  ERR_clear_error();
  io.cert = std::move(cert);
  io.key = std::move(key);
  io.chain = std::move(chain);
  io.dh = std::move(dh);
  io.ocsp.clear();
  refresh_cert_info(io);
  return true;
}

bool load_key_payload(const std::string& name, const std::string& pem, LoadedCert& io, std::string& err) {
  auto bio = mem_bio(pem);
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (!key) {
    err = "unable to load private key from file '" + name + "'.\n";
    return false;
  }
  io.key = std::move(key);
  refresh_cert_info(io);
  return true;
}

namespace {

std::string hex_upper(const unsigned char* p, size_t n) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 15];
  }
  return out;
}

std::string asn1_time(const ASN1_TIME* t) {
  std::unique_ptr<BIO, SslFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || ASN1_TIME_print(bio.get(), t) == 0) return {};
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return n > 0 ? std::string(data, size_t(n)) : std::string();
}

// "/C=FR/O=Test/CN=name": short names, values as stored.
std::string dn_oneline(X509_NAME* name) {
  std::string out;
  if (!name) return out;
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    X509_NAME_ENTRY* ne = X509_NAME_get_entry(name, i);
    ASN1_OBJECT* obj = X509_NAME_ENTRY_get_object(ne);
    ASN1_STRING* data = X509_NAME_ENTRY_get_data(ne);
    const int nid = OBJ_obj2nid(obj);
    const char* sn = nid == NID_undef ? nullptr : OBJ_nid2sn(nid);
    char tmp[128];
    if (!sn) {
      i2t_ASN1_OBJECT(tmp, sizeof(tmp), obj);
      sn = tmp;
    }
    out += '/';
    out += sn;
    out += '=';
    out.append(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)), size_t(ASN1_STRING_length(data)));
  }
  return out;
}

}  // namespace

std::string cert_detail(const LoadedCert& c) {
  std::string out;
  X509* cert = c.cert.get();
  if (!cert) return out;
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
  out += "Serial: " + (serial ? hex_upper(serial->data, size_t(serial->length)) : std::string()) + "\n";
  out += "notBefore: " + asn1_time(X509_get0_notBefore(cert)) + "\n";
  out += "notAfter: " + asn1_time(X509_get0_notAfter(cert)) + "\n";
  out += "Subject Alternative Name: ";
  if (auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr))) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* n = sk_GENERAL_NAME_value(sans, i);
      if (i > 0) out += ", ";
      if (n->type != GEN_DNS) continue;
      unsigned char* utf8 = nullptr;
      const int len = ASN1_STRING_to_UTF8(&utf8, n->d.dNSName);
      if (len >= 0) out += "DNS:" + std::string(reinterpret_cast<char*>(utf8), size_t(len));
      OPENSSL_free(utf8);
    }
    GENERAL_NAMES_free(sans);
  }
  out += "\n";
  std::string algo;
  if (EVP_PKEY* pk = X509_get0_pubkey(cert)) {
    const int bits = EVP_PKEY_bits(pk);
    if (EVP_PKEY_is_a(pk, "RSA")) algo = "RSA" + std::to_string(bits);
    else if (EVP_PKEY_is_a(pk, "EC")) algo = "EC" + std::to_string(bits);
    else if (EVP_PKEY_is_a(pk, "DSA")) algo = "DSA" + std::to_string(bits);
  }
  if (algo.empty()) return out + "Algorithm: ";   // haproxy stops there
  out += "Algorithm: " + algo + "\n";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  X509_digest(cert, EVP_sha1(), md, &mdlen);
  out += "SHA1 FingerPrint: " + hex_upper(md, mdlen) + "\n";
  out += "Subject: " + dn_oneline(X509_get_subject_name(cert)) + "\n";
  out += "Issuer: " + dn_oneline(X509_get_issuer_name(cert)) + "\n";
  for (int i = 0; c.chain && i < sk_X509_num(c.chain.get()); ++i) {
    X509* ca = sk_X509_value(c.chain.get(), i);
    out += "Chain Subject: " + dn_oneline(X509_get_subject_name(ca)) + "\n";
    out += "Chain Issuer: " + dn_oneline(X509_get_issuer_name(ca)) + "\n";
  }
  return out;
}

std::vector<std::string> expand_cert_path(const std::string& path) {
  struct stat st{};
  if (stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return {path};
  std::vector<std::string> names;
  if (DIR* d = opendir(path.c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string n = e->d_name;
      if (n.empty() || n[0] == '.') continue;
      if (n.ends_with(".key") || n.ends_with(".ocsp") || n.ends_with(".issuer") || n.ends_with(".sctl")) continue;
      const std::string full = path + (path.ends_with("/") ? "" : "/") + n;
      struct stat fs{};
      if (stat(full.c_str(), &fs) == 0 && S_ISREG(fs.st_mode)) names.push_back(full);
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

PkeyPtr load_dh_params(const std::string& path) {
  std::string pem;
  if (!read_file(path, pem)) return nullptr;
  auto bio = mem_bio(pem);
  EVP_PKEY* params = PEM_read_bio_Parameters(bio.get(), nullptr);
  ERR_clear_error();
  if (params && !EVP_PKEY_is_a(params, "DH")) {
    EVP_PKEY_free(params);
    return nullptr;
  }
  return PkeyPtr(params);
}

bool load_ticket_keys(const std::string& path, std::vector<TicketKey>& out, std::string& err) {
  std::ifstream in(path);
  if (!in) {
    err = "'" + path + "' : unable to load ssl tickets keys file";
    return false;
  }
  std::string line;
  int n = 0;
  size_t len = 0;
  while (std::getline(in, line)) {
    ++n;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty()) continue;
    unsigned char buf[128];
    if (line.size() > 160) {
      err = "'" + path + "' : unable to decode base64 key on line " + std::to_string(n);
      return false;
    }
    const int dec = EVP_DecodeBlock(buf, reinterpret_cast<const unsigned char*>(line.data()), int(line.size()));
    int real = dec;
    if (dec > 0) {  // EVP_DecodeBlock counts '=' padding as zero bytes
      if (line.ends_with("==")) real -= 2;
      else if (line.ends_with("=")) real -= 1;
    }
    if (real != 48 && real != 80) {
      err = "'" + path + "' : wrong sized key on line " + std::to_string(n);
      return false;
    }
    if (len && size_t(real) != len) {
      err = "'" + path + "' : wrong sized key on line " + std::to_string(n);
      return false;
    }
    len = size_t(real);
    TicketKey k;
    k.len = real == 48 ? 16 : 32;
    std::memcpy(k.name, buf, 16);
    std::memcpy(k.aes, buf + 16, k.len);
    std::memcpy(k.hmac, buf + 16 + k.len, k.len);
    out.push_back(k);
  }
  if (out.size() < 3) {
    err = "'" + path + "' : please supply at least 3 keys in the tls-tickets-file";
    return false;
  }
  // As HAProxy: the last three keys decrypt, the last but one encrypts.
  out.erase(out.begin(), out.end() - 3);
  return true;
}

}  // namespace portero::tls
