// Expected bytes were captured from Debian's haproxy 2.6.12 (python raw sockets, one request per
// connection):
//  * stream form: `listen` sections with `http-request deny deny_status N` for every status,
//    `GET / HTTP/1.1\r\nHost: x\r\n\r\n`; the real causes give the same bytes: 503 from a
//    backend without servers and from a refused connect (`retries 0`), 504 from a server that
//    accepts and never answers (`timeout server 1s`), 502 from a server answering "garbage",
//    403 from a plain `http-request deny`;
//  * closing stream form: the same requests with `Connection: close`, or in HTTP/1.0;
//  * connection form: 400 from `GET / HTTP/1.1\r\nBad Header\r\n\r\n` (also bad Content-Length,
//    Transfer-Encoding: gzip, a 20 kB header), 408 from an incomplete request and
//    `timeout http-request 1s`; an `errorfile 400` was NOT used for the parse error.
//  * errorfile: `errorfile 503 e503.http` with mixed-case headers and `Connection: close` came
//    back with lower-case names and without the Connection header.
#include <doctest/doctest.h>

#include <string>

#include "portero/http/error_pages.h"

using portero::http::error_response;
using portero::http::ErrorLevel;
using portero::http::normalize_errorfile;

namespace {

// Checks the head/body split and that content-length matches the body.
void check_framing(std::string_view r) {
  auto end = r.find("\r\n\r\n");
  REQUIRE(end != std::string_view::npos);
  std::string head(r.substr(0, end));
  std::string_view body = r.substr(end + 4);
  std::string lower;
  for (char c : head) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto cl = lower.find("content-length: ");
  REQUIRE(cl != std::string::npos);
  CHECK(std::stoul(lower.substr(cl + 16)) == body.size());
}

}  // namespace

