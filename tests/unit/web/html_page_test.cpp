// The HTML report and the exports through serve_page: tables, column groups, legend, row
// colours, admin form, banners, headers.
#include <doctest/doctest.h>

#include "web/html_table.h"
#include "web/html_util.h"
#include "web_fixture.h"

using namespace portero;
using namespace portero::web;
using web_test::Fixture;

namespace {
bool has(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }
size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}
}  // namespace

TEST_CASE("text helpers") {
  CHECK(html_escape("<a href=\"x\">&'") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
  CHECK(human_duration(-1) == "?");
  CHECK(human_duration(0) == "0s");
  CHECK(human_duration(45) == "45s");
  CHECK(human_duration(80) == "1m20s");
  CHECK(human_duration(3600) == "1h0m");
  CHECK(human_duration(3 * 3600 + 7 * 60 + 5) == "3h7m");
  CHECK(human_duration(2 * 86400 + 4 * 3600) == "2d4h");
  CHECK(grouped_number(999) == "999");
  CHECK(grouped_number(9984) == "<span class=\"g\">9</span>984");
  CHECK(grouped_number(1234567) == "<span class=\"g\">1</span><span class=\"g\">234</span>567");
}

TEST_CASE("server row colours follow the legend") {
  CHECK(server_row_class("UP", false) == "active_up");
  CHECK(server_row_class("UP 1/3", false) == "active_going_down");
  CHECK(server_row_class("DOWN 1/2", true) == "backup_going_up");
  CHECK(server_row_class("DOWN", false) == "active_down");
  CHECK(server_row_class("DOWN (agent)", true) == "backup_down");
  CHECK(server_row_class("no check", true) == "backup_no_check");
  CHECK(server_row_class("MAINT", true) == "maintain");
  CHECK(server_row_class("MAINT (via be/s1)", false) == "maintain");
  CHECK(server_row_class("DRAIN", false) == "active_draining");
  CHECK(server_row_class("NOLB", true) == "backup_nolb");
}

TEST_CASE("the HTML report: header, process block, legend, one table per proxy") {
  Fixture f(web_test::kConfig);
  const std::string r = f.get("stats", "/stats");
  CHECK(r.rfind("HTTP/1.1 200 OK\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nrefresh: 5\r\n", 0) == 0);
  const std::string b = web_test::body_of(r);
  CHECK(has(b, "<title>Statistics Report for portero</title>"));
  CHECK(has(b, "<h1>portero version 0.2.0, released 2026/12/07 <small>(HAProxy 2.6 compatible)</small></h1>"));
  CHECK(!has(b, "HAProxy version"));
  CHECK(has(b, "<h2>Statistics Report for pid 4242</h2>"));
  CHECK(has(b, "General process information"));
  for (const char* legend : {"active UP", "backup UP", "active UP, going down", "active DOWN, going up",
                             "active or backup DOWN", "not checked", "(MAINT)", "DRAIN"})
    CHECK_MESSAGE(has(b, legend), legend);
  for (const char* px : {"fe_main", "be_app", "stats"}) CHECK(has(b, std::string("<a name=\"") + px + "\"></a>"));
  // each table: the column groups with their spans, then the 30 column names
  CHECK(count(b, "<th colspan=\"3\">Queue</th><th colspan=\"3\">Session rate</th><th colspan=\"6\">Sessions</th>"
                 "<th colspan=\"2\">Bytes</th><th colspan=\"2\">Denied</th><th colspan=\"3\">Errors</th>"
                 "<th colspan=\"2\">Warnings</th><th colspan=\"9\">Server</th>") == 3);
  CHECK(count(b, "<th>Dwntme</th><th>Thrtle</th>") == 3);
  CHECK(has(b, "<a name=\"fe_main/Frontend\"></a>"));
  CHECK(has(b, "<a name=\"be_app/Backend\"></a>"));
  // rows coloured by state: s1 checked and UP, s2 unchecked, s3 unchecked backup, s4 disabled
  CHECK(has(b, "<tr class=\"frontend\">"));
  CHECK(has(b, "<tr class=\"backend\">"));
  CHECK(has(b, "<tr class=\"active_no_check\"><td class=\"c\"><a name=\"be_app/s2\">"));
  CHECK(has(b, "<tr class=\"backup_no_check\">"));
  CHECK(has(b, "<tr class=\"maintain\">"));
  CHECK(has(b, "OPEN</td>"));
  // the frontend session limit with its thousands visible
  CHECK(has(b, "<span class=\"g\">"));
  // links keep the stats URI
  CHECK(has(b, "href=\"/stats;up\""));
  CHECK(has(b, "href=\"/stats;norefresh\""));
  CHECK(has(b, "href=\"/stats;csv;norefresh\""));
  // the live charts and their script are inlined
  CHECK(has(b, "data-feed=\"/stats;live\""));
  CHECK(has(b, "<canvas"));
  CHECK(has(b, "fetch(live.dataset.feed"));
  CHECK(has(b, ".maintain { background: #c07820; }"));
  // no admin rights: no form, no leading pick column
  CHECK_FALSE(has(b, "<form method=\"post\">"));
  CHECK(has(b, "<tr class=\"frontend\"><td class=\"c\"><a name=\"fe_main/Frontend\">"));
}

TEST_CASE("admin form per backend with servers") {
  Fixture f(web_test::kConfig);
  const std::string b = web_test::body_of(f.get("stats", "/stats", true));
  CHECK(count(b, "<form method=\"post\">") == 1);   // be_app only: `stats` has no server
  CHECK(has(b, "<input class=\"be_app-checkbox\" type=\"checkbox\" name=\"s\" value=\"s1\">"));
  CHECK(count(b, "class=\"be_app-checkbox\"") == 4);
  for (const char* v : {"ready", "drain", "maint", "dhlth", "ehlth", "hrunn", "hnolb", "hdown", "dagent", "eagent",
                        "arunn", "adown", "shutdown"})
    CHECK_MESSAGE(has(b, std::string("<option value=\"") + v + "\">"), v);
  CHECK(has(b, "<input type=\"hidden\" name=\"b\" value=\"#" + std::to_string(f.cfg->proxies[f.proxy("be_app")].id) + "\">"));
  CHECK(has(b, "<input type=\"submit\" value=\"Apply\">"));
  // every table gets the leading column in admin mode
  CHECK(has(b, "<tr class=\"frontend\"><td></td><td class=\"c\">"));
}

TEST_CASE("banners after an action") {
  Fixture f(web_test::kConfig);
  CHECK(has(f.get("stats", "/stats;st=DONE"), "class=\"banner active_up\""));
  CHECK(has(f.get("stats", "/stats;st=DONE"), "Action processed successfully."));
  CHECK(has(f.get("stats", "/stats;st=PART"), "Action partially processed."));
  CHECK(has(f.get("stats", "/stats;st=NONE"), "Nothing has changed."));
  CHECK(has(f.get("stats", "/stats;st=ERRP"), "Action not processed because of invalid parameters."));
  CHECK(has(f.get("stats", "/stats;st=DENY"), "Action denied."));
  CHECK(has(f.get("stats", "/stats;st=ABCD"), "Unexpected result."));
  CHECK_FALSE(has(f.get("stats", "/stats"), "class=\"banner"));
}

TEST_CASE("display options: ;up, ;no-maint, scope, norefresh") {
  Fixture f(web_test::kConfig);
  f.state("be_app", "s1").oper = lb::OperState::down;
  const std::string up = f.get("stats", "/stats;up");
  CHECK_FALSE(has(up, "name=\"be_app/s1\""));
  CHECK(has(up, "name=\"be_app/s2\""));
  CHECK(has(up, "Show all servers"));
  CHECK_FALSE(has(f.get("stats", "/stats;no-maint"), "name=\"be_app/s4\""));
  const std::string scoped = f.get("stats", "/stats?scope=BE_");
  CHECK(has(scoped, "<a name=\"be_app\"></a>"));
  CHECK_FALSE(has(scoped, "<a name=\"fe_main\"></a>"));
  CHECK(has(scoped, "value=\"BE_\""));
  const std::string nr = f.get("stats", "/stats;norefresh");
  CHECK(web_test::header(nr, "refresh").empty());
  CHECK(has(nr, "Enable refresh"));
}

TEST_CASE("hide-version, show-node, show-desc, stats scope, show-legends") {
  Fixture f(R"(
global
    node mynode
    description global desc here
defaults
    mode http
frontend fe_x
    bind 127.0.0.1:27106
    default_backend be_y
backend be_y
    cookie SRV insert
    server a 127.0.0.1:27111 cookie ca
listen st4
    bind 127.0.0.1:27105
    stats uri /s
    stats hide-version
    stats show-node
    stats show-desc
    stats show-legends
    stats scope .
    stats scope be_y
)");
  const std::string b = f.get("st4", "/s");
  CHECK(web_test::header(b, "refresh").empty());   // no `stats refresh`
  CHECK(has(b, "<title>Statistics Report for portero on mynode</title>"));
  CHECK(has(b, "<h1>portero</h1>"));
  CHECK(has(b, "<h2>Statistics Report for pid 4242 on mynode: global desc here</h2>"));
  CHECK(has(b, "<a name=\"be_y\"></a>"));
  CHECK(has(b, "<a name=\"st4\"></a>"));
  CHECK_FALSE(has(b, "<a name=\"fe_x\"></a>"));
  CHECK(has(b, "title=\"address: 127.0.0.1:27111, id: 1, cookie: &#39;ca&#39;\""));
  CHECK_FALSE(has(b, "Disable refresh"));
}

TEST_CASE("exports: content types, refresh, csv header") {
  Fixture f(web_test::kConfig);
  const std::string csv = f.get("stats", "/stats;csv");
  CHECK(web_test::header(csv, "content-type") == "text/plain");
  CHECK(web_test::header(csv, "refresh") == "5");
  CHECK(web_test::header(csv, "transfer-encoding") == "chunked");
  CHECK(has(csv, "# pxname,svname,qcur,qmax,scur,smax,slim,stot,"));
  CHECK(has(csv, "be_app,s1,"));
  CHECK(web_test::header(f.get("stats", "/stats;csv;norefresh"), "refresh").empty());
  CHECK(web_test::header(f.get("stats", "/stats;typed"), "content-type") == "text/plain");
  CHECK(has(f.get("stats", "/stats;typed"), "F."));
  const std::string json = f.get("stats", "/stats;json");
  CHECK(web_test::header(json, "content-type") == "application/json");
  CHECK(has(json, "\"objType\":\"Frontend\""));
  CHECK(has(f.get("stats", "/stats;json-schema"), "\"$schema\""));
  // ;live: the sampler's feed, never a refresh header
  f.src.live_json = [] { return std::string("{\"objects\":[]}"); };
  const std::string live = f.get("stats", "/stats;live");
  CHECK(web_test::header(live, "content-type") == "application/json");
  CHECK(web_test::header(live, "refresh").empty());
  CHECK(has(live, "{\"objects\":[]}"));
}
