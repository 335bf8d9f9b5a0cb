#pragma once
// The peers of every `peers` section, on one libuv loop (the main thread's): the local peer's
// listener, a connection to each remote peer, HAProxy's protocol 2.1 over them (codec.h), and
// the stick tables naming the section kept in step with theirs.
//
// Tables are sharded and locked per shard (stick/table.h), so this thread reads and writes
// them like any worker does; it learns what the workers changed from the tables' update
// numbers, every kPushIntervalMs, without the request path telling it anything.
#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "portero/config/config.h"
#include "portero/stick/table.h"

namespace portero::peers {

inline constexpr uint32_t kPushIntervalMs = 100;

class Service {
 public:
  virtual ~Service() = default;
  // Null when the configuration has no peers section in use. Binds the listeners now (before
  // privileges are dropped); `err` says why when that fails (then null too).
  static std::unique_ptr<Service> create(uv_loop_t* loop, const config::Config& cfg, stick::Tables& tables,
                                         std::string& err);
  virtual void start() = 0;   // connects to the remote peers, accepts theirs
  virtual void stop() = 0;    // closes everything (the loop then runs the close callbacks)
  // Soft stop (a reload): the listeners close, and the tables are handed to the new process
  // through the local peer's address, as HAProxy does. `done` runs once that is over (at
  // once when there is nothing to hand over; at the latest after a few seconds).
  virtual void hand_over(std::function<void()> done) = 0;
  // `show peers [<section>]` in haproxy 2.6's form; `found` false when no section has that name.
  virtual std::string show(std::string_view section, bool& found) const = 0;
  // `show info`'s ActivePeers (remote peers with a session, connecting included) and
  // ConnectedPeers (established sessions).
  virtual void counts(uint32_t& active, uint32_t& connected) const = 0;
};

}  // namespace portero::peers
