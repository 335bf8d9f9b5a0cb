// Arbitrary bytes as a `server-state-file`: read back (stats::read_server_states) for a backend
// whose servers some lines name, then applied to server states. A file is either refused with
// a warning or applied; what is applied must be within HAProxy's ranges.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

#include "portero/config/load.h"
#include "portero/stats/servers_state_file.h"

using namespace portero;

namespace {

std::string path() {
  static const std::string p = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") +
                               "/fuzz_server_state_" + std::to_string(getpid());
  return p;
}

const config::Config& config_once() {
  static config::ConfigPtr cfg = [] {
    config::Diagnostics diag;
    const std::string text = "backend be\n    load-server-state-from-file local\n    server-state-file-name " +
                             path() + "\n    server s1 127.0.0.1:1 check\n    server s2 127.0.0.1:2\n"
                             "    server s3 127.0.0.1:3 check disabled weight 0\n";
    auto c = config::load_text(text, "fuzz.cfg", diag);
    if (!c || diag.has_errors()) std::abort();
    return c;
  }();
  return *cfg;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 16 * 1024) return -1;
  const config::Config& cfg = config_once();
  // The parser alone, on the bytes as they are.
  stats::StateFile f = stats::parse_state_file(std::string_view(reinterpret_cast<const char*>(data), size));
  if (f.version != 0 && f.version != 1) std::abort();
  for (const auto& l : f.lines)
    if (l.raw.size() < 20 || l.raw.size() > 25) std::abort();
  // And through a file, as at start.
  if (std::FILE* out = std::fopen(path().c_str(), "wb")) {
    std::fwrite(data, 1, size, out);
    std::fclose(out);
  }
  config::Diagnostics diag;
  stats::SavedStates saved = stats::read_server_states(cfg, diag);
  std::vector<lb::ServerState> storage(3);
  std::vector<std::vector<lb::ServerState*>> states(cfg.proxies.size());
  for (size_t p = 0; p < cfg.proxies.size(); ++p)
    if (cfg.proxies[p].name == "be")
      for (auto& st : storage) states[p].push_back(&st);
  stats::apply_server_states(saved, cfg, states);
  for (const auto& st : storage)
    if (st.user_weight.load() > 256) std::abort();
  return 0;
}
