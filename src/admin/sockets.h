#pragma once
// Opening the `stats socket` listeners: a unix path (stale file replaced, then `mode`, `user`
// and `group` applied), `ip:port` / `ipv4@ip:port`, or an inherited `fd@N`. Runs before the
// privileges are dropped, so the socket file can be handed to another owner.
#include <string>

#include "portero/config/config.h"

namespace portero::admin {

struct OpenedSocket {
  int fd = -1;
  bool unix_family = false;   // AF_UNIX (also for an inherited fd@ that is one)
};

// Returns the listening fd, or fd -1 with `error` holding HAProxy's alert text:
// "Binding [file:line] for frontend GLOBAL: cannot bind UNIX socket (No such file or directory) [/x.sock]".
OpenedSocket open_stats_socket(const config::StatsSocket& s, std::string& error);

}  // namespace portero::admin
