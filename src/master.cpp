// portero: the master process of master-worker mode (see master.h).
//
// The master is single-threaded and event-driven: the signals it handles are blocked and read
// from a signalfd, and workers report "I listen" by writing their pid on a pipe. Blocked signals
// stay pending across fork and exec, so none is lost while the master re-executes itself.
// Across a re-exec, the state (the pipe and the workers) travels in an environment variable.
#include "master.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdarg>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <memory>
#include <poll.h>
#include <string>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "master_cli.h"
#include "version.h"

namespace portero::master {
namespace {

constexpr const char* kStateEnv = "PORTERO_MWORKER_STATE";
// The descriptor (a memfd) holding the servers' state carried over a reload.
constexpr const char* kServerStateEnv = "PORTERO_CARRIED_SERVER_STATE_FD";
constexpr const char* kListenersEnv = "PORTERO_LISTENERS";   // core::ListenerSet::kEnv

struct Child {
  pid_t pid = 0;
  bool ready = false;    // its listeners accept
  bool leaving = false;  // replaced by a newer worker and soft-stopped ("former" worker)
  int channel = -1;      // the master's end of the master CLI's link to the worker
  long since = 0;        // fork time (s), for `show proc`
  int reloads = 0;       // reloads since it was forked
};

struct State {
  int pipe_r = -1, pipe_w = -1;  // workers write "<pid>\n" when they listen
  bool exit_on_failure = true;
  int cli_fd = -1;               // -S: the master CLI's listening socket
  long since = 0;                // the master's start time (s)
  int reloads = 0, failed_reloads = 0;
  std::vector<Child> children;
};

int g_ready_fd = -1;  // in a worker: the pipe's write end
int g_channel_fd = -1;  // in a worker: its end of the master CLI's link
bool g_is_worker = false;
bool g_quiet = false;

const sigset_t& handled_signals() {
  static sigset_t set = [] {
    sigset_t s;
    sigemptyset(&s);
    for (int sig : {SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGHUP, SIGCHLD, SIGTTIN, SIGTTOU}) sigaddset(&s, sig);
    return s;
  }();
  return set;
}

void say(const char* level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void say(const char* level, const char* fmt, ...) {
  if (g_quiet && std::strcmp(level, "ALERT") != 0) return;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  char tag[16];
  std::snprintf(tag, sizeof(tag), "[%s]", level);
  std::fprintf(stderr, "%-10s (%d) : %s\n", tag, getpid(), msg);
  std::fflush(stderr);
}

std::string exe_path() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return "portero";
  buf[n] = 0;
  return buf;
}

// The notices a master prints when it (re)enters its supervising loop.
void say_version() {
  say("NOTICE", "portero version is %s", PORTERO_VERSION);
  say("NOTICE", "path to executable is %s", exe_path().c_str());
}

// sd_notify(): one datagram to $NOTIFY_SOCKET ('@' names an abstract socket).
void sd_notify(bool enabled, const std::string& msg) {
  if (!enabled) return;
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (!path || !*path) return;
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  size_t len = std::strlen(path);
  if (len >= sizeof(sa.sun_path)) return;
  std::memcpy(sa.sun_path, path, len);
  if (sa.sun_path[0] == '@') sa.sun_path[0] = 0;
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  sendto(fd, msg.data(), msg.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&sa),
         static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len));
  close(fd);
}

std::string exit_reason(int code) { return code < 128 ? "Exit" : strsignal(code - 128); }

// ---- state across re-exec ----
// "<pipe_r>,<pipe_w>,<exit_on_failure>,<cli_fd>,<since>,<reloads>,<failed>;
//  <pid>,<ready>,<leaving>,<channel>,<since>,<reloads>;..."

