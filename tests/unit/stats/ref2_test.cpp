// The reference scenario "ref2" against haproxy 2.6.12 (golden/ref2_*.txt, captured 4 s after
// its start): an HTTP check with a status code, an agent that cannot connect, observe layer7,
// a NOLB backup (404 with disable-on-404), a server with slowstart but no check, a forced server
// id, an explicit fullconn and a frontend maxconn.
#include "fixture.h"

using namespace stats_test;
using portero::check::Result;
using portero::check::Status;

namespace {

// `id` lines are ours (haproxy's `stats socket` made its numbering start at 2).
constexpr const char* kRef2Config = R"(global
    maxconn 9983

defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s

frontend fe2
    id 2
    bind 127.0.0.1:27180
    maxconn 100
    default_backend be2

backend be2
    id 3
    fullconn 77
    option httpchk GET /
    http-check disable-on-404
    server a 127.0.0.1:27081 check inter 500 agent-check agent-port 27099 agent-inter 1s observe layer7
    server b 127.0.0.1:27081 slowstart 60s weight 10
    server c 127.0.0.1:27081 check inter 500 backup
    server d 127.0.0.1:27181 check inter 500 backup id 7

listen nolb
    id 4
    bind 127.0.0.1:27181
    http-request return status 404
)";

constexpr uint64_t kUptime = 4;

Result passed(Status s, int code, int health) {
  Result r;
  r.status = s;
  r.code = code;
  r.duration_ms = 0;
  r.health = health;
  return r;
}

void set_ref2_state(Fixture& f) {
  const int be = f.proxy("be2");
  f.checker.checks[{be, 0}] = passed(Status::l7ok, 200, 4);
  Result agent;
  agent.status = Status::l4con;
  agent.duration_ms = 0;
  agent.desc = "Connection refused";
  agent.health = 1;
  f.checker.agents[{be, 0}] = agent;
  f.checker.checks[{be, 2}] = passed(Status::l7ok, 200, 4);
  Result d = passed(Status::l7okc, 404, 4);
  d.last_change = kStartMs / 1000 + 1;   // went NOLB one second after the start
  f.checker.checks[{be, 3}] = d;
  f.state(be, 3).oper = portero::lb::OperState::stopping;
}

void compare_lines(const std::string& got_text, const std::string& want_text) {
  const auto got = lines(got_text), want = lines(want_text);
  CHECK(got.size() == want.size());
  for (size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
    CAPTURE(i);
    CHECK(got[i] == want[i]);
  }
}

// HAProxy counts its own health-check connections in the backend's H1 counters and in the
// checked `listen`'s traffic; we keep neither, so those cells are compared as 0 and the
// `nolb` proxy (the target of d's checks) is left out.
std::string without_check_traffic(const std::string& text, bool typed) {
  std::string out;
  for (auto l : lines(text)) {
    if (l.rfind("nolb,", 0) == 0 || l.rfind("F.4.", 0) == 0 || l.rfind("B.4.", 0) == 0) continue;
    if (typed && l.find(".h1_") != std::string::npos) l = l.substr(0, l.rfind(':') + 1) + "0";
    if (!typed && l.rfind("be2,BACKEND,", 0) == 0) {
      // The last 8 cells (h1_total_connections .. h1_spliced_bytes_out) follow 16 others.
      size_t pos = l.size();
      for (int i = 0; i < 9; ++i) pos = l.rfind(',', pos - 1);
      l = l.substr(0, pos + 1) + "0,0,0,0,0,0,0,0,";
    }
    out += l + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("ref2: show stat CSV, typed and servers state") {
  Fixture f(kRef2Config, kUptime);
  f.src.process.maxconn = 9983;
  set_ref2_state(f);
  stats::StatQuery q;
  q.show_private = true;
  compare_lines(without_check_traffic(stats::show_stat(f.src, q), false),
                without_check_traffic(golden("ref2_csv.txt"), false));
  q.format = stats::StatQuery::Format::typed;
  compare_lines(without_check_traffic(stats::show_stat(f.src, q), true),
                without_check_traffic(golden("ref2_typed.txt"), true));
  compare_lines(stats::show_servers_state(f.src, -1), golden("ref2_state.txt"));
}
