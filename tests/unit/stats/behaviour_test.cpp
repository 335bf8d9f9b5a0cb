// Renderer behaviours outside the two captured scenarios: status strings through the check
// health cycle and admin states (COMPAT.md §3.2, observed on haproxy 2.6.12), counters landing in
// their columns, filters, empty sources, `show backend`, `show info` forms, quoting.
#include "ref1.h"

using namespace stats_test;
using portero::check::Result;
using portero::check::Status;
using portero::lb::AdminState;
using portero::lb::OperState;

namespace {

// The CSV cell `name` of the row (pxname, svname).
std::string cell(const std::string& csv, const std::string& px, const std::string& sv, const std::string& name) {
  const auto ls = lines(csv);
  auto split = [](const std::string& l) {
    std::vector<std::string> v;
    size_t b = 0;
    for (size_t e; (e = l.find(',', b)) != std::string::npos; b = e + 1) v.push_back(l.substr(b, e - b));
    return v;
  };
  const auto head = split(ls[0].substr(2));
  size_t col = 0;
  while (col < head.size() && head[col] != name) ++col;
  REQUIRE(col < head.size());
  for (size_t i = 1; i < ls.size(); ++i) {
    const auto v = split(ls[i]);
    if (v.size() > col && v[0] == px && v[1] == sv) return v[col];
  }
  FAIL("no row " << px << "/" << sv);
  return {};
}

std::string csv(Fixture& f) { return stats::show_stat(f.src, stats::StatQuery{}); }

Result health(Status s, int h) {
  Result r;
  r.status = s;
  r.health = h;
  return r;
}

}  // namespace

TEST_CASE("server status strings follow the health counter (rise 3 fall 2 / rise 2 fall 3)") {
  Fixture f(kRef1Config);
  const int be = f.proxy("be_app");
  auto status = [&](int s) { return stats::server_status(f.src, be, s); };
  // s1: rise 3, fall 2 -> full health 4.
  f.checker.checks[{be, 0}] = health(Status::l4ok, 4);
  CHECK(status(0) == "UP");
  f.checker.checks[{be, 0}] = health(Status::l4con, 3);   // one failure from full
  CHECK(status(0) == "UP 1/2");
  f.state(be, 0).oper = OperState::down;
  f.checker.checks[{be, 0}] = health(Status::l4con, 0);
  CHECK(status(0) == "DOWN");
  f.checker.checks[{be, 0}] = health(Status::l4ok, 1);
  CHECK(status(0) == "DOWN 1/3");
  f.checker.checks[{be, 0}] = health(Status::l4ok, 2);
  CHECK(status(0) == "DOWN 2/3");
  // s2: rise 2, fall 3 -> "UP 2/3" then "UP 1/3" on the way down.
  f.checker.checks[{be, 1}] = health(Status::l4con, 3);
  CHECK(status(1) == "UP 2/3");
  f.checker.checks[{be, 1}] = health(Status::l4con, 2);
  CHECK(status(1) == "UP 1/3");
  // Admin states win over health; NOLB for a stopping server.
  f.state(be, 1).admin = AdminState::drain;
  CHECK(status(1) == "DRAIN 1/3");
  f.state(be, 1).admin = AdminState::maint;
  CHECK(status(1) == "MAINT");
  f.state(be, 1).admin = AdminState::ready;
  f.checker.checks[{be, 1}] = health(Status::l7okc, 4);
  f.state(be, 1).oper = OperState::stopping;
  CHECK(status(1) == "NOLB");
  // Without a check: "no check", "DRAIN", "DOWN" (haproxy 2.6.12 after `set server ... state
  // drain` and `health down`), "MAINT".
  CHECK(status(2) == "no check");
  f.state(be, 2).admin = AdminState::drain;
  CHECK(status(2) == "DRAIN");
  f.state(be, 2).admin = AdminState::ready;
  f.state(be, 2).oper = OperState::down;
  CHECK(status(2) == "DOWN");
  CHECK(status(3) == "MAINT");
}

