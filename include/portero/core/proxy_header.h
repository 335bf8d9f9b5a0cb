#pragma once
// The PROXY protocol (v1 text, v2 binary with TLVs): how a proxy in front of us tells the
// client's and the destination's addresses, and how we tell them to a server. Pure functions
// over bytes, no allocation: `parse` reads a header at the start of what a connection
// received, the writers put one into a caller's buffer.
//
// `parse` judges the bytes as HAProxy 2.6 does (checked against haproxy 2.6.12): it reads the
// bytes of the first receive only (HAProxy peeks once and cannot wait for more), so a header
// that is not whole there is "truncated"; a v2 header with the PROXY command and a family other
// than TCP over IPv4/IPv6 walks its TLVs from the header's first byte, as HAProxy's does, which
// in practice makes it invalid; v1's `UNKNOWN` must be followed by CRLF at once; v1 addresses
// and ports are read as leniently as HAProxy reads them (a port is taken modulo 65536).
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <netinet/in.h>
#include <sys/socket.h>

namespace portero::core::pp {

// HAProxy's reasons, in its log words (log/conn_error.cpp has the texts).
enum class Status : uint8_t {
  ok,
  truncated,    // the header is not whole in the bytes given
  not_header,   // neither "PROXY " nor v2's signature and version
  bad_header,   // invalid
  bad_proto,    // v1 with a protocol other than TCP4, TCP6, UNKNOWN
};

// An IPv4 or IPv6 address with its port (network byte order inside).
union Addr {
  sockaddr sa;
  sockaddr_in v4;
  sockaddr_in6 v6;
};

// v2 TLV types (the PROXY protocol's own numbering).
enum : uint8_t {
  kTlvAlpn = 0x01,
  kTlvAuthority = 0x02,
  kTlvCrc32c = 0x03,
  kTlvNoop = 0x04,
  kTlvUniqueId = 0x05,
  kTlvSsl = 0x20,
  kTlvSslVersion = 0x21,
  kTlvSslCn = 0x22,
  kTlvSslCipher = 0x23,
  kTlvSslSigAlg = 0x24,
  kTlvSslKeyAlg = 0x25,
  kTlvNetns = 0x30,
};

// HAProxy's limits on what it keeps of the received TLVs (longer ones make the header invalid).
constexpr size_t kAuthorityMax = 255;
constexpr size_t kUniqueIdMax = 128;
// The longest v1 line the protocol allows (what a v1 writer needs at most).
constexpr size_t kV1MaxLine = 107;

struct Header {
  Status status = Status::truncated;
  uint8_t version = 0;        // 1 or 2 (when ok)
  uint32_t length = 0;        // bytes the header takes (when ok)
  // The addresses are in the header (TCP4/TCP6, v2 PROXY over TCP); otherwise (v1 UNKNOWN, v2
  // LOCAL) the connection keeps its own.
  bool has_addresses = false;
  Addr src{};
  Addr dst{};
  // v2 TLVs HAProxy 2.6 keeps (empty when absent): views into the parsed bytes.
  std::string_view authority;
  std::string_view unique_id;
};

// Reads a header at the start of `bytes` (everything received so far).
Header parse(std::string_view bytes);

// CRC-32C (Castagnoli), as v2's CRC32C TLV carries it.
uint32_t crc32c(const void* data, size_t len, uint32_t crc = 0);

// "PROXY TCP4|TCP6 ... \r\n", or "PROXY UNKNOWN\r\n" when the addresses are not both IP
// (a null one included). An IPv4 address next to an IPv6 one is sent v4-mapped. Returns the
// length written (out needs kV1MaxLine + 1 bytes).
size_t write_v1(char* out, const sockaddr* src, const sockaddr* dst);

// What a v2 header carries beyond the addresses (empty views: not sent).
struct V2Extras {
  bool local = false;              // the LOCAL command (health checks), no addresses
  bool crc32c = false;             // add a CRC32C TLV
  std::string_view alpn;
  std::string_view authority;
  std::string_view unique_id;
  // PP2_TYPE_SSL: sent when `ssl` is set; its sub-TLVs when not empty.
  bool ssl = false;
  uint8_t ssl_client = 0;          // PP2_CLIENT_SSL (1), _CERT_CONN (2), _CERT_SESS (4)
  uint32_t ssl_verify = 0;         // 0: the client's certificate was verified
  std::string_view ssl_version, ssl_cn, ssl_cipher, ssl_sig_alg, ssl_key_alg;
};

// A v2 header into out[0..cap): its length, or 0 when it does not fit.
size_t write_v2(char* out, size_t cap, const sockaddr* src, const sockaddr* dst, const V2Extras& x);

}  // namespace portero::core::pp
