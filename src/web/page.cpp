// serve_page: the stats URI's answers (COMPAT.md §4.3, §4.4). Main-thread only.
#include "portero/stats/page.h"

#include <chrono>

#include "admin_form.h"
#include "assets.h"
#include "html_report.h"
#include "http_reply.h"
#include "portero/stats/render.h"
#include "prometheus.h"
#include "uri_options.h"

namespace portero::stats {
namespace {

// HAProxy's default when `stats enable` is given without `stats uri`.
constexpr std::string_view kDefaultUri = "/haproxy?stats";

uint64_t now_ms() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

}  // namespace

std::string serve_page(StatsSource& src, const PageRequest& req) {
  using web::PageOptions;
  using web::PostStatus;
  if (req.prometheus) return web::prometheus_reply(src, req);
  const config::Proxy& px = src.cfg->proxies[req.proxy];
  const std::string prefix = px.stats_uri.empty() ? std::string(kDefaultUri) : px.stats_uri;
  const PageOptions o = web::parse_options(req.uri, prefix);
  const bool refresh_configured = px.stats_refresh.has_value();

  if (req.method == "POST") {
    PostStatus st;
    if (!req.admin_allowed) st = PostStatus::deny;
    else if (req.body.size() > web::max_post_body(src)) st = PostStatus::excd;
    else st = web::apply_admin_post(src, req.body);
    return web::see_other_reply(req, web::post_location(prefix, st, o, refresh_configured));
  }

  // `refresh:` goes with every format (CSV and JSON too, as HAProxy), unless `;norefresh`.
  std::optional<uint64_t> refresh;
  if (refresh_configured && !o.norefresh) refresh = *px.stats_refresh / 1000;

  StatQuery q;
  q.up_only = o.up;
  q.no_maint = o.no_maint;
  q.scope = o.scope;
  q.show_private = px.stats_show_legends;
  for (const std::string& name : px.stats_scope)   // `stats scope .` is the stats proxy itself
    q.only_proxies.push_back(name == "." ? px.name : name);
  switch (o.format) {
    case PageOptions::Format::csv:
      q.format = StatQuery::Format::csv;
      return web::ok_reply(req, "text/plain", refresh, show_stat(src, q));
    case PageOptions::Format::typed:
      q.format = StatQuery::Format::typed;
      return web::ok_reply(req, "text/plain", refresh, show_stat(src, q));
    case PageOptions::Format::json:
      q.format = StatQuery::Format::json;
      return web::ok_reply(req, "application/json", refresh, show_stat(src, q));
    case PageOptions::Format::json_schema:
      return web::ok_reply(req, "application/json", refresh, web::asset("stats-schema.json"));
    case PageOptions::Format::live:
      // polled by the page's script: never a refresh header, which would reload nothing useful
      return web::ok_reply(req, "application/json", std::nullopt, src.live_json ? src.live_json() : "{}");
    case PageOptions::Format::html: break;
  }
  web::ReportContext ctx;
  ctx.src = &src;
  ctx.stats_proxy = req.proxy;
  ctx.prefix = prefix;
  ctx.options = o;
  ctx.admin = req.admin_allowed;
  ctx.now_ms = now_ms();
  return web::ok_reply(req, "text/html", refresh, web::html_report(ctx, collect_rows(src, q)));
}

}  // namespace portero::stats
