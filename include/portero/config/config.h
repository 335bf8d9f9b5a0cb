#pragma once
// The immutable configuration: what haproxy.cfg said, validated and resolved. Built once on the
// main thread by config::load(), then shared read-only by every thread as
// std::shared_ptr<const Config>. Plain types only; no behaviour beyond small lookups.
//
// Times are milliseconds (std::optional when HAProxy distinguishes "unset" from a value, so the
// fallbacks of COMPAT.md §8 can be applied by the consumer through the helpers below).
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "portero/config/address.h"
#include "portero/config/tls.h"
#include "portero/config/server_list.h"
#include "portero/stick/types.h"

namespace portero::config {

using Millis = uint64_t;

// Where a line came from, for every message that points at the config.
struct Origin {
  std::string file;
  int line = 0;
};

// A `log` line, parsed now and used by the logging work later.
struct LogTarget {
  Origin origin;
  bool global = false;           // `log global` in a proxy
  std::string target;            // as written: 127.0.0.1, /dev/log, stdout, ...
  std::optional<Address> address;  // resolved for udp/unix targets
  uint32_t max_len = 1024;
  std::string format = "local";  // local rfc3164 rfc5424 short raw iso timed priority
  int facility = 16;             // local0
  int level = 7;                 // max level sent (debug = all)
  int min_level = 0;
};

// `stats socket`, parsed now and used by the admin socket work later.
struct StatsSocket {
  Origin origin;
  Address address;
  uint32_t mode = 0;             // 0 = leave as created
  std::string user, group;
  std::string level = "operator";
  bool expose_fd_listeners = false;
};

struct CpuMap {
  std::string process_or_thread;  // e.g. "1/1", "1/all", "auto:1/1-4"
  std::string cpus;                // e.g. "0", "0-3"
};

// `tune.h2.*` (global): the SETTINGS the HTTP/2 side advertises to clients, as HAProxy 2.6
// reads them. portero/http/h2_settings.h turns them into the codec's http::h2::Settings.
struct H2Tuning {
  uint32_t header_table_size = 4096;       // 4096..65536
  uint32_t initial_window_size = 65535;    // 0..2^31-1
  // 0 is accepted, as HAProxy does; HAProxy 2.6 then advertises no limit and refuses every
  // stream (RST_STREAM REFUSED_STREAM, observed on 2.6.12).
  uint32_t max_concurrent_streams = 100;
  // 0: not set, and HAProxy advertises tune.bufsize; a value set is capped at tune.bufsize.
  // Else 16384..16777215.
  uint32_t max_frame_size = 0;
  // portero's own (HAProxy 2.6 has no such limits): `tune.h2.limit.*`, the HTTP/2 abuse limits
  // of http::h2::Settings, which documents each; unset keeps the codec's default, 0 turns one off.
  std::optional<uint32_t> limit_resets, limit_provoked_resets, limit_streams, limit_settings, limit_pings,
      limit_priority, limit_empty_data, limit_header_list, limit_large_heads;
};

struct Global {
  Origin origin;
  bool daemon = false;
  bool master_worker = false;           // `master-worker` (as -W)
  bool master_exit_on_failure = true;   // cleared by `master-worker no-exit-on-failure`
  bool zero_warning = false;            // `zero-warning` (as -dW): any warning refuses the configuration
  std::string pidfile;
  uint32_t maxconn = 0;            // 0: unset (then maxconn_default applies)
  // HAProxy's maxconn when none is set: half the fd limit (ulimit-n or the process limit) less
  // what listeners and the process reserve. Computed by resolve().
  uint32_t maxconn_default = 4096;
  uint32_t effective_maxconn() const { return maxconn ? maxconn : maxconn_default; }
  uint32_t nbthread = 0;   // 0: not set (one thread per CPU)
  std::vector<CpuMap> cpu_map;
  std::string user, group, chroot;
  std::optional<uint32_t> uid, gid;
  uint32_t ulimit_n = 0;
  bool pp2_never_send_local = false;    // health checks send PROXY v2 with the PROXY command, not LOCAL
  bool strict_limits = true;            // `[no] strict-limits`: refuse to start without the fds maxconn needs
  uint32_t tune_bufsize = 16384;
  uint32_t tune_maxrewrite = 1024;
  uint32_t tune_http_maxhdr = 101;
  H2Tuning h2;
  std::vector<LogTarget> logs;
  std::string log_tag = "haproxy";
  bool log_send_hostname = false;
  std::vector<StatsSocket> stats_sockets;
  std::optional<Millis> stats_timeout;
  uint32_t stats_maxconn = 10;      // `stats maxconn`: admin socket clients at once
  std::string node, description;
  // The local peer's name: `-L` (command line) first, then `localpeer`, else the host name.
  std::string localpeer;
  bool localpeer_cmdline = false;   // set by -L: `localpeer` is then ignored (with a warning)
  uint32_t hard_stop_after_ms = 0;  // 0 = never
  // `server-state-file` (the global one) and `server-state-base` (the directory of relative
  // names): read at start by the backends with `load-server-state-from-file`.
  std::string server_state_file, server_state_base;
  uint32_t grace_ms = 0;            // `grace`: SIGUSR1 waits this long before the soft stop
  // `close-spread-time`: a soft stop closes idle client connections, and asks active ones to
  // close, spread over this window instead of all at once (0: at once); `infinite`: it does
  // neither (idle connections end at their keep-alive timeout, responses keep the connection).
  uint32_t close_spread_ms = 0;
  bool close_spread_infinite = false;
  int32_t mworker_max_reloads = -1; // `mworker-max-reloads`: -1 = unlimited
  bool external_check = false;      // `external-check`: allows `option external-check`
  std::optional<uint32_t> spread_checks;  // `spread-checks <0..50>` percent of jitter
  TlsGlobal tls;                    // ca-base, crt-base, ssl-default-*, tune.ssl.* ...
};

enum class Mode : uint8_t { tcp, http };

// How connections are kept alive (the last of these options in a section wins).
enum class HttpConnMode : uint8_t { keep_alive, server_close, close };

enum class HttpReuse : uint8_t { never, safe, aggressive, always };

// `option forwardfor` (the client's address), also the shape of `option originalto` (the
// address it connected to; no if-none).
struct ForwardFor {
  bool enabled = false;
  std::optional<std::string> except;   // network as written ("127.0.0.0/8")
  // Parsed form of `except` (network address bytes + prefix length), family AF_INET/AF_INET6.
  int except_family = 0;
  uint8_t except_addr[16] = {};
  uint8_t except_prefix = 0;
  std::string header = "X-Forwarded-For";
  bool if_none = false;
  static ForwardFor named(std::string header) {
    ForwardFor f;
    f.header = std::move(header);
    return f;
  }
};

// `balance`, validated as HAProxy 2.6 does. `algorithm` is the bare name ("hdr" for
// `hdr(host)`, "rdp-cookie" for `rdp-cookie(x)`, "random" for `random(3)`); `args` are the words
// after it as written. The structured fields below hold the parsed arguments; only those of
// the chosen algorithm are meaningful, the others keep their defaults.
struct Balance {
  Origin origin;
  std::string algorithm = "roundrobin";  // roundrobin static-rr leastconn first source uri ...
  std::vector<std::string> args;           // e.g. {"len", "10"} for uri, {"sessionid"} for url_param
  // uri [len N] [depth N] [whole] [path-only]; 0 = no limit
  uint32_t uri_len = 0;
  uint32_t uri_depth = 0;
  bool uri_whole = false;
  bool uri_path_only = false;
  // url_param NAME [check_post]
  std::string param_name;
  bool check_post = false;
  // hdr(NAME) [use_domain_only]
  std::string header_name;
  bool use_domain_only = false;
  // rdp-cookie[(NAME)]
  std::string rdp_cookie_name = "mstshash";
  // random[(N)]: power of N choices
  uint32_t random_draws = 2;
  // hash EXPR (not supported yet: rejected at load time); the expression words as written
  std::vector<std::string> hash_expr;
};

// `hash-type`. HAProxy's defaults: map-based sdbm without avalanche; `consistent` alone
// implies avalanche (COMPAT 1.2), `consistent <function>` does not unless written.
struct HashType {
  std::string method = "map-based";   // map-based | consistent
  std::string function = "sdbm";      // sdbm djb2 wt6 crc32 none
  bool avalanche = false;
};

// `cookie NAME [rewrite|insert|prefix] [indirect] [nocache] [postonly] [preserve] [httponly]
// [secure] [domain D]* [maxidle T] [maxlife T] [dynamic] [attr V]*`: cookie persistence.
struct CookiePersistence {
  std::string name;                 // empty: no cookie persistence
  enum class Mode : uint8_t { passive, insert, rewrite, prefix } mode = Mode::passive;
  bool indirect = false, nocache = false, postonly = false, preserve = false;
  bool httponly = false, secure = false, dynamic = false;
  std::vector<std::string> domains;
  std::vector<std::string> attrs;
  uint32_t maxidle_s = 0, maxlife_s = 0;   // seconds; 0 = unset
};

// `bind ... proto NAME`: the protocol HAProxy's listener speaks whatever the client sends (its
// "MUX protocol"). `unset`: chosen per connection (ALPN, or on a clear bind the HTTP/2
// preface, in mode http). h1 and h2 need mode http, none mode tcp; fcgi is a server-side
// protocol that no bind may use (the post-parse checks refuse the mismatches, as HAProxy).
enum class MuxProto : uint8_t { unset, h1, h2, fcgi, none };
inline const char* mux_proto_name(MuxProto p) {
  switch (p) {
    case MuxProto::h1: return "h1";
    case MuxProto::h2: return "h2";
    case MuxProto::fcgi: return "fcgi";
    case MuxProto::none: return "none";
    case MuxProto::unset: break;
  }
  return "";
}

// A `bind` line: one or more addresses sharing the same options.
struct Bind {
  Origin origin;
  std::vector<Address> addresses;
  std::string name;
  std::optional<uint32_t> maxconn;
  uint32_t backlog = 0;             // 0 = use maxconn-derived default
  std::vector<std::string> unsupported_options;  // kept so -c can warn about each
  std::string written;              // the address list as written (HAProxy's messages name it)
  MuxProto proto = MuxProto::unset; // `proto NAME` (the last one written wins)
  TlsBindOptions tls;               // ssl, crt, crt-list, verify, alpn ...
  bool accept_proxy = false;        // `accept-proxy`: a PROXY protocol header comes first
};

struct Server {
  Origin origin;
  std::string name;
  Address address;
  std::string init_addr;            // `init-addr` methods as written (default: last,libc)
  // DNS (`resolvers`, dns/ module). `hostname`: the name the address gave (empty: an IP or a
  // socket); with `resolvers` it is resolved again at run time. A `server-template` server on
  // `_service._proto.name` has `srvrecord` set and starts without hostname or address.
  std::string hostname;
  std::string resolvers;            // `resolvers <id>` (empty: resolved once, at start)
  std::string srvrecord;
  bool prefer_ipv4 = false;         // `resolve-prefer ipv4` (HAProxy's default prefers ipv6)
  struct Net {
    int family = 0;                 // AF_INET / AF_INET6
    uint8_t bytes[16] = {};
    uint8_t prefix = 0;
  };
  std::vector<Net> resolve_net;     // `resolve-net a/n,...`: addresses taken first
  bool allow_dup_ip = false;        // `resolve-opts allow-dup-ip`
  bool ignore_weight = false;       // `resolve-opts ignore-weight` (SRV weights not applied)
  bool start_in_dns_maint = false;  // no address at start (`init-addr none`, or failed default)
  int template_index = 0;           // > 0: made by `server-template` (its number in the range)
  MuxProto proto = MuxProto::unset; // `proto h1|h2`: the protocol spoken to it (unset: ALPN, else h1)
  MuxProto check_proto = MuxProto::unset;   // `check-proto h1|h2` (unset: as `proto`)
  int32_t max_reuse = -1;           // `max-reuse N`: times a connection is reused (-1: no limit)
  int32_t pool_max_conn = -1;       // `pool-max-conn N`: idle connections kept (-1: no limit, 0: none)
  uint64_t pool_purge_delay = 5000; // `pool-purge-delay`: ms an idle connection is kept (0: for ever)
  uint32_t weight = 1;              // 0..256
  bool disabled = false;
  bool backup = false;
  uint32_t maxconn = 0;             // 0 = unlimited
  // With minconn > 0 and a backend fullconn, the dynamic limit is HAProxy's
  // max(minconn, maxconn * backend_load / fullconn) capped at maxconn. 0 = unset (static maxconn).
  uint32_t minconn = 0;
  uint32_t maxqueue = 0;            // 0 = unlimited queue
  std::optional<int32_t> id;        // `id N` as written
  int puid = 0;                     // effective id: `id N`, or assigned as HAProxy does (resolve())
  std::string cookie;
  bool dynamic_cookie = false;      // `cookie` computed from the backend's dynamic-cookie-key
  // Health check parameters, parsed now and used by the checks work later.
  bool check = false;
  Millis inter = 2000;
  std::optional<Millis> fastinter, downinter;
  uint32_t rise = 2, fall = 3;
  std::optional<uint16_t> check_port;
  std::string check_addr;
  Millis slowstart = 0;
  // More health check parameters (check/ module, keywords_check.cpp).
  bool check_send_proxy = false;
  // The PROXY protocol on each new connection: `send-proxy` (v1), `send-proxy-v2*` (v2 wins
  // when both are set), and the v2 TLVs `proxy-v2-options` (and -ssl, -ssl-cn) add.
  bool send_proxy_v1 = false, send_proxy_v2 = false;
  enum : uint16_t {
    pp2_ssl = 1, pp2_cert_cn = 2, pp2_ssl_cipher = 4, pp2_cert_sig = 8, pp2_cert_key = 16,
    pp2_authority = 32, pp2_crc32c = 64, pp2_unique_id = 128,
  };
  uint16_t pp2_options = 0;
  bool sends_proxy() const { return send_proxy_v1 || send_proxy_v2; }
  bool agent_check = false;
  std::optional<uint16_t> agent_port;
  std::optional<Millis> agent_inter;  // unset: `inter`
  std::string agent_addr;             // empty: check addr, else server address
  std::string agent_send;             // string sent to the agent on connect
  enum class Observe : uint8_t { none, layer4, layer7 };
  Observe observe = Observe::none;
  uint32_t error_limit = 10;
  enum class OnError : uint8_t { fastinter, fail_check, sudden_death, mark_down };
  OnError on_error = OnError::fastinter;
  bool on_marked_down_shutdown = false;      // on-marked-down shutdown-sessions
  bool on_marked_up_shutdown_backup = false; // on-marked-up shutdown-backup-sessions
  TlsServerOptions tls;             // ssl, verify, ca-file, sni, check-ssl ...
};

// How a backend checks its servers (`option httpchk`, `http-check`, `option tcp-check`,
// `tcp-check`, `option external-check`, `external-check`), filled by keywords_check.cpp.
struct HttpCheckExpect {
  enum class Kind : uint8_t { status, rstatus, string, rstring, hdr, fhdr };
  Kind kind = Kind::status;
  bool negate = false;
  std::string pattern;              // status: "200,201,300-310"; hdr/fhdr: the name; others: the text or regex
  // hdr/fhdr: `-m str|beg|end|sub|reg` for the name and the value; the value is optional.
  enum class Match : uint8_t { str, beg, end, sub, reg };
  Match name_match = Match::str, value_match = Match::str;
  bool has_value = false;
  std::string value;
};
struct TcpCheckRule {
  enum class Kind : uint8_t {
    connect, send, send_binary, expect_string, expect_rstring, expect_binary, comment,
    expect_rbinary,   // regex on the hex form of the bytes received (upper case)
    expect_custom,    // a protocol's own reply parser (`custom`)
  };
  Kind kind = Kind::connect;
  bool negate = false;
  std::optional<uint16_t> port;     // connect port
  bool send_proxy = false;          // connect send-proxy
  std::string data;                 // send: bytes (binary already decoded); expect: pattern

