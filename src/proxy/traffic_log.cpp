// One traffic log line per exchange (option httplog / httplog clf / tcplog / log-format), sent
// to the frontend's log targets by the worker's own log::Sender. Timings are HAProxy's: TR
// (request head received), Tw (queue), Tc (connect), Tr (response head), Ta (whole exchange).
// Session methods; worker-local.
#include <cstring>
#include <ctime>

#include "portero/log/log.h"
#include "portero/proxy/worker.h"
#include "session.h"

namespace portero::proxy {

namespace {

uint64_t realtime_ms() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

timespec to_timespec(uint64_t ms) {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(ms / 1000);
  ts.tv_nsec = static_cast<long>((ms % 1000) * 1000000);
  return ts;
}

int64_t span(uint64_t from, uint64_t to) { return from && to >= from ? static_cast<int64_t>(to - from) : -1; }

}  // namespace

bool Session::logging() const { return w_.runtime().log_formats[fe_] != nullptr; }

// Called when the first byte of a request arrives (or at accept for the first one).
// The timings are kept for the counters too, logged or not.
void Session::log_request_start() {
  t_req_ = uv_now(w_.loop());
  t_req_ns_ = uv_hrtime();
  if (logging()) req_real_ms_ = realtime_ms();
  t_head_ = t_queue_ = t_dequeue_ = t_connect_ = t_connected_ = t_resp_ = 0;
  bytes_out_ = 0;
  bytes_in_ = in_.end - in_.fwd;   // what of this request is already buffered
  status_ = 0;
  denied_by_ = -1;
  intercepted_ = false;
  logged_ = false;
}

// Keeps the request line for %r: the request buffer is gone by the time the line is written.
void Session::log_request_line() {
  t_head_ = uv_now(w_.loop());
  if (!logging()) return;
  if (!log_block_) log_block_ = w_.buffers().get();
  const http::Head& h = req_.head();
  std::string_view m = h.method.in(in_.data), t = h.target.in(in_.data);
  size_t n = 0;
  auto put = [&](std::string_view s) {
    size_t len = s.size() < 1024 - n ? s.size() : 1024 - n;
    if (len) std::memcpy(log_block_ + n, s.data(), len);
    n += len;
  };
  put(m);
  put(" ");
  put(t);
  put(h.is_http10() ? " HTTP/1.0" : " HTTP/1.1");
  log_line_len_ = static_cast<uint16_t>(n);
}

void Session::log_exchange() {
  if (logged_ || !t_req_) return;
  logged_ = true;
  count_exchange();
  if (!logging()) return;
  const auto& cfg = w_.config();
  const auto& fe = cfg.proxies[fe_];
  bool error = status_ >= 500 || term_.cause != '-';
  if (fe.dontlog_normal && !error) return release_log_block();
  const Runtime& rt = w_.runtime();
  uint64_t now = uv_now(w_.loop());
  log::Record r;
  r.client = &peer_.sa;
  r.frontend_addr = &local_addr_.sa;
  r.accept_date = to_timespec(accept_real_ms_);
  r.request_date = to_timespec(req_real_ms_);
  r.frontend = fe.name;
  r.backend = be_ >= 0 ? std::string_view(cfg.proxies[be_].name) : std::string_view(fe.name);
  r.server = (be_ >= 0 && srv_idx_ >= 0 && t_connect_) ? std::string_view(cfg.proxies[be_].servers[srv_idx_].name)
                                                        : std::string_view("<NOSRV>");
  r.t_request = span(t_req_, t_head_);
  r.t_queue = t_queue_ ? span(t_queue_, t_dequeue_ ? t_dequeue_ : now) : (t_connect_ ? 0 : -1);
  r.t_connect = span(t_connect_, t_connected_);
  r.t_response = span(t_connected_, t_resp_);
  r.t_active = span(t_req_, now);
  r.t_total = span(t_accept_, now);
  r.t_idle = 0;
  r.status = status_ ? status_ : -1;
  r.bytes_out = bytes_out_;
  r.termination[0] = term_.cause;
  r.termination[1] = term_.state;
  r.termination[2] = cookie_req_flag_;
  r.termination[3] = cookie_resp_flag_;
  r.actconn = rt.cur_conns.load(std::memory_order_relaxed);
  r.feconn = rt.frontends[fe_].cur_conns.load(std::memory_order_relaxed);
  r.beconn = be_ >= 0 ? rt.backends[be_].cur_conns.load(std::memory_order_relaxed) : 0;
  r.srv_conn = (be_ >= 0 && srv_idx_ >= 0) ? rt.backends[be_].states[srv_idx_]->cur_conns.load(std::memory_order_relaxed) : 0;
  r.retries = retries_done_;
  r.redispatched = redispatched_;
  r.request_line = log_block_ ? std::string_view(log_block_, log_line_len_) : std::string_view("<BADREQ>");
  r.pid = static_cast<uint32_t>(getpid());
  char* line = w_.scratch();
  size_t len = rt.log_formats[fe_]->render(r, line, 4096);
  timespec ts = to_timespec(realtime_ms());
  // `option log-separate-errors` raises errors from info to err.
  int level = fe.log_separate_errors && error ? 3 : 6;
  w_.log_sender().send(std::span<const config::LogTarget>(fe.logs), level, std::string_view(line, len), ts);
  release_log_block();
}

void Session::release_log_block() {
  if (log_block_) {
    w_.buffers().put(log_block_);
    log_block_ = nullptr;
  }
}

}  // namespace portero::proxy
