// The TLS commands (certificates, crt-lists, ticket keys). Their replies come from the TLS
// contexts (tls::Contexts::cli_ssl), which own what they change; here only the levels, which
// HAProxy 2.6 checks per command: `show ssl cert` wants operator (and answers a user with a
// misleading "Can't allocate memory!"), every other certificate and crt-list command wants
// admin, while `show tls-keys` and `set ssl tls-key` check nothing.
#include "handlers.h"
#include "portero/tls/contexts.h"

namespace portero::admin {
namespace {

std::string run_tls(Context& c, Session& s, const Args& a) {
  if (!c.tls) return "Unknown command.\n";
  return c.tls->cli_ssl(a, s.payload);
}

}  // namespace

std::string cmd_show_ssl_cert(Context& c, Session& s, const Args& a) {
  if (s.level < Level::operator_) return "Can't allocate memory!\n";
  return run_tls(c, s, a);
}

std::string cmd_ssl_admin(Context& c, Session& s, const Args& a) {
  if (s.level < Level::admin) return "Permission denied\n";
  return run_tls(c, s, a);
}

std::string cmd_tls_keys(Context& c, Session& s, const Args& a) { return run_tls(c, s, a); }

}  // namespace portero::admin