  // The rest is set by the protocol checks (`option redis-check`, `smtpchk`...), which are
  // predefined tcp-check sequences, as in HAProxy.
  enum class Custom : uint8_t { none, mysql_greeting, mysql_ok, ldap_bind };
  Custom custom = Custom::none;
  // What a reply's text becomes in the check's info: nothing, the whole first line, the first
  // line after its 3-digit code ("250 ok" -> "ok"), the C string at offset 6 (pgsql), or `text`.
  enum class Msg : uint8_t { none, line, after_code, cstring_at6, text };
  Msg on_error = Msg::none, on_success = Msg::none;
  std::string error_text, success_text;
  std::string ok_status, error_status, tout_status;   // "L6OK"..., empty: the defaults
  size_t min_recv = 0;              // an expect waits for this many bytes (unless the server closed)
  bool code_from_reply = false;     // the check code is the reply's first 3 digits
  bool unix_time_at_11 = false;     // send: the current time (4 bytes, big endian) at offset 11
  bool builtin = false;             // part of a protocol check: no generic "TCPCHK ..." info
};
struct CheckSetup {
  enum class Kind : uint8_t { tcp, http, tcp_check, external };
  Kind kind = Kind::tcp;
  // http: the request. The version string may carry legacy headers folded in with "\r\n".
  std::string method = "OPTIONS", uri = "/", version = "HTTP/1.0";
  std::vector<std::pair<std::string, std::string>> headers;   // http-check send hdr (names lower-cased)
  std::string body;
  std::vector<HttpCheckExpect> expects;
  bool disable_on_404 = false;
  bool send_state = false;
  std::vector<TcpCheckRule> tcp_rules;
  // The protocol check that built `tcp_rules` ("redis-check", "smtpchk"...), empty for a
  // sequence written with tcp-check rules.
  std::string protocol;
  std::string external_command, external_path;
  bool log_health_checks = false;
};

// A `tcp-request connection|content|session` rule. `condition` is the raw `if/unless ...` words
// (empty = unconditional), evaluated by the ACL module.
struct TcpRequestRule {
  Origin origin;
  enum class Layer : uint8_t { connection, session, content } layer = Layer::content;
  // expect_proxy: `expect-proxy layer4`, a PROXY protocol header is read before anything else.
  // sc_inc: `sc-inc-gpc0|1[(<sc>)]`, `sc-inc-gpc(<idx>,<sc>)`; sc_set: `sc-set-gpt0[(<sc>)]`,
  // `sc-set-gpt(<idx>,<sc>)` with an integer (gp_value) or an expression (key).
  enum class Action : uint8_t { accept, reject, track_sc, expect_proxy, sc_inc, sc_set } action = Action::accept;
  std::string action_name;          // as written: "accept", "reject"
  // track-sc<sc> <key> [table <table>]: the key's sample expression, the table's proxy name
  // (empty: this proxy's) and index (resolved after parsing).
  int sc = 0;
  std::string key;
  std::string table;
  int table_index = -1;
  stick::Data gp_data = stick::Data::gpc0;   // sc-*: gpc0, gpc1, gpc, gpt0 or gpt
  uint32_t gp_index = 0;                     // sc-*: the array element (gpc, gpt)
  int64_t gp_value = 0;                      // sc-set-*: the integer, when no expression
  std::vector<std::string> condition;
};

// `http-request return` (the only http-request action of the foundation; ACLs bring the rest).
struct HttpReturn {
  uint16_t status = 200;
  std::string content_type;
  std::string body;                 // `string S`, or the content of `file F`
  bool has_body = false;
  // Added with the http rules: how `body` is to be used.
  bool lf = false;                  // lf-string / lf-file: `body` is a log-format string
  bool errorfile = false;           // `errorfile F`: `body` is a whole HTTP response, sent as-is
  bool default_errorfiles = false;  // `default-errorfiles`: the proxy's errorfile for `status`
  // `errorfiles NAME`: an http-errors section. After parsing, the section's page for `status`
  // becomes `body` with `errorfile` set, or, when the section has none, the reply is empty.
  std::string errorfiles;
};

// `redirect location|prefix|scheme <to> [code N] [drop-query] [append-slash] [set-cookie NAME[=V]]
// [clear-cookie NAME]`, as the `redirect` keyword and the `http-request redirect` action write it.
struct Redirect {
  enum class Type : uint8_t { location, prefix, scheme } type = Type::location;
  std::string target;               // a log-format string (may hold %[...])
  uint16_t code = 302;              // 301 302 303 307 308
  bool drop_query = false;
  bool append_slash = false;
  std::string set_cookie;           // "NAME" or "NAME=value"
  std::string clear_cookie;         // "NAME"
  bool ignore_empty = false;        // `ignore-empty`: no redirect when the target evaluates empty
};

// An http-request or http-response rule. `condition` is the raw `if/unless ...` words, compiled
// by the ACL module. The fields used depend on the action (see each comment).
struct HttpRequestRule {
  Origin origin;
  enum class Action : uint8_t {
    return_, deny, allow, other,
    tarpit,                         // ret: deny_status and payload, like deny
    auth,                           // name: realm
    redirect,                       // redirect
    set_header, add_header,         // name, fmt
    del_header,                     // name (fmt: optional `-m str|beg|...` method, "" = str)
    replace_header, replace_value,  // name, regex, fmt (replacement with \1 references)
    set_path, set_pathq, set_query, set_uri, set_method,  // fmt
    set_status,                     // ret.status, reason
    set_var, unset_var,             // name ("txn.x"), fmt (a sample expression, not a format)
    wait_for_body,                  // wait_ms, at_least
    use_service,                    // name: the service ("prometheus-exporter")
    capture,                        // fmt (a sample expression), capture_id
    replace_path, replace_pathq, replace_uri,  // regex, fmt (replacement with \1 references)
    reject,                         // close the client connection, no answer
    silent_drop,                    // drop the connection without a FIN or RST to the client
    set_var_fmt,                    // name, fmt (a log-format), var_conditions
    set_log_level,                  // log_level
    track_sc,                       // sc, fmt (the key's sample expression), name (table, "" = own)
    sc_inc_gpc0, sc_inc_gpc1,       // sc
    sc_set_gpt0,                    // sc, fmt (a sample expression) or at_least (an integer)
    set_timeout,                    // name ("server"|"tunnel"), wait_ms, or fmt (a sample expression)
    disable_l7_retry,
    strict_mode,                    // at_least: 1 = off, 0 = on
    set_src, set_src_port, set_dst, set_dst_port,   // fmt (a sample expression)
    set_mark, set_tos,              // at_least (the value)
    sc_inc_gpc,                     // gp_index, sc: `sc-inc-gpc(<idx>,<sc>)`
    sc_set_gpt,                     // gp_index, sc, fmt or at_least: `sc-set-gpt(<idx>,<sc>) <v>`
  } action = Action::other;
  std::string action_name;          // as written, e.g. "return", "set-header"
  std::vector<std::string> words;   // the rest of the line
  HttpReturn ret;                    // for return / deny / tarpit (status, payload)
  std::vector<std::string> condition;
  std::string name;
  std::string fmt;
  std::string regex;
  std::string reason;
  Redirect redirect;
  Millis wait_ms = 0;
  uint64_t at_least = 0;
  // `return ... hdr NAME FMT` (several allowed)
  std::vector<std::pair<std::string, std::string>> return_headers;
  // `set-var(NAME,COND,...)`: the conditions as written (ifexists ifnotexists ifempty ifnotempty
  // ifset ifnotset ifgt iflt); empty = always set.
  std::vector<std::string> var_conditions;
  // `capture <sample> len N | id N`: the frontend's capture slot written (request slots for
  // http-request, response slots for http-response); `len` made a new slot in this proxy.
  // A negative id (HAProxy accepts one) is never stored.
  int capture_id = -1;
  // `set-log-level <level>`: the syslog level (0 emerg .. 7 debug) of the exchange's log line,
  // kSilentLog: no line.
  static constexpr int8_t kSilentLog = -1;
  int8_t log_level = 6;
  bool capture_by_id = false;       // `id N` (checked against the frontend's slots after parsing)
  long capture_id_written = 0;      // N as written, for HAProxy's message
  int sc = 0;                       // track-sc / sc-* actions: the stick counter (0..2)
  uint32_t gp_index = 0;            // sc-inc-gpc / sc-set-gpt: the array element
  int table_index = -1;             // track-sc: the table's proxy, resolved after parsing
};
using HttpRule = HttpRequestRule;

// An `http-errors NAME` section: `errorfile <status> <file>` lines, the files as read.
struct HttpErrorsSection {
  Origin origin;
  std::string name;
  std::map<int, std::string> pages;   // status -> the raw HTTP response
};

// One of a proxy's error page directives (`errorfile`, `errorloc*`, `errorfiles`, `http-error`),
// kept in order: HAProxy applies them one after the other once every section is read (a later
// one replaces an earlier one for the same status; a proxy's own come after its defaults').
struct ErrorDirective {
  Origin origin;
  enum class Kind : uint8_t {
    page,      // status, page: a whole response (errorfile, errorloc, http-error errorfile)
    builtin,   // status: back to the built-in page (`http-error status N default-errorfiles`)
    reply,     // reply: `http-error` with its own payload, content-type and headers
    section,   // section, statuses: `errorfiles NAME [codes]`, `http-error status N errorfiles NAME`
  } kind = Kind::page;
  int status = 0;
  std::string page;
  HttpRule reply;
  std::string section;
  std::vector<int> statuses;        // the codes named (empty: every code the section has)
};

struct UseBackend {
  Origin origin;
  std::string backend;              // name as written
  std::vector<std::string> condition;  // empty = unconditional
  int backend_index = -1;           // resolved index in Config::proxies (-1 when dynamic)
};

// `use-server <name> if|unless <cond>` (backend side): a matching rule sends the request to that
// server, bypassing the balancer, if the server is not stopped (or persistence is forced).
struct UseServer {
  Origin origin;
  std::string server;               // name as written; a log-format when it holds '%'
  std::vector<std::string> condition;  // "if"|"unless" and what follows (never empty)
  int server_index = -1;            // resolved index in Proxy::servers (-1 when dynamic)
  bool dynamic() const { return server.find('%') != std::string::npos; }
};

// An `acl NAME FETCH [flags] [operator] VALUE...` line, as written; compiled by portero_acl.
// Several lines with the same name OR together.
struct AclLine {
  Origin origin;
  std::string name;
  std::vector<std::string> words;   // everything after the name
};

struct Timeouts {
  std::optional<Millis> client, server, connect, http_request, http_keep_alive, queue, tunnel,
      client_fin, server_fin, check, tarpit;
};

// `option httplog json` (portero, not HAProxy): the fields of the httplog line as one JSON
// object per line. A log-format string: `%{+json}o` renders every later variable as a JSON value.
inline constexpr const char* kHttplogJsonFormat =
    "%{+json}o{\"client_ip\":%ci,\"client_port\":%cp,\"accept_date\":%tr,\"frontend\":%ft,"
    "\"backend\":%b,\"server\":%s,\"TR\":%TR,\"Tw\":%Tw,\"Tc\":%Tc,\"Tr\":%Tr,\"Ta\":%Ta,"
    "\"status\":%ST,\"bytes_read\":%B,\"captured_request_cookie\":%CC,"
    "\"captured_response_cookie\":%CS,\"termination_state\":%tsc,\"actconn\":%ac,"
    "\"feconn\":%fc,\"beconn\":%bc,\"srv_conn\":%sc,\"retries\":%rc,\"srv_queue\":%sq,"
    "\"backend_queue\":%bq,\"captured_request_headers\":%hr,"
    "\"captured_response_headers\":%hs,\"http_request\":%r}";

// frontend, backend, listen, and (kind == defaults) the defaults sections themselves.
struct Proxy {
  enum class Kind : uint8_t { defaults, frontend, backend, listen };
  Origin origin;
  Kind kind = Kind::listen;
  std::string name;
  uint32_t id = 0;                  // HAProxy's iid (1-based in declaration order, or `id N`)
  Mode mode = Mode::tcp;
  bool disabled = false;
  std::string description;
  // `load-server-state-from-file global|local|none` and the local file's name
  // (`server-state-file-name`; empty or `use-backend-name`: the backend's name). Not written
  // (`unset`): no file is read, but a master-worker reload carries the states over.
  enum class LoadServerState : uint8_t { unset, none, global, local };
  LoadServerState load_server_state = LoadServerState::unset;
  std::string server_state_file_name;

