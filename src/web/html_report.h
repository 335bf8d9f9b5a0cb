#pragma once
// The stats page's HTML document: title, version heading, process information, the legend of
// row colours, display options and links, the banner after an admin action, one table per
// proxy, then portero's live charts (www/stats.css and www/stats.js inlined).
#include <string>
#include <string_view>
#include <vector>

#include "portero/stats/model.h"
#include "portero/stats/source.h"
#include "uri_options.h"

namespace portero::web {

struct ReportContext {
  const stats::StatsSource* src = nullptr;
  int stats_proxy = -1;          // the proxy whose `stats` settings apply
  std::string prefix;            // its stats URI prefix
  PageOptions options;           // what the request URI asked for
  bool admin = false;            // the admin form is shown (`stats admin` matched)
  uint64_t now_ms = 0;           // wall clock (uptime)
};

// `rows` as collect_rows returns them (grouped by proxy, in config order).
std::string html_report(const ReportContext& ctx, const std::vector<stats::Row>& rows);

// The banner text and its legend colour for a `;st=` code ("Action processed successfully.").
struct Banner {
  std::string css_class;
  std::string text;
};
Banner banner_for(PostStatus s);

// "0d 0h00m05s", as `show info` Uptime.
std::string uptime_text(uint64_t seconds);

}  // namespace portero::web
