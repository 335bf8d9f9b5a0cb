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

// Runs one command and frames its reply; empty when the command was `quit`.
std::string Conversation::run_framed(const std::vector<std::string>& args, const std::string* payload) {
  session_.payload = payload;
  std::string reply = run_(session_, args);
  session_.payload = nullptr;
  if (session_.quit) {
    finished_ = true;
    return {};
  }
  // The mode after the command frames its reply: entering `prompt` already shows "> ".
  return reply + (session_.interactive ? "\n> " : "\n");
}

std::string Conversation::feed(std::string_view in) {
  std::string out;
  if (finished_) return out;
  buf_.append(in);
  while (!finished_) {
    if (in_payload_) {
      // Payload lines are taken as they are, up to an empty line.
      const size_t nl = buf_.find('\n');
      if (nl == std::string::npos) {
        if (buf_.size() + payload_.size() > max_line_) finished_ = true;
        break;
      }
      std::string line = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!line.empty()) {
        payload_ += line;
        payload_ += '\n';
        if (payload_.size() > max_line_) {   // haproxy holds command and payload in one buffer
          finished_ = true;
          break;
        }
        if (session_.interactive) out += "+ ";
        continue;
      }
      if (!payload_.empty()) payload_.pop_back();
      in_payload_ = false;
      const std::string payload = std::move(payload_);
      payload_.clear();
      const std::vector<std::string> args = std::move(pending_);
      pending_.clear();
      out += run_framed(args, pending_takes_payload_ ? &payload : nullptr);
      if (!finished_ && !session_.interactive && buf_.empty()) finished_ = true;
      continue;
    }
    const size_t end = find_line_end(buf_);
    if (end == std::string_view::npos) {
      // HAProxy cannot hold a request line larger than its buffer: it drops the connection.
      if (buf_.size() > max_line_) finished_ = true;
      break;
    }
    std::string line = buf_.substr(0, end);
    buf_.erase(0, end + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto cmds = split_commands(line);
    for (size_t i = 0; i < cmds.size() && !finished_; ++i) {
      const std::string_view cmd = cmds[i];
      if (cmd.ends_with("<<")) {
        // The payload starts with the next line; what followed a ';' on this line is its
        // first line, as haproxy reads it.
        std::vector<std::string> words = tokenize(cmd);
        pending_takes_payload_ = !words.empty() && words.back() == "<<" &&
                                 (cmd.size() == 2 || cmd[cmd.size() - 3] == ' ' || cmd[cmd.size() - 3] == '\t');
        if (pending_takes_payload_) words.pop_back();
        pending_ = std::move(words);
        in_payload_ = true;
        payload_.clear();
        if (i + 1 < cmds.size()) {
          const size_t rest = size_t(cmd.data() + cmd.size() + 1 - line.data());
          buf_.insert(0, line.substr(rest) + "\n");
        }
        if (session_.interactive) out += "+ ";
        break;
      }
      out += run_framed(tokenize(cmd), nullptr);
    }
    // A one-shot client gets the lines it already sent answered, then the connection ends.
    if (!finished_ && !in_payload_ && !session_.interactive && buf_.empty()) finished_ = true;
  }
  return out;
}

}  // namespace portero::admin
