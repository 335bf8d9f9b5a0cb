// portero: command line (HAProxy's flags), boot, signals, workers and handover.
//
// The main thread loads and validates the configuration, binds every listening socket (one
// SO_REUSEPORT socket per worker and address), drops privileges, starts the workers, signals
// the processes named by -sf/-st, then waits for signals and for the workers to finish.
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <sched.h>
#include <grp.h>
#include <memory>
#include <pwd.h>
#include <string>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <vector>

#include <llhttp.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <uv.h>

#include "portero/check/checks.h"
#include "portero/config/load.h"
#include "portero/dns/service.h"
#include "portero/peers/peers.h"
#include "portero/tls/contexts.h"
#include "portero/log/log.h"
#include "portero/core/listener_set.h"
#include "portero/proxy/bound_rules.h"
#include "portero/proxy/runtime.h"
#include "portero/proxy/worker.h"
#include "portero/stats/servers_state_file.h"
#include "master.h"
#include "observe.h"
#include "version.h"

namespace {

using namespace portero;

struct Options {
  std::vector<std::string> files;
  bool check = false;
  bool debug = false;
  bool foreground = false;   // -db
  bool daemon = false;
  bool quiet = false;
  bool fail_on_warnings = false;  // -dW
  std::string pidfile;
  std::vector<pid_t> soft_stop_pids;   // -sf
  std::vector<pid_t> hard_stop_pids;   // -st
  uint32_t maxconn = 0;               // -n
  bool master_worker = false;          // -W / -Ws
  bool notify = false;                 // -Ws: systemd notify
  std::string old_socket;              // -x: the old process's stats socket
  std::string master_cli;              // -S: the master CLI's socket(s)
};

std::string exe_path() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return "portero";
  buf[n] = 0;
  return buf;
}

void print_version(std::FILE* out) {
  std::fprintf(out, "portero version %s %s - %s\n", PORTERO_VERSION, PORTERO_RELEASE_DATE, PORTERO_COMPAT);
  std::fprintf(out, "Status: development branch - foundation.\n");
  struct utsname u;
  if (uname(&u) == 0) std::fprintf(out, "Running on: %s %s %s %s\n", u.sysname, u.release, u.version, u.machine);
}

void print_build_options() {
  std::printf("Build options :\n");
  std::printf("  CXX      = %s\n", PORTERO_CXX);
  std::printf("  CXXFLAGS = %s\n", PORTERO_CXXFLAGS);
  std::printf("  BUILD    = %s\n\n", PORTERO_BUILD_TYPE);
  std::printf("Feature list : +EPOLL +REUSEPORT +LIBUV +LLHTTP +OPENSSL +PCRE2 +PCRE2_JIT +THREAD\n\n");
  std::printf("Built with libuv version : %s\n", UV_VERSION_HEX ? uv_version_string() : "");
  std::printf("Running on libuv version : %s\n", uv_version_string());
  std::printf("Built with llhttp version : %d.%d.%d\n", LLHTTP_VERSION_MAJOR, LLHTTP_VERSION_MINOR,
              LLHTTP_VERSION_PATCH);
  std::printf("Built with OpenSSL version : %s\n", OPENSSL_VERSION_TEXT);
  std::printf("Running on OpenSSL version : %s\n", OpenSSL_version(OPENSSL_VERSION));
  std::printf("Built with PCRE2 version : %s\n", PORTERO_PCRE2_VERSION);
  std::printf("\nAvailable polling systems :\n      epoll : pref=300,  test result OK\n");
  std::printf("\nAvailable multiplexer protocols :\n              h1 : mode=HTTP  side=FE|BE\n");
}

