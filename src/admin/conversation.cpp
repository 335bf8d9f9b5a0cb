#include "conversation.h"

#include "line.h"

namespace portero::admin {

const char* level_name(Level l) {
  switch (l) {
    case Level::user: return "user";
    case Level::operator_: return "operator";
    case Level::admin: return "admin";
  }
  return "operator";
}

Level parse_level(std::string_view s) {
  if (s == "user") return Level::user;
  if (s == "admin") return Level::admin;
  return Level::operator_;
}

Conversation::Conversation(Session s, size_t max_line, Run run)
    : session_(s), max_line_(max_line), run_(std::move(run)) {}

std::string Conversation::feed(std::string_view in) {
  std::string out;
  if (finished_) return out;
  buf_.append(in);
  while (!finished_) {
    const size_t end = find_line_end(buf_);
    if (end == std::string_view::npos) {
      // HAProxy cannot hold a request line larger than its buffer: it drops the connection.
      if (buf_.size() > max_line_) finished_ = true;
      break;
    }
    std::string line = buf_.substr(0, end);
    buf_.erase(0, end + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    for (std::string_view cmd : split_commands(line)) {
      std::string reply = run_(session_, tokenize(cmd));
      if (session_.quit) {
        finished_ = true;
        return out;
      }
      out += reply;
      // The mode after the command frames its reply: entering `prompt` already shows "> ".
      out += session_.interactive ? "\n> " : "\n";
    }
    // A one-shot client gets the lines it already sent answered, then the connection ends.
    if (!session_.interactive && buf_.empty()) finished_ = true;
  }
  return out;
}

}  // namespace portero::admin