TEST_SUITE("error pages") {

TEST_CASE("stream form, as captured from haproxy 2.6.12") {
  const std::pair<int, std::string_view> captured[] = {
      {200, "HTTP/1.1 200 OK\r\ncontent-length: 58\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>200 OK</h1>\nService ready.\n</body></html>\n"},
      {401, "HTTP/1.1 401 Unauthorized\r\ncontent-length: 112\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n"},
      {403, "HTTP/1.1 403 Forbidden\r\ncontent-length: 93\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n"},
      {404, "HTTP/1.1 404 Not Found\r\ncontent-length: 83\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>404 Not Found</h1>\nThe resource could not be found.\n</body></html>\n"},
      {405, "HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 146\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>405 Method Not Allowed</h1>\nA request was made of a resource using a request method not supported by that resource\n</body></html>\n"},
      {407, "HTTP/1.1 407 Unauthorized\r\ncontent-length: 112\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>407 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n"},
      {410, "HTTP/1.1 410 Gone\r\ncontent-length: 114\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>410 Gone</h1>\nThe resource is no longer available and will not be available again.\n</body></html>\n"},
      {413, "HTTP/1.1 413 Payload Too Large\r\ncontent-length: 106\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>413 Payload Too Large</h1>\nThe request entity exceeds the maximum allowed.\n</body></html>\n"},
      {421, "HTTP/1.1 421 Misdirected Request\r\ncontent-length: 104\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>421 Misdirected Request</h1>\nRequest sent to a non-authoritative server.\n</body></html>\n"},
      {422, "HTTP/1.1 422 Unprocessable Content\r\ncontent-length: 116\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>422 Unprocessable Content</h1>\nThe server cannot process the contained instructions.\n</body></html>\n"},
      {425, "HTTP/1.1 425 Too Early\r\ncontent-length: 80\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>425 Too Early</h1>\nYour browser sent early data.\n</body></html>\n"},
      {429, "HTTP/1.1 429 Too Many Requests\r\ncontent-length: 117\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>429 Too Many Requests</h1>\nYou have sent too many requests in a given amount of time.\n</body></html>\n"},
      {500, "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 97\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>500 Internal Server Error</h1>\nAn internal server error occurred.\n</body></html>\n"},
      {501, "HTTP/1.1 501 Not Implemented\r\ncontent-length: 136\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>501 Not Implemented</h1>\n.The server does not support the functionality required to fulfill the request.\n</body></html>\n"},
      {502, "HTTP/1.1 502 Bad Gateway\r\ncontent-length: 107\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>502 Bad Gateway</h1>\nThe server returned an invalid or incomplete response.\n</body></html>\n"},
      {503, "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 107\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n"},
      {504, "HTTP/1.1 504 Gateway Time-out\r\ncontent-length: 92\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>504 Gateway Time-out</h1>\nThe server didn't respond in time.\n</body></html>\n"},
  };
  for (const auto& [status, bytes] : captured) {
    CAPTURE(status);
    CHECK(error_response(status) == bytes);
    CHECK(error_response(status, nullptr, ErrorLevel::stream, false) == bytes);
    check_framing(error_response(status));
  }
}

TEST_CASE("stream form of 400 and 408 (deny_status) always closes") {
  CHECK(error_response(400, nullptr, ErrorLevel::stream, false) ==
        "HTTP/1.1 400 Bad request\r\ncontent-length: 90\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n");
  CHECK(error_response(408, nullptr, ErrorLevel::stream, false) ==
        "HTTP/1.1 408 Request Time-out\r\ncontent-length: 110\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n<html><body><h1>408 Request Time-out</h1>\nYour browser didn't send a complete request in time.\n</body></html>\n");
}

TEST_CASE("closing stream form") {
  // 503 after a refused connect, client sent HTTP/1.0 or Connection: close (same bytes).
  CHECK(error_response(503, nullptr, ErrorLevel::stream, true) ==
        "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 107\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n");
  // 403 from `http-request deny` with Connection: close.
  CHECK(error_response(403, nullptr, ErrorLevel::stream, true) ==
        "HTTP/1.1 403 Forbidden\r\ncontent-length: 93\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n");
}

TEST_CASE("connection form: parse error and request timeout") {
  const std::string_view bad_request =
      "HTTP/1.1 400 Bad request\r\nContent-length: 90\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n";
  const std::string_view timeout =
      "HTTP/1.1 408 Request Time-out\r\nContent-length: 110\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n<html><body><h1>408 Request Time-out</h1>\nYour browser didn't send a complete request in time.\n</body></html>\n";
  CHECK(error_response(400) == bad_request);
  CHECK(error_response(408) == timeout);
  CHECK(error_response(400, nullptr, ErrorLevel::connection, false) == bad_request);
  // 422 for `Transfer-Encoding: gzip, chunked` (Debian's 2.6.12): no Connection header.
  CHECK(error_response(422, nullptr, ErrorLevel::connection, false) ==
        "HTTP/1.1 422 Unprocessable Content\r\nContent-length: 116\r\nCache-Control: no-cache\r\nContent-Type: text/html\r\n\r\n<html><body><h1>422 Unprocessable Content</h1>\nThe server cannot process the contained instructions.\n</body></html>\n");
  check_framing(error_response(400));
  check_framing(error_response(408));
}

TEST_CASE("errorfile overrides the stream form only") {
  portero::config::Proxy px;
  px.errorfiles[503] = "HTTP/1.0 503 Custom Unavail\r\ncache-control: no-cache\r\n\r\ncustom\n";
  px.errorfiles[400] = "HTTP/1.0 400 Custom\r\n\r\nx";
  CHECK(error_response(503, &px) == px.errorfiles[503]);
  CHECK(error_response(503, &px, ErrorLevel::stream, true) == px.errorfiles[503]);
  CHECK(error_response(504, &px) == error_response(504));
  // haproxy 2.6.12 answered a parse error with the built-in page despite `errorfile 400`.
  CHECK(error_response(400, &px).substr(0, 24) == "HTTP/1.1 400 Bad request");
  CHECK(error_response(400, &px, ErrorLevel::stream, false) == px.errorfiles[400]);
}

TEST_CASE("normalize_errorfile") {
  // The file as written, and what haproxy 2.6.12 sent for it.
  CHECK(normalize_errorfile("HTTP/1.0 503 Custom Unavail\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\nX-Custom: Yes\r\n\r\n<html>custom 503</html>\n") ==
        "HTTP/1.0 503 Custom Unavail\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nx-custom: Yes\r\n\r\n<html>custom 503</html>\n");
  CHECK(normalize_errorfile("HTTP/1.1 503 X\nContent-Length: 2\n\nab") ==
        "HTTP/1.1 503 X\r\ncontent-length: 2\r\n\r\nab");
  CHECK(normalize_errorfile("not http") == "not http");
}

TEST_CASE("unknown status gets a generic page of that status") {
  auto r = error_response(418);
  CHECK(r.substr(0, 30) == "HTTP/1.1 418 Client Error\r\ncon");
  check_framing(r);
  CHECK(error_response(418).data() == r.data());   // built once, then reused
  check_framing(error_response(599, nullptr, ErrorLevel::connection, false));
}

}  // TEST_SUITE
