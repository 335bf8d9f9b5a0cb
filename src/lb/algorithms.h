#pragma once
// Factories of the implemented algorithms, one per file; registry.cpp maps names to them.
#include <memory>
#include <span>
#include <string>

#include "portero/lb/balancer.h"

namespace portero::lb {

using BalancerFactory = std::unique_ptr<Balancer> (*)(const config::Proxy& backend,
                                                      std::span<ServerState* const> states,
                                                      std::string& error);

std::unique_ptr<Balancer> make_roundrobin(const config::Proxy&, std::span<ServerState* const>,
                                          std::string&);
std::unique_ptr<Balancer> make_static_rr(const config::Proxy&, std::span<ServerState* const>,
                                         std::string&);

std::unique_ptr<Balancer> make_leastconn(const config::Proxy&, std::span<ServerState* const>,
                                         std::string&);
std::unique_ptr<Balancer> make_first(const config::Proxy&, std::span<ServerState* const>,
                                     std::string&);
std::unique_ptr<Balancer> make_random(const config::Proxy&, std::span<ServerState* const>,
                                      std::string&);
// source, uri, url_param, hdr, rdp-cookie: key extraction + map table or consistent ring.
std::unique_ptr<Balancer> make_hash(const config::Proxy&, std::span<ServerState* const>,
                                    std::string&);

// `hash-type consistent` (else map-based), and whether hashes go through avalanche.
bool consistent_hashing(const config::Proxy& backend);
bool hash_avalanche(const config::Proxy& backend);

// Wraps an algorithm so that every worker thread may call it (one lock per backend).
std::unique_ptr<Balancer> serialized(std::unique_ptr<Balancer> inner);

}  // namespace portero::lb