void usage() {
  print_version(stdout);
  std::fprintf(stderr,
               "Usage : portero [-f <cfgfile|cfgdir>]* [ -vdVD ] [ -n <maxconn> ]\n"
               "        [ -p <pidfile> ] [-- <cfgfile>*]\n"
               "        -v displays version ; -vv shows known build options.\n"
               "        -d enters debug mode ; -db only disables background mode.\n"
               "        -V enters verbose mode (disables quiet mode)\n"
               "        -D goes daemon\n"
               "        -q quiet mode : don't display messages\n"
               "        -c check mode : only check config files and exit\n"
               "        -n sets the maximum total # of connections\n"
               "        -p writes pids of all children to this file\n"
               "        -dW fails if any warning is emitted\n"
               "        -sf/-st [pid ]* finishes/terminates old pids.\n"
               "        -x <unix_socket> get listening sockets from a unix socket\n"
               "        -W master-worker mode.\n"
               "        -Ws master-worker mode with systemd notify support.\n"
               "        -S <bind>[,<bind options>...] new master CLI\n"
               "  Accepted and ignored for compatibility: -dM -de -dp -dS -dG -dR -dr -dV -dD -dL\n\n");
  std::exit(1);
}

int g_pid = 0;

void notice_header(bool& printed) {
  if (printed) return;
  printed = true;
  std::fprintf(stderr, "[NOTICE]   (%d) : portero version is %s\n", g_pid, PORTERO_VERSION);
  std::fprintf(stderr, "[NOTICE]   (%d) : path to executable is %s\n", g_pid, exe_path().c_str());
}

void alert(const std::string& msg) { std::fprintf(stderr, "[ALERT]    (%d) : %s\n", g_pid, msg.c_str()); }

bool is_pid(const char* s) {
  if (!*s) return false;
  for (; *s; ++s)
    if (*s < '0' || *s > '9') return false;
  return true;
}

Options parse_args(int argc, char** argv) {
  Options o;
  if (argc < 2) usage();
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto need = [&](const char* what) -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "[ALERT]    (%d) : Cannot handle option %s without %s.\n", g_pid, a.c_str(), what);
        usage();
      }
      return argv[++i];
    };
    if (a == "-f") o.files.push_back(need("a file"));
    else if (a == "--") {
      while (i + 1 < argc) o.files.push_back(argv[++i]);
    } else if (a == "-c") o.check = true;
    else if (a == "-d") o.debug = o.foreground = true;
    else if (a == "-db") o.foreground = true;
    else if (a == "-D") o.daemon = true;
    else if (a == "-q") o.quiet = true;
    else if (a == "-V") o.quiet = false;
    else if (a == "-v") {
      print_version(stdout);
      std::exit(0);
    } else if (a == "-vv") {
      print_version(stdout);
      std::printf("\n");
      print_build_options();
      std::exit(0);
    } else if (a == "-p") o.pidfile = need("a pidfile");
    else if (a == "-n") o.maxconn = static_cast<uint32_t>(std::atoi(need("a value").c_str()));
    else if (a == "-x") o.old_socket = need("a unix socket");
    else if (a == "-S") o.master_cli = need("a socket");
    else if (a == "-L") config::set_command_line_localpeer(need("an argument"));
    else if (a == "-N" || a == "-m" || a == "-C") need("an argument");
    else if (a == "-sf" || a == "-st") {
      auto& list = a == "-sf" ? o.soft_stop_pids : o.hard_stop_pids;
      while (i + 1 < argc && is_pid(argv[i + 1])) list.push_back(static_cast<pid_t>(std::atoi(argv[++i])));
    } else if (a == "-dW") o.fail_on_warnings = true;
    else if (a == "-W") o.master_worker = true;
    else if (a == "-Ws") o.master_worker = o.notify = true;
    else if (a.rfind("-d", 0) == 0) {
      // Accepted for compatibility with HAProxy's unit files and test harnesses.
    } else if (a[0] != '-') {
      o.files.push_back(a);   // HAProxy also takes bare file names after the options
    } else {
      std::fprintf(stderr, "[ALERT]    (%d) : unknown option '%s'.\n", g_pid, a.c_str());
      usage();
    }
  }
  if (o.files.empty()) {
    std::fprintf(stderr, "[ALERT]    (%d) : No configuration file specified.\n", g_pid);
    usage();
  }
  return o;
}

void warning(const std::string& msg) { std::fprintf(stderr, "[WARNING]  (%d) : %s\n", g_pid, msg.c_str()); }

