#pragma once
// The listener set: the one inventory of a process's listening sockets.
//
// A reload must not close a listening socket that the kernel may still queue connections on:
// the sockets outlive the process that opened them. The set therefore opens a socket only for
// an address no predecessor handed over, and otherwise adopts the predecessor's socket:
//  - in master-worker mode the master keeps the sockets and passes them to its re-executed
//    image ($PORTERO_LISTENERS names the descriptors), which forks each new worker with them;
//  - a standalone process started with `-x <socket>` fetches them from the old process's
//    `stats socket ... expose-fd listeners` (SCM_RIGHTS, HAProxy's `_getsocks` exchange).
// A handed-over socket is matched to a bind by what the socket itself says (family, address,
// port, IPV6_V6ONLY, unix path), as HAProxy matches them; one left unclaimed belongs to a bind
// that left the configuration and is closed.
#include <cstdint>
#include <string>
#include <vector>

#include "portero/config/config.h"

namespace portero::core {

class ListenerSet {
 public:
  // One listening socket given to one worker thread for one bind of a frontend.
  struct Bound {
    int fd;
    int proxy;
    int bind;
    uint32_t thread;
  };

  ListenerSet() = default;
  ~ListenerSet();   // closes nothing: the sockets live as long as the process (or are handed on)
  ListenerSet(const ListenerSet&) = delete;
  ListenerSet& operator=(const ListenerSet&) = delete;

  // Sockets from a predecessor, claimed by open_binds(). Not listening or not sockets: closed.
  void adopt(const std::vector<int>& fds);
  // The descriptors named by $PORTERO_LISTENERS (a master's re-exec), then unsets it.
  void adopt_from_environment();

  // Opens (or adopts) one socket per worker thread for every address of every enabled frontend
  // (one SO_REUSEPORT socket each; unix and fd@ sockets are shared by duplicating them).
  // `maxconn`: the global maxconn (backlog default). On failure, `alerts` holds HAProxy's
  // "Binding [file:line] for frontend ..." lines and the result is false.
  bool open_binds(const config::Config& cfg, uint32_t nbthread, uint32_t maxconn, std::vector<std::string>& alerts);

  // Once the new configuration is in place: the handed-over sockets nobody claimed are closed.
  void close_unclaimed();
  // A start-up that fails after open_binds(): closes what this process opened itself, and gives
  // the adopted ones back to the pool (a master that keeps its old workers still needs them).
  void abandon();

  const std::vector<Bound>& bound() const { return bound_; }
  // Every descriptor held (each once), e.g. to hand them on.
  std::vector<int> fds() const;
  // The same, without those that are no longer listening sockets (a worker closes its own on
  // `shutdown frontend`, and the number may have been reused since): what `_getsocks` sends.
  std::vector<int> listening_fds() const;
  // A listening socket matches an address (same family, address, port, v6only; same path).
  static bool matches(int fd, const config::Address& addr);

  // Set by the master on reload (master.cpp): the descriptors its next image inherits.
  static constexpr const char* kEnv = "PORTERO_LISTENERS";

 private:
  int claim(const config::Address& addr, int backlog, std::string& error);

  std::vector<int> pool_;      // handed over, not yet claimed
  std::vector<int> adopted_;   // claimed from the pool
  std::vector<int> opened_;    // opened (or duplicated) by this process
  std::vector<Bound> bound_;
};

// Sends the listening sockets over a connected unix socket as HAProxy 2.6's `_getsocks`
// answer: the count (native int), then batches of at most 253 descriptors (SCM_RIGHTS), each
// with per socket <ns len><ns><iface len><iface><4 zero bytes>, waiting for the peer's 4-byte
// acknowledgement after each full batch. Returns false with `error` set on failure.
bool send_listening_sockets(int sock, const std::vector<int>& fds, std::string& error);

// `-x <path>`: connects to an old process's stats socket, sends `_getsocks` and receives its
// listening sockets (the exchange above). Returns false with `error` (HAProxy's warning words).
bool fetch_listening_sockets(const std::string& path, std::vector<int>& out, std::string& error);

}  // namespace portero::core
