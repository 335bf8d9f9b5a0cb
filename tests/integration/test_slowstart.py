"""slowstart. Without health checks a server only "comes up" when it leaves maintenance
through the runtime API, so the test drives it with `set server be/s1 state ready` on the
admin socket: with `slowstart 20s` the returning server gets only a trickle of the traffic
at first; without slowstart it takes its full share at once."""

import os
import unittest

from harness import ProxyTestCase, Client, wait_until
from harness.cli import cli as admin




class SlowstartTest(ProxyTestCase):
    def share_after_ready(self, slowstart):
        s1, s2 = self.origin('s1'), self.origin('s2')
        sock = os.path.join(self.tmpdir(), 'admin.sock')
        fe = self.listener()
        ss = f'slowstart {slowstart}' if slowstart else ''
        cfg = f"""
global
    stats socket {sock} level admin
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind {fe.bind}
    default_backend be
backend be
    balance roundrobin
    server s1 {s1.addr} weight 100 disabled {ss}
    server s2 {s2.addr} weight 100
"""
        self.proxy(cfg, [fe])
        self.assertTrue(wait_until(lambda: os.path.exists(sock), 5), 'no admin socket')
        with Client(fe.port) as c:
            self.assertEqual({c.request('GET', '/').header('x-origin') for _ in range(4)},
                             {'s2'})
        self.assertEqual(admin(sock, 'set server be/s1 state ready').strip(), '')
        n = 200
        with Client(fe.port) as c:
            got = [c.request('GET', '/').header('x-origin') for _ in range(n)]
        return got.count('s1') / n

    def test_slowstart_ramps_up(self):
        share = self.share_after_ready('20s')
        # a few hundred ms into a 20 s ramp: eweight is ~1% of the full weight
        self.assertGreater(share, 0.0)
        self.assertLess(share, 0.1)

    def test_without_slowstart_full_share_at_once(self):
        share = self.share_after_ready(None)
        self.assertGreater(share, 0.45)
        self.assertLess(share, 0.55)


if __name__ == '__main__':
    unittest.main()
