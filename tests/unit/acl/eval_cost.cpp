// Not a test: measures the per-evaluation cost of typical conditions and of the map idiom, and
// counts heap allocations during evaluation (must be 0). Build by hand against a Release tree:
//   g++ -O2 -std=c++20 -Iinclude -Isrc -I/usr/share/include/llhttp tests/unit/acl/eval_cost.cpp \
//       -L<build>/src -lportero_acl -lportero_http -lportero_config <build>/libllhttp.a -lpcre2-8 -lcrypt
// Figures on the 2-core dev box (Release): 220 single-ACL rules 4.6 us, one two-term
// condition 23 ns, the host-map idiom 41 ns; 0 allocations.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <new>
#include <string>
#include <vector>

#include "portero/acl/acl.h"
#include "portero/config/load.h"
#include "portero/http/parser.h"

static std::atomic<long> g_allocs{0};
void* operator new(size_t n) {
  ++g_allocs;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

using namespace portero;

int main() {
  std::ofstream("/tmp/portero_bench_hosts.map") << "www.example.com be_www\napi.example.com be_api\n";
  std::string cfgtext =
      "defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n"
      "frontend f\n  bind :8080\n";
  for (int i = 0; i < 100; ++i)
    cfgtext += "  acl p" + std::to_string(i) + " path_beg /app" + std::to_string(i) + "/\n  acl h" +
               std::to_string(i) + " hdr(host) -i host" + std::to_string(i) + ".example.com\n";
  for (int i = 0; i < 20; ++i)
    cfgtext += "  acl r" + std::to_string(i) + " path_reg ^/api/v" + std::to_string(i) + "/[a-z]+/[0-9]+$\n";
  cfgtext += "  default_backend b\nbackend b\n  server s 127.0.0.1:1\n";
  config::Diagnostics d;
  auto cfg = config::load_text(cfgtext, "bench.cfg", d);
  if (!cfg) return 1;
  auto compiled = acl::compile(*cfg, d);
  if (!compiled) return 1;

  std::string req = "GET /api/v19/users/42 HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: bench\r\n"
                    "Accept: */*\r\nCookie: a=1; b=2\r\n\r\n";
  std::vector<http::Header> slots(101);
  http::Parser p(http::Parser::Kind::request);
  p.begin(req.data(), 0, slots.data(), 101);
  p.feed(0, static_cast<uint32_t>(req.size()));
  http::Head head = p.head();
  sockaddr_in src{};
  src.sin_family = AF_INET;
  inet_pton(AF_INET, "10.1.2.3", &src.sin_addr);
  acl::SampleContext ctx;
  ctx.request = &head;
  ctx.base = req.data();
  ctx.src = reinterpret_cast<sockaddr*>(&src);
  ctx.config = cfg.get();

  // 100 path ACLs + 100 host ACLs + 20 regexes: as 220 rules, each "if pN" (none matches
  // except the last regex), the way use_backend/http-request rules are walked.
  std::vector<const acl::Condition*> rules;
  for (int i = 0; i < 100; ++i) rules.push_back(compiled->condition(0, {"if", "p" + std::to_string(i)}));
  for (int i = 0; i < 100; ++i) rules.push_back(compiled->condition(0, {"if", "h" + std::to_string(i)}));
  for (int i = 0; i < 20; ++i) rules.push_back(compiled->condition(0, {"if", "r" + std::to_string(i)}));
  const acl::Condition* one = compiled->condition(0, {"if", "{", "path_beg", "/api/", "}", "METH_GET"});
  const acl::Expression* idiom =
      compiled->format(0, "%[req.hdr(host),lower,map(/tmp/portero_bench_hosts.map,be_default)]");
  char out[256];

  auto time = [&](const char* what, int iters, auto&& fn) {
    fn();  // warm-up (per-thread regex match data)
    const long before = g_allocs.load();
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < iters; ++i) fn();
    auto t1 = std::chrono::steady_clock::now();
    const double ns = std::chrono::duration<double, std::nano>(t1 - t0).count() / iters;
    std::printf("%-48s %9.1f ns/eval  allocations: %ld\n", what, ns, g_allocs.load() - before);
  };
  int matched = 0;
  time("220 rules (100 path_beg, 100 hdr -i, 20 regex)", 20000, [&] {
    for (const auto* r : rules) matched += r->evaluate(ctx) == acl::Tri::yes;
  });
  time("one condition: { path_beg /api/ } METH_GET", 1000000, [&] { matched += one->evaluate(ctx) == acl::Tri::yes; });
  time("%[req.hdr(host),lower,map(file,default)]", 1000000, [&] { matched += idiom->evaluate(ctx, out, sizeof(out)); });
  std::printf("(checksum %d)\n", matched);
  return 0;
}
