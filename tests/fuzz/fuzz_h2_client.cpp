// Bytes from an HTTP/2 server into the client codec (http::h2::Client), after three requests
// were submitted (ids 1, 3, 5: a GET, a POST whose body the owner serves in pieces, a HEAD), as
// the proxy's HTTP/2 server connection would.
//
// Byte 0: bit 0 prepends a valid server preface (empty SETTINGS + SETTINGS ACK); bit 1 never
// consumes response bodies (the window stays shut); bit 2 resets stream 3 from the owner once
// its head came; bit 3 submits a fourth request from inside the first response head; bit 4
// calls shutdown_notice halfway. Byte 1: the size of the chunks the rest is fed in (1..256).
//
// Checks: per stream, events come in order (heads, data*, trailers?, end) and closed comes
// exactly once, last; nothing after it; a final head comes once, interim heads only before it;
// the head's spans lie inside its block; after feed() fails, it keeps failing.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "portero/http/h2_client.h"
#include "portero/http/parser.h"

using namespace portero::http;
using namespace portero::http::h2;

namespace {

#define FUZZ_CHECK(c)                                                      \
  do {                                                                     \
    if (!(c)) {                                                            \
      std::fprintf(stderr, "check failed: %s (line %d)\n", #c, __LINE__); \
      std::abort();                                                        \
    }                                                                      \
  } while (0)

struct Request {
  std::string text;
  Header slots[16];
  Parser parser{Parser::Kind::request};
  explicit Request(const char* t) : text(t) {
    parser.begin(text.data(), 0, slots, 16);
    parser.feed(0, uint32_t(text.size()));
  }
};

struct Owner : ClientOwner {
  struct St {
    int phase = 0;   // 0 submitted, 1 final head, 2 trailers, 3 ended, 4 closed
    size_t sent = 0;
  };
  std::map<int32_t, St> st;
  Client* c = nullptr;
  uint8_t flags = 0;
  Request* extra = nullptr;
  bool extra_sent = false;
  std::string body = std::string(40000, 'b');

  void spans_inside(const Head& h, const char* base) {
    (void)base;
    for (uint16_t i = 0; i < h.count; ++i) {
      FUZZ_CHECK(h.headers[i].name.len < 70000 && h.headers[i].value.len < 70000);
      volatile char x = 0;
      for (uint32_t k = 0; k < h.headers[i].name.len; ++k) x = char(x ^ base[h.headers[i].name.off + k]);
      for (uint32_t k = 0; k < h.headers[i].value.len; ++k) x = char(x ^ base[h.headers[i].value.off + k]);
    }
  }
  void on_response_head(int32_t id, const Head& h, const char* base, bool) override {
    FUZZ_CHECK(st.count(id));
    St& s = st[id];
    FUZZ_CHECK(s.phase == 0);
    FUZZ_CHECK(h.status >= 100 && h.status <= 999);
    spans_inside(h, base);
    if (h.status >= 200) s.phase = 1;
    if ((flags & 4) && id == 3 && s.phase == 1) c->reset(3, cancel);
    if ((flags & 8) && !extra_sent && extra) {
      extra_sent = true;
      const int32_t n = c->submit_request(extra->parser.head(), extra->text.data(), true);
      if (n > 0) st[n];
    }
  }
  void on_response_data(int32_t id, const char* p, size_t n) override {
    FUZZ_CHECK(st.count(id));
    FUZZ_CHECK(st[id].phase == 1);
    volatile char x = 0;
    for (size_t k = 0; k < n; ++k) x = char(x ^ p[k]);
    if (!(flags & 2)) c->consumed(id, n);
  }
  void on_response_trailers(int32_t id, const Head& t, const char* base) override {
    FUZZ_CHECK(st.count(id));
    FUZZ_CHECK(st[id].phase == 1);
    spans_inside(t, base);
    st[id].phase = 2;
  }
  void on_response_end(int32_t id) override {
    FUZZ_CHECK(st.count(id));
    FUZZ_CHECK(st[id].phase == 1 || st[id].phase == 2);
    st[id].phase = 3;
  }
  void on_stream_closed(int32_t id, uint32_t) override {
    FUZZ_CHECK(st.count(id));
    FUZZ_CHECK(st[id].phase != 4);
    st[id].phase = 4;
  }
  size_t request_data(int32_t id, char* out, size_t cap, bool& eof, bool&) override {
    FUZZ_CHECK(st.count(id));
    FUZZ_CHECK(st[id].phase != 4);
    St& s = st[id];
    const size_t n = std::min({cap, size_t(1000), body.size() - s.sent});
    std::memcpy(out, body.data() + s.sent, n);
    s.sent += n;
    eof = s.sent == body.size();
    return n;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t flags = data[0];
  const size_t chunk = size_t(data[1]) + 1;
  data += 2;
  size -= 2;
  Owner owner;
  owner.flags = flags;
  Settings settings;
  Client client(owner, settings);
  owner.c = &client;
  Request get("GET /a HTTP/1.1\r\nHost: h\r\nTE: trailers\r\n\r\n");
  Request post("POST http://h/up HTTP/1.1\r\nHost: h\r\nContent-Length: 40000\r\n\r\n");
  Request head("HEAD /h HTTP/1.1\r\nHost: h\r\n\r\n");
  Request extra("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
  owner.extra = &extra;
  for (auto [r, end] : {std::pair{&get, true}, std::pair{&post, false}, std::pair{&head, true}}) {
    const int32_t id = client.submit_request(r->parser.head(), r->text.data(), end);
    FUZZ_CHECK(id > 0);
    owner.st[id];
  }
  char out[16384];
  while (client.fill_output(out, sizeof out) > 0) {
  }
  std::string input;
  if (flags & 1) input.append("\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x04\x01\x00\x00\x00\x00", 18);
  input.append(reinterpret_cast<const char*>(data), size);
  bool failed = false;
  for (size_t off = 0; off < input.size(); off += chunk) {
    const size_t n = std::min(chunk, input.size() - off);
    const bool ok = client.feed(input.data() + off, n);
    if (failed) FUZZ_CHECK(!ok);
    failed = failed || !ok;
    while (client.fill_output(out, sizeof out) > 0) {
    }
    if ((flags & 16) && off >= input.size() / 2 && off < input.size() / 2 + chunk) client.shutdown_notice();
    (void)client.can_open();
    (void)client.open_streams();
  }
  return 0;
}
