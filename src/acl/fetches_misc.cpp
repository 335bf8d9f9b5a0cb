// Internal fetches that read no message: the clock, random numbers, the host, the environment,
// the process (HAProxy 2.6's `date`, `rand`, `uuid`, `hostname`, `env`, `nbproc`, `proc`).
// Nothing is allocated per call: strings point at process-wide or per-thread storage.
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <random>

#include "sample.h"

namespace portero::acl {
namespace {

using A = ArgType;

bool int_out(Sample& o, int64_t v) {
  o.type = SmpType::sint;
  o.i = v;
  return true;
}

std::mt19937_64& rng() {
  thread_local std::mt19937_64 g{std::random_device{}()};
  return g;
}

// date([<offset>[,<unit>]]): seconds since the epoch, plus the offset (s, or ms/us with the unit:
// then the value is in that unit).
bool f_date(const FetchCall& c, const SampleContext&, bool, FetchState&, Sample& o) {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  int64_t v = ts.tv_sec;
  const std::string unit = c.args.size() > 1 ? c.args[1].s : std::string();
  if (unit == "ms") v = int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
  else if (unit == "us") v = int64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
  if (!c.args.empty()) v += c.args[0].i;
  return int_out(o, v);
}

const char* check_date(const std::vector<Arg>& args) {
  if (args.size() > 1 && args[1].s != "s" && args[1].s != "ms" && args[1].s != "us")
    return "expects 's', 'ms' or 'us' as unit";
  return nullptr;
}

// rand([<range>]): a random integer below the range (32 bits without one).
bool f_rand(const FetchCall& c, const SampleContext&, bool, FetchState&, Sample& o) {
  const uint64_t r = rng()() & 0xffffffffu;
  if (!c.args.empty() && c.args[0].i > 0) return int_out(o, int64_t((r * uint64_t(c.args[0].i)) >> 32));
  return int_out(o, int64_t(r));
}

// uuid([4]): a version 4 UUID.
bool f_uuid(const FetchCall&, const SampleContext&, bool, FetchState&, Sample& o) {
  thread_local char buf[37];
  uint8_t b[16];
  for (int i = 0; i < 16; i += 8) {
    const uint64_t r = rng()();
    for (int k = 0; k < 8; ++k) b[i + k] = uint8_t(r >> (8 * k));
  }
  b[6] = uint8_t((b[6] & 0x0f) | 0x40);
  b[8] = uint8_t((b[8] & 0x3f) | 0x80);
  static const char* d = "0123456789abcdef";
  int n = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) buf[n++] = '-';
    buf[n++] = d[b[i] >> 4];
    buf[n++] = d[b[i] & 15];
  }
  o.type = SmpType::str;
  o.s = {buf, 36};
  return true;
}

const char* check_uuid(const std::vector<Arg>& args) {
  if (!args.empty() && args[0].i != 4) return "Unsupported UUID version";
  return nullptr;
}

bool f_hostname(const FetchCall&, const SampleContext&, bool, FetchState&, Sample& o) {
  static const std::string name = [] {
    char b[256] = {};
    gethostname(b, sizeof b - 1);
    return std::string(b);
  }();
  o.type = SmpType::str;
  o.s = name;
  return true;
}

// env(<name>): the variable's value at the time of the call (absent when unset).
bool f_env(const FetchCall& c, const SampleContext&, bool, FetchState&, Sample& o) {
  const char* v = c.args.empty() ? nullptr : std::getenv(c.args[0].s.c_str());
  if (!v) return false;
  o.type = SmpType::str;
  o.s = v;
  return true;
}

// One process (nbproc, proc).
bool f_one(const FetchCall&, const SampleContext&, bool, FetchState&, Sample& o) { return int_out(o, 1); }

const FetchDef kFetches[] = {
    {"date", f_date, SmpType::sint, {A::sint, A::str}, 0, false, check_date},
    {"rand", f_rand, SmpType::sint, {A::sint}, 0, false},
    {"uuid", f_uuid, SmpType::str, {A::sint}, 0, false, check_uuid},
    {"hostname", f_hostname, SmpType::str, {}, 0, false},
    {"env", f_env, SmpType::str, {A::str}, 1, false},
    {"nbproc", f_one, SmpType::sint, {}, 0, false},
    {"proc", f_one, SmpType::sint, {}, 0, false},
};

}  // namespace

const FetchDef* find_misc_fetch(std::string_view name) {
  for (const auto& f : kFetches)
    if (name == f.name) return &f;
  return nullptr;
}

}  // namespace portero::acl
