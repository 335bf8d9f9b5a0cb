#include "checks.h"
#include "portero/config/fetch_source.h"
#include "parse_context.h"

#include <algorithm>
#include <set>
#include <sys/resource.h>

namespace portero::config {
namespace {

std::string at(const Origin& o) { return o.file + ":" + std::to_string(o.line); }

const char* mode_name(Mode m) { return m == Mode::http ? "http" : "tcp"; }

// Backend names built from a log-format (`%[...]`) are chosen per request.
bool dynamic_name(const std::string& n) { return n.find('%') != std::string::npos; }

int find_backend(const Config& c, const std::string& name) {
  for (size_t i = 0; i < c.proxies.size(); ++i)
    if (c.proxies[i].name == name && c.proxies[i].is_backend()) return int(i);
  return -1;
}

// Server ids as HAProxy assigns them: an explicit `id` is kept; a server without one takes the
// smallest unused id >= a counter that starts at 1 and moves to (id + 1) after every server,
// explicit or not. E.g. ids {3, -, -, 2, -} become {3, 4, 5, 2, 7} (observed on 2.6.12).
void assign_server_ids(Proxy& p) {
  std::set<int> used;
  for (const auto& s : p.servers)
    if (s.id) used.insert(*s.id);
  int next = 1;
  for (auto& s : p.servers) {
    if (s.id) {
      s.puid = *s.id;
    } else {
      while (used.count(next)) ++next;
      s.puid = next;
      used.insert(next);
    }
    ++next;
  }
}

// HAProxy's default fullconn: 10% (rounded up, at least 1) of the sum of the maxconn of the
// frontends that can route to the backend (default_backend, a static use_backend, or a listen
// section itself). A frontend without maxconn counts with the global maxconn.
// Observed on haproxy 2.6.12: with N open files allowed and L listening sockets (binds and
// stats sockets), maxconn = (N - 24 - 2 L) / 2 (20000 fds, 2 sockets -> 9986).
void compute_default_maxconn(Config& config) {
  auto& g = config.global;
  rlimit rl{};
  uint64_t fds = g.ulimit_n;
  if (!fds && getrlimit(RLIMIT_NOFILE, &rl) == 0) fds = rl.rlim_cur == RLIM_INFINITY ? 1048576 : rl.rlim_cur;
  if (!fds) return;
  uint64_t listeners = g.stats_sockets.size();
  for (const auto& p : config.proxies)
    if (p.is_frontend())
      for (const auto& b : p.binds) listeners += b.addresses.size();
  const uint64_t reserved = 24 + 2 * listeners;
  g.maxconn_default = fds > reserved + 2 ? uint32_t(std::min<uint64_t>((fds - reserved) / 2, 1u << 30)) : 1;
}

void compute_fullconn(Config& config) {
  const uint64_t global_maxconn = config.global.effective_maxconn();
  for (size_t b = 0; b < config.proxies.size(); ++b) {
    Proxy& be = config.proxies[b];
    if (!be.is_backend()) continue;
    if (be.fullconn) {
      be.fullconn_effective = be.fullconn;
      continue;
    }
    uint64_t total = 0;
    for (const auto& fe : config.proxies) {
      if (!fe.is_frontend() || fe.disabled) continue;
      bool reaches = fe.default_backend_index == int(b);
      for (const auto& u : fe.use_backends) reaches = reaches || u.backend_index == int(b);
      if (reaches) total += fe.maxconn.value_or(uint32_t(global_maxconn));
    }
    be.fullconn_effective = uint32_t(std::max<uint64_t>(1, std::min<uint64_t>((total + 9) / 10, UINT32_MAX)));
  }
}

// The servers of `p` named `name`: HAProxy refuses to pick one when the name is shared (two
// servers may share a name when both have an explicit id).
int count_servers_named(const Proxy& p, const std::string& name, int& index) {
  int n = 0;
  index = -1;
  for (size_t i = 0; i < p.servers.size(); ++i)
    if (p.servers[i].name == name) {
      if (!n) index = int(i);
      ++n;
    }
  if (n != 1) index = -1;
  return n;
}

bool layer7_hash(const std::string& algorithm) {
  return algorithm == "uri" || algorithm == "url_param" || algorithm == "hdr";
}

// What HAProxy ignores, with a warning, in a proxy that is not in `mode http`.
void check_tcp_mode(Proxy& p, Diagnostics& diag) {
  if (p.mode != Mode::tcp || p.disabled) return;
  const std::string who = std::string(cap_type_name(p.kind)) + " '" + p.name + "'";
  if (p.is_backend() && !p.cookie.empty())
    diag.warning("cookie will be ignored for " + who + " (needs 'mode http').");
  if (p.is_backend() && layer7_hash(p.balance.algorithm)) {
    diag.warning("Layer 7 hash not possible for " + who + " (needs 'mode http'). Falling back to round robin.");
    p.balance.algorithm = "roundrobin";
  }
  if (p.httplog) {
    diag.warning(p.httplog_origin, "'option httplog' not usable with " + who +
                                       " (needs 'mode http'). Falling back to 'option tcplog'.");
    p.httplog = p.httplog_clf = false;
    p.tcplog = true;
  }
  if (!p.http_request_rules.empty())
    diag.warning("'http-request' rules ignored for " + who + " as they require HTTP mode.");
  if (p.forwardfor.enabled) diag.warning("'option forwardfor' ignored for " + who + " as it requires HTTP mode.");
  if (p.is_backend())
    for (const auto& s : p.servers)
      if (!s.cookie.empty())
        diag.warning(who + " : ignoring cookie for server '" + s.name + "' as HTTP mode is disabled.");
}

// `bind ... proto`: h1 and h2 speak HTTP, none relays bytes; fcgi is for servers only.
bool usable_on_bind(MuxProto proto, Mode mode) {
  switch (proto) {
    case MuxProto::unset: return true;
    case MuxProto::h1: case MuxProto::h2: return mode == Mode::http;
    case MuxProto::none: return mode == Mode::tcp;
    case MuxProto::fcgi: return false;
  }
  return false;
}

}  // namespace

const char* cap_type_name(Proxy::Kind k) {
  switch (k) {
    case Proxy::Kind::frontend: return "frontend";
    case Proxy::Kind::backend: return "backend";
    case Proxy::Kind::listen: return "proxy";
    case Proxy::Kind::defaults: return "defaults";
  }
  return "proxy";
}

void resolve(Config& config) {
  // Ids: explicit ones are kept; the others take the next free number in declaration order.
  std::set<uint32_t> used;
  for (const auto& p : config.proxies)
    if (p.id) used.insert(p.id);
  // With a `stats socket`, HAProxy's internal CLI proxy ("GLOBAL") takes the first id.
  uint32_t next = config.global.stats_sockets.empty() ? 1 : 2;
  for (auto& p : config.proxies) {
    if (p.id) continue;
    while (used.count(next)) ++next;
    p.id = next;
    used.insert(next);
  }

  for (auto& p : config.proxies) assign_server_ids(p);

  for (size_t i = 0; i < config.proxies.size(); ++i) {
    Proxy& p = config.proxies[i];
    // `log global` stands for the global targets, wherever global was written.
    std::vector<LogTarget> logs;
    for (const auto& t : p.logs) {
      if (!t.global) {
        logs.push_back(t);
        continue;
      }
      for (auto g : config.global.logs) {
        g.global = true;
        logs.push_back(g);
      }
    }
    p.logs = std::move(logs);

    for (auto& u : p.use_servers)
      if (!u.dynamic()) count_servers_named(p, u.server, u.server_index);

    if (!p.is_frontend()) continue;
    if (!p.default_backend.empty() && !dynamic_name(p.default_backend))
      p.default_backend_index = find_backend(config, p.default_backend);
    else if (p.default_backend.empty() && p.kind == Proxy::Kind::listen)
      p.default_backend_index = int(i);  // a listen section serves itself
    for (auto& u : p.use_backends)
      if (!dynamic_name(u.backend)) u.backend_index = find_backend(config, u.backend);
  }
  compute_default_maxconn(config);
  compute_fullconn(config);
}

// track-sc rules name a table (by its proxy), their own proxy's by default.
void resolve_stick_tables(Config& config, Diagnostics& diag) {
  auto find = [&](const std::string& name) { return config.find_table(name); };
  for (auto& p : config.proxies) {
    if (p.kind == Proxy::Kind::defaults) continue;
    auto one = [&](const std::string& table, int sc, int& index) {
      const std::string name = table.empty() ? p.name : table;
      index = find(name);
      if (index < 0)
        diag.alert("Proxy '" + p.name + "': unable to find table '" + name + "' referenced by track-sc" +
                   std::to_string(sc) + ".");
    };
    for (auto* rules : {&p.http_request_rules, &p.http_response_rules})
      for (auto& r : *rules)
        if (r.action == HttpRule::Action::track_sc) one(r.name, r.sc, r.table_index);
    // stick rules: the table stores the server (HAProxy adds server_id and server_key to it).
    for (auto& r : p.stick_rules) {
      const std::string name = r.table.empty() ? p.name : r.table;
      r.table_index = find(name);
      if (r.table_index < 0) {
        diag.alert("Proxy '" + p.name + "': unable to find stick-table '" + name + "'.");
        continue;
      }
      auto& spec = *config.table_spec(r.table_index);
      spec.stored[int(stick::Data::server_id)] = true;
      spec.stored[int(stick::Data::server_key)] = true;
    }
    bool warned = false;
    for (auto& r : p.tcp_request_rules) {
      if (r.action != TcpRequestRule::Action::track_sc) continue;
      one(r.table, r.sc, r.table_index);
      // haproxy's advice: in an HTTP frontend, a key that does not need the request is better
      // tracked at the session level.
      const std::string fetch = r.key.substr(0, r.key.find_first_of("(,"));
      if (!warned && p.is_frontend() && p.mode == Mode::http && r.layer == TcpRequestRule::Layer::content &&
          !fetch_source(fetch)) {
        diag.warning(std::string(cap_type_name(p.kind)) + " '" + p.name +
                     "' : a 'tcp-request content track-sc*' rule not depending on request contents for an "
                     "HTTP frontend should be executed at the session level, using a 'tcp-request session' "
                     "rule (mandatory to track invalid HTTP requests).");
        warned = true;
      }
    }
  }
}

void check(Config& config, Diagnostics& diag) {
  for (auto& p : config.proxies) check_tcp_mode(p, diag);
  resolve_stick_tables(config, diag);
  check_peers(config, diag);
  check_resolvers(config, diag);
  for (const auto& p : config.proxies) {
    if (p.disabled) continue;
    check_check_setup(p, diag);
    const std::string me = "Proxy '" + p.name + "': ";
    auto mode_clash = [&](const Proxy& be, const std::string& how) {
      if (p.mode == Mode::http && be.mode != Mode::http)
        diag.alert(std::string(mode_name(p.mode)) + " " + cap_type_name(p.kind) + " '" + p.name + "' (" +
                   at(p.origin) + ") tries to use incompatible " + mode_name(be.mode) + " " +
                   cap_type_name(be.kind) + " '" + be.name + "' (" + at(be.origin) + ") " + how +
                   " (see 'mode').");
    };
    if (p.is_frontend()) {
      if (!p.default_backend.empty() && !dynamic_name(p.default_backend)) {
        if (p.default_backend_index < 0)
          diag.alert(me + "unable to find required default_backend: '" + p.default_backend + "'.");
        else
          mode_clash(config.proxies[size_t(p.default_backend_index)], "as its default backend");
      }
      for (const auto& u : p.use_backends) {
        if (dynamic_name(u.backend)) continue;
        if (u.backend_index < 0)
          diag.alert(me + "unable to find required use_backend: '" + u.backend + "'.");
        else
          mode_clash(config.proxies[size_t(u.backend_index)], "in a 'use_backend' rule");
      }
      // `capture ... id N` names a slot of this proxy (a backend's rules name the slots of
      // whichever frontend runs them, checked at run time).
      auto capture_ids = [&](const std::vector<HttpRule>& rules, size_t slots, const char* kw) {
        for (const auto& r : rules)
          if (r.action == HttpRule::Action::capture && r.capture_by_id && r.capture_id_written >= long(slots))
            diag.alert(me + "unable to find capture id '" + std::to_string(int(r.capture_id_written)) +
                       "' referenced by " + kw + " capture rule.");
      };
      capture_ids(p.http_request_rules, p.capture_request_headers.size(), "http-request");
      capture_ids(p.http_response_rules, p.capture_response_headers.size(), "http-response");
      capture_ids(p.http_after_response_rules, p.capture_response_headers.size(), "http-after-response");
      if (p.binds.empty())
        diag.warning(std::string(cap_type_name(p.kind)) + " '" + p.name +
                     "' has no 'bind' directive. Please declare it as a backend if this was intended.");
    }
    // `use-server` names (static ones; a dynamic name is looked up per request).
    for (const auto& u : p.use_servers) {
      if (u.dynamic()) continue;
      int idx = -1;
      if (count_servers_named(p, u.server, idx) > 1)
        diag.alert("Refusing to use duplicated server '" + u.server + "' found in proxy: " + p.name + "!");
      if (idx < 0)
        diag.alert(std::string(cap_type_name(p.kind)) + " '" + p.name + "' : unable to find server '" + u.server +
                   "' referenced in a 'use-server' rule.");
    }
    const bool fe_missing = p.is_frontend() && !p.timeouts.client;
    const bool be_missing = p.is_backend() && !p.servers.empty() && (!p.timeouts.connect || !p.timeouts.server);
    if (fe_missing || be_missing)
      diag.warning(std::string("missing timeouts for ") + cap_type_name(p.kind) + " '" + p.name + "'." +
                   "\n   | While not properly invalid, you will certainly encounter various problems"
                   "\n   | with such a configuration. To fix this, please ensure that all following"
                   "\n   | timeouts are set to a non-zero value: 'client', 'connect', 'server'.");
    if (p.is_frontend())
      for (const auto& b : p.binds)
        if (!usable_on_bind(b.proto, p.mode))
          diag.alert(std::string(cap_type_name(p.kind)) + " '" + p.name + "' : MUX protocol '" +
                     mux_proto_name(b.proto) + "' is not usable for 'bind " + b.written + "' at [" +
                     at(b.origin) + "].");
    for (const Server& s : p.servers) {
      if (s.proto == MuxProto::fcgi)
        diag.alert("proxy '" + p.name + "': FCGI server '" + s.name + "' has no FCGI app configured.");
      else if (s.proto != MuxProto::unset && s.proto != MuxProto::fcgi &&
               (s.proto == MuxProto::none) != (p.mode == Mode::tcp))
        diag.alert(std::string(cap_type_name(p.kind)) + " '" + p.name + "' : MUX protocol '" + mux_proto_name(s.proto) +
                   "' is not usable for server '" + s.name + "' at [" + at(s.origin) + "].");
      // A check protocol the check kind cannot use (HAProxy's rule: HTTP checks speak h1, h2 or
      // fcgi, other checks none of them). FastCGI checks are not implemented by portero.
      const MuxProto cp = s.check_proto;
      const bool http_check = p.checks.kind == CheckSetup::Kind::http;
      if (cp != MuxProto::unset && (http_check ? cp == MuxProto::none : cp != MuxProto::none))
        diag.alert(std::string("config: ") + cap_type_name(p.kind) + " '" + p.name + "': server '" + s.name +
                   "' uses an incompatible MUX protocol for the selected check type");
      else if (cp == MuxProto::fcgi)
        diag.alert(s.origin, "'server " + p.name + "/" + s.name +
                                 "' : 'check-proto fcgi' : FastCGI health checks are not implemented by portero.");
    }
    for (size_t i = 0; i < p.servers.size(); ++i)
      for (size_t j = 0; j < i; ++j) {
        const Server& a = p.servers[j];
        const Server& b = p.servers[i];
        if (a.name != b.name || (a.id && b.id)) continue;
        diag.alert(b.origin, std::string(cap_type_name(p.kind)) + " '" + p.name + "', another server named '" +
                                 b.name + "' was already defined at line " + std::to_string(a.origin.line) +
                                 ", please use distinct names.");
        break;
      }
  }
  // HAProxy resolves error pages in a post-proxy check, after the checks above.
  resolve_error_pages(config, diag);
}

}  // namespace portero::config
