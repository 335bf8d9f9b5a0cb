// `show stat` CSV against HAProxy 2.6.12: the expected text below is what haproxy printed
// (`echo "show stat" | socat`, admin level) for the same config, 16 s after start, with s1 UP
// (L4OK), s2 DOWN (L4CON, connection refused), s3 without check and s4 `disabled`.
// The `id` lines are ours: haproxy numbered its proxies from 2 because its `stats socket` line
// creates an internal proxy that takes id 1.
#include "fixture.h"

using namespace stats_test;
using portero::check::Status;

namespace {

constexpr const char* kConfig = R"(global
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

constexpr const char* kExpected = R"(# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status,-,ssl_sess,ssl_reused_sess,ssl_failed_handshake,h2_headers_rcvd,h2_data_rcvd,h2_settings_rcvd,h2_rst_stream_rcvd,h2_goaway_rcvd,h2_detected_conn_protocol_errors,h2_detected_strm_protocol_errors,h2_rst_stream_resp,h2_goaway_resp,h2_open_connections,h2_backend_open_streams,h2_total_connections,h2_backend_total_streams,h1_open_connections,h1_open_streams,h1_total_connections,h1_total_streams,h1_bytes_in,h1_bytes_out,h1_spliced_bytes_in,h1_spliced_bytes_out,
fe_main,FRONTEND,,,0,0,4000,0,0,0,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,0,0,0,,,,0,0,0,0,0,0,,0,0,0,,,0,0,0,0,,,,,,,,,,,,,,,,,,,,,http,,0,0,0,0,0,0,0,,,0,0,,,,,,,0,,,,,,,,,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
be_app,s1,0,0,0,0,50,0,0,0,,0,,0,0,0,0,UP,1,1,0,0,0,16,0,10,1,3,1,,0,,2,0,,0,L4OK,,0,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,Layer4 check passed,,3,2,4,,,,127.0.0.1:27081,c1,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
be_app,s2,0,0,0,0,,0,0,0,,0,,0,0,0,0,DOWN,1,1,0,1,1,16,16,,1,3,2,,0,,2,0,,0,L4CON,,0,0,0,0,0,0,0,,,,0,0,0,,,,,-1,Connection refused,,0,0,0,0,,,,Layer4 connection problem,,2,3,0,,,,127.0.0.1:27099,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
be_app,s3,0,0,0,0,,0,0,0,,0,,0,0,0,0,no check,5,1,0,,,16,,,1,3,3,,0,,2,0,,0,,,,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,,,,,,,,,127.0.0.1:27081,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,0,5,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
be_app,s4,0,0,0,0,,0,0,0,,0,,0,0,0,0,MAINT,1,0,1,,,16,,,1,3,4,,0,,2,0,,0,,,,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,,,,,,,,,127.0.0.1:27081,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,0,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
be_app,BACKEND,0,0,0,0,400,0,0,0,0,0,,0,0,0,0,UP,6,2,0,,0,16,0,,1,3,0,,0,,1,0,,0,,,,0,0,0,0,0,0,,,,0,0,0,0,0,0,0,-1,,,0,0,0,0,,,,,,,,,,,,,SRV,http,roundrobin,,,,,,,0,0,0,0,0,,,0,0,0,0,0,,,,,6,0,0,0,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
li_tcp,FRONTEND,,,0,0,4000,0,0,0,0,0,0,,,,,OPEN,,,,,,,,,1,4,0,,,,0,0,0,0,,,,,,,,,,,0,0,0,,,0,0,0,0,,,,,,,,,,,,,,,,,,,,,tcp,,0,0,0,,0,0,0,,,,,,,,,,,0,,,,,,,,,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
li_tcp,t1,0,0,0,0,,0,0,0,,0,,0,0,0,0,no check,1,1,0,,,16,,,1,4,1,,0,,2,0,,0,,,,,,,,,,,,,,0,0,,,,,-1,,,0,0,0,0,,,,,,,,,,,,127.0.0.1:27081,,tcp,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,0,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
li_tcp,BACKEND,0,0,0,0,400,0,0,0,0,0,,0,0,0,0,UP,1,1,0,,0,16,0,,1,4,0,,0,,1,0,,0,,,,,,,,,,,,,,0,0,0,0,0,0,-1,,,0,0,0,0,,,,,,,,,,,,,,tcp,leastconn,,,,,,,0,0,0,,,,,0,0,0,0,0,,,,,1,0,0,0,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
origin,FRONTEND,,,0,0,4000,0,0,0,0,0,0,,,,,OPEN,,,,,,,,,1,5,0,,,,0,0,0,0,,,,0,0,0,0,0,0,,0,0,0,,,0,0,0,0,,,,,,,,,,,,,,,,,,,,,http,,0,0,0,0,0,0,0,,,0,0,,,,,,,0,,,,,,,,,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
origin,BACKEND,0,0,0,0,400,0,0,0,0,0,,0,0,0,0,UP,0,0,0,,0,16,,,1,5,0,,0,,1,0,,0,,,,0,0,0,0,0,0,,,,0,0,0,0,0,0,0,-1,,,0,0,0,0,,,,,,,,,,,,,,http,roundrobin,,,,,,,0,0,0,0,0,,,0,0,0,0,0,,,,,0,0,0,0,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
be_empty,BACKEND,0,0,0,0,1,0,0,0,0,0,,0,0,0,0,UP,0,0,0,,0,16,,,1,6,0,,0,,1,0,,0,,,,0,0,0,0,0,0,,,,0,0,0,0,0,0,0,-1,,,0,0,0,0,,,,,,,,,,,,,,http,roundrobin,,,,,,,0,0,0,0,0,,,0,0,0,0,0,,,,,0,0,0,0,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
)";

// The checker state haproxy had when it printed kExpected.
void set_reference_state(Fixture& f) {
  const int be = f.proxy("be_app");
  check::Result s1;
  s1.status = Status::l4ok;
  s1.duration_ms = 0;
  s1.health = 4;   // rise 3 + fall 2 - 1: full health
  f.checker.checks[{be, 0}] = s1;
  check::Result s2;
  s2.status = Status::l4con;
  s2.duration_ms = 0;
  s2.desc = "Connection refused";
  s2.health = 0;
  s2.failures = 1;
  s2.downs = 1;
  f.checker.checks[{be, 1}] = s2;
  f.state(be, 1).oper = lb::OperState::down;
}

}  // namespace

TEST_CASE("show stat CSV matches haproxy byte for byte") {
  Fixture f(kConfig);
  f.src.process.maxconn = 4000;
  set_reference_state(f);
  stats::StatQuery q;
  q.show_private = true;   // the CLI at operator/admin level shows addr, cookie, algo
  const auto got = lines(stats::show_stat(f.src, q));
  const auto want = lines(kExpected);
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    CAPTURE(i);
    CHECK(got[i] == want[i]);
  }
}
