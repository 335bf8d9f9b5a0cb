#pragma once
// The admin socket (`stats socket` in global): HAProxy's CLI over unix and TCP sockets, on the
// main thread's loop. One-shot and `prompt` modes, levels, `stats timeout`, `stats maxconn`.
// Main-thread only.
#include <functional>
#include <memory>
#include <vector>
#include <string>

#include <uv.h>

#include "portero/stats/source.h"

namespace portero::tls {
class Contexts;
}

namespace portero::admin {

class Server {
 public:
  // Binds every `stats socket` of src.cfg->global (call before privileges are dropped: unix
  // sockets get their mode/user/group here). On failure returns null and sets `error` to the
  // alert text HAProxy prints (e.g. "Starting frontend GLOBAL: cannot bind UNIX socket [path]").
  // `tls` (may be null) answers the TLS commands (`show ssl cert`, `set ssl cert`...).
  static std::unique_ptr<Server> create(uv_loop_t* loop, stats::StatsSource& src, std::string& error,
                                        tls::Contexts* tls = nullptr);
  virtual ~Server() = default;
  // What `_getsocks` hands over on a socket with `expose-fd listeners` (HAProxy's -x).
  virtual void set_exposed_listeners(std::function<std::vector<int>()> fn) = 0;
  // A worker's link to its master (a unix socket): connections arrive over it (SCM_RIGHTS) for
  // the master CLI's `@<worker> <command>`. Takes ownership of `fd`.
  virtual void adopt_master_channel(int fd) = 0;
  virtual void start() = 0;   // accept clients
  virtual void stop() = 0;    // close the listeners and every client; the loop can then end
};

}  // namespace portero::admin
