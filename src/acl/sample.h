#pragma once
// Samples, fetches and converters: the typed values an ACL or a `%[...]` expression works on.
// Private to portero_acl. Everything here is built at compile() time and read-only after.
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "portero/acl/acl.h"
#include "portero/stick/table.h"

namespace portero::acl {

enum class SmpType : uint8_t { boolean, sint, str, ipv4, ipv6, bin };

// One value. Strings view either the request buffer, the compiled config, or a scratch buffer
// of the evaluation (see Scratch); they never own memory.
struct Sample {
  SmpType type = SmpType::str;
  bool may_change = false;  // more bytes may change this value (tcp payload, partial body)
  int64_t i = 0;            // boolean, sint
  std::string_view s;       // str, bin
  uint8_t ip[16] = {};      // ipv4 (4 bytes), ipv6 (16 bytes), network order
};

// Scratch space for converters: two buffers used alternately so a converter can read its input
// from one and write into the other. Lives on the evaluating thread's stack.
struct Scratch {
  static constexpr size_t kSize = 8192;
  char buf[2][kSize];
  int next = 0;
  int64_t var_arg = 0;   // the value of a converter's variable argument, read just before it runs
  char* take() {
    char* b = buf[next];
    next ^= 1;
    return b;
  }
};

// Where a multi-valued fetch (hdr, cook, url_param...) stands between two calls.
struct FetchState {
  uint32_t a = 0, b = 0;   // fetch-specific cursors
  int seen = 0;            // occurrences returned so far
  bool started = false;
  bool more = false;       // set by the fetch: another value may follow
};

// sint_or_var: an integer, or a variable name (`txn.now`) read when the converter runs.
// table: a stick table (its index in proxy_index: config::Config::table_spec()).
enum class ArgType : uint8_t { none, str, sint, sint_or_var, backend, server, userlist, table };

struct Arg {
  ArgType type = ArgType::none;
  std::string s;
  int64_t i = 0;
  int proxy_index = -1;              // backend / server
  int server_index = -1;             // server
  bool var = false;                  // sint_or_var given a variable name (in s)
  const config::Userlist* userlist = nullptr;
};

struct FetchDef;
// Compiled call of a fetch: its definition and arguments.
struct FetchCall {
  const FetchDef* def = nullptr;
  std::vector<Arg> args;
  int proxy_index = -1;   // proxy the expression was written in
};

// Returns false when there is no (more) sample. `iterate`: the caller wants every value
// (ACL matching), else the one value HAProxy's sample context gives (usually the last).
using FetchFn = bool (*)(const FetchCall& call, const SampleContext& ctx, bool iterate, FetchState& st,
                         Sample& out);

struct FetchDef {
  const char* name;
  FetchFn fn;
  SmpType out;
  // Argument types, in order; `min_args` of them are mandatory.
  ArgType args[3];
  uint8_t min_args;
  bool http;          // needs the request head (miss while it has not come)
  // Checks the compiled arguments: HAProxy's reason (without the "invalid args in fetch method
  // 'x' : " prefix) when they are refused, else null.
  const char* (*check)(const std::vector<Arg>& args) = nullptr;
};

const FetchDef* find_fetch(std::string_view name);
const FetchDef* find_payload_fetch(std::string_view name);   // fetches_payload.cpp
const FetchDef* find_ssl_fetch(std::string_view name);       // fetches_ssl.cpp
const FetchDef* find_stick_fetch(std::string_view name);     // fetches_stick.cpp
const FetchDef* find_misc_fetch(std::string_view name);      // fetches_misc.cpp

struct ConvCall;
using ConvFn = bool (*)(const ConvCall& call, Sample& smp, Scratch& scratch);

struct ConvDef {
  const char* name;
  ConvFn fn;
  ArgType args[3];
  uint8_t min_args;
  // Checks the compiled arguments: HAProxy's reason when they are refused, else null.
  const char* (*check)(const std::vector<Arg>& args) = nullptr;
};

const ConvDef* find_conv(std::string_view name);
const ConvDef* find_stick_conv(std::string_view name);   // fetches_stick.cpp
const ConvDef* find_misc_conv(std::string_view name);    // converters_misc.cpp

class MapData;  // converters.cpp
class Regex;    // regex.h

struct ConvCall {
  const ConvDef* def = nullptr;
  std::string name;                     // as written ("map_beg", "lower")
  std::vector<Arg> args;
  std::shared_ptr<const MapData> map;   // map_* converters
  std::shared_ptr<const Regex> regex;   // regsub
  int flags = 0;                        // converter-specific (json mode, regsub global...)
};

// `fetch,conv,...` compiled.
struct SampleExpr {
  FetchCall fetch;
  std::vector<ConvCall> convs;
  std::string text;  // as written, for messages

  // The single-value form (sample context). False when absent.
  bool eval(const SampleContext& ctx, Sample& out, Scratch& scratch) const;
  // Applies the converters to a fetched value. False when a converter fails (or needs a
  // variable and `ctx` has none).
  bool convert(Sample& smp, Scratch& scratch, const SampleContext* ctx = nullptr) const;
  SmpType out_type() const;
};

// Casts for matchers and output. `to_str` may use `scratch` for numbers and addresses.
bool cast_to_str(Sample& smp, Scratch& scratch);
bool cast_to_int(Sample& smp);
bool cast_to_ip(Sample& smp);   // to ipv4 or ipv6
// A sample as a key of table `t` (HAProxy's casts); false when it cannot be one.
bool sample_to_key(const Sample& smp, const stick::Table& t, stick::Key& k);
// Writes the string form of a sample into out (cap bytes). Returns the length or -1.
int write_sample(const Sample& smp, char* out, size_t cap);

// Parses "name(arg1,arg2)" starting at text[pos]; stops after the closing parenthesis or at
// the first ',' / end. Used for fetches and converters alike.
struct CallText {
  std::string name;
  std::vector<std::string> args;
  bool has_parens = false;
};
// Returns an error message (HAProxy-like) or empty. `pos` is advanced past the call.
std::string parse_call(std::string_view text, size_t& pos, CallText& out);

// Compiles a sample expression "fetch(args),conv(args)...". `err` receives HAProxy's wording.
// `cfg` resolves backend/server/userlist arguments; `proxy_index` is the proxy it belongs to.
bool compile_expr(std::string_view text, const config::Config& cfg, int proxy_index, SampleExpr& out,
                  std::string& err);
// Resolves and checks call arguments against `types`; fills `out`.
bool compile_args(const std::vector<std::string>& in, const ArgType* types, size_t ntypes, int min_args,
                  const config::Config& cfg, int proxy_index, std::vector<Arg>& out, std::string& err,
                  const char* what, const std::string& name);
// Prepares converter-specific data (maps, regexes) once its args are known.
bool prepare_conv(ConvCall& c, std::string& err);

// Lower-case ASCII.
inline char lower_c(char c) { return (c >= 'A' && c <= 'Z') ? char(c | 0x20) : c; }
inline bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower_c(a[i]) != lower_c(b[i])) return false;
  return true;
}

// Parses a v4 or v6 address literal into smp (type ipv4/ipv6).
bool parse_ip(std::string_view text, Sample& smp);

}  // namespace portero::acl
