#pragma once
// Test support for the HTTP/2 server codec (h2_server_test.cpp, h2_abuse_test.cpp): an owner
// that records what the proxy side sees, an nghttp2 client session in memory, the pump that
// moves bytes between them, and hand-written frames for misbehaving clients.
#include <doctest/doctest.h>
#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "portero/http/h2_server.h"
#include "portero/http/parser.h"

namespace h2test {

using namespace portero::http;
using namespace portero::http::h2;


// What the proxy side sees, and how it answers.
struct Owner : ServerOwner {
  struct Req {
    std::string method, target, scheme, authority, protocol;
    std::vector<std::pair<std::string, std::string>> headers;
    bool has_length = false, upgrade = false, head_end_stream = false;
    uint64_t content_length = 0;
    uint8_t major = 0;
    std::string body;
    int heads = 0, ends = 0, closes = 0;
    uint32_t close_code = 0xffffffff;
    // The response body this owner serves, in pieces of `piece`, pausing at `pause_at`.
    std::string response;
    size_t sent = 0, piece = 1000, pause_at = std::string::npos;
    bool paused = false;
  };
  std::map<int32_t, Req> reqs;
  std::vector<std::string> events;
  Server* server = nullptr;
  bool refuse = false;
  uint32_t room_cap = 4096;
  uint16_t room_slots = 32;
  std::map<int32_t, std::vector<char>> blocks;
  std::map<int32_t, std::vector<Header>> slots;

  bool on_stream_open(int32_t id, HeadRoom& room) override {
    events.push_back("open " + std::to_string(id));
    if (refuse) return false;
    blocks[id].assign(room_cap, 0);
    slots[id].assign(room_slots, Header{});
    room = HeadRoom{blocks[id].data(), room_cap, slots[id].data(), room_slots};
    return true;
  }
  void on_request_head(int32_t id, const Head& h, const char* base, bool end_stream) override {
    events.push_back("head " + std::to_string(id));
    Req& r = reqs[id];
    r.heads++;
    r.method = std::string(h.method.in(base));
    r.target = std::string(h.target.in(base));
    r.scheme = std::string(h.scheme.in(base));
    r.authority = std::string(h.authority.in(base));
    r.protocol = std::string(h.protocol.in(base));
    for (uint16_t i = 0; i < h.count; ++i)
      r.headers.emplace_back(std::string(h.headers[i].name.in(base)), std::string(h.headers[i].value.in(base)));
    r.has_length = h.has_length;
    r.content_length = h.content_length;
    r.upgrade = h.upgrade;
    r.major = h.major;
    r.head_end_stream = end_stream;
  }
  void on_request_data(int32_t id, const char* p, size_t n) override { reqs[id].body.append(p, n); }
  void on_request_end(int32_t id) override {
    events.push_back("end " + std::to_string(id));
    reqs[id].ends++;
  }
  void on_stream_closed(int32_t id, uint32_t code) override {
    events.push_back("closed " + std::to_string(id));
    reqs[id].closes++;
    reqs[id].close_code = code;
  }
  size_t response_data(int32_t id, char* out, size_t cap, bool& eof, bool& more_later) override {
    Req& r = reqs[id];
    size_t n = std::min({cap, r.piece, r.response.size() - r.sent});
    if (r.pause_at != std::string::npos && r.sent >= r.pause_at && !r.paused) {
      r.paused = true;
      more_later = true;
      return 0;
    }
    if (r.pause_at != std::string::npos && r.sent < r.pause_at) n = std::min(n, r.pause_at - r.sent);
    std::memcpy(out, r.response.data() + r.sent, n);
    r.sent += n;
    eof = r.sent == r.response.size();
    return n;
  }
};

// An HTTP/1-style head, parsed by portero's own parser, as the proxy would hold it.
struct H1Head {
  std::string text;
  Header slots[32];
  Parser parser{Parser::Kind::response};
  explicit H1Head(std::string t) : text(std::move(t)) {
    parser.begin(text.data(), 0, slots, 32);
    parser.feed(0, uint32_t(text.size()));
    REQUIRE(parser.head_done());
  }
  const Head& head() const { return parser.head(); }
};

// The client: an nghttp2 client session and what it received.
struct Client {
  struct Resp {
    std::vector<std::pair<std::string, std::string>> headers, trailers;
    std::string body;
    bool closed = false;
    uint32_t close_code = 0xffffffff;
    bool headers_done = false;
  };
  nghttp2_session* s = nullptr;
  std::map<int32_t, Resp> resp;
  bool goaway = false;
  uint32_t goaway_code = 0xffffffff;
  int32_t goaway_last = -1;
  // Request bodies served by the client's data provider.
  std::map<int32_t, std::string> uploads;
  std::map<int32_t, size_t> uploaded;
  std::map<int32_t, std::string> trailer_names;

