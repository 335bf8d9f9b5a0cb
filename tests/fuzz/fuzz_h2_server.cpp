// Bytes from an HTTP/2 client into the server codec (http::h2::Server), whose owner answers
// every request with a small response (a body pulled in pieces, sometimes paused, sometimes
// with trailers), as the proxy's HTTP/2 client connection will.
//
// Byte 0: bit 0 prepends a valid preface + empty SETTINGS (else the bytes are the whole
// stream, preface included or not); bit 1 refuses every third stream; bit 2 gives a small
// HeadRoom (overflow paths); bit 3 never consumes request bodies (flow control stalls); bit 4
// answers with trailers; bit 5 pauses each body once (resumed with the next chunk); bit 6
// calls shutdown_notice halfway; bit 7 resets every fourth stream from the owner.
// Byte 1: the size of the chunks the rest is fed in (1..256); its high nibble, when not 0,
// also sets every abuse limit low (rates of 1..15 a second, a header list limit of 256 bytes
// per step) on a clock that moves 250 ms per chunk, so that the limits trip and their windows
// roll over.
//
// Checks: per stream, the events come in order (open, head, data*, end, closed), closed
// exactly once for every accepted stream (terminate() at the end closes the rest), nothing
// about a stream after its close, no body pull for a stream without a response; the head's
// spans lie inside the owner's room. The room is freed at on_stream_closed, so a codec that
// still touched it would be caught by AddressSanitizer. A connection an abuse limit tripped
// has failed: feed() refuses more, and it is done() once its output is out.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>

#include "portero/http/h2_server.h"

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

// A response head as the proxy would hold one from an HTTP/1 server: hop-by-hop fields
// included, which the codec must drop.
const char kRespBase[] = "Content-Typetext/plainConnectionkeep-alive, X-HopX-Hop1Transfer-Encodingchunked";
Header resp_fields[] = {
    {{0, 12}, {12, 10}},   // Content-Type: text/plain
    {{22, 10}, {32, 17}},  // Connection: keep-alive, X-Hop
    {{49, 5}, {54, 1}},    // X-Hop: 1
    {{55, 17}, {72, 7}},   // Transfer-Encoding: chunked
};
const char kTrailerBase[] = "grpc-status0";
Header trailer_fields[] = {{{0, 11}, {11, 1}}};

struct Owner : ServerOwner {
  struct St {
    int phase = 0;   // 0 open, 1 head, 2 ended, 3 closed
    bool answered = false, paused = false;
    size_t sent = 0;
    std::unique_ptr<char[]> block;
    std::unique_ptr<Header[]> slots;
    uint32_t cap = 0;
    uint16_t max = 0;
    size_t unconsumed = 0;
  };
  std::map<int32_t, St> st;
  Server* srv = nullptr;
  uint8_t flags = 0;
  int opened = 0;
  std::string body = "hello, h2 world: a small body";

