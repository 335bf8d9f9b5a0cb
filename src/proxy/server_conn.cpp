// The server side of a session: reading, idling in the pool, closing. Worker-local.
#include "portero/proxy/worker.h"
#include "session.h"
#include "uv_cast.h"

namespace portero::proxy {

// ---------------------------------------------------------------------------------------------
// Server connection

void ServerConn::start_reading() {
  if (reading || closing) return;
  reading = true;
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&tcp),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        auto* c = static_cast<ServerConn*>(h->data);
        if (!c->in.data) {
          c->in.data = c->worker.buffers().get();
          c->in.fwd = c->in.parsed = c->in.end = 0;
        }
        buf->base = c->in.data + c->in.end;
        buf->len = c->worker.bufsize() - c->in.end;
      },
      [](uv_stream_t* s, ssize_t nread, const uv_buf_t*) {
        auto* c = static_cast<ServerConn*>(s->data);
        if (nread == 0) return;
        if (nread == UV_ENOBUFS) {
          c->stop_reading();
          return;
        }
        if (nread > 0) c->in.end += static_cast<uint32_t>(nread);
        if (c->owner) {
          c->owner->on_server_read(nread);
        } else {
          // Idle (in the pool, or kept by its client session): the server closed it or sent
          // something unexpected; drop it.
          if (c->keeper) c->keeper->private_lost();
          c->keeper = nullptr;
          c->worker.forget_idle(c);
          c->close();
        }
      });
}

void ServerConn::stop_reading() {
  if (!reading) return;
  reading = false;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp));
}

void ServerConn::release_buffer() {
  if (in.data && in.fwd == in.end) {
    worker.buffers().put(in.data);
    in = ReadBuffer{};
  }
}

void ServerConn::set_busy(bool b) {
  if (b == busy) return;
  busy = b;
  if (b) worker.conn_busy(proxy_index, server_index);
  else worker.conn_done(proxy_index, server_index);
}

void ServerConn::close() {
  if (closing) return;
  closing = true;
  set_busy(false);
  owner = nullptr;
  worker.timers().disarm(timer);
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp), [](uv_handle_t* h) {
    auto* c = static_cast<ServerConn*>(h->data);
    if (c->in.data) c->worker.buffers().put(c->in.data);
    c->in = ReadBuffer{};
    c->worker.free_server_conn(c);
  });
}

}  // namespace portero::proxy
