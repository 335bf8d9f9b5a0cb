#pragma once
// Logging as HAProxy does it: syslog messages (every `format`) to UDP, unix datagram sockets
// (/dev/log), stdout or stderr; and the traffic log lines (httplog, httplog clf, tcplog,
// log-format). One Sender per thread (it owns its sockets); formatting allocates nothing.
#include <sys/socket.h>

#include <cstdint>
#include <ctime>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "portero/config/config.h"

struct ssl_st;   // OpenSSL's SSL (openssl/ssl.h), seen only through pointers here

namespace portero::log {

// Sends messages to log targets. Owned by one thread.
class Sender {
 public:
  explicit Sender(const config::Global& global);
  ~Sender();
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;
  // Sends `message` (the text only: no header, no newline) at syslog `level` to each target of
  // `targets` whose level accepts it, with the header its `format` asks for, truncated to its
  // `len`. `now` is the time of the event. `structured_data` (a rendered `log-format-sd`)
  // replaces the '-' SD field of rfc5424 headers; other formats ignore it.
  void send(std::span<const config::LogTarget> targets, int level, std::string_view message,
            const timespec& now, std::string_view structured_data = {});
  // Builds into `out` (capacity `cap`) the exact datagram `send` would write for `target`
  // (header, message truncated to the target's `len`, trailing newline) and returns its length,
  // or 0 when the target's level range filters the message out. No I/O.
  size_t build(const config::LogTarget& target, int level, std::string_view message,
               const timespec& now, char* out, size_t cap, std::string_view structured_data = {});
  // The pid shown in headers (getpid() at construction; call again after a fork).
  void set_pid(uint32_t pid);
  // Messages dropped because a socket or fd would have blocked (or failed).
  uint64_t dropped() const { return dropped_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint64_t dropped_ = 0;
};

// Everything a traffic log line may show (HAProxy's log-format variables).
struct Record {
  const sockaddr* client = nullptr;       // %ci:%cp
  const sockaddr* frontend_addr = nullptr;  // %fi:%fp
  timespec accept_date{};                 // %t / %T...
  timespec request_date{};                // %tr (first byte of the request)
  std::string_view frontend;              // %f / %ft (with '~' when `ssl`)
  bool ssl = false;
  std::string_view backend;               // %b
  std::string_view server;                // %s: name, "<NOSRV>", "<STATS>"
  int64_t t_request = -1;                 // %TR  ms, -1 when not reached
  int64_t t_queue = -1;                   // %Tw
  int64_t t_connect = -1;                 // %Tc
  int64_t t_response = -1;                // %Tr
  int64_t t_active = -1;                  // %Ta
  int64_t t_total = -1;                   // %Tt
  int64_t t_idle = -1;                    // %Ti
  int64_t t_handshake = 0;                // %Th
  int status = -1;                        // %ST
  uint64_t bytes_out = 0;                 // %B  bytes sent to the client
  uint64_t bytes_in = 0;                  // %U
  std::string_view captured_request_cookie;   // %CC
  std::string_view captured_response_cookie;  // %CS
  char termination[4] = {'-', '-', '-', '-'};  // %tsc (%ts = first two)
  uint32_t actconn = 0, feconn = 0, beconn = 0, srv_conn = 0;  // %ac %fc %bc %sc
  uint32_t retries = 0;                   // %rc
  bool redispatched = false;              // '+' before %rc
  uint32_t srv_queue = 0, backend_queue = 0;  // %sq %bq
  std::string_view request_line;          // %r  "GET /x HTTP/1.1"
  std::span<const std::string_view> captured_request_headers;   // %hr
  std::span<const std::string_view> captured_response_headers;  // %hs
  std::string_view http_method, http_uri, http_path, http_version;  // %HM %HU %HP %HV
  uint32_t pid = 0;                       // %pid (0: this process)
  std::string_view unique_id;             // %ID
  // Additions (log-format variables beyond the built-in formats):
  const sockaddr* server_addr = nullptr;  // %si:%sp (the server's address)
  const sockaddr* backend_src = nullptr;  // %bi:%bp (our source address towards the server)
  std::string_view hostname;              // %H
  std::string_view ssl_version, ssl_cipher;  // %sslv %sslc when client_tls is null
  // The client connection's TLS (null: plaintext): %sslv and %sslc read it ('-' without),
  // and %ft shows '~' when it is set.
  const ssl_st* client_tls = nullptr;
  uint64_t log_counter = 0;               // %lc  lines logged by this frontend before
  uint64_t request_counter = 0;           // %rt  requests (or TCP sessions) of the frontend
  bool logasap = false;                   // `option logasap`: '+' before %Ta %Tt %B
  // Captured headers: a view with data() == nullptr is a header that was not present (shown
  // '-' by %hrl/%hsl, nothing inside %hr's braces); an empty span means no capture configured.
  // %HM %HU %HP %HPO %HQ %HV are taken from `request_line` when the fields above are empty.
  // %[...]: the value of sample expression `id` (as numbered by the format's SampleCompiler)
  // in `out`; false when the sample is absent. Null: every %[...] is absent.
  bool (*sample)(const void* self, int id, std::string_view& out) = nullptr;
  const void* sample_self = nullptr;
};

// `option httpslog`: HAProxy 2.6's HTTPS log format (httplog plus the TLS fields).
inline constexpr const char* kHttpslogFormat =
    "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r "
    "%[fc_err]/%[ssl_fc_err,hex]/%[ssl_c_err]/%[ssl_c_ca_err]/%[ssl_fc_is_resumed] %[ssl_fc_sni]/%sslv/%sslc";

// Why a connection ended before any stream (request or TCP session) existed, with HAProxy's
// texts: the TLS handshake on an `ssl` bind did not complete.
enum class ConnError : uint8_t {
  ssl_empty,       // "Connection closed during SSL handshake": EOF before a whole ClientHello
  ssl_abort,       // "Connection error during SSL handshake"
  ssl_timeout,     // "Timeout during SSL handshake": `timeout client` (or handshake) expired
  ssl_crt_fail,    // "SSL client certificate not trusted": verification refused the leaf
  ssl_ca_fail,     // "SSL client CA chain cannot be verified": refused at a CA depth
  ssl_handshake,   // "SSL handshake failure": anything else (not TLS, no certificate, reset...)
  // The PROXY protocol header (`accept-proxy`, `expect-proxy layer4`) was not read.
  prx_timeout,     // `timeout client` expired first
  prx_truncated,   // not whole in the first bytes received
  prx_not_hdr,     // neither v1 nor v2
  prx_bad_hdr,     // invalid
  prx_bad_proto,   // v1 with an unknown protocol
};
const char* conn_error_text(ConnError e);

// How the handshake ended, as the data plane saw it.
enum class HandshakeEnd : uint8_t {
  eof,         // the client closed its side (read returned 0)
  reset,       // a read/write error (ECONNRESET...)
  timeout,     // the handshake's timer expired
  tls_error,   // SSL_do_handshake failed with SSL_ERROR_SSL
};
// The ConnError HAProxy 2.6 reports for a failed server-side handshake on `ssl` (the
// accepting SSL object). For tls_error, call it on the thread that ran SSL_do_handshake, before
// clearing OpenSSL's error queue: a "certificate verify failed" reason with the verify record
// (tls::verify_record) tells a refused leaf from a refused CA.
ConnError classify_handshake_failure(const ssl_st* ssl, HandshakeEnd how);

// Whether HAProxy logs that failure for frontend `fe`: only a frontend with a traffic log
// format (option httplog / httpslog / tcplog / clf or log-format) and log targets; with
// `option dontlognull`, not for ssl_empty, ssl_abort nor ssl_timeout.
bool conn_error_logged(const config::Proxy& fe, ConnError e);
// Its syslog level: info, or err with `option log-separate-errors`.
int conn_error_level(const config::Proxy& fe);

// The line itself (no syslog header), sent with Sender::send to the frontend's targets:
//   "127.0.0.1:45152 [07/Dec/2026:01:29:08.951] fe/1: Timeout during SSL handshake"
// `bind_name`: the bind's `name` when it has one, else its number `bind_id` (1 for the first
// bind line of the frontend, or the bind's `id`). A unix client shows "unix:<bind_id>".
struct ConnErrorLine {
  const sockaddr* client = nullptr;
  timespec accept_date{};
  std::string_view frontend;
  std::string_view bind_name;
  int bind_id = 1;
  ConnError error = ConnError::ssl_handshake;
  std::string_view reason;   // when set, the reason written instead of `error`'s text
};
size_t render_conn_error(const ConnErrorLine& l, char* out, size_t cap);
std::string conn_error_line(const ConnErrorLine& l);

// Compiles the `expr` of a `%[expr]` (converters included) for a Format: returns a number >= 0
// the Record's `sample` callback will be asked for, or -1 with `error` set to the whole message
// (HAProxy's wording). `rest` is the format text from the expression to the end, which
// HAProxy's messages quote.
using SampleCompiler = std::function<int(std::string_view expr, std::string_view rest, std::string& error)>;

// How %[...] values are written. `log`: HAProxy's log-format (absent or empty '-', `""` when
// quoted, +E escapes). `http`: unique-id-format (absent or empty write nothing, quotes
// ignored, control characters as %XX).
enum class SampleStyle : uint8_t { log, http };

// A compiled log-format string. The built-in formats (httplog, clf, tcplog) are log-format
// strings too (COMPAT.md §7).
class Format {
 public:
  // `samples` compiles `%[...]` expressions; without one they are refused.
  static std::unique_ptr<Format> compile(std::string_view text, std::string& error,
                                         const SampleCompiler& samples = nullptr,
                                         SampleStyle style = SampleStyle::log);
  static const Format& httplog();
  static const Format& httplog_clf();
  static const Format& tcplog();
  virtual ~Format() = default;
  // Writes the line into `out` (capacity `cap`) and returns its length (truncated to `cap`).
  virtual size_t render(const Record& r, char* out, size_t cap) const = 0;
  // The string it was compiled from.
  virtual std::string_view text() const = 0;
  // It holds %[...] expressions.
  virtual bool has_samples() const = 0;
};

}  // namespace portero::log
