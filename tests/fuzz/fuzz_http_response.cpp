// Arbitrary bytes from an HTTP/1 server through portero's data plane (proxy_harness.h): the
// response parser (status line, headers, framing: length, chunked, close-delimited, 1xx
// interim responses, bodiless responses to HEAD), the http-response rules of a fixed config
// (set-header, replace-header, replace-value, del-header, add-header, set-status, deny,
// redirect, capture), the persistence cookie insertion, and the head serialised to the
// client, which must parse with portero's own parser.
// Byte 0 picks the request the client sends (GET, HEAD, a POST with a body, with the
// persistence cookie or not); the rest is the server's answer, after which it closes.
#include <string>

#include "proxy_harness.h"

namespace {

const char* const kRequests[] = {
    "GET /r HTTP/1.1\r\nHost: a.test\r\n\r\n",
    "HEAD /r HTTP/1.1\r\nHost: a.test\r\n\r\n",
    "POST /api/x?y=1 HTTP/1.1\r\nHost: a.test\r\nContent-Length: 5\r\nCookie: SERVERID=s1\r\n\r\nhello",
    "GET /r HTTP/1.0\r\nUser-Agent: fuzz\r\n\r\n",
    "GET /r HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx",
    "GET /r HTTP/1.1\r\nHost: a.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzzproxy::start(fuzzproxy::kHttpConfig);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 32768) return -1;
  const size_t which = data[0] % (sizeof kRequests / sizeof kRequests[0]);
  fuzzproxy::Exchange x;
  x.client_bytes = kRequests[which];
  x.server_response.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  x.server_closes = true;
  fuzzproxy::Outcome o = fuzzproxy::run(x);
  fuzzproxy::check_parses(o.answer, false, which == 1, "the response the client received");
  return 0;
}
