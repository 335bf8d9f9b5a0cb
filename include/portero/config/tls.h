#pragma once
// TLS settings of bind lines, crt-list lines, server lines and the global section, as written
// (paths already joined to crt-base / ca-base). Plain data: the contexts (src/tls) turn them
// into SSL_CTXs once, at start and for `-c`.
#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace portero::config {

// Protocol versions in increasing order; `none` = not set.
enum class TlsVersion : uint8_t { none = 0, sslv3, tlsv10, tlsv11, tlsv12, tlsv13 };
inline constexpr int kTlsVersionCount = 5;   // sslv3 .. tlsv13

// "SSLv3", "TLSv1.0" ... "TLSv1.3" (ssl-min-ver / ssl-max-ver): the version, or none.
TlsVersion parse_tls_version(const std::string& s);

enum class TlsVerify : uint8_t { unset, none, optional, required };

// ssl-min-ver / ssl-max-ver / no-* / force-* as written on one line (HAProxy keeps them apart:
// when min or max is written, no-* flags are ignored with a warning).
struct TlsVersions {
  TlsVersion min = TlsVersion::none, max = TlsVersion::none;
  uint8_t no_mask = 0;          // bit (v - 1) for each `no-<version>`
  bool empty() const { return min == TlsVersion::none && max == TlsVersion::none && !no_mask; }
  // Fields of `over` that are set replace ours.
  void overlay(const TlsVersions& over) {
    if (over.min != TlsVersion::none) min = over.min;
    if (over.max != TlsVersion::none) max = over.max;
    no_mask |= over.no_mask;
  }
};

// The options a crt-list line may carry in [brackets]; on a bind line they are the bind's own.
// Unset fields fall back to the bind line, then to the global defaults.
struct TlsSslConf {
  std::optional<std::string> alpn;            // comma list as written ("h2,http/1.1")
  std::optional<std::string> ciphers, ciphersuites, curves, ecdhe;
  std::optional<std::string> ca_file, crl_file;
  std::optional<std::string> ca_verify_file;   // CAs to verify with, never sent as acceptable names
  TlsVerify verify = TlsVerify::unset;
  TlsVersions versions;
  std::optional<bool> no_ca_names, allow_0rtt;
};

// One line of a crt-list file: `<crt> [options] [sni filter...]`.
struct CrtListLine {
  std::string file;             // the crt-list file and line number, for messages
  int line = 0;
  std::string crt;              // path (crt-base applied)
  TlsSslConf conf;
  bool has_conf = false;        // the line had [options]
  std::vector<std::string> filters;  // "*.example.com", "!bad.example.com", "name"
};

// The TLS part of a `bind` line.
struct TlsBindOptions {
  bool ssl = false;
  // Certificates in the order written (files or directories); crt-list lines are kept in place
  // (an entry with `crt_list` set stands for the lines of that file).
  struct Crt {
    std::string path;
    bool crt_list = false;
    std::vector<CrtListLine> lines;   // crt_list: its lines
  };
  std::vector<Crt> crts;
  TlsSslConf conf;
  std::optional<std::string> npn;              // accepted, ignored (nothing negotiates NPN)
  bool ca_ignore_all = false, crt_ignore_all = false;
  std::bitset<128> ca_ignore, crt_ignore;      // X509_V_ERR_* ids
  bool strict_sni = false;
  bool no_tls_tickets = false;
  bool prefer_client_ciphers = false;
  std::string tls_ticket_keys;                 // file, empty: OpenSSL's own keys
  bool generate_certificates = false;
  std::string ca_sign_file;
};

// The TLS part of a `server` / `default-server` line.
struct TlsServerOptions {
  bool ssl = false;
  TlsVerify verify = TlsVerify::unset;         // unset: global ssl-server-verify
  std::string ca_file, crl_file;
  std::string crt;                             // client certificate
  std::string sni;                             // sample expression text, empty: none
  std::string check_sni;                       // a plain string
  std::string alpn, check_alpn;                // comma lists
  std::optional<std::string> npn;
  TlsVersions versions;
  std::optional<std::string> ciphers, ciphersuites, curves;
  bool no_ssl_reuse = false;
  bool check_ssl = false;
  bool no_check_ssl = false;                   // `no-check-ssl` written: checks stay plaintext
  std::string verifyhost;
  bool no_verifyhost = false;
  bool no_tls_tickets = false;
  bool allow_0rtt = false;
};

// Global TLS settings.
struct TlsGlobal {
  std::string ca_base, crt_base;
  std::optional<std::string> bind_ciphers, bind_ciphersuites, bind_curves;
  std::optional<std::string> server_ciphers, server_ciphersuites;
  TlsVersions bind_versions, server_versions;  // ssl-default-*-options
  bool bind_no_tls_tickets = false, bind_prefer_client_ciphers = false, bind_strict_sni = false;
  bool server_no_tls_tickets = false;
  bool server_verify_none = false;             // ssl-server-verify none
  std::string dh_param_file;
  uint32_t default_dh_param = 2048;            // tune.ssl.default-dh-param
  bool default_dh_param_set = false;
  uint32_t cachesize = 20000;                  // tune.ssl.cachesize (sessions)
  uint32_t lifetime_s = 300;                   // tune.ssl.lifetime
  uint32_t maxrecord = 0;                      // tune.ssl.maxrecord, 0: OpenSSL's
  uint32_t ctx_cache_size = 1000;              // tune.ssl.ssl-ctx-cache-size
  uint32_t capture_buffer_size = 0;            // tune.ssl.capture-buffer-size
};

}  // namespace portero::config
