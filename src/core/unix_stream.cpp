#include "portero/core/unix_stream.h"

#include <cerrno>
#include <unistd.h>

namespace portero::core {

int connect_unix_stream(uv_tcp_t* handle, const sockaddr* addr, socklen_t len) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  int rc;
  do rc = ::connect(fd, addr, len);
  while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int err = -errno;
    ::close(fd);
    return err;
  }
  if (const int r = uv_tcp_open(handle, fd); r != 0) {
    ::close(fd);
    return r;
  }
  return 0;
}

}  // namespace portero::core
