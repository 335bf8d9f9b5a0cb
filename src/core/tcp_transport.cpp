// A TCP (or unix stream) socket driven by libuv, as a Transport.
#include <cerrno>
#include <sys/socket.h>
#include <unistd.h>

#include "portero/core/loop_context.h"
#include "portero/core/transport.h"

namespace portero::core {

int Transport::local_address(sockaddr_storage& out) const {
  socklen_t len = sizeof out;
  return ::getsockname(fd(), reinterpret_cast<sockaddr*>(&out), &len) == 0 ? 0 : -errno;
}

int Transport::peer_address(sockaddr_storage& out) const {
  socklen_t len = sizeof out;
  return ::getpeername(fd(), reinterpret_cast<sockaddr*>(&out), &len) == 0 ? 0 : -errno;
}

int TcpTransport::open(uv_loop_t* loop, int fd) {
  uv_tcp_init(loop, &tcp_);
  tcp_.data = this;
  const int rc = uv_tcp_open(&tcp_, fd);
  if (rc != 0) ::close(fd);
  return rc;
}

namespace {
// The bytes that go before anything else on a new connection: all at once (a fresh socket's
// send buffer takes a few hundred bytes), or the connection fails.
int send_first(int fd, std::string_view first) {
  if (first.empty()) return 0;
  ssize_t n;
  do n = ::send(fd, first.data(), first.size(), MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0) return -errno;
  return size_t(n) == first.size() ? 0 : UV_EPIPE;
}
}  // namespace

int TcpTransport::connect(uv_loop_t* loop, const sockaddr* addr, socklen_t len, std::string_view first) {
  uv_tcp_init(loop, &tcp_);
  tcp_.data = this;
  if (addr->sa_family == AF_UNIX) {
    // libuv's pipes would do, but a tcp handle drives any stream fd, so one kind of handle
    // serves every server. A local connect completes (or is refused) at once.
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    int rc;
    do rc = ::connect(fd, addr, len);
    while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      const int err = -errno;
      ::close(fd);
      return err;
    }
    rc = uv_tcp_open(&tcp_, fd);
    if (rc != 0) ::close(fd);
    if (rc == 0) rc = send_first(fd, first);
    return rc != 0 ? rc : kDone;
  }
  sreq_ = LoopContext::of(loop).new_req();
  sreq_->connect.req.data = this;
  sreq_->connect.first = first.data();
  sreq_->connect.first_len = first.size();
  const int rc = uv_tcp_connect(&sreq_->connect.req, &tcp_, addr, [](uv_connect_t* req, int status) {
    auto* t = static_cast<TcpTransport*>(req->data);
    const std::string_view first(t->sreq_->connect.first, t->sreq_->connect.first_len);
    LoopContext::of(t->loop()).free_req(t->sreq_);
    t->sreq_ = nullptr;
    if (status == UV_ECANCELED || t->closing_) return;
    if (status == 0) uv_tcp_nodelay(&t->tcp_, 1);
    if (status == 0) status = send_first(t->fd(), first);
    t->ev_->connected(t->owner_, status);
  });
  if (rc != 0) {
    LoopContext::of(loop).free_req(sreq_);
    sreq_ = nullptr;
    return rc;
  }
  return kPending;
}

void TcpTransport::set_nodelay() { uv_tcp_nodelay(&tcp_, 1); }

void TcpTransport::set_keepalive() {
  int on = 1;
  setsockopt(fd(), SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
}

int TcpTransport::fd() const {
  uv_os_fd_t fd = -1;
  uv_fileno(reinterpret_cast<const uv_handle_t*>(&tcp_), &fd);
  return fd;
}

void TcpTransport::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  auto* t = static_cast<TcpTransport*>(h->data);
  t->ev_->alloc(t->owner_, buf);
}

// libuv's 0 (the socket had nothing after all) goes to the owner too: it may give back the
// buffer it lent for nothing.
void TcpTransport::on_read(uv_stream_t* s, ssize_t n, const uv_buf_t*) {
  auto* t = static_cast<TcpTransport*>(s->data);
  t->ev_->read(t->owner_, n);
}

void TcpTransport::read_start() {
  if (reading_ || closing_) return;
  reading_ = true;
  uv_read_start(stream(), on_alloc, on_read);
}

void TcpTransport::read_stop() {
  if (!reading_) return;
  reading_ = false;
  uv_read_stop(stream());
}

int TcpTransport::try_write(const uv_buf_t* bufs, int n) {
  const int r = uv_try_write(stream(), bufs, static_cast<unsigned>(n));
  return r == UV_EAGAIN ? 0 : r;
}

int TcpTransport::write(uv_buf_t* bufs, int n) {
  const int r = try_write(bufs, n);
  if (r < 0) return r;
  size_t done = static_cast<size_t>(r);
  int i = 0;
  while (i < n && done >= bufs[i].len) done -= bufs[i++].len;
  if (i == n) return kDone;
  // The socket is full: libuv keeps the rest (the bytes stay the owner's until `written`).
  bufs[i].base += done;
  bufs[i].len -= done;
  LoopContext& lc = LoopContext::of(loop());
  wreq_ = lc.new_req();
  wreq_->write.data = this;
  const int rc = uv_write(&wreq_->write, stream(), bufs + i, static_cast<unsigned>(n - i), [](uv_write_t* req, int status) {
    auto* t = static_cast<TcpTransport*>(req->data);
    LoopContext::of(t->loop()).free_req(t->wreq_);
    t->wreq_ = nullptr;
    if (t->closing_) return;
    t->ev_->written(t->owner_, status);
  });
  if (rc != 0) {
    lc.free_req(wreq_);
    wreq_ = nullptr;
    return rc;
  }
  return kPending;
}

int TcpTransport::shutdown() {
  if (sreq_) return UV_EBUSY;
  LoopContext& lc = LoopContext::of(loop());
  sreq_ = lc.new_req();
  sreq_->shutdown.data = this;
  const int rc = uv_shutdown(&sreq_->shutdown, stream(), [](uv_shutdown_t* req, int status) {
    auto* t = static_cast<TcpTransport*>(req->data);
    LoopContext::of(t->loop()).free_req(t->sreq_);
    t->sreq_ = nullptr;
    if (t->closing_ || !t->ev_->shut) return;
    t->ev_->shut(t->owner_, status);
  });
  if (rc != 0) {
    lc.free_req(sreq_);
    sreq_ = nullptr;
  }
  return rc;
}

void TcpTransport::close() {
  if (closing_) return;
  closing_ = true;
  reading_ = false;
  // Pending requests end with UV_ECANCELED (their callbacks free them, then see closing_).
  uv_close(handle(), [](uv_handle_t* h) {
    auto* t = static_cast<TcpTransport*>(h->data);
    t->ev_->closed(t->owner_);
  });
}

}  // namespace portero::core
