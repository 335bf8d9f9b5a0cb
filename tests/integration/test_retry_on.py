"""Retry details beyond the basics: `retry-on` (counts the attempts: retries+1 connections
to a server that accepts and closes at once) and the turn-around between attempts bounded
by `timeout connect` (HAProxy waits MIN(1 s, timeout connect))."""

import unittest

from harness import TcpOrigin, free_port, wait_until
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

    # ---- redispatch ---------------------------------------------------------------------------


for _name in [n for n in dir(_Base) if n.startswith('test_')]:
    if _name not in ('test_turn_around_bounded_by_timeout_connect',
                     'test_retry_on_counts_attempts'):
        setattr(RetryOnTest, _name, None)
del _Base, _name  # the loader must not collect the base class from this module

if __name__ == '__main__':
    unittest.main()
