// Arbitrary bytes as the first client bytes of a mode tcp connection read for an RDP cookie
// (a TPKT + X.224 connection request, then "Cookie: NAME=VALUE\r\n"), through every reader
// portero has: the sample fetches req.rdp_cookie / rdp_cookie(NAME) / req.rdp_cookie_cnt and
// the predefined ACL RDP_COOKIE (acl), `balance rdp-cookie(NAME)` (lb's key extraction and
// pick), `persist rdp-cookie` (lb::rdp_persist_server against real server addresses).
// Each runs on an exact-size heap copy (a read past the payload is caught), whole and cut,
// with more bytes to come and without. The two parsers must agree on the value they find.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "fuzz_env.h"
#include "portero/acl/acl.h"
#include "portero/config/load.h"
#include "portero/lb/rdp_cookie.h"
#include "portero/proxy/runtime.h"

using namespace portero;

namespace {

const char kConfig[] =
    "frontend fe\n"
    "  mode tcp\n"
    "  bind 127.0.0.1:1\n"
    "  tcp-request inspect-delay 5s\n"
    "  tcp-request content accept if RDP_COOKIE\n"
    "  acl named req.rdp_cookie(mstshash) -m beg user\n"
    "  acl any req.rdp_cookie_cnt gt 0\n"
    "  default_backend be\n"
    "backend be\n"
    "  mode tcp\n"
    "  balance rdp-cookie\n"
    "  persist rdp-cookie\n"
    "  server s1 10.0.0.1:3389\n"
    "  server s2 10.0.0.2:3389\n"
    "  server s3 192.168.1.20:3390\n"
    "backend be2\n"
    "  mode tcp\n"
    "  balance rdp-cookie(msts)\n"
    "  persist rdp-cookie(msts)\n"
    "  option persist\n"
    "  server s1 10.0.0.1:3389\n"
    "  server s2 10.0.0.2:3389 disabled\n";

struct Env {
  config::Diagnostics diag;
  config::ConfigPtr cfg;
  std::unique_ptr<acl::Compiled> compiled;
  std::unique_ptr<proxy::Runtime> rt;
  const acl::Expression* fetches[4] = {};
  const acl::Condition* conds[3] = {};
  Env() {
    cfg = config::load_text(kConfig, "fuzz.cfg", diag);
    if (cfg) compiled = acl::compile(*cfg, diag);
    std::string err;
    if (cfg) rt = std::make_unique<proxy::Runtime>(cfg);
    if (!cfg || !compiled || !rt->make_balancers(err)) {
      diag.print(stderr, 0);
      std::fprintf(stderr, "%s\n", err.c_str());
      std::abort();
    }
    const char* exprs[] = {"%[req.rdp_cookie]", "%[req.rdp_cookie(mstshash),lower]", "%[rdp_cookie(msts)]",
                           "%[req.rdp_cookie_cnt(mstshash)]"};
    for (int i = 0; i < 4; ++i)
      if (!(fetches[i] = compiled->format(0, exprs[i]))) std::abort();
    conds[0] = compiled->condition(0, {"if", "RDP_COOKIE"});
    conds[1] = compiled->condition(0, {"if", "named"});
    conds[2] = compiled->condition(0, {"if", "any", "!named"});
    for (auto* c : conds)
      if (!c) std::abort();
  }
};

void check_agree(std::string_view payload, acl::SampleContext& c, const acl::Expression* fetch, std::string_view name) {
  std::string_view lb_value;
  lb::RdpCookie r = lb::find_rdp_cookie(payload, name, lb_value);
  char out[8192];
  c.final = true;
  int n = fetch->evaluate(c, out, sizeof out);
  // Both found it: the same value. (Absence may differ: the fetch also answers "absent" to an
  // empty name lookup in ways the balancer does not need.)
  if (r == lb::RdpCookie::found && n >= 0 && size_t(n) < sizeof out && std::string_view(out, size_t(n)) != lb_value) {
    std::fprintf(stderr, "rdp cookie %.*s: lb found '%.*s', the fetch '%.*s'\n", int(name.size()), name.data(),
                 int(lb_value.size()), lb_value.data(), n, out);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  static Env e;
  (void)e;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Env e;
  if (size > 16384) return -1;
  std::unique_ptr<char[]> copy(new char[size ? size : 1]);
  if (size) std::memcpy(copy.get(), data, size);
  const std::string_view whole(copy.get(), size);

  acl::SampleContext c;
  c.config = e.cfg.get();
  c.frontend = &e.cfg->proxies[0];
  c.backend = &e.cfg->proxies[1];
  for (size_t len : {size, size / 2, size > 11 ? size_t(11) : size}) {
    const std::string_view payload = whole.substr(0, len);
    c.payload = payload;
    for (bool final : {false, true}) {
      c.final = final;
      char out[512];
      for (auto* f : e.fetches) (void)f->evaluate(c, out, sizeof out);
      for (auto* cond : e.conds) (void)cond->evaluate(c);
    }
    for (int be : {1, 2}) {
      const auto& backend = e.cfg->proxies[size_t(be)];
      const auto& states = e.rt->backends[be].states;
      (void)lb::rdp_persist_server(payload, backend.persist_rdp_cookie_name, backend, states, be == 2);
      (void)lb::rdp_persist_server(payload, "", backend, states, false);
      lb::PickContext pc;
      pc.payload = payload;
      (void)e.rt->balancers[size_t(be)]->pick(pc, -1);
    }
    std::string_view v;
    for (std::string_view name : {"", "mstshash", "msts", "MSTSHASH"}) (void)lb::find_rdp_cookie(payload, name, v);
    check_agree(payload, c, e.fetches[0], "");
    check_agree(payload, c, e.fetches[2], "msts");
  }
  return 0;
}