TEST_CASE("draining every server takes the backend DOWN with no weight (as haproxy shows it)") {
  Fixture f(kRef1Config);
  const int be = f.proxy("be_app");
  f.checker.checks[{be, 0}] = health(Status::l4ok, 4);
  f.checker.checks[{be, 1}] = health(Status::l4con, 0);
  f.state(be, 0).admin = AdminState::drain;
  f.state(be, 1).admin = AdminState::maint;
  f.state(be, 2).admin = AdminState::drain;
  const std::string out = csv(f);
  // Observed: be_app,s1,DRAIN,1,1,0 / s2,MAINT,1,1,0 / s3,DRAIN,5,1,0 / BACKEND,DOWN,0,0,0
  CHECK(cell(out, "be_app", "s1", "status") == "DRAIN");
  CHECK(cell(out, "be_app", "s1", "weight") == "1");
  CHECK(cell(out, "be_app", "s2", "status") == "MAINT");
  CHECK(cell(out, "be_app", "s3", "weight") == "5");
  CHECK(cell(out, "be_app", "BACKEND", "status") == "DOWN");
  CHECK(cell(out, "be_app", "BACKEND", "weight") == "0");
  CHECK(cell(out, "be_app", "BACKEND", "act") == "0");
  // show servers state: drain is admin 8 and keeps op 2; maint is op 0, admin 1, checks paused.
  const auto st = lines(stats::show_servers_state(f.src, be));
  REQUIRE(st.size() == 6);
  CHECK(st[2].rfind("3 be_app 1 s1 127.0.0.1 2 8 1 1 16 6 3 4 6 0 0 0 - 27081 - 0 0 - - 0", 0) == 0);
  CHECK(st[3].rfind("3 be_app 2 s2 127.0.0.1 0 1 1 1 16 8 2 0 14 0 0 0 - 27099 - 0 0 - - 0", 0) == 0);
  CHECK(st[4].rfind("3 be_app 3 s3 127.0.0.1 2 8 5 5 16 1 0 2 0 0 0 0 - 27081 - 0 0 - - 0", 0) == 0);
}

TEST_CASE("backups carry the backend only when no active server can, the first one alone") {
  Fixture f(R"(
backend b
    server a1 127.0.0.1:1 weight 3
    server k1 127.0.0.1:2 backup weight 5
    server k2 127.0.0.1:3 backup weight 7
backend ab
    option allbackups
    server a1 127.0.0.1:1 weight 3
    server k1 127.0.0.1:2 backup weight 5
    server k2 127.0.0.1:3 backup weight 7
)");
  for (const char* name : {"b", "ab"}) {
    const int p = f.proxy(name);
    CHECK(cell(csv(f), name, "BACKEND", "weight") == "3");
    CHECK(cell(csv(f), name, "BACKEND", "bck") == "2");
    f.state(p, 0).oper = OperState::down;
  }
  CHECK(cell(csv(f), "b", "BACKEND", "weight") == "5");
  CHECK(cell(csv(f), "ab", "BACKEND", "weight") == "12");
  CHECK(cell(csv(f), "ab", "BACKEND", "uweight") == "12");
  CHECK(cell(csv(f), "ab", "BACKEND", "act") == "0");
}

