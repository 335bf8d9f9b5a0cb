// Read-only views: show info/stat/servers state/backend/sess/errors/pools, and clear counters.
#include <cstdlib>

#include "dumps.h"
#include "handlers.h"
#include "portero/admin/actions.h"
#include "portero/stats/render.h"

namespace portero::admin {
namespace {

// atoi() as HAProxy's CLI uses it: leading digits with an optional sign, 0 when none.
int leading_int(std::string_view s) { return std::atoi(std::string(s).c_str()); }

// A proxy of any kind by name, -1 when there is none.
int proxy_by_name(const config::Config& cfg, std::string_view name) {
  for (size_t i = 0; i < cfg.proxies.size(); ++i)
    if (cfg.proxies[i].name == name) return int(i);
  return -1;
}

}  // namespace

std::string cmd_show_info(Context& c, Session&, const Args& a) {
  stats::InfoFormat f = stats::InfoFormat::plain;
  bool desc = false;
  for (size_t i = 2; i < a.size(); ++i) {
    if (a[i] == "typed") f = stats::InfoFormat::typed;
    else if (a[i] == "json") f = stats::InfoFormat::json;
    else if (a[i] == "desc") desc = true;
    // "float" only changes how HAProxy prints its few floating values; unknown words are ignored.
  }
  return stats::show_info(*c.src, f, desc);
}

// `show stat [<iid|proxy> <type> <sid>] [typed|json] [desc] [up|no-maint]`. As in HAProxy, the
// three positional words are taken whenever three words follow "show stat" (so `show stat up
// typed desc` looks for a proxy named "up"); options are read after them.
std::string cmd_show_stat(Context& c, Session& s, const Args& a) {
  stats::StatQuery q;
  q.show_private = s.level >= Level::operator_;
  size_t first_opt = 2;
  if (!arg(a, 2).empty() && !arg(a, 3).empty() && !arg(a, 4).empty()) {
    int iid = leading_int(a[2]);
    if (iid == 0) {
      const int p = proxy_by_name(*c.src->cfg, a[2]);
      if (p < 0) return "No such proxy.\n";
      iid = int(c.src->cfg->proxies[size_t(p)].id);
    }
    q.iid = iid;
    q.type_mask = leading_int(a[3]) & 7;
    q.sid = leading_int(a[4]);
    first_opt = 5;
  }
  for (size_t i = first_opt; i < a.size(); ++i) {
    if (a[i] == "typed") q.format = stats::StatQuery::Format::typed;
    else if (a[i] == "json") q.format = stats::StatQuery::Format::json;
    else if (a[i] == "desc") q.desc = true;
    else if (a[i] == "up") q.up_only = true;
    else if (a[i] == "no-maint") q.no_maint = true;
  }
  return stats::show_stat(*c.src, q);
}

std::string cmd_show_servers_state(Context& c, Session&, const Args& a) {
  int be = -1;
  if (!arg(a, 3).empty()) {
    be = find_backend(*c.src, a[3]);
    if (be < 0) return "Can't find backend.\n";
  }
  return stats::show_servers_state(*c.src, be);
}

std::string cmd_show_servers_conn(Context& c, Session&, const Args& a) {
  int be = -1;
  if (!arg(a, 3).empty()) {
    be = find_backend(*c.src, a[3]);
    if (be < 0) return "Can't find backend.\n";
  }
  return stats::show_servers_conn(*c.src, be);
}

std::string cmd_show_backend(Context& c, Session&, const Args&) { return stats::show_backend(*c.src); }

// `show resolvers [<id>]`: the DNS service's counters per name server (dns/service.cpp).
std::string cmd_show_resolvers(Context& c, Session&, const Args& a) {
  bool found = false;
  std::string out = c.src->show_resolvers ? c.src->show_resolvers(arg(a, 2), found) : std::string();
  if (!found && !arg(a, 2).empty()) return "Can't find that resolvers section\n";
  return out;
}

// `show sess [all|<id>]`: the traffic sessions the workers report, then the admin socket's own.
std::string cmd_show_sess(Context& c, Session&, const Args& a) {
  const auto& cfg = *c.src->cfg;
  auto name = [&](int p) -> std::string_view {
    return p >= 0 && size_t(p) < cfg.proxies.size() ? std::string_view(cfg.proxies[size_t(p)].name) : "";
  };
  std::string lines;
  bool found = false;
  const std::string_view want = arg(a, 2);
  const bool one = !want.empty() && want != "all";
  const uint64_t id = one ? std::strtoull(std::string(want).c_str(), nullptr, 16) : 0;
  if (c.src->sessions) {
    for (const auto& si : c.src->sessions()) {
      if (one && si.id != id) continue;
      std::string_view srv;
      if (si.backend >= 0 && size_t(si.backend) < cfg.proxies.size() && si.server >= 0 &&
          size_t(si.server) < cfg.proxies[size_t(si.backend)].servers.size())
        srv = cfg.proxies[size_t(si.backend)].servers[size_t(si.server)].name;
      lines += session_line(si.id, si.proto, si.source, name(si.frontend), name(si.backend), srv, si.age_s);
      found = true;
    }
  }
  if (c.cli_clients) {
    for (const auto& ci : c.cli_clients()) {
      if (one && ci.id != id) continue;
      lines += session_line(ci.id, ci.proto, ci.source, "GLOBAL", "", "", ci.age_s);
      found = true;
    }
  }
  if (one && !found) return "Session not found.\n";
  return lines;
}

// `show errors [<px>] [request|response]`: <px> is a proxy name or id (-1: all).
std::string cmd_show_errors(Context& c, Session&, const Args& a) {
  const auto& cfg = *c.src->cfg;
  int iid = -1;
  if (!arg(a, 2).empty()) {
    const int p = proxy_by_name(cfg, a[2]);
    iid = p >= 0 ? int(cfg.proxies[size_t(p)].id) : leading_int(a[2]);
    if (iid == 0) return "No such proxy.\n";
  }
  int dirs = dir_both;
  if (arg(a, 3) == "request") dirs = dir_request;
  else if (arg(a, 3) == "response") dirs = dir_response;
  std::vector<stats::CapturedError> errors;
  if (c.src->errors) errors = c.src->errors();
  return format_errors(cfg, errors, c.now_ms(), iid, dirs, c.bufsize);
}

// portero's buffers live in per-worker pools this thread cannot walk without stopping them;
// the reply keeps HAProxy's frame and says so through zero pools rather than made-up numbers.
std::string cmd_show_pools(Context&, Session&, const Args&) {
  return "Dumping pools usage. Use SIGQUIT to flush them.\n"
         "Total: 0 pools, 0 bytes allocated, 0 used (~0 by thread caches).\n";
}

// `clear counters`: maxima and rate maxima; `clear counters all`: every counter (admin only).
std::string cmd_clear_counters(Context& c, Session& s, const Args& a) {
  if (arg(a, 2) == "all") {
    if (s.level < Level::admin) return "Permission denied\n";
    if (c.src->counters) c.src->counters->clear_all();
  } else if (c.src->counters) {
    c.src->counters->clear_max();
  }
  // The source hands rates out read-only; resetting their maxima is the one change allowed.
  if (c.src->rates) c.src->rates->clear_max();
  return "";
}

}  // namespace portero::admin
