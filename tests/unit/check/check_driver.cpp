// Runs the health checker alone on a config and prints its events, one per line:
//   LOG <level> <proxy> <message>
//   STATE <proxy>/<server> <UP|DOWN> weight=<w> ramp=<r> admin=<a>
//   SHUTDOWN <proxy>/<server>
// Usage: check_driver <haproxy.cfg> [seconds]   (seconds: stop after that long and print the
// CPU time used, for the cost measurement; default: run until killed).
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "portero/check/checks.h"
#include "portero/config/load.h"

using namespace portero;

namespace {

struct Printer : check::Events {
  const config::Config* cfg = nullptr;
  std::vector<std::vector<std::unique_ptr<lb::ServerState>>>* states = nullptr;
  void server_state_changed(int p, int s) override {
    auto& st = *(*states)[p][s];
    std::printf("STATE %s/%s %s weight=%u ramp=%u admin=%d\n", cfg->proxies[p].name.c_str(),
                cfg->proxies[p].servers[s].name.c_str(), st.oper == lb::OperState::up ? "UP" : "DOWN",
                st.user_weight.load(), st.ramp.load(), int(st.admin.load()));
    std::fflush(stdout);
  }
  void log(int p, int level, std::string_view m) override {
    std::printf("LOG %d %s %.*s\n", level, p >= 0 ? cfg->proxies[p].name.c_str() : "-", int(m.size()), m.data());
    std::fflush(stdout);
  }
  void shutdown_sessions(int p, int s) override {
    std::printf("SHUTDOWN %s/%s\n", cfg->proxies[p].name.c_str(), cfg->proxies[p].servers[s].name.c_str());
    std::fflush(stdout);
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s haproxy.cfg [seconds]\n", argv[0]);
    return 2;
  }
  config::Diagnostics diag;
  auto cfg = config::load({argv[1]}, diag);
  if (!cfg) {
    std::fprintf(stderr, "config failed\n");
    return 1;
  }
  std::vector<std::vector<std::unique_ptr<lb::ServerState>>> owned(cfg->proxies.size());
  std::vector<std::vector<lb::ServerState*>> states(cfg->proxies.size());
  for (size_t p = 0; p < cfg->proxies.size(); ++p)
    for (const auto& s : cfg->proxies[p].servers) {
      owned[p].push_back(std::make_unique<lb::ServerState>());
      owned[p].back()->user_weight = s.weight;
      if (s.disabled) owned[p].back()->admin = lb::AdminState::maint;
      states[p].push_back(owned[p].back().get());
    }
  Printer pr;
  pr.cfg = cfg.get();
  pr.states = &owned;
  uv_loop_t* loop = uv_default_loop();
  auto checker = check::Checker::create(loop, *cfg, states, pr);
  checker->start();
  uv_timer_t stop_timer;
  if (argc > 2) {
    uv_timer_init(loop, &stop_timer);
    stop_timer.data = checker.get();
    uv_timer_start(&stop_timer, [](uv_timer_t* t) {
      static_cast<check::Checker*>(t->data)->stop();
      uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr);
    }, uint64_t(std::atof(argv[2]) * 1000), 0);
  }
  uv_run(loop, UV_RUN_DEFAULT);
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("CPU user=%.3f sys=%.3f\n", ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
              ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
  return 0;
}
