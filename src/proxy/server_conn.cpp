// The server side of a session: reading, idling in the pool, closing. Worker-local.
#include "portero/proxy/worker.h"
#include "session.h"

namespace portero::proxy {

// ---------------------------------------------------------------------------------------------
// Server connection

const core::TransportEvents ServerConn::kEvents = {
    // alloc: the connection's own pooled buffer, taken when bytes come
    [](void* self, uv_buf_t* buf) {
      auto* c = static_cast<ServerConn*>(self);
      if (!c->in.data) {
        c->in.data = c->worker.buffers().get();
        c->in.fwd = c->in.parsed = c->in.end = 0;
      }
      buf->base = c->in.data + c->in.end;
      buf->len = c->worker.bufsize() - c->in.end;
    },
    // read
    [](void* self, ssize_t nread) {
      auto* c = static_cast<ServerConn*>(self);
      if (nread == 0) {   // nothing after all: an empty buffer goes back to the pool
        c->release_buffer();
        return;
      }
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
    },
    // written
    [](void* self, int status) {
      auto* c = static_cast<ServerConn*>(self);
      if (c->closing || !c->owner) return;
      c->owner->on_server_write_done(status);
    },
    // connected
    [](void* self, int status) {
      auto* c = static_cast<ServerConn*>(self);
      if (c->closing || !c->owner) return;
      c->owner->on_server_connected(status);
    },
    nullptr,   // shut: nothing waits for the server side's FIN
    // closed
    [](void* self) {
      auto* c = static_cast<ServerConn*>(self);
      if (c->in.data) c->worker.buffers().put(c->in.data);
      c->in = ReadBuffer{};
      if (c->tls) c->worker.be_counters(c->proxy_index).add(c->worker.be_counters(c->proxy_index).ssl_closed);
      if (c->tls) c->worker.free_tls(c->tls);
      c->tls = nullptr;
      c->worker.free_server_conn(c);
    },
};

void ServerConn::on_timer(core::TimerNode* n) {
  auto* conn = static_cast<ServerConn*>(n->owner);
  if (conn->owner) {
    conn->owner->on_server_timeout();
  } else {
    conn->worker.forget_idle(conn);
    conn->close();
  }
}

void ServerConn::start_reading() {
  if (reading || closing) return;
  reading = true;
  io->read_start();
}

void ServerConn::stop_reading() {
  if (!reading) return;
  reading = false;
  io->read_stop();
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
  release_first();
  io->close();
}

}  // namespace portero::proxy
