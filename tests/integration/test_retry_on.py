"""Retry details beyond the basics: `retry-on` (counts the attempts: retries+1 connections
to a server that accepts and closes at once) and the turn-around between attempts bounded
by `timeout connect` (HAProxy waits MIN(1 s, timeout connect))."""

import unittest

from harness import Client, TcpOrigin, free_port, wait_until
import test_retries
from test_retries import PAGE_502, PAGE_503  # noqa: F401

_Base = test_retries.RetriesTest


class RetryOnTest(_Base):
    def test_turn_around_bounded_by_timeout_connect(self):
        # timeout connect 300ms: retries 3 -> 3 waits of 300 ms, ~0.9 s
        port = self.be('    retries 3', f'    server dead 127.0.0.1:{free_port()}',
                       tconnect='300ms')
        r, el = self.timed(port)
        self.assertEqual(r.raw, PAGE_503)
        self.assertGreater(el, 0.8)
        self.assertLess(el, 1.6)

    def test_retry_on_counts_attempts(self):
        # a server that accepts and closes at once: by default not retried (502, one
        # connection); with `retry-on empty-response` exactly retries+1 = 4 connections
        for retry_on, n in (('', 1), ('    retry-on conn-failure empty-response', 4)):
            t = TcpOrigin('t', mode='close')
            self.addCleanup(t.stop)
            port = self.be(f'    retries 3\n{retry_on}', f'    server t {t.addr}')
            r, _ = self.timed(port)
            self.assertEqual(r.raw, PAGE_502)
            self.assertTrue(wait_until(lambda: t.connection_count() >= n, 3))
            self.assertFalse(wait_until(lambda: t.connection_count() > n, 0.3),
                             f'{retry_on!r}: {t.connection_count()} connections, want {n}')

    # ---- layer-7 retries ------------------------------------------------------------------------
    def status_origin(self, name, status):
        """An origin that answers every request with `status` and counts what it received."""
        o = self.origin(name)
        o.handler = lambda origin, c, r: origin.respond(c, r, status, body=f'{name}\n'.encode())
        return o

    def test_retry_on_status_redispatches_to_the_other_server(self):
        bad, good = self.status_origin('bad', 503), self.status_origin('good', 200)
        port = self.be('    balance roundrobin\n    retries 3\n    option redispatch\n    retry-on 503',
                       f'    server bad {bad.addr}\n    server good {good.addr}')
        for _ in range(4):
            with Client(port) as c:
                r = c.request('POST', '/p', body=b'payload-123')
            self.assertEqual((r.status, r.header('x-origin')), (200, 'good'))
        # every request that met the 503 was replayed whole on the good server
        self.assertGreaterEqual(len(bad.requests), 1)
        self.assertEqual(len(good.requests), 4)
        self.assertEqual({q.body for q in good.requests}, {b'payload-123'})

    def test_retry_on_status_without_redispatch_gives_the_last_answer(self):
        bad = self.status_origin('bad', 503)
        port = self.be('    retries 2\n    retry-on 503', f'    server bad {bad.addr}')
        with Client(port) as c:
            r = c.request('GET', '/x')
        self.assertEqual((r.status, r.header('x-origin')), (503, 'bad'))
        self.assertTrue(wait_until(lambda: len(bad.requests) >= 3, 3))
        self.assertFalse(wait_until(lambda: len(bad.requests) > 3, 0.3))

    def test_status_not_listed_is_not_retried(self):
        bad = self.status_origin('bad', 500)
        port = self.be('    retries 3\n    retry-on 503 504', f'    server bad {bad.addr}')
        with Client(port) as c:
            self.assertEqual(c.request('GET', '/x').status, 500)
        self.assertFalse(wait_until(lambda: len(bad.requests) > 1, 0.3))

    def test_response_timeout_retried_then_504(self):
        slow = self.origin('slow')
        fe = self.listener()
        self.proxy(f"""
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 300ms
frontend fe
    bind {fe.bind}
    default_backend be
backend be
    retries 1
    retry-on response-timeout
    server slow {slow.addr}
""", [fe])
        with Client(fe.port) as c:
            r = c.request('GET', '/delay/2000/x')
        self.assertEqual(r.status, 504)
        self.assertTrue(wait_until(lambda: len(slow.requests) >= 2, 3))

    # ---- redispatch ---------------------------------------------------------------------------


for _name in [n for n in dir(_Base) if n.startswith('test_')]:
    if _name not in ('test_turn_around_bounded_by_timeout_connect', 'test_retry_on_counts_attempts'):
        setattr(RetryOnTest, _name, None)
del _Base, _name  # the loader must not collect the base class from this module

if __name__ == '__main__':
    unittest.main()
