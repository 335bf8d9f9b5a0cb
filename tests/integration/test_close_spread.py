"""`close-spread-time`: on a soft stop (SIGUSR1, or the old process of a reload), idle keep-alive
client connections are closed spread over the window instead of all at once, so that clients
do not all reconnect in the same instant; with `infinite` they stay until their keep-alive
timeout and responses keep the connection open. Runs on haproxy too (PROXY_BIN=haproxy)."""

import select
import signal
import socket
import time
import unittest

from harness import ProxyTestCase, wait_until

N = 20


def request(sock):
    sock.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    data = b''
    deadline = time.monotonic() + 5
    while b'\r\n\r\n' not in data or not data.endswith(b'ok'):
        r, _, _ = select.select([sock], [], [], max(0.0, deadline - time.monotonic()))
        if not r:
            break
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def closed(sock):
    """True once the proxy closed the connection (EOF or reset), without blocking."""
    r, _, _ = select.select([sock], [], [], 0)
    if not r:
        return False
    try:
        return sock.recv(1) == b''
    except OSError:
        return True


class CloseSpreadTest(ProxyTestCase):
    def start(self, glob):
        fe = self.listener()
        cfg = f"""
global
{glob}
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout http-keep-alive {'3s' if 'infinite' in glob else '30s'}
frontend fe
    bind {fe.bind}
    http-request return status 200 content-type text/plain string ok
"""
        p = self.proxy(cfg, [fe])
        socks = []
        for _ in range(N):
            s = socket.create_connection(('127.0.0.1', fe.port), timeout=5)
            self.addCleanup(s.close)
            self.assertIn(b' 200 ', request(s))   # served once: now an idle keep-alive connection
            socks.append(s)
        self.idle_since = time.monotonic()
        return p, socks

    def test_idle_connections_close_spread_over_the_window(self):
        p, socks = self.start('    close-spread-time 4s')
        t0 = time.monotonic()
        p.signal(signal.SIGUSR1)
        # When the first one closes, most are still open (each closes at a random point of the
        # 4 s window) ...
        states = []
        self.assertTrue(wait_until(lambda: any(states.append([closed(s) for s in socks]) or states[-1]), 6))
        early = states[-1]
        if time.monotonic() - t0 < 1.0:
            self.assertLess(sum(early), N, 'every idle connection closed at once')
        # ... a request on one still open is answered ...
        still_open = [s for s, c in zip(socks, early) if not c]
        if still_open:
            self.assertIn(b' 200 ', request(still_open[0]))
        # ... and all are closed by the end of the window, then the process ends.
        self.assertTrue(wait_until(lambda: all(closed(s) for s in socks if s not in still_open[:1]), 8),
                        'idle connections left open after the window')
        self.assertIsNotNone(p.wait(10))

    def test_without_the_window_idle_connections_close_at_once(self):
        p, socks = self.start('')
        p.signal(signal.SIGUSR1)
        self.assertTrue(wait_until(lambda: all(closed(s) for s in socks), 3))
        self.assertIsNotNone(p.wait(10))

    def test_infinite_keeps_idle_connections_until_their_keep_alive_timeout(self):
        p, socks = self.start('    close-spread-time infinite')
        p.signal(signal.SIGUSR1)
        # a request still gets a kept-alive answer (no Connection: close) ...
        answer = request(socks[0])
        self.assertIn(b' 200 ', answer)
        self.assertNotIn(b'connection: close', answer.lower())
        # ... and the connections end with `timeout http-keep-alive` (3 s), not before
        if time.monotonic() - self.idle_since < 2.0:
            self.assertFalse(any(closed(s) for s in socks[1:]))
        self.assertTrue(wait_until(lambda: all(closed(s) for s in socks), 6))
        self.assertIsNotNone(p.wait(10))


if __name__ == '__main__':
    unittest.main()
