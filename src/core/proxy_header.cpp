// The PROXY protocol's header: reading (as HAProxy 2.6 judges it, see the header file) and
// writing. No allocation; the parser never reads outside the bytes it is given.
#include "portero/core/proxy_header.h"

#include <arpa/inet.h>

#include <array>
#include <cstring>

namespace portero::core::pp {
namespace {

constexpr unsigned char kV2Sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr size_t kV2Fixed = 16;        // signature, version/command, family, length
constexpr size_t kV2Inet = 12;         // two IPv4 addresses and two ports
constexpr size_t kV2Inet6 = 36;
constexpr size_t kV2Unix = 216;

constexpr std::array<uint32_t, 256> crc32c_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr auto kCrcTable = crc32c_table();

// A reader over the received bytes: never past `end`.
struct Cursor {
  const unsigned char* p;
  const unsigned char* end;
  bool at_end() const { return p >= end; }
  size_t left() const { return size_t(end - p); }
  bool digit() const { return p < end && *p >= '0' && *p <= '9'; }
};

// A decimal number as HAProxy reads ports: the digits there are (none: 0), wrapping.
uint32_t read_uint(Cursor& c, const unsigned char* stop) {
  uint32_t v = 0;
  while (c.p < stop && *c.p >= '0' && *c.p <= '9') v = v * 10 + uint32_t(*c.p++ - '0');
  return v;
}

// A dotted IPv4 address as HAProxy's v1 reader takes it: up to four groups of digits split by
// dots; a group counts for its last three digits (so 999 overflows into the next byte) and a
// missing one is zero. Host byte order.
uint32_t read_ipv4(Cursor& c) {
  uint32_t v = 0;
  for (int shift = 24;; shift -= 8) {
    uint32_t group = 0, scale = 1, digits = 0;
    const unsigned char* start = c.p;
    while (c.digit()) ++c.p;
    for (const unsigned char* d = c.p; d > start && digits < 3; ++digits, scale *= 10) group += uint32_t(*--d - '0') * scale;
    v += group << shift;
    if (shift == 0 || c.at_end() || *c.p != '.') break;
    ++c.p;
  }
  return v;
}

// `len` bytes at `p` as a C string for inet_pton: up to the first NUL, as HAProxy's in-place
// reader sees them.
bool pton6(const unsigned char* p, size_t len, in6_addr& out) {
  char text[INET6_ADDRSTRLEN + 1];
  size_t n = 0;
  while (n < len && p[n] != 0) ++n;
  if (n > INET6_ADDRSTRLEN) return false;
  std::memcpy(text, p, n);
  text[n] = 0;
  return inet_pton(AF_INET6, text, &out) == 1;
}

bool is_prefix(const Cursor& c, std::string_view word) {
  const size_t n = std::min(c.left(), word.size());
  return std::memcmp(c.p, word.data(), n) == 0;
}

void set4(Addr& a, uint32_t host_order_ip, uint32_t port) {
  a.v4.sin_family = AF_INET;
  a.v4.sin_addr.s_addr = htonl(host_order_ip);
  a.v4.sin_port = htons(uint16_t(port));
}

void set6(Addr& a, const in6_addr& ip, uint32_t port) {
  a.v6.sin6_family = AF_INET6;
  a.v6.sin6_addr = ip;
  a.v6.sin6_port = htons(uint16_t(port));
}

Header fail(Status s) {
  Header h;
  h.status = s;
  return h;
}

Header parse_v1(const unsigned char* data, size_t n) {
  Header h;
  h.version = 1;
  if (n < 9) return fail(Status::truncated);   // the shortest line: "PROXY " and 3 more
  Cursor c{data + 6, data + n};
  if (is_prefix(c, "TCP4 ") && c.left() >= 5) {
    c.p += 5;
    const uint32_t src = read_ipv4(c);
    if (c.at_end()) return fail(Status::truncated);
    if (*c.p++ != ' ') return fail(Status::bad_header);
    const uint32_t dst = read_ipv4(c);
    if (c.at_end()) return fail(Status::truncated);
    if (*c.p++ != ' ') return fail(Status::bad_header);
    const uint32_t sport = read_uint(c, c.end);
    if (c.at_end()) return fail(Status::truncated);
    if (*c.p++ != ' ') return fail(Status::bad_header);
    const uint32_t dport = read_uint(c, c.end);
    if (c.left() < 2) return fail(Status::truncated);
    if (*c.p++ != '\r' || *c.p++ != '\n') return fail(Status::bad_header);
    set4(h.src, src, sport);
    set4(h.dst, dst, dport);
    h.has_addresses = true;
  } else if (is_prefix(c, "TCP6 ") && c.left() >= 5) {
    c.p += 5;
    // Space-separated fields up to CR LF: the first three spaces end src, dst and sport.
    const unsigned char* fields[4] = {c.p, nullptr, nullptr, nullptr};
    int found = 1;
    const unsigned char* cr = nullptr;
    for (;;) {
      if (c.left() < 2) return fail(Status::truncated);
      if (*c.p == '\r') {
        cr = c.p++;
        if (*c.p++ != '\n') return fail(Status::bad_header);
        break;
      }
      if (*c.p == ' ' && found < 4) fields[found++] = c.p + 1;
      ++c.p;
    }
    if (found < 4) return fail(Status::bad_header);
    Cursor sp{fields[2], fields[3] - 1};
    const uint32_t sport = read_uint(sp, sp.end);
    if (sp.p != sp.end) return fail(Status::bad_header);
    Cursor dp{fields[3], cr};
    const uint32_t dport = read_uint(dp, cr);
    if (dp.p != cr && *dp.p != ' ') return fail(Status::bad_header);   // a later field may follow
    in6_addr src, dst;
    if (!pton6(fields[0], size_t(fields[1] - 1 - fields[0]), src)) return fail(Status::bad_header);
    if (!pton6(fields[1], size_t(fields[2] - 1 - fields[1]), dst)) return fail(Status::bad_header);
    set6(h.src, src, sport);
    set6(h.dst, dst, dport);
    h.has_addresses = true;
  } else if (c.left() >= 9 && std::memcmp(c.p, "UNKNOWN\r\n", 9) == 0) {
    c.p += 9;
  } else if (is_prefix(c, "UNKNOWN\r\n") || is_prefix(c, "TCP4 ") || is_prefix(c, "TCP6 ")) {
    return fail(Status::truncated);
  } else {
    return fail(Status::bad_proto);
  }
  h.status = Status::ok;
  h.length = uint32_t(c.p - data);
  return h;
}

uint16_t be16(const unsigned char* p) { return uint16_t((p[0] << 8) | p[1]); }

Header parse_v2(const unsigned char* data, size_t n) {
  if (n < kV2Fixed) return fail(Status::truncated);
  if (std::memcmp(data, kV2Sig, sizeof kV2Sig) != 0 || (data[12] & 0xF0) != 0x20) return fail(Status::not_header);
  const size_t len = be16(data + 14);
  const size_t total = kV2Fixed + len;
  if (n < total) return fail(Status::truncated);
  Header h;
  h.version = 2;
  h.length = uint32_t(total);
  h.status = Status::ok;
  switch (data[12] & 0x0F) {
    case 0x00:   // LOCAL: the connection's own addresses, nothing else read
      return h;
    case 0x01:
      break;
    default:
      return fail(Status::bad_header);
  }
  size_t off = 0;   // an unhandled family: HAProxy walks "TLVs" from the first byte
  const unsigned char* a = data + kV2Fixed;
  if (data[13] == 0x11) {
    if (len < kV2Inet) return fail(Status::bad_header);
    uint32_t s, d;
    std::memcpy(&s, a, 4);
    std::memcpy(&d, a + 4, 4);
    set4(h.src, ntohl(s), be16(a + 8));
    set4(h.dst, ntohl(d), be16(a + 10));
    h.has_addresses = true;
    off = kV2Fixed + kV2Inet;
  } else if (data[13] == 0x21) {
    if (len < kV2Inet6) return fail(Status::bad_header);
    in6_addr s, d;
    std::memcpy(&s, a, 16);
    std::memcpy(&d, a + 16, 16);
    set6(h.src, s, be16(a + 32));
    set6(h.dst, d, be16(a + 34));
    h.has_addresses = true;
    off = kV2Fixed + kV2Inet6;
  }
  while (off < total) {
    if (off + 3 > total) return fail(Status::bad_header);
    const uint8_t type = data[off];
    const size_t vlen = be16(data + off + 1);
    const unsigned char* value = data + off + 3;
    off += 3 + vlen;
    if (off > total) return fail(Status::bad_header);
    switch (type) {
      case kTlvCrc32c: {
        if (vlen != 4) return fail(Status::bad_header);
        // Computed over the whole header with this field as zeros.
        static constexpr unsigned char zeros[4] = {};
        const size_t at = size_t(value - data);
        uint32_t crc = crc32c(data, at);
        crc = crc32c(zeros, 4, crc);
        crc = crc32c(value + 4, total - at - 4, crc);
        const uint32_t sent = (uint32_t(value[0]) << 24) | (uint32_t(value[1]) << 16) | (uint32_t(value[2]) << 8) | value[3];
        if (crc != sent) return fail(Status::bad_header);
        break;
      }
      case kTlvAuthority:
        if (vlen > kAuthorityMax) return fail(Status::bad_header);
        h.authority = std::string_view(reinterpret_cast<const char*>(value), vlen);
        break;
      case kTlvUniqueId:
        if (vlen > kUniqueIdMax) return fail(Status::bad_header);
        h.unique_id = std::string_view(reinterpret_cast<const char*>(value), vlen);
        break;
      default:
        break;
    }
  }
  return h;
}

// Writes an IP address as text; false when it is not IPv4/IPv6.
size_t put_ip(char* out, const sockaddr* a, bool as6) {
  char text[INET6_ADDRSTRLEN] = "";
  if (a->sa_family == AF_INET && !as6) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(a)->sin_addr, text, sizeof text);
  } else if (a->sa_family == AF_INET) {
    std::strcpy(text, "::ffff:");
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(a)->sin_addr, text + 7, sizeof text - 7);
  } else {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(a)->sin6_addr, text, sizeof text);
  }
  const size_t n = std::strlen(text);
  std::memcpy(out, text, n);
  return n;
}

