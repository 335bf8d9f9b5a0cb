#pragma once
// Socket addresses as haproxy.cfg writes them: `ip:port`, `:port`, `*:port`, `[v6]:port`,
// `ipv4@`, `ipv6@`, `unix@/path`, `/path`, `abns@name`, `fd@N`, and port ranges `:8000-8010` on
// bind lines.
// Plain value type; parsing lives in src/config/address.cpp.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/socket.h>

namespace portero::config {

struct Address {
  enum class Kind : uint8_t { inet, unix_path, fd };
  Kind kind = Kind::inet;
  // inet: family AF_INET/AF_INET6 and the address bytes in `storage` (port set to port_lo).
  sockaddr_storage storage{};
  socklen_t storage_len = 0;
  uint16_t port_lo = 0;       // 0 when the line omitted the port (servers: use the client's dst port)
  uint16_t port_hi = 0;       // == port_lo unless a range was given
  bool port_offset = false;   // server `+N` / `-N`: port is relative to the client's dst port
  int32_t offset = 0;
  bool wildcard = false;      // `*`, empty host, `::`, `0.0.0.0`
  std::string path;           // unix_path: the socket path (abstract: the name)
  // `abns@name`: a Linux abstract unix socket. As HAProxy, the name is padded with zeros to
  // the whole sun_path (storage_len = sizeof(sockaddr_un)), so portero and haproxy reach
  // each other's abns sockets.
  bool abstract = false;
  int fd = -1;                // fd: the inherited descriptor number
  std::string text;           // as written in the config, for messages (`[127.0.0.1:80]`)

  int family() const { return storage.ss_family; }
};

// Parses one address. `default_port_required`: bind lines need a port, server lines don't.
// Returns the reason on failure (in HAProxy's words where it has some).
struct AddressResult {
  std::optional<Address> address;
  std::string error;
};
AddressResult parse_address(std::string_view text, bool port_required);

// "127.0.0.1:80", "[::1]:80", "/run/x.sock" — how HAProxy prints a socket in messages.
std::string to_string(const Address& a);

}  // namespace portero::config