// The descriptors a maxconn needs, counted as haproxy 2.6.12 counts them (its maxsock, observed
// with varied maxconn, binds, stats sockets, checks and threads): two per connection, one per
// listening socket, eleven per stats socket (its listener and its 10 connections), one per
// checked server, three per thread and ten more.
uint64_t needed_fds(const config::Config& cfg, uint32_t maxconn, uint32_t nbthread) {
  uint64_t n = 2ull * maxconn + 11ull * cfg.global.stats_sockets.size() + 3ull * nbthread + 10;
  for (const auto& p : cfg.proxies) {
    if (p.is_frontend())
      for (const auto& b : p.binds) n += b.addresses.size();
    if (p.is_backend())
      for (const auto& s : p.servers) n += s.check ? 1 : 0;
  }
  return n;
}

// Raises the open-files limit to `ulimit-n`, or else to what maxconn needs (never lowers it).
// When that fails or is still short of what maxconn needs, `strict-limits` (the default, as in
// HAProxy 2.6) refuses to start; `no strict-limits` says so and goes on with what it has.
// HAProxy's messages and levels (observed on 2.6.12).
bool raise_fd_limit(const config::Config& cfg, uint32_t maxconn, uint32_t nbthread) {
  const config::Global& g = cfg.global;
  const uint64_t maxsock = needed_fds(cfg, maxconn, nbthread);
  const rlim_t want = g.ulimit_n ? g.ulimit_n : maxsock;
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < want) {
    rlimit nl = rl;
    nl.rlim_cur = want;
    if (nl.rlim_max < want) nl.rlim_max = want;
    if (setrlimit(RLIMIT_NOFILE, &nl) != 0) {
      nl.rlim_max = rl.rlim_max;
      nl.rlim_cur = rl.rlim_max;
      setrlimit(RLIMIT_NOFILE, &nl);
      getrlimit(RLIMIT_NOFILE, &rl);
      const std::string msg = "[portero.main()] Cannot raise FD limit to " + std::to_string(want) + ", limit is " +
                              std::to_string(rl.rlim_cur) + ".";
      if (g.strict_limits) {
        alert(msg);
        return false;
      }
      warning(msg);
    }
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  if (rl.rlim_cur >= maxsock) return true;
  alert("[portero.main()] FD limit (" + std::to_string(rl.rlim_cur) + ") too low for maxconn=" +
        std::to_string(maxconn) + "/maxsock=" + std::to_string(maxsock) + ". Please raise 'ulimit-n' to " +
        std::to_string(maxsock) + " or more to avoid any trouble.");
  return !g.strict_limits;
}

bool drop_privileges(const config::Global& g) {
  gid_t gid = 0;
  uid_t uid = 0;
  bool set_gid = false, set_uid = false;
  if (!g.group.empty()) {
    group* gr = getgrnam(g.group.c_str());
    if (!gr) {
      alert("[portero.main()] Cannot find group id for '" + g.group + "' (" + std::strerror(errno ? errno : ENOENT) + ")");
      return false;
    }
    gid = gr->gr_gid;
    set_gid = true;
  } else if (g.gid) {
    gid = *g.gid;
    set_gid = true;
  }
  if (!g.user.empty()) {
    passwd* pw = getpwnam(g.user.c_str());
    if (!pw) {
      alert("[portero.main()] Cannot find user id for '" + g.user + "' (" + std::strerror(errno ? errno : ENOENT) + ")");
      return false;
    }
    uid = pw->pw_uid;
    if (!set_gid) {
      gid = pw->pw_gid;
      set_gid = true;
    }
    set_uid = true;
  } else if (g.uid) {
    uid = *g.uid;
    set_uid = true;
  }
  if (!g.chroot.empty()) {
    if (chroot(g.chroot.c_str()) != 0 || chdir("/") != 0) {
      alert("[portero.main()] Cannot chroot(" + g.chroot + ").");
      return false;
    }
  }
  if (set_gid && getuid() == 0) {
    setgroups(0, nullptr);
    if (setgid(gid) != 0) {
      alert("[portero.main()] Cannot set gid " + std::to_string(gid) + ".");
      return false;
    }
  }
  if (set_uid && uid != getuid()) {
    if (setuid(uid) != 0) {
      alert("[portero.main()] Cannot set uid " + std::to_string(uid) + ".");
      return false;
    }
  }
  return true;
}

