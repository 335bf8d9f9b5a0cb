"""`show stat` over the stats socket: the exact 2.6.12 CSV header, row order (FRONTEND, servers,
BACKEND; `listen` gives all three), server status strings, which cells are empty and which are
0 per object type and mode. Live differential: when the binary is not haproxy, haproxy runs the
same config and every row must match once the cells that depend on time or on haproxy's own
check traffic are masked."""

import os
import unittest

from harness import ProxyTestCase, Client, Proxy, HAPROXY_BIN, wait_until, free_port
from harness.cli import cli

HEADER = ('# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,'
          'wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,'
          'lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,'
          'hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,'
          'cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,'
          'ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,'
          'check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,'
          'conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,'
          'srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,'
          'safe_conn_cur,used_conn_cur,need_conn_est,uweight,agg_server_status,'
          'agg_server_check_status,agg_check_status,-,ssl_sess,ssl_reused_sess,ssl_failed_handshake,'
          'h2_headers_rcvd,h2_data_rcvd,h2_settings_rcvd,h2_rst_stream_rcvd,h2_goaway_rcvd,'
          'h2_detected_conn_protocol_errors,h2_detected_strm_protocol_errors,h2_rst_stream_resp,'
          'h2_goaway_resp,h2_open_connections,h2_backend_open_streams,h2_total_connections,'
          'h2_backend_total_streams,h1_open_connections,h1_open_streams,h1_total_connections,'
          'h1_total_streams,h1_bytes_in,h1_bytes_out,h1_spliced_bytes_in,h1_spliced_bytes_out,')
COLS = HEADER[2:-1].split(',')

# Cells that depend on when the capture ran or on connections the proxies count differently
# (haproxy counts its own check connections in H1 counters, keeps idle server connections).
MASKED = {'lastchg', 'downtime', 'check_duration', 'rate', 'rate_max', 'lastsess', 'srv_icur',
          'idle_conn_cur', 'safe_conn_cur', 'used_conn_cur', 'need_conn_est', 'smax', 'qtime',
          'ctime', 'rtime', 'ttime', 'qtime_max', 'ctime_max', 'rtime_max', 'ttime_max',
          'conn_rate', 'conn_rate_max', 'req_rate', 'req_rate_max', 'h1_open_connections',
          'h1_open_streams', 'h1_total_connections', 'h1_total_streams', 'h1_bytes_in',
          'h1_bytes_out', 'check_status', 'last_chk', 'check_desc', 'check_code', 'check_health',
          'chkfail', 'chkdown'}




