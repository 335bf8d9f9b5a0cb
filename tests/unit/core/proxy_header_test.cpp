// The PROXY protocol header: the verdicts were observed with haproxy 2.6.12 on the same bytes
// (tests/integration/test_proxy_protocol.py replays some of them against both).
#include <doctest/doctest.h>

#include <arpa/inet.h>

#include <string>

#include "portero/core/proxy_header.h"

using namespace portero::core;
using pp::Status;

namespace {

std::string ip(const pp::Addr& a) {
  char t[INET6_ADDRSTRLEN] = "";
  if (a.sa.sa_family == AF_INET) inet_ntop(AF_INET, &a.v4.sin_addr, t, sizeof t);
  else if (a.sa.sa_family == AF_INET6) inet_ntop(AF_INET6, &a.v6.sin6_addr, t, sizeof t);
  return t;
}
unsigned port(const pp::Addr& a) { return ntohs(a.sa.sa_family == AF_INET6 ? a.v6.sin6_port : a.v4.sin_port); }

std::string v2(uint8_t cmd, uint8_t fam, std::string body) {
  std::string h("\r\n\r\n\0\r\nQUIT\n", 12);
  h += char(0x20 | cmd);
  h += char(fam);
  h += char(body.size() >> 8);
  h += char(body.size() & 0xFF);
  return h + body;
}
std::string inet4(const char* s, const char* d, uint16_t sp, uint16_t dp) {
  std::string b(12, '\0');
  inet_pton(AF_INET, s, &b[0]);
  inet_pton(AF_INET, d, &b[4]);
  b[8] = char(sp >> 8), b[9] = char(sp), b[10] = char(dp >> 8), b[11] = char(dp);
  return b;
}
std::string tlv(uint8_t t, std::string v) {
  return std::string(1, char(t)) + char(v.size() >> 8) + char(v.size() & 0xFF) + v;
}

}  // namespace

TEST_CASE("PROXY v1: TCP4, TCP6 and UNKNOWN, followed by the request") {
  const std::string req = "GET / HTTP/1.1\r\n\r\n";
  auto h = pp::parse("PROXY TCP4 1.2.3.4 5.6.7.8 1111 2222\r\n" + req);
  REQUIRE(h.status == Status::ok);
  CHECK(h.version == 1);
  CHECK(h.length == 38);
  CHECK(h.has_addresses);
  CHECK(ip(h.src) == "1.2.3.4");
  CHECK(port(h.src) == 1111);
  CHECK(ip(h.dst) == "5.6.7.8");
  CHECK(port(h.dst) == 2222);

  h = pp::parse("PROXY TCP6 ::1 2001:db8::2 1111 2222\r\n" + req);
  REQUIRE(h.status == Status::ok);
  CHECK(ip(h.src) == "::1");
  CHECK(ip(h.dst) == "2001:db8::2");
  CHECK(port(h.dst) == 2222);

  h = pp::parse("PROXY UNKNOWN\r\n" + req);
  REQUIRE(h.status == Status::ok);
  CHECK(h.length == 15);
  CHECK_FALSE(h.has_addresses);
}

TEST_CASE("PROXY v1: HAProxy 2.6's verdicts on bad lines") {
  CHECK(pp::parse("PROXY TCP4 1.2.3.4 5.6.7.8 1111\r\n").status == Status::bad_header);
  CHECK(pp::parse("PROXY TCP4 1.2.3.4 5.6.7.8 1111 2222\nGET").status == Status::bad_header);
  CHECK(pp::parse("PROXY TCP4 1.2.3.4 5.6.7.8 1111 2222" + std::string(100, ' ') + "\r\n").status == Status::bad_header);
  CHECK(pp::parse("PROXY TCP4 ::1 5.6.7.8 1111 2222\r\n").status == Status::bad_header);
  CHECK(pp::parse("PROXY TCP6 1.2.3.4 ::1 1111 2222\r\n").status == Status::bad_header);
  CHECK(pp::parse("PROXY TCP6 ::1 ::2 1111\r\n").status == Status::bad_header);
  CHECK(pp::parse("PROXY UNKNOWN whatever\r\n").status == Status::bad_proto);   // not CRLF at once
  CHECK(pp::parse("PROXY TCP5 1.2.3.4 5.6.7.8 1111 2222\r\n").status == Status::bad_proto);
  CHECK(pp::parse("GET / HTTP/1.1\r\nHost: x\r\n\r\n").status == Status::not_header);
  // A port is read modulo 65536, as HAProxy does.
  auto h = pp::parse("PROXY TCP4 1.2.3.4 5.6.7.8 1111 99999\r\n");
  REQUIRE(h.status == Status::ok);
  CHECK(port(h.dst) == 34463);
}

