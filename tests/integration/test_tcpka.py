"""`option tcpka` / `clitcpka` / `srvtcpka`: the proxy's client-side and server-side sockets
carry SO_KEEPALIVE, seen from outside with `ss -o` (a keepalive timer on the socket), the same
for haproxy and portero."""

import re
import shutil
import subprocess
import unittest

from harness import ProxyTestCase, Client, DEFAULTS, wait_until


def keepalive_by_port(pid):
    """{(local port, peer port): has a keepalive timer} for the TCP sockets of process pid."""
    out = subprocess.run(['ss', '-tnopH', 'state', 'established'], capture_output=True, text=True,
                         timeout=10).stdout
    socks = {}
    for line in out.splitlines():
        if f'pid={pid},' not in line:
            continue
        f = line.split()
        local, peer = f[2], f[3]
        socks[(int(local.rsplit(':', 1)[1]), int(peer.rsplit(':', 1)[1]))] = 'timer:(keepalive' in line
    return socks


@unittest.skipUnless(shutil.which('ss'), 'ss (iproute2) is needed to see socket options')
class TcpKeepAliveTest(ProxyTestCase):
    def sides(self, option):
        """One kept-alive exchange; returns (client side has keepalive, server side has it)."""
        o = self.origin('s1')
        p, fe = self.simple([o], defaults=DEFAULTS + (f'\n    option {option}' if option else ''))
        with Client(fe.port) as c:
            self.assertEqual(c.request('GET', '/').status, 200)
            both = {}
            def seen():
                socks = keepalive_by_port(p.pid)
                client = [ka for (lp, _), ka in socks.items() if lp == fe.port]
                server = [ka for (_, pp), ka in socks.items() if pp == o.port]
                if client and server:
                    both['c'], both['s'] = client[0], server[0]
                return bool(both)
            self.assertTrue(wait_until(seen, 5), 'the two sockets of the exchange were not seen')
        p.stop()
        return both['c'], both['s']

    def test_tcpka_both_sides(self):
        self.assertEqual(self.sides('tcpka'), (True, True))

    def test_clitcpka_client_side_only(self):
        self.assertEqual(self.sides('clitcpka'), (True, False))

    def test_srvtcpka_server_side_only(self):
        self.assertEqual(self.sides('srvtcpka'), (False, True))

    def test_none_by_default(self):
        self.assertEqual(self.sides(None), (False, False))


if __name__ == '__main__':
    unittest.main()
