#pragma once
// TLS over a TCP transport, as a Transport: the owner (a client session, a server
// connection, a health check) reads and writes plaintext exactly as it does on TCP.
//
// OpenSSL talks to the socket through a BIO of ours: ciphertext is read by the TCP transport
// into a pooled block and handed to OpenSSL from there; what OpenSSL writes is gathered in
// pooled blocks and sent with one write per flush. So OpenSSL never sees a socket that would
// block (no WANT_WRITE anywhere), and an idle connection holds no block of ours and, with
// SSL_MODE_RELEASE_BUFFERS, none of OpenSSL's.
#include <openssl/ssl.h>

#include "portero/core/loop_context.h"
#include "portero/core/transport.h"

namespace portero::tls {

class TlsTransport final : public core::Transport {
 public:
  TlsTransport();
  ~TlsTransport() override;
  // A client connected to a `bind ... ssl` (over `tcp`, already open): the handshake starts
  // with the first bytes. False when OpenSSL could not make the connection's state.
  bool accept(core::TcpTransport& tcp, SSL_CTX* ctx);
  // A connection to a server (or a check): set up the SSL (SNI, session...) through ssl(),
  // then connect(): `connected` comes once the handshake is done.
  bool client(core::TcpTransport& tcp, SSL_CTX* ctx);
  SSL* ssl() { return ssl_; }
  bool handshake_done() const { return handshake_done_; }
  bool tcp_connected() const { return tcp_connected_; }   // client side: the handshake has begun
  // How the TCP side under us ended: 0 (it did not), UV_EOF, or an error. With
  // kHandshakeFailed, tells a peer that left from one that spoke wrong; OpenSSL's error queue
  // still holds the reason while the owner's read callback runs.
  int peer_end() const { return tcp_status_; }

  int connect(uv_loop_t* loop, const sockaddr* addr, socklen_t len, std::string_view first = {}) override;
  void read_start() override;
  void read_stop() override;
  int write(uv_buf_t* bufs, int n) override;
  int shutdown() override;
  void close() override;
  int fd() const override { return tcp_->fd(); }
  const ssl_st* tls() const override { return ssl_; }

 private:
  struct Block;   // a pooled block of ciphertext waiting to be sent
  static const core::TransportEvents kTcpEvents;   // we own the TCP transport's events
  static int bio_read(BIO* b, char* out, int len);
  static int bio_write(BIO* b, const char* in, int len);
  bool setup(core::TcpTransport& tcp, SSL_CTX* ctx);
  void append_out(const char* p, size_t len);
  void flush();
  void sent(int status);
  void pump();
  void update_tcp_reading();
  void release_in();
  void fail_handshake();
  core::LoopContext& loop_ctx() const { return core::LoopContext::of(tcp_->loop()); }

  core::TcpTransport* tcp_ = nullptr;
  SSL* ssl_ = nullptr;
  char* in_ = nullptr;          // ciphertext received and not yet given to OpenSSL
  uint32_t in_off_ = 0, in_end_ = 0;
  Block* out_head_ = nullptr;   // ciphertext to send, in order
  Block* out_tail_ = nullptr;
  int in_flight_ = 0;           // blocks from out_head_ given to the pending TCP write
  Block* flight_last_ = nullptr;  // the last of them
  int tcp_status_ = 0;          // UV_EOF or an error once the TCP side ended
  int failed_ = 0;              // an error that ends the connection
  core::Deferred pump_later_;
  bool client_ = false;
  bool tcp_connected_ = false;
  bool handshake_done_ = false;
  bool owner_reading_ = false;
  bool owner_waits_ = false;    // a write() returned kPending
  bool shutdown_wanted_ = false;
  bool end_told_ = false;       // the owner was told of the end (EOF / error)
  bool closing_ = false;
};

}  // namespace portero::tls
