// Maps `balance <algorithm>` to its implementation. Hash-based algorithms are assembled from two
// parts: a key extractor (hash_key.cpp: source, uri, url_param, hdr, rdp-cookie) and a
// key->server mapping (MapTable for map-based, ChashRing for `hash-type consistent`), so each
// extractor works with either mapping (hash_balancer.cpp).
#include <string_view>

#include "algorithms.h"

namespace portero::lb {
namespace {

struct Entry {
  std::string_view name;
  BalancerFactory make;   // null: known to HAProxy, not implemented here yet
};

// `hdr(name)` and `rdp-cookie(name)` carry their argument in the name; compare the stem.
std::string_view stem(std::string_view algorithm) {
  auto paren = algorithm.find('(');
  return paren == std::string_view::npos ? algorithm : algorithm.substr(0, paren);
}

constexpr Entry entries[] = {
    {"roundrobin", make_roundrobin},
    {"static-rr", make_static_rr},
    {"leastconn", make_leastconn},
    {"first", make_first},
    {"source", make_hash},
    {"uri", make_hash},
    {"url_param", make_hash},
    {"hdr", make_hash},
    {"rdp-cookie", make_hash},
    {"hash", make_hash},
    {"random", make_random},
};

}  // namespace

std::unique_ptr<Balancer> make_balancer(const config::Proxy& backend,
                                        std::span<ServerState* const> states, std::string& error) {
  const std::string& algorithm = backend.balance.algorithm;
  std::string_view name = algorithm.empty() ? std::string_view("roundrobin") : stem(algorithm);
  for (const Entry& e : entries) {
    if (e.name != name) continue;
    if (!e.make) {
      error = "balance algorithm '" + algorithm + "' is not implemented yet";
      return nullptr;
    }
    return serialized(e.make(backend, states, error));
  }
  error = "unknown balance algorithm '" + algorithm + "'";
  return nullptr;
}

}  // namespace portero::lb
