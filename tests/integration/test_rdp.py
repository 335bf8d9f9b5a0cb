"""RDP: mode tcp, `tcp-request inspect-delay`, `tcp-request content accept if RDP_COOKIE`,
`balance rdp-cookie` and `persist rdp-cookie`, with a real RDP connection request prefix
(TPKT + X.224 Connection Request carrying `Cookie: mstshash=NAME\\r\\n` + RDP_NEG_REQ).
The origins are raw TCP servers that send their name when a connection arrives and record
every byte; picks are checked against the model of HAProxy's map/ring (harness/lbmodel.py)."""

import random
import socket
import struct
import time
import unittest

from harness import ProxyTestCase, TcpOrigin, wait_until
from harness import lbmodel as M

RDP_NEG_REQ = b'\x01\x00\x08\x00\x03\x00\x00\x00'  # TLS|CredSSP requested


def rdp_connection_request(cookie_line=None, neg=True):
    """TPKT (version 3, length) + X.224 CR TPDU (LI, 0xE0, dst-ref, src-ref, class 0) +
    optional routing token/cookie line + optional RDP negotiation request."""
    x224 = b'\xe0\x00\x00\x00\x00\x00' + (cookie_line or b'') + (RDP_NEG_REQ if neg else b'')
    tpdu = bytes([len(x224)]) + x224
    return b'\x03\x00' + struct.pack('>H', 4 + len(tpdu)) + tpdu


def mstshash(name):
    return rdp_connection_request(b'Cookie: mstshash=' + name.encode() + b'\r\n')


def msts(ip, port):
    """The load-balancing info cookie a Windows broker gives: `msts=<s_addr as a decimal
    little-endian integer>.<port byte-swapped>.0000`."""
    a = socket.inet_aton(ip)
    addr = struct.unpack('<I', a)[0]
    p = struct.unpack('<H', struct.pack('>H', port))[0]
    return rdp_connection_request(f'Cookie: msts={addr}.{p}.0000\r\n'.encode())


def names(n, seed=4):
    rnd = random.Random(seed)
    out = set()
    while len(out) < n:
        out.add(rnd.choice(['', 'CORP\\', 'a.']) + ''.join(
            rnd.choice('abcdefghijklmnopqrstuvwxyz0123456789') for _ in range(rnd.randrange(1, 9))))
    return sorted(out)


