// portero: the master process of master-worker mode (see master.h).
//
// The master is single-threaded and event-driven: the signals it handles are blocked and read
// from a signalfd, and workers report "I listen" by writing their pid on a pipe. Blocked signals
// stay pending across fork and exec, so none is lost while the master re-executes itself.
// Across a re-exec, the state (the pipe and the workers) travels in an environment variable.
#include "master.h"

#include <cerrno>
#include <csignal>
#include <cstdarg>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <string>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "version.h"

namespace portero::master {
namespace {

constexpr const char* kStateEnv = "PORTERO_MWORKER_STATE";
constexpr const char* kListenersEnv = "PORTERO_LISTENERS";   // core::ListenerSet::kEnv

struct Child {
  pid_t pid = 0;
  bool ready = false;    // its listeners accept
  bool leaving = false;  // replaced by a newer worker and soft-stopped ("former" worker)
};

struct State {
  int pipe_r = -1, pipe_w = -1;  // workers write "<pid>\n" when they listen
  bool exit_on_failure = true;
  std::vector<Child> children;
};

int g_ready_fd = -1;  // in a worker: the pipe's write end
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

// ---- state across re-exec: "<pipe_r>,<pipe_w>,<exit_on_failure>;<pid>,<ready>,<leaving>;..." ----

std::string encode(const State& st) {
  std::string out = std::to_string(st.pipe_r) + "," + std::to_string(st.pipe_w) + "," +
                    (st.exit_on_failure ? "1" : "0");
  for (const auto& c : st.children)
    out += ";" + std::to_string(c.pid) + "," + (c.ready ? "1" : "0") + "," + (c.leaving ? "1" : "0");
  return out;
}

bool decode(const char* text, State& st) {
  int r = -1, w = -1, eof = 1, n = 0;
  if (std::sscanf(text, "%d,%d,%d%n", &r, &w, &eof, &n) != 3) return false;
  st.pipe_r = r;
  st.pipe_w = w;
  st.exit_on_failure = eof != 0;
  for (const char* p = std::strchr(text, ';'); p; p = std::strchr(p + 1, ';')) {
    int pid = 0, ready = 0, leaving = 0;
    if (std::sscanf(p + 1, "%d,%d,%d", &pid, &ready, &leaving) == 3 && pid > 0)
      st.children.push_back({static_cast<pid_t>(pid), ready != 0, leaving != 0});
  }
  fcntl(st.pipe_r, F_SETFD, FD_CLOEXEC);
  fcntl(st.pipe_w, F_SETFD, FD_CLOEXEC);
  return true;
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
    pid_t pid = fork();
    if (pid < 0) {
      say("ALERT", "[portero.main()] Cannot fork.");
      return false;
    }
    if (pid == 0) {
      become_worker();
      return true;
    }
    st_.children.push_back({pid, false, false});
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
    for (;;) {
      pollfd fds[2] = {{sigfd_, POLLIN, 0}, {st_.pipe_r, POLLIN, 0}};
      if (poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        say("ALERT", "master: poll: %s", std::strerror(errno));
        std::exit(1);
      }
      if (fds[1].revents & POLLIN) read_ready();
      if (fds[0].revents & POLLIN) read_signals();
    }
  }

  State& state() { return st_; }

 private:
  void become_worker() {
    g_is_worker = true;
    sigprocmask(SIG_UNBLOCK, &handled_signals(), nullptr);
    close(st_.pipe_r);
    if (sigfd_ >= 0) close(sigfd_);
    g_ready_fd = st_.pipe_w;
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
      pid_t fresh = c->pid;
      // The new worker accepts: the ones it replaces finish their sessions and go.
      for (auto& o : st_.children) {
        if (o.pid == fresh || o.leaving) continue;
        o.leaving = true;
        kill(o.pid, SIGUSR1);
      }
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
      st_.children.erase(st_.children.begin() + (c - st_.children.data()));
      if (gone.leaving) {
        say("WARNING", "Former worker (%d) exited with code %d (%s)", pid, code, exit_reason(code).c_str());
        continue;
      }
      say(code < 128 ? "WARNING" : "ALERT", "Current worker (%d) exited with code %d (%s)", pid, code,
          exit_reason(code).c_str());
      if (!gone.ready && !stopping_ && has_current_other_than(pid)) {
        // A reload whose worker could not start (e.g. a port in use): the others go on.
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

  void reload() {
    say("NOTICE", "Reloading portero");
    sd_notify(s_.notify, "RELOADING=1");
    std::string env = encode(st_);
    setenv(kStateEnv, env.c_str(), 1);
    fcntl(st_.pipe_r, F_SETFD, 0);
    fcntl(st_.pipe_w, F_SETFD, 0);
    set_listeners_inherited(true);
    std::vector<char*> argv;
    for (const auto& a : s_.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::fflush(stderr);
    execv("/proc/self/exe", argv.data());
    say("ALERT", "Cannot re-execute %s for the reload: %s", exe_path().c_str(), std::strerror(errno));
    fcntl(st_.pipe_r, F_SETFD, FD_CLOEXEC);
    fcntl(st_.pipe_w, F_SETFD, FD_CLOEXEC);
    set_listeners_inherited(false);
    unsetenv(kStateEnv);
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
  say("WARNING", "Loading failure!");
  say_version();
  sd_notify(s.notify, "READY=1\nMAINPID=" + std::to_string(getpid()));
  auto* master = new Master(s, std::move(st));
  master->loop();
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
