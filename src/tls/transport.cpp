// TLS over a TCP transport (see transport.h for the shape).
#include "portero/tls/transport.h"

#include <algorithm>
#include <cstring>

#include <openssl/err.h>

namespace portero::tls {

// Ciphertext to send: a pooled block with this header in front of the bytes.
struct TlsTransport::Block {
  Block* next;
  uint32_t len;
  uint32_t cap;
  char* data() { return reinterpret_cast<char*>(this + 1); }
};

namespace {

BIO_METHOD* bio_method(int (*rd)(BIO*, char*, int), int (*wr)(BIO*, const char*, int)) {
  static BIO_METHOD* m = [&] {
    BIO_METHOD* meth = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "portero transport");
    BIO_meth_set_read(meth, rd);
    BIO_meth_set_write(meth, wr);
    // Only a flush is asked of a BIO like ours; everything else is "not supported".
    BIO_meth_set_ctrl(meth, [](BIO*, int cmd, long, void*) -> long { return cmd == BIO_CTRL_FLUSH ? 1 : 0; });
    BIO_meth_set_create(meth, [](BIO* b) {
      BIO_set_init(b, 1);
      return 1;
    });
    return meth;
  }();
  return m;
}

// Several small pieces (a head and the first body bytes) go out as one TLS record.
constexpr size_t kCoalesce = 16384;
thread_local char coalesce_area[kCoalesce];

}  // namespace

TlsTransport::TlsTransport() {
  pump_later_.self = this;
  pump_later_.run = [](void* self) { static_cast<TlsTransport*>(self)->pump(); };
}

TlsTransport::~TlsTransport() {
  if (ssl_) SSL_free(ssl_);
}

