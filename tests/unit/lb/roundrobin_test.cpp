// Expected sequences were captured from Debian's haproxy 2.6.12 with capture_rr.py (next to
// this file): one haproxy process whose `listen` sections answer their own server name, a
// `balance roundrobin` listen in front of them, one new connection per request, and runtime
// changes through the stats socket (`set weight b/s N`, `disable server b/s`, `enable server
// b/s`) between requests. Each comment names the scenario as the script prints it.
#include <doctest/doctest.h>

#include "lb_fixture.h"

using portero::lb::test::Farm;

TEST_SUITE("roundrobin") {

TEST_CASE("equal weights cycle in declaration order") {
  // rr 1,1
  Farm f("roundrobin", {{"s1", 1}, {"s2", 1}});
  REQUIRE(f.balancer());
  CHECK(f.picks(30) ==
        "s1 s2 s1 s2 s1 s2 s1 s2 s1 s2 s1 s2 s1 s2 s1 s2 s1 s2 s1 s2 s1 s2 s1 s2 s1 s2 s1 s2 s1 s2");
}

TEST_CASE("weights 1,2,3") {
  // rr 1,2,3
  Farm f("roundrobin", {{"s1", 1}, {"s2", 2}, {"s3", 3}});
  CHECK(f.picks(36) ==
        "s3 s2 s3 s1 s3 s2 s3 s2 s3 s1 s3 s2 s3 s2 s3 s1 s3 s2 s3 s2 s3 s1 s3 s2 s3 s2 s3 s1 s3 "
        "s2 s3 s2 s3 s1 s3 s2");
}

TEST_CASE("weights 3,1") {
  // rr 3,1
  Farm f("roundrobin", {{"s1", 3}, {"s2", 1}});
  CHECK(f.picks(32) ==
        "s1 s1 s1 s2 s1 s1 s1 s2 s1 s1 s1 s2 s1 s1 s1 s2 s1 s1 s1 s2 s1 s1 s1 s2 s1 s1 s1 s2 s1 "
        "s1 s1 s2");
}

TEST_CASE("weights 10,20,30,15 (also COMPAT 1.5)") {
  // rr 10,20,30,15
  Farm f("roundrobin", {{"s1", 10}, {"s2", 20}, {"s3", 30}, {"s4", 15}});
  CHECK(f.picks(45) ==
        "s3 s2 s3 s4 s2 s3 s1 s3 s4 s2 s3 s2 s3 s4 s1 s3 s2 s3 s4 s2 s3 s1 s3 s4 s2 s3 s2 s3 s4 "
        "s1 s3 s2 s3 s4 s2 s3 s1 s3 s4 s2 s3 s2 s3 s4 s1");
}

TEST_CASE("weight 0 servers take no traffic") {
  // rr 2,0,1,0,3
  Farm f("roundrobin", {{"s1", 2}, {"s2", 0}, {"s3", 1}, {"s4", 0}, {"s5", 3}});
  CHECK(f.picks(36) ==
        "s5 s1 s5 s3 s5 s1 s5 s1 s5 s3 s5 s1 s5 s1 s5 s3 s5 s1 s5 s1 s5 s3 s5 s1 s5 s1 s5 s3 s5 "
        "s1 s5 s1 s5 s3 s5 s1");
}

TEST_CASE("a server in maintenance from the start is skipped") {
  // rr 1,1,1 s2 disabled
  Farm f("roundrobin", {{"s1"}, {"s2", 1, false, true}, {"s3"}});
  CHECK(f.picks(30) ==
        "s1 s3 s1 s3 s1 s3 s1 s3 s1 s3 s1 s3 s1 s3 s1 s3 s1 s3 s1 s3 s1 s3 s1 s3 s1 s3 s1 s3 s1 s3");
}

TEST_CASE("only the first backup serves without allbackups") {
  // rr backups no allbackups
  Farm f("roundrobin", {{"s1", 1, false, true}, {"b1", 1, true}, {"b2", 2, true}});
  CHECK(f.picks(10) == "b1 b1 b1 b1 b1 b1 b1 b1 b1 b1");
}

TEST_CASE("allbackups balances over the backups") {
  // rr backups allbackups
  Farm f("roundrobin", {{"s1", 1, false, true}, {"b1", 1, true}, {"b2", 2, true}}, true);
  CHECK(f.picks(30) ==
        "b2 b2 b1 b2 b2 b1 b2 b2 b1 b2 b2 b1 b2 b2 b1 b2 b2 b1 b2 b2 b1 b2 b2 b1 b2 b2 b1 b2 b2 b1");
}

TEST_CASE("backups are idle while an active server is usable") {
  // rr active up, backup idle
  Farm f("roundrobin", {{"s1"}, {"b1", 1, true}});
  CHECK(f.picks(6) == "s1 s1 s1 s1 s1 s1");
}

TEST_CASE("weight change mid-sequence") {
  // rr 1,1,1 weight change
  Farm f("roundrobin", {{"s1"}, {"s2"}, {"s3"}});
  CHECK(f.picks(7) == "s1 s2 s3 s1 s2 s3 s1");
  f.set_weight("s1", 3);
  CHECK(f.picks(20) ==
        "s2 s1 s3 s1 s1 s2 s1 s3 s1 s1 s2 s1 s3 s1 s1 s2 s1 s3 s1 s1");
  f.set_weight("s1", 1);
  CHECK(f.picks(12) == "s2 s3 s1 s2 s3 s1 s2 s3 s1 s2 s3 s1");
}

TEST_CASE("server down then up, equal weights") {
  // rr 1,1,1 down/up
  Farm f("roundrobin", {{"s1"}, {"s2"}, {"s3"}});
  CHECK(f.picks(4) == "s1 s2 s3 s1");
  f.disable("s2");
  CHECK(f.picks(6) == "s3 s1 s3 s1 s3 s1");
  f.enable("s2");
  CHECK(f.picks(12) == "s3 s1 s2 s3 s1 s2 s3 s1 s2 s3 s1 s2");
}

TEST_CASE("server down then up, weights 1,2,3") {
  // rr 1,2,3 down/up
  Farm f("roundrobin", {{"s1", 1}, {"s2", 2}, {"s3", 3}});
  CHECK(f.picks(5) == "s3 s2 s3 s1 s3");
  f.disable("s3");
  CHECK(f.picks(7) == "s2 s2 s2 s2 s1 s2 s2");
  f.enable("s3");
  CHECK(f.picks(24) ==
        "s1 s3 s2 s3 s2 s3 s1 s3 s2 s3 s2 s3 s1 s3 s2 s3 s2 s3 s1 s3 s2 s3 s2 s3");
}

TEST_CASE("weight set to 0 then back") {
  // rr 1,2,3 weight 0 then back
  Farm f("roundrobin", {{"s1", 1}, {"s2", 2}, {"s3", 3}});
  CHECK(f.picks(4) == "s3 s2 s3 s1");
  f.set_weight("s3", 0);
  CHECK(f.picks(6) == "s2 s2 s2 s2 s1 s2");
  f.set_weight("s3", 3);
  CHECK(f.picks(18) == "s3 s2 s1 s3 s2 s3 s3 s2 s1 s3 s2 s3 s3 s2 s1 s3 s2 s3");
}

TEST_CASE("weight raised") {
  // rr 2,2 weight up
  Farm f("roundrobin", {{"s1", 2}, {"s2", 2}});
  CHECK(f.picks(3) == "s1 s2 s1");
  f.set_weight("s2", 6);
  CHECK(f.picks(24) ==
        "s2 s1 s2 s2 s2 s1 s2 s2 s2 s1 s2 s2 s2 s1 s2 s2 s2 s1 s2 s2 s2 s1 s2 s2");
}

TEST_CASE("falling back to backups and returning") {
  // rr backup fallback
  Farm f("roundrobin", {{"s1"}, {"s2"}, {"b1", 1, true}, {"b2", 1, true}});
  CHECK(f.picks(3) == "s1 s2 s1");
  f.disable("s1");
  f.disable("s2");
  CHECK(f.picks(4) == "b1 b1 b1 b1");
  f.disable("b1");
  CHECK(f.picks(3) == "b2 b2 b2");
  f.enable("b1");
  CHECK(f.picks(2) == "b1 b1");
  f.enable("s2");
  CHECK(f.picks(4) == "s2 s2 s2 s2");
}

TEST_CASE("no usable server") {
  Farm f("roundrobin", {{"s1", 1, false, true}, {"s2", 0}});
  CHECK(f.picks(2) == "- -");
}

TEST_CASE("avoid picks another server and keeps the rotation") {
  Farm f("roundrobin", {{"s1"}, {"s2"}, {"s3"}});
  CHECK(f.picks(1) == "s1");
  // s2 is due but avoided: s3 serves; s2 keeps its turn as if it had been served.
  CHECK(f.name(f.balancer()->pick({}, f.index("s2"))) == "s3");
  CHECK(f.picks(3) == "s1 s2 s3");
  // The avoided server is still used when it is the only one.
  Farm one("roundrobin", {{"s1"}});
  CHECK(one.name(one.balancer()->pick({}, 0)) == "s1");
}

TEST_CASE("full servers are skipped") {
  Farm f("roundrobin", {{"s1", 1, false, false, 1}, {"s2"}, {"s3"}});
  f.state("s1").cur_conns = 1;
  CHECK(f.picks(4) == "s2 s3 s2 s3");
  f.state("s1").cur_conns = 0;
  CHECK(f.picks(3).find("s1") != std::string::npos);
  f.state("s1").cur_conns = 1;
  f.state("s2").cur_conns = 5;
  f.state("s3").cur_conns = 5;
  Farm all_full("roundrobin", {{"s1", 1, false, false, 1}});
  all_full.state("s1").cur_conns = 1;
  CHECK(all_full.picks(2) == "- -");
}

TEST_CASE("registry") {
  Farm rr("roundrobin", {{"s1"}});
  CHECK(rr.balancer());
  Farm srr("static-rr", {{"s1"}});
  CHECK(srr.balancer());
  for (const char* algo : {"leastconn", "first", "source", "uri", "url_param id", "hdr(host)",
                           "rdp-cookie", "random", "random(3)"}) {
    CAPTURE(algo);
    Farm f(algo, {{"s1"}});
    CHECK(f.balancer());
  }
  Farm hash("hash", {{"s1"}});   // the key comes from the session (PickContext::sample_key)
  CHECK(hash.balancer());
  Farm bad("bogus", {{"s1"}});
  CHECK_FALSE(bad.balancer());
  CHECK(bad.error() == "unknown balance algorithm 'bogus'");
}

}  // TEST_SUITE
