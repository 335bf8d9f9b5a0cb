// An HTTP/2 connection to a server, shared by the worker's exchanges (see h2_upstream.h):
// reading into the carrier's buffer, feeding the codec, writing its output, idling and closing.
// Worker-local.
#include "h2_upstream.h"

#include <algorithm>
#include <cstring>

#include <openssl/ssl.h>

#include "portero/http/h2_settings.h"
#include "portero/proxy/worker.h"
#include "h2_call.h"
#include "session.h"

namespace portero::proxy {

namespace {

http::h2::Settings settings_for(Worker& w) {
  http::h2::Settings s = http::h2::from_config(w.config().global);
  // A call's response waits in its queue with its chunk framing: the window is what the queue
  // holds, less room for that framing.
  const size_t room = core::ByteQueue::capacity(w.bufsize()) - w.bufsize();
  s.initial_window_size = uint32_t(std::min<size_t>(s.initial_window_size, room));
  return s;
}

}  // namespace

const core::TransportEvents H2Upstream::kEvents = {
    [](void* self, uv_buf_t* buf) { ServerConn::kEvents.alloc(&static_cast<H2Upstream*>(self)->carrier_, buf); },
    [](void* self, ssize_t n) { static_cast<H2Upstream*>(self)->on_read(n); },
    [](void* self, int status) {
      auto* u = static_cast<H2Upstream*>(self);
      u->writing_ = false;
      if (u->closing_) return;
      if (status < 0) return u->close_now();
      u->flush();
    },
    nullptr,   // connected: the carrier was connected before it was adopted
    nullptr,   // shut
    [](void* self) {
      auto* u = static_cast<H2Upstream*>(self);
      ServerConn::kEvents.closed(&u->carrier_);   // the carrier is freed
      u->transport_closed();
    },
};

H2Upstream::H2Upstream(Worker& w, ServerConn& carrier, bool shared)
    : w_(w), carrier_(carrier), codec_(*this, settings_for(w)), shared_(shared) {
  flush_.run = run_flush;
  flush_.self = this;
}

H2Upstream::~H2Upstream() {
  core::LoopContext::of(w_.loop()).cancel(&flush_);
  if (out_) w_.buffers().put(out_);
}

int H2Upstream::proxy_index() const { return carrier_.proxy_index; }
int H2Upstream::server_index() const { return carrier_.server_index; }
uint64_t H2Upstream::sni_key() const { return carrier_.sni_key; }
const ssl_st* H2Upstream::tls() const { return transport_closed_ ? nullptr : carrier_.io->tls(); }
int H2Upstream::fd() const { return transport_closed_ ? -1 : carrier_.io->fd(); }

bool H2Upstream::speaks_h2(const Worker& w, const ServerConn& carrier) {
  const config::Server& s = w.config().proxies[size_t(carrier.proxy_index)].servers[size_t(carrier.server_index)];
  if (s.proto == config::MuxProto::h2) return true;
  if (s.proto == config::MuxProto::h1 || !carrier.tls) return false;
  const unsigned char* p = nullptr;
  unsigned len = 0;
  SSL_get0_alpn_selected(carrier.io->tls(), &p, &len);
  return len == 2 && std::memcmp(p, "h2", 2) == 0;
}

ServerConn* H2Upstream::adopt(Worker& w, ServerConn* carrier, Session& owner) {
  const auto& be = w.config().proxies[size_t(carrier->proxy_index)];
  const bool shared = be.http_reuse != config::HttpReuse::never && !be.servers[size_t(carrier->server_index)].sends_proxy();
  H2Upstream* u = w.new_h2upstream(*carrier, shared);
  carrier->owner = nullptr;
  carrier->set_busy(false);   // the calls count as the server's connections in use
  carrier->io->set_owner(u, &kEvents);
  carrier->timer.owner = u;
  carrier->timer.on_expire = [](core::TimerNode* n) {
    auto* up = static_cast<H2Upstream*>(n->owner);
    up->codec_.shutdown_notice();   // idle: GOAWAY, then close once it is written
    up->flush();
    if (!up->writing_) up->close_now();
  };
  if (shared) {
    w.list_upstream(u);
    u->listed_ = true;
  }
  ServerConn* call = u->open_call(owner);
  carrier->start_reading();
  u->flush();
  return call;
}

ServerConn* H2Upstream::call_on_shared(Worker& w, int proxy_index, int server_index, uint64_t sni_key,
                                       Session& owner) {
  for (H2Upstream* u = w.upstreams(proxy_index, server_index); u; u = u->next)
    if (u->sni_key() == sni_key && u->available()) return u->open_call(owner);
  return nullptr;
}

bool H2Upstream::available() const {
  if (closing_ || !codec_.can_open() || live_ >= codec_.max_streams()) return false;
  const int32_t max_reuse = w_.config().proxies[size_t(carrier_.proxy_index)].servers[size_t(carrier_.server_index)].max_reuse;
  return max_reuse < 0 || streams_ <= uint64_t(max_reuse);
}

ServerConn* H2Upstream::open_call(Session& owner) {
  H2Call* call = w_.new_h2call(*this);
  call->next = calls_;
  if (calls_) calls_->prev = call;
  calls_ = call;
  ++live_;
  ++streams_;
  ServerConn* c = w_.new_server_conn();
  c->owner = &owner;
  c->proxy_index = carrier_.proxy_index;
  c->server_index = carrier_.server_index;
  c->sni_key = carrier_.sni_key;
  c->stream = true;
  c->connected = true;
  c->reused = streams_ > 1;
  c->io = call;
  call->set_owner(c, &ServerConn::kEvents);
  c->timer.owner = c;
  c->timer.on_expire = ServerConn::on_timer;
  c->set_busy(true);
  w_.timers().disarm(carrier_.timer);   // busy again
  return c;
}

void H2Upstream::stop() {
  if (listed_) {
    w_.forget_upstream(this);
    listed_ = false;
  }
  // Calls in flight finish first (a soft stop lets them): the last one's end comes back here.
  if (closing_ || live_ > 0) return;
  codec_.shutdown_notice();
  flush();
  if (!writing_) close_now();
}

void H2Upstream::call_freed(H2Call* c) {
  if (c->prev) c->prev->next = c->next;
  else calls_ = c->next;
  if (c->next) c->next->prev = c->prev;
  --live_;
  w_.free_h2call(c);
  if (live_ == 0 && !closing_) {
    // Kept for later exchanges while shared and wanted; otherwise it goes now.
    if (!listed_ || codec_.going_away() || w_.stopping()) stop();
    else if (const uint64_t ms = w_.config().proxies[proxy_index()].servers[server_index()].pool_purge_delay)
      w_.timers().arm(carrier_.timer, ms);   // pool-purge-delay (0: kept)
  }
  maybe_free();
}

H2Call* H2Upstream::find(int32_t id) {
  for (H2Call* c = calls_; c; c = c->next)
    if (c->id() == id) return c;
  return nullptr;
}

void H2Upstream::on_read(ssize_t n) {
  if (closing_) return;
  if (n == 0) {
    carrier_.release_buffer();
    return;
  }
  if (n < 0) return close_now();   // the server closed or reset the connection
  ReadBuffer& in = carrier_.in;
  in.end += uint32_t(n);
  const bool ok = codec_.feed(in.data + in.fwd, in.end - in.fwd);
  in.fwd = in.parsed = in.end;
  carrier_.release_buffer();
  if (!ok) {   // a connection error: the codec queued its GOAWAY
    flush();
    return close_now();
  }
  if (codec_.going_away() && listed_) {   // the server's GOAWAY: no new call comes here
    w_.forget_upstream(this);
    listed_ = false;
  }
  flush();
  if (live_ == 0 && codec_.going_away()) stop();
}

void H2Upstream::schedule_flush() {
  if (!closing_) core::LoopContext::of(w_.loop()).defer(&flush_);
}

void H2Upstream::run_flush(void* self) { static_cast<H2Upstream*>(self)->flush(); }

void H2Upstream::flush() {
  if (writing_ || closing_) return;
  for (;;) {
    if (!out_) out_ = w_.buffers().get();
    const size_t n = codec_.fill_output(out_, w_.bufsize());
    if (n == 0) break;
    uv_buf_t b = uv_buf_init(out_, unsigned(n));
    const int r = carrier_.io->write(&b, 1);
    if (r == core::Transport::kPending) {
      writing_ = true;
      return;
    }
    if (r < 0) return close_now();
  }
  w_.buffers().put(out_);
  out_ = nullptr;
  if (codec_.done()) close_now();
}

void H2Upstream::close_now() {
  if (closing_) return;
  closing_ = true;
  if (listed_) {
    w_.forget_upstream(this);
    listed_ = false;
  }
  core::LoopContext::of(w_.loop()).cancel(&flush_);
  for (H2Call* c = calls_; c; c = c->next) c->fail();
  carrier_.close();   // its `closed` event comes here (kEvents)
}

void H2Upstream::transport_closed() {
  transport_closed_ = true;
  closing_ = true;
  maybe_free();
}

void H2Upstream::maybe_free() {
  if (transport_closed_ && live_ == 0) w_.free_h2upstream(this);
}

// ---------------------------------------------------------------------------------------------
// The codec's events, to the calls

void H2Upstream::on_response_head(int32_t id, const http::Head& head, const char* base, bool end_stream) {
  if (H2Call* c = find(id)) c->on_head(head, base, end_stream);
  else codec_.reset(id, http::h2::cancel);
}

void H2Upstream::on_response_data(int32_t id, const char* p, size_t n) {
  if (H2Call* c = find(id)) c->on_data(p, n);
  else codec_.consumed(id, n);
}

void H2Upstream::on_response_trailers(int32_t id, const http::Head& trailers, const char* base) {
  if (H2Call* c = find(id)) c->on_trailers(trailers, base);
}

void H2Upstream::on_response_end(int32_t id) {
  if (H2Call* c = find(id)) c->on_end();
}

void H2Upstream::on_stream_closed(int32_t id, uint32_t error_code) {
  if (H2Call* c = find(id)) c->on_closed(error_code);
}

size_t H2Upstream::request_data(int32_t id, char* out, size_t cap, bool& eof, bool& more_later) {
  if (H2Call* c = find(id)) return c->pull(out, cap, eof, more_later);
  eof = true;
  return 0;
}

}  // namespace portero::proxy
