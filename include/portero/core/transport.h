#pragma once
// The one seam between the data plane and a connected byte stream: a client, a server, a
// health check. `Transport` is the interface; `TcpTransport` drives a libuv TCP (or unix
// stream) handle; src/tls's `TlsTransport` runs TLS over a TcpTransport. Owners make the same
// calls and get the same events whichever they talk to.
//
// Reading fills the owner's own (pooled) buffer: the owner offers room when bytes come and
// holds no buffer while idle. Writing is all-or-pending: write() either takes every byte now
// or finishes later with a `written` event; the owner issues one write at a time, which is
// the whole backpressure mechanism.
#include <cstdint>
#include <string_view>
#include <sys/socket.h>

#include <uv.h>

struct ssl_st;   // OpenSSL's SSL, for the TLS fetches (null on a plaintext transport)

namespace portero::core {

// What a transport tells its owner: plain function pointers over the owner's `void*`, one
// static table per kind of owner (no allocation, no std::function).
struct TransportEvents {
  // Room for the next bytes: the owner's buffer from where its data ends. A zero length says
  // the buffer is full; the read then reports UV_ENOBUFS.
  void (*alloc)(void* owner, uv_buf_t* room);
  // n > 0 bytes landed in the room; 0: none after all (an empty buffer may go back); or
  // UV_EOF (orderly end), UV_ENOBUFS (no room: stop reading until bytes are consumed),
  // Transport::kHandshakeFailed, another negative code.
  void (*read)(void* owner, ssize_t n);
  void (*written)(void* owner, int status);    // a write() that returned kPending ended
  void (*connected)(void* owner, int status);  // a connect() that returned kPending ended
  void (*shut)(void* owner, int status);       // shutdown() ended (may be null: ignored)
  void (*closed)(void* owner);                 // close() ended: the memory may be reused
};

// A pending write, shutdown or connect on a stream. Rare (most writes complete at once), so a
// transport takes one from its loop's pool only while needed.
union StreamReq {
  uv_write_t write;
  uv_shutdown_t shutdown;
  struct Connect {
    uv_connect_t req;
    const char* first;        // bytes sent as soon as the connection is up (a PROXY header)
    size_t first_len;
  } connect;
};

class Transport {
 public:
  static constexpr int kDone = 1;      // write()/connect(): finished now
  static constexpr int kPending = 0;   // an event will say how it ended
  // A TLS handshake that failed (read or connected status; outside libuv's error codes).
  static constexpr int kHandshakeFailed = -0x7000;

  virtual ~Transport() = default;
  void set_owner(void* owner, const TransportEvents* ev) {
    owner_ = owner;
    ev_ = ev;
  }

  // Connects to addr (inet or unix; for TLS, then handshakes): kDone when it is ready at
  // once, kPending (then `connected`), or an error. The caller times it out. `first` (a PROXY
  // protocol header; the caller keeps the bytes until `connected`) is written on the socket
  // as soon as it is connected, before anything else (TLS included).
  virtual int connect(uv_loop_t* loop, const sockaddr* addr, socklen_t len, std::string_view first = {}) = 0;
  virtual void read_start() = 0;
  virtual void read_stop() = 0;
  // Sends every byte of bufs[0..n): kDone, kPending (then `written`), or an error (< 0).
  virtual int write(uv_buf_t* bufs, int n) = 0;
  // Ends our sending side (FIN; TLS: close_notify first) once written bytes are out: 0 and a
  // `shut` event later, or an error.
  virtual int shutdown() = 0;
  // Closes now (pending writes are dropped); `closed` follows.
  virtual void close() = 0;
  virtual int fd() const = 0;
  virtual const ssl_st* tls() const { return nullptr; }
  int local_address(sockaddr_storage& out) const;
  int peer_address(sockaddr_storage& out) const;

 protected:
  void* owner_ = nullptr;
  const TransportEvents* ev_ = nullptr;
};

class TcpTransport final : public Transport {
 public:
  // Takes an accepted, non-blocking fd (closed on failure).
  int open(uv_loop_t* loop, int fd);
  // A unix socket connects at once (kDone) or is refused.
  int connect(uv_loop_t* loop, const sockaddr* addr, socklen_t len, std::string_view first = {}) override;

  void read_start() override;
  void read_stop() override;
  int write(uv_buf_t* bufs, int n) override;
  int shutdown() override;
  void close() override;
  int fd() const override;
  // Only what the socket takes now, without queueing (bytes, 0, or an error): for a layer
  // that keeps its own backlog (TLS).
  int try_write(const uv_buf_t* bufs, int n);
  bool writing() const { return wreq_ != nullptr; }
  void set_nodelay();
  // `option tcpka` and the like: the kernel's keep-alive probes with its own timings (as
  // HAProxy, which only sets the flag unless told otherwise).
  void set_keepalive();
  uv_loop_t* loop() const { return tcp_.loop; }

 private:
  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp_); }
  uv_handle_t* handle() { return reinterpret_cast<uv_handle_t*>(&tcp_); }
  static void on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf);
  static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t*);

  uv_tcp_t tcp_;                 // never moves (the owner is pool-allocated)
  StreamReq* wreq_ = nullptr;    // the pending write, if any
  StreamReq* sreq_ = nullptr;    // the pending shutdown or connect, if any
  bool reading_ = false;
  bool closing_ = false;
};

}  // namespace portero::core