  // Frontend side (frontend, listen)
  std::vector<Bind> binds;
  std::optional<uint32_t> maxconn;  // frontend maxconn
  std::string default_backend;
  int default_backend_index = -1;   // resolved; for listen sections: its own index
  std::vector<UseBackend> use_backends;
  std::vector<HttpRequestRule> http_request_rules;
  std::vector<HttpRule> http_response_rules;
  std::vector<HttpRule> http_after_response_rules;   // on every response, local answers included
  // The `redirect` keyword: rules with action redirect, run after the http-request rules.
  std::vector<HttpRule> redirect_rules;
  std::string monitor_uri;                          // `monitor-uri /path`
  std::vector<std::vector<std::string>> monitor_fail;  // `monitor fail if|unless ...`
  // tcp-request rules of every layer in declaration order (frontend side for connection/session,
  // both sides for content).
  std::vector<TcpRequestRule> tcp_request_rules;
  std::optional<Millis> tcp_inspect_delay;  // `tcp-request inspect-delay`
  bool httplog = false, httplog_clf = false, tcplog = false, dontlognull = false;
  Origin httplog_origin;            // where `option httplog` was set (tcp-mode fallback warning)
  std::vector<LogTarget> logs;      // after `log global` resolution: the effective targets
  bool no_log = false;
  // Logging keywords (keywords_logging.cpp). `log-format` and `option httplog/tcplog` replace
  // one another, the last one wins: a non-empty log_format is the format to use.
  std::string log_format;
  Origin log_format_origin;
  std::string log_format_sd;        // `log-format-sd`: rfc5424 structured data
  Origin log_format_sd_origin;
  std::string log_tag;              // `log-tag` of this proxy; empty: the global one
  bool log_separate_errors = false, logasap = false, dontlog_normal = false;
  struct Capture {
    std::string name;               // header or cookie name as written; empty: a slot declared
                                    // by `declare capture` or `http-request capture ... len`
    uint32_t len = 0;               // longest value kept
  };
  // The capture slots in declaration order (HAProxy numbers them so): `capture ... header`,
  // `declare capture ...` and `http-request capture ... len` share one list per direction.
  std::vector<Capture> capture_request_headers, capture_response_headers;
  std::optional<Capture> capture_cookie;                                   // `capture cookie`
  std::string unique_id_format;     // `unique-id-format` (a log-format string)
  Origin unique_id_format_origin;
  std::string unique_id_header;     // `unique-id-header NAME`

