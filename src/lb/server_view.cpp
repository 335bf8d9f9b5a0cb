#include "server_view.h"

#include <set>

#include "portero/lb/slowstart.h"

namespace portero::lb {

std::vector<int32_t> assign_puids(const config::Proxy& backend) {
  std::vector<int32_t> out(backend.servers.size());
  std::set<int32_t> used;
  for (const auto& s : backend.servers)
    if (s.id) used.insert(*s.id);
  int32_t next = 1;
  for (size_t i = 0; i < backend.servers.size(); ++i) {
    const auto& s = backend.servers[i];
    if (s.id) {
      out[i] = *s.id;
    } else if (s.puid > 0) {
      out[i] = s.puid;   // already resolved by the config loader
    } else {
      while (used.count(next)) ++next;
      out[i] = next;
      used.insert(next);
    }
    ++next;
  }
  return out;
}

std::vector<ServerInfo> describe_servers(const config::Proxy& backend,
                                         std::span<ServerState* const> states) {
  std::vector<ServerInfo> out(states.size());
  std::vector<int32_t> puids = assign_puids(backend);
  for (size_t i = 0; i < states.size(); ++i) {
    out[i].state = states[i];
    out[i].puid = static_cast<int32_t>(i + 1);
    if (i < backend.servers.size()) {
      out[i].backup = backend.servers[i].backup;
      out[i].maxconn = backend.servers[i].maxconn;
      out[i].minconn = backend.servers[i].minconn;
      out[i].maxqueue = backend.servers[i].maxqueue;
      out[i].puid = puids[i];
    }
  }
  return out;
}

uint32_t current_maxconn(const ServerInfo& s, uint32_t beconn, uint32_t fullconn) {
  return dynamic_maxconn(s.maxconn, s.minconn, fullconn, beconn);
}

uint32_t backend_load(const std::vector<ServerInfo>& servers) {
  uint32_t n = 0;
  for (const auto& s : servers) n += served(s);
  return n;
}

}  // namespace portero::lb
