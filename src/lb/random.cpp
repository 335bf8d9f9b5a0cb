// `balance random[(N)]`: N random draws on the consistent-hash ring (default 2: "power of two
// choices"), keeping the draw whose server serves the fewest requests relative to its weight.
// When the winner is full the request waits in the backend queue, as HAProxy does.
#include <chrono>
#include <cstdlib>
#include <random>

#include "algorithms.h"
#include "chash_ring.h"

namespace portero::lb {
namespace {

// xorshift64*: cheap, good enough to spread keys over a ring, never allocates.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed ? seed : 0x9e3779b97f4a7c15ull) {}
  uint32_t next() {
    s_ ^= s_ >> 12;
    s_ ^= s_ << 25;
    s_ ^= s_ >> 27;
    return static_cast<uint32_t>((s_ * 0x2545f4914f6cdd1dull) >> 32);
  }

 private:
  uint64_t s_;
};

class Random final : public Balancer {
 public:
  Random(ChashRing ring, uint32_t draws, uint32_t fullconn, uint64_t seed)
      : ring_(std::move(ring)), limits_(ring_.servers(), fullconn), draws_(draws ? draws : 1), rng_(seed) {}

  int pick(const PickContext&, int avoid) override {
    if (ring_.tot_weight() == 0) return kNoServer;
    const auto& info = ring_.servers();
    int curr = -1;
    for (uint32_t d = 0; d < draws_; ++d) {
      int prev = curr;
      curr = ring_.lookup(rng_.next(), avoid);
      if (curr < 0) break;
      // Keep the previous choice when it is less loaded relative to its weight.
      if (prev >= 0 && prev != curr &&
          uint64_t(served(info[curr])) * ring_.eweight(prev) > uint64_t(served(info[prev])) * ring_.eweight(curr))
        curr = prev;
    }
    if (curr < 0) return kNoServer;
    if (!limits_.has_room(info, curr)) return kAllFull;
    return curr;
  }

  void refresh() override { ring_.rebuild(); }
  void set_server(int idx, const config::Server& s) override { ring_.set_server(idx, s); }

 private:
  ChashRing ring_;
  ConnLimits limits_;
  uint32_t draws_;
  Rng rng_;
};

uint32_t draws_of(const config::Balance& b) {
  auto open = b.algorithm.find('(');
  if (open != std::string::npos) {
    long n = std::strtol(b.algorithm.c_str() + open + 1, nullptr, 0);
    return n > 0 ? static_cast<uint32_t>(n) : 2;
  }
  return b.random_draws ? b.random_draws : 2;
}

}  // namespace

std::unique_ptr<Balancer> make_random(const config::Proxy& backend, std::span<ServerState* const> states,
                                      std::string&) {
  uint32_t fullconn = backend.fullconn_effective ? backend.fullconn_effective : backend.fullconn;
  uint64_t seed = std::random_device{}() ^
                  static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  return std::make_unique<Random>(ChashRing(describe_servers(backend, states), backend.allbackups,
                                            backend.hash_balance_factor),
                                  draws_of(backend.balance), fullconn, seed);
}

}  // namespace portero::lb