  // Named ACLs of this section in declaration order (not inherited from defaults).
  std::vector<AclLine> acls;

  // `stick-table ...` (frontend, backend, listen): the table named after this proxy.
  std::optional<stick::TableSpec> stick_table;
  Origin stick_table_origin;

  // `stick on|match|store-request <pattern> [table <t>] [if|unless <cond>]` (backend side):
  // persistence through a stick table (server_id / server_key).
  struct StickRule {
    Origin origin;
    enum class Kind : uint8_t { match, on, store_request, store_response } kind = Kind::on;
    std::string pattern;            // a sample expression
    std::string table;              // the table's proxy name as written (empty: this proxy's)
    int table_index = -1;           // resolved after parsing
    std::vector<std::string> condition;
    bool matches() const { return kind == Kind::match || kind == Kind::on; }
    bool stores() const { return kind == Kind::on || kind == Kind::store_request; }   // request side
    bool stores_response() const { return kind == Kind::store_response; }
  };
  std::vector<StickRule> stick_rules;

  // Backend side (backend, listen)
  // Slots: see server_list.h (the admin socket adds and deletes servers at run time).
  SlotList<Server> servers;
  Server default_server;            // `default-server` line, applied to later `server` lines
  Balance balance;
  HashType hash_type;
  uint32_t retries = 3;
  // `retry-on`: what a retry may follow. Connection failures by default; the others are layer-7
  // retries (the request is replayed, so only a request already read whole is retried).
  enum RetryOn : uint16_t {
    retry_conn_failure = 1, retry_empty_response = 2, retry_junk_response = 4, retry_response_timeout = 8,
    retry_0rtt_rejected = 16,
  };
  uint16_t retry_on = retry_conn_failure;
  std::vector<uint16_t> retry_on_status;   // `retry-on 503 504 ...`
  bool l7_retries() const { return (retry_on & ~retry_conn_failure) || !retry_on_status.empty(); }
  bool redispatch = false;
  // `option redispatch [N]`: N > 0 every Nth retry, N < 0 the Nth retry before the last
  // (-1 = the last retry, the default when no N is given). 0 disables redispatch.
  int redispatch_interval = -1;
  bool allbackups = false;
  bool persist = false;             // `option persist`
  bool persist_rdp_cookie = false;  // `persist rdp-cookie[(NAME)]`
  std::string persist_rdp_cookie_name = "msts";
  uint32_t hash_balance_factor = 0; // 0 = off, else > 100 (percent)
  std::string cookie;               // the cookie name as written (also in persistence.name)
  std::vector<std::string> cookie_words;
  CookiePersistence persistence;
  std::vector<UseServer> use_servers;   // `use-server` rules in declaration order
  std::string send_name_header;      // `http-send-name-header NAME`; empty: none
  // `force-persist` / `ignore-persist` conditions (words from "if"/"unless" on).
  std::vector<std::vector<std::string>> force_persist, ignore_persist;
  Origin force_persist_origin, ignore_persist_origin;
  std::string dynamic_cookie_key;   // `dynamic-cookie-key`
  bool httpchk = false;
  std::vector<std::string> httpchk_words;
  CheckSetup checks;                // health check kind, request, expectations (check/ module)
  uint32_t fullconn = 0;            // `fullconn N` as written; 0 = not set
  // The fullconn the dynamic server limits use: `fullconn` when set, else HAProxy's default,
  // 10% of the sum of the maxconn of the frontends that can reach this backend (resolve()).
  uint32_t fullconn_effective = 0;

