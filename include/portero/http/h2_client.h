#pragma once
// The client side of HTTP/2 (RFC 9113) as a codec, for the proxy's connections to servers that
// speak it (`server ... proto h2`, or ALPN h2). Bytes from the server go in (feed), bytes for
// the server come out (fill_output); requests are submitted, responses reach an owner as events.
// Like h2::Server it knows nothing of sockets or loops; libnghttp2 does the framing, HPACK,
// stream states and flow control, this module maps http::Head to requests and responses back.
//
// Event order per submitted stream:
//   [on_response_head (interim ones, then the final one), on_response_data*,
//    on_response_trailers?, on_response_end], on_stream_closed
// on_stream_closed comes last and exactly once, also when the stream was reset, refused (a
// GOAWAY that did not cover it: REFUSED_STREAM, safe to retry) or the connection failed.
//
// Worker-local, one per server connection. From inside an event the owner may call
// submit_request, resume, consumed and reset, but not feed.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "portero/http/h2_server.h"
#include "portero/http/message.h"

namespace portero::http::h2 {

class ClientOwner {   // implemented by the proxy's HTTP/2 server connection
 public:
  // A response head (status >= 100; interim ones come first). The head and `base` are valid
  // during the call only. `end_stream`: no body follows.
  virtual void on_response_head(int32_t id, const Head& head, const char* base, bool end_stream) = 0;
  // Body bytes, in order. Call Client::consumed() once they are forwarded.
  virtual void on_response_data(int32_t id, const char* p, size_t n) = 0;
  // Trailer fields after the body (gRPC's status). Valid during the call only.
  virtual void on_response_trailers(int32_t id, const Head& trailers, const char* base) = 0;
  // The server ended its side (END_STREAM): once per response.
  virtual void on_response_end(int32_t id) = 0;
  virtual void on_stream_closed(int32_t id, uint32_t error_code) = 0;
  // Pull: copy up to `cap` request body bytes of stream `id` into `out`; set `eof` when the
  // body ends with them; return 0 with `more_later` when nothing is available yet (then call
  // Client::resume(id) when there is).
  virtual size_t request_data(int32_t id, char* out, size_t cap, bool& eof, bool& more_later) = 0;

 protected:
  ~ClientOwner() = default;
};

class Client {
 public:
  // Queues the connection preface and our SETTINGS (from `s`: window, frame size, header
  // table; push disabled).
  Client(ClientOwner& owner, const Settings& s);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Bytes from the server. false: connection error (a GOAWAY is queued: write the output,
  // then close). Owner events are called from inside.
  bool feed(const char* p, size_t n);
  // Copies pending output into `out` (up to `cap`); 0 when nothing is pending. May pull
  // request bodies (ClientOwner::request_data) from inside.
  size_t fill_output(char* out, size_t cap);
  bool wants_write() const;
  // Nothing more will happen on this connection (GOAWAY both ways, or a failure, and no stream
  // left): close it.
  bool done() const;

  // A request on a new stream: `head` is an HTTP/1-style request (method, target, fields in
  // `base`). An absolute target gives :scheme and :authority (Host is then not sent); an origin
  // one goes with :scheme https and its Host field, as haproxy does. Connection-specific fields
  // are left out, TE is sent only as "trailers". `end_stream` when there is no body; otherwise
  // it is pulled with request_data. Returns the stream id, or -1 (connection going away, out
  // of stream ids, a tunnel or a target HTTP/2 cannot carry).
  int32_t submit_request(const Head& head, const char* base, bool end_stream);
  // May another stream be opened now (no GOAWAY, below the server's MAX_CONCURRENT_STREAMS and
  // the last stream id)?
  bool can_open() const;
  // The server's SETTINGS_MAX_CONCURRENT_STREAMS (100 until its SETTINGS came, as nghttp2
  // assumes).
  uint32_t max_streams() const;
  void resume(int32_t id);
  // `n` response bytes of stream `id` were forwarded: the server's window reopens.
  void consumed(int32_t id, size_t n);
  void reset(int32_t id, uint32_t error_code);
  // Graceful GOAWAY: the server finishes what it has, no new stream is opened.
  void shutdown_notice();
  size_t open_streams() const;
  // The server sent GOAWAY: no new stream may be opened here.
  bool going_away() const;

 private:
  struct Impl;   // the nghttp2 session (h2_client.cpp)
  std::unique_ptr<Impl> impl_;
};

}  // namespace portero::http::h2