  // `max_send_block`: the largest header block this client sends (nghttp2's default 64 KB
  // refuses bigger requests before they leave).
  explicit Client(size_t max_send_block = 0) {
    nghttp2_session_callbacks* cb;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_header_callback(
        cb, [](nghttp2_session*, const nghttp2_frame* f, const uint8_t* n, size_t nl, const uint8_t* v, size_t vl,
               uint8_t, void* ud) {
          Resp& r = static_cast<Client*>(ud)->resp[f->hd.stream_id];
          auto& to = r.headers_done ? r.trailers : r.headers;
          to.emplace_back(std::string((const char*)n, nl), std::string((const char*)v, vl));
          return 0;
        });
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, [](nghttp2_session*, const nghttp2_frame* f, void* ud) {
      Client& c = *static_cast<Client*>(ud);
      if (f->hd.type == NGHTTP2_HEADERS) {
        auto& r = c.resp[f->hd.stream_id];
        // An interim (1xx) head is followed by the final one: only a final one ends the head.
        if (!r.headers.empty() && r.headers.front().second[0] != '1') r.headers_done = true;
      }
      if (f->hd.type == NGHTTP2_GOAWAY) {
        c.goaway = true;
        c.goaway_code = f->goaway.error_code;
        c.goaway_last = f->goaway.last_stream_id;
      }
      return 0;
    });
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
        cb, [](nghttp2_session*, uint8_t, int32_t id, const uint8_t* d, size_t n, void* ud) {
          static_cast<Client*>(ud)->resp[id].body.append((const char*)d, n);
          return 0;
        });
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, [](nghttp2_session*, int32_t id, uint32_t code, void* ud) {
      auto& r = static_cast<Client*>(ud)->resp[id];
      r.closed = true;
      r.close_code = code;
      return 0;
    });
    nghttp2_option* opt;
    nghttp2_option_new(&opt);
    if (max_send_block) nghttp2_option_set_max_send_header_block_length(opt, max_send_block);
    nghttp2_session_client_new2(&s, cb, this, opt);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cb);
    nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, nullptr, 0);
  }
  ~Client() { nghttp2_session_del(s); }

  int32_t request(const std::vector<std::pair<std::string, std::string>>& fields, const std::string* body = nullptr) {
    std::vector<nghttp2_nv> nva;
    for (auto& [n, v] : fields)
      nva.push_back({(uint8_t*)n.data(), (uint8_t*)v.data(), n.size(), v.size(), NGHTTP2_NV_FLAG_NONE});
    nghttp2_data_provider prd{};
    prd.read_callback = [](nghttp2_session*, int32_t id, uint8_t* buf, size_t len, uint32_t* flags,
                           nghttp2_data_source*, void* ud) -> ssize_t {
      Client& c = *static_cast<Client*>(ud);
      const std::string& b = c.uploads[id];
      size_t& off = c.uploaded[id];
      // Small DATA frames: the body arrives over several of them.
      size_t n = std::min({len, b.size() - off, size_t(4000)});
      std::memcpy(buf, b.data() + off, n);
      off += n;
      if (off == b.size()) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        if (c.trailer_names.count(id)) {   // the body ends with trailer fields
          *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
          nghttp2_nv t{(uint8_t*)c.trailer_names[id].data(), (uint8_t*)"v", c.trailer_names[id].size(), 1,
                       NGHTTP2_NV_FLAG_NONE};
          nghttp2_submit_trailer(c.s, id, &t, 1);
        }
      }
      return ssize_t(n);
    };
    int32_t id = nghttp2_submit_request(s, nullptr, nva.data(), nva.size(), body ? &prd : nullptr, nullptr);
    REQUIRE(id > 0);
    if (body) uploads[id] = *body;
    return id;
  }
  static std::vector<std::pair<std::string, std::string>> get(const std::string& path = "/") {
    return {{":method", "GET"}, {":scheme", "https"}, {":authority", "example.test"}, {":path", path}};
  }
  std::string header(int32_t id, const std::string& name) {
    for (auto& [n, v] : resp[id].headers)
      if (n == name) return v;
    return "<none>";
  }
};

