#pragma once
// portero's HTTP data plane in-process, for fuzzing what it does to requests and responses
// with the very code the proxy runs (proxy::Worker, Session, http::Parser, the rules, the
// head serialisation): a Runtime built from a fixed config as main() builds it, one Worker
// thread listening on a unix socket in fuzz_env's directory, its backend's server a unix
// socket this harness answers itself. One exchange per fuzz input, on blocking sockets with
// poll(): the client connects, sends its bytes and half-closes (unless told not to); the server side parses what
// the proxy forwards (portero's own parser: a forwarded head that does not parse is a bug)
// and answers each complete request; the exchange ends when the proxy closes the client.
#include <cstdint>
#include <string>
#include <string_view>

namespace fuzzproxy {

struct Exchange {
  std::string client_bytes;       // what the client sends (then it half-closes)
  std::string server_response;    // what the server answers to each request it receives
  bool server_closes = false;     // the server half-closes after its (first) answer
  // The client does not half-close after sending: the exchange ends when the proxy closes.
  // For HTTP/2, whose client's FIN ends the connection and every stream on it at once.
  bool client_keeps_open = false;
  // With client_keeps_open: the client half-closes once nothing has moved on any socket for
  // this long (0: never), so that a proxy holding an idle connection costs this, not the 15 s
  // of a hang. Outcome::quiet_fin tells it happened: the proxy had not closed by itself.
  int client_fin_after_quiet_ms = 0;
};

struct Outcome {
  std::string forwarded;          // every byte the server received, all connections
  std::string answer;             // every byte the client received
  int requests = 0;               // complete requests the server saw
  bool quiet_fin = false;         // the client half-closed after client_fin_after_quiet_ms
};

// Starts the proxy (once) with `config`, in which @DIR@ stands for the socket directory.
void start(const std::string& config);
Outcome run(const Exchange& x);

// Aborts (a finding) when `bytes` do not parse as a sequence of HTTP/1 messages of that kind
// up to a possibly cut last one. `no_body`: responses to HEAD.
void check_parses(std::string_view bytes, bool request, bool no_body, const char* what);

// The fixed config of both HTTP targets: request rules in the frontend, response rules in
// the backend, logging and captures, one server.
extern const char kHttpConfig[];

}  // namespace fuzzproxy
