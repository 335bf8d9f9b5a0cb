#pragma once
// An HTTP/2 client connection: the codec (http/h2_server) over the transport of the session
// that accepted the connection, and the streams it carries. Each stream's request becomes a
// session of its own through an H2Stream (h2_stream.h), so it is ruled, routed, answered,
// counted and logged exactly as an HTTP/1 request.
//
// The connection session keeps its socket, TLS state, buffer and timer; its transport events
// come here once it speaks HTTP/2 (ALPN h2, or the client's preface on a clear mode http bind).
// Worker-local; pooled; freed once the transport is closed and the last stream is gone.
#include <cstdint>

#include <uv.h>

#include "portero/core/loop_context.h"
#include "portero/http/h2_server.h"

struct ssl_st;

namespace portero::proxy {

class Worker;
class Session;
class H2Stream;

class H2Conn final : public http::h2::ServerOwner {
 public:
  H2Conn(Worker& w, Session& conn);
  ~H2Conn();
  H2Conn(const H2Conn&) = delete;
  H2Conn& operator=(const H2Conn&) = delete;

  void start();   // sends our SETTINGS, takes the bytes read so far

  // The connection session's transport and timer events.
  void on_read(ssize_t n);
  void on_written(int status);
  void on_shut(int) {}
  void on_timer();
  void transport_closed();
  void soft_stop();    // GOAWAY: the open streams finish, then the connection closes
  void hard_close();

  // For the streams.
  Worker& worker() { return w_; }
  Session& conn() { return conn_; }
  http::h2::Server& codec() { return codec_; }
  const ssl_st* tls() const;      // the connection's TLS state (null in clear)
  void schedule_flush();          // output is pending: written on the loop's next turn
  void stream_freed(H2Stream* s);
  // True for the connection's first request only (then false).
  bool first_stream() { return !requests_++; }

  // http::h2::ServerOwner
  bool on_stream_open(int32_t id, http::h2::HeadRoom& room) override;
  void on_request_head(int32_t id, const http::Head& head, const char* base, bool end_stream) override;
  void on_request_data(int32_t id, const char* p, size_t n) override;
  void on_request_end(int32_t id) override;
  void on_stream_closed(int32_t id, uint32_t error_code) override;
  size_t response_data(int32_t id, char* out, size_t cap, bool& eof, bool& more_later) override;

 private:
  H2Stream* find(int32_t id);
  void feed_input();
  void report_abuse();
  void report_frames();
  void flush();
  static void run_flush(void* self);
  void arm_timer();
  void say_goodbye();   // the final GOAWAY: no more streams
  void linger();        // the final GOAWAY is written: half-close, drain, then close
  void close_now();
  void maybe_finish();

  Worker& w_;
  Session& conn_;
  http::h2::Server codec_;
  core::Deferred flush_;
  H2Stream* streams_ = nullptr;   // every stream object alive
  H2Stream* last_found_ = nullptr;
  uint32_t live_ = 0;
  uint32_t requests_ = 0;         // streams that carried a request
  uint64_t reported_[9] = {};     // the codec's frame counts already in the frontend's counters
  char* out_ = nullptr;           // output being written (pooled block)
  bool writing_ = false;
  bool stopping_ = false;         // GOAWAY sent: close when the streams are done
  bool goodbye_ = false;          // the final GOAWAY is queued: close once it is written
  bool lingering_ = false;        // half-closed after it: waiting for the client to close
  bool closing_ = false;          // the transport's close() was called
  bool transport_closed_ = false;
};

}  // namespace portero::proxy
