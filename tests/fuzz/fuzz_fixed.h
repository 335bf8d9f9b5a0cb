#pragma once
// A fixed HTTP request (parsed by portero's own http::Parser), client and frontend addresses,
// variables and a response: what the expression, ACL and log-format targets evaluate against,
// so that a fetch finds something to read (headers, cookies, query, body, addresses).
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "portero/acl/acl.h"
#include "portero/http/parser.h"

namespace fuzzfixed {

inline constexpr const char kRequest[] =
    "POST /p/a%20th/x.php?a=1&b=%41%zz&c&=d&a=2 HTTP/1.1\r\n"
    "Host: www.example.test:8080\r\n"
    "User-Agent: fuzz/1.0 (X11; Linux)\r\n"
    "Cookie: SERVERID=s1; lang=en; empty=; =v;x\r\n"
    "Cookie: second=2\r\n"
    "X-Forwarded-For: 10.1.2.3, 192.168.0.1\r\n"
    "X-Forwarded-For: 2001:db8::1\r\n"
    "Authorization: Basic dXNlcjpwYXNz\r\n"
    "Accept: text/html, application/json;q=0.9, */*;q=0.1\r\n"
    "Content-Type: application/x-www-form-urlencoded\r\n"
    "X-Num: -42\r\n"
    "X-Empty:\r\n"
    "Content-Length: 15\r\n"
    "\r\n"
    "a=1&b=%41&c=x+y";

inline constexpr const char kResponse[] =
    "HTTP/1.1 302 Found\r\n"
    "Location: http://www.example.test/next?x=1\r\n"
    "Set-Cookie: SERVERID=s2; path=/\r\n"
    "Set-Cookie: sess=abc; HttpOnly\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "Cache-Control: no-cache\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

struct Fixed {
  std::string req_buf = kRequest, res_buf = kResponse;
  portero::http::Header req_slots[64], res_slots[64];
  portero::http::Head req, res;
  sockaddr_in src{}, dst{};
  sockaddr_in6 src6{};
  portero::acl::VarStore vars;

  Fixed() {
    parse(portero::http::Parser::Kind::request, req_buf, req_slots, req);
    parse(portero::http::Parser::Kind::response, res_buf, res_slots, res);
    src.sin_family = dst.sin_family = AF_INET;
    inet_pton(AF_INET, "192.0.2.7", &src.sin_addr);
    src.sin_port = htons(40000);
    inet_pton(AF_INET, "198.51.100.1", &dst.sin_addr);
    dst.sin_port = htons(8080);
    src6.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "2001:db8::7", &src6.sin6_addr);
    src6.sin6_port = htons(40001);
  }

  static void parse(portero::http::Parser::Kind kind, const std::string& buf, portero::http::Header* slots,
                    portero::http::Head& out) {
    portero::http::Parser p(kind);
    p.begin(buf.data(), 0, slots, 64);
    auto r = p.feed(0, uint32_t(buf.size()));
    if (r.status != portero::http::ParseStatus::complete || !p.head_done()) std::abort();
    out = p.head();
  }

  // A context for proxy 0 (frontend) and proxy `backend` of `cfg`. `v6`: the client is IPv6.
  portero::acl::SampleContext context(const portero::config::Config& cfg, int backend, bool v6, bool response) {
    vars.clear();
    vars.set_str("txn.user", "alice");
    vars.set_int("txn.n", 7);
    vars.set_str("sess.path", "/p/a th");
    portero::acl::SampleContext c;
    c.src = v6 ? reinterpret_cast<const sockaddr*>(&src6) : reinterpret_cast<const sockaddr*>(&src);
    c.dst = reinterpret_cast<const sockaddr*>(&dst);
    c.request = &req;
    c.base = req_buf.data();
    c.body = std::string_view(req_buf).substr(req.length);
    c.body_complete = true;
    c.config = &cfg;
    c.frontend = &cfg.proxies[0];
    c.backend = &cfg.proxies[size_t(backend)];
    c.vars = &vars;
    if (response) {
      c.response = &res;
      c.response_base = res_buf.data();
    }
    c.so_id = 1;
    c.so_name = "fuzzbind";
    return c;
  }
};

}  // namespace fuzzfixed
