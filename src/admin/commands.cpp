// The command table and the session commands (help, prompt, quit, levels, timeout, version).
#include "commands.h"

#include <cctype>
#include <optional>

#include "handlers.h"
#include "portero/config/units.h"

namespace portero::admin {
namespace {

std::string cmd_help(Context&, Session&, const Args& a) {
  return usage_message(usage_table(), Args(a.begin() + 1, a.end()), true);
}

std::string cmd_prompt(Context&, Session& s, const Args&) {
  s.interactive = !s.interactive;
  return "";
}

std::string cmd_quit(Context&, Session& s, const Args&) {
  s.quit = true;
  return "";
}

// `operator` / `user` only lower the level: the table already refuses `operator` to a user.
std::string cmd_operator(Context&, Session& s, const Args&) {
  s.level = Level::operator_;
  return "";
}

std::string cmd_user(Context&, Session& s, const Args&) {
  s.level = Level::user;
  return "";
}

std::string cmd_show_cli_level(Context&, Session& s, const Args&) { return std::string(level_name(s.level)) + "\n"; }

// The bare version, as HAProxy prints its own (`Name:` in `show info` says whose it is).
std::string cmd_show_version(Context& c, Session&, const Args&) { return c.src->process.version + "\n"; }

// `set timeout cli <delay>`: seconds unless a unit is given; only this connection changes.
std::string cmd_set_timeout(Context&, Session& s, const Args& a) {
  if (arg(a, 2) != "cli") return "'set timeout' only supports 'cli'.\n";
  std::string v(arg(a, 3));
  if (v.empty()) return "Expects an integer value.\n";
  if (std::isdigit(static_cast<unsigned char>(v.back()))) v += "s";
  const std::optional<uint64_t> ms = config::parse_time_ms(v);
  if (!ms || *ms == 0) return "Invalid timeout value.\n";
  s.timeout_ms = *ms;
  return "";
}

struct Command {
  Usage usage;
  Level level;
  Handler run;
};

// In help order (sorted by syntax); help, prompt and quit close the list. The help lines are
// those haproxy 2.6.12 prints for the same commands.
const std::vector<Command>& table() {
  static const std::vector<Command> t = {
      {{{"abort", "ssl", "cert"}, "abort ssl cert <certfile>", "abort a transaction for a certificate file"},
       Level::user, cmd_ssl_admin},
      {{{"add", "server"}, "add server <bk>/<srv>", "create a new server"}, Level::admin, cmd_add_server},
      {{{"add", "ssl", "crt-list"}, "add ssl crt-list <list> <cert> [opts]*",
        "add to crt-list file <list> a line <cert> or a payload"},
       Level::user, cmd_ssl_admin},
      {{{"clear", "counters"}, "clear counters [all]", "clear max statistics counters (or all counters)"},
       Level::operator_, cmd_clear_counters},
      {{{"clear", "table"}, "clear table <table> [<filter>]*", "remove an entry from a table (filter: data/key)"},
       Level::user, cmd_clear_table},
      {{{"commit", "ssl", "cert"}, "commit ssl cert <certfile>", "commit a certificate file"},
       Level::user, cmd_ssl_admin},
      {{{"del", "server"}, "del server <bk>/<srv>", "remove a dynamically added server"}, Level::admin, cmd_del_server},
      {{{"del", "ssl", "cert"}, "del ssl cert <certfile>", "delete an unused certificate file"},
       Level::user, cmd_ssl_admin},
      {{{"del", "ssl", "crt-list"}, "del ssl crt-list <list> <cert[:line]>",
        "delete a line <cert> from crt-list file <list>"},
       Level::user, cmd_ssl_admin},
      {{{"disable", "agent"}, "disable agent", "disable agent checks"}, Level::admin, cmd_disable_agent},
      {{{"disable", "health"}, "disable health", "disable health checks"}, Level::admin, cmd_disable_health},
      {{{"disable", "server"}, "disable server (DEPRECATED)",
        "disable a server for maintenance (use 'set server' instead)"},
       Level::admin, cmd_disable_server},
      {{{"enable", "agent"}, "enable agent", "enable agent checks"}, Level::admin, cmd_enable_agent},
      {{{"enable", "health"}, "enable health", "enable health checks"}, Level::admin, cmd_enable_health},
      {{{"enable", "server"}, "enable server  (DEPRECATED)", "enable a disabled server (use 'set server' instead)"},
       Level::admin, cmd_enable_server},
      {{{"get", "weight"}, "get weight <bk>/<srv>", "report a server's current weight"}, Level::user, cmd_get_weight},
      {{{"new", "ssl", "cert"}, "new ssl cert <certfile>",
        "create a new certificate file to be used in a crt-list or a directory"},
       Level::user, cmd_ssl_admin},
      {{{"operator"}, "operator", "lower the level of the current CLI session to operator"},
       Level::operator_, cmd_operator},
      {{{"set", "maxconn", "frontend"}, "set maxconn frontend <frontend> <value>", "change a frontend's maxconn setting"},
       Level::admin, cmd_set_maxconn_frontend},
      {{{"set", "maxconn", "global"}, "set maxconn global <value>", "change the per-process maxconn setting"},
       Level::admin, cmd_set_maxconn_global},
      {{{"set", "maxconn", "server"}, "set maxconn server <bk>/<srv>", "change a server's maxconn setting"},
       Level::admin, cmd_set_maxconn_server},
      {{{"set", "server"}, "set server <bk>/<srv> [opts]", "change a server's state, weight, address or ssl"},
       Level::admin, cmd_set_server},
      {{{"set", "ssl", "cert"}, "set ssl cert <certfile> <payload>", "replace a certificate file"},
       Level::user, cmd_ssl_admin},
      {{{"set", "ssl", "tls-key"}, "set ssl tls-key [id|file] <key>",
        "set the next TLS key for the <id> or <file> listener to <key>"},
       Level::user, cmd_tls_keys},
      {{{"set", "table"}, "set table <table> key <k> [data.* <v>]*", "update or create a table entry's data"},
       Level::user, cmd_set_table},
      {{{"set", "timeout"}, "set timeout [cli] <delay>", "change a timeout setting"}, Level::user, cmd_set_timeout},
      {{{"set", "weight"}, "set weight <bk>/<srv>  (DEPRECATED)",
        "change a server's weight (use 'set server' instead)"},
       Level::admin, cmd_set_weight},
      {{{"show", "backend"}, "show backend", "list backends in the current running config"},
       Level::user, cmd_show_backend},
      {{{"show", "cli", "level"}, "show cli level", "display the level of the current CLI session"},
       Level::user, cmd_show_cli_level},
      {{{"show", "errors"}, "show errors [<px>] [request|response]",
        "report last request and/or response errors for each proxy"},
       Level::operator_, cmd_show_errors},
      {{{"show", "info"}, "show info [desc|json|typed|float]*", "report information about the running process"},
       Level::user, cmd_show_info},
      {{{"show", "peers"}, "show peers [dict|-] [section]", "dump some information about all the peers or this peers section"},
       Level::user, cmd_show_peers},
      {{{"show", "pools"}, "show pools", "report information about the memory pools usage"},
       Level::user, cmd_show_pools},
      {{{"show", "resolvers"}, "show resolvers [id]",
        "dumps counters from all resolvers section and associated name servers"},
       Level::user, cmd_show_resolvers},
      {{{"show", "servers", "conn"}, "show servers conn [<backend>]",
        "dump server connections status (all or for a single backend)"},
       Level::user, cmd_show_servers_conn},
      {{{"show", "servers", "state"}, "show servers state [<backend>]",
        "dump volatile server information (all or for a single backend)"},
       Level::user, cmd_show_servers_state},
      {{{"show", "sess"}, "show sess [id]", "report the list of current sessions or dump this exact session"},
       Level::operator_, cmd_show_sess},
      {{{"show", "ssl", "cert"}, "show ssl cert [<certfile>]",
        "display the SSL certificates used in memory, or the details of a file"},
       Level::user, cmd_show_ssl_cert},
      {{{"show", "ssl", "crt-list"}, "show ssl crt-list [-n] [<list>]",
        "show the list of crt-lists or the content of a crt-list file <list>"},
       Level::user, cmd_ssl_admin},
      {{{"show", "stat"}, "show stat [desc|json|no-maint|typed|up]*", "report counters for each proxy and server"},
       Level::user, cmd_show_stat},
      {{{"show", "table"}, "show table <table> [<filter>]*",
        "report table usage stats or dump this table's contents (filter: data/key)"},
       Level::user, cmd_show_table},
      {{{"show", "tls-keys"}, "show tls-keys [id|*]",
        "show tls keys references or dump tls ticket keys when id specified"},
       Level::user, cmd_tls_keys},
      {{{"show", "version"}, "show version", "show version of the current process"}, Level::user, cmd_show_version},
      {{{"shutdown", "frontend"}, "shutdown frontend <frontend>", "stop a specific frontend"},
       Level::admin, cmd_shutdown_frontend},
      {{{"shutdown", "sessions", "server"}, "shutdown sessions server <bk>/<srv>", "kill sessions on a server"},
       Level::admin, cmd_shutdown_sessions},
      {{{"user"}, "user", "lower the level of the current CLI session to user"}, Level::user, cmd_user},
      {{{"help"}, "help [<command>]", "list matching or all commands", true}, Level::user, cmd_help},
      {{{"prompt"}, "prompt", "toggle interactive mode with prompt", true}, Level::user, cmd_prompt},
      {{{"quit"}, "quit", "disconnect", true}, Level::user, cmd_quit},
  };
  return t;
}

// The command whose words all lead `args` (the longest such), or null.
const Command* find(const Args& args) {
  const Command* best = nullptr;
  for (const auto& c : table()) {
    const auto& w = c.usage.words;
    if (w.size() > args.size()) continue;
    bool match = true;
    for (size_t i = 0; i < w.size() && match; ++i) match = w[i] == args[i];
    if (match && (!best || w.size() > best->usage.words.size())) best = &c;
  }
  return best;
}

}  // namespace

const std::vector<Usage>& usage_table() {
  static const std::vector<Usage> u = [] {
    std::vector<Usage> v;
    for (const auto& c : table()) v.push_back(c.usage);
    return v;
  }();
  return u;
}

std::string reply(const std::string& msg) {
  if (msg.empty()) return msg;
  if (msg == "Empty weight string empty or preceded by garbage" || msg == "Trailing garbage in weight string" ||
      msg == "maxconn string empty or preceded by garbage")
    return msg;
  return msg + "\n";
}

std::string run_command(Context& ctx, Session& s, const std::vector<std::string>& args) {
  const Command* c = args.empty() ? nullptr : find(args);
  if (!c) return usage_message(usage_table(), args, false);
  if (s.level < c->level) return "Permission denied\n";
  return c->run(ctx, s, args);
}

}  // namespace portero::admin
