#pragma once
// An event rate over a sliding one-second window, for the HTTP/2 codec's abuse limits.
// Two fixed windows (this second and the previous one) weighted by how much of the previous
// one still lies within the last 1000 ms: a burst straddling a window boundary is seen whole
// (a plain fixed window would let through twice the cap), in O(1) memory per counter.
#include <cstdint>

namespace portero::http::h2 {

class Rate {
 public:
  // One more event at `now_ms` (monotonic, from the owner's clock). true when the rate of the
  // last second, this event included, exceeds `cap` events; a cap of 0 never trips.
  bool add(uint64_t now_ms, uint32_t cap) {
    roll(now_ms);
    ++cur_;
    if (cap == 0) return false;
    const uint64_t in = now_ms > start_ ? now_ms - start_ : 0;
    const uint64_t left = 1000 - in;   // the previous window's share still in view
    return cur_ + prev_ * left / 1000 > cap;
  }

 private:
  void roll(uint64_t now) {
    if (now < start_) return;   // a clock that stepped back: stay in the current window
    const uint64_t gone = (now - start_) / 1000;
    if (gone == 0) return;
    prev_ = gone == 1 ? cur_ : 0;
    cur_ = 0;
    start_ += gone * 1000;
  }
  uint64_t start_ = 0;
  uint64_t cur_ = 0, prev_ = 0;
};

}  // namespace portero::http::h2