std::string encode(const State& st) {
  std::string out = std::to_string(st.pipe_r) + "," + std::to_string(st.pipe_w) + "," +
                    (st.exit_on_failure ? "1" : "0") + "," + std::to_string(st.cli_fd) + "," +
                    std::to_string(st.since) + "," + std::to_string(st.reloads) + "," +
                    std::to_string(st.failed_reloads);
  for (const auto& c : st.children)
    out += ";" + std::to_string(c.pid) + "," + (c.ready ? "1" : "0") + "," + (c.leaving ? "1" : "0") + "," +
           std::to_string(c.channel) + "," + std::to_string(c.since) + "," + std::to_string(c.reloads);
  return out;
}

bool decode(const char* text, State& st) {
  int r = -1, w = -1, eof = 1, cli = -1, reloads = 0, failed = 0;
  long since = 0;
  if (std::sscanf(text, "%d,%d,%d,%d,%ld,%d,%d", &r, &w, &eof, &cli, &since, &reloads, &failed) != 7) return false;
  st.pipe_r = r;
  st.pipe_w = w;
  st.exit_on_failure = eof != 0;
  st.cli_fd = cli;
  st.since = since;
  st.reloads = reloads;
  st.failed_reloads = failed;
  for (const char* p = std::strchr(text, ';'); p; p = std::strchr(p + 1, ';')) {
    int pid = 0, ready = 0, leaving = 0, channel = -1, creloads = 0;
    long csince = 0;
    if (std::sscanf(p + 1, "%d,%d,%d,%d,%ld,%d", &pid, &ready, &leaving, &channel, &csince, &creloads) == 6 && pid > 0) {
      st.children.push_back({static_cast<pid_t>(pid), ready != 0, leaving != 0, channel, csince, creloads});
      if (channel >= 0) fcntl(channel, F_SETFD, FD_CLOEXEC);
    }
  }
  fcntl(st.pipe_r, F_SETFD, FD_CLOEXEC);
  fcntl(st.pipe_w, F_SETFD, FD_CLOEXEC);
  if (st.cli_fd >= 0) fcntl(st.cli_fd, F_SETFD, FD_CLOEXEC);
  return true;
}

// The state's descriptors stay open across the re-exec (or not, if it failed).
void set_inherited(const State& st, bool on) {
  const int flag = on ? 0 : FD_CLOEXEC;
  fcntl(st.pipe_r, F_SETFD, flag);
  fcntl(st.pipe_w, F_SETFD, flag);
  if (st.cli_fd >= 0) fcntl(st.cli_fd, F_SETFD, flag);
  for (const auto& c : st.children)
    if (c.channel >= 0) fcntl(c.channel, F_SETFD, flag);
}

std::string uptime_text(long seconds) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%ldd%02ldh%02ldm%02lds", seconds / 86400, (seconds % 86400) / 3600,
                (seconds % 3600) / 60, seconds % 60);
  return buf;
}

long now_s() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);   // survives exec; uptimes are differences
  return ts.tv_sec;
}

void write_pidfile(const std::string& path) {
  if (path.empty()) return;
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) {
    say("ALERT", "[portero.main()] Cannot create pidfile %s", path.c_str());
    return;
  }
  std::fprintf(f, "%d\n", getpid());
  std::fclose(f);
}

class Master {
 public:
  Master(const Settings& s, State st) : s_(s), st_(std::move(st)) {}

