#include "server_view.h"

namespace portero::lb {

std::vector<ServerInfo> describe_servers(const config::Proxy& backend,
                                         std::span<ServerState* const> states) {
  std::vector<ServerInfo> out(states.size());
  for (size_t i = 0; i < states.size(); ++i) {
    out[i].state = states[i];
    if (i < backend.servers.size()) {
      out[i].backup = backend.servers[i].backup;
      out[i].maxconn = backend.servers[i].maxconn;
    }
  }
  return out;
}

}  // namespace portero::lb
