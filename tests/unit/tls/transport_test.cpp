// TlsTransport end to end on one libuv loop: a client and a server transport over a loopback
// TCP connection, certificates made in memory. What the owners see is what a session sees.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <string>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "portero/core/loop_context.h"
#include "portero/tls/transport.h"

using portero::core::Transport;
namespace core = portero::core;
namespace tls = portero::tls;

namespace {

// A self-signed P-256 certificate for "test.local".
struct Cert {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x509 = X509_new();
  Cert() {
    X509_set_version(x509, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x509), 1);
    X509_gmtime_adj(X509_getm_notBefore(x509), 0);
    X509_gmtime_adj(X509_getm_notAfter(x509), 3600);
    X509_set_pubkey(x509, key);
    X509_NAME* name = X509_get_subject_name(x509);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("test.local"), -1, -1, 0);
    X509_set_issuer_name(x509, name);
    X509_sign(x509, key, EVP_sha256());
  }
  ~Cert() {
    X509_free(x509);
    EVP_PKEY_free(key);
  }
};

// One side's owner: collects what it reads, remembers what happened.
struct Side {
  core::TcpTransport tcp;
  tls::TlsTransport tls;
  Transport* io = &tls;
  std::string got;
  char buf[4096];
  size_t cap = sizeof buf;   // room offered per read (the owner's buffer)
  int end = 0;               // UV_EOF, an error or kHandshakeFailed once reading ended
  int connected = 1;         // 1: not yet told
  int written = 1;
  bool shut = false, closed = false;
  bool paused = false;       // stop reading after each read (backpressure)
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
        s->got.append(s->buf, size_t(n));
        if (s->paused) s->io->read_stop();
      } else if (n != UV_ENOBUFS && n != 0) {
        s->end = int(n);
        s->io->read_stop();
      }
    },
    [](void* self, int st) { static_cast<Side*>(self)->written = st; },
    [](void* self, int st) { static_cast<Side*>(self)->connected = st; },
    [](void* self, int) { static_cast<Side*>(self)->shut = true; },
    [](void* self) { static_cast<Side*>(self)->closed = true; },
};

struct Fixture {
  uv_loop_t loop;
  core::BufferPool pool{16384 + 2048, 4};
  core::LoopContext* ctx;
  Cert cert;
  SSL_CTX* server_ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX* client_ctx = SSL_CTX_new(TLS_client_method());
  Side server, client;
  int listener = -1;
  sockaddr_in addr{};

  Fixture() {
    uv_loop_init(&loop);
    ctx = new core::LoopContext(&loop, pool);
    SSL_CTX_use_certificate(server_ctx, cert.x509);
    SSL_CTX_use_PrivateKey(server_ctx, cert.key);
    listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
    ::listen(listener, 4);
  }
  ~Fixture() {
    if (!server.closed) server.io->close();
    if (!client.closed) client.io->close();
    run_until([&] { return server.closed && client.closed; });
    ctx->close();
    uv_run(&loop, UV_RUN_DEFAULT);
    delete ctx;
    uv_loop_close(&loop);
    ::close(listener);
    SSL_CTX_free(server_ctx);
    SSL_CTX_free(client_ctx);
  }

  // Turns the loop until `done` or a deadline (5 s): never a fixed sleep.
  template <class F>
  bool run_until(F done) {
    const uint64_t deadline = uv_hrtime() + 5'000'000'000ull;
    while (!done()) {
      if (uv_hrtime() > deadline) return false;
      uv_run(&loop, UV_RUN_NOWAIT);
    }
    return true;
  }

