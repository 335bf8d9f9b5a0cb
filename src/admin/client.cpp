#include "client.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "portero/core/listener_set.h"

namespace portero::admin {
namespace {

// A client that stops reading its replies is not read from either once this much is queued.
constexpr size_t kMaxQueued = 4u << 20;

struct WriteReq {
  uv_write_t req;
  std::string data;
};

}  // namespace

Client::Client(uv_loop_t* loop, Context& ctx, Session s, size_t max_line, ReleaseFn release, void* owner)
    : loop_(loop),
      ctx_(ctx),
      conv_(s, max_line, [&ctx](Session& ss, const std::vector<std::string>& args) { return run_command(ctx, ss, args); }),
      release_(release),
      owner_(owner),
      started_ms_(uv_now(loop)) {
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
  ++open_handles_;
}

bool Client::start(int fd, bool unix_family, std::string proto, std::string source) {
  proto_ = std::move(proto);
  source_ = std::move(source);
  int rc;
  if (unix_family) {
    uv_pipe_init(loop_, &h_.pipe, 0);
    ++open_handles_;
    rc = uv_pipe_open(&h_.pipe, fd);
  } else {
    uv_tcp_init(loop_, &h_.tcp);
    ++open_handles_;
    rc = uv_tcp_open(&h_.tcp, fd);
  }
  stream()->data = this;
  if (rc != 0) {
    ::close(fd);
    return false;
  }
  if (uv_read_start(stream(), on_alloc, on_read) != 0) return false;
  reading_ = true;
  arm_timer();
  return true;
}

void Client::arm_timer() {
  if (closing_) return;
  uv_timer_start(&timer_, on_timeout, conv_.session().timeout_ms, 0);
}

void Client::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  auto* c = static_cast<Client*>(h->data);
  *buf = uv_buf_init(c->rbuf_, sizeof(c->rbuf_));
}

void Client::on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  auto* c = static_cast<Client*>(s->data);
  if (n == 0 || c->closing_) return;
  if (n < 0) {
    if (n != UV_EOF) return c->close();
    // Half-close: what was already answered still goes out, then the connection ends.
    c->conv_.peer_closed();
  } else {
    // HAProxy's `-x` opens a connection and sends `_getsocks` alone: answered out of band.
    const std::string_view in(buf->base, size_t(n));
    if (!c->fed_ && (in == "_getsocks\n" || in == "_getsocks\r\n")) return c->hand_over_listeners();
    c->fed_ = true;
    std::string out = c->conv_.feed(std::string_view(buf->base, size_t(n)));
    if (!out.empty()) c->send(std::move(out));
    if (c->closing_) return;
    c->arm_timer();   // the idle timeout counts from the last request
  }
  if (c->conv_.finished() && c->reading_) {
    uv_read_stop(c->stream());
    c->reading_ = false;
  }
  c->maybe_finish();
}

void Client::hand_over_listeners() {
  // As HAProxy: without `expose-fd listeners`, or with nothing to give, the connection just ends.
  std::vector<int> fds;
  if (conv_.session().expose_fd_listeners && ctx_.exposed_listeners) fds = ctx_.exposed_listeners();
  uv_os_fd_t fd = -1;
  if (!fds.empty() && uv_fileno(reinterpret_cast<uv_handle_t*>(stream()), &fd) == 0) {
    // Blocking for the exchange (bounded by a 1 s receive timeout on the acknowledgements).
    const int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    timeval tv{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    std::string error;
    core::send_listening_sockets(fd, fds, error);
    fcntl(fd, F_SETFL, flags);
  }
  close();
}

void Client::send(std::string bytes) {
  auto* w = new WriteReq;
  w->data = std::move(bytes);
  w->req.data = this;
  uv_buf_t b = uv_buf_init(w->data.data(), unsigned(w->data.size()));
  if (uv_write(&w->req, stream(), &b, 1, on_write) != 0) {
    delete w;   // the callback will never run
    return close();
  }
  ++writes_pending_;
  if (reading_ && stream()->write_queue_size > kMaxQueued) {
    uv_read_stop(stream());
    reading_ = false;
  }
}

void Client::on_write(uv_write_t* req, int status) {
  auto* w = reinterpret_cast<WriteReq*>(req);
  auto* c = static_cast<Client*>(req->data);
  delete w;
  --c->writes_pending_;
  if (c->closing_) return;
  if (status < 0) return c->close();
  if (!c->reading_ && !c->conv_.finished() && c->stream()->write_queue_size <= kMaxQueued / 2) {
    if (uv_read_start(c->stream(), on_alloc, on_read) == 0) c->reading_ = true;
  }
  c->arm_timer();
  c->maybe_finish();
}

void Client::maybe_finish() {
  if (!closing_ && conv_.finished() && writes_pending_ == 0) close();
}

void Client::on_timeout(uv_timer_t* t) { static_cast<Client*>(t->data)->close(); }

void Client::close() {
  if (closing_) return;
  closing_ = true;
  uv_timer_stop(&timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_closed);
  if (open_handles_ > 1) uv_close(reinterpret_cast<uv_handle_t*>(&h_), on_closed);
}

void Client::on_closed(uv_handle_t* h) {
  auto* c = static_cast<Client*>(h->data);
  if (--c->open_handles_ == 0) c->release_(c->owner_, c);
}

CliClientInfo Client::info(uint64_t now_ms) const {
  CliClientInfo i;
  i.id = reinterpret_cast<uintptr_t>(this);
  i.proto = proto_;
  i.source = source_;
  i.age_s = now_ms > started_ms_ ? (now_ms - started_ms_) / 1000 : 0;
  return i;
}

}  // namespace portero::admin
