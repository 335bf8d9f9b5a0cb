"""`observe layer4|layer7` + `error-limit` + `on-error`: live traffic counts against a server.
Real origins start answering 500 (their /health keeps answering 200) or refuse connections;
the server's state moves as HAProxy 2.6.12 moves it, with its log lines (UDP syslog) and the
CSV `hanafail` counter. Also `cookie ... dynamic` + `dynamic-cookie-key`: the Set-Cookie value
is XXH64(key . address bytes . port as 32-bit big-endian) in hex, byte for byte as haproxy.
Run against haproxy with PROXY_BIN=/usr/sbin/haproxy."""

import os
import socket
import struct
import time
import unittest

from harness import ProxyTestCase, Client
from harness.cli import cli
from harness.proxy import Proxy, Listener, HAPROXY_BIN, haproxy_available
from test_checks import ModeServer, Syslog

SLACK = 3.0


class TrafficServer(ModeServer):
    """ModeServer whose /health always answers 200: only the traffic follows `mode`."""

    def _serve(self, c):
        try:
            c.settimeout(5)
            data = b''
            while b'\r\n\r\n' not in data:
                d = c.recv(4096)
                if not d:
                    return
                data += d
            self.requests.append(data)
            mode = 'ok' if data.startswith(b'GET /health') else self.mode
            if mode == '500':
                c.sendall(b'HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n'
                          b'connection: close\r\n\r\n')
            elif mode == '501':
                c.sendall(b'HTTP/1.1 501 Not Implemented\r\ncontent-length: 0\r\n'
                          b'connection: close\r\n\r\n')
            elif mode == 'garbage':
                c.sendall(b'this is not http\r\n\r\n')
            else:
                body = self.name.encode()
                c.sendall(b'HTTP/1.1 200 OK\r\ncontent-length: %d\r\nx-origin: %s\r\n'
                          b'connection: close\r\n\r\n%s' % (len(body), body, body))
        except OSError:
            pass
        finally:
            c.close()


def closed_port():
    """A port nobody listens on (bound, not listening: connections are refused)."""
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    return s


def show_stat(path, server):
    import csv
    import io
    rows = list(csv.reader(io.StringIO(cli(path, 'show stat', half_close=False))))
    hdr = rows[0]
    hdr[0] = hdr[0].lstrip('# ')
    for r in rows[1:]:
        if len(r) > 2 and r[0] == 'be' and r[1] == server:
            return dict(zip(hdr, r))
    raise AssertionError(f'no row for be/{server}')


