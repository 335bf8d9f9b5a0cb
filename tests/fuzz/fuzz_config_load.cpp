// A whole configuration text through what `portero -c` runs: config::load_text, then (when
// it loaded without error) proxy::bind_rules (ACLs, rule conditions and expressions, log,
// unique-id and sd formats) and, for configs with few TLS certificates and servers, the TLS
// contexts; errors found then are finished as main() finishes them (finish_late), and the
// diagnostics are printed as `-c` prints them.
// The current directory holds certificates (fuzz_env.h) so `crt rsa.pem`, `crt-list
// list.crtlist`, `ca-file ca.pem`, `tls-ticket-keys keys.txt` lead somewhere.
#include <cstdio>
#include <string>

#include "fuzz_env.h"
#include "portero/proxy/bound_rules.h"
#include "portero/config/load.h"
#include "portero/tls/contexts.h"

using namespace portero;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzzenv::dir();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::FILE* sink = std::fopen("/dev/null", "w");
  if (size > 64 * 1024) return -1;
  const std::string text(reinterpret_cast<const char*>(data), size);
  config::Diagnostics diag;
  config::ConfigPtr cfg = config::load_text(text, "fuzz.cfg", diag);
  if (cfg && !diag.has_errors()) {
    const size_t first = diag.all().size();
    auto rules = proxy::bind_rules(*cfg, diag);
    std::unique_ptr<tls::Contexts> contexts;
    // An SSL_CTX costs milliseconds under ASan: the contexts are built for configs asking
    // for a few only, so that the parser keeps most of the time.
    int contexts_wanted = 0;
    for (const auto& px : cfg->proxies) {
      for (const auto& b : px.binds) contexts_wanted += b.tls.ssl ? int(b.tls.crts.size()) + 1 : 0;
      for (const auto& sv : px.servers) contexts_wanted += sv.tls.ssl || sv.tls.check_ssl;
    }
    if (contexts_wanted <= 3) contexts = tls::Contexts::build(*cfg, diag);
    if (!rules || (contexts_wanted <= 3 && !contexts)) diag.finish_late(first, cfg->files);
  }
  diag.print(sink, 42);
  for (const auto& d : diag.all()) (void)config::format(d, 42);
  return 0;
}
