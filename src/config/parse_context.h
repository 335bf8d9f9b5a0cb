#pragma once
// The builder every keyword parse function writes into, and the keyword registry rows.
// Main-thread only, lives for one load().
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "portero/config/config.h"
#include "portero/config/diagnostics.h"

namespace portero::config {

enum class SectionKind : uint8_t { none, global, defaults, frontend, backend, listen, userlist, peers, http_errors, resolvers, unsupported };

// Bit mask of the sections a keyword row applies to.
enum : unsigned {
  kInGlobal = 1u << 0,
  kInDefaults = 1u << 1,
  kInFrontend = 1u << 2,
  kInBackend = 1u << 3,
  kInListen = 1u << 4,
  kInProxies = kInDefaults | kInFrontend | kInBackend | kInListen,
};

// What a proxy keyword needs: a frontend side, a backend side, or nothing particular.
enum class Cap : uint8_t { any, frontend, backend };

class ParseContext;
using Args = std::vector<std::string>;
// `args[0]` is the keyword itself (after a leading "no"/"default" was removed).
using ParseFn = void (*)(ParseContext& ctx, const Args& args);

struct KeywordRow {
  unsigned sections;
  std::string_view name;
  bool allowed_in_defaults;
  Cap cap;
  // When the proxy lacks `cap`: true = alert, false = warn "ignored" and still validate.
  bool cap_fatal;
  ParseFn parse;
};

class ParseContext {
 public:
  ParseContext(Config& c, Diagnostics& d) : config(c), diag(d) {}

  Config& config;
  Diagnostics& diag;
  Origin origin;                   // the line being parsed
  SectionKind section = SectionKind::none;
  Proxy* proxy = nullptr;          // current frontend/backend/listen, or the defaults being built
  bool defaults_named = false;     // current defaults section has a name
  bool negated = false;            // the line began with "no"
  bool experimental = false;       // `expose-experimental-directives` was read
  std::vector<Diagnostic> unresolved;  // server names libc could not resolve (reported after the checks)
  std::vector<Diagnostic> late_warnings;   // init-addr fallbacks (HAProxy says so after the checks)
  bool abort = false;              // HAProxy stops reading after some errors; so do we

  // Storage for proxies under construction; moved into config.proxies at the end.
  std::deque<Proxy> proxies;        // deque: `proxy` pointers stay valid while adding
  std::map<std::string, Proxy> named_defaults;
  Proxy current_defaults;          // what a new proxy starts from
  bool global_seen = false;
  Userlist* userlist = nullptr;
  HttpErrorsSection* http_errors = nullptr;   // the http-errors section being read
  ResolversSection* resolvers = nullptr;   // the resolvers section being read
  PeersSection* peers = nullptr;   // the peers section being read    // the userlist section being read (null: a duplicate, ignored)

  void alert(std::string text) { diag.alert(origin, std::move(text)); }
  void warning(std::string text) { diag.warning(origin, std::move(text)); }
  void alert(Form f, std::string text) { diag.add(Severity::alert, origin, f, std::move(text)); }
  void warning(Form f, std::string text) { diag.add(Severity::warning, origin, f, std::move(text)); }

  // "frontend", "backend", "listen", "defaults" for the current proxy.
  const char* proxy_type() const;
  std::string proxy_name() const { return proxy ? proxy->name : std::string(); }
};

const char* proxy_type_name(Proxy::Kind k);

class Registry {
 public:
  void add(const KeywordRow* rows, size_t n);
  template <size_t N>
  void add(const KeywordRow (&rows)[N]) { add(rows, N); }
  // Rows matching the name and applicable to `section_bit` (first match wins).
  const KeywordRow* find(std::string_view name, unsigned section_bit) const;
  // All names usable in a section, for "did you mean".
  std::vector<std::string_view> names(unsigned section_bit) const;

