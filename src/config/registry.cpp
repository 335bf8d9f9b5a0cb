// The keyword registry. Features add their rows through explicit calls below: the list of
// features is visible in one place and no static initialisation order is involved.
#include <charconv>

#include "parse_context.h"
#include "portero/config/units.h"

namespace portero::config {

void Registry::add(const KeywordRow* rows, size_t n) { rows_.insert(rows_.end(), rows, rows + n); }

const KeywordRow* Registry::find(std::string_view name, unsigned section_bit) const {
  for (const auto& r : rows_)
    if ((r.sections & section_bit) && r.name == name) return &r;
  // Then families such as `tune.*`.
  for (const auto& r : rows_)
    if ((r.sections & section_bit) && r.name.ends_with('*') &&
        name.starts_with(r.name.substr(0, r.name.size() - 1)))
      return &r;
  return nullptr;
}

std::vector<std::string_view> Registry::names(unsigned section_bit) const {
  std::vector<std::string_view> out;
  for (const auto& r : rows_)
    if ((r.sections & section_bit) && !r.name.ends_with('*')) out.push_back(r.name);
  return out;
}

const Registry& registry() {
  static const Registry r = [] {
    Registry reg;
    register_global_keywords(reg);
    register_h2_keywords(reg);
    register_tls_keywords(reg);
    register_log_keywords(reg);
    register_logging_keywords(reg);
    register_proxy_keywords(reg);
    register_error_keywords(reg);
    register_balance_keywords(reg);
    register_tcp_request_keywords(reg);
    register_timeout_keywords(reg);
    register_option_keywords(reg);
    register_bind_keywords(reg);
    register_server_keywords(reg);
    register_http_request_keywords(reg);
    register_http_response_keywords(reg);
    register_redirect_keywords(reg);
    register_stats_keywords(reg);
    register_acl_keywords(reg);
    register_check_keywords(reg);
    register_cookie_keywords(reg);
    register_stick_keywords(reg);
    register_unsupported_keywords(reg);  // last: implemented rows win
    return reg;
  }();
  return r;
}

const char* proxy_type_name(Proxy::Kind k) {
  switch (k) {
    case Proxy::Kind::defaults: return "defaults";
    case Proxy::Kind::frontend: return "frontend";
    case Proxy::Kind::backend: return "backend";
    case Proxy::Kind::listen: return "listen";
  }
  return "proxy";
}

const char* ParseContext::proxy_type() const { return proxy ? proxy_type_name(proxy->kind) : "global"; }

bool parse_uint(const std::string& s, uint32_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

std::optional<char> time_stop_char(const std::string& v) {
  size_t i = 0;
  while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i;
  if (i == 0) return v.empty() ? '\0' : v[0];
  if (v.compare(i, 2, "ms") == 0 || v.compare(i, 2, "us") == 0) i += 2;
  else if (i < v.size() && (v[i] == 's' || v[i] == 'm' || v[i] == 'h' || v[i] == 'd')) ++i;
  // After a valid unit HAProxy 2.6 only warns (see time_value).
  if (i < v.size() && (v[i - 1] < '0' || v[i - 1] > '9')) return std::nullopt;
  if (i < v.size()) return v[i];
  return std::nullopt;
}

std::optional<uint64_t> time_value(ParseContext& c, const std::string& v, const std::string& server) {
  std::string warning;
  auto t = parse_time_ms(v, warning);
  if (!warning.empty()) {
    if (server.empty()) c.diag.warning(warning);
    else c.diag.add(Severity::warning, c.origin, Form::bare, server + " : " + warning);
  }
  return t;
}

unsigned section_bit(SectionKind k) {
  switch (k) {
    case SectionKind::global: return kInGlobal;
    case SectionKind::defaults: return kInDefaults;
    case SectionKind::frontend: return kInFrontend;
    case SectionKind::backend: return kInBackend;
    case SectionKind::listen: return kInListen;
    default: return 0;
  }
}

}  // namespace portero::config