bool write_pidfile(const std::string& path, pid_t pid) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) {
    alert("[portero.main()] Cannot create pidfile " + path);
    return false;
  }
  std::fprintf(f, "%d\n", pid);
  std::fclose(f);
  return true;
}

// Parses a CPU list such as "0-3 6" or "0,2-3" into CPU numbers.
std::vector<int> parse_cpus(const std::string& text) {
  std::vector<int> out;
  std::string item;
  auto flush = [&] {
    if (item.empty()) return;
    int lo = 0, hi = 0;
    if (std::sscanf(item.c_str(), "%d-%d", &lo, &hi) == 2) {
      for (int c = lo; c <= hi && c < CPU_SETSIZE; ++c) out.push_back(c);
    } else if (std::sscanf(item.c_str(), "%d", &lo) == 1 && lo >= 0 && lo < CPU_SETSIZE) {
      out.push_back(lo);
    }
    item.clear();
  };
  for (char ch : text) {
    if (ch == ' ' || ch == ',') flush();
    else item += ch;
  }
  flush();
  return out;
}

// Without `nbthread`, one thread per CPU this process may run on (HAProxy 2.6's default),
// at most 64.
uint32_t default_nbthread() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  return static_cast<uint32_t>(std::clamp(CPU_COUNT(&set), 1, 64));
}

// `cpu-map [auto:]1/<thread|range|all> <cpus>`: pins worker threads. With `auto:` and a range of
// threads, the CPUs are handed out one per thread in order, as HAProxy does.
void apply_cpu_map(const config::Global& g, std::vector<std::unique_ptr<proxy::Worker>>& workers) {
  for (const auto& m : g.cpu_map) {
    std::string spec = m.process_or_thread;
    bool autom = spec.rfind("auto:", 0) == 0;
    if (autom) spec = spec.substr(5);
    size_t slash = spec.find('/');
    std::string threads = slash == std::string::npos ? "all" : spec.substr(slash + 1);
    int lo = 1, hi = static_cast<int>(workers.size());
    if (threads != "all" && std::sscanf(threads.c_str(), "%d-%d", &lo, &hi) != 2) {
      if (std::sscanf(threads.c_str(), "%d", &lo) != 1) continue;
      hi = lo;
    }
    std::vector<int> cpus = parse_cpus(m.cpus);
    for (int t = lo; t <= hi && t <= static_cast<int>(workers.size()); ++t) {
      if (t < 1) continue;
      if (autom && !cpus.empty())
        workers[t - 1]->set_affinity({cpus[(t - lo) % cpus.size()]});
      else
        workers[t - 1]->set_affinity(cpus);
    }
  }
}

// What health checks ask of the rest of the process (main thread).
class CheckEvents final : public check::Events {
 public:
  CheckEvents(const proxy::Runtime& rt, std::vector<std::unique_ptr<proxy::Worker>>& workers, bool to_stderr)
      : rt_(rt), cfg_(*rt.config), workers_(workers), sender_(cfg_.global), to_stderr_(to_stderr) {
    sender_.set_pid(static_cast<uint32_t>(getpid()));
  }
  void server_state_changed(int proxy, int) override { rt_.refresh_backend(proxy); }
  void log(int proxy, int level, std::string_view message) override {
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    const auto& targets = proxy >= 0 ? cfg_.proxies[proxy].logs : cfg_.global.logs;
    sender_.send(std::span<const config::LogTarget>(targets), level, message, now);
    if (!to_stderr_) return;
    // In the foreground HAProxy also prints these on stderr, an emergency as an alert.
    std::string line(message);
    if (level == 0 && proxy >= 0)
      std::fprintf(stderr, "[ALERT]    (%d) : %s '%s' has no server available!\n", getpid(),
                   cfg_.proxies[proxy].kind == config::Proxy::Kind::listen ? "proxy" : "backend",
                   cfg_.proxies[proxy].name.c_str());
    else
      std::fprintf(stderr, "[WARNING]  (%d) : %s\n", getpid(), line.c_str());
  }
  void shutdown_sessions(int proxy, int server) override {
    for (auto& w : workers_) w->shutdown_server_sessions(proxy, server);
  }

