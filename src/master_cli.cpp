// portero: the master CLI (see master_cli.h).
#include "master_cli.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "admin/usage.h"
#include "version.h"

namespace portero::master {
namespace {

constexpr size_t kMaxLine = 16384;
constexpr const char* kPrompt = "master> ";

// HAProxy 2.6's master CLI commands, in its help order.
const std::vector<admin::Usage>& master_usage() {
  static const std::vector<admin::Usage> table = {
      {{"@!<pid>"}, "@!<pid>", "send a command to the <pid> process"},
      {{"@<relative"}, "@<relative pid>", "send a command to the <relative pid> process"},
      {{"@master"}, "@master", "send a command to the master process"},
      {{"operator"}, "operator", "lower the level of the current CLI session to operator"},
      {{"reload"}, "reload", "reload portero"},
      {{"show", "cli", "level"}, "show cli level", "display the level of the current CLI session"},
      {{"show", "cli", "sockets"}, "show cli sockets", "dump list of cli sockets"},
      {{"show", "proc"}, "show proc", "show processes status"},
      {{"show", "version"}, "show version", "show version of the current process"},
      {{"user"}, "user", "lower the level of the current CLI session to user"},
      {{"help"}, "help [<command>]", "list matching or all commands", true},
      {{"prompt"}, "prompt", "toggle interactive mode with prompt", true},
      {{"quit"}, "quit", "disconnect", true},
  };
  return table;
}

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
  return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

}  // namespace

int open_cli_socket(const std::string& spec, std::string& error) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t i = 0; i <= spec.size(); ++i)
    if (i == spec.size() || spec[i] == ',') {
      parts.push_back(spec.substr(start, i - start));
      start = i + 1;
    }
  std::string path = parts[0];
  if (path.rfind("unix@", 0) == 0) path = path.substr(5);
  if (path.empty() || path.find('@') != std::string::npos || path.size() >= sizeof(sockaddr_un::sun_path)) {
    error = "-S: only unix sockets (a path or unix@<path>) are supported, not '" + parts[0] + "'";
    return -1;
  }
  long mode = -1;
  long uid = -1, gid = -1;
  for (size_t i = 1; i < parts.size(); i += 2) {
    const std::string& k = parts[i];
    if (i + 1 >= parts.size()) {
      error = "-S: '" + k + "' expects an argument";
      return -1;
    }
    const std::string& v = parts[i + 1];
    if (k == "mode") {
      char* end = nullptr;
      mode = std::strtol(v.c_str(), &end, 8);
      if (v.empty() || *end) {
        error = "-S: 'mode' : missing or invalid mode '" + v + "' (octal integer expected)";
        return -1;
      }
    } else if (k == "uid" || k == "gid") {
      (k == "uid" ? uid : gid) = std::atol(v.c_str());
    } else if (k == "user") {
      passwd* pw = getpwnam(v.c_str());
      if (!pw) {
        error = "-S: 'user' : unknown user name '" + v + "'";
        return -1;
      }
      uid = pw->pw_uid;
    } else if (k == "group") {
      group* gr = getgrnam(v.c_str());
      if (!gr) {
        error = "-S: 'group' : unknown group name '" + v + "'";
        return -1;
      }
      gid = gr->gr_gid;
    } else {
      error = "-S: unknown keyword '" + k + "' (portero supports mode, user, group, uid, gid)";
      return -1;
    }
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, path.data(), path.size());
  struct stat st{};
  if (lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) unlink(path.c_str());
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0 || listen(fd, 16) != 0) {
    error = "Starting proxy MASTER: cannot bind UNIX socket (" + std::string(std::strerror(errno)) + ") [" + path + "]";
    if (fd >= 0) close(fd);
    return -1;
  }
  if (mode >= 0) chmod(path.c_str(), static_cast<mode_t>(mode));
  if (uid >= 0 || gid >= 0) {
    if (chown(path.c_str(), static_cast<uid_t>(uid), static_cast<gid_t>(gid)) != 0) {
      // As for a stats socket: the socket is usable by its creator all the same.
    }
  }
  return fd;
}

Cli::~Cli() {
  for (auto& c : clients_) {
    if (c.relay >= 0) close(c.relay);
    close(c.fd);
  }
}

