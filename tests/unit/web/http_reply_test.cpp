// Framing of the page's answers: HAProxy's header order, chunked HTTP/1.1, content-length for
// HTTP/1.0 clients (see http_reply.h for why), HEAD without body.
#include <doctest/doctest.h>

#include "web/http_reply.h"

using namespace portero;
using namespace portero::web;

namespace {
stats::PageRequest req(const char* method, bool http10, bool keep_alive) {
  stats::PageRequest r;
  r.method = method;
  r.http10 = http10;
  r.keep_alive = keep_alive;
  return r;
}
}  // namespace

TEST_CASE("HTTP/1.1 keep-alive: chunked, one chunk in upper-case hex") {
  CHECK(ok_reply(req("GET", false, true), "text/plain", 5, std::string(3154, 'x')) ==
        "HTTP/1.1 200 OK\r\ncache-control: no-cache\r\ncontent-type: text/plain\r\nrefresh: 5\r\n"
        "transfer-encoding: chunked\r\n\r\nC52\r\n" + std::string(3154, 'x') + "\r\n0\r\n\r\n");
}

TEST_CASE("HTTP/1.1 close: connection: close after the framing") {
  CHECK(ok_reply(req("GET", false, false), "text/html", std::nullopt, "ab") ==
        "HTTP/1.1 200 OK\r\ncache-control: no-cache\r\ncontent-type: text/html\r\ntransfer-encoding: chunked\r\n"
        "connection: close\r\n\r\n2\r\nab\r\n0\r\n\r\n");
}

TEST_CASE("HTTP/1.0: the connection mode first, then content-length") {
  CHECK(ok_reply(req("GET", true, false), "text/plain", 5, "abc") ==
        "HTTP/1.1 200 OK\r\ncache-control: no-cache\r\ncontent-type: text/plain\r\nrefresh: 5\r\nconnection: close\r\n"
        "content-length: 3\r\n\r\nabc");
  CHECK(ok_reply(req("GET", true, true), "text/plain", std::nullopt, "") ==
        "HTTP/1.1 200 OK\r\ncache-control: no-cache\r\ncontent-type: text/plain\r\nconnection: keep-alive\r\n"
        "content-length: 0\r\n\r\n");
}

TEST_CASE("HEAD: headers only, no framing header") {
  CHECK(ok_reply(req("HEAD", false, true), "text/html", 5, "body") ==
        "HTTP/1.1 200 OK\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nrefresh: 5\r\n\r\n");
  CHECK(ok_reply(req("HEAD", true, false), "text/html", 5, "body") ==
        "HTTP/1.1 200 OK\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nrefresh: 5\r\nconnection: close\r\n\r\n");
}

TEST_CASE("303 See Other") {
  CHECK(see_other_reply(req("POST", false, false), "/stats;st=ERRP") ==
        "HTTP/1.1 303 See Other\r\ncache-control: no-cache\r\ncontent-type: text/plain\r\ncontent-length: 0\r\n"
        "location: /stats;st=ERRP\r\nconnection: close\r\n\r\n");
  CHECK(see_other_reply(req("POST", true, true), "/x") ==
        "HTTP/1.1 303 See Other\r\ncache-control: no-cache\r\ncontent-type: text/plain\r\ncontent-length: 0\r\n"
        "location: /x\r\nconnection: keep-alive\r\n\r\n");
}