 private:
  const proxy::Runtime& rt_;
  const config::Config& cfg_;
  std::vector<std::unique_ptr<proxy::Worker>>& workers_;
  log::Sender sender_;
  bool to_stderr_;
};

// The main thread's loop: signals in, control out to the workers, and the end of the run.
struct Control {
  uv_loop_t loop;
  uv_signal_t sig_usr1, sig_term, sig_int, sig_ttou, sig_ttin, sig_hup, sig_usr2;
  uv_async_t worker_done;
  uv_timer_t hard_stop_timer;       // hard-stop-after: bounds a soft stop
  uint64_t hard_stop_after_ms = 0;
  uv_timer_t grace_timer;           // grace: the listeners stay open this long after SIGUSR1
  uint64_t grace_ms = 0;
  std::vector<std::unique_ptr<proxy::Worker>>* workers = nullptr;
  std::atomic<int> running{0};
  int stop_signal = 0;              // SIGTERM or SIGINT when one cut the run
  bool listeners_closing = false;   // stopping: the sockets are no longer ours to hand over
  peers::Service* peers = nullptr;
  bool handing_over = false;        // the peers give the tables to the new process; the loop waits
};

Control* g_control = nullptr;

void on_signal(uv_signal_t* h, int signum) {
  auto& workers = *g_control->workers;
  switch (signum) {
    case SIGUSR1:
      g_control->listeners_closing = true;
      if (g_control->peers && !g_control->handing_over) {
        g_control->handing_over = true;
        g_control->peers->hand_over([] {
          g_control->handing_over = false;
          if (g_control->running.load() == 0) uv_stop(&g_control->loop);
        });
      }
      if (g_control->grace_ms) {
        if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&g_control->grace_timer)))
          uv_timer_start(&g_control->grace_timer, [](uv_timer_t*) {
            for (auto& w : *g_control->workers) w->soft_stop();
          }, g_control->grace_ms, 0);
      } else {
        for (auto& w : workers) w->soft_stop();
      }
      if (g_control->hard_stop_after_ms && !uv_is_active(reinterpret_cast<uv_handle_t*>(&g_control->hard_stop_timer)))
        uv_timer_start(&g_control->hard_stop_timer, [](uv_timer_t*) {
          for (auto& w : *g_control->workers) w->hard_stop();
        }, g_control->hard_stop_after_ms, 0);
      break;
    case SIGTERM:
    case SIGINT:
      g_control->stop_signal = signum;
      g_control->listeners_closing = true;
      for (auto& w : workers) w->hard_stop();
      break;
    case SIGTTOU:
      for (auto& w : workers) w->pause_listeners();
      break;
    case SIGTTIN:
      for (auto& w : workers) w->resume_listeners();
      break;
    default:
      break;  // SIGHUP/SIGUSR2: reloads are the master's (master-worker mode)
  }
  (void)h;
}

master::Settings master_settings(int argc, char** argv, const Options& opt, const config::Config* cfg) {
  master::Settings s;
  s.argv.assign(argv, argv + argc);
  s.notify = opt.notify;
  s.cli = opt.master_cli;
  s.quiet = opt.quiet;
  if (cfg) {
    s.daemon = (opt.daemon || cfg->global.daemon) && !opt.foreground;
    s.exit_on_failure = cfg->global.master_exit_on_failure;
    s.max_reloads = cfg->global.mworker_max_reloads;
    s.pidfile = !opt.pidfile.empty() ? opt.pidfile : cfg->global.pidfile;
  }
  return s;
}

// A master whose reload failed goes on with its workers and the sockets it had (those the
// failed image adopted, or else the ones its environment still names).
[[noreturn]] void recover_master(int argc, char** argv, const Options& opt, core::ListenerSet* kept) {
  core::ListenerSet inherited;
  if (!kept) {
    inherited.adopt_from_environment();
    kept = &inherited;
  }
  master::Settings s = master_settings(argc, argv, opt, nullptr);
  s.listeners = kept->fds();
  master::recover(s);
}

}  // namespace