  // Forks a worker; returns true in the worker.
  bool fork_worker() {
    int link[2] = {-1, -1};
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, link) != 0) link[0] = link[1] = -1;
    pid_t pid = fork();
    if (pid < 0) {
      say("ALERT", "[portero.main()] Cannot fork.");
      if (link[0] >= 0) close(link[0]), close(link[1]);
      return false;
    }
    if (pid == 0) {
      if (link[0] >= 0) close(link[0]);
      g_channel_fd = link[1];
      become_worker();
      return true;
    }
    if (link[1] >= 0) close(link[1]);
    st_.children.push_back({pid, false, false, link[0], now_s(), 0});
    say("NOTICE", "New worker (%d) forked", pid);
    return false;
  }

  [[noreturn]] void loop() {
    sigfd_ = signalfd(-1, &handled_signals(), SFD_CLOEXEC | SFD_NONBLOCK);
    if (sigfd_ < 0) {
      say("ALERT", "master: signalfd: %s", std::strerror(errno));
      std::exit(1);
    }
    reap();  // a worker may have gone while the master was re-executing
    if (st_.cli_fd >= 0) cli_ = std::make_unique<Cli>(st_.cli_fd, cli_hooks());
    std::vector<pollfd> fds;
    for (;;) {
      fds.assign({{sigfd_, POLLIN, 0}, {st_.pipe_r, POLLIN, 0}});
      if (cli_) cli_->prepare(fds);
      if (poll(fds.data(), fds.size(), -1) < 0) {
        if (errno == EINTR) continue;
        say("ALERT", "master: poll: %s", std::strerror(errno));
        std::exit(1);
      }
      if (fds[1].revents & POLLIN) read_ready();
      if (fds[0].revents & POLLIN) read_signals();
      if (cli_) cli_->process(fds, 2);
    }
  }

  State& state() { return st_; }

 private:
  CliHooks cli_hooks() {
    CliHooks h;
    h.show_proc = [this] { return show_proc(); };
    h.reload = [this] { if (!stopping_) reload(); };
    h.connect_worker = [this](std::string_view target, std::string& error) { return connect_worker(target, error); };
    return h;
  }

  // `show proc`, in HAProxy 2.6's columns.
  std::string show_proc() const {
    char line[256];
    const long now = now_s();
    std::string out;
    std::snprintf(line, sizeof(line), "#%-14s %-15s %-15s %-15s %-15s\n", "<PID>", "<type>", "<reloads>", "<uptime>",
                  "<version>");
    out += line;
    const std::string reloads = std::to_string(st_.reloads) + " [failed: " + std::to_string(st_.failed_reloads) + "]";
    std::snprintf(line, sizeof(line), "%-15u %-15s %-15s %-15s %-15s\n", unsigned(getpid()), "master", reloads.c_str(),
                  uptime_text(now - st_.since).c_str(), PORTERO_VERSION);
    out += line;
    for (int leaving = 0; leaving < 2; ++leaving) {
      bool header = false;
      for (const auto& c : st_.children) {
        if (c.leaving != (leaving == 1)) continue;
        if (!header) out += leaving ? "# old workers\n" : "# workers\n";
        header = true;
        std::snprintf(line, sizeof(line), "%-15u %-15s %-15d %-15s %-15s\n", unsigned(c.pid), "worker", c.reloads,
                      uptime_text(now - c.since).c_str(), PORTERO_VERSION);
        out += line;
      }
      if (!leaving && !header) out += "# workers\n";
    }
    out += "# programs\n";
    return out;
  }

  // A connection to a worker's CLI: one end of a new socket pair goes to the worker.
  int connect_worker(std::string_view target, std::string&) {
    const Child* found = nullptr;
    if (!target.empty() && target[0] == '!') {
      const int pid = std::atoi(std::string(target.substr(1)).c_str());
      for (const auto& c : st_.children)
        if (c.pid == pid) found = &c;
    } else {
      // Relative: the current workers first, then the old ones, from 1.
      const int n = std::atoi(std::string(target).c_str());
      int i = 0;
      for (int leaving = 0; leaving < 2 && !found; ++leaving)
        for (const auto& c : st_.children)
          if (c.leaving == (leaving == 1) && ++i == n) found = &c;
    }
    if (!found || found->channel < 0) return -1;
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return -1;
    char byte = 0;
    iovec iov{&byte, 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    cmsghdr* cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(cm), &pair[1], sizeof(int));
    const bool sent = sendmsg(found->channel, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) == 1;
    close(pair[1]);
    if (!sent) {
      close(pair[0]);
      return -1;
    }
    fcntl(pair[0], F_SETFL, fcntl(pair[0], F_GETFL) | O_NONBLOCK);
    return pair[0];
  }

  void become_worker() {
    g_is_worker = true;
    // The signals stay blocked (pending) until the worker has its handlers: a SIGUSR1 sent by a
    // reload that overtook this one must soft-stop it, not kill it (see unblock_signals()).
    close(st_.pipe_r);
    if (sigfd_ >= 0) close(sigfd_);
    g_ready_fd = st_.pipe_w;
    // The master's own descriptors are none of the worker's business.
    if (st_.cli_fd >= 0) close(st_.cli_fd);
    for (const auto& c : st_.children)
      if (c.channel >= 0) close(c.channel);
    cli_.reset();
    unsetenv(kStateEnv);
    unsetenv("NOTIFY_SOCKET");  // only the master talks to systemd
    // A worker outlives no master: when it goes (killed), the worker is terminated.
    pid_t master = getppid();
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != master) raise(SIGTERM);
  }

  Child* find(pid_t pid) {
    for (auto& c : st_.children)
      if (c.pid == pid) return &c;
    return nullptr;
  }

  bool has_current_other_than(pid_t pid) const {
    for (const auto& c : st_.children)
      if (c.pid != pid && !c.leaving) return true;
    return false;
  }

  void read_ready() {
    char buf[512];
    ssize_t n = read(st_.pipe_r, buf, sizeof(buf) - 1);
    if (n <= 0) return;
    buf[n] = 0;
    for (char* line = std::strtok(buf, "\n"); line; line = std::strtok(nullptr, "\n")) {
      Child* c = find(static_cast<pid_t>(std::atoi(line)));
      if (!c || c->ready || c->leaving) continue;
      c->ready = true;
      // The children are in fork order. Reloads close together can make a worker ready after
      // a newer one: only the older workers are retired, and a worker that a newer ready one
      // already replaced is retired at once.
      const size_t at = size_t(c - st_.children.data());
      bool replaced = false;
      for (size_t i = at + 1; i < st_.children.size(); ++i) replaced = replaced || st_.children[i].ready;
      for (size_t i = 0; i <= at; ++i) {
        Child& o = st_.children[i];
        if (o.leaving || (i == at && !replaced)) continue;
        o.leaving = true;
        kill(o.pid, SIGUSR1);
      }
      if (replaced) continue;
      say("NOTICE", "Loading success.");
      say_version();
      sd_notify(s_.notify, "READY=1\nMAINPID=" + std::to_string(getpid()));
    }
  }

  void read_signals() {
    signalfd_siginfo si;
    while (read(sigfd_, &si, sizeof(si)) == static_cast<ssize_t>(sizeof(si))) {
      int sig = static_cast<int>(si.ssi_signo);
      switch (sig) {
        case SIGCHLD:
          reap();
          break;
        case SIGUSR2:
        case SIGHUP:
          if (!stopping_) reload();
          break;
        case SIGTERM:
        case SIGINT:
        case SIGUSR1:
          if (!stopping_) {
            say("WARNING", "Exiting Master process...");
            sd_notify(s_.notify, "STOPPING=1");
          }
          stopping_ = true;
          for (const auto& c : st_.children) kill(c.pid, sig);
          break;
        default:  // SIGTTOU / SIGTTIN: pause / resume the listeners
          for (const auto& c : st_.children) kill(c.pid, sig);
          break;
      }
    }
  }

  void reap() {
    int status = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      Child* c = find(pid);
      if (!c) continue;
      int code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 0;
      Child gone = *c;
      if (gone.channel >= 0) close(gone.channel);
      st_.children.erase(st_.children.begin() + (c - st_.children.data()));
      if (gone.leaving) {
        say("WARNING", "Former worker (%d) exited with code %d (%s)", pid, code, exit_reason(code).c_str());
        continue;
      }
      say(code < 128 ? "WARNING" : "ALERT", "Current worker (%d) exited with code %d (%s)", pid, code,
          exit_reason(code).c_str());
      if (!gone.ready && !stopping_ && has_current_other_than(pid)) {
        // A reload whose worker could not start: the others go on.
        ++st_.failed_reloads;
        say("WARNING", "Loading failure!");
        say_version();
        sd_notify(s_.notify, "READY=1\nMAINPID=" + std::to_string(getpid()));
        continue;
      }
      if (code != 0 && code != 130 && code != 143 && st_.exit_on_failure && !stopping_) {
        say("ALERT", "exit-on-failure: killing every processes with SIGTERM");
        for (const auto& o : st_.children) kill(o.pid, SIGTERM);
        stopping_ = true;
      }
      // A normal end is 0 or SIGTERM; SIGINT and failures are reported in the exit status.
      if (exit_code_ < 0 && code != 0 && code != 143) exit_code_ = code;
    }
    if (st_.children.empty()) {
      int code = exit_code_ < 0 ? 0 : exit_code_;
      say("WARNING", "All workers exited. Exiting... (%d)", code);
      std::exit(code);
    }
  }

  // Asks the current worker for `show servers state` (bounded wait: a worker that does not
  // answer within a second reloads without it) and keeps the answer in a memfd that survives
  // the exec. -1 when there is nothing to carry.
  int carry_server_state() {
    std::string err;
    const int fd = connect_worker("1", err);
    if (fd < 0) return -1;
    const std::string cmd = "show servers state\n";
    std::string answer;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    size_t sent = 0;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) {
        answer.clear();   // cut short: carry nothing rather than a part
        break;
      }
      pollfd p{fd, short(sent < cmd.size() ? POLLOUT : POLLIN), 0};
      if (poll(&p, 1, int(left)) < 0 && errno != EINTR) break;
      if (sent < cmd.size()) {
        const ssize_t n = write(fd, cmd.data() + sent, cmd.size() - sent);
        if (n > 0 && (sent += size_t(n)) == cmd.size()) shutdown(fd, SHUT_WR);
        continue;
      }
      char buf[16384];
      const ssize_t n = read(fd, buf, sizeof buf);
      if (n > 0) answer.append(buf, size_t(n));
      else if (n == 0 || (errno != EAGAIN && errno != EINTR)) break;
    }
    close(fd);
    if (answer.rfind("1\n", 0) != 0) return -1;   // not a state dump (an old or busy worker)
    const int mem = memfd_create("portero-server-state", 0);
    if (mem < 0) return -1;
    if (write(mem, answer.data(), answer.size()) != ssize_t(answer.size())) {
      close(mem);
      return -1;
    }
    return mem;
  }

  void reload() {
    say("NOTICE", "Reloading portero");
    sd_notify(s_.notify, "RELOADING=1");
    const int carried = carry_server_state();
    if (carried >= 0) setenv(kServerStateEnv, std::to_string(carried).c_str(), 1);
    ++st_.reloads;
    for (auto& c : st_.children) ++c.reloads;
    std::string env = encode(st_);
    setenv(kStateEnv, env.c_str(), 1);
    set_inherited(st_, true);
    set_listeners_inherited(true);
    std::vector<char*> argv;
    for (const auto& a : s_.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::fflush(stderr);
    execv("/proc/self/exe", argv.data());
    say("ALERT", "Cannot re-execute %s for the reload: %s", exe_path().c_str(), std::strerror(errno));
    set_inherited(st_, false);
    --st_.reloads;
    for (auto& c : st_.children) --c.reloads;
    set_listeners_inherited(false);
    unsetenv(kStateEnv);
    if (carried >= 0) close(carried);
    unsetenv(kServerStateEnv);
    sd_notify(s_.notify, "READY=1\nMAINPID=" + std::to_string(getpid()));
  }

  // The listening sockets go to the next image: open across exec and named in the environment.
  void set_listeners_inherited(bool on) {
    std::string list;
    for (int fd : s_.listeners) {
      fcntl(fd, F_SETFD, on ? 0 : FD_CLOEXEC);
      if (!list.empty()) list += ',';
      list += std::to_string(fd);
    }
    if (on) setenv(kListenersEnv, list.c_str(), 1);
    else unsetenv(kListenersEnv);
  }

  const Settings& s_;
  State st_;
  std::unique_ptr<Cli> cli_;
  int sigfd_ = -1;
  bool stopping_ = false;
  int exit_code_ = -1;
};

