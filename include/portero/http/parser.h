#pragma once
// llhttp, driven over a connection's buffer. The caller appends bytes to its buffer and calls
// feed() with the new range; the parser indexes the head in place, checks framing strictly
// (the request smuggling vectors are errors), and stops exactly at the end of each message so
// pipelined bytes that follow stay untouched until the caller asks for the next message.
// Worker-local; one per connection side.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "portero/http/head_checks.h"
#include "portero/http/message.h"

namespace portero::http {

enum class ParseStatus : uint8_t {
  more,       // everything given was consumed; the message is not finished
  complete,   // a message ended at FeedResult::end; call next() before feeding more
  upgrade,    // head complete and the connection switches protocol at FeedResult::end
  error,      // malformed: answer 400 (requests) / 502 (responses) and close
};

struct FeedResult {
  ParseStatus status;
  uint32_t end;   // offset just past the last byte parsed
};

class Parser {
 public:
  enum class Kind : uint8_t { request, response };
  explicit Parser(Kind kind);
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  // Prepares for a message starting at offset `start` of `base`, with `slots` to index up to
  // `max_headers` headers (more is an error, as HAProxy's tune.http.maxhdr).
  void begin(const char* base, uint32_t start, Header* slots, uint16_t max_headers);
  // Parses bytes [from, to) of the buffer given to begin().
  FeedResult feed(uint32_t from, uint32_t to);
  // The peer closed: ends a message delimited by the connection close. True when that made the
  // message complete (a response without length); false when the message was cut short.
  bool finish();

  // The head of a request that was written rather than received (an HTTP/2 stream's request,
  // rendered as HTTP/1 text by the stream, which indexed it while writing): taken as parsed,
  // instead of parsing it again. `h`'s spans are offsets into the base given to begin(), its
  // headers are in the slots given to begin() or are copied there; the message ends with its
  // head (no body). The writer only hands over what llhttp would have read the same way.
  FeedResult adopt(const Head& h);

  // Requests only: the bytes are an HTTP/2 stream's request written as HTTP/1 text (the proxy's
  // bridge), so its "HTTP/2.0" version stands (an HTTP/1 client's "HTTP/2.0" counts as 1.1).
  void keep_http2_version(bool v) { keep_http2_ = v; }

  // Responses only: the request was HEAD (or the like), so the response has no body.
  void expect_no_body(bool v) { no_body_ = v; }

  // The decoded body (chunk framing removed), handed piece by piece to `fn` as it is parsed,
  // for a caller that reads the content itself (health checks). Null stops it. Parsers without
  // a sink (the proxy's, which relays the raw bytes) run llhttp without a body callback at all.
  using BodySink = void (*)(void* ctx, const char* p, size_t n);
  void set_body_sink(BodySink fn, void* ctx);
  // Each trailer field of a chunked body, once complete (same `ctx` as the body sink): for a
  // caller that passes trailers on as fields (the HTTP/2 bridge). The views last for the call.
  using TrailerSink = void (*)(void* ctx, std::string_view name, std::string_view value);
  void set_trailer_sink(TrailerSink fn) { trailer_sink_ = fn; }
  // Spans into the buffer are still being built (a head, or a trailer field cut by the end of
  // the bytes fed): the caller must keep those bytes where they are.
  bool holds_spans() const { return !head_done_ || trailer_.name.len || trailer_.value.len; }

  // Health checks only: accept what HAProxy's checks accept in a reply but its proxy refuses
  // (header lines ending in a bare LF, any HTTP/x.y version, a status below 100). Kept across
  // begin().
  void tolerate_check_replies();

  bool head_done() const { return head_done_; }
  const Head& head() const { return head_; }
  // Bytes of body expected after the head (for logging/limits); 0 when chunked/unknown.
  const char* error_reason() const;
  // The status a refused request gets (400, or 422 for unsupported transfer codings).
  int error_status() const { return error_status_; }
  // Resets the base pointer after the caller moved its bytes (between messages only).
  void rebase(const char* base) { base_ = base; }

 private:
  struct Callbacks;   // llhttp's callbacks (parser.cpp): llhttp's types stay out of this header
  friend struct Callbacks;

  void extend(Span& s, const char* at, size_t len);
  // The header being parsed: the last indexed one, or the trailer after the head.
  Header& current() { return head_done_ ? trailer_ : head_.headers[head_.count - 1]; }
  // HAProxy's checks of a header value / of the complete head; false refuses the message.
  bool check_header(std::string_view name, std::string_view value);
  bool check_head(const void* llhttp_state);

  // llhttp_t, held in place (no allocation per connection); parser.cpp checks the size.
  alignas(8) unsigned char state_[96];
  const char* base_ = nullptr;
  Head head_;
  uint16_t max_headers_ = 0;
  bool in_value_ = false;     // the last callback was a header value (a new name starts a header)
  bool head_done_ = false;
  bool complete_ = false;
  bool no_body_ = false;
  bool keep_http2_ = false;
  bool too_many_ = false;
  bool length_repeated_ = false;   // a second Content-Length is being parsed
  bool version_seen_ = false;      // a request without version is HTTP/0.9: refused
  bool te_seen_ = false;
  bool ws_upgrade_ = false;        // Upgrade: websocket
  bool ws_key_ = false;            // Sec-WebSocket-Key present
  uint16_t error_status_ = 400;
  TeCodings te_;
  Span host_;                      // the first Host value (requests)
  Header trailer_;                 // the trailer being parsed (not indexed)
  bool host_seen_ = false;
  bool check_replies_ = false;     // tolerate_check_replies()
  uint64_t previous_length_ = 0;
  BodySink sink_ = nullptr;
  TrailerSink trailer_sink_ = nullptr;
  void* sink_ctx_ = nullptr;
  Kind kind_;
};

}  // namespace portero::http
