#pragma once
// The RDP cookie of a Remote Desktop connection request (the first client bytes of an RDP
// session): a TPKT + X.224 header (11 bytes) followed by the line `Cookie: NAME=VALUE\r\n`.
// Used by `balance rdp-cookie` (hash of the value, default name mstshash) and by
// `persist rdp-cookie` (the `msts` cookie names the server to go back to).
#include <cstdint>
#include <span>
#include <string_view>

#include "portero/config/config.h"
#include "portero/lb/server_state.h"

namespace portero::lb {

enum class RdpCookie : uint8_t {
  found,       // `value` is set (it may be empty)
  absent,      // the payload is not a connection request with that cookie: it never will be
  need_more,   // too few bytes yet to tell: wait for more (until tcp-request inspect-delay)
};

// Finds cookie `name` (case-insensitive; an empty name takes the first cookie whatever its
// name) in `payload`. The value runs up to the CR of the line, which must be followed by LF.
RdpCookie find_rdp_cookie(std::string_view payload, std::string_view name, std::string_view& value);

// `persist rdp-cookie[(NAME)]`: the server whose IPv4 address and port the cookie encodes, as
// Microsoft's load balancers (and HAProxy) write it: "<addr>.<port>.<anything>" where <addr> is
// the decimal value of the 4 address bytes in network order read as a little-endian integer
// (10.0.0.1 -> 16777226) and <port> likewise for the 2 port bytes (3389 -> 15629). Only servers
// that are not down qualify, unless `option persist` (`persist_option`). Returns the server
// index in `backend.servers`, or -1.
int rdp_persist_server(std::string_view payload, std::string_view name, const config::Proxy& backend,
                       std::span<ServerState* const> states, bool persist_option);

// The cookie value HAProxy expects for a server at `ipv4` (host order, e.g. 0x0a000001) and
// `port`: "<addr>.<port>.0000". For tests and tools.
void rdp_persist_cookie_for(uint32_t ipv4, uint16_t port, char (&out)[32]);

}  // namespace portero::lb
