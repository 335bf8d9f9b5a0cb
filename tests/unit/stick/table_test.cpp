// Stick tables: the frequency counters against numbers read from haproxy 2.6's `show table`
// (10 requests at t, 4 at t+1.3 s, read at t+1.5/1.75/2/2.25 s), expiry, LRU eviction, keys.
#include <doctest/doctest.h>

#include <arpa/inet.h>

#include "portero/stick/table.h"

using namespace portero::stick;

namespace {

TableSpec spec(uint64_t size, uint32_t expire, std::initializer_list<std::pair<Data, uint32_t>> store) {
  TableSpec s;
  s.name = "fe";
  s.size = size;
  s.expire_ms = expire;
  for (auto [d, p] : store) s.stored[int(d)] = true, s.period[int(d)] = p;
  return s;
}

Key ip(Table& t, const char* text) {
  Key k;
  REQUIRE(t.key_from_str(text, k));
  return k;
}

}  // namespace

TEST_CASE("freq_ctr: the rates haproxy showed for the same arrival times") {
  // http_req_rate(1s) and conn_rate(2s); haproxy: 9, 6, 4, 3 and 14, 14, 14, 12.
  FreqCtr req, conn;
  const uint32_t t0 = 100000;
  for (int i = 0; i < 10; ++i) req.add(t0, 1000, 1), conn.add(t0, 2000, 1);
  for (int i = 0; i < 4; ++i) req.add(t0 + 1300, 1000, 1), conn.add(t0 + 1300, 2000, 1);
  CHECK(req.read(t0 + 1500, 1000) == 9);
  CHECK(req.read(t0 + 1750, 1000) == 6);
  CHECK(req.read(t0 + 2000, 1000) == 4);
  CHECK(req.read(t0 + 2250, 1000) == 3);
  CHECK(conn.read(t0 + 1500, 2000) == 14);
  CHECK(conn.read(t0 + 2000, 2000) == 14);
  CHECK(conn.read(t0 + 2250, 2000) == 12);
  // Two periods later nothing is left.
  CHECK(req.read(t0 + 4100, 1000) == 0);
}

TEST_CASE("freq_ctr: one lone event reads as one until it is two periods old (flapping correction)") {
  FreqCtr c;
  c.add(5000, 1000, 1);
  CHECK(c.read(5000, 1000) == 1);
  CHECK(c.read(5999, 1000) == 1);
  CHECK(c.read(6500, 1000) == 1);
  CHECK(c.read(7001, 1000) == 0);
}

TEST_CASE("freq_ctr: the period start is even and skips idle periods") {
  FreqCtr c;
  c.add(1001, 1000, 1);
  CHECK(c.curr_tick == 1000);
  c.add(9001, 1000, 2);   // several periods later: the previous one is empty
  CHECK(c.prev_ctr == 0);
  CHECK(c.curr_ctr == 2);
  CHECK(c.curr_tick == 9000);
}

TEST_CASE("table: tracking counts connections, rates and expiry") {
  Table t(spec(100, 10000, {{Data::conn_cnt, 0}, {Data::conn_cur, 0}, {Data::http_req_rate, 10000}}));
  Tracked sc;
  const uint32_t now = 50000;
  REQUIRE(start_tracking(sc, t, ip(t, "127.0.0.1"), now));
  t.update(sc.entry, now, [&](View& v) { v.add(Data::http_req_rate, 1, now); });
  CHECK(t.used() == 1);
  bool seen = false;
  t.for_each(now + 5, [&](const Entry* e, View& v, uint32_t use, int64_t exp) {
    seen = true;
    CHECK(use == 1);
    CHECK(exp == 9995);
    CHECK(v.get(Data::conn_cur, now) == 1);
    CHECK(show_entry(t, e, v, use, exp, now + 5).find(" key=127.0.0.1 use=1 exp=9995 conn_cnt=1 conn_cur=1 "
                                                       "http_req_rate(10000)=1\n") != std::string::npos);
  });
  CHECK(seen);
  stop_tracking(sc, now + 100);
  CHECK(show_header(t) == "# table: fe, type: ip, size:100, used:1\n");
  // Tracked entries never expire; released ones do, counted from their release.
  t.sweep(now + 10099);
  CHECK(t.used() == 1);
  t.sweep(now + 10100);
  CHECK(t.used() == 0);
}

