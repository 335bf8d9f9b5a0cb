"""Health checks with real backends that fail and recover (answer 500, stop answering, get
killed, come back): state transitions within inter x fall, the traffic that follows, and the
log lines received on a local UDP syslog socket, in HAProxy 2.6.12's words.
Run against haproxy with PROXY_BIN=/usr/sbin/haproxy."""

import re
import socket
import threading
import time
import unittest

from harness import ProxyTestCase, Client
from harness.syslog import SyslogReceiver

INTER = 200           # ms
FALL = 2
RISE = 2
SLACK = 1.5           # seconds allowed beyond inter x fall (scheduling, process start)


class ModeServer:
    """An HTTP origin whose behaviour changes on demand: mode 'ok' (200), '500', 'silent'
    (accepts, never answers), 'down' (listening socket closed: connection refused)."""

    def __init__(self, name):
        self.name = name
        self.mode = 'ok'
        self.requests = []
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', 0))
        self.port = self.sock.getsockname()[1]
        self._listen()

    @property
    def addr(self):
        return f'127.0.0.1:{self.port}'

    def _listen(self):
        self.sock.listen(64)
        threading.Thread(target=self._accept, args=(self.sock,), daemon=True).start()

    def _accept(self, s):
        while True:
            try:
                c, _ = s.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

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
            mode = self.mode
            if mode == 'silent':
                time.sleep(5)
            elif mode == '500':
                c.sendall(b'HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n'
                          b'connection: close\r\n\r\n')
            else:
                body = self.name.encode()
                c.sendall(b'HTTP/1.1 200 OK\r\ncontent-length: %d\r\nx-origin: %s\r\n'
                          b'connection: close\r\n\r\n%s' % (len(body), body, body))
        except OSError:
            pass
        finally:
            c.close()

    def kill(self):
        self.mode = 'down'
        self.sock.close()

    def revive(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', self.port))
        self.mode = 'ok'
        self._listen()

    def stop(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Syslog(SyslogReceiver):
    """(level, message) pairs: the severity alone."""

    @property
    def lines(self):
        with self.lock:
            return [(p & 7, m) for p, m in self.records]

    def wait(self, pattern, timeout):
        rx = re.compile(pattern)
        deadline = time.time() + timeout
        while time.time() < deadline:
            for lvl, msg in self.lines:
                if rx.fullmatch(msg):
                    return lvl, msg
            time.sleep(0.02)
        got = '\n'.join(f'<{l}> {m}' for l, m in self.lines)
        raise AssertionError(f'no log line matching {pattern!r} within {timeout}s; got:\n{got}')


class ChecksTest(ProxyTestCase):
    def farm(self, names, backend_opts='', server_opts='', log_checks=False):
        self.log = Syslog()
        self.addCleanup(self.log.close)
        self.srv = {}
        for n in names:
            self.srv[n] = ModeServer(n)
            self.addCleanup(self.srv[n].stop)
        opts = f'check inter {INTER} rise {RISE} fall {FALL} {server_opts}'
        lines = '\n'.join(f'    server {n} {s.addr} {opts}{" backup" if n.startswith("bk") else ""}'
                          for n, s in self.srv.items())
        fe = self.listener()
        self.fe = fe
        cfg = f"""
global
    log 127.0.0.1:{self.log.port} local0
defaults
    mode http
    log global
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind {fe.bind}
    default_backend be
backend be
    option httpchk GET /health
{'    option log-health-checks' if log_checks else ''}
{backend_opts}
{lines}
"""
        self.proxy(cfg, [fe])
        time.sleep(INTER / 1000 * 2)   # first checks done (spread over one interval)

    def within(self):
        return INTER * FALL / 1000 + SLACK

    def picks(self, n=6):
        out = []
        for _ in range(n):
            with Client(self.fe.port) as c:
                r = c.request('GET', '/')
                out.append(r.header('x-origin') if r.status == 200 else r.status)
        return out

    def test_request_bytes(self):
        self.farm(['s1'])
        self.assertTrue(self.srv['s1'].requests)
        self.assertEqual(self.srv['s1'].requests[0], b'GET /health HTTP/1.0\r\n\r\n')

    def test_500_marks_down_then_recovers(self):
        self.farm(['s1', 's2'])
        self.srv['s1'].mode = '500'
        lvl, _ = self.log.wait(
            r'Server be/s1 is DOWN, reason: Layer7 wrong status, code: 500, info: '
            r'"Internal Server Error", check duration: \d+ms\. 1 active and 0 backup servers left\. '
            r'0 sessions active, 0 requeued, 0 remaining in queue\.', self.within())
        self.assertEqual(lvl, 1)   # alert
        self.assertEqual(set(self.picks()), {'s2'})
        self.srv['s1'].mode = 'ok'
        lvl, _ = self.log.wait(
            r'Server be/s1 is UP, reason: Layer7 check passed, code: 200, check duration: \d+ms\. '
            r'2 active and 0 backup servers online\. 0 sessions requeued, 0 total in queue\.',
            INTER * RISE / 1000 + SLACK)
        self.assertEqual(lvl, 5)   # notice
        self.assertEqual(set(self.picks()), {'s1', 's2'})

    def test_killed_and_silent_servers_and_no_server_left(self):
        self.farm(['s1', 's2'])
        self.srv['s2'].kill()
        self.log.wait(
            r'Server be/s2 is DOWN, reason: Layer4 connection problem, info: "Connection refused", '
            r'check duration: \d+ms\. 1 active and 0 backup servers left\. 0 sessions active, '
            r'0 requeued, 0 remaining in queue\.', self.within())
        self.srv['s1'].mode = 'silent'
        self.log.wait(
            r'Server be/s1 is DOWN, reason: Layer7 timeout, check duration: \d+ms\. '
            r'0 active and 0 backup servers left\. 0 sessions active, 0 requeued, '
            r'0 remaining in queue\.', self.within() + INTER / 1000)
        lvl, _ = self.log.wait(r'backend be has no server available!', 1.0)
        self.assertEqual(lvl, 0)   # emerg
        self.srv['s2'].revive()
        self.log.wait(r'Server be/s2 is UP, reason: Layer7 check passed, code: 200, '
                      r'check duration: \d+ms\. 1 active and 0 backup servers online\. '
                      r'0 sessions requeued, 0 total in queue\.', INTER * RISE / 1000 + SLACK)

    def test_backup_takes_over(self):
        self.farm(['s1', 'bk1'])
        self.srv['s1'].mode = '500'
        self.log.wait(r'Server be/s1 is DOWN, .*\. 0 active and 1 backup servers left\. '
                      r'Running on backup\. 0 sessions active, 0 requeued, 0 remaining in queue\.',
                      self.within())
        self.assertEqual(set(self.picks()), {'bk1'})

    def test_log_health_checks(self):
        self.farm(['s1'], log_checks=True)
        self.log.wait(r'Health check for server be/s1 succeeded, reason: Layer7 check passed, '
                      r'code: 200, check duration: \d+ms, status: 2/2 UP\.', 1.0)
        self.srv['s1'].mode = '500'
        self.log.wait(r'Health check for server be/s1 failed, reason: Layer7 wrong status, '
                      r'code: 500, info: "Internal Server Error", check duration: \d+ms, '
                      r'status: 1/2 UP\.', self.within())
        self.log.wait(r'Server be/s1 is DOWN\. 0 active and 0 backup servers left\. '
                      r'0 sessions active, 0 requeued, 0 remaining in queue\.', self.within())

    def test_expect_hdr(self):
        # x-origin: s1 matches (hdr, -m sub on a case-changed name); s2's value does not
        self.farm(['s1', 's2'], backend_opts='    http-check expect hdr name X-ORIGIN value -m sub 1')
        self.log.wait(r'Server be/s2 is DOWN, reason: Layer7 wrong status, code: 200, info: "OK", '
                      r'check duration: \d+ms\. 1 active and 0 backup servers left\. 0 sessions '
                      r'active, 0 requeued, 0 remaining in queue\.', self.within())
        self.assertEqual(set(self.picks()), {'s1'})

    def test_expect_negated_fhdr_regex(self):
        self.farm(['s1'], backend_opts='    http-check expect ! fhdr name -m beg content- value -m reg ^[0-9]+$')
        self.log.wait(r'Server be/s1 is DOWN, reason: Layer7 wrong status, code: 200, info: "OK", .*',
                      self.within())


if __name__ == '__main__':
    unittest.main()