TEST_CASE("counters, gauges and rates land in their columns") {
  Fixture f(kRef1Config);
  const int fe = f.proxy("fe_main"), be = f.proxy("be_app");
  auto& pc = f.counters->proxy(0, static_cast<size_t>(fe));
  pc.add(pc.sessions, 7);
  pc.add(pc.requests, 9);
  pc.add(pc.bytes_in, 100);
  f.counters->proxy(1, static_cast<size_t>(fe)).add(f.counters->proxy(1, static_cast<size_t>(fe)).bytes_in, 23);
  pc.add(pc.errors_req, 2);
  pc.status(404);
  pc.add(pc.intercepted, 1);
  auto& sc = f.counters->server(0, static_cast<size_t>(be), 2);
  sc.add(sc.sessions, 4);
  sc.add(sc.lb_total, 4);
  sc.add(sc.t_total_sum, 40);
  sc.add(sc.t_samples, 4);
  sc.max(sc.t_total_max, 25);
  sc.max(sc.last_session_s, kStartMs / 1000 + 10);   // 6 s before "now"
  sc.status(503);
  f.state(be, 2).cur_conns = 3;
  f.src.frontend_cur_conns = [](int) { return 5u; };
  f.src.server_queued = [](int, int s) { return s == 2 ? 2u : 0u; };
  const std::string out = csv(f);
  CHECK(cell(out, "fe_main", "FRONTEND", "stot") == "7");
  CHECK(cell(out, "fe_main", "FRONTEND", "conn_tot") == "7");
  CHECK(cell(out, "fe_main", "FRONTEND", "req_tot") == "9");
  CHECK(cell(out, "fe_main", "FRONTEND", "bin") == "123");   // summed over workers
  CHECK(cell(out, "fe_main", "FRONTEND", "ereq") == "2");
  CHECK(cell(out, "fe_main", "FRONTEND", "hrsp_4xx") == "1");
  CHECK(cell(out, "fe_main", "FRONTEND", "intercepted") == "1");
  CHECK(cell(out, "fe_main", "FRONTEND", "scur") == "5");
  CHECK(cell(out, "fe_main", "FRONTEND", "smax") == "5");
  CHECK(cell(out, "be_app", "s3", "stot") == "4");
  CHECK(cell(out, "be_app", "s3", "lbtot") == "4");
  CHECK(cell(out, "be_app", "s3", "ttime") == "10");
  CHECK(cell(out, "be_app", "s3", "ttime_max") == "25");
  CHECK(cell(out, "be_app", "s3", "lastsess") == "6");
  CHECK(cell(out, "be_app", "s3", "hrsp_5xx") == "1");
  CHECK(cell(out, "be_app", "s3", "scur") == "3");
  CHECK(cell(out, "be_app", "s3", "qcur") == "2");
  CHECK(cell(out, "be_app", "s3", "need_conn_est") == "1");
}

TEST_CASE("a frontend at its maxconn is FULL, a paused one STOP") {
  Fixture f("frontend fe\n    bind :1\n    maxconn 5\n");
  f.src.frontend_cur_conns = [](int) { return 5u; };
  CHECK(cell(csv(f), "fe", "FRONTEND", "status") == "FULL");
  f.src.frontend_paused = [](int) { return true; };
  CHECK(cell(csv(f), "fe", "FRONTEND", "status") == "STOP");
}

TEST_CASE("filters: proxy id, type mask, server id, scope, stats scope") {
  Fixture f(kRef1Config);
  auto names = [&](const stats::StatQuery& q) {
    std::string out;
    for (const auto& r : stats::collect_rows(f.src, q)) out += r.fields[stats::f_pxname].s + "/" + r.fields[stats::f_svname].s + " ";
    return out;
  };
  stats::StatQuery q;
  q.iid = 3;
  q.type_mask = 4;
  CHECK(names(q) == "be_app/s1 be_app/s2 be_app/s3 be_app/s4 ");
  q.sid = 2;
  CHECK(names(q) == "be_app/s2 ");
  q = {};
  q.type_mask = 1;
  CHECK(names(q) == "fe_main/FRONTEND li_tcp/FRONTEND origin/FRONTEND ");
  q = {};
  q.scope = "ORIG";
  CHECK(names(q) == "origin/FRONTEND origin/BACKEND ");
  q = {};
  q.only_proxies = {"li_tcp"};
  CHECK(names(q) == "li_tcp/FRONTEND li_tcp/t1 li_tcp/BACKEND ");
}

TEST_CASE("addr, cookie and algo only for private views") {
  Fixture f(kRef1Config);
  const std::string out = csv(f);
  CHECK(cell(out, "be_app", "s1", "addr").empty());
  CHECK(cell(out, "be_app", "s1", "cookie").empty());
  CHECK(cell(out, "be_app", "BACKEND", "cookie").empty());
  CHECK(cell(out, "be_app", "BACKEND", "algo").empty());
}

TEST_CASE("a source with only a config prints zeros, configured weights and no check data") {
  config::Diagnostics d;
  auto cfg = config::load_text(kRef1Config, "t.cfg", d);
  REQUIRE(cfg);
  stats::StatsSource src;
  src.cfg = cfg.get();
  const std::string out = stats::show_stat(src, {});
  CHECK(cell(out, "be_app", "s3", "weight") == "5");
  CHECK(cell(out, "be_app", "s4", "status") == "MAINT");
  CHECK(cell(out, "be_app", "s1", "status") == "UP");
  CHECK(cell(out, "be_app", "s1", "check_status") == "INI");
  CHECK(cell(out, "be_app", "s1", "check_health") == "3");
  CHECK(cell(out, "fe_main", "FRONTEND", "stot") == "0");
  CHECK(cell(out, "be_app", "BACKEND", "weight") == "7");   // s1 + s2 + s3 (1 + 1 + 5)
  CHECK(!stats::show_info(src, stats::InfoFormat::plain).empty());
  CHECK(lines(stats::show_servers_state(src, -1)).size() == 7);
}

