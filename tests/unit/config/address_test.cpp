#include <sys/un.h>
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include "portero/config/address.h"

using namespace portero::config;

namespace {
Address ok(std::string_view s, bool bind) {
  auto r = parse_address(s, bind);
  INFO(s << " -> " << r.error);
  REQUIRE(r.address);
  return *r.address;
}
std::string err(std::string_view s, bool bind) {
  auto r = parse_address(s, bind);
  CHECK_FALSE(r.address);
  return r.error;
}
}  // namespace

TEST_CASE("IPv4 with port, wildcard forms") {
  auto a = ok("192.168.10.50:80", true);
  CHECK(a.kind == Address::Kind::inet);
  CHECK(a.family() == AF_INET);
  CHECK(a.port_lo == 80);
  CHECK(a.port_hi == 80);
  CHECK_FALSE(a.wildcard);
  CHECK(ntohs(reinterpret_cast<const sockaddr_in&>(a.storage).sin_port) == 80);
  CHECK(to_string(a) == "192.168.10.50:80");
  CHECK(ok(":8083", true).wildcard);
  CHECK(ok("*:8083", true).wildcard);
  CHECK(ok("0.0.0.0:1", true).wildcard);
  CHECK(to_string(ok("*:8083", true)) == "0.0.0.0:8083");
}

TEST_CASE("IPv6 forms") {
  auto a = ok("[::1]:8080", true);
  CHECK(a.family() == AF_INET6);
  CHECK(a.port_lo == 8080);
  CHECK(to_string(a) == "[::1]:8080");
  CHECK(ok("[::]:80", true).wildcard);
  auto b = ok("ipv6@:80", true);
  CHECK(b.family() == AF_INET6);
  CHECK(b.wildcard);
  CHECK(ok("ipv4@127.0.0.1:80", true).family() == AF_INET);
  CHECK(ok("::1", false).family() == AF_INET6);
}

TEST_CASE("unix sockets and inherited fds") {
  auto u = ok("/var/run/haproxy.sock", true);
  CHECK(u.kind == Address::Kind::unix_path);
  CHECK(u.path == "/var/run/haproxy.sock");
  CHECK(ok("unix@/tmp/x.sock", true).path == "/tmp/x.sock");
  // abns@: abstract (sun_path[0] = 0), the name padded to the whole sun_path as HAProxy's
  auto ab = ok("abns@my-hop", true);
  CHECK(ab.kind == Address::Kind::unix_path);
  CHECK(ab.abstract);
  CHECK(ab.path == "my-hop");
  CHECK(ab.storage_len == sizeof(sockaddr_un));
  CHECK(reinterpret_cast<const sockaddr_un&>(ab.storage).sun_path[0] == '\0');
  CHECK(std::string(reinterpret_cast<const sockaddr_un&>(ab.storage).sun_path + 1) == "my-hop");
  CHECK(to_string(ab) == "abns@my-hop");
  CHECK(err("abns@", true) == "missing path in 'abns@'");
  auto f = ok("fd@3", true);
  CHECK(f.kind == Address::Kind::fd);
  CHECK(f.fd == 3);
  CHECK(err("fd@x", true) == "file descriptor 'x' is not a valid integer in 'fd@x'");
}

TEST_CASE("port ranges on bind lines only") {
  auto r = ok(":8000-8010", true);
  CHECK(r.port_lo == 8000);
  CHECK(r.port_hi == 8010);
  CHECK(to_string(r) == "0.0.0.0:8000-8010");
  CHECK(err(":8000-7000", true) == "invalid port range '8000-7000'");
  CHECK(err("1.2.3.4:80-90", false) == "port range not permitted here in '1.2.3.4:80-90'");
}

TEST_CASE("server addresses: no port, offsets, hostnames from /etc/hosts") {
  auto a = ok("10.0.0.1", false);
  CHECK(a.port_lo == 0);
  auto p = ok("10.0.0.1:+5", false);
  CHECK(p.port_offset);
  CHECK(p.offset == 5);
  auto m = ok("10.0.0.1:-3", false);
  CHECK(m.offset == -3);
  CHECK(err(":+5", true) == "port offset not permitted here in ':+5'");
  // Server names resolve at load, as in haproxy: this needs "localhost" in /etc/hosts.
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  const bool resolves = getaddrinfo("localhost", nullptr, &hints, &res) == 0;
  if (res) freeaddrinfo(res);
  REQUIRE_MESSAGE(resolves, "this machine does not resolve 'localhost' (add '127.0.0.1 localhost' to /etc/hosts)");
  CHECK(ok("localhost:80", false).family() != 0);
}

TEST_CASE("errors in HAProxy's words") {
  CHECK(err("1.2.3.4", true) == "missing port specification in '1.2.3.4'");
  CHECK(err(":0", true) == "invalid port '0'");
  CHECK(err(":99999", true) == "invalid port '99999'");
  CHECK(err("1.2.3.4:x", false) == "invalid character 'x' in port number 'x' in '1.2.3.4:x'");
  CHECK(err("999.1.1.1:80", true) == "invalid address: '999.1.1.1' in '999.1.1.1:80'");
}

TEST_CASE("$NAME and ${NAME} are expanded in addresses even unquoted, as HAProxy") {
  ::setenv("PT_ADDR_PORT", "8089", 1);
  auto r = parse_address(":$PT_ADDR_PORT", true);
  REQUIRE(r.address);
  CHECK(r.address->port_lo == 8089);
  r = parse_address("127.0.0.1:${PT_ADDR_PORT}", true);
  REQUIRE(r.address);
  CHECK(r.address->port_lo == 8089);
  ::unsetenv("PT_ADDR_PORT");
}
