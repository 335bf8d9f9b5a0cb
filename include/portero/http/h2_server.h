#pragma once
// The server side of HTTP/2 (RFC 9113) as a codec: bytes from the client go in (feed), bytes
// for the client come out (fill_output), and the streams' requests reach an owner as events.
// It knows nothing of sockets, loops or the proxy; the proxy's HTTP/2 client connection drives
// it. libnghttp2 does the framing, HPACK, stream states, flow control and its HTTP messaging
// checks; this module maps requests to http::Head, responses from http::Head, and holds the
// request body's flow control until the owner has forwarded the bytes.
//
// Event order per stream the owner accepted (on_stream_open returned true):
//   on_stream_open, [on_request_head, on_request_data*, on_request_end], on_stream_closed
// on_stream_closed always comes last and exactly once, also when the stream was reset, the
// request malformed (no on_request_head then) or the connection failed. Destroying the Server
// calls nothing.
//
// Worker-local, one per connection. From inside an event the owner may call submit_*, resume,
// consumed, reset, shutdown_notice and terminate, but not feed (refused there) nor expect
// fill_output to make progress: write the output after the call that raised the event returns.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "portero/http/h2_abuse.h"
#include "portero/http/message.h"

namespace portero::http::h2 {

// RFC 9113 error codes the owner may use with reset()/terminate().
enum ErrorCode : uint32_t {
  no_error = 0x0,
  protocol_error = 0x1,
  internal_error = 0x2,
  flow_control_error = 0x3,
  refused_stream = 0x7,
  cancel = 0x8,
  enhance_your_calm = 0xb,
};

struct Settings {   // tune.h2.* of the config (window and frame size clamped to RFC 9113's ranges)
  uint32_t header_table_size = 4096;
  uint32_t initial_window_size = 65535;
  uint32_t max_concurrent_streams = 100;
  uint32_t max_frame_size = 16384;
  uint32_t max_header_list_size = 0;   // 0: not advertised (nghttp2's default)

  // Abuse limits, per connection, on top of nghttp2's own (its queue of unsent SETTINGS/PING
  // ACKs, its SETTINGS entries per frame, its 8 CONTINUATIONs per head, its token bucket of
  // 1000 RST_STREAM refilled at 33/s). Rates are events in the last second (a sliding window
  // on the owner's clock, see Server::set_clock); 0 turns a limit off. Past one, the
  // connection gets GOAWAY(ENHANCE_YOUR_CALM) and Server::tripped() names it. The defaults
  // leave room for browsers, curl, gRPC and benchmarks (h2load -m 100): each is far above
  // what a conforming client sends, and below what the attack it stops needs.

  // RST_STREAM received per second: the rapid-reset attack (CVE-2023-44487) opens and cancels
  // streams to escape max_concurrent_streams. A browser leaving a page cancels at most its
  // open streams (max_concurrent_streams, 100) at once; a gRPC client one per cancelled call.
  uint32_t max_resets_per_s = 200;
  // RST_STREAM the codec sends on its own per second (malformed requests, flow-control errors
  // on a stream, frames on a closed stream...): the "MadeYouReset" class, a client
  // provoking the resets rapid-reset defences do not count. Resets the owner asks for
  // (reset(), a refused on_stream_open) and RST_STREAM(NO_ERROR) after a complete response
  // are not counted: they are the proxy's decisions. Nor is REFUSED_STREAM for streams beyond
  // max_concurrent_streams opened before the client had our SETTINGS (a race RFC 9113
  // allows): those count as streams opened. Conforming clients provoke none.
  uint32_t max_server_resets_per_s = 100;
  // Streams opened per second (refused ones included): a backstop against streams that cost
  // the server work (HPACK decoding, a refusal) and the client nothing. Set far above what one
  // worker serves on one connection, even for answers that never reach a backend, so that a
  // benchmark never meets it.
  uint32_t max_streams_per_s = 100000;
  // SETTINGS frames (ACKs included) received per second: a client sends one or two per
  // connection; each costs an ACK and, for some settings, work on every stream.
  uint32_t max_settings_per_s = 50;
  // PING frames received per second: gRPC keepalives are seconds apart, but its bandwidth
  // probes (BDP) go one per round trip while data flows, which is often on a fast network;
  // each PING costs an ACK (and nghttp2 closes on ACKs the client does not read).
  uint32_t max_pings_per_s = 1000;
  // PRIORITY frames received per second: Firefox sends a handful when it connects and
  // browsers reprioritise a few per resource; the priority tree is worked on for each (the
  // "resource loop" of CVE-2019-9513).
  uint32_t max_priority_per_s = 1000;
  // DATA frames with no payload and no END_STREAM received per second: they carry nothing yet
  // cost a frame's processing each (CVE-2019-9518). Clients send none, or a rare one.
  uint32_t max_empty_data_per_s = 100;
  // The decoded size of a request's header list (RFC 9113 6.5.2: name + value + 32 per
  // field) above which the request is answered 431 even if the owner's room would hold it;
  // max_header_list_size, when advertised and smaller, is the limit instead. HPACK lets a few
  // bytes reference a large table entry again and again: this bounds what one head decodes to.
  uint32_t header_list_limit = 65536;
  // Requests answered 431 (head too large: header_list_limit, max_header_list_size or the
  // owner's room) per second, and requests reset for trailers past that limit (no 431 can
  // answer a request under way). One 431 is a stream's answer; a client repeating them is
  // decoding-bomb traffic. A browser whose cookies outgrew the limit gets 431 on each request
  // of a page (all of its streams at once): this lets one full round through.
  uint32_t max_too_large_heads_per_s = 100;
  // Not enforced (Abuse::hpack_churn is never reported): nghttp2 calls back with decoded
  // fields only, not with the HPACK representation that carried them, so insertions into the
  // dynamic table and table size updates cannot be counted without decoding HPACK twice. The
  // table itself stays bounded by header_table_size, and its churn by the bytes received.
};

// Where a stream's request head is decoded: a block of bytes and header slots, both owned by
// the caller (a pooled block, like HTTP/1's read buffer) and kept until on_request_head has
// returned, or until on_stream_closed when no head came (the codec writes nothing into it
// after the head: trailers are checked, not kept).
// Overflow (bytes or slots) answers the request 431 without telling the owner of a head.
struct HeadRoom {
  char* data = nullptr;
  uint32_t cap = 0;
  Header* slots = nullptr;
  uint16_t max_headers = 0;
};

class ServerOwner {   // implemented by the proxy's HTTP/2 client connection
 public:
  // A client opened stream `id`: fill `room`. false refuses it (RST_STREAM REFUSED_STREAM; no
  // further event for this stream).
  virtual bool on_stream_open(int32_t id, HeadRoom& room) = 0;
  // The request head, validated, in the room's block (`base`). `end_stream`: no body follows
  // (on_request_end comes next anyway).
  virtual void on_request_head(int32_t id, const Head& head, const char* base, bool end_stream) = 0;
  // Body bytes, in order. Call Server::consumed() once they are forwarded.
  virtual void on_request_data(int32_t id, const char* p, size_t n) = 0;
  // The client ended its side (END_STREAM, after its trailers if any): once per request.
  virtual void on_request_end(int32_t id) = 0;
  virtual void on_stream_closed(int32_t id, uint32_t error_code) = 0;
  // Pull: copy up to `cap` response body bytes of stream `id` into `out`; set `eof` when the
  // body ends with them; return 0 with `more_later` when nothing is available yet (then call
  // Server::resume(id) when there is).
  virtual size_t response_data(int32_t id, char* out, size_t cap, bool& eof, bool& more_later) = 0;

