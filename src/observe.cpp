#include "observe.h"

#include "portero/proxy/stats_source.h"
#include "portero/stats/page.h"

namespace portero {

Observability::Observability(uv_loop_t* loop, proxy::Runtime& rt, const std::vector<proxy::Worker*>& workers,
                             stats::ProcessInfo process)
    : loop_(loop) {
  proxy::fill_stats_source(src_, rt, workers);
  src_.process = std::move(process);
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
}

Observability::~Observability() = default;

bool Observability::bind_admin(std::string& error) {
  if (src_.cfg->global.stats_sockets.empty()) return true;
  admin_ = admin::Server::create(loop_, src_, error);
  return admin_ != nullptr;
}

void Observability::start(check::Checker* checker, std::function<void(int, int, std::string_view)> log) {
  src_.checker = checker;
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
