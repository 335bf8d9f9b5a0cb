// An HTTP/2 client connection: reading into the connection session's buffer, feeding the codec,
// writing its output, the connection's timeout and stops. Worker-local.
#include "h2_conn.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <span>
#include <syslog.h>

#include "portero/http/h2_settings.h"
#include "portero/log/log.h"
#include "portero/proxy/worker.h"
#include "h2_stream.h"
#include "session.h"

namespace portero::proxy {

namespace {

http::h2::Settings settings_for(Worker& w) {
  http::h2::Settings s = http::h2::from_config(w.config().global);
  // A stream's unread request body waits in its queue: the window is what the queue holds.
  s.initial_window_size = uint32_t(std::min<size_t>(s.initial_window_size, core::ByteQueue::capacity(w.bufsize())));
  return s;
}

uint64_t loop_ms(void* w) { return uv_now(static_cast<Worker*>(w)->loop()); }

}  // namespace

H2Conn::H2Conn(Worker& w, Session& conn) : w_(w), conn_(conn), codec_(*this, settings_for(w)) {
  codec_.set_clock(loop_ms, &w_);
  flush_.run = run_flush;
  flush_.self = this;
}

H2Conn::~H2Conn() {
  core::LoopContext::of(w_.loop()).cancel(&flush_);
  if (out_) w_.buffers().put(out_);
}

const ssl_st* H2Conn::tls() const { return conn_.cli()->tls(); }

void H2Conn::start() {
  stats::Counters& c = w_.px_counters(conn_.fe_);
  c.add(c.h2_conns);
  feed_input();
  conn_.start_reading();
  flush();
}

void H2Conn::on_read(ssize_t n) {
  if (closing_) return;
  if (n == 0) {
    conn_.release(conn_.in_);
    return;
  }
  if (n == UV_EOF && !lingering_ && codec_.open_streams() > 0) {
    // A half-close after complete requests: their answers still go out (as haproxy), then
    // the connection closes; nothing more can be read.
    conn_.stop_reading();
    stopping_ = true;
    flush();
    return;
  }
  if (n < 0) {   // the client reset the connection, or closed it with nothing in flight
    close_now();
    return;
  }
  conn_.in_.end += uint32_t(n);
  if (lingering_) {   // after our last GOAWAY: read and dropped until the client closes
    conn_.in_.fwd = conn_.in_.parsed = conn_.in_.end;
    conn_.release(conn_.in_);
    return;
  }
  feed_input();
  flush();
}

void H2Conn::feed_input() {
  ReadBuffer& in = conn_.in_;
  if (!in.data || in.fwd == in.end) return;
  const bool ok = codec_.feed(in.data + in.fwd, in.end - in.fwd);
  in.fwd = in.parsed = in.end;
  conn_.release(in);
  report_frames();
  if (ok) return;
  goodbye_ = true;   // a connection error: the codec queued its GOAWAY; close once written
  if (codec_.tripped() != http::h2::Abuse::none) report_abuse();
}

// An abuse limit closed the connection: counted for the frontend and logged once, in the form
// of HAProxy's connection error lines ("<client> [<accept date>] fe/1: <reason>").
void H2Conn::report_abuse() {
  stats::Counters& c = w_.px_counters(conn_.fe_);
  c.add(c.h2_abuse);
  const config::Proxy& fe = w_.config().proxies[conn_.fe_];
  if (fe.logs.empty() || fe.no_log) return;
  char reason[128];
  const int len = std::snprintf(reason, sizeof reason, "HTTP/2 connection closed: too many %s (GOAWAY ENHANCE_YOUR_CALM)",
                                http::h2::abuse_name(codec_.tripped()));
  log::ConnErrorLine l;
  l.client = &conn_.facts_.peer.sa;
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  const uint64_t ms = conn_.facts_.accept_real_ms;   // set when the frontend has a log format
  l.accept_date = ms ? timespec{time_t(ms / 1000), long(ms % 1000) * 1000000} : now;
  l.frontend = fe.name;
  l.bind_name = fe.binds[conn_.facts_.bind].name;
  l.bind_id = conn_.facts_.bind + 1;
  l.reason = std::string_view(reason, size_t(len > 0 ? len : 0));
  char* line = w_.scratch();
  const size_t n = log::render_conn_error(l, line, std::min<size_t>(1024, w_.bufsize()));
  w_.log_sender().send(std::span<const config::LogTarget>(fe.logs), LOG_WARNING, std::string_view(line, n), now);
}

// The frames counted since the last report go to the frontend's counters.
void H2Conn::report_frames() {
  const http::h2::FrameCounts& f = codec_.frames();
  const uint64_t now[] = {f.headers_rcvd, f.data_rcvd, f.settings_rcvd, f.rst_stream_rcvd, f.goaway_rcvd,
                          f.conn_protocol_errors, f.strm_protocol_errors, f.rst_stream_sent, f.goaway_sent};
  stats::Counters& c = w_.px_counters(conn_.fe_);
  for (size_t k = 0; k < std::size(now); ++k)
    if (now[k] != reported_[k]) {
      c.add(c.h2_frames[k], now[k] - reported_[k]);
      reported_[k] = now[k];
    }
}

void H2Conn::schedule_flush() {
  if (!closing_) core::LoopContext::of(w_.loop()).defer(&flush_);
}

void H2Conn::run_flush(void* self) { static_cast<H2Conn*>(self)->flush(); }

void H2Conn::flush() {
  if (writing_ || closing_) return;
  for (;;) {
    // Stopping and no stream left: the last GOAWAY names the last stream served.
    if (stopping_ && !goodbye_ && codec_.open_streams() == 0) say_goodbye();
    if (!out_) out_ = w_.buffers().get();
    const size_t n = codec_.fill_output(out_, w_.bufsize());
    if (n == 0) break;
    uv_buf_t b = uv_buf_init(out_, unsigned(n));
    const int r = conn_.io_->write(&b, 1);
    if (r == core::Transport::kPending) {
      writing_ = true;
      conn_.arm_client_timer(w_.config().proxies[conn_.fe_].timeouts.client);
      return;
    }
    if (r < 0) return close_now();
  }
  w_.buffers().put(out_);
  out_ = nullptr;
  report_frames();
  if (goodbye_ || codec_.done()) return linger();   // everything said
  arm_timer();
}

// The last bytes are out: FIN, then what the client still sends is read and dropped until it
// closes (or `timeout client-fin`, else 1 s), so that unread input does not turn the close
// into a reset that could destroy the GOAWAY before the client reads it.
void H2Conn::linger() {
  if (lingering_) return;
  lingering_ = true;
  if (conn_.io_->shutdown() != 0) return close_now();
  conn_.arm_client_timer(w_.config().proxies[conn_.fe_].timeouts.client_fin.value_or(1000));
  conn_.start_reading();
}

void H2Conn::say_goodbye() {
  goodbye_ = true;
  codec_.terminate(http::h2::no_error);
}

void H2Conn::on_written(int status) {
  writing_ = false;
  if (closing_) return;
  if (status < 0) return close_now();
  flush();
}

// Idle (no stream open): `timeout http-keep-alive` (else http-request, else client), as for an
// idle HTTP/1 connection. With streams open, `timeout client` while nothing comes; the streams'
// sessions time their own exchanges.
void H2Conn::arm_timer() {
  const auto& fe = w_.config().proxies[conn_.fe_];
  conn_.arm_client_timer(codec_.open_streams() == 0 ? fe.keep_alive_timeout() : fe.timeouts.client);
}

void H2Conn::on_timer() {
  if (closing_) return;
  if (lingering_) return close_now();
  if (writing_) return close_now();   // the client reads nothing
  // Exchanges in progress time themselves; streams whose exchange is over but whose response
  // the client does not take (a window it never reopens) do not keep the connection alive.
  for (H2Stream* s = streams_; s; s = s->next)
    if (s->session_alive()) return arm_timer();
  say_goodbye();   // idle: GOAWAY, then close once it is written
  flush();
}

void H2Conn::soft_stop() {
  if (closing_) return;
  stopping_ = true;
  codec_.shutdown_notice();
  flush();
}

void H2Conn::hard_close() { close_now(); }

void H2Conn::close_now() {
  if (closing_) return;
  closing_ = true;
  conn_.closed_ = true;
  w_.timers().disarm(conn_.ctimer_);
  core::LoopContext::of(w_.loop()).cancel(&flush_);
  if (!goodbye_) say_goodbye();   // every open stream's session learns it is over
  if (conn_.in_.data) {
    w_.buffers().put(conn_.in_.data);
    conn_.in_ = ReadBuffer{};
  }
  conn_.io_->close();
}

void H2Conn::transport_closed() {
  transport_closed_ = true;
  closing_ = true;
  maybe_finish();
}

void H2Conn::stream_freed(H2Stream* s) {
  if (s->prev) s->prev->next = s->next;
  else streams_ = s->next;
  if (s->next) s->next->prev = s->prev;
  if (last_found_ == s) last_found_ = nullptr;
  --live_;
  w_.free_h2stream(s);
  if (stopping_ && !closing_ && codec_.open_streams() == 0) schedule_flush();
  maybe_finish();
}

void H2Conn::maybe_finish() {
  if (!transport_closed_ || live_ > 0) return;
  Session& c = conn_;
  stats::Counters& k = w_.px_counters(c.fe_);
  k.add(k.h2_closed);
  c.h2_ = nullptr;
  w_.free_h2conn(this);
  c.closed_now();
}

H2Stream* H2Conn::find(int32_t id) {
  if (last_found_ && last_found_->id() == id) return last_found_;
  for (H2Stream* s = streams_; s; s = s->next)
    if (s->id() == id) return last_found_ = s;
  return nullptr;
}

bool H2Conn::on_stream_open(int32_t id, http::h2::HeadRoom& room) {
  if (closing_) return false;   // after a GOAWAY notice, streams the client opened still count
  H2Stream* s = w_.new_h2stream(*this, id);
  s->next = streams_;
  if (streams_) streams_->prev = s;
  streams_ = s;
  ++live_;
  s->open(room);
  return true;
}

void H2Conn::on_request_head(int32_t id, const http::Head& head, const char* base, bool end_stream) {
  if (H2Stream* s = find(id)) s->on_head(head, base, end_stream);
}

void H2Conn::on_request_data(int32_t id, const char* p, size_t n) {
  if (H2Stream* s = find(id)) s->on_data(p, n);
}

void H2Conn::on_request_end(int32_t id) {
  if (H2Stream* s = find(id)) s->on_end();
}

void H2Conn::on_stream_closed(int32_t id, uint32_t error_code) {
  H2Stream* s = find(id);
  if (!s) return;
  // Counted closed when the codec closes it (its END_STREAM is out, or it was reset), as
  // haproxy does: before the client can read the end of the answer, not when our stream object
  // goes (a turn of the loop later).
  if (s->carried_request()) {
    stats::Counters& c = w_.px_counters(conn_.fe_);
    c.add(c.h2_streams_closed);
  }
  s->on_codec_closed(error_code);
}

size_t H2Conn::response_data(int32_t id, char* out, size_t cap, bool& eof, bool& more_later) {
  if (H2Stream* s = find(id)) return s->pull(out, cap, eof, more_later);
  eof = true;
  return 0;
}

}  // namespace portero::proxy
