"""The idle server connection pool's keywords: `pool-max-conn` (how many idle connections a
server keeps) and `pool-purge-delay` (how long an idle one is kept), on server lines and
default-server, as HAProxy 2.6 has them. Every case runs on haproxy too:
    PROXY_BIN=/usr/sbin/haproxy python3 -m unittest -v test_server_pool
"""

import time
import unittest

from harness import ProxyTestCase, Client, wait_until


class ServerPoolTest(ProxyTestCase):
    def requests(self, fe, n, clients=1):
        for _ in range(clients):
            with Client(fe.port) as c:
                for i in range(n):
                    self.assertEqual(c.request('GET', f'/p{i}').status, 200)

    def test_pool_max_conn_0_keeps_no_idle_connection(self):
        # nothing is kept idle: each request of a keep-alive client has a server connection of
        # its own
        o = self.origin('s1')
        _, fe = self.simple([o], backend='    default-server pool-max-conn 0', glob='    nbthread 1')
        self.requests(fe, 3)
        self.assertEqual(o.request_count(), 3)
        self.assertEqual(o.connection_count(), 3)

    def test_pool_max_conn_1_serves_clients_one_after_the_other_on_one_connection(self):
        o = self.origin('s1')
        _, fe = self.simple([o], backend='    http-reuse always\n    default-server pool-max-conn 1',
                            glob='    nbthread 1')
        self.requests(fe, 2, clients=3)
        self.assertEqual(o.request_count(), 6)
        self.assertEqual(o.connection_count(), 1)

    def test_pool_purge_delay_closes_an_idle_connection(self):
        o = self.origin('s1')
        _, fe = self.simple([o], backend='    http-reuse always\n    default-server pool-purge-delay 300ms',
                            glob='    nbthread 1')
        self.requests(fe, 1)
        self.requests(fe, 1)   # a second client at once: the idle connection serves it
        self.assertEqual(o.connection_count(), 1)
        started = time.monotonic()
        # idle, it is closed by the proxy after about the purge delay (default: 5 s)
        self.assertTrue(wait_until(lambda: o.connections[0].closed.is_set(), timeout=5),
                        'the idle server connection was not purged')
        self.assertLess(time.monotonic() - started, 3)
        self.requests(fe, 1)
        self.assertEqual(o.connection_count(), 2)

if __name__ == '__main__':
    unittest.main()
