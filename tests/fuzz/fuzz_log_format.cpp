// Log-format strings written by the fuzzer, compiled the way portero compiles a config's
// (config::load_text, then proxy::bind_rules: log::Format::compile with the %[...] compiler
// of the data plane), then rendered against a fixed exchange (fuzz_fixed.h: a request, a
// response, addresses, timings, captures) into small and large buffers, and built into
// syslog datagrams (log::Sender::build, each header format).
// Input lines: 1st `log-format`, 2nd `unique-id-format`, 3rd `log-format-sd` (a missing line
// leaves the directive out). They go into the config as written (the lexer splits them).
#include <arpa/inet.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_env.h"
#include "fuzz_fixed.h"
#include "portero/config/load.h"
#include "portero/log/log.h"
#include "portero/proxy/bound_rules.h"

using namespace portero;

namespace {

struct SampleSource {
  const acl::SampleContext* ctx;
  const std::vector<const acl::Expression*>* exprs;
};

bool eval_sample(const void* self, int id, std::string_view& out) {
  static char buf[8192];
  const auto* src = static_cast<const SampleSource*>(self);
  if (id < 0 || size_t(id) >= src->exprs->size()) return false;
  const acl::Expression* e = (*src->exprs)[size_t(id)];
  if (!e) return false;
  const int n = e->evaluate(*src->ctx, buf, sizeof buf);
  if (n < 0) return false;
  out = std::string_view(buf, size_t(n));
  return true;
}

fuzzfixed::Fixed& fixed() {
  static fuzzfixed::Fixed f;
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  setenv("TZ", "UTC", 1);
  fuzzenv::dir();
  fixed();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::FILE* sink = std::fopen("/dev/null", "w");
  if (size > 4096) return -1;
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> lines;
  for (size_t pos = 0; pos <= text.size() && lines.size() < 3;) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  std::string cfg_text =
      "global\n"
      "  log 127.0.0.1:9 local0\n"
      "frontend fe\n"
      "  mode http\n"
      "  bind 127.0.0.1:1 name fuzzbind\n"
      "  log 127.0.0.1:9 local0\n"
      "  log 127.0.0.1:9 len 80 format rfc5424 local1 info\n"
      "  capture request header host len 32\n"
      "  capture request header user-agent len 8\n"
      "  capture response header content-type len 16\n"
      "  default_backend be\n";
  static const char* const kDirectives[] = {"log-format", "unique-id-format", "log-format-sd"};
  for (size_t i = 0; i < lines.size(); ++i) cfg_text += std::string("  ") + kDirectives[i] + " " + lines[i] + "\n";
  cfg_text +=
      "backend be\n"
      "  mode http\n"
      "  server s1 127.0.0.1:2\n";

  config::Diagnostics diag;
  config::ConfigPtr cfg = config::load_text(cfg_text, "fuzz.cfg", diag);
  std::unique_ptr<proxy::BoundRules> rules;
  if (cfg && !diag.has_errors()) {
    const size_t first = diag.all().size();
    rules = proxy::bind_rules(*cfg, diag);
    if (!rules) diag.finish_late(first, cfg->files);
  }
  diag.print(sink, 1);
  if (!rules) return 0;

  fuzzfixed::Fixed& fx = fixed();
  acl::SampleContext ctx = fx.context(*cfg, 1, false, true);
  SampleSource src{&ctx, &rules->format_samples[0]};
  log::Record r;
  r.client = reinterpret_cast<const sockaddr*>(&fx.src);
  r.frontend_addr = reinterpret_cast<const sockaddr*>(&fx.dst);
  r.server_addr = reinterpret_cast<const sockaddr*>(&fx.dst);
  r.backend_src = reinterpret_cast<const sockaddr*>(&fx.src6);
  r.accept_date = {1795478400, 123456789};
  r.request_date = {1795478400, 124000000};
  r.frontend = "fe";
  r.backend = "be";
  r.server = "s1";
  r.t_request = 1, r.t_queue = 0, r.t_connect = 2, r.t_response = 3, r.t_active = 6, r.t_total = 7, r.t_idle = 0;
  r.status = 302;
  r.bytes_out = 1234, r.bytes_in = 321;
  r.captured_request_cookie = "SERVERID=s1";
  std::memcpy(r.termination, "--VN", 4);
  r.actconn = 1, r.feconn = 1, r.beconn = 1, r.srv_conn = 1;
  r.request_line = "POST /p/a%20th/x.php?a=1 HTTP/1.1";
  static const std::string_view req_caps[] = {"www.example.test:8080", std::string_view()};
  static const std::string_view res_caps[] = {"text/html\"\\ \x01"};
  r.captured_request_headers = req_caps;
  r.captured_response_headers = res_caps;
  r.hostname = "fuzzhost";
  r.unique_id = "ID-1";
  r.sample = eval_sample;
  r.sample_self = &src;

  static char small[40], big[16384];
  auto render_all = [&](const log::Format* f, bool logasap) {
    if (!f) return;
    r.logasap = logasap;
    (void)f->render(r, small, sizeof small);
    size_t n = f->render(r, big, sizeof big);
    (void)f->text();
    (void)f->has_samples();
    // The line as it is sent: each target's header and truncation.
    log::Sender sender(cfg->global);
    char dgram[2048];
    timespec now{1795478400, 5};
    for (const auto& t : cfg->proxies[0].logs)
      (void)sender.build(t, 6, std::string_view(big, n), now, dgram, sizeof dgram, "[x@1 a=\"b\"]");
  };
  for (bool logasap : {false, true}) {
    if (rules->log_formats.size() > 0) render_all(rules->log_formats[0].get(), logasap);
    if (rules->unique_id_formats.size() > 0) render_all(rules->unique_id_formats[0].get(), logasap);
    if (rules->log_format_sds.size() > 0) render_all(rules->log_format_sds[0].get(), logasap);
  }
  return 0;
}
