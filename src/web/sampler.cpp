// web::Sampler: a 1 s timer on the main loop reading every counter into RateHistory objects
// (one per FRONTEND, BACKEND and server), serving both the rate columns and the live charts.
#include "portero/web/sampler.h"

#include "portero/stats/backend_watch.h"

#include <algorithm>
#include <chrono>

#include <nlohmann/json.hpp>

#include "rate_history.h"

namespace portero::web {
namespace {

constexpr uint64_t kIntervalMs = 1000;
constexpr size_t kHistory = 300;   // five minutes of 1 s points

uint64_t wall_ms() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

class SamplerImpl final : public Sampler {
 public:
  SamplerImpl(uv_loop_t* loop, const stats::StatsSource& src) : loop_(loop), src_(src) {
    const auto& px = src.cfg->proxies;
    fe_.resize(px.size(), RateHistory(kHistory));
    be_.resize(px.size(), RateHistory(kHistory));
    srv_.resize(px.size());
    for (size_t p = 0; p < px.size(); ++p) srv_[p].resize(px[p].servers.size(), RateHistory(kHistory));
  }
  ~SamplerImpl() override { stop(); }

  void start() override {
    if (timer_) return;
    // The handle lives apart from this object: it is freed in its close callback, which may
    // run after the Sampler is gone (close-then-free).
    timer_ = new uv_timer_t;
    uv_timer_init(loop_, timer_);
    timer_->data = this;
    uv_unref(reinterpret_cast<uv_handle_t*>(timer_));
    // The loop's cached clock may be stale (boot work ran since it last ticked): without this
    // the first tick would fire at once and measure a rate over a few milliseconds.
    uv_update_time(loop_);
    prime();
    uv_timer_start(timer_, on_tick, kIntervalMs, kIntervalMs);
  }

  void stop() override {
    if (!timer_) return;
    uv_timer_stop(timer_);
    timer_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    timer_ = nullptr;
  }

  stats::Rates proxy(int p) const override { return valid(p) ? fe_[p].rates() : stats::Rates{}; }
  stats::Rates backend(int p) const override { return valid(p) ? be_[p].rates() : stats::Rates{}; }
  stats::Rates server(int p, int s) const override {
    if (!valid(p) || s < 0 || size_t(s) >= srv_[p].size()) return {};
    return srv_[p][s].rates();
  }
  stats::SslRates ssl() const override { return ssl_.rates(); }
  void clear_max() override {
    ssl_.clear_max();
    for (auto& h : fe_) h.clear_max();
    for (auto& h : be_) h.clear_max();
    for (auto& v : srv_)
      for (auto& h : v) h.clear_max();
  }

  std::string live_json() const override {
    using nlohmann::json;
    json objects = json::array();
    const auto& px = src_.cfg->proxies;
    for (size_t p = 0; p < px.size(); ++p) {
      if (px[p].is_frontend()) objects.push_back(object_json(px[p].name, "FRONTEND", "frontend", fe_[p]));
      for (size_t s = 0; s < px[p].servers.size() && s < srv_[p].size(); ++s)
        if (px[p].servers.live(s)) objects.push_back(object_json(px[p].name, px[p].servers[s].name, "server", srv_[p][s]));
      if (px[p].is_backend()) objects.push_back(object_json(px[p].name, "BACKEND", "backend", be_[p]));
    }
    json out = {{"interval_ms", kIntervalMs}, {"capacity", kHistory}, {"now_ms", wall_ms()},
                {"samples", samples_}, {"objects", std::move(objects)}};
    return out.dump();
  }

 private:
  bool valid(int p) const { return p >= 0 && size_t(p) < fe_.size(); }

  static void on_tick(uv_timer_t* t) {
    if (t->data) static_cast<SamplerImpl*>(t->data)->sample();
  }

