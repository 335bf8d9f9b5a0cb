"""TLS in the statistics: the SSL columns of `show stat` (ssl_sess, ssl_reused_sess,
ssl_failed_handshake, after the "-") on the FRONTEND row for the clients' handshakes and on the
BACKEND and server rows for the handshakes with `ssl` servers, and the TLS lines of `show info`
(CumSslConns, CurrSslConns, MaxSslRate, the key rates), after real traffic: openssl s_client
full handshakes (TLS 1.2 and 1.3), a TLS 1.2 resumption (-sess_out / -sess_in), a plaintext
request and an empty connection on the TLS port (failed handshakes), a silent client that
times out (not a failed handshake), then `clear counters`; and `ssl` to a server that speaks
plain HTTP (failed handshakes on the server and BACKEND rows). The same through the typed and JSON
forms and the Prometheus exporter's process metrics.

Expectations observed with HAProxy 2.6.12 (OpenSSL 3.0): ssl_sess counts full handshakes only
(a resumed one goes to ssl_reused_sess); a timed-out handshake is not counted as failed;
`clear counters` zeroes the SSL columns and the SSL maxima but not CumSslConns. Run with
PROXY_BIN=/usr/sbin/haproxy. When the binary under test is not haproxy and haproxy is
installed, the same sequence runs on haproxy and the observations are compared."""

from harness.cli import stat_rows
import os
import re
import socket
import json
import unittest

from harness import ProxyTestCase, http_get
from harness.cli import cli
from harness.proxy import IS_HAPROXY, HAPROXY_BIN, haproxy_available
from harness.tls import certs, s_client, http_request_bytes, OPENSSL
from harness.util import wait_until

SSL_COLS = ('ssl_sess', 'ssl_reused_sess', 'ssl_failed_handshake')
ROWS = (('fe', 'FRONTEND'), ('be', 's1'), ('be', 'BACKEND'), ('tlsorigin', 'FRONTEND'),
        ('prom', 'FRONTEND'))


def ssl_cells(csv):
    rows = stat_rows(csv)
    return {r: tuple(rows[r][c] for c in SSL_COLS) for r in ROWS}


def info(sock):
    out = {}
    for line in cli(sock, 'show info').split('\n'):
        k, sep, v = line.partition(': ')
        if sep:
            out[k] = v
    return out