  // Both sides
  Timeouts timeouts;
  HttpConnMode conn_mode = HttpConnMode::keep_alive;
  // `option tcpka` (both), `clitcpka`, `srvtcpka`: SO_KEEPALIVE on client / server sockets
  // (the kernel's idle/interval/count settings apply).
  bool client_tcpka = false, server_tcpka = false;
  // `option http-buffer-request`: the request body is waited for (whole, or up to a full
  // buffer, under `timeout http-request`) before this proxy's http-request rules run.
  bool http_buffer_request = false;
  // `option abortonclose`: accepted; HAProxy 2.6 over HTTP/1 behaves the same with or without it
  // (a client that closes while its complete request waits is not noticed; one whose request is
  // not whole yet aborts it), so it changes nothing here.
  bool abortonclose = false;
  HttpReuse http_reuse = HttpReuse::safe;
  ForwardFor forwardfor;
  ForwardFor originalto = ForwardFor::named("X-Original-To");   // `option originalto`: the client's destination
  // The error page directives as written (resolved after parsing into the two below).
  std::vector<ErrorDirective> error_directives;
  std::map<int, std::string> errorfiles;  // status -> the raw HTTP response to send as-is
  // `http-error` replies with their own payload (action return_), at most one per status, and
  // never for a status `errorfiles` has.
  std::vector<HttpRule> error_replies;

