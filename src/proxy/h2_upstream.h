#pragma once
// An HTTP/2 connection to a server (`server ... proto h2`, or ALPN h2 over TLS), shared by the
// exchanges of one worker: the codec (http/h2_client) over a connected server connection (the
// carrier: its socket, TLS state and read buffer), and the calls it carries.
//
// An exchange does not know it: its server connection is a ServerConn like any other, whose
// transport is an H2Call (h2_call.h), one stream of this connection that speaks HTTP/1 to the
// exchange. Such a ServerConn is never pooled; the shared connection is what is reused: while it
// is below the server's MAX_CONCURRENT_STREAMS (and `max-reuse`), any new exchange for that
// server (and SNI) on this worker opens its stream here instead of connecting.
//
// Worker-local; pooled; listed per server in the worker; freed once the carrier is closed and
// its last call is gone. Idle (no stream) for the server's pool-purge-delay, or when the worker stops, it says
// GOAWAY and closes.
#include <cstdint>

#include <uv.h>

#include "portero/core/loop_context.h"
#include "portero/core/timers.h"
#include "portero/http/h2_client.h"

struct ssl_st;

namespace portero::proxy {

class Worker;
class Session;
class ServerConn;
class H2Call;

class H2Upstream final : public http::h2::ClientOwner {
 public:
  H2Upstream(Worker& w, ServerConn& carrier, bool shared);
  ~H2Upstream();
  H2Upstream(const H2Upstream&) = delete;
  H2Upstream& operator=(const H2Upstream&) = delete;

  // Whether `carrier`, just connected for an exchange, speaks HTTP/2: `proto h2`, or TLS whose
  // ALPN picked h2.
  static bool speaks_h2(const Worker& w, const ServerConn& carrier);
  // The carrier becomes an HTTP/2 connection (shared with later exchanges unless `http-reuse
  // never`); returns the exchange's server connection: a call on it.
  static ServerConn* adopt(Worker& w, ServerConn* carrier, Session& owner);
  // A call on a shared connection to that server (and SNI) with room for one more stream, or
  // null (then connect).
  static ServerConn* call_on_shared(Worker& w, int proxy_index, int server_index, uint64_t sni_key, Session& owner);

  // No new call comes here (the worker stops, or nothing is shared); GOAWAY and close once the
  // calls in flight are done.
  void stop();

  // For the calls.
  Worker& worker() { return w_; }
  http::h2::Client& codec() { return codec_; }
  const ssl_st* tls() const;
  int fd() const;
  void schedule_flush();
  void call_freed(H2Call* c);

  H2Upstream* next = nullptr;     // the worker's list for this server
  H2Upstream* prev = nullptr;
  int proxy_index() const;
  int server_index() const;
  uint64_t sni_key() const;

  // http::h2::ClientOwner
  void on_response_head(int32_t id, const http::Head& head, const char* base, bool end_stream) override;
  void on_response_data(int32_t id, const char* p, size_t n) override;
  void on_response_trailers(int32_t id, const http::Head& trailers, const char* base) override;
  void on_response_end(int32_t id) override;
  void on_stream_closed(int32_t id, uint32_t error_code) override;
  size_t request_data(int32_t id, char* out, size_t cap, bool& eof, bool& more_later) override;

 private:
  static const core::TransportEvents kEvents;   // the carrier's transport events
  bool available() const;
  ServerConn* open_call(Session& owner);
  H2Call* find(int32_t id);
  void on_read(ssize_t n);
  void flush();
  static void run_flush(void* self);
  void update_idle();
  void close_now();
  void transport_closed();
  void maybe_free();

  Worker& w_;
  ServerConn& carrier_;
  http::h2::Client codec_;
  core::Deferred flush_;
  H2Call* calls_ = nullptr;       // every call alive
  uint32_t live_ = 0;
  uint64_t streams_ = 0;          // calls opened on this connection
  char* out_ = nullptr;           // output being written (pooled block)
  bool shared_;                   // listed for other exchanges (not `http-reuse never`)
  bool listed_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool transport_closed_ = false;
};

}  // namespace portero::proxy