TEST_CASE("table: when full the least recently used untracked entry goes, unless nopurge") {
  Table t(spec(2, 0, {{Data::gpc0, 0}}));
  const uint32_t now = 1000;
  t.upsert(ip(t, "10.0.0.1"), now, [](View&) {});
  t.upsert(ip(t, "10.0.0.2"), now, [](View&) {});
  t.upsert(ip(t, "10.0.0.1"), now, [](View&) {});   // 10.0.0.2 is now the oldest
  CHECK(t.upsert(ip(t, "10.0.0.3"), now, [](View&) {}));
  CHECK(t.used() == 2);
  CHECK(!t.lookup(ip(t, "10.0.0.2"), now, [](View&) {}));
  CHECK(t.lookup(ip(t, "10.0.0.1"), now, [](View&) {}));

  auto s = spec(1, 0, {{Data::gpc0, 0}});
  s.nopurge = true;
  Table full(s);
  CHECK(full.upsert(ip(full, "10.0.0.1"), now, [](View&) {}));
  CHECK(!full.upsert(ip(full, "10.0.0.2"), now, [](View&) {}));
}

TEST_CASE("table: keys of every type as show table writes them") {
  auto s = spec(10, 0, {});
  s.type = KeyType::ipv6;
  s.key_len = 16;
  Table v6(s);
  Key k;
  uint8_t a[4] = {192, 0, 2, 1};
  REQUIRE(v6.key_from_addr(a, false, k));
  v6.upsert(k, 0, [](View&) {});
  v6.for_each(0, [&](const Entry* e, View&, uint32_t, int64_t) { CHECK(v6.key_text(e) == "::ffff:192.0.2.1"); });

  s.type = KeyType::string;
  s.key_len = 4;
  Table str(s);
  REQUIRE(str.key_from_str("abcdef", k));
  CHECK(k.view() == "abcd");

  s.type = KeyType::integer;
  Table in(s);
  REQUIRE(in.key_from_str("42", k));
  in.upsert(k, 0, [](View&) {});
  in.for_each(0, [&](const Entry* e, View&, uint32_t, int64_t) { CHECK(in.key_text(e) == "42"); });
  CHECK(!in.key_from_str("4x", k));
}

TEST_CASE("arrays: each element its own counter; gpc0, gpc1, gpt0 fall back on them") {
  TableSpec s = spec(100, 0, {{Data::gpc, 0}, {Data::gpt, 0}, {Data::gpc_rate, 1000}, {Data::http_req_cnt, 0}});
  s.nbelem[int(Data::gpc)] = 3;
  s.nbelem[int(Data::gpt)] = 2;
  s.nbelem[int(Data::gpc_rate)] = 2;
  s.nbelem[int(Data::http_req_cnt)] = 1;
  CHECK(s.provides(Data::gpc, 2));
  CHECK_FALSE(s.provides(Data::gpc, 3));
  CHECK(s.provides(Data::gpc1));
  CHECK(s.provides(Data::gpt0));
  CHECK_FALSE(s.provides(Data::gpc0, 1));
  Table t(s);
  const Key k = ip(t, "10.0.0.1");
  const uint32_t now = 5000;
  REQUIRE(t.upsert(k, now, [&](View& v) {
    v.add(Data::gpc, 1, now, 2);
    v.add(Data::gpc1, 4, now);           // gpc[1]
    v.set(Data::gpt, 9, 1);
    v.set(Data::gpt0, 3);                // gpt[0]
    v.add(Data::gpc1_rate, 2, now);      // gpc_rate[1]
    v.add(Data::gpc, 1, now, 7);         // beyond the array: nothing
  }));
  t.lookup(k, now, [&](View& v) {
    CHECK(v.get(Data::gpc, now, 0) == 0);
    CHECK(v.get(Data::gpc, now, 1) == 4);
    CHECK(v.get(Data::gpc, now, 2) == 1);
    CHECK(v.get(Data::gpt, now, 0) == 3);
    CHECK(v.get(Data::gpt, now, 1) == 9);
    CHECK(v.get(Data::gpc_rate, now, 1) == 2);
    CHECK(v.get(Data::gpc0_rate, now) == 0);
    CHECK_FALSE(v.has(Data::gpc, 3));
    CHECK(v.get(Data::http_req_cnt, now) == 0);
  });
  std::string line;
  t.inspect(k, now, [&](const Entry* x, View& v, uint32_t use, int64_t exp) { line = show_entry(t, x, v, use, exp, now); });
  CHECK(line.substr(line.find(" key=")) ==
        " key=10.0.0.1 use=0 exp=0 http_req_cnt=0 gpt0=3 gpt1=9 gpc0=0 gpc1=4 gpc2=1 gpc0_rate(1000)=0 "
        "gpc1_rate(1000)=2\n");
}