  // A TLS client connecting to a TLS (or, with tls_server false, plain) server.
  void connect(bool tls_server = true) {
    client.tls.set_owner(&client, &Side::kEvents);
    REQUIRE(client.tls.client(client.tcp, client_ctx));
    REQUIRE(client.io->connect(&loop, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == Transport::kPending);
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    REQUIRE(fd >= 0);
    if (tls_server) {
      server.tcp.set_owner(&server, &Side::kEvents);
      REQUIRE(server.tcp.open(&loop, fd) == 0);
      server.tls.set_owner(&server, &Side::kEvents);
      REQUIRE(server.tls.accept(server.tcp, server_ctx));
    } else {
      server.io = &server.tcp;
      server.tcp.set_owner(&server, &Side::kEvents);
      REQUIRE(server.tcp.open(&loop, fd) == 0);
    }
    server.io->read_start();
  }

  // Writes all of `data`, waiting for `written` when the transport takes it later.
  bool send(Side& s, std::string& data) {
    uv_buf_t b = uv_buf_init(data.data(), unsigned(data.size()));
    const int rc = s.io->write(&b, 1);
    if (rc == Transport::kDone) return true;
    if (rc < 0) return false;
    s.written = 1;
    return run_until([&] { return s.written != 1; }) && s.written == 0;
  }
};

}  // namespace

TEST_CASE("a request and an answer cross TLS both ways; idle, no buffer is held") {
  Fixture f;
  f.connect();
  REQUIRE(f.run_until([&] { return f.client.connected != 1; }));
  CHECK(f.client.connected == 0);
  CHECK(f.client.tls.handshake_done());
  f.client.io->read_start();
  std::string req = "GET / HTTP/1.1\r\nhost: x\r\n\r\n";
  REQUIRE(f.send(f.client, req));
  REQUIRE(f.run_until([&] { return f.server.got.size() == req.size(); }));
  CHECK(f.server.got == req);
  // Two pieces (a head and a body) written at once arrive whole.
  std::string head = "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n", body = "hello";
  uv_buf_t two[2] = {uv_buf_init(head.data(), unsigned(head.size())), uv_buf_init(body.data(), unsigned(body.size()))};
  CHECK(f.server.io->write(two, 2) == Transport::kDone);
  REQUIRE(f.run_until([&] { return f.client.got.size() == head.size() + body.size(); }));
  CHECK(f.client.got == head + body);
  CHECK(f.server.io->tls() != nullptr);
  CHECK(SSL_version(f.server.io->tls()) == TLS1_3_VERSION);
  // Nothing waits anywhere: every ciphertext block went back to the pool.
  CHECK(f.pool.in_use() == 0);
}

TEST_CASE("4 MB to a reader that keeps pausing arrives whole, then the close_notify ends it") {
  Fixture f;
  f.connect();
  REQUIRE(f.run_until([&] { return f.client.connected == 0 && f.server.tls.handshake_done(); }));
  f.client.paused = true;   // the client reads one buffer at a time
  f.client.cap = 1000;
  std::string chunk(65536, 'x');
  for (size_t i = 0; i < chunk.size(); ++i) chunk[i] = char('a' + i % 26);
  size_t sent = 0;
  for (int i = 0; i < 64; ++i) {
    uv_buf_t b = uv_buf_init(chunk.data(), unsigned(chunk.size()));
    const int rc = f.server.io->write(&b, 1);
    REQUIRE(rc >= 0);
    sent += chunk.size();
    if (rc == Transport::kPending) {
      f.server.written = 1;
      // The writer waits until the reader takes bytes: backpressure reaches the socket.
      REQUIRE(f.run_until([&] {
        if (!f.client.end) f.client.io->read_start();
        return f.server.written != 1;
      }));
      REQUIRE(f.server.written == 0);
    }
  }
  REQUIRE(f.server.io->shutdown() == 0);
  REQUIRE(f.run_until([&] {
    f.client.io->read_start();
    return f.client.end != 0;
  }));
  CHECK(f.client.end == UV_EOF);
  CHECK(f.client.got.size() == sent);
  CHECK(f.client.got.substr(65536 * 63) == chunk);
  CHECK(f.server.shut);
}