 private:
  std::vector<KeywordRow> rows_;
};

// Each feature registers its own rows explicitly (called once from registry.cpp).
void register_global_keywords(Registry& r);
void register_h2_keywords(Registry& r);   // tune.h2.* (keywords_h2.cpp)
void register_log_keywords(Registry& r);
void register_logging_keywords(Registry& r);
// `option log-separate-errors|logasap|dontlog-normal` (keywords_logging.cpp); returns true when
// the option was fully handled.
bool parse_logging_option(ParseContext& ctx, const Args& args);
void register_proxy_keywords(Registry& r);
void register_balance_keywords(Registry& r);
void register_tcp_request_keywords(Registry& r);
void register_timeout_keywords(Registry& r);
void register_option_keywords(Registry& r);
void register_bind_keywords(Registry& r);
void register_server_keywords(Registry& r);
void register_http_request_keywords(Registry& r);
void register_http_response_keywords(Registry& r);
void register_redirect_keywords(Registry& r);
void register_stats_keywords(Registry& r);
void register_unsupported_keywords(Registry& r);
void register_acl_keywords(Registry& r);
void register_check_keywords(Registry& r);
void register_stick_keywords(Registry& r);   // stick-table (keywords_stick.cpp)
// Health check parts of other keywords (keywords_check.cpp). `option X`: returns true when the
// option was fully handled. Server option a[i]: 0 = not a check option, 1 = parsed (i moved past
// its value), -1 = error reported.
bool parse_check_option(ParseContext& ctx, const Args& args);
int parse_check_server_option(ParseContext& ctx, const Args& args, size_t& i, Server& s, const std::string& prefix,
                              const std::string& srv);
// HAProxy's post-parse checks of a proxy's health check setup.
void check_check_setup(const Proxy& p, Diagnostics& diag);
void register_cookie_keywords(Registry& r);
// TLS (keywords_tls.cpp): the global keywords, and the TLS options of bind and server lines.
// Option a[i]: 0 = not a TLS option, 1 = parsed (i moved past its value), -1 = error reported.
void register_tls_keywords(Registry& r);
int parse_tls_bind_option(ParseContext& ctx, const Args& args, size_t& i, Bind& b, const std::string& where);
int parse_tls_server_option(ParseContext& ctx, const Args& args, size_t& i, Server& s, const std::string& prefix);

// `peers` sections (keywords_peers.cpp): the header, a line, and the checks once every file
// was read (tables resolve their section; sections without the local peer are dropped).
void open_peers(ParseContext& ctx, const Args& words);
// keywords_stick.cpp: the words of a stick-table (or peers `table`) line from `from` on.
bool parse_table_words(ParseContext& ctx, const Args& words, size_t from, stick::TableSpec& out);
void parse_peers_line(ParseContext& ctx, const Args& words);
void check_peers(Config& config, Diagnostics& diag);

// `resolvers` sections (keywords_resolvers.cpp): the header, a line, and the checks once every
// file was read (HAProxy's implicit `default` section, the servers' `resolvers` names).
void open_resolvers(ParseContext& ctx, const Args& words);
void parse_resolvers_line(ParseContext& ctx, const Args& words);
void check_resolvers(Config& config, Diagnostics& diag);

// A line of a `userlist` section (keywords_userlist.cpp); `words[0]` is the keyword.
void parse_userlist_line(ParseContext& ctx, const Args& words);
// Opens a `userlist NAME` section.
void open_userlist(ParseContext& ctx, const Args& words);
// Checks made once every file was read (users of groups and groups of users exist).
void check_userlists(Config& config, Diagnostics& diag);

// http-request / http-response rules (keywords_http_request.cpp). `words[1]` is the action.
// Returns false after reporting an error (and setting `abort`, as HAProxy stops there).
enum class HttpRuleSide : uint8_t { request, response, after_response };
bool parse_http_rule(ParseContext& ctx, const Args& words, HttpRuleSide side, HttpRule& out);
// The arguments of a redirect (`redirect` keyword and `http-request redirect`), from words[i]
// up to an `if`/`unless` (left at words[i]). Throws RedirectError with HAProxy's reason.
struct RedirectError {
  std::string text;
};
void parse_redirect_args(const Args& words, size_t& i, Redirect& out);
// `http-error ...` (words[0] is the keyword) into a `return` rule; false after an alert.
bool parse_http_error(ParseContext& ctx, const Args& words, HttpRule& out);

// Error pages (keywords_errors.cpp): the proxy keywords, `http-errors` sections, and the
// resolution of every proxy's directives once all sections are read.
void register_error_keywords(Registry& r);
void open_http_errors(ParseContext& ctx, const Args& words);
void parse_http_errors_line(ParseContext& ctx, const Args& words);
void resolve_error_pages(Config& config, Diagnostics& diag);

// The registry with every feature's rows.
const Registry& registry();

// Helpers shared by keyword files.
bool parse_uint(const std::string& s, uint32_t& out);
// A multiplexer `proto` may name on a bind or a server line (case-sensitive), or nothing.
std::optional<MuxProto> mux_proto_named(const std::string& n);
// The character HAProxy's time parser stops at, or nothing when `v` is a valid time. An empty
// value stops at its terminating NUL ('\0'), which HAProxy's messages print as nothing.
std::optional<char> time_stop_char(const std::string& v);
// A time value HAProxy's parser accepted (time_stop_char found nothing): its milliseconds, with
// HAProxy's warning when characters follow the unit ("15min"). `server` names the server
// ("'server l/s'") for the keywords whose warning HAProxy prints in the server's context.
std::optional<uint64_t> time_value(ParseContext& c, const std::string& v, const std::string& server = {});
unsigned section_bit(SectionKind k);

}  // namespace portero::config
