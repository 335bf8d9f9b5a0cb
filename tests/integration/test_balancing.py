"""balance roundrobin with weights (exact FWRR order as HAProxy 2.6), use_backend,
default_backend, disabled servers. The weighted test is differential: when the proxy under
test is not haproxy and haproxy is installed, the same config runs under both and the
1000-pick sequences must be identical."""

import socket
import unittest

from harness import ProxyTestCase, Client, IS_HAPROXY, HAPROXY_BIN, haproxy_available


class BalancingTest(ProxyTestCase):
    def picks(self, origins, n, backend_opts='', server_opts=None, binary=None):
        server_opts = server_opts or {}
        fe = self.listener()
        servers = '\n'.join(f'    server {o.name} {o.addr} {server_opts.get(o.name, "")}'
                            for o in origins)
        cfg = f"""
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
{backend_opts}
{servers}
"""
        p = self.proxy(cfg, [fe], binary=binary)
        seq = []
        with Client(fe.port) as c:
            for _ in range(n):
                r = c.request('GET', '/')
                self.assertEqual(r.status, 200)
                seq.append(r.header('x-origin'))
        p.stop()
        return seq

    def test_equal_weights_strict_cycle(self):
        os_ = [self.origin(f's{i}') for i in (1, 2, 3, 4)]
        seq = self.picks(os_, 12)
        self.assertEqual(seq, ['s1', 's2', 's3', 's4'] * 3)

    def test_weights_1_2_3_over_1000_requests(self):
        os_ = [self.origin(f's{i}') for i in (1, 2, 3)]
        w = {'s1': 'weight 1', 's2': 'weight 2', 's3': 'weight 3'}
        seq = self.picks(os_, 1000, server_opts=w)
        counts = {s: seq.count(s) for s in ('s1', 's2', 's3')}
        self.assertEqual(counts, {'s1': 167, 's2': 333, 's3': 500})
        # HAProxy 2.6 FWRR order: heaviest first, period 6
        self.assertEqual(seq[:12], ['s3', 's2', 's3', 's1', 's3', 's2'] * 2)
        # every origin saw exactly the requests the client was told it served
        self.assertEqual([o.request_count() for o in os_], [167, 333, 500])
        if not IS_HAPROXY:
            if not haproxy_available():
                self.skipTest(f'haproxy not installed at {HAPROXY_BIN}: differential part skipped')
            ref = [self.origin(f's{i}') for i in (1, 2, 3)]
            ref_seq = self.picks(ref, 1000, server_opts=w, binary=HAPROXY_BIN)
            self.assertEqual(seq, ref_seq, 'pick sequence differs from haproxy')

    def test_weights_10_20_30_15(self):
        os_ = [self.origin(f's{i}') for i in (1, 2, 3, 4)]
        w = {'s1': 'weight 10', 's2': 'weight 20', 's3': 'weight 30', 's4': 'weight 15'}
        seq = self.picks(os_, 15, server_opts=w)
        self.assertEqual(seq, 's3 s2 s3 s4 s2 s3 s1 s3 s4 s2 s3 s2 s3 s4 s1'.split())

    def test_disabled_server_gets_nothing(self):
        os_ = [self.origin(f's{i}') for i in (1, 2, 3)]
        seq = self.picks(os_, 6, server_opts={'s2': 'disabled'})
        self.assertEqual(seq, ['s1', 's3'] * 3)
        self.assertEqual(os_[1].connection_count(), 0)


class RoutingTest(ProxyTestCase):
    def test_use_backend_and_default_backend(self):
        a, b = self.origin('a'), self.origin('b')
        fe1, fe2 = self.listener(), self.listener()
        cfg = f"""
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend f1
    bind {fe1.bind}
    use_backend bb
    default_backend ba
frontend f2
    bind {fe2.bind}
    default_backend ba
backend ba
    server a {a.addr}
backend bb
    server b {b.addr}
"""
        self.proxy(cfg, [fe1, fe2])
        with Client(fe1.port) as c:
            self.assertEqual(c.request('GET', '/').header('x-origin'), 'b')
        with Client(fe2.port) as c:
            self.assertEqual(c.request('GET', '/').header('x-origin'), 'a')

    def test_listen_section_and_several_binds(self):
        o = self.origin('s1')
        l1, l2 = self.listener(), self.listener()
        cfg = f"""
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
listen app
    bind {l1.bind}
    bind {l2.bind}
    server s1 {o.addr}
"""
        self.proxy(cfg, [l1, l2])
        for l in (l1, l2):
            with Client(l.port) as c:
                self.assertEqual(c.request('GET', '/').body, b's1\n')

    def test_server_port_omitted_uses_client_destination_port(self):
        # `server NAME 127.0.0.1` without a port: connect to the port the client connected to.
        # That needs a fixed frontend port equal to the origin's port on another address:
        # the origin listens on 127.0.0.2:P, the proxy on 127.0.0.1:P.
        from harness import Origin
        o = Origin('s1', host='127.0.0.2')
        self.addCleanup(o.stop)
        fe = self.listener()
        cfg = f"""
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend f
    bind 127.0.0.1:{o.port}
    default_backend b
backend b
    server s1 127.0.0.2
"""
        try:
            self.proxy(cfg, [], ready='probe')
        except Exception as e:  # the port may be taken on 127.0.0.1 by someone else
            self.skipTest(f'could not bind 127.0.0.1:{o.port}: {e}')
        with Client(o.port) as c:
            self.assertEqual(c.request('GET', '/').body, b's1\n')

    def test_ipv6_loopback(self):
        if not socket.has_ipv6:
            self.skipTest('no IPv6')
        try:
            from harness import Origin
            o = Origin('v6', host='::1')
        except OSError as e:
            self.skipTest(f'::1 unavailable: {e}')
        self.addCleanup(o.stop)
        fe = self.listener('::1')
        cfg = f"""
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
    option forwardfor
frontend f
    bind {fe.bind}
    default_backend b
backend b
    server v6 {o.addr}
"""
        self.proxy(cfg, [fe])
        with Client(fe.port, host='::1') as c:
            self.assertEqual(c.request('GET', '/').body, b'v6\n')
        self.assertEqual(o.requests[0].headers_named('x-forwarded-for'), ['::1'])


if __name__ == '__main__':
    unittest.main()
