#include "observe.h"

#include "portero/proxy/stats_source.h"
#include "portero/stats/page.h"

namespace portero {

Observability::Observability(uv_loop_t* loop, proxy::Runtime& rt, const std::vector<proxy::Worker*>& workers,
                             stats::ProcessInfo process)
    : loop_(loop), tls_(rt.tls.get()) {
  proxy::fill_stats_source(src_, rt, workers);
  src_.process = std::move(process);
  src_.backend_watch = &backend_watch_;
  mailbox_ = std::make_unique<core::Mailbox>(loop);
  mailbox_->release_loop();   // the page service alone does not keep the process running
  sampler_ = web::Sampler::create(loop, src_);
  src_.rates = sampler_.get();
  web::Sampler* sampler = sampler_.get();
  src_.live_json = [sampler] { return sampler->live_json(); };
  // Workers hand stats page requests to this thread, which owns everything the page shows.
  core::Mailbox* box = mailbox_.get();
  stats::StatsSource* src = &src_;
  rt.stats_page = [box, src](stats::PageRequest req, std::function<void(std::string)> done) {
    box->post([src, req = std::move(req), done = std::move(done)] { done(stats::serve_page(*src, req)); });
  };
  // observe layer4|layer7: workers' outcomes reach the checker on this thread.
  const config::Config& cfg = *rt.config;
  // One flag per server slot, and a receiver whenever there is a backend: a server added at run
  // time may observe too (Runtime::observed skips the servers that do not, at the cost of a load).
  bool any_backend = false;
  for (const auto& px : cfg.proxies) {
    observe_dirty_.emplace_back(new std::atomic<bool>[px.servers.capacity()]{});
    any_backend = any_backend || px.is_backend();
  }
  if (any_backend) {
    rt.observe = [this, &cfg](int p, int s, check::Observed what) {
      const int effect = check::observed_effect(cfg.proxies[p].servers[s].observe, what);
      if (effect == 0) return;
      std::atomic<bool>& dirty = observe_dirty_[p][s];
      if (effect < 0) {
        if (!dirty.load(std::memory_order_relaxed) || !dirty.exchange(false, std::memory_order_relaxed)) return;
      } else {
        dirty.store(true, std::memory_order_relaxed);
      }
      // Small enough for std::function's inline storage: no allocation per post.
      const uint32_t ps = uint32_t(p) << 16 | uint32_t(s & 0xffff);
      mailbox_->post([this, ps, what] {
        if (checker_) checker_->observe(int(ps >> 16), int(ps & 0xffff), what);
      });
    };
  }
}

Observability::~Observability() = default;

bool Observability::bind_admin(std::string& error, int master_channel) {
  if (src_.cfg->global.stats_sockets.empty() && master_channel < 0) return true;
  admin_ = admin::Server::create(loop_, src_, error, tls_);
  if (admin_ && master_channel >= 0) admin_->adopt_master_channel(master_channel);
  return admin_ != nullptr;
}

void Observability::start(check::Checker* checker, std::function<void(int, int, std::string_view)> log) {
  src_.checker = checker;
  checker_ = checker;
  src_.log = std::move(log);
  sampler_->start();
  if (admin_) admin_->start();
}

void Observability::stop() {
  if (admin_) admin_->stop();
  sampler_->stop();
  mailbox_->close();
}

}  // namespace portero
