// Reading back `show servers state` (server-state-file) and applying it as HAProxy 2.6 does.
#include "portero/stats/servers_state_file.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>

#include "text_util.h"

namespace portero::stats {
namespace {

// A line holds the 4 key fields, then 16 fields of version 1 and up to 5 optional ones.
constexpr size_t kMinFields = 20, kMaxFields = 25;
// Admin bits: forced maintenance, configured maintenance, forced drain. The inherited ones
// (tracking, DNS) and the "fqdn changed" mark are recomputed, not restored.
constexpr int kFMaint = 0x01, kCMaint = 0x04, kFDrain = 0x08, kNotRestored = 0x02 | 0x10 | 0x20 | 0x40;
constexpr int kChkConfigured = 0x02, kChkEnabled = 0x04, kChkAllBits = 0x1f;
constexpr uint32_t kMaxWeight = 256;

std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i == line.size()) break;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

// strtol's reading: leading digits (and sign); nullopt when there are none.
std::optional<long> number(std::string_view f) {
  long v = 0;
  auto r = std::from_chars(f.data(), f.data() + f.size(), v);
  if (r.ec != std::errc()) return std::nullopt;
  return v;
}

// The values HAProxy validates, in its order; the first complaint of each kind is reported.
std::string invalid_values(const std::vector<std::string_view>& f, SavedServer& s) {
  std::string msg;
  auto bad = [&](const char* name, std::string_view v) { msg += ", invalid " + std::string(name) + " value '" + std::string(v) + "'"; };
  auto op = number(f[5]);
  if (!op || *op < 0 || *op > 3) bad("srv_op_state", f[5]);
  else s.op_state = int(*op);
  auto adm = number(f[6]);
  const long admin = adm ? *adm & ~long(kNotRestored) : -1;
  if (!adm || (admin != 0 && admin != kFMaint && admin != kCMaint && admin != (kCMaint | kFMaint) &&
               admin != (kCMaint | kFDrain) && admin != kFDrain))
    bad("srv_admin_state", f[6]);
  else s.admin_state = int(admin);
  auto uw = number(f[7]);
  if (!uw || *uw < 0 || *uw > long(kMaxWeight)) bad("srv_uweight", f[7]);
  else s.uweight = uint32_t(*uw);
  auto iw = number(f[8]);
  if (!iw || *iw < 0 || *iw > long(kMaxWeight)) bad("srv_iweight", f[8]);
  else s.iweight = uint32_t(*iw);
  auto since = number(f[9]);
  if (!since) bad("srv_last_time_change", f[9]);
  else s.since_change = uint64_t(std::max(0L, *since));
  auto st = number(f[10]);
  if (!st || *st < 0 || *st > 20) bad("srv_check_status", f[10]);
  else s.check_status = int(*st);
  auto res = number(f[11]);
  if (!res || *res < 0 || *res > 4) bad("srv_check_result", f[11]);
  else s.check_result = int(*res);
  auto health = number(f[12]);
  if (!health) bad("srv_check_health", f[12]);
  else s.check_health = int(*health);
  auto cs = number(f[13]);
  if (!cs || (*cs & ~long(kChkAllBits))) bad("srv_check_state", f[13]);
  else s.check_state = int(*cs);
  auto as = number(f[14]);
  if (!as || (*as & ~long(kChkAllBits))) bad("srv_agent_state", f[14]);
  else s.agent_state = int(*as);
  auto bf = number(f[15]);
  if (!bf || (*bf != 0 && *bf != 1)) bad("bk_f_forced_id", f[15]);
  auto sf = number(f[16]);
  if (!sf || (*sf != 0 && *sf != 1)) bad("srv_f_forced_id", f[16]);
  return msg;
}

// Where a state file named `name` is: as written when absolute or without a base directory.
std::string state_path(const config::Global& g, const std::string& name) {
  if (name.front() == '/' || g.server_state_base.empty()) return name;
  return g.server_state_base + (g.server_state_base.back() == '/' ? "" : "/") + name;
}

enum class Open { ok, missing, failed };
Open read_file(const std::string& path, std::string& text, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::strerror(errno);
    return Open::failed;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  text = ss.str();
  return Open::ok;
}

check::Status status_from_number(int n) {
  using S = check::Status;
  for (S s : {S::unk, S::ini, S::sockerr, S::l4ok, S::l4tout, S::l4con, S::l6ok, S::l6tout, S::l6rsp, S::l7ok,
              S::l7okc, S::l7tout, S::l7rsp, S::l7sts, S::procerr, S::proctout, S::procok, S::hana})
    if (detail::check_status_number(s) == n) return s;
  return S::unk;
}

// Backend name + server name -> the line (the first of duplicates, as HAProxy keeps).
using Lines = std::map<std::pair<std::string, std::string>, SavedServer>;

// Finds the configured servers of backend p in `lines` (removing what it uses) and checks the
// values of each; `local` reports the servers of the file the backend does not have.
void match_backend(const config::Config& cfg, size_t p, Lines& lines, bool local, SavedStates& out,
                   config::Diagnostics& diag) {
  const config::Proxy& px = cfg.proxies[p];
  for (size_t s = 0; s < px.servers.size(); ++s) {
    auto it = lines.find({px.name, px.servers[s].name});
    if (it == lines.end()) continue;
    out.servers[p][s] = it->second;
    lines.erase(it);
  }
  if (!local) return;
  for (const auto& [key, line] : lines)
    diag.warning("Proxy '" + px.name + "': can't find server '" + key.second + "' in backend '" + px.name + "'");
}

}  // namespace

