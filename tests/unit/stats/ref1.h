#pragma once
// The reference scenario "ref1": the config haproxy 2.6.12 ran when the expected outputs in
// golden/ref1_*.txt were captured (`show stat`, `typed`, `json`, `show servers state`...,
// all in one CLI line so they share one instant), and the state its checks had then:
// s1 UP (L4OK), s2 DOWN (L4CON, connection refused), s3 without check, s4 `disabled`.
// The `id` lines are ours: haproxy numbered its proxies from 2 because its `stats socket` line
// creates an internal proxy that takes id 1.
#include "fixture.h"

namespace stats_test {

inline constexpr const char* kRef1Config = R"(global
    maxconn 4000

defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s

frontend fe_main
    id 2
    bind 127.0.0.1:27080
    default_backend be_app

backend be_app
    id 3
    balance roundrobin
    cookie SRV insert indirect
    server s1 127.0.0.1:27081 check inter 1s rise 3 fall 2 cookie c1 maxconn 50 maxqueue 10
    server s2 127.0.0.1:27099 check inter 1s
    server s3 127.0.0.1:27081 weight 5
    server s4 127.0.0.1:27081 backup disabled

listen li_tcp
    id 4
    mode tcp
    bind 127.0.0.1:27082
    balance leastconn
    server t1 127.0.0.1:27081

listen origin
    id 5
    bind 127.0.0.1:27081
    http-request return status 200 content-type text/plain string ok

backend be_empty
    id 6
)";

// The checker state haproxy had when it printed kExpected.
inline void set_ref1_state(Fixture& f) {
  const int be = f.proxy("be_app");
  portero::check::Result s1;
  s1.status = portero::check::Status::l4ok;
  s1.duration_ms = 0;
  s1.health = 4;   // rise 3 + fall 2 - 1: full health
  f.checker.checks[{be, 0}] = s1;
  portero::check::Result s2;
  s2.status = portero::check::Status::l4con;
  s2.duration_ms = 0;
  s2.desc = "Connection refused";
  s2.health = 0;
  s2.failures = 1;
  s2.downs = 1;
  f.checker.checks[{be, 1}] = s2;
  f.state(be, 1).oper = portero::lb::OperState::down;
}

}  // namespace stats_test
