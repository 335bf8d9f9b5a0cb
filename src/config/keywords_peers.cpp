// `peers NAME` sections: `peer <name> <addr>:<port>`, or `bind <addr>:<port>` with `server
// <name> [<addr>:<port>]` lines, `default-bind`, `default-server`, `disabled`, `enabled`, with
// HAProxy 2.6's messages. The peer whose name is the local peer's (Global::localpeer: -L,
// `localpeer` or the host name, fixed before the section is read, as HAProxy) is this process.
// Server and bind options (TLS, timeouts...) are refused: the peer connections are plain TCP.
#include "checks.h"
#include "parse_context.h"

namespace portero::config {
namespace {

bool valid_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == ':';
}

// A section being read: HAProxy forbids mixing `peer` and `bind` lines in one.
struct Reading {
  bool bind_line = false;
  bool peer_line = false;
};
Reading g_reading;

// The options after a peer's address (or a bind's): none is implemented.
bool refuse_options(ParseContext& c, const Args& a, size_t from, const std::string& what) {
  if (from >= a.size()) return true;
  c.alert(Form::bare, what + " : option '" + a[from] +
                          "' is not implemented by portero in a 'peers' section (peer connections are plain TCP).");
  return false;
}

std::optional<Address> peer_address(ParseContext& c, const std::string& text, const std::string& kw,
                                     const std::string& name, const std::string& server_id) {
  auto r = parse_address(text, false);
  if (!r.address) {
    c.alert(Form::bare, "'server " + server_id + "' : " + r.error);
    return std::nullopt;
  }
  if (r.address->kind != Address::Kind::inet) {
    c.alert(Form::bare, "'server " + server_id + "' : peers are reached over TCP; '" + text +
                            "' is not an ip:port address.");
    return std::nullopt;
  }
  if (r.address->port_lo == 0) {
    c.alert("'" + kw + " " + name + "' : missing port specification in '" + text + "'");
    return std::nullopt;
  }
  return r.address;
}

}  // namespace

void open_peers(ParseContext& c, const Args& a) {
  c.peers = nullptr;
  g_reading = Reading{};
  if (a.size() < 2 || a[1].empty()) {
    c.alert("missing name for peers section.");
    c.abort = true;
    return;
  }
  if (a.size() > 2) {
    c.alert("'peers' cannot handle unexpected argument '" + a[2] + "'.");
    return;
  }
  for (char ch : a[1])
    if (!valid_name_char(ch)) {
      c.alert(std::string("character '") + ch + "' is not permitted in 'peers' name '" + a[1] + "'.");
      c.abort = true;
      return;
    }
  for (const auto& other : c.config.peers)
    if (other.name == a[1])
      c.alert(Form::checks, "peers section '" + a[1] + "' has the same name as another peers section declared at " +
                                other.origin.file + ":" + std::to_string(other.origin.line) + ".");
  PeersSection s;
  s.origin = c.origin;
  s.name = a[1];
  c.config.peers.push_back(std::move(s));
  c.peers = &c.config.peers.back();
}

