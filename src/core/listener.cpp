#include "portero/core/listener.h"

#include <cerrno>
#include <cstring>
#include <cstdint>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace portero::core {

int open_listening_socket(const config::Address& addr, int backlog, std::string& error) {
  using Kind = config::Address::Kind;
  if (addr.kind == Kind::fd) {
    // An inherited socket: it must already be listening; make it ours.
    int fd = addr.fd;
    int type = 0;
    socklen_t len = sizeof(type);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) {
      error = std::string("cannot use inherited fd (") + std::strerror(errno) + ")";
      return -1;
    }
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    int acc = 0;
    len = sizeof(acc);
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) == 0 && !acc) {
      if (listen(fd, backlog) != 0) {
        error = std::string("cannot listen to socket (") + std::strerror(errno) + ")";
        return -1;
      }
    }
    return fd;
  }
  int family = addr.kind == Kind::unix_path ? AF_UNIX : addr.family();
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("cannot create listening socket (") + std::strerror(errno) + ")";
    return -1;
  }
  int one = 1;
  if (addr.kind == Kind::unix_path) {
    // A stale socket file from a previous run would make bind fail; HAProxy replaces it too.
    // (An abstract socket has no file: it goes away with its last descriptor.)
    struct stat st{};
    if (!addr.abstract && lstat(addr.path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) unlink(addr.path.c_str());
    if (bind(fd, reinterpret_cast<const sockaddr*>(&addr.storage), addr.storage_len) != 0) {
      error = std::string("cannot bind UNIX socket (") + std::strerror(errno) + ")";
      ::close(fd);
      return -1;
    }
  } else {
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    if (family == AF_INET6) {
      // `[::]:80` means IPv6 only in HAProxy unless v4v6 is given; keep v4 and v6 separate.
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    }
    if (bind(fd, reinterpret_cast<const sockaddr*>(&addr.storage), addr.storage_len) != 0) {
      error = std::string("cannot bind socket (") + std::strerror(errno) + ")";
      ::close(fd);
      return -1;
    }
  }
  if (listen(fd, backlog) != 0) {
    error = std::string("cannot listen to socket (") + std::strerror(errno) + ")";
    ::close(fd);
    return -1;
  }
  return fd;
}

Listener::Listener(uv_loop_t* loop, int fd, AcceptFn fn, void* owner, uint32_t tag, Gate gate)
    : fd_(fd), fn_(fn), owner_(owner), gate_(gate), tag_(tag) {
  poll_ = new uv_poll_t;
  uv_poll_init(loop, poll_, fd_);
  poll_->data = this;
}

Listener::~Listener() { close(); }

void Listener::suspend() {
  pause();
  if (fd_ < 0 || suspended_) return;
  // On Linux, shutting down a listening socket empties its queue and refuses new connections
  // while keeping the fd bound; listen() brings it back.
  if (::shutdown(fd_, SHUT_RD) == 0) suspended_ = true;
}

void Listener::resume() {
  if (suspended_) {
    if (::listen(fd_, SOMAXCONN) != 0) return;
    suspended_ = false;
  }
  if (active_ || fd_ < 0) return;
  active_ = true;
  uv_poll_start(poll_, UV_READABLE, on_readable);
}

void Listener::pause() {
  if (!active_) return;
  active_ = false;
  uv_poll_stop(poll_);
}

void Listener::close() {
  if (fd_ < 0) return;
  // Take the connections the kernel already queued: closing the socket would reset them.
  if (active_ && !suspended_) accept_batch(SIZE_MAX);
  pause();
  uv_close(reinterpret_cast<uv_handle_t*>(poll_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  poll_ = nullptr;
  if (retry_) {
    uv_close(reinterpret_cast<uv_handle_t*>(retry_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    retry_ = nullptr;
  }
  ::close(fd_);
  fd_ = -1;
}

void Listener::on_readable(uv_poll_t* p, int status, int) {
  auto* self = static_cast<Listener*>(p->data);
  if (status < 0) return;
  // Bounded so one busy listener cannot starve the connections already accepted.
  self->accept_batch(64);
}

void Listener::accept_batch(size_t max) {
  for (size_t i = 0; i < max && active_; ++i) {
    // Admitted before accepting, so that threads sharing a limit never take one too many.
    if (gate_.admit && !gate_.admit(owner_, *this)) return;
    sockaddr_storage peer;
    socklen_t len = sizeof(peer);
    int cfd = accept4(fd_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0) {
      if (gate_.unadmit) gate_.unadmit(owner_, *this);
      if (errno == EINTR || errno == ECONNABORTED) continue;
      // The socket stays readable while the process has no descriptor (or memory) to take the
      // connection: waiting for readiness would spin. Pause, as HAProxy does, and retry later.
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) back_off();
      return;  // EAGAIN: nothing more queued
    }
    fn_(owner_, cfd, peer, len, *this);
  }
}

void Listener::back_off() {
  pause();
  if (!retry_) {
    retry_ = new uv_timer_t;
    uv_timer_init(poll_->loop, retry_);
    retry_->data = this;
  }
  uv_timer_start(retry_, [](uv_timer_t* t) { static_cast<Listener*>(t->data)->resume(); }, kRetryMs, 0);
}

}  // namespace portero::core
