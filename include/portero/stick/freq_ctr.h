#pragma once
// HAProxy's frequency counter over a period: the events of the current period plus those of
// the previous one weighted by the part of the current period still to run. The same arrival
// times give the same rates as haproxy's `show table`. Not thread-safe: a table entry's data
// is only touched under its shard's lock.
#include <cstdint>

namespace portero::stick {

struct FreqCtr {
  uint32_t curr_tick = 0;   // start of the current period (ms, wrapping; always even)
  uint32_t curr_ctr = 0;    // events in the current period
  uint32_t prev_ctr = 0;    // events in the previous period

  // Adds `inc` events at `now` (ms) for a counter measured over `period` ms.
  void add(uint32_t now, uint32_t period, uint32_t inc) {
    if (now - curr_tick < period) {
      curr_ctr += inc;
      return;
    }
    // Rotate: the current period becomes the previous one, unless two or more have passed.
    prev_ctr = curr_ctr;
    curr_ctr = inc;
    curr_tick += period;
    if (now - curr_tick >= period) {
      prev_ctr = 0;
      curr_tick = now;
    }
    curr_tick &= ~1u;   // HAProxy keeps the low bit for its rotation lock
  }

  // The rate over `period` at `now`: events per period, rounded down. A counter that saw at
  // most one event in the last period and none in this one reads that one event (HAProxy's
  // flapping correction).
  uint32_t read(uint32_t now, uint32_t period) const {
    uint64_t curr = curr_ctr, past = prev_ctr;
    int32_t remain = int32_t(curr_tick + period - now);
    if (remain < 0) {
      remain += int32_t(period);
      past = remain >= 0 ? curr : 0;
      curr = 0;
    }
    if (!curr && past <= 1) return uint32_t(past);
    const uint64_t total = past * uint64_t(remain) + curr * period;
    return uint32_t(total / period);
  }
};

}  // namespace portero::stick
