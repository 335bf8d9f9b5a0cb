#include "h2_answer_check.h"

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

namespace fuzzh2 {

namespace {

enum : uint8_t { kData = 0, kHeaders = 1, kRst = 3, kSettings = 4, kPush = 5, kPing = 6, kGoaway = 7, kWindow = 8, kCont = 9 };
enum : uint8_t { kEndStream = 0x1, kAck = 0x1, kEndHeaders = 0x4, kPadded = 0x8, kPriority = 0x20 };

[[noreturn]] void fail(std::string_view bytes, size_t at, const char* why, int32_t id = 0) {
  std::fprintf(stderr, "fuzz harness: the HTTP/2 answer breaks RFC 9113: %s (stream %d, frame at %zu of %zu bytes)\n",
               why, id, at, bytes.size());
  std::abort();
}

#define ANSWER_CHECK(c, why) \
  do {                       \
    if (!(c)) fail(bytes, at, why, id); \
  } while (0)

struct Stream {
  bool final_head = false;   // a final (non-1xx) head was sent
  bool ended = false;        // END_STREAM or our RST_STREAM: nothing more may come
  uint64_t data = 0;
  int64_t length = -1;       // content-length of the final head
};

bool connection_specific(std::string_view n) {
  return n == "connection" || n == "keep-alive" || n == "proxy-connection" || n == "transfer-encoding" ||
         n == "upgrade";
}

}  // namespace

void check_answer(std::string_view bytes) {
  nghttp2_hd_inflater* hd = nullptr;
  if (nghttp2_hd_inflate_new(&hd) != 0) std::abort();
  std::map<int32_t, Stream> streams;
  std::string block;            // a header block being gathered (HEADERS + CONTINUATION)
  int32_t block_id = 0;
  bool block_end_stream = false;
  size_t at = 0;
  int32_t id = 0;
  bool first = true;
  while (bytes.size() - at >= 9) {
    const auto* h = reinterpret_cast<const uint8_t*>(bytes.data() + at);
    const size_t len = size_t(h[0]) << 16 | size_t(h[1]) << 8 | h[2];
    const uint8_t type = h[3], flags = h[4];
    id = int32_t((uint32_t(h[5]) << 24 | uint32_t(h[6]) << 16 | uint32_t(h[7]) << 8 | h[8]) & 0x7fffffff);
    if (bytes.size() - at - 9 < len) break;   // cut by the end of the connection
    std::string_view p = bytes.substr(at + 9, len);
    if (first) ANSWER_CHECK(type == kSettings && !(flags & kAck) && id == 0, "the first frame is not our SETTINGS");
    first = false;
    if (!block.empty() || block_id) ANSWER_CHECK(type == kCont && id == block_id, "a header block is interrupted");
    switch (type) {
      case kSettings:
        ANSWER_CHECK(id == 0 && len % 6 == 0 && (!(flags & kAck) || len == 0), "malformed SETTINGS");
        break;
      case kPing:
        ANSWER_CHECK(id == 0 && len == 8, "malformed PING");
        break;
      case kGoaway:
        ANSWER_CHECK(id == 0 && len >= 8, "malformed GOAWAY");
        break;
      case kWindow:
        ANSWER_CHECK(len == 4, "malformed WINDOW_UPDATE");
        break;
      case kPush:
        fail(bytes, at, "PUSH_PROMISE from the proxy", id);
      case kRst:
        ANSWER_CHECK(id != 0 && len == 4, "malformed RST_STREAM");
        streams[id].ended = true;
        break;
      case kData: {
        ANSWER_CHECK(id != 0 && (id & 1), "DATA on stream 0 or an even stream");
        Stream& s = streams[id];
        ANSWER_CHECK(!s.ended, "DATA after the stream ended");
        ANSWER_CHECK(s.final_head, "DATA before the final response head");
        size_t pad = 0;
        if (flags & kPadded) {
          ANSWER_CHECK(len >= 1 && size_t(uint8_t(p[0])) + 1 <= len, "bad DATA padding");
          pad = size_t(uint8_t(p[0])) + 1;
        }
        s.data += len - pad;
        ANSWER_CHECK(s.length < 0 || s.data <= uint64_t(s.length), "more DATA than content-length");
        if (flags & kEndStream) {
          ANSWER_CHECK(s.length < 0 || s.data == 0 || s.data == uint64_t(s.length), "DATA short of content-length");
          s.ended = true;
        }
        break;
      }
      case kHeaders: {
        ANSWER_CHECK(id != 0 && (id & 1), "HEADERS on stream 0 or an even stream");
        ANSWER_CHECK(!streams[id].ended, "HEADERS after the stream ended");
        size_t skip = 0, pad = 0;
        if (flags & kPadded) {
          ANSWER_CHECK(len >= 1, "bad HEADERS padding");
          pad = uint8_t(p[0]);
          skip = 1;
        }
        if (flags & kPriority) skip += 5;
        ANSWER_CHECK(skip + pad <= len, "bad HEADERS padding");
        block.assign(p.substr(skip, len - skip - pad));
        block_id = id;
        block_end_stream = flags & kEndStream;
        break;
      }
      case kCont:
        ANSWER_CHECK(block_id == id && id != 0, "CONTINUATION without a header block");
        block.append(p);
        break;
      default:   // extension frames: ignored, as by a client
        break;
    }
    at += 9 + len;
    if ((type != kHeaders && type != kCont) || !(flags & kEndHeaders)) continue;

    // A whole header block: decode it (the table is the connection's: every block, in order).
    Stream& s = streams[id];
    std::string status;
    bool pseudo_done = false, has_status = false;
    auto* in = reinterpret_cast<const uint8_t*>(block.data());
    size_t left = block.size();
    for (;;) {
      nghttp2_nv nv;
      int out_flags = 0;
      const ssize_t r = nghttp2_hd_inflate_hd2(hd, &nv, &out_flags, in, left, 1);
      ANSWER_CHECK(r >= 0, "HPACK that does not decode");
      in += r;
      left -= size_t(r);
      if (out_flags & NGHTTP2_HD_INFLATE_EMIT) {
        const std::string_view n(reinterpret_cast<const char*>(nv.name), nv.namelen);
        const std::string_view v(reinterpret_cast<const char*>(nv.value), nv.valuelen);
        ANSWER_CHECK(!n.empty(), "an empty field name");
        for (char c : n) ANSWER_CHECK(!(c >= 'A' && c <= 'Z'), "an upper-case field name");
        if (n[0] == ':') {
          ANSWER_CHECK(!pseudo_done && !has_status && n == ":status", "a pseudo-field other than one :status first");
          has_status = true;
          status.assign(v);
        } else {
          pseudo_done = true;
          ANSWER_CHECK(!connection_specific(n), "a connection-specific field");
          ANSWER_CHECK(n != "te" || v == "trailers", "te other than trailers");
          if (n == "content-length" && !s.final_head && has_status && status[0] != '1') {
            int64_t l = 0;
            bool digits = !v.empty();
            for (char c : v) digits = digits && c >= '0' && c <= '9' && (l = l * 10 + (c - '0')) < (int64_t(1) << 50);
            ANSWER_CHECK(digits && (s.length < 0 || s.length == l), "a bad or repeated content-length");
            s.length = l;
          }
        }
      }
      if (out_flags & NGHTTP2_HD_INFLATE_FINAL) {
        nghttp2_hd_inflate_end_headers(hd);
        break;
      }
      ANSWER_CHECK(r > 0 || (out_flags & NGHTTP2_HD_INFLATE_EMIT), "HPACK that does not decode (stuck)");
    }
    if (!s.final_head) {   // a response head
      ANSWER_CHECK(has_status && status.size() == 3 && status[0] >= '1' && status[0] <= '5' &&
                       status[1] >= '0' && status[1] <= '9' && status[2] >= '0' && status[2] <= '9',
                   "a response head without a valid :status");
      ANSWER_CHECK(status != "101", "a 101 response (RFC 9113 8.6)");
      if (status[0] == '1') {
        ANSWER_CHECK(!block_end_stream, "an interim response ending the stream");
      } else {
        s.final_head = true;
      }
    } else {   // trailers
      ANSWER_CHECK(!has_status && block_end_stream, "trailers with a pseudo-field or without END_STREAM");
    }
    if (block_end_stream) s.ended = true;
    block.clear();
    block_id = 0;
  }
  nghttp2_hd_inflate_del(hd);
}

}  // namespace fuzzh2