// The state this master starts from: a fresh one, or the one a re-exec passed on.
State initial_state(const Settings& s) {
  State st;
  const char* env = std::getenv(kStateEnv);
  if (env && decode(env, st)) {
    unsetenv(kStateEnv);
    return st;
  }
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) {
    say("ALERT", "master: pipe: %s", std::strerror(errno));
    std::exit(1);
  }
  st.pipe_r = p[0];
  st.pipe_w = p[1];
  st.exit_on_failure = s.exit_on_failure;
  st.since = now_s();
  if (!s.cli.empty()) {
    std::string error;
    st.cli_fd = open_cli_socket(s.cli, error);
    if (st.cli_fd < 0) {
      say("ALERT", "%s", error.c_str());
      say("ALERT", "Can't create the master's CLI.");
      std::exit(1);
    }
  }
  return st;
}

void daemonize() {
  pid_t pid = fork();
  if (pid < 0) {
    say("ALERT", "[portero.main()] Cannot fork.");
    std::exit(1);
  }
  if (pid > 0) std::_Exit(0);
  setsid();
  int devnull = open("/dev/null", O_RDWR);
  if (devnull >= 0) {
    dup2(devnull, 0);
    dup2(devnull, 1);
    dup2(devnull, 2);
    if (devnull > 2) close(devnull);
  }
}

}  // namespace

