// The prometheus-exporter page: framing, HAProxy's metric names and labels, values from the
// counters and server states, `scope=` / `no-maint`, the portero latency histograms.
#include <doctest/doctest.h>

#include <sstream>

#include "web/prometheus.h"
#include "web_fixture.h"

using namespace portero;
using namespace portero::web;
using web_test::Fixture;

namespace {

const char* kPromConfig = R"(
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind 127.0.0.1:27101
    http-request use-service prometheus-exporter if { path /metrics }
    default_backend be
frontend fe_tcp
    mode tcp
    bind 127.0.0.1:27102
    default_backend be_tcp
backend be
    server s1 127.0.0.1:27111 check
    server s2 127.0.0.1:27112 maxconn 10 maxqueue 5 weight 3
    server s3 127.0.0.1:27113 backup
    server s4 127.0.0.1:27114 check disabled
backend be_tcp
    mode tcp
    server t1 127.0.0.1:27115
)";

std::string scrape(Fixture& f, const std::string& uri, std::string method = "GET") {
  stats::PageRequest r;
  r.proxy = f.proxy("fe");
  r.method = std::move(method);
  r.uri = uri;
  r.prometheus = true;
  return stats::serve_page(f.src, r);
}

// The sample lines of a body (no comments), and the value of one sample ("" when absent).
std::vector<std::string> samples(const std::string& body) {
  std::vector<std::string> out;
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#') out.push_back(line);
  return out;
}
std::string value(const std::string& body, const std::string& series) {
  for (const std::string& s : samples(body))
    if (s.size() > series.size() && s.compare(0, series.size(), series) == 0 && s[series.size()] == ' ')
      return s.substr(series.size() + 1);
  return "";
}
bool has(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

// The body of a chunked (single chunk) or plain answer.
std::string body(const std::string& resp) {
  std::string b = web_test::body_of(resp);
  if (web_test::header(resp, "transfer-encoding") != "chunked") return b;
  const size_t eol = b.find("\r\n");
  const size_t n = std::stoul(b.substr(0, eol), nullptr, 16);
  return b.substr(eol + 2, n);
}

}  // namespace