StateFile parse_state_file(std::string_view text) {
  StateFile f;
  if (text.empty()) return f;   // HAProxy 2.6: "Can't get version" as for a bad first line
  size_t nl = text.find('\n');
  if (nl == std::string_view::npos) return f;
  auto v = number(text.substr(0, nl));
  if (!v || std::to_string(*v).size() != nl || *v != 1) return f;
  f.version = 1;
  size_t pos = nl + 1;
  for (int line_no = 1; pos < text.size(); ++line_no) {
    nl = text.find('\n', pos);
    if (nl == std::string_view::npos) {   // a truncated last line
      f.corrupt_line = line_no;
      return f;
    }
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;
    auto fl = fields(line);
    if (fl.size() < kMinFields || fl.size() > kMaxFields) {
      f.corrupt_line = line_no;
      return f;
    }
    SavedServer s;
    s.backend_id = std::string(fl[0]);
    s.backend = std::string(fl[1]);
    s.server = std::string(fl[3]);
    s.forced_backend_id = fl[15] == "1";
    // Kept whole: the values are validated when a configured server takes the line.
    s.raw.assign(fl.begin(), fl.end());
    f.lines.push_back(std::move(s));
  }
  return f;
}

bool SavedStates::any() const {
  for (const auto& px : servers)
    for (const auto& s : px)
      if (s) return true;
  return false;
}

SavedStates read_server_states(const config::Config& cfg, config::Diagnostics& diag, std::string_view carried) {
  SavedStates out;
  out.servers.resize(cfg.proxies.size());
  for (size_t p = 0; p < cfg.proxies.size(); ++p) out.servers[p].resize(cfg.proxies[p].servers.size());
  const config::Global& g = cfg.global;

  // The global file, keyed by the backend names it holds.
  Lines global_lines;
  bool global_ok = false;
  if (!g.server_state_file.empty()) {
    const std::string path = state_path(g, g.server_state_file);
    std::string text, err;
    if (read_file(path, text, err) != Open::ok) {
      diag.warning("config: Can't open global server state file '" + path + "': " + err);
    } else {
      StateFile f = parse_state_file(text);
      if (f.version == 0) diag.warning("config: Can't get version of the global server state file '" + path + "'.");
      else if (f.corrupt_line) diag.warning("config: corrupted global server state file '" + path + "' at line " + std::to_string(f.corrupt_line) + ".");
      else {
        global_ok = true;
        for (auto& l : f.lines) global_lines.try_emplace({l.backend, l.server}, std::move(l));
      }
    }
  }

  // What the previous worker had, keyed as the global file (a reload keeps backend names).
  Lines carried_lines;
  if (!carried.empty()) {
    StateFile f = parse_state_file(carried);
    if (f.version == 1 && !f.corrupt_line)
      for (auto& l : f.lines) carried_lines.try_emplace({l.backend, l.server}, std::move(l));
  }

  for (size_t p = 0; p < cfg.proxies.size(); ++p) {
    const config::Proxy& px = cfg.proxies[p];
    using L = config::Proxy::LoadServerState;
    if (!px.is_backend() || px.disabled || px.servers.empty() || px.load_server_state == L::none) continue;
    if (px.load_server_state == L::unset) {
      match_backend(cfg, p, carried_lines, false, out, diag);
      continue;
    }
    if (px.load_server_state == L::global) {
      if (global_ok) match_backend(cfg, p, global_lines, false, out, diag);
      continue;
    }
    const std::string path = state_path(g, px.server_state_file_name.empty() ? px.name : px.server_state_file_name);
    std::string text, err;
    if (read_file(path, text, err) != Open::ok) {
      diag.warning("Proxy '" + px.name + "': Can't open server state file '" + path + "': " + err + ".");
      continue;
    }
    StateFile f = parse_state_file(text);
    if (f.version == 0) {
      diag.warning("Proxy '" + px.name + "': Can't get version of the server state file '" + path + "'.");
      continue;
    }
    if (f.corrupt_line) {
      diag.warning("Proxy '" + px.name + "': corrupted server state file '" + path + "' at line " + std::to_string(f.corrupt_line) + ".");
      continue;
    }
    // A local file's lines must name this backend (by name; by id only if its id was forced).
    Lines local;
    const std::string id = std::to_string(px.id);
    for (auto& l : f.lines) {
      const bool same_id = number(l.backend_id).value_or(-1) == long(px.id);
      const bool same_name = l.backend == px.name;
      if (!same_id && !same_name) continue;
      if (!same_id) {
        diag.warning("Proxy '" + px.name + "': backend ID mismatch: from server state file: '" + l.backend_id +
                     "', from running config '" + id + "'");
      } else if (!same_name) {
        diag.warning("Proxy '" + px.name + "': backend name mismatch: from server state file: '" + l.backend +
                     "', from running config '" + px.name + "'");
        if (!l.forced_backend_id) continue;
      }
      local.try_emplace({px.name, l.server}, std::move(l));
    }
    match_backend(cfg, p, local, true, out, diag);
  }

  // Each matched line's values, checked as HAProxy checks them before applying anything.
  for (size_t p = 0; p < out.servers.size(); ++p)
    for (size_t s = 0; s < out.servers[p].size(); ++s) {
      auto& saved = out.servers[p][s];
      if (!saved) continue;
      const std::string msg = invalid_values(std::vector<std::string_view>(saved->raw.begin(), saved->raw.end()), *saved);
      if (msg.empty()) continue;
      diag.warning("server-state application failed for server '" + cfg.proxies[p].name + "/" +
                   cfg.proxies[p].servers[s].name + "'" + msg);
      saved.reset();
    }
  return out;
}

