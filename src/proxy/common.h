#pragma once
// Small types shared by the client connection (Session), the exchange and the server
// connection. Worker-local.
#include <cstdint>
#include <cstring>
#include <ctime>
#include <netinet/in.h>
#include <string>

namespace portero::proxy {

// An IPv4 or IPv6 socket address (a unix socket leaves it zeroed).
union SockAddr {
  sockaddr sa;
  sockaddr_in v4;
  sockaddr_in6 v6;
};

// The bytes one side has received and not yet finished with: [fwd, end) of `data`.
// `parsed` is how far the HTTP parser has looked (fwd <= parsed <= end).
struct ReadBuffer {
  char* data = nullptr;
  uint32_t fwd = 0;
  uint32_t parsed = 0;
  uint32_t end = 0;

  // Moves the unfinished bytes to the front (between messages only: spans into the buffer
  // move with them).
  void compact() {
    if (!data) return;
    if (fwd == end) {
      fwd = parsed = end = 0;
      return;
    }
    if (fwd == 0) return;
    std::memmove(data, data + fwd, end - fwd);
    parsed -= fwd;
    end -= fwd;
    fwd = 0;
  }
};

// The wall clock in milliseconds (log dates, `show errors`).
inline uint64_t realtime_ms() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

// TLVs of a received PROXY v2 header that fetches and send-proxy-v2 use (allocated only for
// the connections that carry them, owned by the connection's session).
struct PpTlvs {
  std::string authority;
  std::string unique_id;
};

// What is known of a client connection from its accept on, for the exchanges it carries
// (fetches, forwarded headers, logs). The streams of an HTTP/2 connection will share one.
struct ConnFacts {
  SockAddr peer{};
  SockAddr local{};              // the address the client connected to (dst, servers without a port)
  uint64_t t_accept = 0;         // loop time of the accept (ms)
  uint64_t accept_real_ms = 0;   // wall clock of the accept (when the frontend logs)
  uint64_t t_handshake = 0;      // when the client's TLS handshake ended (%Th), 0: none
  uint16_t bind = 0;             // the bind line (index in the frontend) it came through
  const PpTlvs* pp = nullptr;    // from a PROXY v2 header, when it had any
  uint16_t local_port() const { return ntohs(local.sa.sa_family == AF_INET6 ? local.v6.sin6_port : local.v4.sin_port); }
};

// How an exchange ended, in HAProxy's termination letters (first two chars of %tsc).
struct Termination {
  char cause = '-';   // C client abort, S server, P proxy, R resource, c/s timeouts...
  char state = '-';   // R request, Q queue, C connect, H headers, D data, L last, T tarpit
};

// Where a client connection and its exchange stand.
enum class Phase : uint8_t {
  proxy_header,  // `accept-proxy`: waiting for the PROXY protocol header, before anything else
  idle,          // between requests (keep-alive) or before the first one
  inspect,       // mode tcp: waiting for content the tcp-request rules need
  head,          // receiving a request head
  queued,        // waiting for a server slot (maxconn), under `timeout queue`
  retry_wait,    // between two connection attempts (HAProxy's 1 s turn-around)
  body_wait,     // http-request wait-for-body: buffering the body before the next rules
  tarpit,        // http-request tarpit: holding the client before answering
  stats,         // the stats page is being rendered on the main thread
  connecting,    // waiting for a server connection
  request,       // request head sent, body still flowing to the server
  response,      // request fully sent, waiting for / relaying the response
  tunnel,        // after a protocol switch: bytes relayed both ways
  closing,       // last bytes written, lingering until the client closes
};

// What a pending write to the client carries, to know how to continue once it is done.
enum class ClientWrite : uint8_t { none, response, interim, local, tunnel };
// What a pending write to the server carries.
enum class ServerWrite : uint8_t { none, head, body, tunnel };

}  // namespace portero::proxy
