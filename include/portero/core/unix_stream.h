#pragma once
// Unix stream sockets on a libuv tcp handle: libuv's uv_tcp_t reads and writes any stream fd,
// so a server at `unix@/path` (or `/path`) is driven by the same code as a TCP one.
#include <sys/socket.h>
#include <uv.h>

namespace portero::core {

// Connects `handle` (uv_tcp_init'ed, not yet open) to the unix socket `addr`/`len`. A local
// connect completes at once: returns 0 with the handle open and connected, or a libuv error
// (UV_ENOENT, UV_ECONNREFUSED, UV_EAGAIN when the listener's backlog is full...) with the
// handle left unopened.
int connect_unix_stream(uv_tcp_t* handle, const sockaddr* addr, socklen_t len);

}  // namespace portero::core
