#pragma once
// Slow start (`server ... slowstart <time>`): after a server comes back up, the dynamic
// algorithms (roundrobin, leastconn, first, consistent hashing, random) ramp its effective
// weight up in steps instead of sending it a full share at once. Static (map-based) algorithms
// ignore it, as HAProxy does.
#include <cstdint>

namespace portero::lb {

// Effective weights of the dynamic algorithms are user weights times this scale.
inline constexpr uint32_t kWeightScale = 16;

// The ramp factor, 1..kWeightScale, `elapsed_ms` after the server came up with `slowstart_ms`
// configured. HAProxy keeps the slowstart in whole seconds (rounded up) and measures the time
// since the change in whole seconds, so the factor moves once a second:
//   factor = (16 * elapsed_s + slowstart_s) / slowstart_s, full (16) once elapsed_s >= slowstart_s.
// It is at least 1 right after the change, so the server gets some traffic at once.
constexpr uint32_t slowstart_ramp(uint64_t slowstart_ms, uint64_t elapsed_ms) {
  uint64_t ss = (slowstart_ms + 999) / 1000;
  uint64_t el = elapsed_ms / 1000;
  if (ss == 0 || el >= ss) return kWeightScale;
  return static_cast<uint32_t>((kWeightScale * el + ss) / ss);
}

// Effective weight (on the x16 scale) of a server of user weight `uweight` with ramp `ramp`.
constexpr uint32_t effective_weight(uint32_t uweight, uint32_t ramp) { return uweight * ramp; }

constexpr uint32_t slowstart_eweight(uint32_t uweight, uint64_t slowstart_ms, uint64_t elapsed_ms) {
  return effective_weight(uweight, slowstart_ramp(slowstart_ms, elapsed_ms));
}

// HAProxy's dynamic connection limit of a server: `maxconn` when the backend has no `fullconn`
// or is at/above it, or when minconn == maxconn; else it grows from `minconn` with the backend's
// load (`beconn` connections) as beconn * maxconn / fullconn. During slow start it is scaled by
// the elapsed fraction (at least 1). 0 means unlimited.
constexpr uint32_t dynamic_maxconn(uint32_t maxconn, uint32_t minconn, uint32_t fullconn,
                                   uint32_t beconn, uint64_t slowstart_ms = 0,
                                   uint64_t elapsed_ms = UINT64_MAX) {
  if (minconn > maxconn) maxconn = minconn;   // HAProxy raises maxconn to a larger minconn
  if (maxconn == 0) return 0;
  uint32_t max;
  if (beconn >= fullconn || minconn == 0 || minconn == maxconn) {
    max = maxconn;
  } else {
    uint64_t dyn = static_cast<uint64_t>(beconn) * maxconn / fullconn;
    max = dyn > minconn ? static_cast<uint32_t>(dyn) : minconn;
  }
  uint64_t ss = (slowstart_ms + 999) / 1000;
  uint64_t el = elapsed_ms / 1000;
  if (ss != 0 && el < ss) {
    uint64_t ratio = 100 * el / ss;
    uint64_t m = max * ratio / 100;
    max = m < 1 ? 1 : static_cast<uint32_t>(m);
  }
  return max;
}

}  // namespace portero::lb
