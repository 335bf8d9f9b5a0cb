"""Stick tables (issue 14 §1-3): the classic rate limit, the counters HAProxy keeps per tracked
client, the stick counter actions and fetches, `show|clear|set table` on the admin socket and
the `-c` messages for misuse. Every scenario runs on portero and, when it is installed, on
haproxy 2.6 with the same config and the same requests: same statuses, same `show table` text
(entry addresses and remaining expiry times aside).
Run against haproxy alone: PROXY_BIN=/usr/sbin/haproxy python3 -m unittest -v test_stick_tables
"""

import re
import unittest

from harness import ProxyTestCase, Client, http_get, wait_until
from harness.cli import cli
from harness.util import free_port
from harness.proxy import HAPROXY_BIN, IS_HAPROXY, haproxy_available, run_check

DEFAULTS = """
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
"""


def normalize(table_text):
    """`show table` with the entry addresses and expiry countdowns replaced."""
    t = re.sub(r'^0x[0-9a-f]+:', '0x:', table_text, flags=re.M)
    return re.sub(r' exp=[1-9]\d* ', ' exp=N ', t)


def settled(sock, table='fe'):
    """`show table <table>` once every stream that tracked an entry has ended (use=0): the
    proxy releases a tracking when it has finished with a stream, which may be just after the
    client has its response."""
    text = wait_until(lambda: (lambda t: t if not re.search(r' use=[1-9]', t) else None)(
        cli(sock, f'show table {table}')), 10.0)
    assert text, 'entries still in use after 10s'
    return text