bool TlsTransport::setup(core::TcpTransport& tcp, SSL_CTX* ctx) {
  tcp_ = &tcp;
  tcp.set_owner(this, &kTcpEvents);
  ssl_ = SSL_new(ctx);
  if (!ssl_) return false;
  BIO* bio = BIO_new(bio_method(bio_read, bio_write));
  if (!bio) return false;
  BIO_set_data(bio, this);
  SSL_set_bio(ssl_, bio, bio);
  // Idle connections keep no OpenSSL buffers; a peer that closes without close_notify just
  // ends the stream, as a TCP close does (HTTP framing tells a truncated message apart).
  SSL_set_mode(ssl_, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_set_options(ssl_, SSL_OP_IGNORE_UNEXPECTED_EOF);
  return true;
}

bool TlsTransport::accept(core::TcpTransport& tcp, SSL_CTX* ctx) {
  if (!setup(tcp, ctx)) return false;
  SSL_set_accept_state(ssl_);
  update_tcp_reading();   // the handshake needs the client's bytes whatever the owner does
  return true;
}

bool TlsTransport::client(core::TcpTransport& tcp, SSL_CTX* ctx) {
  client_ = true;
  if (!setup(tcp, ctx)) return false;
  SSL_set_connect_state(ssl_);
  return true;
}

int TlsTransport::connect(uv_loop_t* loop, const sockaddr* addr, socklen_t len, std::string_view first) {
  const int rc = tcp_->connect(loop, addr, len, first);
  if (rc == kDone && !ssl_) return UV_ENOMEM;   // client() could not make the SSL
  if (rc == kDone) {
    // A unix socket, connected at once: say hello now, `connected` follows the handshake.
    tcp_connected_ = true;
    update_tcp_reading();
    pump();
    return kPending;
  }
  return rc;
}

// ---------------------------------------------------------------------------------------------
// Events of the TCP transport under us

const core::TransportEvents TlsTransport::kTcpEvents = {
    // alloc: ciphertext lands in a pooled block, held only while it has bytes OpenSSL did
    // not take yet
    [](void* self, uv_buf_t* room) {
      auto* t = static_cast<TlsTransport*>(self);
      core::BufferPool& pool = t->loop_ctx().buffers();
      if (!t->in_) {
        t->in_ = pool.get();
        t->in_off_ = t->in_end_ = 0;
      } else if (t->in_off_ > 0) {
        std::memmove(t->in_, t->in_ + t->in_off_, t->in_end_ - t->in_off_);
        t->in_end_ -= t->in_off_;
        t->in_off_ = 0;
      }
      *room = uv_buf_init(t->in_ + t->in_end_, static_cast<unsigned>(pool.block_size() - t->in_end_));
    },
    // read
    [](void* self, ssize_t n) {
      auto* t = static_cast<TlsTransport*>(self);
      if (n == 0) {
        t->release_in();
        return;
      }
      if (n == UV_ENOBUFS) {   // OpenSSL has not taken what we hold: wait until it does
        t->tcp_->read_stop();
        return;
      }
      if (n > 0) t->in_end_ += static_cast<uint32_t>(n);
      else t->tcp_status_ = static_cast<int>(n);
      t->pump();
    },
    // written
    [](void* self, int status) { static_cast<TlsTransport*>(self)->sent(status); },
    // connected (client side): now the handshake
    [](void* self, int status) {
      auto* t = static_cast<TlsTransport*>(self);
      if (status == 0 && !t->ssl_) status = UV_ENOMEM;   // client() could not make the SSL
      if (status < 0) {
        t->ev_->connected(t->owner_, status);
        return;
      }
      t->tcp_connected_ = true;
      t->update_tcp_reading();
      t->pump();
    },
    // shut: our FIN is out
    [](void* self, int status) {
      auto* t = static_cast<TlsTransport*>(self);
      if (t->ev_->shut) t->ev_->shut(t->owner_, status);
    },
    // closed: nothing of ours is left in libuv; free the rest and tell the owner
    [](void* self) {
      auto* t = static_cast<TlsTransport*>(self);
      core::BufferPool& pool = t->loop_ctx().buffers();
      while (Block* b = t->out_head_) {
        t->out_head_ = b->next;
        pool.put(reinterpret_cast<char*>(b));
      }
      t->out_tail_ = nullptr;
      if (t->in_) pool.put(t->in_);
      t->in_ = nullptr;
      // A session that completed stays resumable however the connection ended (OpenSSL drops
      // one from the cache when freed without a shutdown).
      if (t->ssl_ && t->handshake_done_) SSL_set_shutdown(t->ssl_, SSL_SENT_SHUTDOWN);
      SSL_free(t->ssl_);
      t->ssl_ = nullptr;
      t->ev_->closed(t->owner_);
    },
};

// ---------------------------------------------------------------------------------------------
// The BIO: OpenSSL reads what TCP brought and writes into our outgoing blocks

int TlsTransport::bio_read(BIO* b, char* out, int len) {
  auto* t = static_cast<TlsTransport*>(BIO_get_data(b));
  BIO_clear_retry_flags(b);
  const uint32_t avail = t->in_end_ - t->in_off_;
  if (avail == 0) {
    if (t->tcp_status_ != 0) return 0;   // the peer is gone: end of stream
    BIO_set_retry_read(b);
    return -1;
  }
  const uint32_t n = std::min(avail, static_cast<uint32_t>(len));
  std::memcpy(out, t->in_ + t->in_off_, n);
  t->in_off_ += n;
  return static_cast<int>(n);
}

int TlsTransport::bio_write(BIO* b, const char* in, int len) {
  auto* t = static_cast<TlsTransport*>(BIO_get_data(b));
  BIO_clear_retry_flags(b);
  if (t->failed_) return -1;
  t->append_out(in, static_cast<size_t>(len));
  return len;
}

void TlsTransport::append_out(const char* p, size_t len) {
  core::BufferPool& pool = loop_ctx().buffers();
  while (len > 0) {
    Block* b = out_tail_;
    // Never add to a block already handed to the TCP write in progress.
    if (!b || b->len == b->cap || (in_flight_ > 0 && b == flight_last_)) {
      b = reinterpret_cast<Block*>(pool.get());
      b->next = nullptr;
      b->len = 0;
      b->cap = static_cast<uint32_t>(pool.block_size() - sizeof(Block));
      if (out_tail_) out_tail_->next = b;
      else out_head_ = b;
      out_tail_ = b;
    }
    const size_t n = std::min<size_t>(len, b->cap - b->len);
    std::memcpy(b->data() + b->len, p, n);
    b->len += static_cast<uint32_t>(n);
    p += n;
    len -= n;
  }
}

// Sends what OpenSSL wrote, in one write, unless a write is already in progress (its end
// sends the rest).
void TlsTransport::flush() {
  while (out_head_ && in_flight_ == 0 && !closing_ && !failed_) {
    uv_buf_t bufs[16];
    int n = 0;
    for (Block* b = out_head_; b && n < 16; b = b->next) {
      bufs[n++] = uv_buf_init(b->data(), b->len);
      flight_last_ = b;
    }
    in_flight_ = n;
    const int rc = tcp_->write(bufs, n);
    if (rc == kPending) return;
    sent(rc == kDone ? 0 : rc);
    if (failed_) return;
  }
}

// The TCP write of the first `in_flight_` blocks ended.
void TlsTransport::sent(int status) {
  core::BufferPool& pool = loop_ctx().buffers();
  for (; in_flight_ > 0 && out_head_; --in_flight_) {
    Block* b = out_head_;
    out_head_ = b->next;
    pool.put(reinterpret_cast<char*>(b));
  }
  in_flight_ = 0;
  if (!out_head_) out_tail_ = nullptr;
  if (closing_) return;
  if (status < 0) {
    failed_ = status;
    if (owner_waits_) {
      owner_waits_ = false;
      ev_->written(owner_, status);
    }
    // What we sent could not go (the peer is gone): during the handshake it fails, after it
    // a reading owner learns the end; on the next turn either way (pump() stops at failed_,
    // so the peer's end read later would not tell it).
    if (!end_told_) loop_ctx().defer(&pump_later_);
    return;
  }
  if (out_head_) {
    flush();
    return;
  }
  if (shutdown_wanted_) {
    shutdown_wanted_ = false;
    if (tcp_->shutdown() != 0 && ev_->shut) ev_->shut(owner_, UV_EPIPE);
  }
  if (owner_waits_) {
    owner_waits_ = false;
    ev_->written(owner_, 0);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading: handshake, then plaintext into the owner's room

void TlsTransport::pump() {
  if (closing_ || !ssl_) return;
  if (failed_) {
    // A write failed (sent()): tell the owner once, as a failed handshake or as the end.
    if (end_told_) return;
    if (!handshake_done_) {
      fail_handshake();
    } else if (owner_reading_) {
      end_told_ = true;
      ev_->read(owner_, failed_);
    }
    return;
  }
  if (!handshake_done_) {
    const int r = SSL_do_handshake(ssl_);
    flush();   // our part of the handshake
    if (failed_) {   // it could not be sent: the peer is gone
      fail_handshake();
      return;
    }
    if (r != 1) {
      const int e = SSL_get_error(ssl_, r);
      if (e == SSL_ERROR_WANT_READ && tcp_status_ == 0) {
        release_in();
        return;
      }
      fail_handshake();
      return;
    }
    handshake_done_ = true;
    if (client_ || ev_->connected) {   // server side: the owner may want to know (counters)
      ev_->connected(owner_, 0);
      if (closing_) return;
    }
    update_tcp_reading();
  }
  // The owner's room is asked for only when something may come of it (ciphertext not yet
  // decrypted, plaintext OpenSSL holds, or the end to tell), so an idle connection's owner is
  // not made to take a buffer.
  while (owner_reading_ && !closing_ && !end_told_ &&
         (in_end_ > in_off_ || SSL_pending(ssl_) > 0 || tcp_status_ != 0)) {
    uv_buf_t room;
    ev_->alloc(owner_, &room);
    if (room.len == 0) {
      ev_->read(owner_, UV_ENOBUFS);
      break;
    }
    const int n = SSL_read(ssl_, room.base, static_cast<int>(room.len));
    if (n > 0) {
      ev_->read(owner_, n);
      continue;
    }
    const int e = SSL_get_error(ssl_, n);
    flush();   // reading may have written (a key update, an alert)
    if (e == SSL_ERROR_WANT_READ && tcp_status_ == 0) {
      ev_->read(owner_, 0);   // a partial record: nothing this time, the room may go back
      break;
    }
    // The end: close_notify, the peer's FIN (or reset), or a TLS error.
    ERR_clear_error();
    end_told_ = true;
    int why = UV_ECONNRESET;   // a TLS error
    if (e == SSL_ERROR_ZERO_RETURN) why = UV_EOF;
    else if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_SYSCALL) && tcp_status_) why = tcp_status_;
    ev_->read(owner_, why);
    break;
  }
  if (closing_) return;
  release_in();
  update_tcp_reading();
}

// The handshake cannot complete: the owner learns it (and may read why from OpenSSL's error
// queue and peer_end()), then the queue is cleared.
void TlsTransport::fail_handshake() {
  failed_ = kHandshakeFailed;
  end_told_ = true;
  release_in();
  if (client_) ev_->connected(owner_, kHandshakeFailed);
  else ev_->read(owner_, kHandshakeFailed);
  ERR_clear_error();
}

void TlsTransport::release_in() {
  if (in_ && in_off_ == in_end_) {
    loop_ctx().buffers().put(in_);
    in_ = nullptr;
    in_off_ = in_end_ = 0;
  }
}

// TCP reads while the handshake needs bytes or the owner wants them, and the block has room.
void TlsTransport::update_tcp_reading() {
  if (closing_ || failed_ || tcp_status_ != 0) return;
  if (!handshake_done_ || owner_reading_) tcp_->read_start();
  else tcp_->read_stop();
}

// ---------------------------------------------------------------------------------------------
// The owner's calls

void TlsTransport::read_start() {
  owner_reading_ = true;
  update_tcp_reading();
  // Bytes already decrypted or received (or an end not told yet) wait for no socket event:
  // deliver them on the next loop turn (never from inside this call).
  if (handshake_done_ && !end_told_ && (in_end_ > in_off_ || SSL_pending(ssl_) > 0 || tcp_status_ != 0 || failed_))
    loop_ctx().defer(&pump_later_);
}

void TlsTransport::read_stop() {
  owner_reading_ = false;
  update_tcp_reading();
}

int TlsTransport::write(uv_buf_t* bufs, int n) {
  if (failed_) return failed_ == kHandshakeFailed ? UV_EPIPE : failed_;
  if (closing_ || !handshake_done_) return UV_ENOTCONN;
  size_t total = 0;
  for (int i = 0; i < n; ++i) total += bufs[i].len;
  auto put = [&](const char* p, size_t len) {
    while (len > 0) {
      const int r = SSL_write(ssl_, p, static_cast<int>(std::min<size_t>(len, 1u << 30)));
      if (r <= 0) {
        ERR_clear_error();
        if (!failed_) failed_ = UV_EPIPE;
        return false;
      }
      p += r;
      len -= static_cast<size_t>(r);
    }
    return true;
  };
  bool ok = true;
  if (n > 1 && total <= kCoalesce) {
    size_t at = 0;
    for (int i = 0; i < n; ++i) {
      std::memcpy(coalesce_area + at, bufs[i].base, bufs[i].len);
      at += bufs[i].len;
    }
    ok = put(coalesce_area, at);
  } else {
    for (int i = 0; i < n && ok; ++i) ok = put(bufs[i].base, bufs[i].len);
  }
  if (!ok) return failed_;
  flush();
  if (failed_) return failed_;
  if (!out_head_) return kDone;
  owner_waits_ = true;
  return kPending;
}

int TlsTransport::shutdown() {
  if (closing_) return UV_ENOTCONN;
  if (handshake_done_ && !failed_) {
    SSL_shutdown(ssl_);   // our close_notify
    ERR_clear_error();
    flush();
  }
  if (out_head_) {
    shutdown_wanted_ = true;   // after the last bytes
    return 0;
  }
  return tcp_->shutdown();
}

void TlsTransport::close() {
  if (closing_) return;
  closing_ = true;
  loop_ctx().cancel(&pump_later_);
  tcp_->close();
}

}  // namespace portero::tls
