#pragma once
// The balancer interface: one instance per backend per worker thread (worker-local, never
// shared), so picks take no lock. Each algorithm lives in its own file under src/lb/.
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "portero/config/config.h"
#include "portero/lb/server_state.h"

namespace portero::lb {

// What a hash-based algorithm may look at. Empty views mean "not available".
struct PickContext {
  const sockaddr* source = nullptr;   // client address
  std::string_view uri;                 // request target as received
  // later: headers, url params, rdp cookie
};

class Balancer {
 public:
  virtual ~Balancer() = default;

  // Returns the index (in the backend's server list) of the server for a new request, or -1
  // when no server can take it. `avoid` (-1 for none) is skipped when another choice exists:
  // used to redispatch after a failed connect.
  virtual int pick(const PickContext& ctx, int avoid) = 0;

  // A server's usability or weight changed (read it again from the states). Called on the
  // owning worker thread.
  virtual void refresh() = 0;

  // A request started / finished on server `idx` (leastconn and first need it).
  virtual void on_take(int /*idx*/) {}
  virtual void on_release(int /*idx*/) {}
};

// Builds the balancer named by `backend.balance` over `states` (one per server, same order as
// backend.servers). Returns null and sets `error` for an algorithm that is not implemented.
std::unique_ptr<Balancer> make_balancer(const config::Proxy& backend,
                                        std::span<ServerState* const> states, std::string& error);

}  // namespace portero::lb