TEST_CASE("PROXY: a header not whole in the first bytes is truncated") {
  for (const char* s : {"PRO", "PROXY", "PROXY TCP4 1.2", "PROXY TCP4 1.2.3.4 5.6.7.8 1111 2222\r", "PROXY UNKN"})
    CHECK_MESSAGE(pp::parse(s).status == Status::truncated, s);
  const std::string whole = v2(1, 0x11, inet4("10.1.2.3", "10.9.9.9", 1234, 80));
  CHECK(pp::parse(whole.substr(0, 5)).status == Status::truncated);
  CHECK(pp::parse(whole.substr(0, 20)).status == Status::truncated);
  CHECK(pp::parse(whole.substr(0, whole.size() - 1)).status == Status::truncated);
  CHECK(pp::parse("GET /\r\n").status == Status::truncated);   // under v2's 16 bytes: HAProxy waits... and fails
}

TEST_CASE("PROXY v2: addresses, LOCAL, TLVs HAProxy keeps") {
  const std::string req = "GET / HTTP/1.1\r\n\r\n";
  const std::string body = inet4("10.1.2.3", "10.9.9.9", 1234, 80) + tlv(pp::kTlvAuthority, "hello") +
                           tlv(pp::kTlvUniqueId, "abc") + tlv(pp::kTlvNoop, "");
  const std::string wire = v2(1, 0x11, body) + req;   // the header's views point into it
  auto h = pp::parse(wire);
  REQUIRE(h.status == Status::ok);
  CHECK(h.version == 2);
  CHECK(h.length == 16 + body.size());
  CHECK(ip(h.src) == "10.1.2.3");
  CHECK(port(h.src) == 1234);
  CHECK(ip(h.dst) == "10.9.9.9");
  CHECK(port(h.dst) == 80);
  CHECK(h.authority == "hello");
  CHECK(h.unique_id == "abc");

  h = pp::parse(v2(0, 0x11, inet4("10.1.2.3", "10.9.9.9", 1, 2)) + req);
  REQUIRE(h.status == Status::ok);
  CHECK_FALSE(h.has_addresses);   // LOCAL: the connection's own addresses

  // PROXY with a family other than TCP4/TCP6: invalid (HAProxy walks TLVs from byte 0).
  CHECK(pp::parse(v2(1, 0x00, "") + req).status == Status::bad_header);
  CHECK(pp::parse(v2(1, 0x12, inet4("1.1.1.1", "2.2.2.2", 1, 2)) + req).status == Status::bad_header);
  CHECK(pp::parse(v2(1, 0x31, std::string(216, 'a')) + req).status == Status::bad_header);
  // Too short for its family, a TLV past the end, unknown command, bad version.
  CHECK(pp::parse(v2(1, 0x11, "12345678") + req).status == Status::bad_header);
  CHECK(pp::parse(v2(1, 0x11, inet4("1.1.1.1", "2.2.2.2", 1, 2) + "\x02\x00\x09xx") + req).status == Status::bad_header);
  CHECK(pp::parse(v2(1, 0x11, inet4("1.1.1.1", "2.2.2.2", 1, 2) + "\x02\x00") + req).status == Status::bad_header);
  CHECK(pp::parse(v2(2, 0x11, inet4("1.1.1.1", "2.2.2.2", 1, 2)) + req).status == Status::bad_header);
  std::string bad_version = v2(1, 0x11, inet4("1.1.1.1", "2.2.2.2", 1, 2));
  bad_version[12] = 0x31;
  CHECK(pp::parse(bad_version + req).status == Status::not_header);
  // Over HAProxy's limits for what it keeps.
  CHECK(pp::parse(v2(1, 0x11, inet4("1.1.1.1", "2.2.2.2", 1, 2) + tlv(pp::kTlvUniqueId, std::string(129, 'u')))).status ==
        Status::bad_header);
  CHECK(pp::parse(v2(1, 0x11, inet4("1.1.1.1", "2.2.2.2", 1, 2) + tlv(pp::kTlvAuthority, std::string(256, 'a')))).status ==
        Status::bad_header);
}

