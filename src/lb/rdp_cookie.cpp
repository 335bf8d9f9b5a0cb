#include "portero/lb/rdp_cookie.h"

#include <netinet/in.h>

#include <cstdio>
#include <cstring>

#include "portero/http/message.h"

namespace portero::lb {
namespace {

constexpr size_t kRdpHeader = 11;   // TPKT (4) + X.224 connection request (7)

// strtoul-like: decimal digits from `s` (after optional spaces and sign, as strtoul accepts),
// wrapping as an unsigned long does; `pos` ends on the first byte not used.
unsigned long parse_ulong(std::string_view s, size_t& pos) {
  while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
  bool neg = false;
  if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) neg = s[pos++] == '-';
  unsigned long v = 0;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') v = v * 10 + static_cast<unsigned long>(s[pos++] - '0');
  return neg ? -v : v;
}

}  // namespace

RdpCookie find_rdp_cookie(std::string_view payload, std::string_view name, std::string_view& value) {
  value = {};
  size_t left = payload.size();
  if (left <= kRdpHeader) return RdpCookie::need_more;
  const char* p = payload.data() + kRdpHeader;
  left -= kRdpHeader;
  if (left <= 7) return RdpCookie::need_more;
  if (!http::iequals(std::string_view(p, 7), "Cookie:")) return RdpCookie::absent;
  p += 7;
  left -= 7;
  while (left > 0 && *p == ' ') ++p, --left;
  if (!name.empty()) {
    if (left <= name.size()) return RdpCookie::need_more;
    if (p[name.size()] != '=' || !http::iequals(std::string_view(p, name.size()), name))
      return RdpCookie::absent;
    p += name.size() + 1;
    left -= name.size() + 1;
  } else {
    while (left > 0 && *p != '=') {
      if (*p == '\r' || *p == '\n') return RdpCookie::absent;
      ++p, --left;
    }
    if (left < 1) return RdpCookie::need_more;
    ++p, --left;
  }
  const char* start = p;
  while (left > 0 && *p != '\r') ++p, --left;
  if (left < 2) return RdpCookie::need_more;
  if (p[1] != '\n') return RdpCookie::absent;
  value = std::string_view(start, static_cast<size_t>(p - start));
  return RdpCookie::found;
}

int rdp_persist_server(std::string_view payload, std::string_view name, const config::Proxy& backend,
                       std::span<ServerState* const> states, bool persist_option) {
  std::string_view v;
  if (find_rdp_cookie(payload, name, v) != RdpCookie::found || v.empty()) return -1;
  size_t pos = 0;
  auto addr = static_cast<uint32_t>(parse_ulong(v, pos));
  if (pos >= v.size() || v[pos] != '.') return -1;
  ++pos;
  // The port travels as the two network-order bytes read little-endian: swap them back.
  auto raw_port = static_cast<uint16_t>(parse_ulong(v, pos));
  if (pos >= v.size() || v[pos] != '.') return -1;
  uint16_t port = static_cast<uint16_t>((raw_port >> 8) | (raw_port << 8));

  for (size_t i = 0; i < backend.servers.size() && i < states.size(); ++i) {
    const config::Address& a = backend.servers[i].address;
    if (a.kind != config::Address::Kind::inet || a.family() != AF_INET || a.port_lo != port) continue;
    uint32_t s_addr;
    std::memcpy(&s_addr, &reinterpret_cast<const sockaddr_in*>(&a.storage)->sin_addr, 4);
    // `addr` is the in-memory (network order) value as a native little-endian integer.
    uint32_t mem;
    uint8_t b[4] = {static_cast<uint8_t>(addr), static_cast<uint8_t>(addr >> 8),
                    static_cast<uint8_t>(addr >> 16), static_cast<uint8_t>(addr >> 24)};
    std::memcpy(&mem, b, 4);
    if (mem != s_addr) continue;
    const ServerState& st = *states[i];
    bool up = st.oper.load(std::memory_order_relaxed) == OperState::up &&
              st.admin.load(std::memory_order_relaxed) != AdminState::maint;
    if (up || persist_option) return static_cast<int>(i);
  }
  return -1;
}

void rdp_persist_cookie_for(uint32_t ipv4, uint16_t port, char (&out)[32]) {
  // Network-order bytes read as little-endian integers.
  uint32_t a = ((ipv4 >> 24) & 0xff) | ((ipv4 >> 8) & 0xff00) | ((ipv4 << 8) & 0xff0000) | (ipv4 << 24);
  unsigned p = ((port >> 8) & 0xff) | ((port & 0xff) << 8);
  std::snprintf(out, sizeof out, "%u.%u.0000", a, p);
}

}  // namespace portero::lb