class StatsCsvTest(ProxyTestCase):
    def config(self, sock, fe_bind, tcp_bind, origin, dead_port):
        return f"""
global
    stats socket {sock} level admin
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind {fe_bind}
    default_backend be
backend be
    cookie SRV insert indirect
    server s1 {origin.addr} check inter 200 rise 3 fall 2 cookie c1 maxconn 50 maxqueue 10
    server s2 127.0.0.1:{dead_port} check inter 200
    server s3 {origin.addr} weight 5
    server s4 {origin.addr} backup disabled
listen li
    mode tcp
    bind {tcp_bind}
    balance leastconn
    server t1 {origin.addr}
"""

    def start(self, binary=None):
        origin = self.origin('o1')
        fe, li = self.listener(), self.listener()
        sock = os.path.join(self.tmpdir(), 'admin.sock')
        cfg = self.config(sock, fe.bind, li.bind, origin, self.dead_port)
        self.proxy(cfg, [fe, li], binary=binary)
        # Settled once s2's first check failed and s1's succeeded.
        def settled():
            out = cli(sock, 'show stat')
            return out if ',s2,' in out and ',DOWN,' in out and ',L4OK,' in out else None
        out = wait_until(settled, timeout=10)
        self.assertTrue(out, 'checks did not settle')
        return sock, fe, out

    def rows(self, out):
        self.assertTrue(out.endswith('\n\n'), 'the CLI adds one empty line after the output')
        lines = out[:-1].splitlines()
        self.assertEqual(lines[0], HEADER)
        rows = []
        for line in lines[1:]:
            self.assertTrue(line.endswith(','))
            cells = line.split(',')[:-1]
            self.assertEqual(len(cells), len(COLS), line)
            rows.append(dict(zip(COLS, cells)))
        return rows

    def setUp(self):
        self.dead_port = free_port()

    def test_header_rows_and_cells(self):
        sock, fe, out = self.start()
        for _ in range(3):
            with Client(fe.port) as c:
                self.assertEqual(c.request('GET', '/').status, 200)
        rows = {(r['pxname'], r['svname']): r for r in self.rows(cli(sock, 'show stat'))}
        names = [k for k in rows if k[0] in ('fe', 'be', 'li')]
        self.assertEqual(names, [('fe', 'FRONTEND'), ('be', 's1'), ('be', 's2'), ('be', 's3'),
                                 ('be', 's4'), ('be', 'BACKEND'), ('li', 'FRONTEND'), ('li', 't1'),
                                 ('li', 'BACKEND')])
        self.assertEqual([rows[('be', s)]['status'] for s in ('s1', 's2', 's3', 's4')],
                         ['UP', 'DOWN', 'no check', 'MAINT'])
        self.assertEqual(rows[('be', 'BACKEND')]['status'], 'UP')
        self.assertEqual(rows[('be', 'BACKEND')]['weight'], '6')
        self.assertEqual(rows[('fe', 'FRONTEND')]['req_tot'], '3')
        self.assertEqual(rows[('fe', 'FRONTEND')]['hrsp_2xx'], '3')
        self.assertEqual(rows[('be', 'BACKEND')]['hrsp_2xx'], '3')
        # Empty versus 0: frontends have no queue, tcp rows no HTTP columns, servers no H1/H2.
        self.assertEqual(rows[('fe', 'FRONTEND')]['qcur'], '')
        self.assertEqual(rows[('li', 'FRONTEND')]['hrsp_2xx'], '')
        self.assertEqual(rows[('li', 'FRONTEND')]['req_tot'], '0')
        self.assertEqual(rows[('li', 't1')]['req_tot'], '')
        self.assertEqual(rows[('be', 's3')]['chkfail'], '')
        self.assertEqual(rows[('be', 's1')]['slim'], '50')
        self.assertEqual(rows[('be', 's1')]['qlimit'], '10')
        self.assertEqual(rows[('be', 's1')]['cookie'], 'c1')
        self.assertEqual(rows[('be', 'BACKEND')]['algo'], 'roundrobin')
        self.assertEqual(rows[('be', 's1')]['h1_bytes_in'], '')
        self.assertEqual(rows[('be', 's1')]['ssl_sess'], '0')
        self.assertEqual(rows[('be', 'BACKEND')]['agg_check_status'], '0')

    def test_same_rows_as_haproxy(self):
        if self.IS_HAPROXY or not os.access(HAPROXY_BIN, os.X_OK):
            self.skipTest('live differential needs portero under test and haproxy installed')
        _, _, ours = self.start()
        _, _, theirs = self.start(binary=HAPROXY_BIN)
        def masked(out):
            # addr holds each run's own ports; the harness's readiness probe is polled differently.
            return [{k: ('*' if k in MASKED else v) for k, v in r.items() if k not in ('addr',)}
                    for r in self.rows(out) if r['pxname'] != '__harness_ready']
        a, b = masked(ours), masked(theirs)
        self.assertEqual([(r['pxname'], r['svname']) for r in a], [(r['pxname'], r['svname']) for r in b])
        diffs = [f"{x['pxname']}/{x['svname']} {k}: ours {x[k]!r}, haproxy {y[k]!r}"
                 for x, y in zip(a, b) for k in COLS if k in x and x[k] != y[k]]
        self.assertEqual(diffs, [], "\n" + "\n".join(diffs))


class ServerConnectionGaugesTest(ProxyTestCase):
    """srv_icur, idle_conn_cur, safe_conn_cur, used_conn_cur, need_conn_est of a server row:
    the values observed on haproxy 2.6.12 in the same steps (run this file with
    PROXY_BIN=/usr/sbin/haproxy to see them)."""

    def gauges(self, sock):
        rows = cli(sock, 'show stat').splitlines()
        cols = rows[0][2:].split(',')
        for line in rows[1:]:
            r = dict(zip(cols, line.split(',')))
            if r.get('svname') == 's1':
                return {k: int(r[k]) for k in ('srv_icur', 'idle_conn_cur', 'safe_conn_cur',
                                               'used_conn_cur', 'need_conn_est')}

    def expect(self, sock, **want):
        got = {}
        def reached():
            got.update(self.gauges(sock))
            return all(got[k] == v for k, v in want.items())
        self.assertTrue(wait_until(reached, 5), f'wanted {want}, have {got}')

    def test_idle_safe_and_used(self):
        import threading
        o = self.origin('s1')
        sock = os.path.join(self.tmpdir(), 'admin.sock')
        p, fe = self.simple([o], glob=f'    stats socket {sock} level admin')
        with Client(fe.port) as c:
            self.assertEqual(c.request('GET', '/').status, 200)
            # idle after its first request: reusable, but not yet "safe"
            self.expect(sock, srv_icur=1, idle_conn_cur=1, safe_conn_cur=0, used_conn_cur=0, need_conn_est=1)
            self.assertEqual(c.request('GET', '/').status, 200)
            # idle after a second one: safe
            self.expect(sock, srv_icur=1, idle_conn_cur=0, safe_conn_cur=1, used_conn_cur=0)
        # three slow requests from three new clients: three connections in use at once
        done = []
        def slow():
            with Client(fe.port) as c:
                done.append(c.request('GET', '/delay/1500', timeout=10).status)
        ts = [threading.Thread(target=slow, daemon=True) for _ in range(3)]
        for t in ts:
            t.start()
        self.expect(sock, used_conn_cur=3, need_conn_est=3)
        for t in ts:
            t.join(10)
        self.assertEqual(done, [200] * 3)
        self.expect(sock, used_conn_cur=0, need_conn_est=3)


if __name__ == '__main__':
    unittest.main()