TEST_CASE("CSV cells with a comma or a quote are quoted, quotes doubled") {
  Fixture f(kRef1Config);
  const int be = f.proxy("be_app");
  Result r = health(Status::l7sts, 0);
  r.desc = "said \"no\", twice";
  f.checker.checks[{be, 0}] = r;
  const std::string out = csv(f);
  CHECK(out.find(",\"said \"\"no\"\", twice\",") != std::string::npos);
  stats::StatQuery q;
  q.format = stats::StatQuery::Format::json;
  CHECK(stats::show_stat(f.src, q).find(R"("value":{"type":"str","value":"said \"no\", twice"}})") != std::string::npos);
}

TEST_CASE("show backend lists backends and listens in config order") {
  Fixture f(kRef1Config);
  // Exactly what haproxy 2.6.12 printed for this config.
  CHECK(stats::show_backend(f.src) == "# name\nbe_app\nli_tcp\norigin\nbe_empty\n");
}

TEST_CASE("show info: plain, typed with descriptions, JSON") {
  Fixture f("global\n    node lb1\n    description front farm\n", 90061);
  f.src.process.listeners = 4;
  f.src.process.nbthread = 2;
  f.src.cur_conns = [] { return 1u; };
  const std::string plain = stats::show_info(f.src, stats::InfoFormat::plain);
  CHECK(plain.rfind("Name: portero\nVersion: 0.2.0\nRelease_date: 2026/12/07\nNbthread: 2\n", 0) == 0);
  CHECK(plain.find("\nBuild info: portero 0.2.0, HAProxy 2.6 compatible\n") != std::string::npos);
  CHECK(plain.find("\nPid: 14464\nUptime: 1d 1h01m01s\nUptime_sec: 90061\n") != std::string::npos);
  CHECK(plain.find("\nnode: lb1\ndescription: front farm\nStopping: 0\nJobs: 5\n") != std::string::npos);
  CHECK(plain.find("\nCompressBpsRateLim: 0\nTasks: ") != std::string::npos);
  CHECK(plain.find("\nStart_time_sec: 1795554477\nTainted: 0\n") != std::string::npos);
  CHECK(plain.back() == '\n');
  const std::string typed = stats::show_info(f.src, stats::InfoFormat::typed, true);
  CHECK(typed.rfind("0.Name.1:POS:str:portero:\"", 0) == 0);
  CHECK(typed.find("\n51.description.1:COS:str:front farm:\"") != std::string::npos);
  const std::string json = stats::show_info(f.src, stats::InfoFormat::json);
  CHECK(json.rfind(R"([{"field":{"pos":0,"name":"Name"},"processNum":1,"tags":{"origin":"Product","nature":"Output","scope":"Service"},"value":{"type":"str","value":"portero"}},)", 0) == 0);
  CHECK(json.size() > 3);
  CHECK(json.substr(json.size() - 3) == "}]\n");
}

TEST_CASE("typed desc appends a quoted description to each line") {
  Fixture f(kRef1Config);
  stats::StatQuery q;
  q.format = stats::StatQuery::Format::typed;
  q.desc = true;
  q.type_mask = 1;
  q.iid = 2;
  const auto ls = lines(stats::show_stat(f.src, q));
  REQUIRE(!ls.empty());
  CHECK(ls[0].rfind("F.2.0.0.pxname.1:KNS:str:fe_main:\"", 0) == 0);
  for (const auto& l : ls) CHECK(l.back() == '"');
}

TEST_CASE("Value::text") {
  CHECK(stats::Value{}.text().empty());
  CHECK(stats::Value::make_s32(-1).text() == "-1");
  CHECK(stats::Value::make_u64(18446744073709551615ull).text() == "18446744073709551615");
  CHECK(stats::Value::make_str("a b").text() == "a b");
}
