// `log` in global and in proxies (COMPAT.md §7.1), plus `log global` / `no log`.
#include <netinet/in.h>

#include <array>

#include "parse_context.h"
#include "unimplemented.h"

namespace portero::config {
namespace {

constexpr std::array<const char*, 24> kFacilities = {
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "auth2", "ftp",
    "ntp", "audit", "alert", "cron2", "local0", "local1", "local2", "local3", "local4", "local5",
    "local6", "local7"};
constexpr std::array<const char*, 8> kLevels = {"emerg", "alert", "crit", "err",
                                                "warning", "notice", "info", "debug"};

int index_of(const auto& table, const std::string& w) {
  for (size_t i = 0; i < table.size(); ++i)
    if (w == table[i]) return int(i);
  return -1;
}

bool valid_format(const std::string& f) {
  for (const char* k : {"local", "rfc3164", "rfc5424", "priority", "short", "timed", "iso", "raw"})
    if (f == k) return true;
  return false;
}

void kw_log(ParseContext& c, const Args& a) {
  const bool in_global = c.section == SectionKind::global;
  std::vector<LogTarget>& logs = in_global ? c.config.global.logs : c.proxy->logs;
  if (c.negated) {
    logs.clear();
    if (c.proxy) c.proxy->no_log = true;
    return;
  }
  if (!in_global && a.size() == 2 && a[1] == "global") {
    LogTarget t;
    t.origin = c.origin;
    t.global = true;
    t.target = "global";
    logs.push_back(t);
    return;
  }
  if (a.size() < 3)
    return c.alert(in_global ? "log : expects <address> and <facility>  as arguments"
                             : "log : expects <address> and <facility> or global as arguments");
  LogTarget t;
  t.origin = c.origin;
  t.target = a[1];
  size_t i = 2;
  while (i + 1 < a.size()) {
    if (a[i] == "len") {
      uint32_t n = 0;
      if (!parse_uint(a[i + 1], n) || n < 80 || n > 65535)
        return c.alert("log : invalid log length '" + a[i + 1] + "', must be between 80 and 65535");
      t.max_len = n;
    } else if (a[i] == "format") {
      if (!valid_format(a[i + 1])) return c.alert("log : unknown log format '" + a[i + 1] + "'");
      t.format = a[i + 1];
    } else if (a[i] == "sample") {
      if (check_unimplemented(c, GapContext::log, "sample") == GapResult::refused) return;
    } else {
      break;
    }
    i += 2;
  }
  if (i >= a.size()) return c.alert("log : expects <address> and <facility>  as arguments");
  t.facility = index_of(kFacilities, a[i]);
  if (t.facility < 0) return c.alert("log : unknown log facility '" + a[i] + "'");
  if (++i < a.size()) {
    t.level = index_of(kLevels, a[i]);
    if (t.level < 0) return c.alert("log : unknown optional log level '" + a[i] + "'");
  }
  if (++i < a.size()) {
    t.min_level = index_of(kLevels, a[i]);
    if (t.min_level < 0) return c.alert("log : unknown optional minimum log level '" + a[i] + "'");
  }

  // Target address: stdout/stderr are fd@1/fd@2, ring@ stays symbolic, UDP defaults to 514.
  std::string target = t.target;
  if (target == "stdout") target = "fd@1";
  if (target == "stderr") target = "fd@2";
  if (target.starts_with("ring@")) {
    if (check_unimplemented(c, GapContext::log, "ring@") == GapResult::refused) return;
  } else {
    auto r = parse_address(target, false);
    if (!r.address) return c.alert("log : " + r.error);
    if (r.address->kind == Address::Kind::inet && r.address->port_lo == 0) {
      r.address->port_lo = r.address->port_hi = 514;
      auto& ss = r.address->storage;
      if (ss.ss_family == AF_INET) reinterpret_cast<sockaddr_in&>(ss).sin_port = htons(514);
      if (ss.ss_family == AF_INET6) reinterpret_cast<sockaddr_in6&>(ss).sin6_port = htons(514);
    }
    t.address = r.address;
  }
  logs.push_back(std::move(t));
}

const KeywordRow kRows[] = {
    {kInGlobal | kInProxies, "log", true, Cap::any, false, kw_log},
};

}  // namespace

void register_log_keywords(Registry& r) { r.add(kRows); }

}  // namespace portero::config
