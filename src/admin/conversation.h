#pragma once
// One CLI connection's protocol state, without any socket: bytes in, bytes out. It frames
// replies as HAProxy 2.6 does (COMPAT.md §5.1):
//  * non-interactive: each command's reply is followed by "\n"; after a request line, the
//    connection ends unless more bytes are already buffered (then the next line is read);
//  * interactive (`prompt`): each reply is followed by "\n> " and the connection stays;
//  * `quit` ends at once; a line longer than the buffer ends the connection.
// Pure logic, so the framing is unit-tested without sockets.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace portero::admin {

enum class Level : uint8_t { user, operator_, admin };
const char* level_name(Level l);
// "user" / "operator" / "admin" (the `level` of a `stats socket` line); operator otherwise.
Level parse_level(std::string_view s);

// What commands may read or change about their connection.
struct Session {
  Level level = Level::operator_;
  bool interactive = false;   // `prompt` toggles it
  bool quit = false;          // `quit` sets it
  uint64_t timeout_ms = 10000;   // idle timeout (`stats timeout`, `set timeout cli`)
  bool expose_fd_listeners = false;   // `expose-fd listeners`: `_getsocks` hands them over
  // The payload of the command being run: the lines after a command ending in `<<`, up to an
  // empty line, joined with '\n' (no trailing one). Null: the command had none.
  const std::string* payload = nullptr;
};

class Conversation {
 public:
  // Runs one command given its words (none for an empty command) and returns the reply as
  // HAProxy prints it, normally ending in '\n'; the framing is added here.
  using Run = std::function<std::string(Session&, const std::vector<std::string>&)>;

  Conversation(Session s, size_t max_line, Run run);

  // Bytes received from the client; returns the bytes to send back.
  std::string feed(std::string_view in);
  // The client will send nothing more (half-close): a partial line is dropped, unanswered.
  void peer_closed() { finished_ = true; }
  // True once the connection should be closed after the pending output is written.
  bool finished() const { return finished_; }

  Session& session() { return session_; }

 private:
  Session session_;
  size_t max_line_;
  Run run_;
  std::string buf_;
  bool finished_ = false;
  bool in_payload_ = false;                 // gathering the payload of `pending_`
  std::vector<std::string> pending_;        // the command waiting for its payload
  std::string payload_;
  bool pending_takes_payload_ = false;      // its last word was `<<` (else "x<<": none)
  std::string run_framed(const std::vector<std::string>& args, const std::string* payload);
};

}  // namespace portero::admin
