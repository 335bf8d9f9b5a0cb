"""The idle server connection pool's keywords: `pool-max-conn` (how many idle connections a
server keeps) and `pool-purge-delay` (how long an idle one is kept), on server lines and
default-server, as HAProxy 2.6 has them. Every case runs on haproxy too:
    PROXY_BIN=/usr/sbin/haproxy python3 -m unittest -v test_server_pool
"""

import time
import unittest

from harness import ProxyTestCase, Client, wait_until, PROXY_BIN
from harness.proxy import run_check


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

    def test_config_messages_as_haproxy(self):
        def check(opts):
            cfg = f"""
defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend fe
    bind 127.0.0.1:18099
    default_backend be
backend be
    server s1 127.0.0.1:1 {opts}
"""
            rc, out, err = run_check(PROXY_BIN, cfg, self.tmpdir())
            return rc, out + err
        for opts, msg in (
                ('pool-max-conn', "'server be/s1' : 'pool-max-conn' expects <value> as argument.."),
                ('pool-max-conn -2', "'server be/s1' : 'pool-max-conn' must be >= -1."),
                ('pool-purge-delay', "'server be/s1' : 'pool-purge-delay' expects <value> as argument.."),
                ('pool-purge-delay 5x', "'server be/s1' : unexpected character 'x' in argument to <pool-purge-delay>..")):
            rc, out = check(opts)
            self.assertNotEqual(rc, 0, opts)
            self.assertIn(msg, out)
        for ok in ('pool-max-conn -1 pool-purge-delay 0', 'pool-max-conn x pool-purge-delay 10s'):
            rc, out = check(ok)
            self.assertEqual(rc, 0, out)


    def test_show_servers_conn_shows_the_pool_settings(self):
        import os
        from harness.cli import cli
        o = self.origin('s1')
        sock = os.path.join(self.tmpdir(), 'admin.sock')
        _, fe = self.simple([o], backend='    default-server pool-max-conn 7 pool-purge-delay 2s',
                            glob=f'    nbthread 1\n    stats socket {sock} level admin')
        rows = [l.split(' ') for l in cli(sock, 'show servers conn be').splitlines() if l.startswith('be/')]
        self.assertEqual(len(rows), 1, rows)
        # "be/s1 <ids> <addr> <port> - purge_delay used_cur used_max need_est unsafe_nb safe_nb idle_lim ..."
        self.assertEqual((rows[0][0], rows[0][5], rows[0][11]), ('be/s1', '2000', '7'))


if __name__ == '__main__':
    unittest.main()
