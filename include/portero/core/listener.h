#pragma once
// A listening socket watched by a worker's loop. Accepting is done here (accept4 in a bounded
// batch) rather than by uv_listen so that accepting can be paused and resumed at will: for
// maxconn, for SIGTTOU/SIGTTIN, and for a soft stop. Worker-local once started.
#include <cstdint>
#include <functional>
#include <string>

#include <sys/socket.h>
#include <uv.h>

#include "portero/config/address.h"

namespace portero::core {

// Creates a bound, listening, non-blocking socket for `addr` (SO_REUSEADDR and, for inet,
// SO_REUSEPORT so every worker and a reloading successor can bind the same address).
// Returns the fd, or -1 with `error` set to the system's reason ("Address already in use").
int open_listening_socket(const config::Address& addr, int backlog, std::string& error);

class Listener {
 public:
  // Called for each accepted connection with a non-blocking fd it now owns.
  using AcceptFn = void (*)(void* owner, int fd, const sockaddr_storage& peer, socklen_t len,
                            Listener& from);

  // Optional admission before each accept4 (for maxconn): `admit` counts one more connection
  // and returns true, or returns false having paused the listener (the batch stops there);
  // `unadmit` gives an admission back when accept4 found nothing to take.
  struct Gate {
    bool (*admit)(void* owner, Listener& from);
    void (*unadmit)(void* owner, Listener& from);
  };

  // Takes ownership of `fd` (already listening).
  Listener(uv_loop_t* loop, int fd, AcceptFn fn, void* owner, uint32_t tag, Gate gate = {nullptr, nullptr});
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  void resume();   // start (or restart) accepting
  void pause();    // stop accepting; pending connections wait in the kernel backlog
  // Stop accepting and make the kernel refuse new connections (SIGTTOU: lets another process
  // bind the port); resume() listens again.
  void suspend();
  // Stops accepting for good: the socket is closed, so the kernel stops queueing connections
  // for it (a successor bound with SO_REUSEPORT gets them all).
  void close();

  bool paused() const { return !active_; }
  bool closed() const { return fd_ < 0; }
  uint32_t tag() const { return tag_; }   // the owner's index for the frontend/bind
  // Whatever the owner attaches to connections from here (a bind's TLS context).
  void set_context(void* c) { context_ = c; }
  void* context() const { return context_; }
  int fd() const { return fd_; }

 private:
  static void on_readable(uv_poll_t* p, int status, int events);
  void accept_batch(size_t max);
  void back_off();   // out of descriptors or memory: pause, retry in kRetryMs
  static constexpr uint64_t kRetryMs = 100;

  uv_poll_t* poll_ = nullptr;   // heap: freed in its close callback (handles never move)
  uv_timer_t* retry_ = nullptr; // made on the first back_off(), heap for the same reason
  int fd_;
  AcceptFn fn_;
  void* owner_;
  Gate gate_;
  uint32_t tag_;
  void* context_ = nullptr;
  bool active_ = false;
  bool suspended_ = false;
};

}  // namespace portero::core
