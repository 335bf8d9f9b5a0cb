// Picks run on the data plane for every request: they must never allocate. This executable's
// global operator new counts allocations while `counting` is set.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "lb_fixture.h"

namespace {
std::atomic<bool> counting{false};
std::atomic<long> allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
// Every form of new/delete the library may use must go through the same allocator, or
// sanitizers see a new/free mismatch (std::stable_sort uses the nothrow form).
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1);
  return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

using portero::lb::test::Farm;
using portero::lb::test::ServerSpec;

TEST_CASE("picks do not allocate") {
  for (const char* algo : {"roundrobin", "static-rr", "leastconn", "first", "random", "random(3)",
                           "uri", "url_param id", "hdr(x-key)", "source", "rdp-cookie"}) {
    CAPTURE(algo);
    std::vector<ServerSpec> specs;
    for (int i = 0; i < 200; ++i)
      specs.push_back({"s" + std::to_string(i), static_cast<uint32_t>(1 + i % 7), i >= 190, false,
                       i % 5 == 0 ? 1u : 0u});
    Farm f(algo, specs);
    REQUIRE(f.balancer());
    f.state("s5").cur_conns = 1;   // full: skipped and requeued
    auto* b = f.balancer();
    allocations = 0;
    counting = true;
    long sum = 0;
    sockaddr_in src{};
    src.sin_family = AF_INET;
    portero::lb::PickContext ctx;
    ctx.source = reinterpret_cast<const sockaddr*>(&src);
    auto states = f.states();
    for (int i = 0; i < 20000; ++i) {
      src.sin_addr.s_addr = htonl(0x7f000000u + static_cast<uint32_t>(i) * 2654435761u % 65536);
      int s = b->pick(ctx, i % 3 == 0 ? 10 : -1);
      sum += s;
      if (s >= 0) {   // as the data plane does around a request; every 4th stays busy a while
        states[s]->cur_conns++;
        b->on_take(s);
        if (i % 4) {
          states[s]->cur_conns--;
          b->on_release(s);
        }
      }
    }
    counting = false;
    CHECK(allocations.load() == 0);
    CHECK(sum > 0);
  }
}

TEST_CASE("hash picks with keys do not allocate, map-based and consistent") {
  for (const char* ht : {"", "consistent"}) {
    CAPTURE(ht);
    std::vector<ServerSpec> specs;
    for (int i = 0; i < 100; ++i) specs.push_back({"s" + std::to_string(i), static_cast<uint32_t>(1 + i % 4)});
    Farm f("uri whole", specs, false, ht, 150);
    REQUIRE(f.balancer());
    std::string uris[64];
    for (int i = 0; i < 64; ++i) uris[i] = "/path/" + std::to_string(i * 7919) + "?x=" + std::to_string(i);
    portero::lb::PickContext ctx;
    allocations = 0;
    counting = true;
    long sum = 0;
    for (int i = 0; i < 20000; ++i) {
      ctx.uri = uris[i % 64];
      sum += f.balancer()->pick(ctx, i % 5 == 0 ? 3 : -1);
    }
    counting = false;
    CHECK(allocations.load() == 0);
    CHECK(sum > 0);
  }
}

TEST_CASE("roundrobin shares follow the weights over a full cycle") {
  // 1,2,3,...: over one cycle of the total weight each server is picked exactly weight times.
  std::vector<ServerSpec> specs;
  uint32_t total = 0;
  for (int i = 0; i < 50; ++i) {
    specs.push_back({"s" + std::to_string(i), static_cast<uint32_t>(1 + i % 9)});
    total += 1 + i % 9;
  }
  Farm f("roundrobin", specs);
  std::vector<int> count(specs.size());
  for (uint32_t i = 0; i < total * 4; ++i) ++count[f.balancer()->pick({}, -1)];
  for (size_t i = 0; i < specs.size(); ++i) {
    CAPTURE(i);
    CHECK(count[i] == static_cast<int>(specs[i].weight * 4));
  }
}
