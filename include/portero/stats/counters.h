#pragma once
// Traffic counters, HAProxy's `show stat` fields. Each worker has its own block per proxy and per
// server and is its only writer (relaxed atomics: no lock, no contention on the request path);
// readers on the main thread (stats page, admin socket) sum the blocks of every worker.
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace portero::stats {

// Latency histogram: log2 buckets of microseconds, each split in 4 (about 19% wide), from 1 µs
// to about an hour. Bucket 0 holds < 1 µs.
constexpr int kLatencyBuckets = 128;
inline int latency_bucket(uint64_t us) {
  if (us < 4) return static_cast<int>(us);
  const int msb = 63 - __builtin_clzll(us);                     // >= 2
  const int sub = static_cast<int>((us >> (msb - 2)) & 3);      // the next two bits
  const int b = 4 * (msb - 1) + sub;
  return b < kLatencyBuckets ? b : kLatencyBuckets - 1;
}
// The largest value (µs) that falls in bucket b.
inline uint64_t latency_bucket_upper(int b) {
  if (b < 4) return static_cast<uint64_t>(b);
  const int msb = b / 4 + 1, sub = b % 4;
  return ((4ull + sub + 1) << (msb - 2)) - 1;
}

struct Counters {
  using C = std::atomic<uint64_t>;
  C sessions{0};          // stot: sessions (frontend: accepted connections; backend/server: requests sent)
  C denied_conn{0};       // dcon: connections refused by `tcp-request connection` rules (not sessions)
  C embryonic{0};         // connections closed before they became sessions (PROXY header): conn_tot only
  C requests{0};          // req_tot (frontend: HTTP requests received)
  C bytes_in{0};          // bin: bytes from clients
  C bytes_out{0};         // bout: bytes to clients
  C denied_req{0}, denied_resp{0};        // dreq, dresp
  C errors_req{0}, errors_conn{0}, errors_resp{0};  // ereq, econ, eresp
  C retries{0}, redispatches{0};          // wretr, wredis
  C http_1xx{0}, http_2xx{0}, http_3xx{0}, http_4xx{0}, http_5xx{0}, http_other{0};
  C client_aborts{0}, server_aborts{0};   // cli_abrt, srv_abrt
  C lb_total{0};          // lbtot: times the server was picked by the balancer
  C connects{0}, reuses{0};               // connect, reuse
  C intercepted{0};       // requests answered by the proxy itself (return, redirect, stats...)
  C failed_checks{0};
  // Sums and count for the average times (ms) over the requests of this worker.
  C t_queue_sum{0}, t_connect_sum{0}, t_response_sum{0}, t_total_sum{0}, t_samples{0};
  C t_queue_max{0}, t_connect_max{0}, t_response_max{0}, t_total_max{0};
  C last_session_s{0};    // unix seconds of the last session (lastsess)
  C cur_max{0};           // smax: the highest current-sessions value seen by this worker
  C queue_max{0};         // qmax
  C wrew{0};              // failed header rewrites
  // TLS (the SSL columns after "-"): handshakes completed in full (ssl_sess, a key computed) or
  // by resuming a session (ssl_reused_sess), and failed ones (ssl_failed_handshake; a handshake
  // that timed out is not counted, as HAProxy). Client side on FRONTEND rows, server side on
  // BACKEND and server rows. `clear counters` zeroes them.
  C ssl_sess{0}, ssl_reused_sess{0}, ssl_failed_handshake{0};
  // TLS connections opened (frontend: accepted on an `ssl` bind; backend: to an `ssl` server)
  // and closed, for show info's CumSslConns / CurrSslConns and the SSL rates. Never cleared.
  C ssl_conns{0}, ssl_closed{0};
  // HTTP/2 from clients (the H2 columns of FRONTEND rows): connections opened and closed, the
  // streams that carried a request (haproxy's "h2_backend_*_streams" columns count these).
  // Never cleared, like haproxy's module counters.
  C h2_conns{0}, h2_closed{0}, h2_streams{0}, h2_streams_closed{0};
  // Frames: HEADERS, DATA, SETTINGS, RST_STREAM, GOAWAY received; protocol errors detected on
  // the connection and on streams; RST_STREAM and GOAWAY sent (show stat's order).
  C h2_frames[9] = {};
  // HTTP/2 connections closed for tripping an abuse limit (h2::Settings), beyond haproxy.
  C h2_abuse{0};
  C latency[kLatencyBuckets] = {};   // total time of each request (µs), for percentiles

  void add(C& c, uint64_t v = 1) { c.fetch_add(v, std::memory_order_relaxed); }
  void max_of(C Counters::*m, uint64_t v) { max(this->*m, v); }
  void store_max(C& c, uint64_t v) { max(c, v); }
  void max(C& c, uint64_t v) {
    uint64_t cur = c.load(std::memory_order_relaxed);
    while (v > cur && !c.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {}
  }
  void status(int code) {
    if (code >= 100 && code < 200) add(http_1xx);
    else if (code < 300 && code >= 200) add(http_2xx);
    else if (code < 400 && code >= 300) add(http_3xx);
    else if (code < 500 && code >= 400) add(http_4xx);
    else if (code < 600 && code >= 500) add(http_5xx);
    else add(http_other);
  }
};

// Plain sums of Counters, for rendering.
struct Totals {
  uint64_t sessions = 0, denied_conn = 0, embryonic = 0, requests = 0, bytes_in = 0, bytes_out = 0, denied_req = 0, denied_resp = 0,
           errors_req = 0, errors_conn = 0, errors_resp = 0, retries = 0, redispatches = 0, http_1xx = 0,
           http_2xx = 0, http_3xx = 0, http_4xx = 0, http_5xx = 0, http_other = 0, client_aborts = 0,
           server_aborts = 0, lb_total = 0, connects = 0, reuses = 0, intercepted = 0, failed_checks = 0,
           t_queue_sum = 0, t_connect_sum = 0, t_response_sum = 0, t_total_sum = 0, t_samples = 0,
           t_queue_max = 0, t_connect_max = 0, t_response_max = 0, t_total_max = 0, last_session_s = 0,
           cur_max = 0, queue_max = 0, wrew = 0, ssl_sess = 0, ssl_reused_sess = 0, ssl_failed_handshake = 0,
           ssl_conns = 0, ssl_closed = 0, h2_conns = 0, h2_closed = 0, h2_streams = 0, h2_streams_closed = 0,
           h2_abuse = 0;
  uint64_t h2_frames[9] = {};
  uint64_t latency[kLatencyBuckets] = {};
  void add(const Counters& c);   // sums; *_max and last_session_s take the maximum
  // The p-quantile (0 < q < 1) of the latency histogram, in µs (upper bound of its bucket); 0 if empty.
  uint64_t latency_quantile(double q) const;
};

// Every counter block of a process: [worker][proxy] for each side of a proxy (a `listen` has a
// FRONTEND and a BACKEND row) and [worker][proxy][server].
class CounterSet {
 public:
  // `servers_per_proxy[p]`: number of servers of proxy p (0 for frontends).
  CounterSet(size_t workers, const std::vector<size_t>& servers_per_proxy);
  // Frontend side of proxy p (FRONTEND row) / backend side (BACKEND row).
  Counters& proxy(size_t worker, size_t p) { return proxies_[(worker * nproxies_ + p) * 2]; }
  Counters& backend(size_t worker, size_t p) { return proxies_[(worker * nproxies_ + p) * 2 + 1]; }
  // `servers_per_proxy[p]` counts server slots; the blocks of slots past `configured[p]` are
  // made by add_server (a run-time `add server`), so spare slots cost a pointer each.
  CounterSet(size_t workers, const std::vector<size_t>& servers_per_proxy, const std::vector<size_t>& configured);
  Counters& server(size_t worker, size_t p, size_t s) { return *servers_[worker][p][s]; }
  // Main thread, before slot s of proxy p is published: its blocks exist and are zero.
  void add_server(size_t p, size_t s);
  Totals proxy_totals(size_t p) const;     // frontend side
  Totals backend_totals(size_t p) const;
  Totals server_totals(size_t p, size_t s) const;
  // `clear counters`: the maxima back to zero; `clear counters all`: everything.
  void clear_max();
  void clear_all();

 private:
  size_t workers_, nproxies_;
  std::unique_ptr<Counters[]> proxies_;
  std::vector<std::vector<std::vector<std::unique_ptr<Counters>>>> servers_;
};

}  // namespace portero::stats
