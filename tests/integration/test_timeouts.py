"""Each timeout, measured from the client's side: http-request (408), server (504),
connect (503, with a backend whose accept queue is full), connection refused (503 after
retries), client, http-keep-alive."""

import socket
import time
import unittest

from harness import ProxyTestCase, Client, free_port

PAGE_408 = (b"HTTP/1.1 408 Request Time-out\r\nContent-length: 110\r\nCache-Control: no-cache\r\n"
            b"Connection: close\r\nContent-Type: text/html\r\n\r\n"
            b"<html><body><h1>408 Request Time-out</h1>\n"
            b"Your browser didn't send a complete request in time.\n</body></html>\n")
PAGE_503 = (b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 107\r\n"
            b"cache-control: no-cache\r\ncontent-type: text/html\r\n\r\n"
            b"<html><body><h1>503 Service Unavailable</h1>\n"
            b"No server is available to handle this request.\n</body></html>\n")
PAGE_504 = (b"HTTP/1.1 504 Gateway Time-out\r\ncontent-length: 92\r\n"
            b"cache-control: no-cache\r\ncontent-type: text/html\r\n\r\n"
            b"<html><body><h1>504 Gateway Time-out</h1>\n"
            b"The server didn't respond in time.\n</body></html>\n")


def cfg_defaults(**t):
    lines = ['defaults', '    mode http']
    base = dict(connect='2s', client='10s', server='10s')
    base.update(t)
    for k, v in base.items():
        lines.append(f'    timeout {k.replace("_", "-")} {v}')
    return '\n'.join(lines) + '\n'


class TimeoutsTest(ProxyTestCase):
    def _elapsed_read(self, c, timeout=8):
        t0 = time.monotonic()
        data = c.read_until_close(timeout)
        return data, time.monotonic() - t0

    def test_http_request_timeout_408_on_partial_head(self):
        o = self.origin('s1')
        p, fe = self.simple([o], defaults=cfg_defaults(http_request='500ms'))
        with Client(fe.port) as c:
            c.send(b'GET / HTTP/1.1\r\nHost: a\r\n')
            data, dt = self._elapsed_read(c)
        self.assertEqual(data, PAGE_408)
        self.assertGreater(dt, 0.35)
        self.assertLess(dt, 3)
        self.assertEqual(o.raw_received(), b'')

    def test_http_request_timeout_408_on_silent_connection(self):
        # haproxy 2.6 answers 408 even when not a single byte was received
        # (unless `option http-ignore-probes`)
        o = self.origin('s1')
        p, fe = self.simple([o], defaults=cfg_defaults(http_request='500ms'))
        with Client(fe.port) as c:
            data, dt = self._elapsed_read(c)
        self.assertEqual(data, PAGE_408)
        self.assertLess(dt, 3)

    def test_client_timeout_applies_when_http_request_unset(self):
        o = self.origin('s1')
        p, fe = self.simple([o], defaults=cfg_defaults(client='500ms'))
        with Client(fe.port) as c:
            c.send(b'GET / HTTP/1.1\r\n')
            data, dt = self._elapsed_read(c)
        self.assertEqual(data, PAGE_408)
        self.assertGreater(dt, 0.35)
        self.assertLess(dt, 3)

    def test_server_timeout_504(self):
        o = self.origin('s1')
        p, fe = self.simple([o], defaults=cfg_defaults(server='500ms'))
        with Client(fe.port) as c:
            t0 = time.monotonic()
            r = c.request('GET', '/delay/3000')
            dt = time.monotonic() - t0
        self.assertEqual(r.raw, PAGE_504)
        self.assertGreater(dt, 0.35)
        self.assertLess(dt, 2.5)
        self.assertEqual(o.request_count(), 1)

    def test_connection_refused_503_after_retries(self):
        dead = free_port()
        fe = self.listener()
        cfg = cfg_defaults(connect='500ms') + f"""
frontend fe
    bind {fe.bind}
    default_backend be
backend be
    retries 1
    server dead 127.0.0.1:{dead}
"""
        self.proxy(cfg, [fe])
        with Client(fe.port) as c:
            t0 = time.monotonic()
            r = c.request('GET', '/')
            dt = time.monotonic() - t0
        self.assertEqual(r.raw, PAGE_503)
        self.assertLess(dt, 5)

    def test_connect_timeout_503(self):
        # A backend whose accept queue is full: SYNs are dropped, the connect can only time out.
        full = socket.socket()
        self.addCleanup(full.close)
        full.bind(('127.0.0.1', 0))
        full.listen(0)
        fillers = []
        for _ in range(3):
            s = socket.socket()
            s.setblocking(False)
            self.addCleanup(s.close)
            try:
                s.connect(full.getsockname())
            except BlockingIOError:
                pass
            fillers.append(s)
        fe = self.listener()
        cfg = cfg_defaults(connect='300ms') + f"""
frontend fe
    bind {fe.bind}
    default_backend be
backend be
    retries 1
    server full 127.0.0.1:{full.getsockname()[1]}
"""
        self.proxy(cfg, [fe])
        with Client(fe.port) as c:
            t0 = time.monotonic()
            r = c.request('GET', '/')
            dt = time.monotonic() - t0
        self.assertEqual(r.raw, PAGE_503)
        self.assertGreater(dt, 0.5, '503 came before two connect timeouts of 300ms')
        self.assertLess(dt, 5)

    def test_http_keep_alive_timeout_closes_idle_connection(self):
        o = self.origin('s1')
        p, fe = self.simple([o], defaults=cfg_defaults(client='10s', http_keep_alive='500ms'))
        with Client(fe.port) as c:
            r = c.request('GET', '/')
            self.assertEqual(r.status, 200)
            t0 = time.monotonic()
            self.assertTrue(c.is_closed_by_peer(5), 'idle keep-alive connection never closed')
            dt = time.monotonic() - t0
        self.assertGreater(dt, 0.35)
        self.assertLess(dt, 3, 'idle connection closed by timeout client, not http-keep-alive')

    def test_keep_alive_connection_survives_shorter_than_timeout(self):
        o = self.origin('s1')
        p, fe = self.simple([o], defaults=cfg_defaults(client='10s', http_keep_alive='2s'))
        with Client(fe.port) as c:
            self.assertEqual(c.request('GET', '/').status, 200)
            self.assertFalse(c.is_closed_by_peer(0.5))
            self.assertEqual(c.request('GET', '/').status, 200)