TEST_CASE("PROXY: what the writers make, the parser reads back") {
  sockaddr_in a{}, b{};
  a.sin_family = b.sin_family = AF_INET;
  inet_pton(AF_INET, "192.0.2.1", &a.sin_addr);
  inet_pton(AF_INET, "198.51.100.7", &b.sin_addr);
  a.sin_port = htons(40000);
  b.sin_port = htons(443);
  char out[512];
  size_t n = pp::write_v1(out, reinterpret_cast<sockaddr*>(&a), reinterpret_cast<sockaddr*>(&b));
  CHECK(std::string(out, n) == "PROXY TCP4 192.0.2.1 198.51.100.7 40000 443\r\n");
  n = pp::write_v1(out, nullptr, reinterpret_cast<sockaddr*>(&b));
  CHECK(std::string(out, n) == "PROXY UNKNOWN\r\n");

  sockaddr_in6 c{};
  c.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "2001:db8::1", &c.sin6_addr);
  c.sin6_port = htons(5);
  n = pp::write_v1(out, reinterpret_cast<sockaddr*>(&c), reinterpret_cast<sockaddr*>(&b));
  CHECK(std::string(out, n) == "PROXY TCP6 2001:db8::1 ::ffff:198.51.100.7 5 443\r\n");

  pp::V2Extras x;
  x.crc32c = true;
  x.authority = "example.com";
  x.unique_id = "id-1";
  x.alpn = "h2";
  x.ssl = true;
  x.ssl_client = 1;
  x.ssl_version = "TLSv1.3";
  x.ssl_cn = "client";
  n = pp::write_v2(out, sizeof out, reinterpret_cast<sockaddr*>(&a), reinterpret_cast<sockaddr*>(&b), x);
  REQUIRE(n > 0);
  auto h = pp::parse(std::string_view(out, n));
  REQUIRE(h.status == Status::ok);
  CHECK(h.length == n);
  CHECK(ip(h.src) == "192.0.2.1");
  CHECK(port(h.dst) == 443);
  CHECK(h.authority == "example.com");
  CHECK(h.unique_id == "id-1");
  out[n - 1] ^= 1;   // the CRC no longer matches
  CHECK(pp::parse(std::string_view(out, n)).status == Status::bad_header);

  pp::V2Extras local;
  local.local = true;
  n = pp::write_v2(out, sizeof out, reinterpret_cast<sockaddr*>(&a), reinterpret_cast<sockaddr*>(&b), local);
  CHECK(n == 16);
  h = pp::parse(std::string_view(out, n));
  REQUIRE(h.status == Status::ok);
  CHECK_FALSE(h.has_addresses);
  CHECK(pp::write_v2(out, 20, reinterpret_cast<sockaddr*>(&a), reinterpret_cast<sockaddr*>(&b), x) == 0);
}

TEST_CASE("CRC-32C: the standard check value") {
  CHECK(pp::crc32c("123456789", 9) == 0xE3069283u);
}
