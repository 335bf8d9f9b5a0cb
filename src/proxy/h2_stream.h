#pragma once
// One HTTP/2 stream, seen by its session as a client transport that speaks HTTP/1: the bridge
// between the HTTP/2 codec and the exchange. The stream's request head is written as an HTTP/1
// head ("GET https://host/path HTTP/2.0", Host from :authority, a chunked body when no length
// is announced) and read by the session like any other; the session's HTTP/1 response is parsed
// back into a head and DATA for the codec. So every rule, fetch, log line, counter and answer of
// the HTTP/1 path applies to HTTP/2 requests unchanged, at the price of writing and parsing each
// head once more (see docs/ARCHITECTURE.md: the direct interface is the next step of issue 12).
//
// Flow control carries the backpressure both ways: request body bytes reopen the client's window
// only once the session has read them, and the session's write completes only once the codec
// has taken the bytes, so a slow client slows its server without holding up the other streams.
//
// Events to the session always come from the loop's deferred turn (never from inside one of its
// own calls). Worker-local; pooled; freed when both the codec's stream and the session are done.
#include <cstdint>

#include <uv.h>

#include "portero/core/loop_context.h"
#include "portero/core/transport.h"
#include "portero/http/h2_server.h"
#include "portero/http/parser.h"
#include "portero/core/byte_queue.h"

namespace portero::proxy {

class H2Conn;

class H2Stream final : public core::Transport {
 public:
  H2Stream(H2Conn& conn, int32_t id);
  ~H2Stream() override;
  int32_t id() const { return id_; }
  bool carried_request() const { return attached_; }   // a session served it
  bool session_alive() const { return attached_ && !closed_; }
  H2Stream* next = nullptr;   // the connection's list of streams
  H2Stream* prev = nullptr;

  // The codec's events for this stream, through the connection.
  void open(http::h2::HeadRoom& room);
  void on_head(const http::Head& h, const char* base, bool end_stream);
  void on_data(const char* p, size_t n);
  void on_end();
  void on_codec_closed(uint32_t error_code);
  size_t pull(char* out, size_t cap, bool& eof, bool& more_later);

  // The session's final response head given as a head (the exchange's, filtered as
  // copy_headers writes it; `drop_length`: its bodiless flag) instead of being parsed back from
  // the HTTP/1 text that leads the session's next write (`text_len` bytes, skipped). The body
  // that follows is `body_len` bytes as they are (a length-delimited body; 0: none). false: not
  // taken, the text is parsed as it comes.
  bool take_response_head(const http::Head& h, const char* base, bool drop_length, uint32_t text_len,
                          uint64_t body_len);

  // core::Transport, for the stream's session.
  int connect(uv_loop_t*, const sockaddr*, socklen_t, std::string_view = {}) override { return UV_ENOTSUP; }
  void read_start() override;
  void read_stop() override { reading_ = false; }
  int write(uv_buf_t* bufs, int n) override;
  int shutdown() override;
  void close() override;
  int fd() const override { return -1; }
  const ssl_st* tls() const override;

 private:
  static constexpr int kMaxPending = 8;   // buffers of one session write

  bool render_request(const http::Head& h, const char* base, bool end_stream);
  void answer_locally(uint16_t status);
  void schedule();
  static void run(void* self);
  void deliver();
  bool has_input() const;
  size_t produce(char* out, size_t cap);
  bool pump();
  bool parse();
  void submit_head(bool message_complete);
  static void on_payload(void* self, const char* p, size_t n);
  static void on_trailer(void* self, std::string_view name, std::string_view value);
  void release_blocks();
  void maybe_free();

  H2Conn& conn_;
  int32_t id_;
  core::Deferred deferred_;

  // Request: the decoded head (codec's room), its HTTP/1 text, then the body.
  char* room_ = nullptr;
  char* rq_ = nullptr;           // the HTTP/1 head text
  http::Head index_;             // ... indexed as written (its slots in rq_'s block), when
  bool indexed_ = false;         // llhttp would read it so: the session takes it unparsed
  uint32_t rq_len_ = 0, rq_off_ = 0;
  core::ByteQueue body_;
  char frame_[24];               // chunk framing not yet read ("\r\n", size line, last chunk)
  uint8_t frame_len_ = 0, frame_off_ = 0;
  uint32_t chunk_left_ = 0;      // payload bytes of the current chunk still to read
  bool chunked_ = false;         // no length announced: the body goes as chunks
  bool chunk_open_ = false;      // a chunk's payload was read (its CRLF is due)
  bool req_ended_ = false;       // END_STREAM received
  bool last_chunk_sent_ = false;
  bool head_request_ = false;    // HEAD: the response has no body
  bool websocket_ = false;       // RFC 8441 extended CONNECT, carried as an HTTP/1 upgrade
  bool tunnel_ = false;          // ... that the server accepted: bytes both ways as they are
  bool eof_sent_ = false;

  // Response: the session's HTTP/1 bytes (raw_), parsed into a head and payload (data_).
  http::Parser rsp_{http::Parser::Kind::response};
  char* raw_ = nullptr;
  uint32_t raw_len_ = 0, parsed_ = 0;
  char* data_ = nullptr;
  uint32_t doff_ = 0, dlen_ = 0;
  char* trl_ = nullptr;          // the response's trailers, copied (pooled block)
  uint32_t trl_len_ = 0;
  http::Head trailers_;
  uv_buf_t pend_[kMaxPending];   // the session's write in progress
  uint8_t pend_n_ = 0, pend_i_ = 0;
  uint32_t pend_off_ = 0;
  bool direct_ = false;          // take_response_head(): no parsing, the body is counted
  uint32_t skip_ = 0;            // ... the head's text still to skip
  uint64_t body_left_ = 0;       // ... the body's bytes still to come
  bool msg_begun_ = false;
  bool head_sent_ = false;
  bool response_done_ = false;   // the final response's last byte was parsed
  bool eof_pulled_ = false;      // the codec has the whole response

  // State shared with the session and the codec.
  bool reading_ = false;
  bool shut_ = false;            // the session ended its response (shutdown)
  bool closed_ = false;          // the session closed the transport
  bool gone_ = false;            // the codec's stream is closed
  bool attached_ = false;        // a session was given this stream
  bool detached_ = false;        // ... and had its `closed` event
  bool want_written_ = false, want_shut_ = false, want_reset_ = false, want_closed_ = false;
};

}  // namespace portero::proxy