  // Stats (parsed now; served by the stats work later)
  bool stats_enabled = false;
  std::string stats_uri;
  std::string stats_realm;
  std::vector<std::string> stats_auth;     // "user:pass"
  std::optional<Millis> stats_refresh;
  bool stats_admin = false;
  std::vector<std::string> stats_admin_condition;
  bool stats_hide_version = false;
  std::vector<std::string> stats_scope;    // `stats scope NAME|.` (empty: every proxy)
  bool stats_show_legends = false;
  std::optional<std::string> stats_show_node;   // `stats show-node [NAME]` (empty: the global node)
  std::optional<std::string> stats_show_desc;   // `stats show-desc [TEXT]` (empty: the global description)

  bool is_frontend() const { return kind == Kind::frontend || kind == Kind::listen; }
  bool is_backend() const { return kind == Kind::backend || kind == Kind::listen; }

  // HAProxy's timeout fallbacks (COMPAT.md §8).
  std::optional<Millis> http_request_timeout() const {
    return timeouts.http_request ? timeouts.http_request : timeouts.client;
  }
  std::optional<Millis> keep_alive_timeout() const {
    if (timeouts.http_keep_alive) return timeouts.http_keep_alive;
    return http_request_timeout();
  }
  std::optional<Millis> queue_timeout() const {
    return timeouts.queue ? timeouts.queue : timeouts.connect;
  }
};

// `cookie ... dynamic` with `dynamic-cookie-key`: fills the cookie of servers without one
// (keywords_cookie.cpp; XXH64 seed 0 as HAProxy).
uint64_t xxh64(std::string_view data);
void refresh_dynamic_cookies(Proxy& p);

// A `userlist` section: users with a crypt(3) hash or a clear password, and groups.
// Group membership is resolved both ways at load time (User::groups lists every group of the
// user, whether written on the `user` or on the `group` line).
struct Userlist {
  Origin origin;
  std::string name;
  struct User {
    Origin origin;
    std::string name, password;
    bool insecure = false;          // `insecure-password`: `password` is the clear text
    std::vector<std::string> groups;
  };
  std::vector<User> users;
  // group name -> users written on its `group ... users a,b` line
  std::vector<std::pair<std::string, std::vector<std::string>>> groups;

