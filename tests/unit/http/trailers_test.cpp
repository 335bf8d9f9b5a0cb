// Trailers of a chunked body stay body bytes: found by fuzz_http_request (tests/fuzz), where a
// request whose head, last chunk and trailers arrived in one read was forwarded with its
// trailer fields added to the head, after the http-request rules had seen them as headers.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "portero/http/parser.h"

using namespace portero::http;

namespace {

std::vector<std::string> names(const std::string& buf, const Head& h) {
  std::vector<std::string> out;
  for (uint16_t i = 0; i < h.count; ++i) out.emplace_back(h.headers[i].name.in(buf.data()));
  return out;
}

}  // namespace

TEST_CASE("trailers arriving with the head are not indexed as headers of the head") {
  const std::string head = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string body = "3\r\nabc\r\n0\r\nX-Trailer: v\r\nHost: evil\r\n\r\n";
  for (Parser::Kind kind : {Parser::Kind::request, Parser::Kind::response}) {
    const std::string buf = (kind == Parser::Kind::request ? head : "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n") + body;
    // Only two header slots: a trailer indexed anyway would also overflow them.
    Header slots[2];
    Parser p(kind);
    p.begin(buf.data(), 0, slots, 2);
    FeedResult r = p.feed(0, static_cast<uint32_t>(buf.size()));
    CHECK(r.status == ParseStatus::complete);
    CHECK(r.end == buf.size());
    const auto n = names(buf, p.head());
    if (kind == Parser::Kind::request) CHECK(n == std::vector<std::string>{"Host", "Transfer-Encoding"});
    else CHECK(n == std::vector<std::string>{"Transfer-Encoding"});
    const Header* host = p.head().find(buf.data(), "host");
    if (kind == Parser::Kind::request) {
      REQUIRE(host);
      CHECK(host->value.in(buf.data()) == "x");
    }
  }
}

TEST_CASE("trailers fed byte by byte after the head leave the head as it was") {
  const std::string buf =
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nCookie: a=b\r\nX-T: 1\r\n\r\n";
  Header slots[8];
  Parser p(Parser::Kind::request);
  p.begin(buf.data(), 0, slots, 8);
  FeedResult r{ParseStatus::more, 0};
  for (uint32_t at = 0; at < buf.size() && r.status == ParseStatus::more; ++at) r = p.feed(at, at + 1);
  CHECK(r.status == ParseStatus::complete);
  CHECK(names(buf, p.head()) == std::vector<std::string>{"Host", "Transfer-Encoding"});
}
