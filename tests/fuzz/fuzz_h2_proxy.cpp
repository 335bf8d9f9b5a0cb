// An HTTP/2 client through the whole proxy (proxy_harness.h): the client's preface on a clear
// mode http bind hands the connection to H2Conn (the codec, http/h2_server), each stream
// becomes a session through H2Stream, which writes its request as HTTP/1 for the session (the
// http-request rules of the fixed config, the server's head) and parses the session's HTTP/1
// response back into an HTTP/2 head and DATA for the codec.
//
// Byte 0: bits 0-3 pick what the server answers to every request (kResponses 0-11; 15: a
// body larger than a buffer and the client's window; 12-14: the input carries it, below); bit 4: the server closes after its answer; bit 5: the client
// does not end with GOAWAY (its streams end by themselves or by the proxy's timeouts); bit 6:
// the client half-closes after sending, which ends an HTTP/2 connection and its streams.
// A carried response: bytes 1-2 its length (big-endian), then the response. The rest: what the
// client sends after the preface (the target writes it: the fuzzer works on frames), followed
// by a GOAWAY(NO_ERROR) that tells the proxy to close once its streams are done, unless bit 5.
//
// Checks: every request the server receives parses as HTTP/1 (the harness, per connection);
// the client's bytes are HTTP/2 a conforming client accepts (h2_answer_check.h); the proxy
// closes within the harness's 15 s; and ASan/UBSan/LSan, over the codec, the bridge, the
// sessions and the pooled buffers they pass around.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

#include "h2_answer_check.h"
#include "proxy_harness.h"

namespace {

struct Response {
  const char* bytes;
  bool closes;   // close-delimited: the server must close for the response to end
};

// Sizes, framings and statuses the bridge maps differently (RFC 9113 8.1, 8.3).
const Response kResponses[] = {
    {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\nSet-Cookie: a=1; Domain=x.test\r\n"
     "Connection: keep-alive\r\n\r\nhello",
     false},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n"
     "X-T: t\r\n\r\n",
     false},
    {"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\na body delimited by the close", true},
    {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
     "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
     false},
    {"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
     "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81\x02hi",
     false},
    {"HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n", false},
    {"HTTP/1.1 2000 Bad\r\nContent-Length: x\r\n\r\n", false},
    {"HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\nETag: \"e\"\r\n\r\n", false},
    {"HTTP/1.1 500 Oops\r\nContent-Length: 3\r\nCache-Control: private\r\nServer: s\r\n\r\nbad", false},
    {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-Deny: 1\r\n\r\nno!", false},
    {"HTTP/1.0 418 Teapot\r\nLocation: /tea\r\n\r\nshort and stout", true},
    {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", true},   // cut: the server closes early
};
constexpr size_t kFixed = sizeof kResponses / sizeof kResponses[0];

std::string large_response() {   // more than a buffer and the client's initial window
  std::string body(70000, 'b');
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Two findings of this target (findings/README.md: a connection the proxy did not close by
// itself once its timeouts had passed, and the response-side redirect reading the request's
// head after its buffer was given back) are fixed and checked by default.
// FUZZ_H2_PROXY_LENIENT=1 leaves both checks out, to look for something else past a regression.
const bool strict = std::getenv("FUZZ_H2_PROXY_LENIENT") == nullptr;

std::string config() {
  // Short timeouts: a stream whose request never ends waits for them, and with many such
  // inputs the 2 s of the HTTP/1 targets would make the fuzzer crawl. One that fires early on a
  // loaded machine only takes another path (a 408, 504 or reset): every check still holds.
  std::string c = fuzzproxy::kHttpConfig;
  for (auto [from, to] : {std::pair{"timeout client 2s", "timeout client 100ms"},
                          std::pair{"timeout server 2s", "timeout server 200ms"},
                          std::pair{"timeout http-request 2s", "timeout http-request 100ms"}}) {
    const size_t p = c.find(from);
    if (p != std::string::npos) c.replace(p, std::string_view(from).size(), to);
  }
  if (!strict) {
    const std::string_view rule = "  http-response redirect location /elsewhere if { status 418 }\n";
    const size_t p = c.find(rule);
    if (p != std::string::npos) c.erase(p, rule.size());
  }
  return c;
}

[[noreturn]] void fuzz_fail(const char* what) {
  std::fprintf(stderr, "fuzz harness: %s\n", what);
  std::abort();
}

const char kPreface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const char kGoaway[] = "\x00\x00\x08\x07\x00\x00\x00\x00\x00" "\x00\x00\x00\x00" "\x00\x00\x00\x00";

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzzproxy::start(config());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 40000) return -1;
  const uint8_t ctl = data[0];
  const char* p = reinterpret_cast<const char*>(data) + 1;
  size_t left = size - 1;

  fuzzproxy::Exchange x;
  const size_t pick = ctl & 0x0f;
  if (pick < kFixed) {
    x.server_response = kResponses[pick].bytes;
    x.server_closes = kResponses[pick].closes;
  } else if (pick == 15) {
    x.server_response = large_response();
  } else {
    if (left < 2) return -1;
    const size_t n = std::min(left - 2, size_t(uint8_t(p[0])) << 8 | uint8_t(p[1]));
    x.server_response.assign(p + 2, n);
    p += 2 + n;
    left -= 2 + n;
  }
  if (ctl & 0x10) x.server_closes = true;
  x.client_bytes = kPreface;
  x.client_bytes.append(p, left);
  if (!(ctl & 0x20)) x.client_bytes.append(kGoaway, sizeof kGoaway - 1);
  x.client_keeps_open = !(ctl & 0x40);
  // Past every timeout of the config (100-200 ms) with nothing moving, the proxy should have
  // closed; a FIN then ends the connection, so that the fuzzer goes on (see `strict`).
  x.client_fin_after_quiet_ms = 600;

  const fuzzproxy::Outcome o = fuzzproxy::run(x);
  // FUZZ_H2_PROXY_TRACE=1: what each input did (replaying seeds or a reproducer).
  static const bool trace = std::getenv("FUZZ_H2_PROXY_TRACE") != nullptr;
  if (trace)
    std::fprintf(stderr, "fuzz_h2_proxy: ctl %02x, %d requests to the server (%zu bytes), %zu bytes to the client%s\n",
                 ctl, o.requests, o.forwarded.size(), o.answer.size(), o.quiet_fin ? ", closed by a quiet FIN" : "");
  if (o.quiet_fin && strict)
    fuzz_fail("the proxy held a quiet HTTP/2 connection past its timeouts (closed by the client's FIN)");
  fuzzh2::check_answer(o.answer);
  return 0;
}
