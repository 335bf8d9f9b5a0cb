#include "html_report.h"

#include <cstdio>

#include "assets.h"
#include "html_table.h"
#include "html_util.h"

namespace portero::web {
namespace {

std::string num(uint64_t v) { return std::to_string(v); }

// What the process is and how busy, beside the legend (one line per fact).
std::string process_block(const ReportContext& ctx) {
  const stats::StatsSource& src = *ctx.src;
  const stats::ProcessInfo& pi = src.process;
  const uint64_t up_s = ctx.now_ms > pi.start_time_ms ? (ctx.now_ms - pi.start_time_ms) / 1000 : 0;
  auto val = [](const auto& fn, auto... args) -> uint64_t { return fn ? fn(args...) : 0; };
  std::string h = "<td class=\"info\">";
  h += "<b>pid = </b>" + num(pi.pid) + " (process #1, nbproc = 1, nbthread = " + num(pi.nbthread) + ")<br>\n";
  h += "<b>uptime = </b>" + uptime_text(up_s) + "<br>\n";
  h += "<b>system limits:</b> memmax = unlimited; ulimit-n = " + num(pi.ulimit_n) + "<br>\n";
  h += "<b>maxsock = </b>" + num(pi.ulimit_n) + "; <b>maxconn = </b>" + num(pi.maxconn) + "; <b>maxpipes = </b>0<br>\n";
  h += "current conns = " + num(val(src.cur_conns)) + "; cumulated conns = " + num(val(src.cum_conns)) +
       "; cumulated requests = " + num(val(src.cum_reqs)) + "<br>\n";
  h += "listeners = " + num(pi.listeners) + "<br>\n</td>";
  return h;
}

// The colour legend: one swatch per server state, as the rows use them.
std::string legend_block() {
  static constexpr std::pair<const char*, const char*> kPairs[][2] = {
      {{"active_up", "active UP"}, {"backup_up", "backup UP"}},
      {{"active_going_down", "active UP, going down"}, {"backup_going_down", "backup UP, going down"}},
      {{"active_going_up", "active DOWN, going up"}, {"backup_going_up", "backup DOWN, going up"}},
      {{"active_down", "active or backup DOWN"}, {"active_no_check", "not checked"}},
  };
  std::string h = "<td class=\"legend-cell\"><table class=\"lgd\">";
  for (const auto& row : kPairs) {
    h += "<tr>";
    for (const auto& [cls, label] : row)
      h += std::string("<td class=\"") + cls + " swatch\"></td><td class=\"noborder\">" + label + "</td>";
    h += "</tr>";
  }
  h += "<tr><td class=\"maintain swatch\"></td><td class=\"noborder\" colspan=\"3\">active or backup DOWN for "
       "maintenance (MAINT)</td></tr>";
  h += "<tr><td class=\"active_draining swatch\"></td><td class=\"noborder\" colspan=\"3\">active or backup "
       "DRAIN: soft-stopped, no new sessions</td></tr>";
  h += "</table>NOLB / DRAIN: up, but out of load balancing.</td>";
  return h;
}

std::string options_block(const ReportContext& ctx, bool refresh) {
  const PageOptions& o = ctx.options;
  auto link = [&](const std::string& href, const char* label) {
    return "<li><a href=\"" + html_escape(href) + "\">" + label + "</a></li>\n";
  };
  std::string h = "<td class=\"opts\"><b>Display option:</b><ul>";
  h += "<li><form method=\"GET\">Scope : <input value=\"" + html_escape(o.scope) +
       "\" name=\"scope\" size=\"8\" maxlength=\"20\"></form></li>\n";
  PageOptions toggled = o;
  toggled.up = !o.up;
  h += link(page_link(ctx.prefix, toggled, refresh), o.up ? "Show all servers" : "Hide 'DOWN' servers");
  if (refresh) {
    toggled = o;
    toggled.norefresh = !o.norefresh;
    h += link(page_link(ctx.prefix, toggled, refresh), o.norefresh ? "Enable refresh" : "Disable refresh");
  }
  h += link(page_link(ctx.prefix, o, refresh), "Refresh now");
  PageOptions plain = o;
  plain.norefresh = false;
  h += link(page_link(ctx.prefix, plain, refresh, ";csv;norefresh"), "CSV export");
  h += link(page_link(ctx.prefix, plain, refresh, ";json;norefresh"), "JSON export");
  h += link(ctx.prefix + ";live", "Live JSON (charts feed)");
  h += "</ul></td>";
  h += "<td class=\"opts\"><b>External resources:</b><ul>";
  h += "<li><a href=\"https://www.haproxy.org/\">HAProxy site</a></li>\n";
  h += "<li><a href=\"https://docs.haproxy.org/2.6/configuration.html\">Configuration manual (2.6)</a></li>\n";
  h += "</ul></td>";
  return h;
}

std::string live_block(const ReportContext& ctx) {
  // Filled by stats.js from `<prefix>;live`: one small chart per metric for the chosen
  // object, and a table of the latest values of every object.
  std::string h = "<h3>&gt; Live (last 5 minutes, 1 s samples)</h3>\n";
  h += "<div id=\"live\" data-feed=\"" + html_escape(ctx.prefix + ";live") + "\" data-polls=\"0\">\n";
  h += "<div class=\"live-bar\">Object: <select id=\"live-object\"></select> <span id=\"live-state\">waiting for "
       "the first sample&hellip;</span></div>\n";
  h += "<div class=\"charts\">";
  static constexpr std::pair<const char*, const char*> kCharts[] = {
      {"req", "Requests / s"}, {"err", "Errors / s (5xx, connection and request errors)"}, {"lat", "Latency (ms): p50 p90 p99 p99.9"}};
  for (const auto& [id, title] : kCharts)
    h += std::string("<figure class=\"chart\" data-chart=\"") + id + "\"><figcaption>" + title +
         " <b class=\"latest\" data-latest=\"" + id + "\">-</b></figcaption><canvas width=\"400\" height=\"150\"></canvas></figure>";
  h += "</div>\n<table class=\"tbl live-table\" id=\"live-table\"><thead><tr class=\"titre\"><th>Object</th><th>req/s</th>"
       "<th>max req/s</th><th>err/s</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>trend</th></tr></thead>"
       "<tbody></tbody></table>\n</div>\n";
  return h;
}

}  // namespace

std::string uptime_text(uint64_t s) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%llud %lluh%02llum%02llus", static_cast<unsigned long long>(s / 86400),
                static_cast<unsigned long long>(s / 3600 % 24), static_cast<unsigned long long>(s / 60 % 60),
                static_cast<unsigned long long>(s % 60));
  return buf;
}