class ObserveTest(ProxyTestCase):
    def farm(self, s1_opts, backend_opts='', s1_addr=None, s1_check=''):
        self.log = Syslog()
        self.addCleanup(self.log.close)
        self.s1 = TrafficServer('s1')
        self.s2 = TrafficServer('s2')
        for s in (self.s1, self.s2):
            self.addCleanup(s.stop)
        self.fe = self.listener()
        wd = self.tmpdir()
        self.sock = os.path.join(wd, 'admin.sock')
        cfg = f"""
global
    log 127.0.0.1:{self.log.port} local0
    stats socket {self.sock} level admin
defaults
    mode http
    log global
    timeout connect 300ms
    timeout client 5s
    timeout server 5s
frontend fe
    bind {self.fe.bind}
    default_backend be
backend be
    balance first
    option httpchk GET /health
{backend_opts}
    server s1 {s1_addr or self.s1.addr} check inter 3s fastinter 1s rise 2 fall 3 {s1_check.replace('HEALTHPORT', str(self.s1.port))} {s1_opts}
    server s2 {self.s2.addr} check inter 3s rise 2 fall 3
"""
        self.proxy(cfg, [self.fe], workdir=wd)
        # both servers checked once (the first checks are spread over `inter`)
        deadline = time.time() + 12
        while time.time() < deadline:
            if all(show_stat(self.sock, s)['check_status'] == 'L7OK' for s in ('s1', 's2')):
                break
            time.sleep(0.1)

    def get(self):
        with Client(self.fe.port) as c:
            r = c.request('GET', '/app')
            return r.status, r.header('x-origin')

    def stat(self, key):
        return show_stat(self.sock, 's1')[key]

    def wait_stat(self, key, value, timeout=SLACK):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.stat(key) == value:
                return
            time.sleep(0.05)
        self.assertEqual(self.stat(key), value)

    def test_layer7_mark_down_then_checks_bring_it_back(self):
        self.farm('observe layer7 error-limit 2 on-error mark-down')
        self.s1.mode = '500'
        self.assertEqual(self.get(), (500, None))
        self.assertEqual(self.stat('status'), 'UP')   # one error: below the limit
        self.assertEqual(self.get(), (500, None))
        lvl, _ = self.log.wait(
            r'Server be/s1 is DOWN, reason: Health analyze, info: "Detected 2 consecutive errors, '
            r'last one was: Wrong http response"\. 1 active and 0 backup servers left\. '
            r'\d+ sessions active, 0 requeued, 0 remaining in queue\.', SLACK)
        self.assertEqual(lvl, 1)
        self.wait_stat('status', 'DOWN')
        row = show_stat(self.sock, 's1')
        self.assertEqual((row['check_status'], row['hanafail'], row['chkfail'], row['chkdown']),
                         ('HANA', '1', '1', '1'))
        self.assertEqual(row['last_chk'],
                         'Detected 2 consecutive errors, last one was: Wrong http response')
        self.assertEqual(self.get(), (200, 's2'))
        # checks (every fastinter now) still pass: rise 2 brings it back
        self.log.wait(r'Server be/s1 is UP, reason: Layer7 check passed, code: 200, check duration: '
                      r'\d+ms\. 2 active and 0 backup servers online\. 0 sessions requeued, '
                      r'0 total in queue\.', SLACK)

    def test_layer7_good_answers_reset_the_count(self):
        self.farm('observe layer7 error-limit 2 on-error mark-down')
        for mode in ('500', '501', '500', 'ok', '500'):   # 501 is a valid answer for HAProxy
            self.s1.mode = mode
            self.get()
        time.sleep(0.3)
        row = show_stat(self.sock, 's1')
        self.assertEqual((row['status'], row['hanafail']), ('UP', '0'))
        self.s1.mode = '500'
        self.get()
        self.wait_stat('status', 'DOWN')

    def test_layer7_invalid_response(self):
        self.farm('observe layer7 error-limit 2 on-error mark-down')
        self.s1.mode = 'garbage'
        self.assertEqual(self.get()[0], 502)
        self.assertEqual(self.get()[0], 502)
        self.log.wait(r'Server be/s1 is DOWN, reason: Health analyze, info: "Detected 2 consecutive '
                      r'errors, last one was: Invalid http response \(headers\)"\. .*', SLACK)

    def test_sudden_death_and_fail_check_with_log_health_checks(self):
        self.farm('observe layer7 error-limit 2 on-error sudden-death',
                  backend_opts='    option log-health-checks')
        self.s1.mode = '500'
        self.get()
        self.get()
        self.log.wait(r'Health check for server be/s1 failed, reason: Health analyze, info: '
                      r'"Detected 2 consecutive errors, last one was: Wrong http response", '
                      r'status: 1/3 UP\.', SLACK)
        self.wait_stat('status', 'UP 1/3')
        self.get()
        self.get()
        self.log.wait(r'Health check for server be/s1 failed, reason: Health analyze, info: '
                      r'"Detected 2 consecutive errors, last one was: Wrong http response", '
                      r'status: 0/2 DOWN\.', SLACK)
        self.log.wait(r'Server be/s1 is DOWN\. 1 active and 0 backup servers left\. '
                      r'\d+ sessions active, 0 requeued, 0 remaining in queue\.', SLACK)
        self.assertEqual(self.stat('hanafail'), '2')

    def test_fail_check_takes_one_health_point(self):
        self.farm('observe layer7 error-limit 2 on-error fail-check')
        self.s1.mode = '500'
        self.get()
        self.get()
        self.wait_stat('status', 'UP 2/3')
        self.assertEqual((self.stat('chkfail'), self.stat('hanafail')), ('1', '1'))

    def test_fastinter_only_counts(self):
        self.farm('observe layer7 error-limit 2 on-error fastinter')
        self.s1.mode = '500'
        for _ in range(4):
            self.get()
        self.wait_stat('hanafail', '2')
        row = show_stat(self.sock, 's1')
        self.assertEqual((row['status'], row['chkfail'], row['check_status']), ('UP', '0', 'L7OK'))

    def test_layer4_refused(self):
        refused = closed_port()
        self.addCleanup(refused.close)
        self.farm('observe layer4 error-limit 3 on-error mark-down', backend_opts='    retries 2',
                  s1_addr=f'127.0.0.1:{refused.getsockname()[1]}', s1_check='port HEALTHPORT')
        self.get()   # 3 refused attempts (retries 2), then 503
        self.log.wait(r'Server be/s1 is DOWN, reason: Health analyze, info: "Detected 3 consecutive '
                      r'errors, last one was: L4 unsuccessful connection"\. 1 active and 0 backup '
                      r'servers left\. \d+ sessions active, 0 requeued, 0 remaining in queue\.', SLACK)
        self.assertEqual(self.get(), (200, 's2'))

    def test_layer4_ignores_http_errors(self):
        self.farm('observe layer4 error-limit 2 on-error mark-down')
        self.s1.mode = '500'
        for _ in range(4):
            self.get()
        time.sleep(0.3)
        row = show_stat(self.sock, 's1')
        self.assertEqual((row['status'], row['hanafail']), ('UP', '0'))


