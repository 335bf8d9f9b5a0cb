#include "admin_form.h"

#include <array>

#include "portero/admin/actions.h"

namespace portero::web {
namespace {

constexpr std::array<std::pair<std::string_view, FormAction>, 17> kActions = {{
    {"ready", FormAction::ready},   {"drain", FormAction::drain},   {"maint", FormAction::maint},
    {"dhlth", FormAction::dhlth},   {"ehlth", FormAction::ehlth},   {"hrunn", FormAction::hrunn},
    {"hnolb", FormAction::hnolb},   {"hdown", FormAction::hdown},   {"dagent", FormAction::dagent},
    {"eagent", FormAction::eagent}, {"arunn", FormAction::arunn},   {"adown", FormAction::adown},
    {"shutdown", FormAction::shutdown}, {"enable", FormAction::enable}, {"disable", FormAction::disable},
    {"stop", FormAction::stop},     {"start", FormAction::start},
}};

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Applies one action to one server; true when it changed (or acted on) something. The
// "nothing to do" cases mirror HAProxy's: legacy enable/disable/stop/start only count when
// the state differs, check actions only on servers with that check configured.
bool apply_one(stats::StatsSource& src, admin::ServerRef ref, FormAction a) {
  using lb::AdminState;
  const config::Server& cfg = src.cfg->proxies[ref.proxy].servers[ref.server];
  const AdminState admin = src.states[ref.proxy][ref.server]->admin.load(std::memory_order_relaxed);
  switch (a) {
    case FormAction::ready: admin::set_admin_state(src, ref, AdminState::ready); return true;
    case FormAction::drain: admin::set_admin_state(src, ref, AdminState::drain); return true;
    case FormAction::maint: admin::set_admin_state(src, ref, AdminState::maint); return true;
    case FormAction::disable:
      if (admin == AdminState::maint) return false;
      admin::set_admin_state(src, ref, AdminState::maint);
      return true;
    case FormAction::enable:
      if (admin != AdminState::maint) return false;
      admin::set_admin_state(src, ref, AdminState::ready);
      return true;
    case FormAction::stop:
      if (admin != AdminState::ready) return false;
      admin::set_admin_state(src, ref, AdminState::drain);
      return true;
    case FormAction::start:
      if (admin != AdminState::drain) return false;
      admin::set_admin_state(src, ref, AdminState::ready);
      return true;
    case FormAction::dhlth:
    case FormAction::ehlth:
      if (!cfg.check) return false;
      admin::set_check_enabled(src, ref, false, a == FormAction::ehlth);
      return true;
    case FormAction::dagent:
    case FormAction::eagent:
      if (!cfg.agent_check) return false;
      admin::set_check_enabled(src, ref, true, a == FormAction::eagent);
      return true;
    case FormAction::hrunn: admin::force_health(src, ref, false, admin::Health::up); return true;
    case FormAction::hnolb: admin::force_health(src, ref, false, admin::Health::stopping); return true;
    case FormAction::hdown: admin::force_health(src, ref, false, admin::Health::down); return true;
    case FormAction::arunn:
    case FormAction::adown:
      if (!cfg.agent_check) return false;
      admin::force_health(src, ref, true, a == FormAction::arunn ? admin::Health::up : admin::Health::down);
      return true;
    case FormAction::shutdown: admin::shutdown_sessions(src, ref); return true;
  }
  return false;
}

int find_server_in(const stats::StatsSource& src, int proxy, std::string_view name) {
  const auto& servers = src.cfg->proxies[proxy].servers;
  for (size_t i = 0; i < servers.size(); ++i)
    if (servers.live(i) && servers[i].name == name && size_t(proxy) < src.states.size() && i < src.states[proxy].size()) return int(i);
  return -1;
}

}  // namespace

std::optional<FormAction> form_action(std::string_view name) {
  for (const auto& [n, a] : kActions)
    if (n == name) return a;
  return std::nullopt;
}

bool url_decode(std::string_view in, std::string& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out += ' ';
    } else if (in[i] == '%') {
      if (i + 2 >= in.size()) return false;
      const int h = hex(in[i + 1]), l = hex(in[i + 2]);
      if (h < 0 || l < 0) return false;
      out += static_cast<char>(h * 16 + l);
      i += 2;
    } else {
      out += in[i];
    }
  }
  return true;
}

std::vector<FormPair> form_pairs_from_end(std::string_view body) {
  std::vector<FormPair> pairs;
  size_t end = body.size();
  while (true) {
    const size_t amp = end == 0 ? std::string_view::npos : body.rfind('&', end - 1);
    const size_t start = amp == std::string_view::npos ? 0 : amp + 1;
    const std::string_view pair = body.substr(start, end - start);
    FormPair fp;
    if (pair.size() > kMaxPairLen) {
      fp.kind = FormPair::Kind::too_long;
      pairs.push_back(std::move(fp));
      return pairs;
    }
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos) {
      const std::string_view key = pair.substr(0, eq);
      if (!url_decode(pair.substr(eq + 1), fp.value)) {
        fp.kind = FormPair::Kind::bad_escape;
        pairs.push_back(std::move(fp));
        return pairs;
      }
      fp.kind = key == "b" ? FormPair::Kind::backend
                : key == "action" ? FormPair::Kind::action
                : key == "s" ? FormPair::Kind::server
                             : FormPair::Kind::other;
      pairs.push_back(std::move(fp));
    }
    if (amp == std::string_view::npos) break;
    end = amp;
  }
  return pairs;
}

PostStatus apply_admin_post(stats::StatsSource& src, std::string_view body) {
  int backend = -1;
  std::optional<FormAction> action;
  std::vector<std::string> deferred;   // servers named before `b` and `action` were known
  int total = 0, altered = 0;
  bool stopped = false;
  // A missing server counts as attempted and failed; one the action leaves as it was does not
  // count at all (so "enable" on servers already enabled is NONE, not ERRP).
  auto apply = [&](const std::string& name) {
    const int s = find_server_in(src, backend, name);
    if (s < 0) {
      ++total;
    } else if (apply_one(src, {backend, s}, *action)) {
      ++total;
      ++altered;
    }
  };
  for (const FormPair& p : form_pairs_from_end(body)) {
    switch (p.kind) {
      case FormPair::Kind::too_long: return PostStatus::errp;
      case FormPair::Kind::bad_escape: stopped = true; break;
      case FormPair::Kind::backend:
        if (backend < 0) {
          backend = admin::find_backend(src, p.value);
          if (backend < 0) return PostStatus::errp;
        }
        break;
      case FormPair::Kind::action:
        if (!action) {
          action = form_action(p.value);
          if (!action) return PostStatus::errp;
        }
        break;
      case FormPair::Kind::server:
        if (backend >= 0 && action) apply(p.value);
        else deferred.push_back(p.value);
        break;
      case FormPair::Kind::other: break;
    }
  }
  if (!stopped && backend >= 0 && action)
    for (const auto& name : deferred) apply(name);
  if (total == 0) return PostStatus::none;
  if (altered == 0) return PostStatus::errp;
  return altered == total ? PostStatus::done : PostStatus::part;
}

size_t max_post_body(const stats::StatsSource& src) {
  constexpr size_t kTypicalHead = 300;
  const size_t room = src.cfg->global.tune_bufsize - src.cfg->global.tune_maxrewrite;
  return room > kTypicalHead ? room - kTypicalHead : 0;
}

}  // namespace portero::web