void Cli::prepare(std::vector<pollfd>& fds) {
  polled_.clear();
  kinds_.clear();
  // Connections that ended are dropped here, between two polls.
  for (auto it = clients_.begin(); it != clients_.end();) {
    if (it->fd < 0) it = clients_.erase(it);
    else ++it;
  }
  fds.push_back({listen_fd_, POLLIN, 0});
  polled_.push_back(nullptr);
  kinds_.push_back(0);
  for (auto& c : clients_) {
    short ev = 0;
    if (c.relay < 0 && !c.closing && !c.eof) ev |= POLLIN;
    if (!c.out.empty()) ev |= POLLOUT;
    fds.push_back({c.fd, ev, 0});
    polled_.push_back(&c);
    kinds_.push_back(1);
    if (c.relay >= 0) {
      fds.push_back({c.relay, static_cast<short>(POLLIN | (c.relay_out.empty() ? 0 : POLLOUT)), 0});
      polled_.push_back(&c);
      kinds_.push_back(2);
    }
  }
}

void Cli::process(const std::vector<pollfd>& fds, size_t first) {
  for (size_t i = 0; i < polled_.size(); ++i) {
    const short re = fds[first + i].revents;
    if (!re) continue;
    Client* c = polled_[i];
    if (kinds_[i] == 0) accept_clients();
    else if (c->fd < 0) continue;
    else if (kinds_[i] == 2) pump_relay(*c, re);
    else {
      if (re & POLLOUT) write_client(*c);
      if (c->fd >= 0 && (re & (POLLIN | POLLHUP | POLLERR))) read_client(*c);
    }
  }
}

void Cli::accept_clients() {
  for (;;) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    clients_.emplace_back();
    clients_.back().fd = fd;
  }
}

void Cli::read_client(Client& c) {
  char buf[4096];
  ssize_t n = read(c.fd, buf, sizeof(buf));
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n < 0) {
    if (c.relay >= 0) close(c.relay);
    close(c.fd);
    c.fd = c.relay = -1;
    return;
  }
  if (n == 0) {
    // Half-closed (socat, echo | nc): what was asked is still answered, then the session ends.
    c.eof = true;
    return run_queue(c);
  }
  c.in.append(buf, size_t(n));
  if (c.in.size() > kMaxLine && c.in.find('\n') == std::string::npos) {
    close(c.fd);
    c.fd = -1;
    return;
  }
  run_queue(c);
}

// Runs the commands of the received lines, one at a time (a relayed one suspends the rest).
void Cli::run_queue(Client& c) {
  while (c.fd >= 0 && c.relay < 0 && !c.closing) {
    if (!c.queue.empty()) {
      std::string cmd = std::move(c.queue.front());
      c.queue.erase(c.queue.begin());
      if (!cmd.empty()) run_command(c, cmd);
      continue;
    }
    if (c.in_line) {
      // The end of a line: the prompt for the next one, or the end of a one-shot session once
      // something was answered (level changes answer nothing and keep it open, as HAProxy).
      c.in_line = false;
      if (c.prompt) c.out += kPrompt;
      else if (c.answered) c.closing = true;
      continue;
    }
    size_t nl = c.in.find('\n');
    if (nl == std::string::npos) {
      if (c.eof) c.closing = true;
      break;
    }
    std::string line = c.in.substr(0, nl);
    c.in.erase(0, nl + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    c.in_line = true;
    if (trim(line).empty() && !c.prompt) c.answered = true;   // an empty request ends the session
    // Commands on one line are separated by ';' (a '\;' is a literal ';').
    std::string cur;
    for (size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == ';') {
        cur += ';';
        ++i;
      } else if (line[i] == ';') {
        c.queue.push_back(trim(cur));
        cur.clear();
      } else {
        cur += line[i];
      }
    }
    c.queue.push_back(trim(cur));
  }
  write_client(c);
}

