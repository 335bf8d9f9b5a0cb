// Address parsing with HAProxy's rules: the last ':' separates the port unless the host is
// bracketed, bind lines need a port and accept ranges, server lines accept no port or +N/-N.
#include "portero/config/address.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <charconv>
#include <cctype>
#include <cstdlib>
#include <cstring>

namespace portero::config {
namespace {

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// Decimal number in [0, 65535*something]; nothing on junk.
std::optional<long> to_long(std::string_view s) {
  if (!all_digits(s) || s.size() > 9) return std::nullopt;
  long v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// Literal IPs first (never touches the network), then the system resolver, which answers
// names from /etc/hosts such as `localhost`. IPv4 is preferred, as HAProxy does.
bool resolve(const std::string& host, int family, sockaddr_storage& out, socklen_t& len) {
  const int families[2] = {family ? family : AF_INET, family ? family : AF_INET6};
  for (int flags : {AI_NUMERICHOST, 0}) {
    for (int fam : families) {
      addrinfo hints{};
      hints.ai_family = fam;
      hints.ai_socktype = SOCK_STREAM;
      hints.ai_flags = flags;
      addrinfo* res = nullptr;
      if (getaddrinfo(host.c_str(), nullptr, &hints, &res) == 0 && res) {
        std::memcpy(&out, res->ai_addr, res->ai_addrlen);
        len = socklen_t(res->ai_addrlen);
        freeaddrinfo(res);
        return true;
      }
    }
  }
  return false;
}

void set_port(Address& a, uint16_t port) {
  if (a.storage.ss_family == AF_INET)
    reinterpret_cast<sockaddr_in&>(a.storage).sin_port = htons(port);
  else if (a.storage.ss_family == AF_INET6)
    reinterpret_cast<sockaddr_in6&>(a.storage).sin6_port = htons(port);
}

bool is_any(const Address& a) {
  if (a.storage.ss_family == AF_INET)
    return reinterpret_cast<const sockaddr_in&>(a.storage).sin_addr.s_addr == htonl(INADDR_ANY);
  const auto& in6 = reinterpret_cast<const sockaddr_in6&>(a.storage);
  return std::memcmp(&in6.sin6_addr, &in6addr_any, sizeof(in6addr_any)) == 0;
}

AddressResult fail(std::string why) { return AddressResult{std::nullopt, std::move(why)}; }

// HAProxy expands `$NAME` and `${NAME}` in addresses even outside quotes (`bind :$PORT`); an
// unset variable expands to nothing. Any other `$` stays.
std::string expand_env(std::string_view t) {
  auto first = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; };
  auto inner = [&](char c) { return first(c) || std::isdigit(static_cast<unsigned char>(c)); };
  std::string out;
  for (size_t i = 0; i < t.size(); ++i) {
    const bool braced = t[i] == '$' && i + 1 < t.size() && t[i + 1] == '{';
    size_t p = i + (braced ? 2 : 1);
    if (t[i] != '$' || p >= t.size() || !first(t[p])) {
      out += t[i];
      continue;
    }
    const size_t start = p;
    while (p < t.size() && inner(t[p])) ++p;
    if (braced && (p >= t.size() || t[p] != '}')) {
      out += t[i];
      continue;
    }
    const char* v = std::getenv(std::string(t.substr(start, p - start)).c_str());
    if (v) out += v;
    i = braced ? p : p - 1;
  }
  return out;
}

}  // namespace

AddressResult parse_address(std::string_view text, bool port_required) {
  if (text.find('$') != std::string_view::npos) {
    const std::string expanded = expand_env(text);
    if (expanded != text) return parse_address(expanded, port_required);
  }
  const std::string whole(text);
  Address a;
  a.text = whole;
  std::string_view rest = text;
  int family = 0;

  if (rest.starts_with("unix@") || rest.starts_with("/")) {
    if (rest.starts_with("unix@")) rest.remove_prefix(5);
    if (rest.empty()) return fail("missing path in '" + whole + "'");
    if (rest.size() >= sizeof(sockaddr_un::sun_path))
      return fail("socket path '" + std::string(rest) + "' too long (max " +
                  std::to_string(sizeof(sockaddr_un::sun_path) - 1) + ")");
    a.kind = Address::Kind::unix_path;
    a.path = std::string(rest);
    auto& un = reinterpret_cast<sockaddr_un&>(a.storage);
    un.sun_family = AF_UNIX;
    if (a.path.size()) std::memcpy(un.sun_path, a.path.data(), a.path.size());
    a.storage_len = socklen_t(offsetof(sockaddr_un, sun_path) + a.path.size() + 1);
    return AddressResult{a, {}};
  }
  if (rest.starts_with("abns@")) {
    rest.remove_prefix(5);
    if (rest.empty()) return fail("missing path in '" + whole + "'");
    if (rest.size() >= sizeof(sockaddr_un::sun_path))
      return fail("socket path '" + std::string(rest) + "' too long (max " +
                  std::to_string(sizeof(sockaddr_un::sun_path) - 1) + ")");
    a.kind = Address::Kind::unix_path;
    a.abstract = true;
    a.path = std::string(rest);
    auto& un = reinterpret_cast<sockaddr_un&>(a.storage);
    un.sun_family = AF_UNIX;
    std::memcpy(un.sun_path + 1, a.path.data(), a.path.size());   // sun_path[0] = 0: abstract
    a.storage_len = socklen_t(sizeof(sockaddr_un));
    return AddressResult{a, {}};
  }
  if (rest.starts_with("fd@")) {
    rest.remove_prefix(3);
    auto n = to_long(rest);
    if (!n) return fail("file descriptor '" + std::string(rest) + "' is not a valid integer in '" +
                        whole + "'");
    a.kind = Address::Kind::fd;
    a.fd = int(*n);
    return AddressResult{a, {}};
  }
  if (rest.starts_with("sockpair@") || rest.starts_with("udp@") ||
      rest.starts_with("quic4@") || rest.starts_with("quic6@") || rest.starts_with("udp4@") ||
      rest.starts_with("udp6@"))
    return fail("address family '" + std::string(rest.substr(0, rest.find('@') + 1)) +
                "' is not supported yet by portero in '" + whole + "'");
  if (rest.starts_with("ipv4@") || rest.starts_with("tcp4@")) {
    family = AF_INET;
    rest.remove_prefix(5);
  } else if (rest.starts_with("ipv6@") || rest.starts_with("tcp6@")) {
    family = AF_INET6;
    rest.remove_prefix(5);
  } else if (rest.starts_with("tcp@")) {
    rest.remove_prefix(4);
  }

  // Split host and port.
  std::string host;
  std::string_view port;
  bool has_port = false;
  if (rest.starts_with("[")) {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return fail("invalid address: '" + whole + "'");
    host = std::string(rest.substr(1, close - 1));
    auto after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return fail("invalid address: '" + whole + "'");
      port = after.substr(1);
      has_port = true;
    }
    if (!family) family = AF_INET6;
  } else if (in6_addr probe{}; !port_required &&
             inet_pton(AF_INET6, std::string(rest).c_str(), &probe) == 1) {
    host = std::string(rest);  // a bare IPv6 literal on a server line: no port
  } else {
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) {
      host = std::string(rest);
    } else {
      host = std::string(rest.substr(0, colon));
      port = rest.substr(colon + 1);
      has_port = true;
    }
  }

  // Port, range or offset.
  if (has_port && !port.empty()) {
    if (port[0] == '+' || port[0] == '-') {
      if (port_required) return fail("port offset not permitted here in '" + whole + "'");
      auto n = to_long(port.substr(1));
      if (!n || *n > 65535) return fail("invalid port offset '" + std::string(port) + "' in '" + whole + "'");
      a.port_offset = true;
      a.offset = int32_t(port[0] == '-' ? -*n : *n);
    } else if (auto dash = port.find('-'); dash != std::string_view::npos) {
      if (!port_required) return fail("port range not permitted here in '" + whole + "'");
      auto lo = to_long(port.substr(0, dash)), hi = to_long(port.substr(dash + 1));
      if (!lo || !hi || *lo < 1 || *hi > 65535 || *lo > *hi)
        return fail("invalid port range '" + std::string(port) + "'");
      a.port_lo = uint16_t(*lo);
      a.port_hi = uint16_t(*hi);
    } else {
      for (char c : port)
        if (c < '0' || c > '9')
          return fail(std::string("invalid character '") + c + "' in port number '" +
                      std::string(port) + "' in '" + whole + "'");
      auto n = to_long(port);
      if (!n || *n < 1 || *n > 65535) return fail("invalid port '" + std::string(port) + "'");
      a.port_lo = a.port_hi = uint16_t(*n);
    }
  } else if (port_required) {
    return fail("missing port specification in '" + whole + "'");
  }

  // Host: empty and '*' mean "any address".
  if (host.empty() || host == "*") {
    a.wildcard = true;
    if (family == AF_INET6) {
      auto& in6 = reinterpret_cast<sockaddr_in6&>(a.storage);
      in6.sin6_family = AF_INET6;
      in6.sin6_addr = in6addr_any;
      a.storage_len = sizeof(sockaddr_in6);
    } else {
      auto& in4 = reinterpret_cast<sockaddr_in&>(a.storage);
      in4.sin_family = AF_INET;
      in4.sin_addr.s_addr = htonl(INADDR_ANY);
      a.storage_len = sizeof(sockaddr_in);
    }
  } else if (!resolve(host, family, a.storage, a.storage_len)) {
    return fail("invalid address: '" + host + "' in '" + whole + "'");
  } else {
    a.wildcard = is_any(a);
  }
  set_port(a, a.port_lo);
  return AddressResult{a, {}};
}

std::string to_string(const Address& a) {
  switch (a.kind) {
    case Address::Kind::unix_path: return a.abstract ? "abns@" + a.path : a.path;
    case Address::Kind::fd: return "fd@" + std::to_string(a.fd);
    case Address::Kind::inet: break;
  }
  char buf[INET6_ADDRSTRLEN] = {};
  std::string out;
  if (a.storage.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(a.storage).sin6_addr, buf, sizeof buf);
    out = std::string("[") + buf + "]";
  } else {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(a.storage).sin_addr, buf, sizeof buf);
    out = buf;
  }
  if (a.port_offset) return out + ":" + (a.offset >= 0 ? "+" : "") + std::to_string(a.offset);
  if (a.port_lo == 0) return out;
  out += ":" + std::to_string(a.port_lo);
  if (a.port_hi != a.port_lo) out += "-" + std::to_string(a.port_hi);
  return out;
}

}  // namespace portero::config
