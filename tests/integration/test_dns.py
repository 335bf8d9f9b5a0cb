"""DNS service discovery (`resolvers`, `server ... resolvers`, `init-addr`, `server-template`,
`show resolvers`), differential: each scenario runs on portero and, when it is installed, on
haproxy 2.6.12, against a DNS server of the test's own on loopback (harness/dns_server.py)
whose answers the test changes. What a user sees is compared: where requests go, the status
and address columns of `show stat`, `show servers state`, and the log lines. No sleeping:
every wait is a condition polled under a deadline."""

from harness.cli import stat_rows
import os
import re
import unittest

from harness import ProxyTestCase, Origin, http_get, wait_until, IS_HAPROXY, HAPROXY_BIN, PROXY_BIN, \
    haproxy_available
from harness.cli import cli
from harness.dns_server import DnsServer
from harness.proxy import run_check
from harness.syslog import SyslogReceiver

WAIT = 10.0


def state_rows(text):
    """`show servers state` -> {srv_name: {column: value}}."""
    lines = [l for l in text.split('\n') if l]
    cols = lines[1][2:].split(' ')
    return {v[3]: dict(zip(cols, v)) for v in (l.split(' ') for l in lines[2:])}


def binaries():
    out = [PROXY_BIN]
    if not IS_HAPROXY and haproxy_available():
        out.append(HAPROXY_BIN)
    return out


class Run:
    """One proxy on one binary, with its admin socket and its log lines."""

    def __init__(self, test, binary, cfg_body, dns, nameserver=None):
        self.test = test
        self.sock = os.path.join(test.tmpdir(), 'admin.sock')
        self.log = SyslogReceiver()
        test.addCleanup(self.log.close)
        self.fe = test.listener()
        cfg = f"""
global
    stats socket {self.sock} level admin
    log 127.0.0.1:{self.log.port} local0

resolvers dns
    nameserver ns1 {nameserver or dns.addr}
    resolve_retries 1
    timeout resolve 100ms
    timeout retry 100ms
    hold valid 100ms
    hold nx 100ms
    hold obsolete 300ms
    hold timeout 1500ms

defaults
    mode http
    log global
    timeout connect 1s
    timeout client 5s
    timeout server 5s

frontend fe
    bind {self.fe.bind}
    default_backend be

backend be
{cfg_body}
"""
        self.p = test.proxy(cfg, [self.fe], binary=binary)
        test.assertTrue(wait_until(lambda: os.path.exists(self.sock), 5), 'no admin socket')

    def cli(self, line):
        return cli(self.sock, line)

    def stat(self, srv):
        return stat_rows(self.cli('show stat'))[('be', srv)]

    def state(self, srv):
        return state_rows(self.cli('show servers state be'))[srv]

    def wait_stat(self, srv, **want):
        def ok():
            row = self.stat(srv)
            return all(row[k] == v for k, v in want.items())
        self.test.assertTrue(wait_until(ok, WAIT), f'{srv}: wanted {want}, got {self.stat(srv)}')

    def answered_by(self):
        r = http_get(self.fe.port)
        return r.header('x-origin') if r.status == 200 else r.status

    def wait_answer(self, who):
        self.test.assertTrue(wait_until(lambda: self.answered_by() == who, WAIT),
                             f'not answered by {who}: {self.answered_by()}')

    def logs(self):
        with self.log.lock:
            return [t for _p, t in self.log.records]

    def wait_log(self, text):
        self.test.assertTrue(wait_until(lambda: any(text in l for l in self.logs()), WAIT),
                             f'no log line with {text!r}: {self.logs()}')


