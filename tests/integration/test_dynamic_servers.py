"""Servers added, changed and removed at run time (`add server`, `del server`, `enable server`,
`enable health`...), as haproxy 2.6.12 does them: the replies are haproxy's (run with
PROXY_BIN=/usr/sbin/haproxy to check the test itself), and the picks after each change are
compared with haproxy's on the same commands (differential part: skipped without haproxy)."""

from harness.cli import stat_rows
import os
import random
import threading
import time
import unittest

from harness import (ProxyTestCase, Client, DEFAULTS, wait_until, IS_HAPROXY, HAPROXY_BIN,
                     haproxy_available)
from harness.cli import cli

N_KEYS = 1000


def sources(n=N_KEYS, seed=5):
    rnd = random.Random(seed)
    out, seen = [], set()
    while len(out) < n:
        t = (rnd.randrange(256), rnd.randrange(256), rnd.randrange(1, 255))
        if t not in seen:
            seen.add(t)
            out.append('127.%d.%d.%d' % t)
    return out


class DynamicServersTest(ProxyTestCase):
    def setUp(self):
        self.origins = {n: self.origin(n) for n in ('s1', 's2', 'n1', 'n2', 'n3')}

    def start(self, balance='roundrobin', extra='', binary=None, servers=('s1', 's2'), frontend=''):
        self.sock = os.path.join(self.tmpdir(), 'admin.sock')
        fe = self.listener()
        srv = '\n'.join(f'    server {n} {self.origins[n].addr}' for n in servers)
        cfg = f"""
global
    stats socket {self.sock} level admin
{DEFAULTS}
frontend fe
    bind {fe.bind}
{frontend}
    default_backend be

backend be
    balance {balance}
{extra}
{srv}

backend st
    balance static-rr
    server s1 {self.origins['s1'].addr}
"""
        p = self.proxy(cfg, [fe], binary=binary)
        self.assertTrue(wait_until(lambda: os.path.exists(self.sock), 5), 'no admin socket')
        self.fe = fe
        self.p = p
        return p

    def line_of(self, text):
        with open(self.p.cfg_path) as f:
            return next(i for i, line in enumerate(f, 1) if text in line)

    def cli(self, line):
        return cli(self.sock, line)

    def addr(self, name):
        return self.origins[name].addr

    def picks(self, n):
        with Client(self.fe.port) as c:
            out = []
            for _ in range(n):
                r = c.request('GET', '/')
                out.append(r.header('x-origin') if r.status == 200 else f'status {r.status}')
            return out

    def source_picks(self, keys):
        out = []
        for k in keys:
            with Client(self.fe.port, source=k) as c:
                r = c.request('GET', '/')
                out.append(r.header('x-origin') if r.status == 200 else f'status {r.status}')
        return out

    def run_steps(self, steps, balance='roundrobin', extra='', binary=None):
        """Runs ('cli', line) / ('picks', n) / ('keys', list) steps; returns what each gave."""
        p = self.start(balance, extra, binary)
        out = []
        try:
            for kind, arg in steps:
                if kind == 'cli':
                    if arg.startswith('del server '):
                        # the last picks' connections are released right after their answers:
                        # the server must be free (as haproxy's already is) before it can go
                        target = arg.split()[2]
                        wait_until(lambda: self._server_idle(target), timeout=5)
                    out.append((arg, self.cli(arg)))
                elif kind == 'picks':
                    # the previous picks' connections are released right after their answers;
                    # leastconn's choice among equals depends on it: start from idle servers
                    # (haproxy's already are)
                    wait_until(lambda: self._backend_idle('be'), timeout=5)
                    out.append(('picks', self.picks(arg)))
                else:
                    out.append(('keys', self.source_picks(arg)))
        finally:
            p.stop()
        return out

    def _backend_idle(self, be):
        return all(f[4] == '0' for f in (l.split(',') for l in self.cli('show stat').splitlines())
                   if len(f) > 4 and f[0] == be and f[1] not in ('FRONTEND', 'BACKEND'))

    def _server_idle(self, target):
        be, srv = target.split('/')
        for line in self.cli('show stat').splitlines():
            f = line.split(',')
            if len(f) > 4 and f[0] == be and f[1] == srv:
                return f[4] == '0'   # scur
        return True

    def differential(self, steps, balance='roundrobin', extra=''):
        got = self.run_steps(steps, balance, extra)
        if IS_HAPROXY:
            return got
        if not haproxy_available():
            self.skipTest(f'haproxy not installed at {HAPROXY_BIN}: differential part skipped')
        ref = self.run_steps(steps, balance, extra, binary=HAPROXY_BIN)
        for i, (g, r) in enumerate(zip(got, ref)):
            if g != r:
                if g[0] in ('picks', 'keys'):
                    diff = [(k, a, b) for k, (a, b) in enumerate(zip(g[1], r[1])) if a != b]
                    self.fail(f'step {i} ({steps[i][0]}): {len(diff)} picks differ from haproxy '
                              f'(n, ours, haproxy): {diff[:8]}')
                self.assertEqual(g, r, f'step {i}: reply differs from haproxy')
        return got

    # ---- replies --------------------------------------------------------------------------
    def test_add_server_replies(self):
        self.start()
        a = self.addr('n1')
        cases = [
            ('add server be/n1 ' + a, 'New server registered.\n\n'),
            ('add server be/n1 ' + a, 'Already exists a server with the same name in backend.\n\n'),
            ('add server be/s1 ' + a, 'Already exists a server with the same name in backend.\n\n'),
            ('add server st/n1 ' + a, 'Backend must use a dynamic load balancing to support dynamic servers.\n'),
            ('add server nope/n1 ' + a, 'No such backend.\n'),
            ('add server fe/n1 ' + a, 'No such backend.\n'),
            ('add server be ' + a, "Require 'backend/server'.\n"),
            ('add server be/ ' + a, "Require 'backend/server'.\n"),
            ('add server', "Require 'backend/server'.\n"),
            ('add server be/n2', "'server' expects <name> and <addr>[:<port>] as arguments.\n\n"),
            ('add server be/n2 ' + a + ' cookie c2', "'cookie' option is not accepted for dynamic server\n\n"),
            ('add server be/n2 ' + a + ' max-reuse 2', "'max-reuse' option is not accepted for dynamic server\n\n"),
            ('add server be/n2 ' + a + ' weight 300', 'weight of server n2 is not within 0 and 256 (300)..\n\n'),
            ('add server be/n2 ' + a + ' agent-check',
             'server n2 does not have agent port. Agent check has been disabled.\n\n'),
            ('add server be/n2 ' + a + ' weight 3 maxconn 10 inter 1s rise 1 fall 2 backup', 'New server registered.\n\n'),
            ('enable health be/n1', 'Health check was not configured on this server, cannot enable.\n\n'),
            ('enable agent be/n1', 'Agent was not configured on this server, cannot enable.\n\n'),
            ('add server be/n3 ' + a + ' id 2', "'id' : custom id 2 already used at "
             f"{self.p.cfg_path}:{self.line_of('server s2')} ('server s2').\n\n"),
        ]
        for line, want in cases:
            self.assertEqual(self.cli(line), want, line)
        rows = stat_rows(self.cli('show stat'))
        self.assertEqual(rows[('be', 'n1')]['status'], 'MAINT')
        self.assertEqual(rows[('be', 'n2')]['status'], 'MAINT')
        self.assertEqual(rows[('be', 'n2')]['uweight'], '3')
        self.assertEqual(rows[('be', 'n2')]['bck'], '1')
        self.assertEqual(rows[('be', 'n2')]['slim'], '10')
        # ids: the smallest one free (s1, s2 have 1 and 2)
        self.assertEqual(rows[('be', 'n1')]['sid'], '3')
        self.assertEqual(rows[('be', 'n2')]['sid'], '4')

    def test_del_server_replies(self):
        self.start()
        self.assertEqual(self.cli('add server be/n1 ' + self.addr('n1')), 'New server registered.\n\n')
        cases = [
            ('del server be/s1', 'Only servers in maintenance mode can be deleted.\n'),
            ('del server be/zz', 'No such server.\n'),
            ('del server nope/zz', 'No such backend.\n'),
            ('del server be', "Require 'backend/server'.\n"),
            ('del server', "Require 'backend/server'.\n"),
            ('del server be/n1', 'Server deleted.\n'),
            ('del server be/n1', 'No such server.\n'),
            ('disable server be/s2', '\n'),
            ('del server be/s2', 'Server deleted.\n'),
        ]
        for line, want in cases:
            self.assertEqual(self.cli(line), want, line)
        rows = stat_rows(self.cli('show stat'))
        self.assertNotIn(('be', 'n1'), rows)
        self.assertNotIn(('be', 's2'), rows)
        self.assertIn(('be', 's1'), rows)
        self.assertEqual(self.cli('get weight be/s2'), 'No such server.\n\n')
        # the name is free again, and so is the id
        self.assertEqual(self.cli('add server be/s2 ' + self.addr('n2')), 'New server registered.\n\n')
        self.assertEqual(stat_rows(self.cli('show stat'))[('be', 's2')]['sid'], '2')

    def servers_state(self, binary=None):
        """`show servers state be` after adds, without the seconds since the last change."""
        p = self.start(binary=binary)
        try:
            self.cli(f'add server be/n1 {self.addr("n1")} weight 3 check')
            self.cli(f'add server be/n2 {self.addr("n2")} id 9 maxconn 4')
            self.cli('enable server be/n2')
            lines = self.cli('show servers state be').split('\n')
            return [' '.join(w for i, w in enumerate(line.split(' ')) if i != 9) for line in lines]
        finally:
            p.stop()

    def test_show_servers_state_of_added_servers(self):
        got = self.servers_state()
        self.assertEqual(len([line for line in got if line.startswith('3 be ')]), 4, got)
        if not IS_HAPROXY and haproxy_available():
            self.assertEqual(got, self.servers_state(HAPROXY_BIN))

    # ---- traffic ------------------------------------------------------------------------
    def test_added_server_serves_once_enabled(self):
        self.start()
        self.assertEqual(self.cli('add server be/n1 ' + self.addr('n1')), 'New server registered.\n\n')
        self.assertEqual(set(self.picks(6)), {'s1', 's2'})     # in maintenance: no traffic
        self.assertEqual(self.cli('enable server be/n1'), '\n')
        self.assertEqual(set(self.picks(6)), {'s1', 's2', 'n1'})
        self.assertEqual(self.cli('add server be/n2 ' + self.addr('n2') + ' enabled weight 2'),
                         'New server registered.\n\n')
        self.assertEqual(stat_rows(self.cli('show stat'))[('be', 'n2')]['status'], 'no check')
        got = self.picks(10)
        if IS_HAPROXY:
            # haproxy 2.6.12 shows a server added `enabled` as up but gives it no traffic until
            # it goes through maintenance; portero serves it at once (README says so).
            self.assertEqual(got.count('n2'), 0, got)
        else:
            self.assertEqual(got.count('n2'), 4, got)

    def test_roundrobin_picks_follow_haproxy(self):
        a = self.addr
        self.differential([
            ('picks', 5),
            ('cli', f'add server be/n1 {a("n1")} weight 3'),
            ('picks', 7),
            ('cli', 'enable server be/n1'),
            ('picks', 20),
            ('cli', f'add server be/n2 {a("n2")} weight 2'),
            ('cli', 'enable server be/n2'),
            ('picks', 20),
            ('cli', 'disable server be/s1'),
            ('picks', 9),
            ('cli', 'del server be/s1'),
            ('picks', 9),
            ('cli', 'set server be/n1 state maint'),
            ('cli', 'del server be/n1'),
            ('picks', 11),
            ('cli', f'add server be/n3 {a("n3")}'),
            ('cli', f'add server be/n1 {a("n1")} weight 5'),
            ('cli', 'enable server be/n1'),
            ('picks', 5),
            ('cli', 'enable server be/n3'),
            ('picks', 30),
        ])


    def test_leastconn_picks_follow_haproxy(self):
        a = self.addr
        self.differential([
            ('picks', 4),
            ('cli', f'add server be/n1 {a("n1")}'),
            ('cli', 'enable server be/n1'),
            ('picks', 9),
            ('cli', 'disable server be/s2'),
            ('cli', 'del server be/s2'),
            ('cli', f'add server be/n2 {a("n2")} weight 4'),
            ('cli', 'enable server be/n2'),
            ('picks', 9),
        ], balance='leastconn')

    def test_first_picks_follow_haproxy(self):
        a = self.addr
        self.differential([
            ('picks', 3),
            ('cli', 'disable server be/s1'),
            ('cli', 'del server be/s1'),
            ('cli', f'add server be/n1 {a("n1")} id 1'),
            ('cli', 'enable server be/n1'),
            ('picks', 3),
        ], balance='first')

    def test_consistent_hash_keys_follow_haproxy(self):
        """1000 source addresses after each change: the ring moves as haproxy's does."""
        a = self.addr
        keys = sources()
        got = self.differential([
            ('keys', keys),
            ('cli', f'add server be/n1 {a("n1")} weight 2'),
            ('keys', keys),                       # in maintenance: nothing moves
            ('cli', 'enable server be/n1'),
            ('keys', keys),
            ('cli', 'disable server be/s1'),
            ('cli', 'del server be/s1'),
            ('cli', f'add server be/n2 {a("n2")} id 1'),
            ('cli', 'enable server be/n2'),
            ('keys', keys),
        ], balance='source', extra='    hash-type consistent')
        before, maint, after_add, after_swap = (g[1] for g in got if g[0] == 'keys')
        self.assertEqual(before, maint)
        self.assertIn('n1', after_add)
        moved = [(x, y) for x, y in zip(before, after_add) if x != y]
        self.assertTrue(all(y == 'n1' for _, y in moved), moved[:5])   # only to the new server
        self.assertNotIn('s1', after_swap)

    def test_random_serves_added_servers(self):
        """`balance random` draws: not comparable pick by pick, but an added server takes its
        share once enabled and none after it left."""
        self.start(balance='random')
        self.assertEqual(self.cli(f'add server be/n1 {self.addr("n1")} weight 4'), 'New server registered.\n\n')
        self.assertNotIn('n1', self.picks(20))
        self.assertEqual(self.cli('enable server be/n1'), '\n')
        self.assertIn('n1', self.picks(40))
        self.assertEqual(self.cli('disable server be/n1'), '\n')
        self.assertEqual(self.cli('del server be/n1'), 'Server deleted.\n')
        self.assertNotIn('n1', self.picks(20))

    def test_static_algorithms_refuse(self):
        self.start(balance='source')   # map-based: static
        self.assertEqual(self.cli('add server be/n1 ' + self.addr('n1')),
                         'Backend must use a dynamic load balancing to support dynamic servers.\n')

    def test_del_server_named_by_use_server_is_refused(self):
        self.start(extra='    use-server s1 if { path /x }')
        self.assertEqual(self.cli('disable server be/s1'), '\n')
        self.assertEqual(self.cli('del server be/s1'),
                         'This server cannot be removed at runtime due to other configuration elements pointing to it.\n')
        self.assertEqual(self.cli('disable server be/s2'), '\n')
        self.assertEqual(self.cli('del server be/s2'), 'Server deleted.\n')

    # ---- stats page and Prometheus --------------------------------------------------------
    def test_stats_page_and_prometheus_follow_the_set(self):
        self.start(frontend='    http-request use-service prometheus-exporter if { path /metrics }\n'
                            '    stats enable\n    stats uri /stats')

        def scrape(path):
            with Client(self.fe.port) as c:
                r = c.request('GET', path)
                self.assertEqual(r.status, 200, path)
                return r.body.decode()

        series = 'haproxy_server_status{proxy="be",server="n1"'
        self.assertNotIn(series, scrape('/metrics'))
        self.assertEqual(self.cli('add server be/n1 ' + self.addr('n1')), 'New server registered.\n\n')
        self.assertIn(series, scrape('/metrics'))
        self.assertIn('be,n1,', scrape('/stats;csv'))
        self.assertIn('n1', scrape('/stats'))
        self.assertEqual(self.cli('del server be/n1'), 'Server deleted.\n')
        self.assertNotIn(series, scrape('/metrics'))
        self.assertNotIn('be,n1,', scrape('/stats;csv'))

    # ---- set server addr ----------------------------------------------------------------
    def test_set_server_addr_moves_new_connections(self):
        self.start()
        p1, p2 = self.origins['n1'].port, self.origins['n2'].port
        self.assertEqual(self.cli(f'add server be/a1 127.0.0.1:{p1}'), 'New server registered.\n\n')
        self.assertEqual(self.cli('enable server be/a1'), '\n')
        self.assertIn('n1', self.picks(3))
        by = " by 'stats socket command'\n\n"
        cases = [
            ('set server be/a1 addr', 'set server <b>/<s> addr requires an address and optionally a port.\n\n'),
            ('set server be/a1 addr bad', "Invalid addr 'bad'" + by),
            (f'set server be/a1 addr 127.0.0.1 port {p2}',
             f"no need to change the addr, port changed from '{p1}' to '{p2}'" + by),
            (f'set server be/a1 addr 127.0.0.1 port {p2}',
             'no need to change the addr, no need to change the port' + by),
            ('set server be/a1 addr 127.0.0.1 port abc',
             "no need to change the addr, problem converting port 'abc' to an int" + by),
        ]
        for line, want in cases:
            self.assertEqual(self.cli(line), want, line)
        got = self.picks(6)
        self.assertNotIn('n1', got)
        self.assertEqual(got.count('n2'), 2, got)
        rows = stat_rows(self.cli('show stat'))
        self.assertEqual(rows[('be', 'a1')]['addr'], f'127.0.0.1:{p2}')
        self.assertIn(f' a1 127.0.0.1 ', self.cli('show servers state be'))
        self.assertEqual(self.cli(f'set server be/s1 addr 127.0.0.2 port {p2}'),
                         f"IP changed from '127.0.0.1' to '127.0.0.2', port changed from "
                         f"'{self.origins['s1'].port}' to '{p2}'" + by)

    def test_show_servers_conn(self):
        self.start()
        self.assertEqual(self.cli('add server be/n1 ' + self.addr('n1')), 'New server registered.\n\n')
        out = self.cli('show servers conn be').split('\n')
        self.assertTrue(out[0].startswith('# bkname/svname bkid/svid addr port - purge_delay used_cur used_max '
                                          'need_est unsafe_nb safe_nb idle_lim idle_cur idle_per_thr['), out[0])
        names = [l.split(' ')[0] for l in out[1:] if l]
        self.assertEqual(names, ['be/s1', 'be/s2', 'be/n1'])
        self.assertEqual(self.cli('show servers conn nope'), "Can't find backend.\n\n")

    # ---- checks ---------------------------------------------------------------------------
    def test_checks_start_with_enable_health_and_stop_with_del(self):
        self.start()
        self.assertEqual(self.cli(f'add server be/n1 {self.addr("n1")} check inter 100 rise 1 fall 1'),
                         'New server registered.\n\n')
        self.assertEqual(self.cli('enable server be/n1'), '\n')
        row = stat_rows(self.cli('show stat'))[('be', 'n1')]
        self.assertEqual(row['status'], 'no check')   # checks wait for `enable health`
        self.assertEqual(self.cli('enable health be/n1'), '\n')
        self.assertTrue(wait_until(lambda: stat_rows(self.cli('show stat'))[('be', 'n1')]['check_status']
                                   == 'L4OK', 5), self.cli('show stat'))
        self.origins['n1'].stop()
        self.assertTrue(wait_until(lambda: stat_rows(self.cli('show stat'))[('be', 'n1')]['status']
                                   == 'DOWN', 5), self.cli('show stat'))
        self.assertEqual(set(self.picks(4)), {'s1', 's2'})
        self.assertEqual(self.cli('disable server be/n1'), '\n')
        self.assertEqual(self.cli('del server be/n1'), 'Server deleted.\n')
        self.assertNotIn(('be', 'n1'), stat_rows(self.cli('show stat')))

    def test_agent_of_an_added_server_waits_for_enable_agent(self):
        self.start()
        closed = self.listener()   # a port nobody accepts on: the agent's connection fails
        closed.close()
        self.assertEqual(self.cli(f'add server be/n1 {self.addr("n1")} agent-check agent-port {closed.port} '
                                  'agent-inter 100'), 'New server registered.\n\n')
        self.assertEqual(self.cli('enable server be/n1'), '\n')
        self.assertEqual(stat_rows(self.cli('show stat'))[('be', 'n1')]['agent_status'], '')
        self.assertEqual(self.cli('enable agent be/n1'), '\n')
        self.assertTrue(wait_until(lambda: stat_rows(self.cli('show stat'))[('be', 'n1')]['agent_status']
                                   == 'L4CON', 5), self.cli('show stat'))
        self.assertEqual(self.cli('disable server be/n1'), '\n')
        self.assertEqual(self.cli('del server be/n1'), 'Server deleted.\n')

    def test_disabled_checks_leave_their_columns_empty(self):
        """Any server: after `disable health` / `disable agent` haproxy shows no check at all."""
        self.start(extra='    default-server check inter 100 agent-check agent-port 1 agent-inter 100')
        self.assertTrue(wait_until(lambda: stat_rows(self.cli('show stat'))[('be', 's1')]['check_status']
                                   == 'L4OK', 5))
        self.assertEqual(self.cli('disable health be/s1'), '\n')
        self.assertEqual(self.cli('disable agent be/s1'), '\n')
        row = stat_rows(self.cli('show stat'))[('be', 's1')]
        self.assertEqual(row['status'], 'no check')
        for col in ('check_status', 'check_desc', 'check_rise', 'check_health', 'chkfail', 'chkdown',
                    'agent_status', 'agent_desc', 'agent_health', 'last_agt'):
            self.assertEqual(row[col], '', col)
        line = next(l for l in self.cli('show servers state be').split('\n') if ' s1 ' in l).split(' ')
        self.assertEqual((line[13], line[14]), ('2', '18'))   # check / agent state: not enabled

    # ---- under load ---------------------------------------------------------------------
    def test_add_and_remove_every_100ms_under_load_loses_nothing(self):
        """Clients send requests back to back (a new connection for every other one) while
        servers are added, enabled, put in maintenance and deleted every 100 ms. Server
        connections are kept alive: `del server` closes the idle ones."""
        self.start()
        stop = threading.Event()
        failures, served, seen = [], [0], set()
        lock = threading.Lock()

        def client(seed):
            rnd = random.Random(seed)
            c = None
            while not stop.is_set():
                try:
                    if c is None:
                        c = Client(self.fe.port)
                    r = c.request('GET', '/')
                    with lock:
                        if r.status != 200:
                            failures.append(r.status)
                        served[0] += 1
                        seen.add(r.header('x-origin'))
                    if rnd.random() < 0.5:
                        c.close()
                        c = None
                except Exception as e:   # noqa: BLE001 - any failure counts
                    with lock:
                        failures.append(repr(e))
                    c = None
            if c is not None:
                c.close()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        try:
            names = ['n1', 'n2', 'n3']
            for cycle in range(12):
                n = names[cycle % 3]
                self.assertEqual(self.cli(f'add server be/{n} {self.addr(n)}'), 'New server registered.\n\n')
                self.assertEqual(self.cli(f'enable server be/{n}'), '\n')
                time.sleep(0.1)
                self.assertEqual(self.cli(f'disable server be/{n}'), '\n')
                self.assertTrue(wait_until(lambda: self.cli(f'del server be/{n}') == 'Server deleted.\n', 5),
                                f'{n} could not be deleted')
                time.sleep(0.1)
        finally:
            stop.set()
            for t in threads:
                t.join(10)
        self.assertEqual(failures, [])
        self.assertGreater(served[0], 100)
        self.assertTrue({'n1', 'n2', 'n3'} & seen, seen)   # the added servers took traffic


if __name__ == '__main__':
    unittest.main()