size_t put_uint(char* out, unsigned v) {
  char tmp[12];
  size_t n = 0;
  do tmp[n++] = char('0' + v % 10); while ((v /= 10) != 0);
  for (size_t i = 0; i < n; ++i) out[i] = tmp[n - 1 - i];
  return n;
}

uint16_t port_of(const sockaddr* a) {
  return ntohs(a->sa_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6*>(a)->sin6_port
                                        : reinterpret_cast<const sockaddr_in*>(a)->sin_port);
}

bool is_ip(const sockaddr* a) { return a && (a->sa_family == AF_INET || a->sa_family == AF_INET6); }

// IPv6 bytes of an address (IPv4 as v4-mapped).
void ip6_bytes(const sockaddr* a, unsigned char out[16]) {
  if (a->sa_family == AF_INET6) {
    std::memcpy(out, &reinterpret_cast<const sockaddr_in6*>(a)->sin6_addr, 16);
    return;
  }
  std::memset(out, 0, 10);
  out[10] = out[11] = 0xFF;
  std::memcpy(out + 12, &reinterpret_cast<const sockaddr_in*>(a)->sin_addr, 4);
}

struct Out {
  char* p;
  size_t cap;
  size_t n = 0;
  bool ok = true;
  void put(const void* d, size_t len) {
    if (!ok || n + len > cap) {
      ok = false;
      return;
    }
    std::memcpy(p + n, d, len);
    n += len;
  }
  void u8(uint8_t v) { put(&v, 1); }
  void u16(uint16_t v) {
    const unsigned char b[2] = {uint8_t(v >> 8), uint8_t(v)};
    put(b, 2);
  }
  void u32(uint32_t v) {
    const unsigned char b[4] = {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
    put(b, 4);
  }
  void tlv(uint8_t type, std::string_view v) {
    u8(type);
    u16(uint16_t(v.size()));
    put(v.data(), v.size());
  }
};

}  // namespace

