// Placeholder until the TLS contexts land: no bind, server or check speaks TLS (the config
// refuses every TLS keyword meanwhile).
#include "portero/tls/contexts.h"

namespace portero::tls {
namespace {
class NoContexts final : public Contexts {
 public:
  SSL_CTX* bind(int, int) const override { return nullptr; }
  SSL_CTX* server(int, int) const override { return nullptr; }
  SSL_CTX* check(int, int) const override { return nullptr; }
  void prepare_server_ssl(SSL*, int, int, bool, std::string_view) const override {}
  void keep_server_session(SSL*, int, int) const override {}
};
}  // namespace

std::unique_ptr<Contexts> Contexts::build(const config::Config&, config::Diagnostics&) {
  return std::make_unique<NoContexts>();
}

}  // namespace portero::tls
