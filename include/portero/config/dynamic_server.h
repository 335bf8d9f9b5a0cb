#pragma once
// `add server <backend>/<name> <addr>[:<port>] [options]` on the admin socket: the words after
// the name read as HAProxy 2.6 reads them for a dynamic server. No `default-server` applies,
// options HAProxy refuses there are refused with its message, and the server is `disabled`
// unless the words say `enabled`.
#include <string>
#include <vector>

#include "portero/config/config.h"

namespace portero::config {

// `words[0]` is the address, the rest are options. Returns "" with `out` filled (its `puid`
// is the id to use: `id N`, or the smallest id no live server of `backend` has), or the reply
// HAProxy gives (without a trailing newline).
// A server `add server` made: it has no line in a configuration file.
inline bool added_at_run_time(const Server& s) { return s.origin.line == 0; }

std::string parse_dynamic_server(const Proxy& backend, const std::string& name, const std::vector<std::string>& words,
                                 Server& out);

}  // namespace portero::config
