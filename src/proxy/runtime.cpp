#include "portero/proxy/runtime.h"

namespace portero::proxy {

Runtime::Runtime(config::ConfigPtr cfg) : config(std::move(cfg)) {
  const auto& proxies = config->proxies;
  backends.resize(proxies.size());
  frontends = std::make_unique<FrontendRuntime[]>(proxies.size());
  maxconn = config->global.maxconn ? config->global.maxconn : 4096;
  for (size_t i = 0; i < proxies.size(); ++i) {
    const auto& p = proxies[i];
    frontends[i].maxconn = p.maxconn.value_or(maxconn);
    if (!p.is_backend()) continue;
    for (const auto& s : p.servers) {
      auto st = std::make_unique<lb::ServerState>();
      st->user_weight.store(s.weight);
      if (s.disabled) st->admin.store(lb::AdminState::maint);
      backends[i].states.push_back(st.get());
      backends[i].servers.push_back(std::move(st));
    }
  }
}

}  // namespace portero::proxy
