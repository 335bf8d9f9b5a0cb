// `balance source | uri | url_param | hdr(name) | rdp-cookie[(name)]`: a key extracted from the
// request (hash_key.cpp), hashed, then mapped to a server by the map table (`hash-type
// map-based`, the default) or the consistent-hash ring (`hash-type consistent`). A request
// without the key goes round robin over the same table or ring, as HAProxy does.
#include <netinet/in.h>

#include <optional>

#include "algorithms.h"
#include "chash_ring.h"
#include "hash_key.h"
#include "map_table.h"

namespace portero::lb {
namespace {

HashFunction function_named(const std::string& name) {
  if (name == "djb2") return HashFunction::djb2;
  if (name == "wt6") return HashFunction::wt6;
  if (name == "crc32") return HashFunction::crc32;
  if (name == "none") return HashFunction::none;
  return HashFunction::sdbm;
}

class HashBalancer final : public Balancer {
 public:
  HashBalancer(KeySpec spec, HashFunction fn, bool avalanche, std::optional<MapTable> map,
               std::optional<ChashRing> ring)
      : spec_(std::move(spec)), fn_(fn), avalanche_(avalanche), map_(std::move(map)), ring_(std::move(ring)) {}

  int pick(const PickContext& ctx, int avoid) override {
    const int used = map_ ? map_->used() : ring_->used();
    if (used == 0) return kNoServer;

    // With a single usable server HAProxy does not look at the key (hash 0), except for
    // url_param, and for rdp-cookie once the cookie is known to be there.
    uint32_t h = 0;
    bool shortcut = used == 1 && spec_.kind != KeyKind::url_param && spec_.kind != KeyKind::rdp_cookie;
    if (shortcut && spec_.kind == KeyKind::source &&
        (!ctx.source || (ctx.source->sa_family != AF_INET && ctx.source->sa_family != AF_INET6)))
      return kNoServer;
    if (shortcut && spec_.kind != KeyKind::source && !ctx.request && ctx.uri.empty())
      return round_robin(avoid);   // not an HTTP request: the key functions are not called
    if (!shortcut) {
      switch (hash_key(spec_, fn_, ctx, h)) {
        case KeyStatus::error: return kNoServer;
        case KeyStatus::missing: return round_robin(avoid);
        case KeyStatus::found: break;
      }
      if (used == 1) h = 0;   // rdp-cookie: found, then not hashed
      else if (avalanche_) h = full_hash(h);
    }
    int s = map_ ? map_->at_hash(h) : ring_->lookup(h, avoid);
    return s < 0 ? kNoServer : s;
  }

  void set_server(int idx, const config::Server& s) override {
    if (ring_) ring_->set_server(idx, s);   // map-based hashing is static: no `add server`
  }

  void refresh() override {
    if (map_) map_->rebuild();
    else ring_->rebuild();
  }

 private:
  int round_robin(int avoid) {
    int s = map_ ? map_->next_rr(rr_pos_, avoid) : ring_->next_rr(avoid);
    return s < 0 ? kAllFull : s;
  }

  KeySpec spec_;
  HashFunction fn_;
  bool avalanche_;
  std::optional<MapTable> map_;
  std::optional<ChashRing> ring_;
  size_t rr_pos_ = 0;
};

}  // namespace

bool consistent_hashing(const config::Proxy& backend) { return backend.hash_type.method == "consistent"; }

bool hash_avalanche(const config::Proxy& backend) {
  // `hash-type consistent` without a function implies avalanche. The config keeps "sdbm" when
  // no function was written, so `consistent sdbm` (explicit, no avalanche) reads the same.
  const auto& ht = backend.hash_type;
  return ht.avalanche || (consistent_hashing(backend) && (ht.function.empty() || ht.function == "sdbm"));
}

std::unique_ptr<Balancer> make_hash(const config::Proxy& backend, std::span<ServerState* const> states,
                                    std::string& error) {
  KeySpec spec;
  if (!parse_key_spec(backend.balance, spec, error)) return nullptr;
  auto servers = describe_servers(backend, states);
  std::optional<MapTable> map;
  std::optional<ChashRing> ring;
  if (consistent_hashing(backend))
    ring.emplace(std::move(servers), backend.allbackups, backend.hash_balance_factor);
  else
    map.emplace(std::move(servers), backend.allbackups);
  return std::make_unique<HashBalancer>(std::move(spec), function_named(backend.hash_type.function),
                                        hash_avalanche(backend), std::move(map), std::move(ring));
}

}  // namespace portero::lb
