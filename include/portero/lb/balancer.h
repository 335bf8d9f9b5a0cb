#pragma once
// The balancer interface: one instance per backend, shared by every worker thread (make_balancer
// wraps the algorithm in a lock, src/lb/serialized.cpp). Each algorithm lives in its own file
// under src/lb/.
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "portero/config/config.h"
#include "portero/http/message.h"
#include "portero/lb/server_state.h"

namespace portero::lb {

// What a hash-based algorithm may look at. Empty views / null pointers mean "not available"
// (e.g. no request head in mode tcp): the algorithm then falls back as HAProxy does.
struct PickContext {
  const sockaddr* source = nullptr;   // client address
  std::string_view uri;                 // request target as received
  const http::Head* request = nullptr;  // request head (hdr(), url_param); spans point into `base`
  const char* base = nullptr;
  std::string_view body;                // request body bytes received so far (url_param check_post)
  std::string_view payload;             // mode tcp: client bytes received so far (rdp-cookie)
  // `balance hash <expr>`: the sample's value as the session evaluated it; absent when the
  // sample is (then the algorithm falls back to round robin, as the other hashes).
  std::string_view sample_key;
  bool has_sample_key = false;
};

// pick() results that are not a server index.
inline constexpr int kNoServer = -1;   // no usable server at all: 503
inline constexpr int kAllFull = -2;    // usable servers exist but all are at maxconn: queue in the backend

class Balancer {
 public:
  virtual ~Balancer() = default;

  // Returns the index (in the backend's server list) of the server for a new request, or
  // kNoServer / kAllFull. A deterministic algorithm (hash of a key) may return a server that
  // is at its maxconn: the caller then queues the request on that server, as HAProxy does.
  // `avoid` (-1 for none) is skipped when another choice exists: used to redispatch after a
  // failed connect.
  virtual int pick(const PickContext& ctx, int avoid) = 0;

  // A server's usability or weight changed (read it again from the states). Any thread.
  virtual void refresh() = 0;

  // Slot `idx` (an `add server`, or a deleted server's slot given to a new one) now holds
  // server `s`, in maintenance: the algorithm reads its static facts (backup, limits, id) again.
  // Its state changes come later through refresh(). Main thread.
  virtual void set_server(int /*idx*/, const config::Server& /*s*/) {}

  // A request started / finished on server `idx`; only heard when follows_load() is true
  // (leastconn orders its servers by load).
  virtual void on_take(int /*idx*/) {}
  virtual void on_release(int /*idx*/) {}
  virtual bool follows_load() const { return false; }
};

// Builds the balancer named by `backend.balance` over `states` (one per server slot, same order
// as backend.servers; slots past the configured servers are empty and in maintenance), safe to call from any thread. Returns null and sets `error` for an
// algorithm that is not implemented.
std::unique_ptr<Balancer> make_balancer(const config::Proxy& backend,
                                        std::span<ServerState* const> states, std::string& error);

}  // namespace portero::lb
