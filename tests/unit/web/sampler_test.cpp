// Sampler math (RateHistory) and the Sampler's live feed shape.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "portero/web/sampler.h"
#include "web/rate_history.h"
#include "web_fixture.h"

using namespace portero;
using namespace portero::web;

namespace {
stats::Totals totals(uint64_t sessions, uint64_t requests, uint64_t e5xx = 0, uint64_t econ = 0, uint64_t ereq = 0) {
  stats::Totals t;
  t.sessions = sessions;
  t.requests = requests;
  t.http_5xx = e5xx;
  t.errors_conn = econ;
  t.errors_req = ereq;
  return t;
}
}  // namespace

TEST_CASE("per_second rounds to nearest and scales by the real interval") {
  CHECK(per_second(10, 1000) == 10);
  CHECK(per_second(10, 2000) == 5);
  CHECK(per_second(3, 2000) == 2);   // 1.5 rounds up
  CHECK(per_second(10, 1100) == 9);
  CHECK(per_second(5, 0) == 0);
}

TEST_CASE("the first sample is a baseline; later ones give rates and maxima") {
  RateHistory h(300);
  h.sample(totals(100, 200), 10'000);
  CHECK(h.size() == 0);
  CHECK(h.rates().requests.cur == 0);
  h.sample(totals(110, 250, 2, 1, 1), 11'000);
  REQUIRE(h.size() == 1);
  CHECK(h.rates().sessions.cur == 10);
  CHECK(h.rates().requests.cur == 50);
  CHECK(h.rates().connections.cur == 10);
  CHECK(h.points()[0].err == 4);   // 5xx + connection errors + request errors
  h.sample(totals(112, 260, 2, 1, 1), 12'000);
  CHECK(h.rates().requests.cur == 10);
  CHECK(h.rates().requests.max == 50);
  CHECK(h.points()[1].err == 0);
  h.clear_max();
  CHECK(h.rates().requests.max == 0);
  h.sample(totals(113, 265), 13'000);   // error counters went back: a reset, new baseline
  CHECK(h.size() == 2);
}

TEST_CASE("percentiles come from the requests of the interval only") {
  RateHistory h(10);
  stats::Totals t;
  t.latency[stats::latency_bucket(100)] = 1000;   // old, slow history must not leak in
  h.sample(t, 1000);
  // 90 requests at 1000 µs, 9 at 20000 µs, 1 at 500000 µs in the next second
  t.latency[stats::latency_bucket(1000)] += 90;
  t.latency[stats::latency_bucket(20000)] += 9;
  t.latency[stats::latency_bucket(500000)] += 1;
  h.sample(t, 2000);
  const Point p = h.points().at(0);
  CHECK(p.p50 == int64_t(stats::latency_bucket_upper(stats::latency_bucket(1000))));
  CHECK(p.p90 == int64_t(stats::latency_bucket_upper(stats::latency_bucket(1000))));
  CHECK(p.p99 == int64_t(stats::latency_bucket_upper(stats::latency_bucket(20000))));
  CHECK(p.p999 == int64_t(stats::latency_bucket_upper(stats::latency_bucket(500000))));
  h.sample(t, 3000);   // nothing finished: no latency
  CHECK(h.points().at(1).p50 == -1);
}

TEST_CASE("the history keeps the last `capacity` points, oldest first") {
  RateHistory h(3);
  for (uint64_t i = 0; i <= 5; ++i) h.sample(totals(0, i * i), 1000 * (i + 1));
  const auto pts = h.points();
  REQUIRE(pts.size() == 3);
  CHECK(pts[0].req == 5);   // 9 - 4
  CHECK(pts[1].req == 7);
  CHECK(pts[2].req == 9);
  CHECK(pts[2].t_ms == 6000);
}

TEST_CASE("Sampler: live feed lists every frontend, server and backend; timer closes cleanly") {
  web_test::Fixture f(web_test::kConfig);
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    auto s = Sampler::create(&loop, f.src);
    s->start();
    // an unref'd timer does not keep the loop alive
    CHECK(uv_run(&loop, UV_RUN_NOWAIT) == 0);
    const auto j = nlohmann::json::parse(s->live_json());
    CHECK(j["interval_ms"] == 1000);
    CHECK(j["capacity"] == 300);
    CHECK(j["samples"] == 1);
    std::vector<std::string> names;
    for (const auto& o : j["objects"]) names.push_back(o["proxy"].get<std::string>() + "/" + o["name"].get<std::string>());
    CHECK(names == std::vector<std::string>{"fe_main/FRONTEND", "be_app/s1", "be_app/s2", "be_app/s3", "be_app/s4",
                                            "be_app/BACKEND", "stats/FRONTEND", "stats/BACKEND"});
    CHECK(j["objects"][0]["req"].empty());   // one sample is only a baseline
    CHECK(s->proxy(0).requests.cur == 0);
    s->stop();
  }
  uv_run(&loop, UV_RUN_DEFAULT);   // runs the close callback that frees the timer
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("samples too close together are skipped, not turned into a spike") {
  RateHistory h(10);
  h.sample(totals(0, 0), 1000);
  h.sample(totals(0, 5), 1010);   // 10 ms later: ignored
  CHECK(h.size() == 0);
  h.sample(totals(0, 10), 2000);
  REQUIRE(h.size() == 1);
  CHECK(h.points()[0].req == 10);   // over the whole second since the baseline
  CHECK(h.rates().requests.max == 10);
}

TEST_CASE("SSL rates: baseline first, per-second counts with maxima, a cleared counter restarts") {
  SslRateTracker t;
  t.sample(0, 0, 0, 1000);
  CHECK(t.rates().conns.cur == 0);
  t.sample(4, 3, 1, 2000);   // 4 accepted, 3 full client handshakes, 1 server side in 1 s
  CHECK(t.rates().conns.cur == 4);
  CHECK(t.rates().fe_keys.cur == 3);
  CHECK(t.rates().be_keys.cur == 1);
  t.sample(4, 3, 1, 2100);   // too close: ignored
  CHECK(t.rates().conns.cur == 4);
  t.sample(6, 1, 1, 3000);   // fe keys went back (clear counters): 1 since the clear
  CHECK(t.rates().conns.cur == 2);
  CHECK(t.rates().conns.max == 4);
  CHECK(t.rates().fe_keys.cur == 1);
  CHECK(t.rates().fe_keys.max == 3);
  CHECK(t.rates().be_keys.cur == 0);
  t.clear_max();
  CHECK(t.rates().conns.max == 0);
  CHECK(t.rates().conns.cur == 2);
  t.sample(6, 1, 1, 4000);
  CHECK(t.rates().conns.cur == 0);
  CHECK(t.rates().be_keys.max == 0);
}