  const User* find_user(std::string_view n) const {
    for (const auto& u : users)
      if (u.name == n) return &u;
    return nullptr;
  }
};

// A `peers` section: the nodes that share the stick tables naming it. One of them is this
// process (the local peer: its name is Global::localpeer); it listens on its address, and it
// connects to every other one.
struct PeersSection {
  Origin origin;
  std::string name;
  bool disabled = false;
  struct Peer {
    Origin origin;
    std::string name;
    std::optional<Address> address;   // none: a local peer declared without one (no listener)
    bool local = false;
  };
  std::vector<Peer> peers;
  std::optional<Address> bind;        // `bind` (with `server` lines) instead of the local `peer`'s address
  Origin bind_origin;
  bool has_local() const {
    for (const auto& p : peers)
      if (p.local) return true;
    return false;
  }
  // Where the local peer listens (null: nowhere).
  const Address* listen_address() const {
    if (bind) return &*bind;
    for (const auto& p : peers)
      if (p.local && p.address) return &*p.address;
    return nullptr;
  }
};

// A `resolvers` section: the name servers a `server ... resolvers <id>` asks, and how long
// each kind of answer is trusted (dns/ module; HAProxy 2.6's defaults).
struct ResolversSection {
  Origin origin;
  std::string name;
  struct Nameserver {
    Origin origin;
    std::string name;
    Address address;                 // ip:port
    bool tcp = false;                // `tcp@`: DNS over TCP (default: UDP)
  };
  std::vector<Nameserver> nameservers;
  std::vector<std::string> unusable_nameservers;   // not ip:port (unix@...): refused after parsing
  bool implicit = false;             // HAProxy's `default` section (from /etc/resolv.conf)
  uint32_t accepted_payload_size = 512;
  uint32_t resolve_retries = 3;
  Millis timeout_resolve = 1000, timeout_retry = 1000;
  Millis hold_valid = 10000, hold_obsolete = 0, hold_nx = 30000, hold_other = 30000, hold_refused = 30000,
         hold_timeout = 30000;
};

struct Config {
  Global global;
  std::vector<ResolversSection> resolvers;
  const ResolversSection* find_resolvers(std::string_view n) const {
    for (const auto& r : resolvers)
      if (r.name == n) return &r;
    return nullptr;
  }
  std::vector<Userlist> userlists;
  std::vector<HttpErrorsSection> http_errors;
  // `peers` sections kept after the checks (complete ones; `disabled` ones are dropped).
  std::vector<PeersSection> peers;
  const PeersSection* find_peers(std::string_view n) const {
    for (const auto& p : peers)
      if (p.name == n) return &p;
    return nullptr;
  }
  // frontends, backends and listen sections in declaration order (defaults excluded).
  std::vector<Proxy> proxies;
  std::vector<std::string> files;   // the files that were read, in order
  // `table <name> ...` lines of peers sections (named `<peers>/<name>`, as HAProxy names them),
  // in declaration order; kept when their section is dropped (then shared with nobody).
  std::vector<stick::TableSpec> peer_tables;
  uint32_t tables_declared = 0;     // stick tables declared so far (TableSpec::declared)

