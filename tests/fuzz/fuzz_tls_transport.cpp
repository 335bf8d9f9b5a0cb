// Random bytes in random chunks from a client to a tls::TlsTransport server (portero's bind
// context of fuzz_env's tls_frontend_config) over a unix socketpair on a libuv loop, as a
// session drives it: reading into the owner's buffer, sometimes pausing (backpressure). After
// the client's FIN the transport must tell its owner that reading ended (EOF, a handshake
// failure or an error) within a bounded number of loop turns, must not hand the owner a byte
// before the handshake is done, and must give back every pooled block once closed.
//
// Input: byte 0 seeds the chunk sizes; byte 1 is the owner's room per read (low 5 bits, in
// 128-byte steps), whether the client is abrupt (bit 6: it sends everything before the server
// runs, then closes the socket instead of half-closing it) and whether the owner pauses after
// each read (bit 7); the rest is the stream.
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "fuzz_env.h"
#include "portero/config/load.h"
#include "portero/core/loop_context.h"
#include "portero/tls/contexts.h"
#include "portero/tls/transport.h"

using namespace portero;
using core::Transport;

namespace {

struct Side {
  core::TcpTransport tcp;
  tls::TlsTransport tls;
  std::string got;
  char buf[4096];
  size_t cap = sizeof buf;
  int end = 0;
  bool paused = false, closed = false;
  bool early_bytes = false;   // bytes handed over before the handshake was done
  static const core::TransportEvents kEvents;
};

const core::TransportEvents Side::kEvents = {
    [](void* self, uv_buf_t* room) {
      auto* s = static_cast<Side*>(self);
      *room = uv_buf_init(s->buf, static_cast<unsigned>(s->cap));
    },
    [](void* self, ssize_t n) {
      auto* s = static_cast<Side*>(self);
      if (n > 0) {
        if (!s->tls.handshake_done()) s->early_bytes = true;
        if (s->got.size() < 65536) s->got.append(s->buf, size_t(n));
        if (s->paused) s->tls.read_stop();
      } else if (n != UV_ENOBUFS && n != 0) {
        s->end = int(n);
        s->tls.read_stop();
      }
    },
    [](void*, int) {},
    [](void*, int) {},
    [](void*, int) {},
    [](void* self) { static_cast<Side*>(self)->closed = true; },
};

struct World {
  uv_loop_t loop;
  core::BufferPool pool{16384 + 2048, 4};
  core::LoopContext* lctx;
  config::Diagnostics diag;
  config::ConfigPtr cfg;
  std::unique_ptr<tls::Contexts> contexts;
  SSL_CTX* ctx = nullptr;
  World() {
    cfg = config::load_text(fuzzenv::tls_frontend_config(), "fuzz.cfg", diag);
    if (cfg) contexts = tls::Contexts::build(*cfg, diag);
    if (!contexts || !(ctx = contexts->bind(0, 0))) {
      diag.print(stderr, 0);
      std::abort();
    }
    uv_loop_init(&loop);
    lctx = new core::LoopContext(&loop, pool);
  }
};

World& world() {
  static World w;
  return w;
}

void drain(int fd) {
  char sink[16384];
  while (::read(fd, sink, sizeof sink) > 0) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::signal(SIGPIPE, SIG_IGN);
  world();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2 || size > 64 * 1024) return -1;
  World& w = world();
  const uint8_t seed = data[0], owner = data[1];
  data += 2;
  size -= 2;
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) std::abort();
  auto server = std::make_unique<Side>();
  server->cap = 1 + size_t(owner & 0x1f) * 128;
  server->paused = owner & 0x80;
  const bool abrupt = owner & 0x40;
  bool client_open = true;
  server->tcp.set_owner(server.get(), &Side::kEvents);
  if (server->tcp.open(&w.loop, sv[0]) != 0) std::abort();
  server->tls.set_owner(server.get(), &Side::kEvents);
  if (!server->tls.accept(server->tcp, w.ctx)) std::abort();
  server->tls.read_start();
  auto turn = [&] {
    uv_run(&w.loop, UV_RUN_NOWAIT);
    if (client_open) drain(sv[1]);
    if (server->paused && !server->end) server->tls.read_start();
  };
  size_t off = 0;
  for (unsigned i = 1; off < size; ++i) {
    size_t len = 1 + (size_t(seed) * i * 37 + i) % 700;
    if (len > size - off) len = size - off;
    const ssize_t n = ::write(sv[1], data + off, len);
    if (n > 0) off += size_t(n);
    else if (n < 0 && errno != EAGAIN && errno != EINTR) break;   // the server closed
    if (abrupt && n < 0 && errno == EAGAIN) break;                  // the socket is full
    if (abrupt) continue;
    turn();
    if (server->end) break;
  }
  if (abrupt) {
    ::close(sv[1]);
    client_open = false;
  } else {
    ::shutdown(sv[1], SHUT_WR);
  }
  for (int i = 0; i < 2000 && !server->end; ++i) turn();
  if (!server->end) {
    std::fprintf(stderr, "the TLS transport did not tell its owner that the client left\n");
    __builtin_trap();
  }
  if (server->early_bytes) {
    std::fprintf(stderr, "plaintext handed to the owner before the handshake was done\n");
    __builtin_trap();
  }
  server->tls.close();
  for (int i = 0; i < 2000 && !server->closed; ++i) turn();
  if (!server->closed) {
    std::fprintf(stderr, "close() never ended\n");
    __builtin_trap();
  }
  if (client_open) ::close(sv[1]);
  if (w.pool.in_use() != 0) {
    std::fprintf(stderr, "%zu pooled blocks still held after close\n", size_t(w.pool.in_use()));
    __builtin_trap();
  }
  ERR_clear_error();
  return 0;
}