std::string take_carried_server_state() {
  const char* v = std::getenv(kServerStateEnv);
  if (!v) return {};
  const int fd = std::atoi(v);
  unsetenv(kServerStateEnv);
  std::string text;
  if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0) return text;
  char buf[16384];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) text.append(buf, size_t(n));
  close(fd);
  return text;
}

bool reexecuted() { return std::getenv(kStateEnv) != nullptr; }

bool is_worker() { return g_is_worker; }

void run(const Settings& s) {
  g_quiet = s.quiet;
  bool again = reexecuted();
  // Blocked before anything forks: a signal sent meanwhile waits for the loop.
  sigprocmask(SIG_BLOCK, &handled_signals(), nullptr);
  if (s.daemon && !again) daemonize();
  State st = initial_state(s);
  // A reload keeps the exit-on-failure choice of the new configuration.
  st.exit_on_failure = s.exit_on_failure;
  // `mworker-max-reloads`: a former worker that outlived that many reloads is terminated.
  if (s.max_reloads >= 0)
    for (const auto& c : st.children)
      if (c.reloads > s.max_reloads) kill(c.pid, SIGTERM);
  write_pidfile(s.pidfile);
  static Master* master = nullptr;  // lives until the process exits
  master = new Master(s, std::move(st));
  if (master->fork_worker()) return;
  master->loop();
}

void recover(const Settings& s) {
  g_quiet = s.quiet;
  sigprocmask(SIG_BLOCK, &handled_signals(), nullptr);
  State st = initial_state(s);
  ++st.failed_reloads;
  say("WARNING", "Loading failure!");
  say_version();
  sd_notify(s.notify, "READY=1\nMAINPID=" + std::to_string(getpid()));
  auto* master = new Master(s, std::move(st));
  master->loop();
}

void unblock_signals() { sigprocmask(SIG_UNBLOCK, &handled_signals(), nullptr); }

int worker_channel() {
  const int fd = g_channel_fd;
  g_channel_fd = -1;
  return fd;
}

void worker_ready() {
  if (g_ready_fd < 0) return;
  std::string msg = std::to_string(getpid()) + "\n";
  ssize_t n = write(g_ready_fd, msg.data(), msg.size());
  (void)n;
  close(g_ready_fd);
  g_ready_fd = -1;
}

}  // namespace portero::master