TEST_CASE("plaintext sent to a TLS server ends in a handshake failure, nothing is read") {
  Fixture f;
  // A plain TCP client this time.
  f.client.io = &f.client.tcp;
  f.client.tcp.set_owner(&f.client, &Side::kEvents);
  REQUIRE(f.client.tcp.connect(&f.loop, reinterpret_cast<sockaddr*>(&f.addr), sizeof f.addr) == Transport::kPending);
  const int fd = ::accept4(f.listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  REQUIRE(fd >= 0);
  f.server.tcp.set_owner(&f.server, &Side::kEvents);
  REQUIRE(f.server.tcp.open(&f.loop, fd) == 0);
  f.server.tls.set_owner(&f.server, &Side::kEvents);
  REQUIRE(f.server.tls.accept(f.server.tcp, f.server_ctx));
  f.server.io->read_start();
  REQUIRE(f.run_until([&] { return f.client.connected == 0; }));
  std::string req = "GET / HTTP/1.1\r\nhost: x\r\n\r\n";
  REQUIRE(f.send(f.client, req));
  REQUIRE(f.run_until([&] { return f.server.end != 0; }));
  CHECK(f.server.end == Transport::kHandshakeFailed);
  CHECK(f.server.got.empty());
  // A failed connection refuses writes rather than sending plaintext.
  uv_buf_t b = uv_buf_init(req.data(), unsigned(req.size()));
  CHECK(f.server.io->write(&b, 1) < 0);
}

TEST_CASE("a client that requires a certificate it cannot verify fails to connect") {
  Fixture f;
  SSL_CTX_set_verify(f.client_ctx, SSL_VERIFY_PEER, nullptr);   // no CA known: self-signed fails
  f.connect();
  REQUIRE(f.run_until([&] { return f.client.connected != 1; }));
  CHECK(f.client.connected == Transport::kHandshakeFailed);
  REQUIRE(f.run_until([&] { return f.server.end != 0; }));
  CHECK(f.server.end == Transport::kHandshakeFailed);
}

namespace {

// A TLS client's first flight, made with a memory BIO.
std::string client_first_flight() {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(ctx);
  SSL_set_bio(ssl, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
  SSL_set_connect_state(ssl);
  SSL_do_handshake(ssl);
  char* p = nullptr;
  const long n = BIO_get_mem_data(SSL_get_wbio(ssl), &p);
  std::string out(p, size_t(n));
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  return out;
}

}  // namespace

// Found by tests/fuzz/fuzz_tls_transport: the answer to the hello failed to send (EPIPE), the
// transport marked itself failed and from then on ignored the peer's end too, so the owner was
// never told and the session waited for its client timeout.
TEST_CASE("a client that sends its hello and leaves at once: the handshake fails, the owner is told") {
  std::signal(SIGPIPE, SIG_IGN);
  Fixture f;
  f.client.closed = true;   // no client transport in this test
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
  f.server.tcp.set_owner(&f.server, &Side::kEvents);
  REQUIRE(f.server.tcp.open(&f.loop, sv[0]) == 0);
  f.server.tls.set_owner(&f.server, &Side::kEvents);
  REQUIRE(f.server.tls.accept(f.server.tcp, f.server_ctx));
  f.server.io->read_start();
  const std::string hello = client_first_flight();
  REQUIRE(hello.size() > 5);
  REQUIRE(::write(sv[1], hello.data(), hello.size()) == ssize_t(hello.size()));
  ::close(sv[1]);   // before the server has read a byte: its answer cannot be sent
  REQUIRE(f.run_until([&] { return f.server.end != 0; }));
  CHECK(f.server.end == Transport::kHandshakeFailed);
  CHECK(f.server.got.empty());
  uv_buf_t b = uv_buf_init(const_cast<char*>(hello.data()), unsigned(hello.size()));
  CHECK(f.server.io->write(&b, 1) < 0);
}
