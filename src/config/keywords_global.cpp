// `global` section keywords: process settings, tuning, stats socket.
#include <grp.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <pwd.h>

#include "parse_context.h"
#include "unimplemented.h"
#include "portero/config/units.h"

namespace portero::config {
namespace {

Global& g(ParseContext& c) { return c.config.global; }

bool one_uint(ParseContext& c, const Args& a, uint32_t& out, const std::string& msg) {
  if (a.size() < 2 || !parse_uint(a[1], out)) {
    c.alert(msg);
    return false;
  }
  return true;
}

void kw_daemon(ParseContext& c, const Args&) { g(c).daemon = true; }

// `master-worker [no-exit-on-failure]`: master-worker mode, as -W.
void kw_master_worker(ParseContext& c, const Args& a) {
  if (a.size() > 1 && a[1] != "no-exit-on-failure")
    return c.alert("'master-worker' only supports 'no-exit-on-failure' option.");
  g(c).master_worker = true;
  if (a.size() > 1) g(c).master_exit_on_failure = false;
}

void kw_zero_warning(ParseContext& c, const Args&) { g(c).zero_warning = true; }
void kw_strict_limits(ParseContext& c, const Args&) { g(c).strict_limits = !c.negated; }
void kw_pp2_never_send_local(ParseContext& c, const Args&) { g(c).pp2_never_send_local = true; }

// `quiet`: nothing said after this line is printed, not even the verdict of -c (as HAProxy).
void kw_quiet(ParseContext& c, const Args&) {
  if (!c.diag.quiet_from) c.diag.quiet_from = c.diag.all().size();
}

void kw_pidfile(ParseContext& c, const Args& a) {
  if (a.size() < 2) return c.alert("'pidfile' expects a file name as an argument.");
  g(c).pidfile = a[1];
}

void kw_maxconn(ParseContext& c, const Args& a) {
  // HAProxy reads it with atol(): only a missing value is an error.
  if (a.size() < 2) return c.alert("'maxconn' expects an integer argument.");
  g(c).maxconn = uint32_t(std::strtoul(a[1].c_str(), nullptr, 10));
}

void kw_nbthread(ParseContext& c, const Args& a) {
  uint32_t n = 0;
  if (a.size() < 2 || !parse_uint(a[1], n)) return c.alert("'nbthread' expects an integer argument.");
  if (n < 1 || n > 64)
    return c.alert("'nbthread' value must be between 1 and 64 (was " + std::to_string(n) + ")");
  g(c).nbthread = n;
}

void kw_nbproc(ParseContext& c, const Args&) {
  c.alert("nbproc is not supported any more since HAProxy 2.5. Threads will automatically be used "
          "on multi-processor machines if available.");
}

void kw_cpu_map(ParseContext& c, const Args& a) {
  if (a.size() < 3)
    return c.alert("cpu-map expects a process number  ('all', 'odd', 'even', a number from 1 to 64 "
                   "or a range),  followed by a list of CPU ranges with numbers from 0 to 63.");
  CpuMap m;
  m.process_or_thread = a[1];
  for (size_t i = 2; i < a.size(); ++i) m.cpus += (i > 2 ? " " : "") + a[i];
  g(c).cpu_map.push_back(m);
}

void kw_user(ParseContext& c, const Args& a) {
  const std::string name = a.size() > 1 ? a[1] : "";
  passwd* pw = getpwnam(name.c_str());
  if (!pw) return c.alert("cannot find user id for '" + name + "' (0:Success)");
  g(c).user = name;
  g(c).uid = pw->pw_uid;
}

void kw_group(ParseContext& c, const Args& a) {
  const std::string name = a.size() > 1 ? a[1] : "";
  group* gr = getgrnam(name.c_str());
  if (!gr) return c.alert("cannot find group id for '" + name + "' (0:Success)");
  g(c).group = name;
  g(c).gid = gr->gr_gid;
}

void kw_uid_gid(ParseContext& c, const Args& a) {
  const bool is_uid = a[0] == "uid";
  uint32_t v = 0;
  if (a.size() < 2) return c.alert("'" + a[0] + "' expects an integer argument.");
  if (!parse_uint(a[1], v))
    return c.warning(" " + a[0] + ": string '" + a[1] + "' is not a number.\n   | You might want to use the '" +
                     (is_uid ? "user" : "group") + "' parameter to use a system " +
                     (is_uid ? "user" : "group") + " name.");
  (is_uid ? g(c).uid : g(c).gid) = v;
}

void kw_chroot(ParseContext& c, const Args& a) {
  if (a.size() < 2) return c.alert("'chroot' expects a directory as an argument.");
  g(c).chroot = a[1];
}

void kw_ulimit(ParseContext& c, const Args& a) {
  one_uint(c, a, g(c).ulimit_n, "'ulimit-n' expects an integer argument.");
}

void kw_bufsize(ParseContext& c, const Args& a) {
  uint32_t v = 0;
  if (a.size() < 2 || !parse_uint(a[1], v) || v == 0)
    return c.alert("'tune.bufsize' expects a positive integer argument.");
  g(c).tune_bufsize = v;
}

void kw_maxrewrite(ParseContext& c, const Args& a) {
  one_uint(c, a, g(c).tune_maxrewrite, "'tune.maxrewrite' expects an integer argument.");
}

void kw_maxhdr(ParseContext& c, const Args& a) {
  uint32_t v = 0;
  if (a.size() < 2 || !parse_uint(a[1], v) || v < 1 || v > 32767)
    return c.alert("'tune.http.maxhdr' expects a numeric value between 1 and 32767");
  g(c).tune_http_maxhdr = v;
}

void kw_log_tag(ParseContext& c, const Args& a) {
  if (a.size() < 2) return c.alert("'log-tag' expects a tag for use in syslog.");
  g(c).log_tag = a[1];
}

void kw_log_send_hostname(ParseContext& c, const Args& a) {
  g(c).log_send_hostname = true;
  if (a.size() > 1) g(c).node = g(c).node.empty() ? a[1] : g(c).node;
}

// `localpeer NAME`: this process's name in peers sections (-L wins over it).
void kw_localpeer(ParseContext& c, const Args& a) {
  if (a.size() > 2) return c.alert("'localpeer' cannot handle unexpected argument '" + a[2] + "'.");
  if (a.size() < 2 || a[1].empty()) return c.alert("'localpeer' expects a name as an argument.");
  if (g(c).localpeer_cmdline)
    return c.warning("'localpeer' ignored since it is already set by using the '-L' command line argument.");
  g(c).localpeer = a[1];
}

void kw_node(ParseContext& c, const Args& a) {
  if (a.size() < 2) return c.alert("'node' expects a string argument.");
  g(c).node = a[1];
}

void kw_description(ParseContext& c, const Args& a) {
  if (a.size() < 2) return c.alert(Form::tight, "'description' expects a string argument.");
  std::string d;
  for (size_t i = 1; i < a.size(); ++i) d += (i > 1 ? " " : "") + a[i];
  g(c).description = d;
}

void kw_hard_stop_after(ParseContext& c, const Args& a) {
  if (a.size() < 2) return c.alert("'hard-stop-after' expects <time> as argument.\n");
  auto v = time_value(c, a[1]);
  if (!v) {
    size_t i = 0;
    while (i < a[1].size() && std::isdigit(static_cast<unsigned char>(a[1][i]))) ++i;
    return c.alert("unexpected character '" + std::string(1, i < a[1].size() ? a[1][i] : ' ') +
                   "' in argument to <hard-stop-after>.\n");
  }
  g(c).hard_stop_after_ms = uint32_t(*v);
}

// `server-state-file <path>` / `server-state-base <dir>`: the first one written wins; a second
// one is an alert that does not fail the load, as haproxy 2.6's.
void state_path(ParseContext& c, const Args& a, std::string& dst, const char* what) {
  if (!dst.empty())
    return c.diag.alert_nonfatal(c.origin, Form::parsing, "'" + a[0] + "' already specified. Continuing.");
  if (a.size() != 2 || a[1].empty())
    return c.alert(a[0] == "server-state-file" ? "'server-state-file' expect one argument: a file path."
                                                : std::string("'") + a[0] + "' expects one argument: " + what + ".");
  dst = a[1];
}
void kw_server_state_file(ParseContext& c, const Args& a) { state_path(c, a, g(c).server_state_file, "a file path"); }
void kw_server_state_base(ParseContext& c, const Args& a) { state_path(c, a, g(c).server_state_base, "a directory path"); }

// `close-spread-time <time>|infinite` (words after the first are ignored, as by haproxy 2.6).
void kw_close_spread_time(ParseContext& c, const Args& a) {
  if (a.size() < 2) return c.alert("'close-spread-time' expects <time> as argument.\n");
  if (a[1] == "infinite") {
    g(c).close_spread_infinite = true;
    g(c).close_spread_ms = 0;
    return;
  }
  auto v = time_value(c, a[1]);
  if (!v) {
    size_t i = 0;
    while (i < a[1].size() && std::isdigit(static_cast<unsigned char>(a[1][i]))) ++i;
    return c.alert("unexpected character '" + std::string(1, i < a[1].size() ? a[1][i] : ' ') +
                   "' in argument to <close-spread-time>.\n");
  }
  g(c).close_spread_infinite = false;
  g(c).close_spread_ms = uint32_t(*v);
}

// `grace <time>`: the delay between SIGUSR1 (a reload's soft stop) and the listeners closing.
void kw_grace(ParseContext& c, const Args& a) {
  if (a.size() < 2) return c.alert("'grace' expects <time> as argument.\n");
  auto v = time_value(c, a[1]);
  if (!v) {
    size_t i = 0;
    while (i < a[1].size() && std::isdigit(static_cast<unsigned char>(a[1][i]))) ++i;
    return c.alert("unexpected character '" + std::string(1, i < a[1].size() ? a[1][i] : ' ') +
                   "' in argument to <grace>.\n");
  }
  g(c).grace_ms = uint32_t(*v);
}

// `mworker-max-reloads <n>`: a former worker still there after more than n reloads is
// terminated. (HAProxy 2.6 only warns about a bad value, with a garbled message; portero
// refuses it.)
void kw_mworker_max_reloads(ParseContext& c, const Args& a) {
  if (a.size() > 2) return c.alert("'mworker-max-reloads' cannot handle unexpected argument '" + a[2] + "'.");
  if (a.size() < 2 || a[1].empty()) return c.alert("'mworker-max-reloads' expects an integer argument.");
  const long v = std::atol(a[1].c_str());
  if (v < 0 || v > INT32_MAX)
    return c.alert("'mworker-max-reloads' : invalid value " + a[1] + ", must be >= 0");
  g(c).mworker_max_reloads = int32_t(v);
}

// `stats socket|timeout|maxconn|bind-process` in global.
void kw_stats(ParseContext& c, const Args& a) {
  const std::string sub = a.size() > 1 ? a[1] : "";
  if (sub == "socket") {
    if (a.size() < 3)
      return c.alert("'stats socket' in global section expects an address or a path to a UNIX socket");
    auto r = parse_address(a[2], true);
    if (!r.address) return c.alert("'stats socket' : " + r.error);
    StatsSocket s;
    s.origin = c.origin;
    s.address = *r.address;
    for (size_t i = 3; i < a.size(); ++i) {
      const std::string& o = a[i];
      const std::string v = i + 1 < a.size() ? a[i + 1] : "";
      if (o == "mode") {
        char* end = nullptr;
        unsigned long m = std::strtoul(v.c_str(), &end, 8);
        if (v.empty() || *end)
          return c.alert("'stats socket' : ''mode' : missing or invalid mode '" + v + "' (octal integer expected)'");
        s.mode = uint32_t(m);
        ++i;
      } else if (o == "user") { s.user = v; ++i;
      } else if (o == "group") { s.group = v; ++i;
      } else if (o == "level") {
        if (v != "user" && v != "operator" && v != "admin")
          return c.alert("'stats socket' : 'level' only supports 'user', 'operator', and 'admin'");
        s.level = v;
        ++i;
      } else if (o == "expose-fd") {
        if (v != "listeners")
          return c.alert("'stats socket' : 'expose-fd' only supports 'listeners'");
        s.expose_fd_listeners = true;
        ++i;
      } else if (o == "process") {  // no effect in HAProxy 2.6 either, which says so
        c.warning("'stats socket' : 'process " + v + "' on 'bind' lines is deprecated and will be removed in 2.7.");
        ++i;
      } else if (find_unimplemented(GapContext::stats_socket, o)) {
        if (check_unimplemented(c, GapContext::stats_socket, o) == GapResult::refused) return;
        ++i;
      } else {
        return c.alert("'stats socket' : unknown keyword '" + o + "'.");
      }
    }
    g(c).stats_sockets.push_back(std::move(s));
  } else if (sub == "timeout") {
    auto v = a.size() > 2 ? time_value(c, a[2]) : std::nullopt;
    if (!v) {
      std::string bad = a.size() > 2 ? a[2] : "";
      size_t i = 0;
      while (i < bad.size() && std::isdigit(static_cast<unsigned char>(bad[i]))) ++i;
      return c.alert("'stats timeout' : unexpected character '" + std::string(1, i < bad.size() ? bad[i] : ' ') + "'");
    }
    g(c).stats_timeout = *v;
  } else if (sub == "maxconn") {
    char* end = nullptr;
    const std::string v = a.size() > 2 ? a[2] : "";
    unsigned long n = std::strtoul(v.c_str(), &end, 10);
    if (v.empty() || *end || n == 0) return c.alert("'stats maxconn' : expects a positive integer value.");
    g(c).stats_maxconn = uint32_t(n);
  } else if (sub == "bind-process") {
    check_unimplemented(c, GapContext::stats_global, sub);
  } else {
    c.alert("'stats' only supports 'socket', 'maxconn', 'bind-process' and 'timeout' (got '" + sub + "')");
  }
}

// `setenv|presetenv NAME VALUE`, `unsetenv NAME...`, `resetenv [NAME...]`: the environment
// later lines expand (`${NAME}`, `$NAME`) and the process runs with, as HAProxy.
void kw_env(ParseContext& c, const Args& a) {
  const std::string& k = a[0];
  if (k == "setenv" || k == "presetenv") {
    if (a.size() != 3) return c.alert(Form::tight, "'" + k + "' expects a name and a value.");
    if (::setenv(a[1].c_str(), a[2].c_str(), k == "setenv") != 0)
      return c.alert(Form::tight, "'" + k + "' failed on variable '" + a[1] + "'.");
  } else if (k == "unsetenv") {
    if (a.size() < 2) return c.alert(Form::tight, "'unsetenv' expects at least one variable name.");
    for (size_t i = 1; i < a.size(); ++i) ::unsetenv(a[i].c_str());
  } else {  // resetenv: keep only the names listed
    std::vector<std::string> drop;
    for (char** e = environ; e && *e; ++e) {
      const std::string kv = *e;
      const std::string name = kv.substr(0, kv.find('='));
      if (std::find(a.begin() + 1, a.end(), name) == a.end()) drop.push_back(name);
    }
    for (const auto& n : drop) ::unsetenv(n.c_str());
  }
}

const KeywordRow kRows[] = {
    {kInGlobal, "setenv", false, Cap::any, false, kw_env},
    {kInGlobal, "presetenv", false, Cap::any, false, kw_env},
    {kInGlobal, "unsetenv", false, Cap::any, false, kw_env},
    {kInGlobal, "resetenv", false, Cap::any, false, kw_env},
    {kInGlobal, "daemon", false, Cap::any, false, kw_daemon},
    {kInGlobal, "master-worker", false, Cap::any, false, kw_master_worker},
    {kInGlobal, "zero-warning", false, Cap::any, false, kw_zero_warning},
    {kInGlobal, "quiet", false, Cap::any, false, kw_quiet},
    {kInGlobal, "pidfile", false, Cap::any, false, kw_pidfile},
    {kInGlobal, "maxconn", false, Cap::any, false, kw_maxconn},
    {kInGlobal, "nbthread", false, Cap::any, false, kw_nbthread},
    {kInGlobal, "nbproc", false, Cap::any, false, kw_nbproc},
    {kInGlobal, "cpu-map", false, Cap::any, false, kw_cpu_map},
    {kInGlobal, "user", false, Cap::any, false, kw_user},
    {kInGlobal, "group", false, Cap::any, false, kw_group},
    {kInGlobal, "uid", false, Cap::any, false, kw_uid_gid},
    {kInGlobal, "gid", false, Cap::any, false, kw_uid_gid},
    {kInGlobal, "chroot", false, Cap::any, false, kw_chroot},
    {kInGlobal, "ulimit-n", false, Cap::any, false, kw_ulimit},
    {kInGlobal, "strict-limits", false, Cap::any, false, kw_strict_limits},
    {kInGlobal, "pp2-never-send-local", false, Cap::any, false, kw_pp2_never_send_local},
    {kInGlobal, "tune.bufsize", false, Cap::any, false, kw_bufsize},
    {kInGlobal, "tune.maxrewrite", false, Cap::any, false, kw_maxrewrite},
    {kInGlobal, "tune.http.maxhdr", false, Cap::any, false, kw_maxhdr},
    {kInGlobal, "log-tag", false, Cap::any, false, kw_log_tag},
    {kInGlobal, "log-send-hostname", false, Cap::any, false, kw_log_send_hostname},
    {kInGlobal, "node", false, Cap::any, false, kw_node},
    {kInGlobal, "localpeer", false, Cap::any, false, kw_localpeer},
    {kInGlobal, "description", false, Cap::any, false, kw_description},
    {kInGlobal, "hard-stop-after", false, Cap::any, false, kw_hard_stop_after},
    {kInGlobal, "grace", false, Cap::any, false, kw_grace},
    {kInGlobal, "close-spread-time", false, Cap::any, false, kw_close_spread_time},
    {kInGlobal, "server-state-file", false, Cap::any, false, kw_server_state_file},
    {kInGlobal, "server-state-base", false, Cap::any, false, kw_server_state_base},
    {kInGlobal, "mworker-max-reloads", false, Cap::any, false, kw_mworker_max_reloads},
    {kInGlobal, "stats", false, Cap::any, false, kw_stats},
};

}  // namespace

void register_global_keywords(Registry& r) { r.add(kRows); }

}  // namespace portero::config
