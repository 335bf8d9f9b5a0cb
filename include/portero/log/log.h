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
  std::string_view ssl_version, ssl_cipher;  // %sslv %sslc
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