  bool on_stream_open(int32_t id, HeadRoom& room) override {
    FUZZ_CHECK(id > 0 && (id & 1));
    FUZZ_CHECK(!st.count(id));
    ++opened;
    if ((flags & 2) && opened % 3 == 0) return false;
    St& s = st[id];
    s.cap = (flags & 4) ? 64 : 4096;
    s.max = (flags & 4) ? 3 : 64;
    s.block.reset(new char[s.cap]);
    s.slots.reset(new Header[s.max]);
    room = HeadRoom{s.block.get(), s.cap, s.slots.get(), s.max};
    return true;
  }
  void on_request_head(int32_t id, const Head& h, const char* base, bool) override {
    St& s = at(id);
    FUZZ_CHECK(s.phase == 0);
    s.phase = 1;
    FUZZ_CHECK(base == s.block.get());
    FUZZ_CHECK(h.count <= s.max && h.headers == s.slots.get());
    FUZZ_CHECK(h.major == 2);
    for (const Span* sp : {&h.method, &h.target, &h.scheme, &h.authority, &h.protocol})
      FUZZ_CHECK(uint64_t(sp->off) + sp->len <= s.cap);
    for (uint16_t i = 0; i < h.count; ++i) {
      FUZZ_CHECK(uint64_t(h.headers[i].name.off) + h.headers[i].name.len <= s.cap);
      FUZZ_CHECK(uint64_t(h.headers[i].value.off) + h.headers[i].value.len <= s.cap);
      FUZZ_CHECK(!h.headers[i].name.empty());
    }
    FUZZ_CHECK(!h.method.empty());
    if ((flags & 128) && id % 8 == 7) {
      srv->reset(id, ErrorCode::cancel);
      return;
    }
    Head r;
    r.status = 200;
    r.headers = resp_fields;
    r.count = 4;
    s.answered = srv->submit_response(id, r, kRespBase, h.method_id == Method::head);
    if (s.answered && (flags & 16) && h.method_id != Method::head) {
      Head t;
      t.headers = trailer_fields;
      t.count = 1;
      FUZZ_CHECK(srv->submit_trailers(id, t, kTrailerBase));
    }
  }
  void on_request_data(int32_t id, const char*, size_t n) override {
    St& s = at(id);
    FUZZ_CHECK(s.phase == 1);
    if (flags & 8) {
      s.unconsumed += n;
      return;
    }
    srv->consumed(id, n);
  }
  void on_request_end(int32_t id) override {
    St& s = at(id);
    FUZZ_CHECK(s.phase == 1);
    s.phase = 2;
  }
  void on_stream_closed(int32_t id, uint32_t) override {
    St& s = at(id);
    FUZZ_CHECK(s.phase < 3);
    s.phase = 3;
    s.block.reset();   // the codec must not read the room any more
    s.slots.reset();
  }
  size_t response_data(int32_t id, char* out, size_t cap, bool& eof, bool& later) override {
    St& s = at(id);
    FUZZ_CHECK(s.phase < 3 && s.answered);
    if ((flags & 32) && !s.paused && s.sent > 0) {
      s.paused = true;
      later = true;
      return 0;
    }
    size_t n = std::min({cap, size_t(7), body.size() - s.sent});
    std::memcpy(out, body.data() + s.sent, n);
    s.sent += n;
    eof = s.sent == body.size();
    return n;
  }
  St& at(int32_t id) {
    auto it = st.find(id);
    FUZZ_CHECK(it != st.end());
    FUZZ_CHECK(it->second.phase < 3);
    return it->second;
  }
  void resume_all() {
    for (auto& [id, s] : st)
      if (s.phase < 3 && s.paused) srv->resume(id);
  }
};

// Output taken in pieces of varying size, as a socket with little room would; every third
// round only one piece, so that more input arrives while a frame is half written.
void drain(Server& srv, uint8_t round, bool all = false) {
  char out[1500];
  const size_t cap = 1 + (round * 37) % sizeof out;
  const int limit = (!all && round % 3 == 0) ? 1 : 100000;
  for (int i = 0; i < limit && srv.fill_output(out, cap) > 0; ++i) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  Owner o;
  o.flags = data[0];
  const size_t chunk = 1 + data[1];
  Settings cfg;
  cfg.max_concurrent_streams = 8;
  cfg.initial_window_size = 1024 + (data[1] & 0x0f) * 1024;
  if (const uint32_t lim = data[1] >> 4) {
    cfg.max_resets_per_s = cfg.max_server_resets_per_s = cfg.max_streams_per_s = lim;
    cfg.max_settings_per_s = cfg.max_pings_per_s = cfg.max_priority_per_s = cfg.max_empty_data_per_s = lim;
    cfg.max_too_large_heads_per_s = lim / 4;   // 0 (off) for the lowest ones
    cfg.header_list_limit = 256 * lim;
  }
  uint64_t now = 1000;
  Server srv(o, cfg);
  srv.set_clock([](void* c) { return *static_cast<uint64_t*>(c); }, &now);
  o.srv = &srv;
  std::string in;
  if (o.flags & 1) in = std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") + std::string("\0\0\0\x04\0\0\0\0\0", 9);
  in.append(reinterpret_cast<const char*>(data) + 2, size - 2);

  bool ok = true;
  uint8_t round = 0;
  for (size_t off = 0; off < in.size() && ok; off += chunk, ++round, now += 250) {
    const size_t n = std::min(chunk, in.size() - off);
    ok = srv.feed(in.data() + off, n);
    if ((o.flags & 64) && off <= in.size() / 2 && off + n > in.size() / 2) srv.shutdown_notice();
    drain(srv, round);
    o.resume_all();
    drain(srv, round);
  }
  if (ok && srv.tripped() != Abuse::none) {   // tripped while writing (resets we sent)
    drain(srv, round, true);
    ok = srv.feed("", 0);
    FUZZ_CHECK(!ok);
  }
  if (!ok) {
    FUZZ_CHECK(!srv.feed("x", 1));   // a failed connection stays failed
    drain(srv, round, true);
    FUZZ_CHECK(srv.done());
  }
  FUZZ_CHECK(abuse_name(srv.tripped()) != nullptr);
  // The connection goes away: every stream the owner holds is closed exactly once.
  srv.terminate(ErrorCode::no_error);
  drain(srv, round, true);
  for (auto& [id, s] : o.st) FUZZ_CHECK(s.phase == 3);
  FUZZ_CHECK(srv.open_streams() == 0);
  return 0;
}