void Cli::run_command(Client& c, const std::string& cmd) {
  std::vector<std::string> words = split_words(cmd);
  if (!words.empty() && words[0][0] == '@') {
    std::string target = words[0].substr(1);
    std::string rest = trim(cmd.substr(cmd.find(words[0]) + words[0].size()));
    if (target == "master" || target == "0") {
      if (!rest.empty()) run_command(c, rest);
      return;
    }
    if (rest.empty()) return;
    std::string error;
    int fd = hooks_.connect_worker ? hooks_.connect_worker(target, error) : -1;
    if (fd < 0) {
      c.out += error.empty() ? "Can't find the target PID matching the prefix '" + words[0] + "'\n" : error;
      c.queue.clear();
      c.answered = true;
      return;
    }
    // The worker runs it at the session's level (it starts at admin, as HAProxy's master link).
    std::string prefix = c.level == Level::user ? "user; " : c.level == Level::operator_ ? "operator; " : "";
    c.relay = fd;
    c.relay_out = prefix + rest + "\n";
    c.answered = true;
    return;
  }
  std::string out = master_command(c, words);
  if (!out.empty()) {
    c.out += out + "\n";   // the blank line that ends an answer
    c.answered = true;
  }
}

std::string Cli::master_command(Client& c, const std::vector<std::string>& w) {
  auto is = [&](std::initializer_list<const char*> want) {
    if (w.size() != want.size()) return false;
    size_t i = 0;
    for (const char* x : want)
      if (w[i++] != x) return false;
    return true;
  };
  if (is({"prompt"})) {
    c.prompt = !c.prompt;
    return {};
  }
  if (is({"quit"})) {
    if (c.prompt) c.out += kPrompt;   // HAProxy 2.6 prompts once more before it closes
    c.queue.clear();
    c.closing = true;
    return {};
  }
  if (is({"operator"})) {
    if (c.level == Level::admin) c.level = Level::operator_;
    return {};
  }
  if (is({"user"})) {
    c.level = Level::user;
    return {};
  }
  if (is({"show", "cli", "level"}))
    return c.level == Level::admin ? "admin\n" : c.level == Level::operator_ ? "operator\n" : "user\n";
  if (is({"show", "cli", "sockets"})) {
    // HAProxy 2.6's master lists none of its sockets here: its answer is the blank line alone.
    c.out += "\n";
    c.answered = true;
    return {};
  }
  if (is({"show", "version"})) return std::string(PORTERO_VERSION) + "\n";
  if (is({"show", "proc"})) return hooks_.show_proc ? hooks_.show_proc() : std::string();
  if (is({"reload"})) {
    if (c.level != Level::admin) return "Permission denied\n";
    // The new image does not keep this connection (HAProxy 2.6 closes it too).
    if (hooks_.reload) hooks_.reload();
    return {};
  }
  if (!w.empty() && w[0] == "help") {
    std::vector<std::string> rest(w.begin() + 1, w.end());
    return admin::usage_message(master_usage(), rest, true);
  }
  return admin::usage_message(master_usage(), w, false);
}

void Cli::write_client(Client& c) {
  while (c.fd >= 0 && !c.out.empty()) {
    ssize_t n = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) {
      if (c.relay >= 0) close(c.relay);
      close(c.fd);
      c.fd = c.relay = -1;
      return;
    }
    c.out.erase(0, size_t(n));
  }
  if (c.fd >= 0 && c.out.empty() && c.closing) {
    close(c.fd);
    c.fd = -1;
  }
}

void Cli::pump_relay(Client& c, short revents) {
  if ((revents & POLLOUT) && !c.relay_out.empty()) {
    ssize_t n = send(c.relay, c.relay_out.data(), c.relay_out.size(), MSG_NOSIGNAL);
    if (n > 0) c.relay_out.erase(0, size_t(n));
    // The worker answers a one-shot session: the command, then the end of the input.
    if (c.relay_out.empty()) shutdown(c.relay, SHUT_WR);
  }
  if (revents & (POLLIN | POLLHUP | POLLERR)) {
    char buf[16384];
    ssize_t n = read(c.relay, buf, sizeof(buf));
    if (n > 0) {
      c.out.append(buf, size_t(n));
      write_client(c);
      return;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    close(c.relay);
    c.relay = -1;
    c.relay_out.clear();
    run_queue(c);
  }
}

}  // namespace portero::master
