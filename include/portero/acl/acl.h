#pragma once
// ACLs, conditions and sample expressions as haproxy.cfg writes them, compiled once at start
// (PCRE2 with JIT for regexes, pattern files read, maps loaded) and evaluated per request
// without allocating. Compiled objects are immutable and shared by all threads.
//
// The data plane supplies a SampleContext (what a fetch may look at) and gets back a Tri:
// `miss` means "not decidable yet, more bytes may come" (tcp-request inspect-delay,
// wait-for-body); callers that cannot wait treat it as `no`.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/socket.h>

#include "portero/config/config.h"
#include "portero/config/diagnostics.h"
#include "portero/http/message.h"

struct ssl_st;   // OpenSSL's SSL (openssl/ssl.h), seen only through pointers here

namespace portero::stick {
class Table;
struct Key;
struct Tracked;
}

namespace portero::acl {

// Standard base64 (RFC 4648) decoding into out; returns the length or -1 when malformed or
// longer than cap (acl/auth.cpp).
int base64_decode(std::string_view in, char* out, size_t cap);


enum class Tri : uint8_t { no, yes, miss };

// Per-transaction variables (`set-var(txn.x)`), owned by the data plane, reused between
// requests. Fixed capacity: no allocation on the hot path. A value is kept with its type
// (var() gives back an integer for `set-var(txn.n) int(3)`). Names are stored as written
// ("txn.x"); the `var()` fetch looks them up by that name. Worker-local.
class VarStore {
 public:
  static constexpr size_t kMaxVars = 32;
  static constexpr size_t kArena = 4096;   // bytes for names and string values together
  enum class Type : uint8_t { none, boolean, sint, str };

  // Stores or replaces a variable. False when the store is full (the value is then dropped,
  // as HAProxy drops a variable beyond its memory limits).
  bool set_str(std::string_view name, std::string_view value);
  bool set_int(std::string_view name, int64_t value, bool boolean = false);
  void unset(std::string_view name);
  void clear() { count_ = 0; used_ = 0; }

  struct Value {
    Type type = Type::none;
    int64_t i = 0;
    std::string_view s;
  };
  // The variable named `name`, or type == none.
  Value get(std::string_view name) const;