namespace {

// The operational state a saved line gives a server with this rise/fall: HAProxy's rules.
struct OpRestore {
  int health;
  bool down, stopping;
};
OpRestore restored_op(const SavedServer& s, int rise, int fall) {
  switch (s.op_state) {
    case 0: return {0, true, false};
    case 3:
      if (fall == 1) return {0, true, false};
      return {s.check_health < rise || s.check_health > rise + fall - 2 ? rise : s.check_health, false, true};
    case 1:   // warming up (slow start): portero starts its ramp again, from an UP server
    case 2:
    default: return {rise + fall - 1, false, false};
  }
}

}  // namespace

void apply_server_states(const SavedStates& saved, const config::Config& cfg,
                         const std::vector<std::vector<lb::ServerState*>>& states) {
  for (size_t p = 0; p < saved.servers.size() && p < states.size(); ++p)
    for (size_t s = 0; s < saved.servers[p].size() && s < states[p].size(); ++s) {
      const auto& sv = saved.servers[p][s];
      if (!sv || !states[p][s]) continue;
      const config::Server& cs = cfg.proxies[p].servers[s];
      lb::ServerState& st = *states[p][s];
      const OpRestore op = restored_op(*sv, int(cs.rise), int(cs.fall));
      st.oper.store(op.down ? lb::OperState::down : op.stopping ? lb::OperState::stopping : lb::OperState::up,
                    std::memory_order_relaxed);
      // Maintenance: a changed `disabled` in the configuration wins; otherwise the operator's
      // forced maintenance (or its `enable server` of a `disabled` one) is kept.
      const bool cfg_maint = cs.disabled;
      bool maint = cfg_maint;
      if (bool(sv->admin_state & kCMaint) == cfg_maint) maint = bool(sv->admin_state & kFMaint);
      // Drain is kept unless it only came from a configured weight of 0 that is now positive.
      const bool drain = !maint && (sv->admin_state & kFDrain) && (sv->iweight > 0 || cs.weight == 0);
      st.admin.store(maint ? lb::AdminState::maint : drain ? lb::AdminState::drain : lb::AdminState::ready,
                     std::memory_order_relaxed);
      // A run-time weight survives only if the configured one did not change.
      if (sv->iweight == cs.weight) st.user_weight.store(sv->uweight, std::memory_order_relaxed);
    }
}

void apply_check_states(const SavedStates& saved, const config::Config& cfg, check::Checker& checker) {
  const uint64_t now = uint64_t(std::time(nullptr));
  for (size_t p = 0; p < saved.servers.size(); ++p)
    for (size_t s = 0; s < saved.servers[p].size(); ++s) {
      const auto& sv = saved.servers[p][s];
      if (!sv) continue;
      const config::Server& cs = cfg.proxies[p].servers[s];
      const OpRestore op = restored_op(*sv, int(cs.rise), int(cs.fall));
      check::Checker::Saved out;
      out.status = status_from_number(sv->check_status);
      out.last_change = now > sv->since_change ? now - sv->since_change : 0;
      // Only the operator's `disable health|agent` is restored: a check the configuration has.
      out.check_disabled = (sv->check_state & kChkConfigured) && !(sv->check_state & kChkEnabled);
      out.agent_disabled = (sv->agent_state & kChkConfigured) && !(sv->agent_state & kChkEnabled);
      out.health = op.health;
      out.down = op.down;
      out.stopping = op.stopping;
      checker.restore(int(p), int(s), out);
    }
}

}  // namespace portero::stats
