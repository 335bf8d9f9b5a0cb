#pragma once
// TLS contexts built once from the configuration, then shared read-only by every worker
// thread: one per `bind ... ssl` (its certificates chosen by SNI in the context's callbacks),
// one per `server ... ssl`, one per server checked with `check-ssl`. Because every thread uses
// the same SSL_CTX, OpenSSL's session cache and ticket keys are shared: a client resumes
// whichever thread accepts it.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/ssl.h>

#include "portero/config/config.h"
#include "portero/config/diagnostics.h"

namespace portero::tls {

class Contexts {
 public:
  virtual ~Contexts() = default;
  // Builds every context the configuration asks for. Problems (a missing, unreadable or
  // mismatched certificate or key, a bad crt-list line, an unknown cipher or curve...) are
  // reported into `diag` in HAProxy's words with file:line; the result is null when any is
  // fatal. Called by `-c` as well as at start.
  static std::unique_ptr<Contexts> build(const config::Config& cfg, config::Diagnostics& diag);

  // null: that bind / server / server's checks are plaintext.
  virtual SSL_CTX* bind(int proxy_index, int bind_index) const = 0;
  virtual SSL_CTX* server(int proxy_index, int server_index) const = 0;
  virtual SSL_CTX* check(int proxy_index, int server_index) const = 0;

  // An outgoing connection (to a server, or a check) about to handshake: SNI (`sni` /
  // `check-sni`; empty: none), verifyhost, ALPN, and the session kept from an earlier
  // connection to that server (unless `no-ssl-reuse`).
  virtual void prepare_server_ssl(SSL* ssl, int proxy_index, int server_index, bool for_check,
                                  std::string_view sni) const = 0;
  // After a successful handshake to a server: keeps its session for the next connection
  // (thread-safe).
  virtual void keep_server_session(SSL* ssl, int proxy_index, int server_index) const = 0;

  // The admin socket's TLS commands, as HAProxy 2.6 answers them (main thread only; the level
  // was checked by the caller): `show|set|commit|abort|new|del ssl cert`, `show|add|del ssl
  // crt-list`, `show tls-keys`, `set ssl tls-key`. `args` are the command's words, `payload`
  // the text after `<<` (null: none). New handshakes on every worker see a committed change at
  // once; handshakes in progress keep the contexts they started with.
  virtual std::string cli_ssl(const std::vector<std::string>& args, const std::string* payload) = 0;
};

}  // namespace portero::tls
