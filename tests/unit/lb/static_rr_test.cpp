// Expected sequences captured from Debian's haproxy 2.6.12 with capture_rr.py (see
// roundrobin_test.cpp for the method); `set weight b/s 0` / `100%` are the only changes a
// static algorithm accepts.
#include <doctest/doctest.h>

#include "lb_fixture.h"

using portero::lb::test::Farm;

TEST_SUITE("static-rr") {

TEST_CASE("weights 1,2,3") {
  // static-rr 1,2,3 (COMPAT 1.4: table s1 s3 s2 s3 s2 s3)
  Farm f("static-rr", {{"s1", 1}, {"s2", 2}, {"s3", 3}});
  REQUIRE(f.balancer());
  CHECK(f.picks(18) == "s1 s3 s2 s3 s2 s3 s1 s3 s2 s3 s2 s3 s1 s3 s2 s3 s2 s3");
}

TEST_CASE("weights 2,3") {
  Farm f("static-rr", {{"s1", 2}, {"s2", 3}});
  CHECK(f.picks(15) == "s1 s2 s1 s2 s2 s1 s2 s1 s2 s2 s1 s2 s1 s2 s2");
}

TEST_CASE("equal weights") {
  Farm f("static-rr", {{"s1"}, {"s2"}, {"s3"}, {"s4"}});
  CHECK(f.picks(10) == "s1 s2 s3 s4 s1 s2 s3 s4 s1 s2");
}

TEST_CASE("weights reduced by their gcd, weight 0 excluded") {
  // static-rr 2,4,0,6
  Farm f("static-rr", {{"s1", 2}, {"s2", 4}, {"s3", 0}, {"s4", 6}});
  CHECK(f.picks(18) == "s1 s4 s2 s4 s2 s4 s1 s4 s2 s4 s2 s4 s1 s4 s2 s4 s2 s4");
}

TEST_CASE("backup quirk: table length of the first backup, filled from all backups") {
  // static-rr backups w2,w2,w1
  Farm a("static-rr", {{"s1", 1, false, true}, {"b1", 2, true}, {"b2", 2, true}, {"b3", 1, true}});
  CHECK(a.picks(8) == "b1 b2 b1 b2 b1 b2 b1 b2");
  // static-rr backups w2,w5
  Farm b("static-rr", {{"s1", 1, false, true}, {"b1", 2, true}, {"b2", 5, true}});
  CHECK(b.picks(6) == "b2 b2 b2 b2 b2 b2");
}

TEST_CASE("allbackups") {
  Farm f("static-rr", {{"s1", 1, false, true}, {"b1", 1, true}, {"b2", 2, true}}, true);
  CHECK(f.picks(9) == "b1 b2 b2 b1 b2 b2 b1 b2 b2");
}

TEST_CASE("server down then up keeps the position") {
  // static-rr 1,2,3 down/up
  Farm f("static-rr", {{"s1", 1}, {"s2", 2}, {"s3", 3}});
  CHECK(f.picks(4) == "s1 s3 s2 s3");
  f.disable("s2");
  CHECK(f.picks(6) == "s1 s3 s3 s3 s1 s3");
  f.enable("s2");
  CHECK(f.picks(12) == "s2 s3 s2 s3 s1 s3 s2 s3 s2 s3 s1 s3");
}

TEST_CASE("weight 0% then 100%") {
  // static-rr 1,1,1 weight 0%/100%
  Farm f("static-rr", {{"s1"}, {"s2"}, {"s3"}});
  CHECK(f.picks(2) == "s1 s2");
  f.set_weight("s1", 0);
  CHECK(f.picks(5) == "s2 s3 s2 s3 s2");
  f.set_weight("s1", 1);
  CHECK(f.picks(7) == "s2 s3 s1 s2 s3 s1 s2");
}

TEST_CASE("avoid and full servers") {
  Farm f("static-rr", {{"s1"}, {"s2", 1, false, false, 1}, {"s3"}});
  CHECK(f.name(f.balancer()->pick({}, f.index("s1"))) == "s2");
  f.state("s2").cur_conns = 1;
  CHECK(f.picks(4) == "s3 s1 s3 s1");
  Farm one("static-rr", {{"s1"}});
  CHECK(one.name(one.balancer()->pick({}, 0)) == "s1");
  Farm none("static-rr", {{"s1", 0}});
  CHECK(none.picks(1) == "-");
}

}  // TEST_SUITE