 protected:
  ~ServerOwner() = default;
};

// Frames counted since the connection started, for the H2 columns of `show stat`.
struct FrameCounts {
  uint64_t headers_rcvd = 0, data_rcvd = 0, settings_rcvd = 0, rst_stream_rcvd = 0, goaway_rcvd = 0;
  uint64_t conn_protocol_errors = 0;   // GOAWAY(PROTOCOL_ERROR) sent: the client broke the framing
  uint64_t strm_protocol_errors = 0;   // RST_STREAM(PROTOCOL_ERROR) sent: a malformed stream
  uint64_t rst_stream_sent = 0, goaway_sent = 0;
};

class Server {
 public:
  Server(ServerOwner& owner, const Settings& s);   // queues the server preface (SETTINGS)
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Bytes from the client. false: connection error (a GOAWAY is queued: write the output,
  // then close; tripped() says whether an abuse limit was the cause). Owner events are
  // called from inside.
  bool feed(const char* p, size_t n);
  // The clock of the abuse limits' rates: `now_ms(ctx)` returns monotonic milliseconds
  // (the worker's loop time). Without one, std::chrono::steady_clock. Tests inject theirs.
  void set_clock(uint64_t (*now_ms)(void*), void* ctx);
  // The abuse limit that closed the connection (GOAWAY ENHANCE_YOUR_CALM), or Abuse::none.
  // Set once: the first limit to trip. Counted per frontend and logged by the owner.
  Abuse tripped() const;
  const FrameCounts& frames() const;
  // Copies pending output into `out` (up to `cap`); 0 when nothing is pending. May pull
  // response bodies (ServerOwner::response_data) from inside.
  size_t fill_output(char* out, size_t cap);
  bool wants_write() const;
  // Nothing more to read or write: close the connection.
  bool done() const;

  // A response head (HTTP/1-style: status + headers in `base`). Connection-specific fields
  // (connection and what it names, keep-alive, proxy-connection, transfer-encoding, upgrade)
  // are dropped, names lower-cased. `end_stream` when there is no body; otherwise the body is
  // pulled with response_data. A 1xx status is sent as an interim response (the final one
  // follows). false when the stream is gone or already answered.
  bool submit_response(int32_t id, const Head& head, const char* base, bool end_stream);
  // Trailer fields ending the response body (gRPC): submitted before (or while) response_data
  // reports eof; they follow the last DATA frame and end the stream. Copied.
  bool submit_trailers(int32_t id, const Head& trailers, const char* base);
  // More response data is available for stream `id`.
  void resume(int32_t id);
  // `n` request body bytes of stream `id` were forwarded: only now is the client's window
  // reopened, so a slow server slows that stream's client, not the whole connection. Ignored
  // for a stream that is closed (its unconsumed bytes were returned to the connection).
  void consumed(int32_t id, size_t n);
  // RST_STREAM; the owner then gets on_stream_closed (during the next fill_output).
  void reset(int32_t id, uint32_t error_code);
  // Graceful: GOAWAY with the last stream id, open streams finish, new ones are ignored.
  void shutdown_notice();
  // GOAWAY(error_code) and stop: every open stream is closed at once (on_stream_closed).
  void terminate(uint32_t error_code);
  size_t open_streams() const;

 private:
  struct Impl;   // the nghttp2 session and the streams (h2_server.cpp)
  std::unique_ptr<Impl> impl_;
};

}  // namespace portero::http::h2