class DnsTest(ProxyTestCase):
    def setUp(self):
        self.dns = DnsServer()
        self.addCleanup(self.dns.close)
        # Two origins on one port, on two loopback addresses: A records move the server.
        self.a = self.origin('a', host='127.0.0.2')
        self.b = Origin('b', host='127.0.0.3', port=self.a.port)
        self.addCleanup(self.b.stop)

    def each_binary(self, scenario):
        """Runs scenario(binary) on each binary; the observations must match haproxy's."""
        seen = {}
        for binary in binaries():
            with self.subTest(binary=binary):
                seen[binary] = scenario(binary)
        if len(seen) == 2:
            self.assertEqual(seen[PROXY_BIN], seen[HAPROXY_BIN])

    def test_server_follows_its_name(self):
        port = self.a.port

        def scenario(binary):
            self.dns.set_a('web.test', ['127.0.0.2'])
            run = Run(self, binary, f'    server s1 web.test:{port} resolvers dns resolve-prefer ipv4 init-addr none',
                      self.dns)
            seen = []
            run.wait_answer('a')
            run.wait_stat('s1', status='no check', addr=f'127.0.0.2:{port}')
            run.wait_log('be/s1 changed its IP from (none) to 127.0.0.2 by dns/ns1.')
            run.wait_log("Server be/s1 ('web.test') is UP/READY (resolves again).")
            run.wait_log('Server be/s1 administratively READY thanks to valid DNS answer.')
            self.dns.set_a('web.test', ['127.0.0.3'])
            run.wait_answer('b')
            run.wait_stat('s1', addr=f'127.0.0.3:{port}')
            run.wait_log('be/s1 changed its IP from 127.0.0.2 to 127.0.0.3 by dns/ns1.')
            st = run.state('s1')
            seen.append((st['srv_addr'], st['srv_op_state'], st['srv_admin_state'], st['srv_fqdn'], st['srv_port']))
            # The address the server still has stays while it is among the answers.
            self.dns.set_a('web.test', ['127.0.0.2', '127.0.0.3'])
            before = self.dns.query_count('web.test')
            self.assertTrue(wait_until(lambda: self.dns.query_count('web.test') >= before + 3, WAIT))
            seen.append(run.stat('s1')['addr'])
            return seen

        self.each_binary(scenario)

    def test_nxdomain_takes_the_server_to_maintenance(self):
        port = self.a.port

        def scenario(binary):
            self.dns.set_a('web.test', ['127.0.0.2'])
            run = Run(self, binary, f'    server s1 web.test:{port} resolvers dns resolve-prefer ipv4 init-addr none\n'
                                    f'    server s2 127.0.0.3:{port}', self.dns)
            run.wait_stat('s1', status='no check')
            self.dns.set_nx('web.test')
            run.wait_stat('s1', status='MAINT (resolution)', addr='')
            run.wait_log('Server be/s1 is going DOWN for maintenance (DNS NX status). '
                         '1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.')
            st = run.state('s1')
            seen = [(st['srv_addr'], st['srv_op_state'], st['srv_admin_state'], st['srv_port'])]
            # Requests go to the other server only; `enable server` does not lift it.
            for _ in range(4):
                self.assertEqual(run.answered_by(), 'b')
            seen.append(run.cli('enable server be/s1'))
            seen.append(run.stat('s1')['status'])
            self.dns.set_a('web.test', ['127.0.0.2'])
            run.wait_stat('s1', status='no check', addr=f'127.0.0.2:{port}')
            run.wait_log("Server be/s1 ('web.test') is UP/READY (resolves again).")
            self.assertTrue(wait_until(lambda: {run.answered_by() for _ in range(4)} == {'a', 'b'}, WAIT))
            return seen

        self.each_binary(scenario)

    def test_outage_keeps_the_last_address(self):
        port = self.a.port

        def scenario(binary):
            self.dns.silent = False
            self.dns.set_a('web.test', ['127.0.0.2'])
            run = Run(self, binary, f'    server s1 web.test:{port} resolvers dns resolve-prefer ipv4 init-addr none',
                      self.dns)
            run.wait_answer('a')
            self.dns.silent = True
            # Queries go unanswered for longer than `hold valid`: the server keeps its address...
            before = self.dns.query_count('web.test')
            self.assertTrue(wait_until(lambda: self.dns.query_count('web.test') >= before + 4, WAIT))
            seen = [run.stat('s1')['status'], run.stat('s1')['addr'], run.answered_by()]
            # ... until `hold timeout` (1.5 s) has passed since the last valid answer.
            run.wait_stat('s1', status='MAINT (resolution)')
            run.wait_log('Server be/s1 is going DOWN for maintenance (DNS timeout status).')
            seen.append(run.answered_by())
            self.dns.silent = False
            run.wait_stat('s1', status='no check')
            return seen

        self.each_binary(scenario)

    def test_init_addr(self):
        port = self.a.port

        def scenario(binary):
            self.dns.silent = True   # what start-up does, without DNS
            run = Run(self, binary,
                      f'    server none nowhere.test:{port} resolvers dns init-addr none\n'
                      f'    server ip nowhere.test:{port} resolvers dns init-addr last,libc,127.0.0.2\n'
                      f'    server dflt nowhere.test:{port} resolvers dns\n'
                      f'    server libc localhost:{port} resolvers dns resolve-prefer ipv4', self.dns)
            seen = []
            for s in ('none', 'ip', 'dflt', 'libc'):
                row, st = run.stat(s), run.state(s)
                seen.append((s, row['status'], row['addr'], st['srv_addr'], st['srv_admin_state'], st['srv_fqdn']))
            return seen

        self.each_binary(scenario)

    def test_server_template_from_srv_records(self):
        c = self.origin('c')
        d = self.origin('d')

        def scenario(binary):
            # Both targets on 127.0.0.1 with their own ports: the SRV ports pick the origin.
            self.dns.set_a('c.web.test', ['127.0.0.1'])
            self.dns.set_a('d.web.test', ['127.0.0.1'])
            self.dns.set_srv('_http._tcp.web.test', [(0, 256, c.port, 'c.web.test'), (0, 512, d.port, 'd.web.test')])
            run = Run(self, binary, '    server-template t 3 _http._tcp.web.test resolvers dns resolve-opts allow-dup-ip',
                      self.dns)
            run.wait_stat('t1', status='no check')
            run.wait_stat('t2', status='no check')
            seen = []
            for s in ('t1', 't2', 't3'):
                row, st = run.stat(s), run.state(s)
                seen.append((s, row['status'], row['addr'], row['weight'], st['srv_admin_state'], st['srv_fqdn'],
                             st['srv_port'], st['srvrecord']))
            self.assertTrue(wait_until(lambda: {run.answered_by() for _ in range(6)} == {'c', 'd'}, WAIT))
            # One record goes: after `hold obsolete` its server goes to maintenance.
            self.dns.set_srv('_http._tcp.web.test', [(0, 256, c.port, 'c.web.test')])
            gone = 't1' if seen[0][5] == 'd.web.test' else 't2'
            run.wait_stat(gone, status='MAINT (resolution)')
            run.wait_log(f'Server be/{gone} is going DOWN for maintenance (entry removed from SRV record).')
            st = run.state(gone)
            seen.append((st['srv_addr'], st['srv_admin_state'], st['srv_fqdn']))
            for _ in range(4):
                self.assertEqual(run.answered_by(), 'c')
            return seen

        self.each_binary(scenario)

    def test_srv_targets_are_resolved_when_the_answer_has_no_address(self):
        c = self.origin('c')
        d = self.origin('d')

        def scenario(binary):
            self.dns.srv_additional = False   # the proxy must ask for each target's address
            self.dns.set_a('c.web.test', ['127.0.0.1'])
            self.dns.set_a('d.web.test', ['127.0.0.1'])
            self.dns.set_srv('_http._tcp.web.test', [(0, 256, c.port, 'c.web.test'), (0, 512, d.port, 'd.web.test')])
            run = Run(self, binary, '    server-template t 3 _http._tcp.web.test resolvers dns resolve-opts allow-dup-ip',
                      self.dns)
            run.wait_stat('t1', status='no check')
            run.wait_stat('t2', status='no check')
            seen = []
            for s in ('t1', 't2', 't3'):
                row, st = run.stat(s), run.state(s)
                seen.append((s, row['status'], row['addr'], row['weight'], st['srv_admin_state'], st['srv_fqdn']))
            for name in ('t1', 't2'):
                fqdn = run.state(name)['srv_fqdn']
                run.wait_log(f'be/{name} changed its IP from (none) to 127.0.0.1 by dns/ns1.')
                run.wait_log(f"Server be/{name} ('{fqdn}') is UP/READY (resolves again).")
            self.assertTrue(wait_until(lambda: {run.answered_by() for _ in range(6)} == {'c', 'd'}, WAIT))
            return seen

        self.each_binary(scenario)

    def test_server_template_from_a_records(self):
        port = self.a.port

        def scenario(binary):
            self.dns.set_a('farm.test', ['127.0.0.2', '127.0.0.3'])
            run = Run(self, binary, f'    server-template w 3 farm.test:{port} resolvers dns resolve-prefer ipv4 '
                                    'init-addr none', self.dns)
            run.wait_stat('w1', status='no check')
            run.wait_stat('w2', status='no check')
            rows = {s: run.stat(s) for s in ('w1', 'w2', 'w3')}
            seen = [(s, r['status']) for s, r in rows.items()]
            seen.append(sorted(r['addr'] for r in rows.values()))
            self.assertTrue(wait_until(lambda: {run.answered_by() for _ in range(6)} == {'a', 'b'}, WAIT))
            return seen

        self.each_binary(scenario)

    def test_nameserver_over_tcp(self):
        port = self.a.port

        def scenario(binary):
            self.dns.set_a('web.test', ['127.0.0.2'])
            before = self.dns.tcp_queries
            run = Run(self, binary, f'    server s1 web.test:{port} resolvers dns resolve-prefer ipv4 init-addr none',
                      self.dns, nameserver='tcp@' + self.dns.addr)
            run.wait_answer('a')
            self.dns.set_a('web.test', ['127.0.0.3'])
            run.wait_answer('b')
            self.assertGreater(self.dns.tcp_queries, before)
            return [run.stat('s1')['addr']]

        self.each_binary(scenario)

    def test_show_resolvers(self):
        def scenario(binary):
            self.dns.set_a('web.test', ['127.0.0.2'])
            run = Run(self, binary, f'    server s1 web.test:{self.a.port} resolvers dns resolve-prefer ipv4 '
                                    'init-addr none', self.dns)
            run.wait_stat('s1', status='no check')
            out = run.cli('show resolvers dns')
            lines = out.split('\n')
            self.assertEqual(lines[:2], ['Resolvers section dns', ' nameserver ns1:'])
            counters = dict(re.match(r'  (\w+): +(\d+)$', l).groups() for l in lines[2:] if l)
            self.assertGreaterEqual(int(counters['sent']), 1)
            self.assertGreaterEqual(int(counters['valid']), 1)
            shape = re.sub(r'\d+\n', 'N\n', out)
            return [shape, run.cli('show resolvers nope')]

        self.each_binary(scenario)

    def test_config_errors(self):
        base = """
defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend fe
    bind 127.0.0.1:8
    default_backend be
backend be
"""
        ns = 'resolvers r\n    nameserver a 127.0.0.1:53\n'
        cases = [
            'resolvers r\n    nameserver a\n',
            'resolvers r\n    nameserver a 1.2.3.4\n',
            'resolvers r\n    nameserver a 1.2.3.4:53\n    nameserver a 1.2.3.5:53\n',
            'resolvers r\n    nameserver a foo.invalid:53\n',
            'resolvers r\n    nameserver a 1.2.3.4:+5\n',
            'resolvers r\n    nameserver a unix@/nowhere\n',
            'resolvers r\n    nameserver a tcp@127.0.0.1:53\n    nameserver b udp@127.0.0.1:53\n',
            ns + '    resolve_retries\n',
            ns + '    accepted_payload_size 70000\n',
            ns + '    timeout foo 1s\n',
            ns + '    timeout retry\n',
            ns + '    timeout retry 1x\n',
            ns + '    hold foo 1s\n',
            ns + '    hold nx 1x\n',
            ns + '    bogus 1\n',
            'resolvers r\n',
            base + '    server s foo.test:80 resolvers nope\n',
            ns + base + '    server s foo.test:80 resolvers r resolve-prefer ipv5 init-addr none\n',
            ns + base + '    server s foo.test:80 resolvers r resolve-net 10.0.0.0/33 init-addr none\n',
            ns + base + '    server s foo.test:80 resolvers r init-addr bogus\n',
            ns + base + '    server s foo.test:80 resolvers r\n',
            ns + base + '    server s foo.test:80 resolvers r init-addr last,libc,1.2.3.9\n',
            ns + base + '    server s foo.test:80 resolvers r init-addr libc\n',
            ns + base + '    server-template s 3\n',
            ns + base + '    server-template s x foo:80\n',
            ns + base + '    server-template s 5-2 foo:80\n',
            ns + base + '    server-template s 2-3 foo.test:80 resolvers r init-addr none\n    server s2 127.0.0.1:80\n',
        ]
        wd = self.tmpdir()

        def norm(text):
            text = re.sub(r'\(\d+\)', '(PID)', text)
            return [l for l in text.split('\n') if l and 'NOTICE' not in l]

        for cfg in cases:
            if 'backend be' not in cfg:
                cfg += base
            results = {}
            for binary in binaries():
                rc, out, err = run_check(binary, cfg, wd)
                results[binary] = (rc, norm(out + err))
            with self.subTest(cfg=cfg):
                mine = results[PROXY_BIN]
                self.assertIn(mine[0], (0, 1, 2))
                if len(results) == 2:
                    theirs = results[HAPROXY_BIN]
                    self.assertEqual(mine[0], theirs[0])
                    self.assertEqual(mine[1], theirs[1])


if __name__ == '__main__':
    unittest.main()