 private:
  struct Slot {
    uint32_t name_off, name_len, val_off, val_len;
    Type type;
    int64_t i;
  };
  bool store(std::string_view name, Type t, int64_t i, std::string_view s);
  Slot slots_[kMaxVars];
  char arena_[kArena];
  size_t count_ = 0, used_ = 0;
};

// Everything a sample fetch may read. Pointers may be null / views empty when not available.
struct SampleContext {
  const sockaddr* src = nullptr;            // client address
  const sockaddr* dst = nullptr;            // address the client connected to
  const http::Head* request = nullptr;      // request head; spans point into `base`
  const char* base = nullptr;
  std::string_view body;                    // request body bytes received so far
  bool body_complete = false;
  std::string_view payload;                 // mode tcp: client bytes received so far
  bool final = true;                        // no more bytes will come (inspect delay over)
  bool first_request = true;                // the connection's first request (http_first_req)
  const config::Proxy* frontend = nullptr;
  const config::Proxy* backend = nullptr;
  const config::Config* config = nullptr;
  // Counts of usable servers for nbsrv()/srv_is_up(): supplied by the data plane.
  int (*usable_servers)(const void* opaque, int proxy_index) = nullptr;
  bool (*server_is_up)(const void* opaque, int proxy_index, int server_index) = nullptr;
  const void* opaque = nullptr;
  VarStore* vars = nullptr;
  const http::Head* response = nullptr;     // for http-response rules
  const char* response_base = nullptr;
  bool ssl = false;   // deprecated: ssl_fc is true when set; prefer client_tls
  // The TLS connections of this exchange (OpenSSL's SSL objects), for the ssl_fc_* / ssl_c_* /
  // ssl_bc_* fetches; null when that side is plaintext.
  const ssl_st* client_tls = nullptr;
  const ssl_st* server_tls = nullptr;
  // so_id / so_name: the bind line the connection came through (its number from 1, its name).
  int so_id = 0;
  std::string_view so_name;
  // fc_pp_authority / fc_pp_unique_id: TLVs of the connection's PROXY v2 header (empty: none).
  std::string_view pp_authority, pp_unique_id;
  // `unique-id`: the request's unique id (the frontend's unique-id-format), computed on first
  // use by the data plane; null when there is none.
  std::string_view (*unique_id)(const void* self) = nullptr;
  const void* unique_id_self = nullptr;
  // `capture.req.hdr(N)` / `capture.res.hdr(N)`: the frontend's capture slot N (request or
  // response side) of this exchange; false when nothing was captured there.
  bool (*captured)(const void* self, bool response, int64_t index, std::string_view& out) = nullptr;
  const void* captured_self = nullptr;
  // The stick counters tracked (sc0..sc2): by the stream (http-request, tcp-request content)
  // and by the session (tcp-request connection/session); either may be null. A stream's
  // counter hides the session's of the same number.
  const stick::Tracked* sc_stream = nullptr;
  const stick::Tracked* sc_session = nullptr;
};

// A compiled `if|unless ...` condition.
class Condition {
 public:
  virtual ~Condition() = default;
  virtual Tri evaluate(const SampleContext& ctx) const = 0;
};

// A compiled sample expression `fetch,conv1,conv2(args)...` (as in `%[...]`, `use_backend`,
// `set-header X %[...]`, log-format). Writes its string form into `out` (capacity `cap`) and
// returns the length, or -1 when the sample is absent.
class Expression {
 public:
  virtual ~Expression() = default;
  virtual int evaluate(const SampleContext& ctx, char* out, size_t cap) const = 0;
  // `balance hash`: a format made of one sample gives that sample in binary form, as HAProxy
  // hashes it (addresses as 4 or 16 bytes, integers as 8 big-endian bytes, strings as they
  // are); anything else as evaluate(). -1 when the sample is absent.
  virtual int evaluate_binary(const SampleContext& ctx, char* out, size_t cap) const { return evaluate(ctx, out, cap); }
  // A format made of one sample: that sample as a key of table `t` (track-sc). False when the
  // sample is absent or cannot be such a key.
  virtual bool evaluate_key(const SampleContext& ctx, const stick::Table& t, stick::Key& k) const {
    (void)ctx, (void)t, (void)k;
    return false;
  }
};

// The ACLs of every proxy of a Config, compiled. Built on the main thread after config::load.
class Compiled {
 public:
  virtual ~Compiled() = default;
  // The condition of a rule (`words` = {"if"|"unless", ...}) as written in proxy `proxy_index`
  // (its named ACLs, plus the predefined ones). Null when `words` is empty (always true).
  // compile() already compiled (and reported errors for) the conditions of use_backend,
  // http-request, tcp-request and stats admin rules; other words are compiled on first request
  // (main thread, under a lock) and, if invalid, give a condition that never matches.
  virtual const Condition* condition(int proxy_index, const std::vector<std::string>& words) const = 0;
  // A log-format-like string with `%[expr]` parts ("%[req.hdr(host),lower]", "/x/%[path]"),
  // `%%` for a percent sign. Dynamic use_backend names are compiled by compile(); others on
  // first request. Null when the text does not compile. An absent sample writes nothing;
  // evaluate() returns -1 only when nothing at all was written (so a name made of one absent
  // expression reads as "no name").
  virtual const Expression* format(int proxy_index, const std::string& text) const = 0;
  // Why `text` does not compile as format() would (HAProxy's words), or empty.
  virtual std::string format_error(int proxy_index, const std::string& text) const = 0;
};

// Evaluates an expression compiled from `format()` into a string, for callers that are not on
// the hot path (tests, admin). Empty when the sample is absent.
std::optional<std::string> evaluate_to_string(const Expression& e, const SampleContext& ctx);

// Compiles every `acl` line, every rule condition and every expression of `cfg`. Errors go to
// `diag` in HAProxy's form (file:line, keyword, why); null when any error was found.
std::unique_ptr<Compiled> compile(const config::Config& cfg, config::Diagnostics& diag);

}  // namespace portero::acl
