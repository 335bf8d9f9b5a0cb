#pragma once
// State shared by every thread for one loaded configuration: the Config itself (immutable),
// the runtime state of each server (atomics), and connection counts for maxconn.
// Built on the main thread before the workers start; lives as long as they do.
#include <atomic>
#include <memory>
#include <vector>

#include "portero/config/config.h"
#include "portero/lb/server_state.h"

namespace portero::proxy {

struct BackendRuntime {
  std::vector<std::unique_ptr<lb::ServerState>> servers;
  std::vector<lb::ServerState*> states;   // same order as the config's server list
};

struct FrontendRuntime {
  std::atomic<uint32_t> cur_conns{0};
  uint32_t maxconn = 0;
};

struct Runtime {
  explicit Runtime(config::ConfigPtr cfg);

  config::ConfigPtr config;
  std::vector<BackendRuntime> backends;           // indexed like config->proxies
  std::unique_ptr<FrontendRuntime[]> frontends;   // indexed like config->proxies
  std::atomic<uint32_t> cur_conns{0};
  uint32_t maxconn = 0;
  // Set when some worker paused its listeners for the global maxconn.
  std::atomic<bool> saturated{false};
};

}  // namespace portero::proxy
