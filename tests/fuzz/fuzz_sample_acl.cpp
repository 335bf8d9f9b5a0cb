// Sample expressions and ACLs written by the fuzzer, compiled as portero compiles a config's,
// then evaluated against a fixed request (fuzz_fixed.h) when they compile.
// Input: the first line is a sample expression (fetch, converters, arguments: what goes
// inside `%[...]`), compiled with Compiled::format() and evaluated (string and binary form);
// every further line (at most 8) is the rest of an `acl aN <line>` line of a frontend whose
// config then goes through config::load_text and acl::compile; each ACL is evaluated through
// `if aN` and `unless aN`, with the request, with the response too, and with an IPv6 client.
// Map and pattern files exist (f.map, ip.map, f.lst) so that `map(f.map)`, `-f f.lst` work.
#include <cstdio>
#include <string>
#include <vector>

#include "fuzz_env.h"
#include "fuzz_fixed.h"
#include "portero/acl/acl.h"
#include "portero/config/load.h"

using namespace portero;

namespace {

const char kHead[] =
    "global\n"
    "  tune.bufsize 16384\n"
    "userlist users\n"
    "  group admins users alice\n"
    "  user alice insecure-password secret\n"
    "  user bob password $5$salt$Gcm6FsVtF/Qa77ZKD.iwsJlCVPY0XSMgLJL0Hnww/c1\n"
    "frontend fe\n"
    "  mode http\n"
    "  bind 127.0.0.1:1 name fuzzbind\n"
    "  capture request header host len 32\n"
    "  declare capture response len 16\n"
    "  default_backend be\n";
const char kTail[] =
    "backend be\n"
    "  mode http\n"
    "  cookie SERVERID insert\n"
    "  server s1 127.0.0.1:2 cookie s1\n"
    "  server s2 127.0.0.1:3 weight 0\n";

struct Env {
  config::Diagnostics diag;
  config::ConfigPtr cfg;   // kHead + kTail alone: for the expression of the first line
  std::unique_ptr<acl::Compiled> compiled;
  fuzzfixed::Fixed fixed;
  Env() {
    fuzzenv::dir();
    fuzzenv::write_file("f.map", "www.example.test be\n/p/ be2\n# comment\n10.0.0.0/8 ten\nkey value with spaces\n");
    fuzzenv::write_file("ip.map", "192.0.2.0/24 doc\n10.0.0.0/8 ten\n2001:db8::/32 v6\n");
    fuzzenv::write_file("f.lst", "www.example.test\n/p/\nfuzz\n192.0.2.7\n");
    cfg = config::load_text(std::string(kHead) + kTail, "fuzz.cfg", diag);
    if (cfg) compiled = acl::compile(*cfg, diag);
    if (!cfg || !compiled) {
      diag.print(stderr, 0);
      std::abort();
    }
  }
};

void evaluate_all(const acl::Expression& x, Env& e, const config::Config& cfg) {
  static char small[64], big[16384];
  for (bool v6 : {false, true})
    for (bool response : {false, true}) {
      acl::SampleContext c = e.fixed.context(cfg, 1, v6, response);
      (void)x.evaluate(c, small, sizeof small);
      (void)x.evaluate(c, big, sizeof big);
      (void)x.evaluate_binary(c, big, sizeof big);
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
  if (size > 4096) return -1;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const size_t nl = text.find('\n');
  const std::string expr = text.substr(0, nl);

  // 1. The expression alone, as `%[...]` in the frontend. format() keeps what it compiled
  // (per text, for the process's life), so the input is bounded above and compiled in a
  // fresh Compiled of its own.
  {
    config::Diagnostics diag;
    auto compiled = acl::compile(*e.cfg, diag);
    const acl::Expression* x = compiled->format(0, "%[" + expr + "]");
    if (!x) (void)compiled->format_error(0, "%[" + expr + "]");
    else evaluate_all(*x, e, *e.cfg);
  }

  // 2. The other lines as ACLs of the frontend, compiled with the whole config.
  if (nl == std::string::npos) return 0;
  std::string cfg_text = kHead;
  std::vector<std::string> names;
  size_t pos = nl + 1;
  while (pos < text.size() && names.size() < 8) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string name = "a" + std::to_string(names.size());
    cfg_text += "  acl " + name + " " + text.substr(pos, end - pos) + "\n";
    names.push_back(name);
    pos = end + 1;
  }
  cfg_text += kTail;
  config::Diagnostics diag;
  config::ConfigPtr cfg = config::load_text(cfg_text, "fuzz.cfg", diag);
  static std::FILE* sink = std::fopen("/dev/null", "w");
  if (!cfg) {
    diag.print(sink, 1);
    return 0;
  }
  auto compiled = acl::compile(*cfg, diag);
  diag.print(sink, 1);
  if (!compiled || diag.has_errors()) return 0;
  for (const auto& name : names)
    for (const char* how : {"if", "unless"}) {
      const acl::Condition* cond = compiled->condition(0, {how, name});
      if (!cond) continue;
      for (bool v6 : {false, true})
        for (bool response : {false, true}) (void)cond->evaluate(e.fixed.context(*cfg, 1, v6, response));
    }
  // All of them together, as a rule writes them (and, or, negation).
  std::vector<std::string> words{"if"};
  for (size_t i = 0; i < names.size(); ++i) {
    if (i % 2) words.push_back("||");
    words.push_back(i && i % 2 == 0 ? "!" + names[i] : names[i]);
  }
  if (const acl::Condition* cond = compiled->condition(0, words)) (void)cond->evaluate(e.fixed.context(*cfg, 1, false, true));
  return 0;
}