int main(int argc, char** argv) {
  g_pid = getpid();
  std::signal(SIGPIPE, SIG_IGN);
  Options opt = parse_args(argc, argv);

  config::Diagnostics diag;
  config::ConfigPtr cfg = config::load(opt.files, diag);
  // ACLs, conditions and rule expressions are compiled before anything starts (and by -c).
  std::unique_ptr<proxy::BoundRules> rules;
  // TLS contexts (certificates, keys, ciphers...) are built once, by -c too. They must outlive
  // every SSL made from them (the data plane takes them from here).
  std::unique_ptr<tls::Contexts> tls_contexts;
  stats::SavedStates saved_states;
  if (cfg && !diag.has_errors()) {
    const size_t first = diag.all().size();
    rules = proxy::bind_rules(*cfg, diag);
    tls_contexts = tls::Contexts::build(*cfg, diag);
    // Errors found now end the way HAProxy ends them (at parse or check time).
    if (!rules || !tls_contexts) diag.finish_late(first, cfg->files);
    // Server states a previous process saved (their warnings are the configuration's, -c too).
    else saved_states = stats::read_server_states(*cfg, diag, master::take_carried_server_state());
  }
  bool printed_notice = false;
  // -dW or `zero-warning`: a warning refuses the configuration, -c included.
  bool warn_fail = (opt.fail_on_warnings || (cfg && cfg->global.zero_warning)) && diag.has_warnings();
  const bool quiet = opt.quiet || diag.quiet_from.has_value();  // -q, or a global `quiet`
  if (!opt.quiet && diag.printable() > 0) {
    notice_header(printed_notice);
    diag.print(stderr, g_pid);
  }
  if (!cfg || !rules || !tls_contexts || diag.has_errors() || warn_fail) {
    if (!quiet && warn_fail && !diag.has_errors())
      alert("config : Some warnings were found and 'zero-warning' is set. Aborting.");
    // A master reloading a broken configuration keeps its workers.
    if (master::reexecuted()) recover_master(argc, argv, opt, nullptr);
    return 1;
  }
  if (opt.check) {
    if (!quiet) {
      if (diag.has_warnings()) std::printf("Warnings were found.\n");
      std::printf("Configuration file is valid\n");
    }
    return 0;
  }
  uint32_t nbthread = cfg->global.nbthread ? cfg->global.nbthread : default_nbthread();
  const bool master_worker = opt.master_worker || cfg->global.master_worker;
  // A maxconn derived from the fd limit needs no more of it.
  if ((cfg->global.maxconn || opt.maxconn) &&
      !raise_fd_limit(*cfg, opt.maxconn ? opt.maxconn : cfg->global.effective_maxconn(), nbthread)) {
    if (master::reexecuted()) recover_master(argc, argv, opt, nullptr);
    return 1;
  }

  // The listening sockets: those a predecessor handed over (the master's previous image, or
  // the old process behind -x) are adopted, the others opened. The master opens them and every
  // worker it forks inherits them, so a reload never closes a socket that still queues.
  core::ListenerSet listeners;
  listeners.adopt_from_environment();
  if (!opt.old_socket.empty() && !master::reexecuted() && opt.old_socket != "/dev/null") {
    std::vector<int> fds;
    std::string err;
    if (!core::fetch_listening_sockets(opt.old_socket, fds, err)) {
      notice_header(printed_notice);
      warning(err);
      alert("Failed to get the sockets from the old process!");
      if (!master_worker) return 1;
    }
    listeners.adopt(fds);
  }
  {
    std::vector<std::string> alerts;
    const bool bound = listeners.open_binds(*cfg, nbthread, cfg->global.effective_maxconn(), alerts);
    if (!alerts.empty()) notice_header(printed_notice);
    for (const auto& a : alerts) alert(a);
    if (!bound) alert("[portero.main()] Some protocols failed to start their listeners! Exiting.");
    else if (listeners.bound().empty()) {
      notice_header(printed_notice);
      alert("[portero.main()] No enabled listener found (check for 'bind' directives) ! Exiting.");
    }
    if (!bound || listeners.bound().empty()) {
      // A master reloading keeps its workers and the sockets they accept on.
      listeners.abandon();
      if (master::reexecuted()) recover_master(argc, argv, opt, &listeners);
      return 1;
    }
  }
  listeners.close_unclaimed();   // binds gone from the configuration

  if (master_worker) {
    master::Settings ms = master_settings(argc, argv, opt, cfg.get());
    ms.listeners = listeners.fds();
    master::run(ms);  // returns in the worker only
    g_pid = getpid();
  }

  auto rt = std::make_unique<proxy::Runtime>(cfg);
  rt->debug = opt.debug;
  rt->rules = std::move(rules);
  rt->tls = std::move(tls_contexts);
  for (const auto& f : rt->rules->log_formats) rt->log_formats.push_back(f.get());
  if (opt.maxconn) rt->maxconn = opt.maxconn;

  rt->make_counters(nbthread);
  std::vector<std::unique_ptr<proxy::Worker>> workers;
  for (uint32_t i = 0; i < nbthread; ++i) workers.push_back(std::make_unique<proxy::Worker>(*rt, static_cast<int>(i)));

  for (const auto& b : listeners.bound()) workers[b.thread]->add_listener(b.fd, b.proxy, b.bind);
  const size_t n_listeners = listeners.bound().size();
  std::vector<proxy::Worker*> peers;
  for (auto& w : workers) peers.push_back(w.get());
  for (auto& w : workers) w->set_peers(peers);
  if (saved_states.any()) {
    std::vector<std::vector<lb::ServerState*>> states(cfg->proxies.size());
    for (size_t i = 0; i < cfg->proxies.size(); ++i) states[i] = rt->backends[i].states;
    stats::apply_server_states(saved_states, *cfg, states);
  }
  {
    std::string err;
    if (!rt->make_balancers(err)) {
      notice_header(printed_notice);
      alert("config : " + err);
      return 1;
    }
  }

  // A worker never detaches nor writes the pidfile: its master does.
  bool daemon = (opt.daemon || cfg->global.daemon) && !opt.foreground && !master::is_worker();
  std::string pidfile = !opt.pidfile.empty() ? opt.pidfile : cfg->global.pidfile;
  if (daemon) {
    pid_t child = fork();
    if (child < 0) {
      alert("[portero.main()] Cannot fork.");
      return 1;
    }
    if (child > 0) {
      if (!pidfile.empty()) write_pidfile(pidfile, child);
      return 0;
    }
    setsid();
    g_pid = getpid();
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      dup2(devnull, 0);
      dup2(devnull, 1);
      dup2(devnull, 2);
      if (devnull > 2) close(devnull);
    }
  }
  // Like HAProxy, a foreground process writes no pidfile (supervisors track it themselves).

  Control control;
  g_control = &control;
  control.workers = &workers;
  uv_loop_init(&control.loop);
  uv_async_init(&control.loop, &control.worker_done, [](uv_async_t* a) {
    auto* c = static_cast<Control*>(a->data);
    if (c->running.load() == 0 && !c->handing_over) uv_stop(&c->loop);
  });
  control.worker_done.data = &control;
  uv_timer_init(&control.loop, &control.hard_stop_timer);
  uv_unref(reinterpret_cast<uv_handle_t*>(&control.hard_stop_timer));
  control.hard_stop_after_ms = cfg->global.hard_stop_after_ms;
  uv_timer_init(&control.loop, &control.grace_timer);
  control.grace_ms = cfg->global.grace_ms;
  struct { uv_signal_t* h; int sig; } sigs[] = {
      {&control.sig_usr1, SIGUSR1}, {&control.sig_term, SIGTERM}, {&control.sig_int, SIGINT},
      {&control.sig_ttou, SIGTTOU}, {&control.sig_ttin, SIGTTIN}, {&control.sig_hup, SIGHUP},
      {&control.sig_usr2, SIGUSR2}};
  for (auto& s : sigs) {
    uv_signal_init(&control.loop, s.h);
    uv_signal_start(s.h, on_signal, s.sig);
  }
  if (master::is_worker()) master::unblock_signals();   // what arrived meanwhile is handled now

  // The stats page service and the admin socket (bound before privileges are dropped).
  stats::ProcessInfo process;
  process.version = PORTERO_VERSION;
  process.release_date = PORTERO_RELEASE_DATE;
  process.build_info = "portero " PORTERO_VERSION ", " PORTERO_COMPAT;
  process.pid = getpid();
  process.start_time_ms = uint64_t(std::time(nullptr)) * 1000;
  process.nbthread = nbthread;
  rlimit nofile{};
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0) process.ulimit_n = uint32_t(nofile.rlim_cur);
  process.maxconn = rt->maxconn.load();
  process.listeners = uint32_t(n_listeners);
  Observability observe(&control.loop, *rt, peers, std::move(process));
  {
    std::string err;
    if (!observe.bind_admin(err, master::worker_channel())) {
      alert(err);
      return 1;
    }
  }
  // Peers share the stick tables on this (main) thread's loop; their listeners bind now.
  std::unique_ptr<peers::Service> peer_service;
  {
    std::string err;
    peer_service = peers::Service::create(&control.loop, *cfg, *rt->tables, err);
    if (!err.empty()) {
      alert(err);
      return 1;
    }
  }
  if (peers::Service* ps = peer_service.get())
    observe.expose_peers([ps](std::string_view section, bool& found) { return ps->show(section, found); },
                         [ps](uint32_t& active, uint32_t& connected) { ps->counts(active, connected); });
  observe.expose_listeners([&control, &listeners] {
    return control.listeners_closing ? std::vector<int>{} : listeners.listening_fds();
  });
  if (!drop_privileges(cfg->global)) return 1;

  apply_cpu_map(cfg->global, workers);
  control.running = static_cast<int>(workers.size());
  for (auto& w : workers)
    w->start([&control] {
      control.running.fetch_sub(1);
      uv_async_send(&control.worker_done);
    });

  // Health checks run on this (main) thread's loop and write the shared server states.
  CheckEvents check_events(*rt, workers, !daemon && !opt.quiet);
  std::vector<std::vector<lb::ServerState*>> states(cfg->proxies.size());
  for (size_t i = 0; i < cfg->proxies.size(); ++i) states[i] = rt->backends[i].states;
  std::unique_ptr<check::Checker> checker = check::Checker::create(&control.loop, *cfg, std::move(states), check_events,
                                                                    rt->tls.get());
  if (checker && saved_states.any()) stats::apply_check_states(saved_states, *cfg, *checker);
  if (checker) checker->start();
  if (peer_service) peer_service->start();
  control.peers = peer_service.get();
  observe.start(checker.get(), [&check_events](int proxy, int level, std::string_view msg) {
    check_events.log(proxy, level, msg);
  });
  // DNS re-resolves the servers of `resolvers` sections on this loop, next to the checks.
  std::unique_ptr<dns::Service> dns_service;
  {
    std::string err;
    dns_service = dns::Service::create(&control.loop, *cfg, observe.source(), err);
    if (!err.empty()) {
      alert(err);
      return 1;
    }
    dns::Service* svc = dns_service.get();
    observe.source().show_resolvers = [svc, &cfg](std::string_view id, bool& found) {
      return dns::show_resolvers(svc, *cfg, id, found);
    };
    if (dns_service) dns_service->start();
  }

  // The new listeners accept: now the old processes may go.
  for (pid_t p : opt.soft_stop_pids) kill(p, SIGUSR1);
  for (pid_t p : opt.hard_stop_pids) kill(p, SIGTERM);
  master::worker_ready();

  uv_run(&control.loop, UV_RUN_DEFAULT);
  if (checker) checker->stop();
  if (dns_service) dns_service->stop();
  control.peers = nullptr;
  if (peer_service) peer_service->stop();
  for (auto& w : workers) w->join();
  observe.stop();
  workers.clear();
  uv_walk(&control.loop, [](uv_handle_t* h, void*) { if (!uv_is_closing(h)) uv_close(h, nullptr); }, nullptr);
  uv_run(&control.loop, UV_RUN_DEFAULT);
  uv_loop_close(&control.loop);
  // A worker stopped by SIGTERM/SIGINT reports the signal to its master, as HAProxy's do.
  if (master::is_worker() && control.stop_signal) return 128 + control.stop_signal;
  return 0;
}