class RdpTest(ProxyTestCase):
    def rdp(self, balance='rdp-cookie', extra='', inspect='5s', hash_type=None, n=3):
        self.srv = [TcpOrigin(f's{i}') for i in range(1, n + 1)]
        for o in self.srv:
            self.addCleanup(o.stop)
        fe = self.listener()
        srv = '\n'.join(f'    server {o.name} {o.addr}' for o in self.srv)
        ht = f'    hash-type {hash_type}' if hash_type else ''
        cfg = f"""
defaults
    mode tcp
    timeout connect 2s
    timeout client 10s
    timeout server 10s
listen rdp
    bind {fe.bind}
    tcp-request inspect-delay {inspect}
    tcp-request content accept if RDP_COOKIE
    balance {balance}
{ht}
{extra}
{srv}
"""
        self.proxy(cfg, [fe])
        return fe

    def connect(self, fe, *pieces, wait_between=None):
        """Send the pieces; return (server name, the socket). wait_between(i) is called
        after piece i (to observe the proxy before the rest arrives)."""
        s = socket.create_connection(('127.0.0.1', fe.port), timeout=10)
        self.addCleanup(s.close)
        for i, p in enumerate(pieces):
            s.sendall(p)
            if wait_between:
                wait_between(i)
        buf = b''
        while not buf.endswith(b'\n'):
            d = s.recv(100)
            if not d:
                break
            buf += d
        return buf.decode().strip(), s

    def pick(self, fe, data):
        name, s = self.connect(fe, data)
        s.close()
        return name

    def received(self, name):
        o = {o.name: o for o in self.srv}[name]
        return [c.data() for c in o.conns()]

    def test_mstshash_picks_as_haproxy_map_based(self):
        fe = self.rdp()
        ns = names(300)
        got = [self.pick(fe, mstshash(n)) for n in ns]
        m = M.Backend([M.Srv('s1'), M.Srv('s2'), M.Srv('s3')], M.HashType('map-based'))
        exp = [m.pick_bytes(n.encode()).name for n in ns]
        diff = [(n, g, e) for n, g, e in zip(ns, got, exp) if g != e]
        self.assertFalse(diff, f'{len(diff)}/{len(ns)} differ (name, got, model): {diff[:8]}')
        # the same name always lands on the same server
        self.assertEqual([self.pick(fe, mstshash(n)) for n in ns[:5]], exp[:5])

    def test_mstshash_picks_consistent(self):
        fe = self.rdp(balance='rdp-cookie(mstshash)', hash_type='consistent')
        ns = names(200, seed=8)
        got = [self.pick(fe, mstshash(n)) for n in ns]
        m = M.Backend([M.Srv('s1'), M.Srv('s2'), M.Srv('s3')], M.HashType('consistent'))
        exp = [m.pick_bytes(n.encode()).name for n in ns]
        diff = [(n, g, e) for n, g, e in zip(ns, got, exp) if g != e]
        self.assertFalse(diff, f'{len(diff)}/{len(ns)} differ (name, got, model): {diff[:8]}')

    def test_server_receives_the_exact_bytes(self):
        fe = self.rdp()
        data = mstshash('alice') + b'after-the-request'
        name, s = self.connect(fe, data)
        s.shutdown(socket.SHUT_WR)
        self.assertTrue(wait_until(lambda: self.received(name) == [data], 5),
                        self.received(name))
        # nobody else was contacted
        self.assertEqual(sum(o.connection_count() for o in self.srv), 1)

    def test_waits_for_the_cookie_across_segments(self):
        fe = self.rdp()
        data = mstshash('bob')
        m = M.Backend([M.Srv('s1'), M.Srv('s2'), M.Srv('s3')], M.HashType('map-based'))
        exp = m.pick_bytes(b'bob').name

        def between(i):
            if i < 2:  # no server connection while the request is incomplete
                self.assertFalse(wait_until(
                    lambda: sum(o.connection_count() for o in self.srv) > 0, 0.3))
        name, s = self.connect(fe, data[:5], data[5:20], data[20:], wait_between=between)
        self.assertEqual(name, exp)
        s.shutdown(socket.SHUT_WR)
        self.assertTrue(wait_until(lambda: self.received(name) == [data], 5))

    def test_no_cookie_falls_back_to_round_robin_without_waiting(self):
        # a complete X.224 CR without cookie: RDP_COOKIE can never match, the rules end
        # (default accept) at once and rdp-cookie falls back to round robin
        fe = self.rdp(inspect='3s')
        t0 = time.monotonic()
        got = [self.pick(fe, rdp_connection_request(None)) for _ in range(6)]
        self.assertLess(time.monotonic() - t0, 2.5)
        self.assertEqual(got, ['s1', 's2', 's3'] * 2)

    def test_not_rdp_waits_for_inspect_delay(self):
        # bytes that may still become... nothing: not TPKT. The rule cannot conclude before
        # the inspect-delay expires; then the connection is balanced (round robin)
        fe = self.rdp(inspect='700ms')
        t0 = time.monotonic()
        name = self.pick(fe, b'\x03\x00')
        el = time.monotonic() - t0
        self.assertIn(name, ('s1', 's2', 's3'))
        self.assertGreater(el, 0.55)
        self.assertLess(el, 2.5)

    def test_persist_rdp_cookie_msts(self):
        fe = self.rdp(balance='roundrobin', extra='    persist rdp-cookie')
        for target in (2, 3, 1, 3, 3):
            o = self.srv[target - 1]
            self.assertEqual(self.pick(fe, msts(o.host, o.port)), o.name)
        # a msts cookie naming no server: normal balancing (roundrobin from the start)
        self.assertEqual(self.pick(fe, msts('127.0.0.9', 1)), 's1')

    def test_persist_with_balance_rdp_cookie(self):
        fe = self.rdp(extra='    persist rdp-cookie')
        o = self.srv[1]
        self.assertEqual([self.pick(fe, msts(o.host, o.port)) for _ in range(3)], ['s2'] * 3)
        m = M.Backend([M.Srv('s1'), M.Srv('s2'), M.Srv('s3')], M.HashType('map-based'))
        for n in ('carol', 'dave', 'eve'):
            self.assertEqual(self.pick(fe, mstshash(n)), m.pick_bytes(n.encode()).name)


if __name__ == '__main__':
    unittest.main()