uint32_t crc32c(const void* data, size_t len, uint32_t crc) {
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  for (size_t i = 0; i < len; ++i) crc = kCrcTable[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

Header parse(std::string_view bytes) {
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  if (n < 6) return fail(Status::truncated);
  if (std::memcmp(data, "PROXY ", 6) == 0) return parse_v1(data, n);
  return parse_v2(data, n);
}

size_t write_v1(char* out, const sockaddr* src, const sockaddr* dst) {
  if (!is_ip(src) || !is_ip(dst)) {
    std::memcpy(out, "PROXY UNKNOWN\r\n", 15);
    return 15;
  }
  const bool v6 = src->sa_family == AF_INET6 || dst->sa_family == AF_INET6;
  size_t n = 0;
  std::memcpy(out, v6 ? "PROXY TCP6 " : "PROXY TCP4 ", 11);
  n = 11;
  n += put_ip(out + n, src, v6);
  out[n++] = ' ';
  n += put_ip(out + n, dst, v6);
  out[n++] = ' ';
  n += put_uint(out + n, port_of(src));
  out[n++] = ' ';
  n += put_uint(out + n, port_of(dst));
  out[n++] = '\r';
  out[n++] = '\n';
  return n;
}

size_t write_v2(char* out, size_t cap, const sockaddr* src, const sockaddr* dst, const V2Extras& x) {
  Out o{out, cap};
  o.put(kV2Sig, sizeof kV2Sig);
  const bool addresses = !x.local && is_ip(src) && is_ip(dst);
  const bool v6 = addresses && (src->sa_family == AF_INET6 || dst->sa_family == AF_INET6);
  // The PROXY command with addresses; LOCAL (no addresses) when they are not both IP.
  o.u8(addresses ? 0x21 : 0x20);
  o.u8(!addresses ? 0x00 : v6 ? 0x21 : 0x11);
  o.u16(0);   // the length, once known
  if (addresses && !v6) {
    o.put(&reinterpret_cast<const sockaddr_in*>(src)->sin_addr, 4);
    o.put(&reinterpret_cast<const sockaddr_in*>(dst)->sin_addr, 4);
  } else if (addresses) {
    unsigned char b[16];
    ip6_bytes(src, b);
    o.put(b, 16);
    ip6_bytes(dst, b);
    o.put(b, 16);
  }
  if (addresses) {
    o.u16(port_of(src));
    o.u16(port_of(dst));
  }
  size_t crc_at = 0;
  if (x.crc32c) {
    crc_at = o.n + 3;
    o.tlv(kTlvCrc32c, std::string_view("\0\0\0\0", 4));
  }
  if (!x.alpn.empty()) o.tlv(kTlvAlpn, x.alpn);
  if (!x.authority.empty()) o.tlv(kTlvAuthority, x.authority);
  if (!x.unique_id.empty()) o.tlv(kTlvUniqueId, x.unique_id);
  if (x.ssl) {
    const size_t at = o.n;
    o.u8(kTlvSsl);
    o.u16(0);
    o.u8(x.ssl_client);
    o.u32(x.ssl_verify);
    if (!x.ssl_version.empty()) o.tlv(kTlvSslVersion, x.ssl_version);
    if (!x.ssl_cn.empty()) o.tlv(kTlvSslCn, x.ssl_cn);
    if (!x.ssl_cipher.empty()) o.tlv(kTlvSslCipher, x.ssl_cipher);
    if (!x.ssl_sig_alg.empty()) o.tlv(kTlvSslSigAlg, x.ssl_sig_alg);
    if (!x.ssl_key_alg.empty()) o.tlv(kTlvSslKeyAlg, x.ssl_key_alg);
    if (o.ok) {
      const size_t vlen = o.n - at - 3;
      out[at + 1] = char(vlen >> 8);
      out[at + 2] = char(vlen);
    }
  }
  if (!o.ok || o.n - kV2Fixed > 0xFFFF) return 0;
  const size_t len = o.n - kV2Fixed;
  out[14] = char(len >> 8);
  out[15] = char(len);
  if (x.crc32c) {
    const uint32_t crc = crc32c(out, o.n);
    out[crc_at] = char(crc >> 24);
    out[crc_at + 1] = char(crc >> 16);
    out[crc_at + 2] = char(crc >> 8);
    out[crc_at + 3] = char(crc);
  }
  return o.n;
}

}  // namespace portero::core::pp
