// `tune.h2.*` (global): the HTTP/2 SETTINGS advertised to clients, read and refused as HAProxy
// 2.6 does (observed on 2.6.12 with `haproxy -c`); `tune.h2.limit.*`, portero's abuse limits.
#include <cstdint>
#include <cstdlib>

#include "parse_context.h"

namespace portero::config {
namespace {

// HAProxy reads these values with atoi(): a leading number, junk reads as 0, and a number past
// a long saturates and is then cut to an int ("2147483648" and "9223372036854775808" become
// negative, "4294967296" becomes 0). What it accepts or refuses follows from that, so we
// compute the same int.
int haproxy_atoi(const std::string& s) { return int(std::strtol(s.c_str(), nullptr, 10)); }

// The value word, or an empty one when missing (atoi reads that as 0 too). false after an
// extra word was reported.
bool one_value(ParseContext& c, const Args& a, int& out) {
  if (a.size() > 2) {
    c.alert("'" + a[0] + "' cannot handle unexpected argument '" + a[2] + "'.");
    return false;
  }
  out = haproxy_atoi(a.size() > 1 ? a[1] : std::string());
  return true;
}

void kw_header_table_size(ParseContext& c, const Args& a) {
  int v = 0;
  if (!one_value(c, a, v)) return;
  if (v < 4096 || v > 65536) return c.alert("'" + a[0] + "' expects a numeric value between 4096 and 65536.");
  c.config.global.h2.header_table_size = uint32_t(v);
}

// initial-window-size and max-concurrent-streams: only a negative int is refused (a missing
// value or junk is 0, which HAProxy takes).
void kw_non_negative(ParseContext& c, const Args& a) {
  int v = 0;
  if (!one_value(c, a, v)) return;
  if (v < 0) return c.alert("'" + a[0] + "' expects a positive numeric value.");
  H2Tuning& h2 = c.config.global.h2;
  (a[0] == "tune.h2.initial-window-size" ? h2.initial_window_size : h2.max_concurrent_streams) = uint32_t(v);
}

void kw_max_frame_size(ParseContext& c, const Args& a) {
  int v = 0;
  if (!one_value(c, a, v)) return;
  if (v < 16384 || v > 16777215)
    return c.alert("'" + a[0] + "' expects a numeric value between 16384 and 16777215.");
  c.config.global.h2.max_frame_size = uint32_t(v);
}

// tune.h2.limit.<name> <n>: portero's own keywords, read strictly (a whole non-negative number).
void kw_limit(ParseContext& c, const Args& a) {
  if (a.size() != 2) return c.alert("'" + a[0] + "' expects one argument, a number (0: no limit).");
  char* end = nullptr;
  const unsigned long long v = std::strtoull(a[1].c_str(), &end, 10);
  if (a[1].empty() || *end || a[1][0] == '-' || v > UINT32_MAX)
    return c.alert("'" + a[0] + "' expects a number between 0 and 4294967295 (0: no limit), not '" + a[1] + "'.");
  H2Tuning& h = c.config.global.h2;
  const std::string name = a[0].substr(std::string("tune.h2.limit.").size());
  std::optional<uint32_t>* to = name == "resets"            ? &h.limit_resets
                                : name == "provoked-resets" ? &h.limit_provoked_resets
                                : name == "streams"         ? &h.limit_streams
                                : name == "settings"        ? &h.limit_settings
                                : name == "pings"           ? &h.limit_pings
                                : name == "priority"        ? &h.limit_priority
                                : name == "empty-data"      ? &h.limit_empty_data
                                : name == "header-list"     ? &h.limit_header_list
                                                            : &h.limit_large_heads;
  *to = uint32_t(v);
}

const KeywordRow kRows[] = {
    {kInGlobal, "tune.h2.limit.resets", false, Cap::any, false, kw_limit},
    {kInGlobal, "tune.h2.limit.provoked-resets", false, Cap::any, false, kw_limit},
    {kInGlobal, "tune.h2.limit.streams", false, Cap::any, false, kw_limit},
    {kInGlobal, "tune.h2.limit.settings", false, Cap::any, false, kw_limit},
    {kInGlobal, "tune.h2.limit.pings", false, Cap::any, false, kw_limit},
    {kInGlobal, "tune.h2.limit.priority", false, Cap::any, false, kw_limit},
    {kInGlobal, "tune.h2.limit.empty-data", false, Cap::any, false, kw_limit},
    {kInGlobal, "tune.h2.limit.header-list", false, Cap::any, false, kw_limit},
    {kInGlobal, "tune.h2.limit.large-heads", false, Cap::any, false, kw_limit},
    {kInGlobal, "tune.h2.header-table-size", false, Cap::any, false, kw_header_table_size},
    {kInGlobal, "tune.h2.initial-window-size", false, Cap::any, false, kw_non_negative},
    {kInGlobal, "tune.h2.max-concurrent-streams", false, Cap::any, false, kw_non_negative},
    {kInGlobal, "tune.h2.max-frame-size", false, Cap::any, false, kw_max_frame_size},
};

}  // namespace

void register_h2_keywords(Registry& r) { r.add(kRows); }

}  // namespace portero::config
