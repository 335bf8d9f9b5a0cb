#pragma once
// Backend state history for `show stat` (BACKEND chkdown, lastchg, downtime): a backend is DOWN
// when no server can take traffic. Sampled once a second on the main thread (by the sampler),
// so a DOWN spell shorter than a second may go unseen. Main-thread only.
#include <cstdint>
#include <vector>

namespace portero::stats {

struct StatsSource;

class BackendWatch {
 public:
  struct State {
    bool up = true;
    uint64_t downs = 0;          // UP -> DOWN transitions (chkdown)
    uint64_t last_change = 0;    // unix seconds of the last transition (or of the first sample)
    uint64_t down_since = 0;     // unix seconds, while DOWN
    uint64_t downtime = 0;       // seconds of the DOWN spells that ended
  };
  // Looks at every backend of `src` at unix time `now_s`.
  void tick(const StatsSource& src, uint64_t now_s);
  // Null for a proxy never sampled (or not a backend).
  const State* get(int proxy) const;

 private:
  std::vector<State> states_;
  std::vector<bool> seen_;
};

}  // namespace portero::stats