void parse_peers_line(ParseContext& c, const Args& a) {
  PeersSection* s = c.peers;
  if (!s) return;
  const std::string& kw = a[0];
  const std::string& local = c.config.global.localpeer;
  if (kw == "disabled") {
    s->disabled = true;
    return;
  }
  if (kw == "enabled") {
    s->disabled = false;
    return;
  }
  if (kw == "bind" || kw == "default-bind") {
    if (kw == "default-bind") {
      refuse_options(c, a, 1, "'default-bind'");
      return;
    }
    if (g_reading.peer_line) return c.alert("mixing \"peer\" and \"bind\" line is forbidden");
    if (a.size() < 2 || a[1].empty()) return c.alert("'bind' expects [addr1]:port1 as arguments.");
    if (s->bind) {
      c.alert("One listener per \"peers\" section is authorized but another is already configured at [" +
              s->bind_origin.file + ":" + std::to_string(s->bind_origin.line) + "].");
      return;
    }
    auto r = parse_address(a[1], true);
    if (!r.address) return c.alert("'bind " + a[1] + "' : " + r.error);
    if (r.address->kind != Address::Kind::inet || r.address->port_lo != r.address->port_hi)
      return c.alert("'bind " + a[1] + "' : peers listen on one TCP ip:port address.");
    if (!refuse_options(c, a, 2, "'bind " + a[1] + "'")) return;
    g_reading.bind_line = true;
    s->bind = r.address;
    s->bind_origin = c.origin;
    return;
  }
  if (kw == "default-server") {
    refuse_options(c, a, 1, "'default-server'");
    return;
  }
  if (kw == "peer" || kw == "server") {
    const bool peer = kw == "peer";
    if (peer) {
      if (g_reading.bind_line) return c.alert("mixing \"peer\" and \"bind\" line is forbidden");
      g_reading.peer_line = true;
    }
    if (a.size() < 2 || a[1].empty()) return c.alert("'" + kw + "' expects <name> and <addr>[:<port>] as arguments.");
    const std::string& name = a[1];
    const bool is_local = name == local;
    if (is_local) {
      for (const auto& other : c.config.peers)
        for (const auto& p : other.peers)
          if (p.local) {
            c.alert("'" + kw + " " + name + "' : local peer name already referenced at " + p.origin.file + ":" +
                    std::to_string(p.origin.line) + ". " + name);
            return;
          }
    }
    PeersSection::Peer p;
    p.origin = c.origin;
    p.name = name;
    p.local = is_local;
    const std::string server_id = local + "/" + name;
    // A `server` line of the local peer has no address: the `bind` line gives it.
    const bool parse_addr = peer || !is_local;
    size_t next = 2;
    if (parse_addr && a.size() > 2 && !a[2].empty()) {
      p.address = peer_address(c, a[2], kw, name, server_id);
      if (!p.address) return;
      next = 3;
    } else if (!is_local) {
      return c.alert("'" + kw + " " + name + "' : missing address for a remote peer.");
    }
    if (!refuse_options(c, a, next, "'server " + server_id + "'")) return;
    s->peers.push_back(std::move(p));
    return;
  }
  if (kw == "table") {
    // `table <name> type ... size ...`: a table named `<section>/<name>`, shared by the section.
    // HAProxy looks the bare name up among the tables declared so far (proxies' tables are
    // named after their proxy) to refuse a clash.
    const std::string name = a.size() > 1 ? a[1] : "";
    for (const auto& p : c.config.proxies)
      if (p.stick_table && p.name == name)
        return c.alert("stick-table name '" + name + "' conflicts with table declared in " +
                       std::string(cap_type_name(p.kind)) + " '" + p.name + "' at " + p.stick_table_origin.file +
                       ":" + std::to_string(p.stick_table_origin.line) + ".");
    stick::TableSpec t;
    t.name = s->name + "/" + name;
    t.peers = s->name;
    if (!parse_table_words(c, a, 2, t)) return;
    c.config.peer_tables.push_back(std::move(t));
    return;
  }
  if (kw == "log")
    return c.alert("'log' in a 'peers' section is not implemented by portero yet (peer events would not be logged).");
  c.alert("unknown keyword '" + kw + "' in 'peers' section");
}

void check_peers(Config& config, Diagnostics& diag) {
  // Tables name their section first (HAProxy resolves them before it drops incomplete sections).
  for (auto& p : config.proxies) {
    if (p.kind == Proxy::Kind::defaults || !p.stick_table || p.stick_table->peers.empty()) continue;
    auto& spec = *p.stick_table;
    const PeersSection* s = nullptr;
    for (const auto& one : config.peers)
      if (one.name == spec.peers) s = &one;
    if (!s) {
      diag.alert("Proxy '" + p.name + "': unable to find sync peers '" + spec.peers + "'.");
      spec.peers.clear();
    } else if (s->disabled) {
      spec.peers.clear();   // silently not shared, as HAProxy
    } else if (s->peers.empty() && !s->bind) {
      diag.alert("Proxy '" + p.name + "': unable to find local peer '" + config.global.localpeer +
                 "' in peers section '" + s->name + "'.");
      spec.peers.clear();
    } else if (!s->has_local()) {
      spec.peers.clear();   // the section is removed below, with a warning
    }
  }
  // A peers section's own tables stay (they are still tables) but are shared only when their
  // section is kept.
  for (auto& t : config.peer_tables) {
    const PeersSection* s = nullptr;
    for (const auto& one : config.peers)
      if (one.name == t.peers) s = &one;
    if (!s || s->disabled || !s->has_local()) t.peers.clear();
  }
  std::vector<PeersSection> kept;
  for (auto& s : config.peers) {
    if (s.disabled) continue;
    if (!s.has_local()) {
      diag.warning("Removing incomplete section 'peers " + s.name + "' (no peer named '" + config.global.localpeer +
                   "').");
      continue;
    }
    kept.push_back(std::move(s));
  }
  config.peers = std::move(kept);
}

}  // namespace portero::config
