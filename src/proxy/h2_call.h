#pragma once
// One exchange's stream on a shared HTTP/2 server connection (h2_upstream.h), seen by the
// exchange as the transport of its server connection, speaking HTTP/1: the mirror of H2Stream
// on the client side. The exchange writes its HTTP/1 request; the call parses it into a head
// (submitted as the stream's HEADERS, :authority from the target or Host) and a body (DATA,
// pulled by the codec from a queue). The server's response comes back as HTTP/1 text: the
// status line, the fields, then the body as it is when its length is known, chunked otherwise,
// with the server's trailers (gRPC's status) in the last chunk.
//
// Flow control carries the backpressure both ways: the exchange's write completes once the
// codec can take its bytes, and the server's window reopens once the exchange has read them.
// Events to the exchange come from the loop's deferred turn. Worker-local; pooled; freed once
// the exchange has closed it.
#include <cstdint>

#include <uv.h>

#include "portero/core/byte_queue.h"
#include "portero/core/loop_context.h"
#include "portero/core/transport.h"
#include "portero/http/parser.h"

namespace portero::proxy {

class H2Upstream;

class H2Call final : public core::Transport {
 public:
  explicit H2Call(H2Upstream& up);
  ~H2Call() override;
  H2Upstream& upstream() { return up_; }
  int32_t id() const { return id_; }
  bool streaming() const { return id_ > 0 && !gone_; }   // its stream is open on the connection
  H2Call* next = nullptr;   // the connection's list
  H2Call* prev = nullptr;

  // The codec's events for this call's stream, through the connection.
  void on_head(const http::Head& h, const char* base, bool end_stream);
  void on_data(const char* p, size_t n);
  void on_trailers(const http::Head& t, const char* base);
  void on_end();
  void on_closed(uint32_t error_code);
  size_t pull(char* out, size_t cap, bool& eof, bool& more_later);
  // The connection failed or went away before the stream opened.
  void fail();

  // core::Transport, for the exchange's server connection.
  int connect(uv_loop_t*, const sockaddr*, socklen_t, std::string_view = {}) override { return UV_ENOTSUP; }
  void read_start() override;
  void read_stop() override { reading_ = false; }
  int write(uv_buf_t* bufs, int n) override;
  int shutdown() override { return 0; }   // the request's end is its framing's (END_STREAM)
  void close() override;
  int fd() const override;
  const ssl_st* tls() const override;

 private:
  static constexpr int kMaxPending = 8;   // buffers of one exchange write

  bool pump();
  bool parse();
  bool submit_head();
  static void on_payload(void* self, const char* p, size_t n);
  bool put(std::string_view s);   // response text for the exchange
  void schedule();
  static void run(void* self);
  void deliver();

  H2Upstream& up_;
  int32_t id_ = 0;
  core::Deferred deferred_;

  // Request: the exchange's HTTP/1 bytes (raw_), parsed into a head and payload (body_).
  http::Parser req_{http::Parser::Kind::request};
  char* raw_ = nullptr;
  uint32_t raw_len_ = 0, parsed_ = 0;
  core::ByteQueue body_;
  uv_buf_t pend_[kMaxPending];   // the exchange's write in progress
  uint8_t pend_n_ = 0, pend_i_ = 0;
  uint32_t pend_off_ = 0;
  bool msg_begun_ = false;
  bool request_done_ = false;    // the request's last byte was parsed
  bool head_request_ = false;    // HEAD: the response has no body

  // Response: HTTP/1 text waiting for the exchange to read it.
  core::ByteQueue resp_;
  size_t unconsumed_ = 0;        // response payload not yet read by the exchange
  bool chunked_ = false;         // the body goes as chunks (no length announced)
  bool final_head_ = false;
  bool response_done_ = false;
  char* trl_ = nullptr;          // the rendered trailers (pooled block), for the last chunk
  uint32_t trl_len_ = 0;

  bool reading_ = false;
  bool closed_ = false;          // the exchange closed it
  bool gone_ = false;            // the stream is closed on the connection
  bool failed_ = false;          // ... before the response ended: the exchange sees a reset
  bool want_written_ = false, want_closed_ = false;
};

}  // namespace portero::proxy