class TlsStatsTest(ProxyTestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not os.access(OPENSSL, os.X_OK):
            raise unittest.SkipTest(f'{OPENSSL} not installed')

    def start(self, binary=None):
        c = certs()
        fe, org, prom = self.listener(), self.listener(), self.listener()
        sock = os.path.join(self.tmpdir(), 'admin.sock')
        # `tlsorigin` is the TLS server of backend `be`, in the same process: its FRONTEND row
        # sees the server side's handshakes from the other end. `http-reuse never`: every client
        # session opens its own server connection (one server handshake each). `nbthread 1`:
        # haproxy keeps the session to resume per thread, which thread serves is not ours to pick.
        cfg = f"""
global
    nbthread 1
    stats socket {sock} level admin
defaults
    mode http
    timeout connect 2s
    timeout client 1s
    timeout server 5s
frontend fe
    bind {fe.bind} ssl crt {c.pem('a.test')}
    default_backend be
backend be
    http-reuse never
    server s1 127.0.0.1:{org.port} ssl verify none
frontend tlsorigin
    bind {org.bind} ssl crt {c.pem('a.test')}
    http-request return status 200 content-type text/plain string origin
frontend prom
    bind {prom.bind}
    http-request use-service prometheus-exporter if {{ path /metrics }}
"""
        self.proxy(cfg, [fe, org, prom], binary=binary)
        return fe.port, prom.port, sock

    def run_sequence(self, binary=None):
        """The traffic, then what the admin socket and the exporter say. Returns a dict of
        observations that must be equal for haproxy and the binary under test."""
        port, prom_port, sock = self.start(binary)
        d = self.tmpdir()
        sess = os.path.join(d, 'sess-1.2')
        got = {}
        # 1: a full TLS 1.2 handshake, its session saved; 2: that session resumed; 3: full TLS 1.3
        runs = [dict(tls='1.2', sess_out=sess), dict(tls='1.2', sess_in=sess), dict(tls='1.3')]
        got['clients'] = []
        for i, kw in enumerate(runs):
            r = s_client(port, servername='a.test', request=http_request_bytes(f'/r{i}'), **kw)
            got['clients'].append((r.rc, r.new_or_reused, r.status))
        # 4: plaintext HTTP on the TLS port; 5: a connection closed at once (both: failed handshakes)
        with socket.create_connection(('127.0.0.1', port), timeout=5) as s:
            s.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
            got['plaintext'] = s.recv(100)
        with socket.create_connection(('127.0.0.1', port), timeout=5) as s:
            s.shutdown(socket.SHUT_WR)
            got['empty'] = s.recv(100)
        # 6: a client that says nothing: closed by `timeout client` (1 s), not a failed handshake
        with socket.create_connection(('127.0.0.1', port), timeout=5) as s:
            got['silent'] = s.recv(100)

        # Every connection gone (CurrSslConns 0) and the rates seen (the maxima are set).
        def settled():
            i = info(sock)
            return i if (i['CurrSslConns'] == '0' and int(i['MaxSslRate']) > 0 and
                         int(i['SslFrontendMaxKeyRate']) > 0 and int(i['SslBackendMaxKeyRate']) > 0) else None
        inf = wait_until(settled, timeout=10)
        self.assertTrue(inf, f'show info never settled: {info(sock)}')
        csv = cli(sock, 'show stat')
        got['ssl'] = ssl_cells(csv)
        got['info'] = {k: inf[k] for k in ('MaxSslConns', 'CurrSslConns', 'CumSslConns', 'SslRateLimit',
                                           'SslCacheLookups', 'SslCacheMisses')}
        # maxima: between 1 and the number of events of their kind (how many fall in one
        # second depends on timing): 8 accepted on ssl binds (6 on fe, 2 on tlsorigin... the
        # server side), full client-side handshakes 2 (fe) + 1 (tlsorigin), server side 1
        # maxima: between 1 and the number of events of their kind (how many fall in one
        # second depends on timing): 9 connections accepted on ssl binds (6 on fe, 3 on
        # tlsorigin), 3 full handshakes client side (2 on fe, 1 on tlsorigin), 1 server side
        got['max_in_bounds'] = (1 <= int(inf['MaxSslRate']) <= 9,
                                1 <= int(inf['SslFrontendMaxKeyRate']) <= 3,
                                int(inf['SslBackendMaxKeyRate']) == 1)
        got['info_order'] = [k for k in inf if 'Ssl' in k]

        # typed and JSON: the same three counters at positions 103..105 of fe's FRONTEND
        iid = stat_rows(csv)[('fe', 'FRONTEND')]['iid']
        got['typed'] = [l.replace(f'F.{iid}.', 'F.<fe>.', 1) for l in cli(sock, 'show stat typed').split('\n')
                        if re.match(rf'F\.{iid}\.0\.10[345]\.', l)]
        got['json'] = [(f['field']['pos'], f['field']['name'], f['tags']['nature'], f['value']['value'])
                       for row in json.loads(cli(sock, 'show stat json')) for f in row
                       if f['objType'] == 'Frontend' and str(f['proxyId']) == iid and f['field']['pos'] >= 103
                       and f['field']['name'].startswith('ssl_')]

        # Prometheus: the process metrics come from the same numbers
        body = http_get(prom_port, '/metrics').body.decode()
        metrics = dict(l.rsplit(' ', 1) for l in body.split('\n') if l.startswith('haproxy_process_'))
        got['prom'] = (metrics.get('haproxy_process_ssl_connections_total'),
                       metrics.get('haproxy_process_current_ssl_connections'),
                       metrics.get('haproxy_process_max_ssl_rate') == inf['MaxSslRate'],
                       metrics.get('haproxy_process_max_frontend_ssl_key_rate') == inf['SslFrontendMaxKeyRate'])

        # `clear counters` once the last second's rates are back to 0: the SSL columns and the
        # SSL maxima go to 0, CumSslConns stays
        def quiet():
            i = info(sock)
            return i if all(i[k] == '0' for k in ('SslRate', 'SslFrontendKeyRate', 'SslBackendKeyRate')) else None
        self.assertTrue(wait_until(quiet, timeout=10), f'rates never back to 0: {info(sock)}')
        cli(sock, 'clear counters')
        got['cleared'] = ssl_cells(cli(sock, 'show stat'))
        after = info(sock)
        got['cleared_info'] = {k: after[k] for k in ('CumSslConns', 'MaxSslRate', 'SslFrontendMaxKeyRate',
                                                     'SslBackendMaxKeyRate')}
        return got

    def test_tls_counters(self):
        got = self.run_sequence()
        self.assertEqual(got['clients'], [(0, 'New', 200), (0, 'Reused', 200), (0, 'New', 200)])
        self.assertEqual((got['plaintext'], got['empty'], got['silent']), (b'', b'', b''))
        self.assertEqual(got['ssl'], {
            # 2 full client handshakes, 1 resumed, 2 failed (plaintext, empty); the silent
            # client timed out: not counted
            ('fe', 'FRONTEND'): ('2', '1', '2'),
            # one server connection per client session: the first computes a key, the next
            # ones resume the session kept from it
            ('be', 's1'): ('1', '2', '0'),
            ('be', 'BACKEND'): ('1', '2', '0'),
            ('tlsorigin', 'FRONTEND'): ('1', '2', '0'),
            ('prom', 'FRONTEND'): ('0', '0', '0'),
        })
        # 6 accepted on fe, 3 server connections, 3 accepted on tlsorigin; all closed
        self.assertEqual(got['info'], {'MaxSslConns': '0', 'CurrSslConns': '0', 'CumSslConns': '12',
                                       'SslRateLimit': '0', 'SslCacheLookups': '0', 'SslCacheMisses': '0'})
        self.assertEqual(got['max_in_bounds'], (True, True, True))
        self.assertEqual(got['info_order'], [
            'MaxSslConns', 'CurrSslConns', 'CumSslConns', 'SslRate', 'SslRateLimit', 'MaxSslRate',
            'SslFrontendKeyRate', 'SslFrontendMaxKeyRate', 'SslFrontendSessionReuse_pct',
            'SslBackendKeyRate', 'SslBackendMaxKeyRate', 'SslCacheLookups', 'SslCacheMisses'])
        self.assertEqual(got['typed'], ['F.<fe>.0.103.ssl_sess.1:MCP:u64:2',
                                        'F.<fe>.0.104.ssl_reused_sess.1:MCP:u64:1',
                                        'F.<fe>.0.105.ssl_failed_handshake.1:MCP:u64:2'])
        self.assertEqual(got['json'], [(103, 'ssl_sess', 'Counter', 2), (104, 'ssl_reused_sess', 'Counter', 1),
                                       (105, 'ssl_failed_handshake', 'Counter', 2)])
        self.assertEqual(got['prom'], ('12', '0', True, True))
        self.assertEqual(got['cleared'], {r: ('0', '0', '0') for r in ROWS})
        self.assertEqual(got['cleared_info'], {'CumSslConns': '12', 'MaxSslRate': '0',
                                               'SslFrontendMaxKeyRate': '0', 'SslBackendMaxKeyRate': '0'})
        if not IS_HAPROXY and haproxy_available():
            self.assertEqual(got, self.run_sequence(HAPROXY_BIN), 'differs from haproxy')

    def run_server_failure(self, binary=None):
        """`ssl` to a server that speaks plain HTTP: each attempt (1 + `retries 1`) is a failed
        handshake on the server and BACKEND rows."""
        fe, plain = self.listener(), self.listener()
        sock = os.path.join(self.tmpdir(), 'admin.sock')
        self.proxy(f"""
global
    stats socket {sock} level admin
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend fe
    bind {fe.bind}
    default_backend be
backend be
    retries 1
    server bad 127.0.0.1:{plain.port} ssl verify none
frontend plain
    bind {plain.bind}
    http-request return status 200 content-type text/plain string plain
""", [fe, plain], binary=binary)
        status = http_get(fe.port, '/').status
        i = wait_until(lambda: (lambda i: i if i['CurrSslConns'] == '0' else None)(info(sock)), timeout=10)
        self.assertTrue(i, 'TLS connections still open')
        rows = stat_rows(cli(sock, 'show stat'))
        return (status, {r: tuple(rows[r][c] for c in SSL_COLS) for r in
                         (('fe', 'FRONTEND'), ('be', 'bad'), ('be', 'BACKEND'), ('plain', 'FRONTEND'))},
                i['CumSslConns'], i['SslBackendMaxKeyRate'])

    def test_server_handshake_failures(self):
        got = self.run_server_failure()
        self.assertEqual(got, (503, {('fe', 'FRONTEND'): ('0', '0', '0'), ('be', 'bad'): ('0', '0', '2'),
                                     ('be', 'BACKEND'): ('0', '0', '2'), ('plain', 'FRONTEND'): ('0', '0', '0')},
                               '2', '0'))
        if not IS_HAPROXY and haproxy_available():
            self.assertEqual(got, self.run_server_failure(HAPROXY_BIN), 'differs from haproxy')


if __name__ == '__main__':
    unittest.main()