Banner banner_for(PostStatus s) {
  switch (s) {
    case PostStatus::done: return {"active_up", "Action processed successfully."};
    case PostStatus::part: return {"active_going_down", "Action partially processed."};
    case PostStatus::none: return {"active_going_down", "Nothing has changed."};
    case PostStatus::errp: return {"active_down", "Action not processed because of invalid parameters."};
    case PostStatus::excd:
      return {"active_down", "Action not processed: the form did not fit in one buffer. Check fewer servers at a time."};
    case PostStatus::deny: return {"active_down", "Action denied."};
    case PostStatus::ival: return {"active_down", "Invalid request (unsupported method or encoding)."};
    case PostStatus::unkn: break;
  }
  return {"active_no_check", "Unexpected result."};
}

std::string html_report(const ReportContext& ctx, const std::vector<stats::Row>& rows) {
  const stats::StatsSource& src = *ctx.src;
  const config::Proxy& me = src.cfg->proxies[ctx.stats_proxy];
  const stats::ProcessInfo& pi = src.process;
  const bool refresh = me.stats_refresh.has_value();
  std::string h;
  h.reserve(64 * 1024);
  h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  // `stats show-node` names the node in the title and heading, `stats show-desc` describes it.
  std::string node, desc;
  if (me.stats_show_node) node = me.stats_show_node->empty() ? src.cfg->global.node : *me.stats_show_node;
  if (me.stats_show_desc) desc = me.stats_show_desc->empty() ? src.cfg->global.description : *me.stats_show_desc;
  h += "<title>Statistics Report for " + html_escape(pi.name) + (node.empty() ? "" : " on " + html_escape(node)) +
       "</title>\n";
  h += "<link rel=\"icon\" href=\"data:,\">\n<style>\n";
  h += asset("stats.css");
  h += "</style></head>\n<body>\n";
  if (me.stats_hide_version)
    h += "<h1>" + html_escape(pi.name) + "</h1>\n";
  else
    h += "<h1>" + html_escape(pi.name) + " version " + html_escape(pi.version) + ", released " +
         html_escape(pi.release_date) + " <small>(HAProxy 2.6 compatible)</small></h1>\n";
  h += "<h2>Statistics Report for pid " + std::to_string(pi.pid) + (node.empty() ? "" : " on " + html_escape(node)) +
       (desc.empty() ? "" : ": " + html_escape(desc)) + "</h2>\n<hr class=\"rule\">\n";
  h += "<h3>&gt; General process information</h3>\n";
  h += "<table class=\"head\"><tr>" + process_block(ctx) + legend_block() + options_block(ctx, refresh) + "</tr></table>\n";
  if (!ctx.options.status.empty()) {
    const Banner b = banner_for(status_from_code(ctx.options.status));
    PageOptions clean = ctx.options;
    clean.status.clear();
    h += "<div class=\"banner " + b.css_class + "\"><a class=\"row\" href=\"" +
         html_escape(page_link(ctx.prefix, clean, refresh)) + "\" title=\"dismiss\">[X]</a> " + html_escape(b.text) +
         "</div>\n";
  }
  // Rows arrive grouped by proxy; one block per proxy.
  for (size_t i = 0; i < rows.size();) {
    const int p = rows[i].proxy;
    std::vector<const stats::Row*> mine;
    for (; i < rows.size() && rows[i].proxy == p; ++i) mine.push_back(&rows[i]);
    const config::Proxy& px = src.cfg->proxies[p];
    TableMode mode;
    mode.admin_page = ctx.admin;
    mode.admin_form = ctx.admin && px.is_backend() && !px.servers.empty();
    mode.legends = me.stats_show_legends;
    h += proxy_table_html(px, mine, mode);
  }
  h += live_block(ctx);
  h += "<script>\n";
  h += asset("stats.js");
  h += "</script>\n</body></html>\n";
  return h;
}

}  // namespace portero::web
