"""`tcp-request connection accept|reject` in mode http and mode tcp, and the tcplog line: a
refused connection is closed at once, is no session (stot), is not logged and counts in the
frontend's dcon (conn_tot counts it); an accepted TCP session is logged once it ends, also
after a graceful close. The same scenario is run on haproxy when it is installed."""

import os
import re
import socket
import threading
import unittest

from harness import ProxyTestCase, wait_until
from harness.cli import cli
from harness.proxy import IS_HAPROXY, HAPROXY_BIN, haproxy_available
from test_log_capture import Syslog


class BannerServer:
    """Reads the client's first bytes, answers "hello\\n" and closes (having read them, the close
    is a clean FIN), on every connection."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(16)
        self.addr = '127.0.0.1:%d' % self.sock.getsockname()[1]
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with c:
                c.recv(64)
                c.sendall(b'hello\n')

    def close(self):
        self.sock.close()


def talk(port, source, data):
    """Connects from `source`, sends `data`; returns what came back before the close, or
    'reset'."""
    s = socket.socket()
    s.bind((source, 0))
    s.settimeout(5)
    got = b''
    try:
        s.connect(('127.0.0.1', port))
        s.sendall(data)
        while True:
            d = s.recv(4096)
            if not d:
                break
            got += d
    except (ConnectionResetError, BrokenPipeError):   # closed before or while we sent
        return 'reset' if not got else got
    finally:
        s.close()
    return got


class ConnectionRulesTest(ProxyTestCase):
    def scenario(self, mode, binary=None):
        log = Syslog()
        self.addCleanup(log.close)
        banner = BannerServer()
        self.addCleanup(banner.close)
        fe = self.listener()
        sock = os.path.join(self.tmpdir(), 'admin.sock')
        if mode == 'http':
            body = ('    option httplog\n'
                    '    http-request return status 200 content-type text/plain string ok\n')
        else:
            body = f'    option tcplog\n    server s {banner.addr}\n'
        self.proxy(f"""
global
    stats socket {sock} level admin
    log 127.0.0.1:{log.port} local0
defaults
    mode {mode}
    log global
    timeout connect 2s
    timeout client 5s
    timeout server 5s
listen f
    bind {fe.bind}
    tcp-request connection reject if {{ src 127.0.0.2 }}
    tcp-request connection accept if {{ src 127.0.0.3 }}
{body}""", [fe], binary=binary)
        request = b'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
        refused = talk(fe.port, '127.0.0.2', request)
        # %ac/%fc of the accepted session count what is open when its line is written: wait until
        # the refused connection and the harness' readiness probes are gone (haproxy lowers its
        # counts a little after the peer's close; reading them earlier made this test flaky).
        def current():
            for line in cli(sock, 'show info').splitlines():
                if line.startswith('CurrConns: '):
                    return line.split(': ', 1)[1]
        self.assertTrue(wait_until(lambda: current() == '0', 5), 'connections still open: ' + str(current()))
        accepted = talk(fe.port, '127.0.0.3', request if mode == 'http' else b'x')
        lines = log.wait_count(lambda l: ' f ' in l or ' f/' in l, 1)
        def row():
            out = cli(sock, 'show stat').splitlines()
            cols = out[0][2:].split(',')
            for line in out[1:]:
                r = dict(zip(cols, line.split(',')))
                if r.get('svname') == 'FRONTEND':
                    return {k: r[k] for k in ('stot', 'dcon', 'conn_tot')}
        stats = {}
        self.assertTrue(wait_until(lambda: stats.update(row()) or stats['stot'] == '1', 5), stats)
        return refused, accepted, lines, stats, log

    def check(self, mode, binary=None):
        refused, accepted, lines, stats, log = self.scenario(mode, binary)
        self.assertIn(refused, ('reset', b''))
        self.assertTrue(accepted.startswith(b'HTTP/1.1 200' if mode == 'http' else b'hello\n'), accepted)
        self.assertEqual(stats, {'stot': '1', 'dcon': '1', 'conn_tot': '2'})
        # one line, the accepted session's; nothing for the refused connection
        self.assertEqual(len([l for l in log.lines if '127.0.0.2:' in l]), 0, log.lines)
        self.assertRegex(lines[0], r'^127\.0\.0\.3:\d+ \[')
        if mode == 'tcp':
            # %ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq
            self.assertRegex(lines[0], r'^127\.0\.0\.3:\d+ \[[^\]]+\] f f/s \d+/\d+/\d+ 6 -- 1/1/0/0/0 0/0$')
        return lines[0]

    def test_http_mode(self):
        self.check('http')

    def test_tcp_mode_and_tcplog(self):
        self.check('tcp')

    def test_same_as_haproxy(self):
        if IS_HAPROXY or not haproxy_available():
            self.skipTest('needs haproxy installed and another binary under test')
        for mode in ('http', 'tcp'):
            self.check(mode, binary=HAPROXY_BIN)


if __name__ == '__main__':
    unittest.main()