class MaxconnTest(ProxyTestCase):
    def test_frontend_maxconn_pauses_accept_and_serves_later(self):
        import threading
        o = self.origin('s1')
        p, fe = self.simple([o], frontend='    maxconn 2')
        done = []

        def slow():
            with Client(fe.port) as c:
                r = c.request('GET', '/delay/800/x', headers=['Connection: close'])
                done.append((time.monotonic(), r.status))
        ts = [threading.Thread(target=slow, daemon=True) for _ in range(2)]
        for t in ts:
            t.start()
        self.assertTrue(o.wait_requests(2))
        # a third connection is not served while two are in progress ...
        with Client(fe.port) as c:
            c.send(b'GET /third HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
            r = c.read_response(timeout=8)
            t_third = time.monotonic()
        for t in ts:
            t.join(8)
        self.assertEqual(r.status, 200)
        self.assertEqual(sorted(s for _, s in done), [200, 200])
        # ... only once one of the first two has finished (their threads may note the time a
        # little after the third was served, hence the margin, far below the 800 ms delay)
        self.assertGreaterEqual(t_third, min(t for t, _ in done) - 0.2)
        self.assertEqual([q.target for q in o.requests][-1], '/third')
        self.assertTrue(p.alive())

    def test_frontend_maxconn_holds_across_threads(self):
        # Two threads, each with its own listening socket: the limit is the frontend's, not a
        # thread's. 12 clients at once, maxconn 3: all served, never more than 3 at a time.
        import threading
        o = self.origin('s1')
        p, fe = self.simple([o], frontend='    maxconn 3', glob='    nbthread 2')
        statuses = []

        def slow(i):
            with Client(fe.port) as c:
                r = c.request('GET', f'/delay/300/{i}', headers=['Connection: close'], timeout=15)
                statuses.append(r.status)
        ts = [threading.Thread(target=slow, args=(i,), daemon=True) for i in range(12)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(20)
        self.assertEqual(statuses, [200] * 12)
        self.assertEqual(o.max_in_flight, 3)
        self.assertTrue(p.alive())


if __name__ == '__main__':
    unittest.main()