  // Stick tables by index: a proxy's table has its proxy's index, the peers sections' tables
  // follow (proxies.size() + n). -1 / null: none of that name.
  int find_table(std::string_view name) const {
    for (size_t k = 0; k < proxies.size(); ++k)
      if (proxies[k].stick_table && proxies[k].kind != Proxy::Kind::defaults && proxies[k].name == name) return int(k);
    for (size_t k = 0; k < peer_tables.size(); ++k)
      if (peer_tables[k].name == name) return int(proxies.size() + k);
    return -1;
  }
  size_t table_slots() const { return proxies.size() + peer_tables.size(); }
  const stick::TableSpec* table_spec(int index) const {
    if (index < 0) return nullptr;
    if (size_t(index) < proxies.size())
      return proxies[size_t(index)].stick_table ? &*proxies[size_t(index)].stick_table : nullptr;
    return size_t(index) < table_slots() ? &peer_tables[size_t(index) - proxies.size()] : nullptr;
  }
  stick::TableSpec* table_spec(int index) {
    return const_cast<stick::TableSpec*>(static_cast<const Config*>(this)->table_spec(index));
  }

  const Userlist* find_userlist(std::string_view n) const {
    for (const auto& u : userlists)
      if (u.name == n) return &u;
    return nullptr;
  }

  const Proxy* find_proxy(const std::string& name, bool backend) const {
    for (const auto& p : proxies)
      if (p.name == name && (backend ? p.is_backend() : p.is_frontend())) return &p;
    return nullptr;
  }
};

using ConfigPtr = std::shared_ptr<const Config>;

}  // namespace portero::config
