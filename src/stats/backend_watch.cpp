#include "portero/stats/backend_watch.h"

#include "portero/stats/render.h"
#include "portero/stats/source.h"

namespace portero::stats {

void BackendWatch::tick(const StatsSource& src, uint64_t now_s) {
  const auto& px = src.cfg->proxies;
  states_.resize(px.size());
  seen_.resize(px.size(), false);
  for (size_t p = 0; p < px.size(); ++p) {
    if (!px[p].is_backend()) continue;
    State& s = states_[p];
    const bool up = backend_up(src, int(p));
    if (!seen_[p]) {
      seen_[p] = true;
      s.up = up;
      s.last_change = now_s;
      if (!up) s.down_since = now_s;
      continue;
    }
    if (up == s.up) continue;
    s.up = up;
    s.last_change = now_s;
    if (!up) {
      ++s.downs;
      s.down_since = now_s;
    } else {
      s.downtime += now_s - s.down_since;
      s.down_since = 0;
    }
  }
}

const BackendWatch::State* BackendWatch::get(int proxy) const {
  if (proxy < 0 || size_t(proxy) >= states_.size() || !seen_[size_t(proxy)]) return nullptr;
  return &states_[size_t(proxy)];
}

}  // namespace portero::stats