  // The baseline is the process' start, when every counter was zero: the workers accept before
  // this runs, and traffic that came in between belongs to the first interval, not to nobody.
  void prime() {
    const uint64_t now = wall_ms();
    const stats::Totals zero;
    for (auto& h : fe_) h.sample(zero, now);
    for (auto& h : be_) h.sample(zero, now);
    for (auto& v : srv_)
      for (auto& h : v) h.sample(zero, now);
    ssl_.sample(0, 0, 0, now);
    if (src_.backend_watch) src_.backend_watch->tick(src_, now / 1000);
    ++samples_;
  }

  void sample() {
    if (!src_.counters) return;
    const uint64_t now = wall_ms();
    const auto& px = src_.cfg->proxies;
    uint64_t ssl_conns = 0, fe_keys = 0, be_keys = 0;
    for (size_t p = 0; p < px.size(); ++p) {
      if (px[p].is_frontend()) {
        const stats::Totals t = src_.counters->proxy_totals(p);
        ssl_conns += t.ssl_conns;
        fe_keys += t.ssl_sess;
        fe_[p].sample(t, now);
      }
      if (px[p].is_backend()) {
        const stats::Totals t = src_.counters->backend_totals(p);
        be_keys += t.ssl_sess;
        be_[p].sample(forwarded(t), now);
      }
      // Servers added at run time get a history from their first second; a deleted server's
      // history goes with it (its slot may hold another server later).
      const auto& servers = px[p].servers;
      if (srv_[p].size() < servers.size()) srv_[p].resize(servers.size(), RateHistory(kHistory));
      for (size_t s = 0; s < srv_[p].size(); ++s) {
        if (!servers.live(s)) {
          if (!srv_[p][s].points().empty()) srv_[p][s] = RateHistory(kHistory);
          continue;
        }
        srv_[p][s].sample(forwarded(src_.counters->server_totals(p, s)), now);
      }
    }
    ssl_.sample(ssl_conns, fe_keys, be_keys, now);
    if (src_.backend_watch) src_.backend_watch->tick(src_, now / 1000);
    ++samples_;
  }

  // On the server side every forwarded request is a session (HAProxy's stot), and the
  // request counter may be left to the frontend: the charts count whichever is larger.
  static stats::Totals forwarded(stats::Totals t) {
    t.requests = std::max(t.requests, t.sessions);
    return t;
  }

  // Columns rather than rows of points: compact, and what a chart draws from.
  static nlohmann::json object_json(const std::string& proxy, const std::string& name, const char* kind,
                                    const RateHistory& h) {
    nlohmann::json t = nlohmann::json::array(), req = nlohmann::json::array(), err = nlohmann::json::array(),
                   p50 = nlohmann::json::array(), p90 = nlohmann::json::array(), p99 = nlohmann::json::array(),
                   p999 = nlohmann::json::array();
    auto lat = [](int64_t us) { return us < 0 ? nlohmann::json(nullptr) : nlohmann::json(us); };
    for (const Point& pt : h.points()) {
      t.push_back(pt.t_ms / 1000);
      req.push_back(pt.req);
      err.push_back(pt.err);
      p50.push_back(lat(pt.p50));
      p90.push_back(lat(pt.p90));
      p99.push_back(lat(pt.p99));
      p999.push_back(lat(pt.p999));
    }
    const stats::Rates r = h.rates();
    return {{"proxy", proxy}, {"name", name}, {"kind", kind},
            {"req_rate", r.requests.cur}, {"req_rate_max", r.requests.max},
            {"t", std::move(t)}, {"req", std::move(req)}, {"err", std::move(err)},
            {"p50_us", std::move(p50)}, {"p90_us", std::move(p90)}, {"p99_us", std::move(p99)},
            {"p999_us", std::move(p999)}};
  }

  uv_loop_t* loop_;
  const stats::StatsSource& src_;
  uv_timer_t* timer_ = nullptr;
  uint64_t samples_ = 0;
  std::vector<RateHistory> fe_, be_;
  SslRateTracker ssl_;   // show info's SslRate and key rates
  std::vector<std::vector<RateHistory>> srv_;
};

}  // namespace

std::unique_ptr<Sampler> Sampler::create(uv_loop_t* loop, const stats::StatsSource& src) {
  return std::make_unique<SamplerImpl>(loop, src);
}

}  // namespace portero::web
