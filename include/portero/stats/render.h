#pragma once
// Text renderers of the stats: `show stat` (CSV, typed, JSON), `show info`, `show servers state`,
// `show backend`, in HAProxy 2.6.12's exact formats (COMPAT.md §4, §5.2). Main-thread only.
// The row model (collect_rows) is what the HTML page renders too.
#include <cstdint>
#include <string>
#include <vector>

#include "portero/stats/model.h"
#include "portero/stats/source.h"

namespace portero::stats {

struct StatQuery {
  enum class Format : uint8_t { csv, typed, json };
  Format format = Format::csv;
  bool up_only = false;        // `up`: only servers that are UP
  bool no_maint = false;       // `no-maint`: hide servers in MAINT
  bool desc = false;           // typed/json: add field descriptions
  bool show_private = false;   // fill addr/cookie/algo (CLI operator/admin, `stats show-legends`)
  int iid = -1;                // one proxy (by id), -1 all
  int type_mask = 7;           // 1 frontends, 2 backends, 4 servers
  int sid = -1;                // one server (by id), -1 all
  std::string scope;           // page `scope=`: proxy names containing it (case-insensitive)
  std::vector<std::string> only_proxies;  // `stats scope`: exact proxy names; empty: all
};

// Rows in HAProxy's order: per proxy FRONTEND, servers, BACKEND.
std::vector<Row> collect_rows(const StatsSource& src, const StatQuery& q);
// `show stat` / `;csv` / `;typed` / `;json`: header included for CSV.
std::string show_stat(const StatsSource& src, const StatQuery& q);

enum class InfoFormat : uint8_t { plain, typed, json };
// `show info [typed|json] [desc]`.
std::string show_info(const StatsSource& src, InfoFormat f, bool desc = false);
// The ordered (name, value) pairs of `show info`, for the HTML page's process block.
std::vector<std::pair<std::string, std::string>> info_fields(const StatsSource& src);
// `show servers state [backend]`: `backend` is the index in cfg->proxies (-1: all backends).
// The caller answers "Can't find backend." for an unknown name.
std::string show_servers_state(const StatsSource& src, int backend);
// `show servers conn [backend]`: each server's connection gauges (same `backend` as above).
std::string show_servers_conn(const StatsSource& src, int backend);
// Whether backend p can take traffic (its BACKEND row says UP): a server with weight in the
// balancer, or no server at all.
bool backend_up(const StatsSource& src, int p);
// `show backend`.
std::string show_backend(const StatsSource& src);

// The status cell of a server row ("UP", "UP 1/3", "DOWN 1/2", "NOLB", "DRAIN", "MAINT",
// "no check"), also used by the stats page.
std::string server_status(const StatsSource& src, int proxy, int server);

// Unit tests: the wall clock (unix ms) the ages (lastchg, lastsess, Uptime) are computed
// from. nullptr restores the system clock.
void set_clock_for_tests(uint64_t (*now_ms)());

}  // namespace portero::stats
