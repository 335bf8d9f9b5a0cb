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

}  // namespace portero::lb