def xxh64(b, seed=0):
    M = (1 << 64) - 1
    P1, P2, P3, P4, P5 = (11400714785074694791, 14029467366897019727, 1609587929392839161,
                          9650029242287828579, 2870177450012600261)

    def rotl(x, r):
        return ((x << r) | (x >> (64 - r))) & M

    def rnd(acc, v):
        return (rotl((acc + v * P2) & M, 31) * P1) & M

    n, i = len(b), 0
    if n >= 32:
        v = [(seed + P1 + P2) & M, (seed + P2) & M, seed, (seed - P1) & M]
        while i + 32 <= n:
            v = [rnd(v[k], struct.unpack_from('<Q', b, i + 8 * k)[0]) for k in range(4)]
            i += 32
        h = (rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18)) & M
        for x in v:
            h = ((h ^ rnd(0, x)) * P1 + P4) & M
    else:
        h = (seed + P5) & M
    h = (h + n) & M
    while i + 8 <= n:
        h = (rotl(h ^ rnd(0, struct.unpack_from('<Q', b, i)[0]), 27) * P1 + P4) & M
        i += 8
    if i + 4 <= n:
        h = (rotl(h ^ ((struct.unpack_from('<I', b, i)[0] * P1) & M), 23) * P2 + P3) & M
        i += 4
    while i < n:
        h = (rotl(h ^ ((b[i] * P5) & M), 11) * P1) & M
        i += 1
    h ^= h >> 33
    h = (h * P2) & M
    h ^= h >> 29
    h = (h * P3) & M
    h ^= h >> 32
    return h


class DynamicCookieTest(ProxyTestCase):
    KEY = 'S3cr3t-k3y'

    def run_proxy(self, binary, origins, explicit=None):
        fe = Listener()
        self.addCleanup(fe.close)
        servers = '\n'.join(f'    server {o.name} {o.addr}' + (f' cookie {explicit}' if explicit and i == 0 else '')
                            for i, o in enumerate(origins))
        cfg = f"""
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind {fe.bind}
    default_backend be
backend be
    cookie SRV insert indirect nocache dynamic
    dynamic-cookie-key {self.KEY}
{servers}
"""
        p = Proxy(cfg, [fe], binary=binary, workdir=self.tmpdir())
        self.addCleanup(p.stop)
        got = []
        for _ in origins:
            with Client(fe.port) as c:
                r = c.request('GET', '/')
                got.append((r.status, r.header('set-cookie')))
        # the dynamic value routes back to its server
        with Client(fe.port) as c:
            val = got[-1][1].split(';')[0]
            r = c.request('GET', '/', headers=[f'Cookie: {val}'])
            routed = (r.status, r.header('set-cookie'))
        p.stop()
        return got, routed

    def origins(self):
        return [self.origin('d1'), self.origin('d2', host='127.0.0.2'), self.origin('d6', host='::1')]

    def expected(self, o):
        fam = socket.AF_INET6 if ':' in o.host else socket.AF_INET
        raw = self.KEY.encode() + socket.inet_pton(fam, o.host) + struct.pack('>I', o.port)
        return 'SRV=%016x; path=/' % xxh64(raw)

    def test_values_match_the_derivation(self):
        origins = self.origins()
        got, routed = self.run_proxy(self.PROXY_BIN, origins)
        self.assertEqual(got, [(200, self.expected(o)) for o in origins])
        self.assertEqual(routed, (200, None))   # persistent: no new cookie
        self.assertEqual(len(origins[-1].requests), 2)

    @unittest.skipUnless(haproxy_available(), 'haproxy not installed')
    def test_same_set_cookie_bytes_as_haproxy(self):
        origins = self.origins()
        mine = self.run_proxy(self.PROXY_BIN, origins)
        theirs = self.run_proxy(HAPROXY_BIN, origins)
        self.assertEqual(mine, theirs)

    def test_explicit_cookie_wins(self):
        o1, o2 = self.origin('e1'), self.origin('e2')
        got, _ = self.run_proxy(self.PROXY_BIN, [o1, o2], explicit='fixed')
        self.assertEqual(got, [(200, 'SRV=fixed; path=/'), (200, self.expected(o2))])


if __name__ == '__main__':
    unittest.main()