class StickTables(ProxyTestCase):

    def start(self, frontend, binary=None, table='type ip size 1m expire 10s store http_req_rate(10s)'):
        o = self.origin()
        fe = self.listener()
        sock = self.tmpdir() + '/admin.sock'
        cfg = f"""
global
    stats socket {sock} level admin
{DEFAULTS}
frontend fe
    bind {fe.bind}
    stick-table {table}
{frontend}
    default_backend be

backend be
    server s1 {o.addr}
"""
        p = self.proxy(cfg, [fe], binary=binary)
        return p, fe, sock

    def both(self, scenario):
        """Runs scenario(binary) on portero, then on haproxy when available; returns both results
        (the haproxy one None when it is not installed) after checking they are equal."""
        mine = scenario(None)
        if IS_HAPROXY or not haproxy_available():
            return mine, None
        theirs = scenario(HAPROXY_BIN)
        self.assertEqual(mine, theirs)
        return mine, theirs

    # --- §2: the classic rate limit ------------------------------------------------------

    def test_classic_rate_limit(self):
        """track-sc0 src + deny 429 over sc_http_req_rate(0): the first N pass, the rest are
        refused, and the table shows the counters haproxy shows."""
        def scenario(binary):
            p, fe, sock = self.start("""
    http-request track-sc0 src
    http-request deny deny_status 429 if { sc_http_req_rate(0) gt 3 }
""", binary, table='type ip size 1m expire 10s store http_req_rate(10s),conn_cnt,conn_cur,http_req_cnt,'
                   'http_err_cnt,http_err_rate(10s),bytes_in_cnt,gpc0')
            statuses = [http_get(fe.port, '/').status for _ in range(4)]
            with Client(fe.port) as c:   # keep-alive: one tracking per request, as haproxy
                statuses += [c.request('GET', '/ka').status for _ in range(2)]
            # bytes_in_cnt: haproxy counts its internal (HTX) size of a request, not the bytes
            # received; portero counts the bytes received (see README).
            table = re.sub(r'bytes_in_cnt=\d+', 'bytes_in_cnt=_', normalize(settled(sock)))
            return statuses, table, cli(sock, 'show table')
        (statuses, table, listing), _ = self.both(scenario)
        self.assertEqual(statuses, [200, 200, 200, 429, 429, 429])
        self.assertEqual(listing, '# table: fe, type: ip, size:1048576, used:1\n\n')
        self.assertRegex(table, r'^# table: fe, type: ip, size:1048576, used:1\n'
                                r'0x: key=127\.0\.0\.1 use=0 exp=N gpc0=0 conn_cnt=6 conn_cur=0 '
                                r'http_req_cnt=6 http_req_rate\(10000\)=6 http_err_cnt=3 '
                                r'http_err_rate\(10000\)=3 bytes_in_cnt=_\n\n$')

    def test_src_fetches_and_gpc(self):
        """src_* fetches read the table without tracking; sc-inc-gpc0 and sc_get_gpc0 count a
        client's marked requests; in_table and table_* converters look keys up."""
        def scenario(binary):
            p, fe, sock = self.start("""
    http-request track-sc1 src
    http-request sc-inc-gpc0(1) if { path /mark }
    http-request sc-set-gpt0(1) 7 if { path /gpt }
    http-request return status 200 content-type text/plain lf-string "req=%[src_http_req_cnt] gpc=%[sc1_get_gpc0] gpt=%[sc_get_gpt0(1)] in=%[src,in_table(fe)] rate=%[src,table_http_req_rate(fe)] cnt=%[table_cnt] cur=%[sc1_conn_cur] trk=%[sc1_trackers] t0=%[sc0_tracked]\\n"
""", binary, table='type ip size 100 expire 30s store http_req_cnt,http_req_rate(10s),gpc0,gpt0,conn_cur')
            bodies = [http_get(fe.port, path).body.decode() for path in ('/', '/mark', '/mark', '/gpt', '/')]
            # A closed connection's tracking may still be ending as the next request arrives
            # (on haproxy too): the live counts are checked for their form only.
            bodies = [re.sub(r'cur=\d trk=\d', 'cur=_ trk=_', b) for b in bodies]
            return bodies, normalize(settled(sock))
        (bodies, table), _ = self.both(scenario)
        self.assertEqual(bodies[0], 'req=1 gpc=0 gpt=0 in=1 rate=1 cnt=1 cur=_ trk=_ t0=0\n')
        self.assertEqual(bodies[2], 'req=3 gpc=2 gpt=0 in=1 rate=3 cnt=1 cur=_ trk=_ t0=0\n')
        self.assertEqual(bodies[4], 'req=5 gpc=2 gpt=7 in=1 rate=5 cnt=1 cur=_ trk=_ t0=0\n')
        self.assertIn('key=127.0.0.1 use=0 exp=N gpt0=7 gpc0=2 conn_cur=0 http_req_cnt=5 '
                      'http_req_rate(10000)=5\n', table)

    def test_http_errors_and_failures(self):
        """http_err_cnt counts 4xx from the server and denials, not `return` replies;
        http_fail_cnt counts the server's 5xx but 501 and 505."""
        def scenario(binary):
            p, fe, sock = self.start("""
    http-request track-sc0 src
    http-request deny if { path /deny }
    http-request return status 404 if { path /local404 }
""", binary, table='type ip size 100 store http_err_cnt,http_fail_cnt,http_req_cnt')
            for path in ('/deny', '/local404', '/status/404', '/status/503', '/status/501', '/'):
                http_get(fe.port, path)
            return normalize(settled(sock))
        table, _ = self.both(scenario)
        self.assertIn('key=127.0.0.1 use=0 exp=0 http_req_cnt=6 http_err_cnt=2 http_fail_cnt=1\n', table)

    def test_tcp_request_connection_tracking(self, layer='connection'):
        """tcp-request connection track-sc0: the session tracks once (conn_cnt and sess_cnt),
        requests count on it, and conn_cur falls back to 0 when the connection closes."""
        def scenario(binary):
            p, fe, sock = self.start(f"""
    tcp-request {layer} track-sc0 src
    http-request return status 200 content-type text/plain lf-string "cur=%[sc0_conn_cur] cnt=%[sc0_conn_cnt] sess=%[sc0_sess_cnt] req=%[sc0_http_req_cnt]\\n"
""", binary, table='type ip size 100 expire 30s store conn_cur,conn_cnt,sess_cnt,http_req_cnt')
            with Client(fe.port) as c:
                bodies = [c.request('GET', '/').body.decode() for _ in range(3)]
            return bodies
        bodies, _ = self.both(scenario)
        cnt = int(re.search(r'cnt=(\d+)', bodies[0]).group(1))
        # The readiness probe's connections may count too: conn_cnt is only checked to stay put.
        self.assertEqual(bodies, [f'cur=1 cnt={cnt} sess={cnt} req={n}\n' for n in (1, 2, 3)])

    def test_tcp_request_session_tracking(self):
        """The same at the session level (tcp-request session track-sc0)."""
        self.test_tcp_request_connection_tracking('session')

    def test_content_response_and_tcp_mode_tracking(self):
        """tcp-request content tracking in an HTTP frontend (per request, with haproxy's -c
        warning), http-response track-sc into another proxy's table, and mode tcp tracking
        (bytes both ways at the session's end)."""
        def scenario(binary):
            o = self.origin()
            fe, tcp = self.listener(), self.listener()
            sock = self.tmpdir() + '/admin.sock'
            cfg = f"""
global
    stats socket {sock} level admin
{DEFAULTS}
frontend fe
    bind {fe.bind}
    stick-table type ip size 100 store conn_cnt,conn_cur,http_req_cnt,http_err_cnt
    tcp-request content track-sc0 src
    http-response track-sc1 src table be
    default_backend be
backend be
    stick-table type ip size 100 store conn_cnt,http_req_cnt,http_err_cnt
    server s1 {o.addr}
listen tcpfe
    mode tcp
    bind {tcp.bind}
    stick-table type ip size 100 store conn_cnt,conn_cur,bytes_in_cnt
    tcp-request content track-sc0 src
    server s1 {o.addr}
"""
            p = self.proxy(cfg, [fe, tcp], binary=binary)
            for path in ('/a', '/status/404', '/b'):
                http_get(fe.port, path)
            for path in ('/c', '/d'):
                http_get(tcp.port, path)
            tables = [normalize(settled(sock, t)) for t in ('fe', 'be', 'tcpfe')]
            # (-c on the same config with ports: the test's binds are inherited descriptors)
            plain = cfg.replace(f'bind {fe.bind}', 'bind 127.0.0.1:18497').replace(f'bind {tcp.bind}', 'bind 127.0.0.1:18498')
            rc, out, err = run_check(binary or self.PROXY_BIN, plain, self.tmpdir())
            warning = re.search(r"\[WARNING\].*: (frontend 'fe' : a 'tcp-request content track-sc\*'.*)", err)
            return tables, warning and warning.group(1)
        (tables, warning), _ = self.both(scenario)
        self.assertIn("key=127.0.0.1 use=0 exp=0 conn_cnt=3 conn_cur=0 http_req_cnt=3 http_err_cnt=1\n", tables[0])
        self.assertIn("key=127.0.0.1 use=0 exp=0 conn_cnt=3 http_req_cnt=3 http_err_cnt=1\n", tables[1])
        self.assertRegex(tables[2], r"key=127\.0\.0\.1 use=0 exp=0 conn_cnt=\d+ conn_cur=0 bytes_in_cnt=\d+\n")
        self.assertIn('should be executed at the session level', warning)

    def test_stick_on_persistence(self):
        """`stick on src`: every request of a client goes to the server its first one got
        (roundrobin would alternate), the table holds server_id and server_key; `stick match`
        with another table reads it; clearing the entry lets the balancer choose again."""
        def scenario(binary):
            s1, s2 = self.origin('s1'), self.origin('s2')
            fe, fe2 = self.listener(), self.listener()
            sock = self.tmpdir() + '/admin.sock'
            cfg = f"""
global
    stats socket {sock} level admin
{DEFAULTS}
frontend fe
    bind {fe.bind}
    default_backend be
frontend fe2
    bind {fe2.bind}
    default_backend be2
backend be
    balance roundrobin
    stick-table type ip size 100 expire 1h
    stick on src
    server s1 {s1.addr}
    server s2 {s2.addr}
backend be2
    balance roundrobin
    stick match src table be
    server s1 {s1.addr}
    server s2 {s2.addr}
"""
            self.proxy(cfg, [fe, fe2], binary=binary)
            first = [http_get(fe.port, '/').header('x-origin') for _ in range(4)]
            matched = [http_get(fe2.port, '/').header('x-origin') for _ in range(3)]
            table = normalize(settled(sock, 'be'))
            cli(sock, 'clear table be')
            after = [http_get(fe.port, '/').header('x-origin') for _ in range(2)]
            return first, matched, table, after
        (first, matched, table, after), _ = self.both(scenario)
        self.assertEqual(len(set(first)), 1)
        self.assertEqual(set(matched), set(first))
        self.assertIn(f'key=127.0.0.1 use=0 exp=N server_id={first[0][1]} server_key={first[0]}\n', table)
        self.assertEqual(len(set(after)), 1)

    def persistence_proxy(self, binary, backend, servers):
        """A frontend in front of `backend` (its body), with `servers` appended."""
        fe = self.listener()
        sock = self.tmpdir() + '/admin.sock'
        cfg = f"""
global
    stats socket {sock} level admin
{DEFAULTS}
frontend fe
    bind {fe.bind}
    default_backend be
backend be
    balance roundrobin
{backend}
{servers}
"""
        self.proxy(cfg, [fe], binary=binary)
        return fe, sock

    def test_stick_store_response_and_srvkey_addr(self):
        """`stick store-response` stores the server that answered, keyed by a sample of the
        response (or the client's address); `srvkey addr` remembers servers by address and
        `stick match` finds them by it."""
        def scenario(binary):
            s1, s2 = self.origin('s1'), self.origin('s2')
            fe, sock = self.persistence_proxy(binary, """
    stick-table type ip size 100 expire 1h srvkey addr
    stick store-response src
    stick match src
    stick store-response res.hdr(x-origin) table names
""", f"    server s1 {s1.addr}\n    server s2 {s2.addr}\nbackend names\n    stick-table type string len 8 size 10")
            seen = [http_get(fe.port, '/').header('x-origin') for _ in range(4)]
            addr = s1.addr if seen[0] == 's1' else s2.addr
            table = normalize(settled(sock, 'be')).replace(addr, 'ADDR')
            return seen, table, normalize(settled(sock, 'names'))
        (seen, table, names), _ = self.both(scenario)
        self.assertEqual(len(set(seen)), 1)
        self.assertIn(f'key=127.0.0.1 use=0 exp=N server_id={seen[0][1]} server_key=ADDR\n', table)
        self.assertIn(f'key={seen[0]} use=0 exp=0 server_id={seen[0][1]} server_key={seen[0]}\n', names)

    def test_stick_on_stores_the_server_after_a_redispatch(self):
        """The first server picked refuses the connection; after the redispatch the table holds
        the server that answered, and the next requests go there."""
        def scenario(binary):
            s2 = self.origin('s2')
            fe, sock = self.persistence_proxy(binary, """
    retries 1
    option redispatch
    stick-table type ip size 100 expire 1h
    stick on src
""", f"    server s1 127.0.0.1:{free_port()}\n    server s2 {s2.addr}")
            seen = [http_get(fe.port, '/').status for _ in range(3)]
            return seen, normalize(settled(sock, 'be'))
        (seen, table), _ = self.both(scenario)
        self.assertEqual(seen, [200, 200, 200])
        self.assertIn('key=127.0.0.1 use=0 exp=N server_id=2 server_key=s2\n', table)

    def test_tcp_request_sc_actions(self):
        """tcp-request connection/session/content sc-inc-gpc*, sc-set-gpt* (integer and
        expression) on the counters tracked by tcp-request connection rules."""
        def scenario(binary):
            p, fe, sock = self.start("""
    tcp-request connection track-sc0 src
    tcp-request connection sc-inc-gpc(1,0)
    tcp-request session sc-inc-gpc0(0)
    tcp-request content sc-set-gpt(1,0) 5
    tcp-request content sc-set-gpt0(0) dst_port
    http-request return status 200 content-type text/plain lf-string "%[sc_get_gpc(0,0)] %[sc_get_gpc(1,0)] %[sc0_get_gpt0] %[sc_get_gpt(1,0)]\\n"
""", binary, table='type ip size 10 expire 30s store gpc(2),gpt(2)')
            port = str(fe.port)
            bodies = [http_get(fe.port, '/').body.decode().replace(port, 'PORT') for _ in range(2)]
            return bodies, normalize(settled(sock)).replace(port, 'PORT')
        (bodies, table), _ = self.both(scenario)
        self.assertEqual(bodies[1], '2 2 PORT 5\n')
        self.assertIn('key=127.0.0.1 use=0 exp=N gpt0=PORT gpt1=5 gpc0=2 gpc1=2\n', table)

    def test_array_counters(self):
        """gpc(N), gpt(N), gpc_rate(N,p): sc-inc-gpc, sc-set-gpt (integer and expression),
        sc-inc-gpc0 on a table with only the array (it counts gpc[0]), the sc_/src_ fetches and the
        table_ converters of the arrays; `show table` lists each element."""
        def scenario(binary):
            p, fe, sock = self.start("""
    http-request track-sc0 src
    http-request sc-inc-gpc(1,0) if { path /inc }
    http-request sc-inc-gpc0(0) if { path /inc0 }
    http-request sc-set-gpt(1,0) 42 if { path /set }
    http-request sc-set-gpt(0,0) url_param(v) if { path /setexpr }
    http-request set-var(txn.c) sc_clr_gpc(1,0) if { path /clr }
    http-request set-var(txn.i) src_inc_gpc(2,fe) if { path /srcinc }
    http-request return status 200 content-type text/plain lf-string "g0=%[sc_get_gpc(0,0)] g1=%[sc_get_gpc(1,0)] g2=%[src_get_gpc(2,fe)] r1=%[sc_gpc_rate(1,0)] r0=%[sc0_gpc0_rate] t0=%[sc_get_gpt0(0)] t1=%[sc_get_gpt(1,0)] st=%[src_get_gpt(1,fe)] c=%[src,table_gpc(1,fe)] cr=%[src,table_gpc_rate(1,fe)] ct=%[src,table_gpt(0,fe)] old=%[sc0_get_gpc0]\\n"
""", binary, table='type ip size 100 expire 30s store gpc(3),gpt(2),gpc_rate(2,10s)')
            paths = ['/inc', '/inc', '/inc0', '/set', '/setexpr?v=9', '/srcinc', '/', '/clr', '/']
            bodies = [http_get(fe.port, path).body.decode() for path in paths]
            return bodies, normalize(settled(sock))
        (bodies, table), _ = self.both(scenario)
        self.assertEqual(bodies[6], 'g0=1 g1=2 g2=1 r1=2 r0=1 t0=9 t1=42 st=42 c=2 cr=2 ct=9 old=1\n')
        self.assertEqual(bodies[8], 'g0=1 g1=0 g2=1 r1=2 r0=1 t0=9 t1=42 st=42 c=0 cr=2 ct=9 old=1\n')
        self.assertIn('key=127.0.0.1 use=0 exp=N gpt0=9 gpt1=42 gpc0=1 gpc1=0 gpc2=1 gpc0_rate(10000)=1 '
                      'gpc1_rate(10000)=2\n', table)

    # --- §3: the admin socket --------------------------------------------------------------

    def test_admin_commands(self):
        """show/clear/set table: output, messages and levels as haproxy 2.6."""
        def scenario(binary):
            p, fe, sock = self.start('    http-request track-sc0 src\n', binary,
                                     table='type ip size 100 store gpc0,conn_cnt,http_req_rate(10s)')
            http_get(fe.port, '/')
            out = []
            for line in ('show table nope', 'show table fe key', 'show table fe data.foo gt 1',
                         'show table fe data.gpt0 gt 0', 'show table fe data.conn_cnt xx 1',
                         'show table fe data.conn_cnt gt abc', 'show table fe foo', 'clear table',
                         'clear table nope', 'set table fe key 1.2.3.4 data.foo 5',
                         'set table fe key 1.2.3.4 data.gpc0 abc', 'set table fe key 1.2.3.4 data.gpc0 1 foo',
                         'set table fe key 10.0.0.1 data.gpc0 5 data.conn_cnt 7',
                         'set table fe key 10.0.0.2 data.gpc0 1', 'show table fe',
                         'show table fe data.gpc0 gt 1', 'show table fe key 10.0.0.1',
                         'show table fe key 10.9.9.9', 'user; show table fe key 10.0.0.1',
                         'user; set table fe key 10.0.0.1 data.gpc0 1', 'user; clear table fe key 10.0.0.1',
                         'clear table fe key 10.0.0.1', 'clear table fe data.gpc0 eq 1', 'show table fe',
                         'user; clear table fe', 'show table fe'):
                out.append((line, normalize(cli(sock, line))))
            return out
        out, _ = self.both(scenario)
        got = dict(out)
        self.assertEqual(got['show table nope'], 'No such table\n\n')
        self.assertEqual(got['show table fe key'], 'Key value expected\n\n')
        self.assertEqual(got['show table fe data.foo gt 1'], 'Filter entry #1: Unknown data type\n\n')
        self.assertEqual(got['show table fe data.gpt0 gt 0'],
                         'Filter entry #1: Data type not stored in this table\n\n')
        self.assertEqual(got['set table fe key 1.2.3.4 data.gpc0 abc'], 'Require a valid integer value to store\n\n')
        self.assertEqual(got['user; set table fe key 10.0.0.1 data.gpc0 1'], '\nPermission denied\n\n')
        self.assertEqual(got['show table fe key 10.0.0.1'],
                         '# table: fe, type: ip, size:100, used:4\n'   # a failed `set` made 1.2.3.4
                         '0x: key=10.0.0.1 use=0 exp=0 gpc0=5 conn_cnt=7 http_req_rate(10000)=0\n\n')
        self.assertEqual(got['show table fe key 10.9.9.9'], '\n')
        self.assertEqual(out[-1][1], '# table: fe, type: ip, size:100, used:0\n\n')

    # --- tables of peers sections ------------------------------------------------------------

    def start_peers_tables(self, binary, tables, frontend):
        """A peers section whose only peer is this process, declaring `tables`; a frontend using
        them."""
        fe = self.listener()
        sock = self.tmpdir() + '/admin.sock'
        cfg = f"""
global
    stats socket {sock} level admin
    localpeer me
{DEFAULTS}
peers mypeers
    peer me 127.0.0.1:{free_port()}
{tables}

frontend fe
    bind {fe.bind}
{frontend}
"""
        self.proxy(cfg, [fe], binary=binary)
        return fe, sock

    def test_peers_section_tables(self):
        """`table <name>` lines of a peers section: tables named `<peers>/<name>`, tracked with
        `track-sc0 src table mypeers/t`, read by fetches naming them, listed by `show table` (the
        last declared first) and dumped as haproxy does."""
        def scenario(binary):
            fe, sock = self.start_peers_tables(binary, """
    table t type ip size 1k expire 30s store http_req_cnt,http_req_rate(10s),gpc0
    table s type string len 16 size 100 store http_req_cnt
""", """
    stick-table type ip size 10 store http_req_cnt
    http-request track-sc0 src table mypeers/t
    http-request track-sc1 path table mypeers/s
    http-request track-sc2 src
    http-request sc-inc-gpc0(0) if { path /mark }
    http-request return status 200 content-type text/plain lf-string "cnt=%[sc_http_req_cnt(0)] src=%[src_http_req_cnt(mypeers/t)] gpc=%[src_get_gpc0(mypeers/t)] s=%[sc1_http_req_cnt] tc=%[table_cnt(mypeers/s)] in=%[path,in_table(mypeers/s)] conv=%[src,table_http_req_cnt(mypeers/t)]\\n"
""")
            bodies = [http_get(fe.port, path).body.decode() for path in ('/', '/mark', '/a', '/a')]
            return (bodies, cli(sock, 'show table'), normalize(settled(sock, 'mypeers/t')),
                    normalize(settled(sock, 'mypeers/s')))
        (bodies, listing, t, s), _ = self.both(scenario)
        self.assertEqual(bodies[0], 'cnt=1 src=1 gpc=0 s=1 tc=1 in=1 conv=1\n')
        self.assertEqual(bodies[3], 'cnt=4 src=4 gpc=1 s=2 tc=3 in=1 conv=4\n')
        self.assertEqual(listing, '# table: fe, type: ip, size:10, used:1\n'
                                  '# table: mypeers/s, type: string, size:100, used:3\n'
                                  '# table: mypeers/t, type: ip, size:1024, used:1\n\n')
        self.assertEqual(t, '# table: mypeers/t, type: ip, size:1024, used:1\n'
                            '0x: key=127.0.0.1 use=0 exp=N gpc0=1 http_req_cnt=4 http_req_rate(10000)=4\n\n')
        self.assertIn('0x: key=/a use=0 exp=0 http_req_cnt=2\n', s)

    def test_peers_section_table_errors(self):
        """A peers section's `table` line gets haproxy's `-c` messages, which start with `table:`."""
        cases = {
            'table t type foo size 1k': "table: unknown type 'foo'.",
            'table t type ip': 'table: missing size.',
            'table t type ip size 1k store http_req_rate': "table: missing argument to store option 'http_req_rate'.",
            'table t type ip size 1k store nope': "table: unknown store option 'nope'.",
            'table t type ip size 1k\nfrontend fe\n    bind 127.0.0.1:18499\n    http-request track-sc0 src table mypeers/u':
                "Proxy 'fe': unable to find table 'mypeers/u' referenced by track-sc0.",
            'table t type ip size 1k\nfrontend fe\n    bind 127.0.0.1:18499\n    http-request deny if { src_conn_cur(t) gt 1 }':
                "unable to find table 't' referenced in arg 1 of ACL keyword 'src_conn_cur' in proxy 'fe'.",
        }
        binaries = [self.PROXY_BIN]
        if not IS_HAPROXY and haproxy_available():
            binaries.append(HAPROXY_BIN)
        for binary in binaries:
            for body, message in cases.items():
                cfg = f"global\n    localpeer me\n{DEFAULTS}\npeers mypeers\n    peer me 127.0.0.1:18498\n    {body}\n"
                rc, out, err = run_check(binary, cfg, self.tmpdir())
                with self.subTest(binary=binary, body=body):
                    self.assertNotEqual(rc, 0, out + err)
                    self.assertIn(message, out + err)

    # --- -c messages -------------------------------------------------------------------------

    def test_config_errors(self):
        """Misuse gets haproxy's `-c` message (portero's own name aside)."""
        cases = {
            'stick-table type ip': 'stick-table: missing size.',
            'stick-table size 10': 'stick-table: missing type.',
            'stick-table type foo size 10': "stick-table: unknown type 'foo'.",
            'stick-table type ip size 10 store foo': "stick-table: unknown store option 'foo'.",
            'stick-table type ip size 10 store http_req_rate':
                "stick-table: missing argument to store option 'http_req_rate'.",
            'stick-table type ip size 10 store gpc0(3)': "stick-table: unexpected argument to store option 'gpc0'.",
            'stick-table type ip size 10 bogus': "stick-table: unknown argument 'bogus'.",
            'stick-table type ip size 10\n    http-request track-sc3 src':
                "'http-request track-sc3' rule : 3 track-sc number exceeding 2 (MAX_SESS_STKCTR-1) value.",
            'stick-table type ip size 10\n    http-request track-sc0 src table nope':
                "Proxy 'fe': unable to find table 'nope' referenced by track-sc0.",
            'http-request track-sc0 src': "Proxy 'fe': unable to find table 'fe' referenced by track-sc0.",
            'stick-table type ip size 10\n    http-request sc-inc-gpc0(3)':
                'invalid stick table track ID. The max allowed ID is 2.',
            'stick-table type ip size 10\n    http-request deny if { src_http_req_rate(nope) gt 1 }':
                "unable to find table 'nope' referenced in arg 1 of ACL keyword 'src_http_req_rate' in proxy 'fe'.",
            'http-request deny if { src_conn_rate gt 1 }':
                "unable to find table 'fe' referenced in arg 1 of ACL keyword 'src_conn_rate' in proxy 'fe'.",
            'backend b\n    stick on src': "Proxy 'b': unable to find stick-table 'b'.",
            'stick-table type ip size 10 store gpc(101)':
                "stick-table: array size is out of allowed range (1-100) for store option 'gpc'.",
            'stick-table type ip size 10 store gpc': "stick-table: missing argument to store option 'gpc'.",
            'stick-table type ip size 10 store gpc_rate(2)': "stick-table: missing argument to store option 'gpc_rate'.",
            'stick-table type ip size 10 store gpc(2),gpc1':
                "stick-table: simultaneous usage of 'gpc' and 'gpc[0/1]' in a same table is not permitted as 'gpc' "
                "overrides 'gpc[0/1]'.",
            'stick-table type ip size 10 store gpt0,gpt(2)':
                "stick-table: simultaneous usage of 'gpt' and 'gpt0' in a same table is not permitted as 'gpt' "
                "overrides 'gpt0'.",
            'stick-table type ip size 10\n    http-request sc-inc-gpc(x,0)':
                "Missing gpc ID 'sc-inc-gpc(x,0)'. Expects sc-inc-gpc(<GPC ID>,<Track ID>).",
            'stick-table type ip size 10\n    tcp-request connection sc-inc-gpc(x,0)':
                "Missing gpc ID 'sc-inc-gpc(x,0)'. Expects sc-inc-gpc(<GPC ID>,<Track ID>)",
            'stick-table type ip size 10\n    tcp-request content sc-set-gpt0(5) 1':
                "invalid stick table track ID 'sc-set-gpt0(5)'. The max allowed ID is 2",
            'stick-table type ip size 10\n    http-request sc-set-gpt(1,3) 1':
                "invalid stick table track ID 'sc-set-gpt(1,3)'. The max allowed ID is 2.",
            'stick-table type ip size 10\n    tcp-request connection track-sc0 req.hdr(host)':
                "fetch method 'req.hdr(host)' extracts information from 'HTTP request headers', none of which "
                'is available here',
        }
        binaries = [self.PROXY_BIN]
        if not IS_HAPROXY and haproxy_available():
            binaries.append(HAPROXY_BIN)
        for binary in binaries:
            for body, message in cases.items():
                cfg = f"{DEFAULTS}\nfrontend fe\n    bind 127.0.0.1:18499\n    {body}\n"
                rc, out, err = run_check(binary, cfg, self.tmpdir())
                with self.subTest(binary=binary, body=body):
                    self.assertNotEqual(rc, 0, out + err)
                    self.assertIn(message, out + err)


if __name__ == '__main__':
    unittest.main()