// Moves bytes both ways until neither side has anything more to say. Returns false when the
// server reported a connection error.
inline bool pump(Client& c, Server& srv, bool to_client = true) {
  bool ok = true;
  for (int round = 0; round < 1000; ++round) {
    bool moved = false;
    const uint8_t* d;
    ssize_t n;
    while ((n = nghttp2_session_mem_send(c.s, &d)) > 0) {
      moved = true;
      if (ok && !srv.feed((const char*)d, size_t(n))) ok = false;
    }
    char buf[5000];   // smaller than a frame: output is taken in several pieces
    size_t k;
    while ((k = srv.fill_output(buf, sizeof buf)) > 0) {
      moved = true;
      if (to_client) REQUIRE(nghttp2_session_mem_recv(c.s, (const uint8_t*)buf, k) == ssize_t(k));
    }
    if (!moved) break;
  }
  return ok;
}

inline Settings small_window() {
  Settings s;
  s.initial_window_size = 16384;
  return s;
}

// Raw HEADERS frames for a misbehaving client. HPACK without a dynamic table, so that the
// server's decoder state does not depend on what an nghttp2 client sent before.
inline std::string raw_headers(int32_t id, const std::vector<std::pair<std::string, std::string>>& fields, bool end_stream) {
  nghttp2_hd_deflater* def;
  nghttp2_hd_deflate_new(&def, 0);
  std::vector<nghttp2_nv> nva;
  for (auto& [n, v] : fields)
    nva.push_back({(uint8_t*)n.data(), (uint8_t*)v.data(), n.size(), v.size(), NGHTTP2_NV_FLAG_NO_INDEX});
  std::string block(nghttp2_hd_deflate_bound(def, nva.data(), nva.size()), '\0');
  ssize_t len = nghttp2_hd_deflate_hd(def, (uint8_t*)block.data(), block.size(), nva.data(), nva.size());
  nghttp2_hd_deflate_del(def);
  REQUIRE(len > 0);
  block.resize(size_t(len));
  std::string f;
  f.push_back(char(len >> 16));
  f.push_back(char(len >> 8));
  f.push_back(char(len));
  f.push_back(char(NGHTTP2_HEADERS));
  f.push_back(char(NGHTTP2_FLAG_END_HEADERS | (end_stream ? NGHTTP2_FLAG_END_STREAM : 0)));
  f.push_back(char(id >> 24));
  f.push_back(char(id >> 16));
  f.push_back(char(id >> 8));
  f.push_back(char(id));
  return f + block;
}

// The frames of a byte stream from the server (after no preface: servers send none).
struct Frame {
  uint8_t type, flags;
  int32_t id;
  std::string payload;
};
inline std::vector<Frame> frames_of(const std::string& out) {
  std::vector<Frame> v;
  size_t i = 0;
  while (i + 9 <= out.size()) {
    const auto* p = (const unsigned char*)out.data() + i;
    size_t len = (size_t(p[0]) << 16) | (size_t(p[1]) << 8) | p[2];
    if (i + 9 + len > out.size()) break;
    v.push_back({p[3], p[4], int32_t(((p[5] & 0x7f) << 24) | (p[6] << 16) | (p[7] << 8) | p[8]), out.substr(i + 9, len)});
    i += 9 + len;
  }
  return v;
}
inline uint32_t be32(const std::string& s, size_t at) {
  const auto* p = (const unsigned char*)s.data() + at;
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}
inline std::string drain(Server& srv) {
  std::string out;
  char buf[4096];
  size_t k;
  while ((k = srv.fill_output(buf, sizeof buf)) > 0) out.append(buf, k);
  return out;
}

inline const std::string kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
inline const std::string kEmptySettings("\0\0\0\x04\0\0\0\0\0", 9);
inline const std::string kSettingsAck("\0\0\0\x04\x01\0\0\0\0", 9);

}  // namespace h2test