TEST_CASE("prometheus: framing as HAProxy's") {
  Fixture f(kPromConfig);
  const std::string resp = scrape(f, "/metrics");
  CHECK(resp.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(web_test::header(resp, "content-type") == "text/plain; version=0.0.4");
  CHECK(web_test::header(resp, "cache-control") == "no-cache");
  CHECK(web_test::header(resp, "transfer-encoding") == "chunked");
  const std::string b = body(resp);
  CHECK(b.rfind("# HELP haproxy_process_nbthread Worker threads running in the process, as set by 'nbthread'\n"
                "# TYPE haproxy_process_nbthread gauge\nhaproxy_process_nbthread ",
                0) == 0);
  CHECK(value(b, "haproxy_process_nbproc") == "1");
  CHECK(value(b, "haproxy_process_build_info{version=\"0.2.0\"}") == "1");
  CHECK(value(b, "haproxy_process_current_zlib_memory") == "NaN");   // no zlib, as HAProxy without it
  CHECK(has(b, "# TYPE haproxy_process_connections_total counter\n"));

  const std::string head = scrape(f, "/metrics", "HEAD");
  CHECK(web_test::body_of(head).empty());
}

TEST_CASE("prometheus: counters, labels and HTTP-only metrics") {
  Fixture f(kPromConfig);
  const int fe = f.proxy("fe"), be = f.proxy("be");
  auto& c = *f.counters;
  c.proxy(0, fe).add(c.proxy(0, fe).sessions, 7);
  c.proxy(0, fe).add(c.proxy(0, fe).requests, 6);
  c.proxy(0, fe).status(200);
  c.proxy(0, fe).status(503);
  c.backend(0, be).add(c.backend(0, be).bytes_in, 1234);
  c.server(0, be, 0).status(200);
  c.server(0, be, 0).status(200);
  c.server(0, be, 1).status(404);
  c.server(0, be, 0).add(c.server(0, be, 0).errors_conn, 2);
  f.state("be", "s2").maxconn = 10;   // the data plane copies `maxconn` into the runtime state
  const std::string b = body(scrape(f, "/metrics"));

  CHECK(value(b, "haproxy_frontend_sessions_total{proxy=\"fe\"}") == "7");
  CHECK(value(b, "haproxy_frontend_http_requests_total{proxy=\"fe\"}") == "6");
  CHECK(value(b, "haproxy_frontend_http_responses_total{proxy=\"fe\",code=\"2xx\"}") == "1");
  CHECK(value(b, "haproxy_frontend_http_responses_total{proxy=\"fe\",code=\"5xx\"}") == "1");
  CHECK(value(b, "haproxy_backend_bytes_in_total{proxy=\"be\"}") == "1234");
  CHECK(value(b, "haproxy_server_http_responses_total{proxy=\"be\",server=\"s1\",code=\"2xx\"}") == "2");
  CHECK(value(b, "haproxy_server_http_responses_total{proxy=\"be\",server=\"s2\",code=\"4xx\"}") == "1");
  CHECK(value(b, "haproxy_server_connection_errors_total{proxy=\"be\",server=\"s1\"}") == "2");
  // codes: per code, then per object (HAProxy's order)
  const size_t s1_1xx = b.find("haproxy_server_http_responses_total{proxy=\"be\",server=\"s1\",code=\"1xx\"}");
  const size_t s2_1xx = b.find("haproxy_server_http_responses_total{proxy=\"be\",server=\"s2\",code=\"1xx\"}");
  const size_t s1_2xx = b.find("haproxy_server_http_responses_total{proxy=\"be\",server=\"s1\",code=\"2xx\"}");
  CHECK(s1_1xx < s2_1xx);
  CHECK(s2_1xx < s1_2xx);
  // TCP proxies: no HTTP metrics, but the others
  CHECK(!has(b, "haproxy_frontend_http_requests_total{proxy=\"fe_tcp\"}"));
  CHECK(!has(b, "haproxy_backend_http_responses_total{proxy=\"be_tcp\""));
  CHECK(!has(b, "haproxy_server_http_responses_total{proxy=\"be_tcp\""));
  CHECK(value(b, "haproxy_frontend_sessions_total{proxy=\"fe_tcp\"}") == "0");
  CHECK(value(b, "haproxy_server_sessions_total{proxy=\"be_tcp\",server=\"t1\"}") == "0");
  // one HELP/TYPE per metric
  std::string help = "# HELP haproxy_server_sessions_total ";
  CHECK(b.find(help) == b.rfind(help));
  // empty `show stat` fields are NaN; configured limits are values
  CHECK(value(b, "haproxy_server_limit_sessions{proxy=\"be\",server=\"s1\"}") == "NaN");
  CHECK(value(b, "haproxy_server_limit_sessions{proxy=\"be\",server=\"s2\"}") == "10");
  CHECK(value(b, "haproxy_server_queue_limit{proxy=\"be\",server=\"s2\"}") == "5");
  CHECK(value(b, "haproxy_server_weight{proxy=\"be\",server=\"s2\"}") == "3");
  CHECK(value(b, "haproxy_server_check_failures_total{proxy=\"be\",server=\"s2\"}") == "NaN");
  CHECK(value(b, "haproxy_server_response_time_average_seconds{proxy=\"be\",server=\"s1\"}") == "0.000000");
}

TEST_CASE("prometheus: states, checks and aggregates") {
  Fixture f(kPromConfig);
  f.state("be", "s3").admin = lb::AdminState::drain;
  const std::string b = body(scrape(f, "/metrics"));
  CHECK(value(b, "haproxy_server_status{proxy=\"be\",server=\"s1\",state=\"UP\"}") == "1");
  CHECK(value(b, "haproxy_server_status{proxy=\"be\",server=\"s2\",state=\"UP\"}") == "1");   // "no check"
  CHECK(value(b, "haproxy_server_status{proxy=\"be\",server=\"s3\",state=\"DRAIN\"}") == "1");
  CHECK(value(b, "haproxy_server_status{proxy=\"be\",server=\"s3\",state=\"UP\"}") == "0");
  CHECK(value(b, "haproxy_server_status{proxy=\"be\",server=\"s4\",state=\"MAINT\"}") == "1");
  CHECK(value(b, "haproxy_frontend_status{proxy=\"fe\",state=\"UP\"}") == "1");
  CHECK(value(b, "haproxy_frontend_status{proxy=\"fe\",state=\"DOWN\"}") == "0");
  CHECK(value(b, "haproxy_backend_status{proxy=\"be\",state=\"UP\"}") == "1");
  CHECK(value(b, "haproxy_backend_agg_server_status{proxy=\"be\",state=\"UP\"}") == "2");
  CHECK(value(b, "haproxy_backend_agg_server_status{proxy=\"be\",state=\"DRAIN\"}") == "1");
  CHECK(value(b, "haproxy_backend_agg_server_status{proxy=\"be\",state=\"MAINT\"}") == "1");
  CHECK(value(b, "haproxy_backend_agg_server_check_status{proxy=\"be\",state=\"MAINT\"}") == "1");
  // check metrics: only servers checked (s4 is `disabled`: none)
  CHECK(value(b, "haproxy_server_check_status{proxy=\"be\",server=\"s1\",state=\"L4OK\"}") == "0");   // INI
  CHECK(value(b, "haproxy_server_check_code{proxy=\"be\",server=\"s1\"}") == "0");
  CHECK(value(b, "haproxy_server_check_duration_seconds{proxy=\"be\",server=\"s1\"}") == "0.000000");
  CHECK(!has(b, "haproxy_server_check_status{proxy=\"be\",server=\"s2\""));
  CHECK(!has(b, "haproxy_server_check_status{proxy=\"be\",server=\"s4\""));
  CHECK(!has(b, "haproxy_server_check_code{proxy=\"be\",server=\"s4\""));
  CHECK(value(b, "haproxy_backend_agg_check_status{proxy=\"be\",state=\"PROCOK\"}") == "0");
  CHECK(value(b, "haproxy_backend_active_servers{proxy=\"be\"}") == "2");
  CHECK(value(b, "haproxy_backend_backup_servers{proxy=\"be\"}") == "0");   // s3 draining: weight 0
}

TEST_CASE("prometheus: scope= and no-maint") {
  PromOptions o = parse_prom_query("/metrics");
  CHECK((o.global && o.frontend && o.backend && o.server && !o.no_maint && !o.bad_request));
  o = parse_prom_query("/metrics?scope=server&scope=global");
  CHECK((o.global && !o.frontend && !o.backend && o.server));
  o = parse_prom_query("/metrics?scope=");
  CHECK((!o.global && !o.frontend && !o.backend && !o.server && !o.bad_request));
  o = parse_prom_query("/metrics?scope=&scope=backend&no-maint");
  CHECK((!o.global && !o.frontend && o.backend && !o.server && o.no_maint));
  o = parse_prom_query("/metrics?scope=global&scope=");   // as HAProxy: empty drops the earlier ones
  CHECK((!o.global && !o.frontend && !o.backend && !o.server && !o.bad_request));
  o = parse_prom_query("/metrics?scope=global&scope=&scope=frontend");
  CHECK((!o.global && o.frontend && !o.backend && !o.server));
  o = parse_prom_query("/metrics?scope=frontend&scope=*");
  CHECK((o.global && o.frontend && o.backend && o.server));
  o = parse_prom_query("/metrics?foo=1&no-maint=0");
  CHECK((o.global && o.server && o.no_maint));
  CHECK(parse_prom_query("/metrics?scope=Global").bad_request);
  CHECK(parse_prom_query("/metrics?scope=global,frontend").bad_request);
  CHECK(!parse_prom_query("/metrics?scope=sticktable").bad_request);

  Fixture f(kPromConfig);
  std::string b = body(scrape(f, "/metrics?scope=frontend"));
  CHECK(!has(b, "haproxy_process_"));
  CHECK(has(b, "haproxy_frontend_sessions_total{proxy=\"fe\"}"));
  CHECK(has(b, "portero_frontend_request_duration_seconds_count{proxy=\"fe\"}"));
  CHECK(!has(b, "haproxy_backend_"));
  CHECK(!has(b, "haproxy_server_"));
  CHECK(!has(b, "portero_server_"));

  CHECK(body(scrape(f, "/metrics?scope=")).empty());

  b = body(scrape(f, "/metrics?scope=server&scope=backend&no-maint"));
  CHECK(!has(b, "server=\"s4\""));
  CHECK(has(b, "server=\"s3\""));
  CHECK(value(b, "haproxy_backend_agg_server_status{proxy=\"be\",state=\"MAINT\"}") == "1");   // still counted
  // the scopes always come in the order global, frontend, backend, server
  CHECK(b.find("haproxy_backend_") < b.find("haproxy_server_"));

  const std::string bad = scrape(f, "/metrics?scope=bogus");
  CHECK(bad.rfind("HTTP/1.1 400 Bad request\r\n", 0) == 0);
  CHECK(has(bad, "Your browser sent an invalid request."));
}

TEST_CASE("prometheus: portero latency histograms") {
  Fixture f(kPromConfig);
  const int be = f.proxy("be");
  auto& srv = f.counters->server(0, be, 0);
  auto& bk = f.counters->backend(0, be);
  for (uint64_t us : {50ull, 100ull, 127ull, 128ull, 1000ull, 5000ull, 100000000ull}) {
    srv.add(srv.latency[stats::latency_bucket(us)]);
    bk.add(bk.latency[stats::latency_bucket(us)]);
  }
  const std::string b = body(scrape(f, "/metrics?scope=server&scope=backend"));
  const std::string s = "portero_server_request_duration_seconds";
  CHECK(has(b, "# TYPE " + s + " histogram\n"));
  const std::string lbl = "{proxy=\"be\",server=\"s1\",le=\"";
  CHECK(value(b, s + "_bucket" + lbl + "0.000128\"}") == "3");    // 50, 100, 127 µs
  CHECK(value(b, s + "_bucket" + lbl + "0.000256\"}") == "4");
  CHECK(value(b, s + "_bucket" + lbl + "0.001024\"}") == "5");
  CHECK(value(b, s + "_bucket" + lbl + "0.008192\"}") == "6");
  CHECK(value(b, s + "_bucket" + lbl + "67.108864\"}") == "6");    // 100 s is beyond
  CHECK(value(b, s + "_bucket" + lbl + "+Inf\"}") == "7");
  CHECK(value(b, s + "_count{proxy=\"be\",server=\"s1\"}") == "7");
  const double sum = std::stod(value(b, s + "_sum{proxy=\"be\",server=\"s1\"}"));
  CHECK(sum > 0.9 * 100.006405);
  CHECK(sum < 1.2 * 100.006405);
  CHECK(value(b, s + "_count{proxy=\"be\",server=\"s2\"}") == "0");
  CHECK(value(b, "portero_backend_request_duration_seconds_count{proxy=\"be\"}") == "7");
  // 20 bounds + +Inf per object
  size_t n = 0;
  for (const std::string& line : samples(b))
    if (line.rfind(s + "_bucket{proxy=\"be\",server=\"s1\"", 0) == 0) ++n;
  CHECK(n == 21);
  // bounds ascend
  CHECK(b.find(lbl + "0.000128") < b.find(lbl + "0.000256"));
}

TEST_CASE("prometheus: label values are escaped") {
  Fixture f(R"(
defaults
    mode http
frontend fe
    bind 127.0.0.1:27101
    default_backend be
backend be
    server s1 127.0.0.1:27111
)");
  // proxy names cannot hold quotes in a config; the escaping is checked on the build label
  f.src.process.version = "2.6\"x\\y";
  const std::string b = prometheus_metrics(f.src, PromOptions{});
  CHECK(has(b, "haproxy_process_build_info{version=\"2.6\\\"x\\\\y\"} 1\n"));
}
