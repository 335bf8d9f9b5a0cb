"""The PROXY protocol (issue 15 §2), receiving: `bind ... accept-proxy` (v1, v2 with TLVs,
before TLS on an ssl bind) and `tcp-request connection expect-proxy layer4 if ...`. What the
origin sees (X-Forwarded-For from `src`, `dst`, fc_pp_authority, fc_pp_unique_id), the log
line's client, and for headers that fail: what the client sees (a reset: the header's bytes
are left unread; a FIN after `timeout client`), HAProxy's connection log line, and the
counters (no session, conn_tot only). Every expected value was observed with haproxy 2.6.12,
and test_same_as_haproxy runs the same scenario on haproxy when it is installed."""

import os
import socket
import ssl
import struct
import unittest

from harness import ProxyTestCase, wait_until
from harness.cli import cli
from harness.proxy import IS_HAPROXY, HAPROXY_BIN, PROXY_BIN, haproxy_available, run_check
from harness.tls import certs
from test_log_capture import Syslog

REQ = b'GET /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n'
SIG = b'\r\n\r\n\x00\r\nQUIT\n'


def v2(cmd=1, fam=0x11, addr=None, tlvs=b''):
    if addr is None:
        addr = socket.inet_aton('10.1.2.3') + socket.inet_aton('10.9.9.9') + struct.pack('!HH', 1234, 80)
    body = addr + tlvs
    return SIG + bytes([0x20 | cmd, fam]) + struct.pack('!H', len(body)) + body


def tlv(t, v):
    return bytes([t]) + struct.pack('!H', len(v)) + v


# Headers that fail, what HAProxy 2.6.12 logs for each; the client always sees a reset.
BAD = [
    (b'PROXY TCP4 1.2.3.4 5.6.7.8 1111\r\n' + REQ, 'Received an invalid PROXY protocol header'),
    (REQ, 'Received something which does not look like a PROXY protocol header'),
    (b'PROXY TCP4 1.2', 'Truncated PROXY protocol header received'),
    (v2()[:20], 'Truncated PROXY protocol header received'),
    (v2(fam=0x00, addr=b'') + REQ, 'Received an invalid PROXY protocol header'),
    (v2(fam=0x12) + REQ, 'Received an invalid PROXY protocol header'),
    (b'PROXY TCP4 1.2.3.4 5.6.7.8 1111 2222\n' + REQ, 'Received an invalid PROXY protocol header'),
    (b'PROXY UNKNOWN whatever\r\n' + REQ, 'Received an unhandled protocol in the PROXY protocol header'),
    (b'PROXY TCP5 1.2.3.4 5.6.7.8 1111 2222\r\n' + REQ, 'Received an unhandled protocol in the PROXY protocol header'),
    (b'\r\n\r\n\x00\r\nQUIT\n\x31\x11\x00\x0c' + b'x' * 12 + REQ,
     'Received something which does not look like a PROXY protocol header'),
]


def talk(port, data, wrap=None):
    """Sends `data` (then, with `wrap`, TLS over the same socket and REQ); returns what came back
    before the close, or 'reset'."""
    s = socket.create_connection(('127.0.0.1', port), timeout=5)
    got = b''
    try:
        s.sendall(data)
        if wrap:
            s = wrap(s)
            s.sendall(REQ)
        while True:
            d = s.recv(4096)
            if not d:
                break
            got += d
    except (ConnectionResetError, BrokenPipeError):
        return 'reset' if not got else got
    finally:
        s.close()
    return got


class ProxyProtocolReceiveTest(ProxyTestCase):
    def scenario(self, binary=None):
        log = Syslog()
        self.addCleanup(log.close)
        o = self.origin()
        pp, exp, raw, tls = self.listener(), self.listener(), self.listener(), self.listener()
        sock = os.path.join(self.tmpdir(), 'admin.sock')
        c = certs()
        self.proxy(f"""
global
    stats socket {sock} level admin
    log 127.0.0.1:{log.port} local0
defaults
    mode http
    log global
    option httplog
    timeout connect 2s
    timeout client 1s
    timeout server 5s
frontend f
    bind {pp.bind} accept-proxy
    bind {exp.bind}
    bind {raw.bind}
    bind {tls.bind} ssl crt {c.pem('default.test')} accept-proxy
    tcp-request connection expect-proxy layer4 if {{ dst_port {exp.port} }}
    option forwardfor
    http-request set-header x-dst %[dst]:%[dst_port]
    http-request set-header x-pp "%[fc_pp_authority]/%[fc_pp_unique_id]"
    default_backend b
backend b
    server s {o.addr}
""", [pp, exp, raw, tls], binary=binary)

        def stat():
            out = cli(sock, 'show stat').splitlines()
            cols = out[0][2:].split(',')
            for line in out[1:]:
                r = dict(zip(cols, line.split(',')))
                if r.get('svname') == 'FRONTEND':
                    return int(r['stot']), int(r['conn_tot'])
        s0, c0 = stat()
        seen = []

        def ok(port, data, wrap=None):
            got = talk(port, data, wrap)
            self.assertIsInstance(got, bytes)
            self.assertTrue(got.startswith(b'HTTP/1.1 200'), got)
            self.assertTrue(o.wait_requests(len(seen) + 1))
            r = o.requests[len(seen)]
            seen.append((r.header('x-forwarded-for'), r.header('x-dst'), r.header('x-pp')))
            return seen[-1]

        ctx = ssl.create_default_context(cafile=c.ca)
        ctx.check_hostname = False
        results = {
            'v1': ok(pp.port, b'PROXY TCP4 1.2.3.4 5.6.7.8 1111 2222\r\n' + REQ),
            'v1-tcp6': ok(pp.port, b'PROXY TCP6 2001:db8::1 2001:db8::2 1111 2222\r\n' + REQ),
            'v1-unknown': ok(pp.port, b'PROXY UNKNOWN\r\n' + REQ),
            'v2': ok(pp.port, v2(tlvs=tlv(2, b'example.com') + tlv(5, b'uid-1') + tlv(4, b'')) + REQ),
            'v2-local': ok(pp.port, v2(cmd=0) + REQ),
            'expect-proxy': ok(exp.port, b'PROXY TCP4 9.8.7.6 5.6.7.8 1111 2222\r\n' + REQ),
            'no-header': ok(raw.port, REQ),
            'tls': ok(tls.port, b'PROXY TCP4 4.3.2.1 5.6.7.8 1111 443\r\n', lambda s: ctx.wrap_socket(s)),
        }
        bad = [talk(pp.port, data) for data, _ in BAD]
        bad.append(talk(exp.port, REQ))          # expect-proxy: a request with no header
        timed_out = talk(pp.port, b'')           # nothing: `timeout client`
        want = [text for _, text in BAD] + [BAD[1][1], 'Timeout while waiting for PROXY protocol header']
        lines = log.wait_count(lambda l: ': ' in l and 'PROXY' in l, len(want))
        ok_lines = log.wait_count(lambda l: '"GET /x HTTP/1.1"' in l, len(results))
        stats = {}
        self.assertTrue(wait_until(lambda: stats.update(zip(('stot', 'conn_tot'), stat())) or
                                   stats['stot'] - s0 == len(results), 5), stats)
        return results, bad, timed_out, lines, want, ok_lines, stats['stot'] - s0, stats['conn_tot'] - c0

    def check(self, binary=None):
        results, bad, timed_out, lines, want, ok_lines, stot, conn_tot = self.scenario(binary)
        self.assertEqual(results, {
            'v1': ('1.2.3.4', '5.6.7.8:2222', '/'),
            'v1-tcp6': ('2001:db8::1', '2001:db8::2:2222', '/'),
            'v1-unknown': ('127.0.0.1', results['v1-unknown'][1], '/'),
            'v2': ('10.1.2.3', '10.9.9.9:80', 'example.com/uid-1'),
            'v2-local': ('127.0.0.1', results['v2-local'][1], '/'),
            'expect-proxy': ('9.8.7.6', '5.6.7.8:2222', '/'),
            'no-header': ('127.0.0.1', results['no-header'][1], '/'),
            'tls': ('4.3.2.1', '5.6.7.8:443', '/'),
        })
        self.assertRegex(results['v1-unknown'][1], r'^127\.0\.0\.1:\d+$')
        self.assertEqual(bad, ['reset'] * len(bad))
        self.assertEqual(timed_out, b'')
        # "<client>:<port> [<date>] f/<bind number>: <reason>", the client being the kernel's
        self.assertEqual([l.split('] ', 1)[1] for l in lines],
                         [f'f/{2 if i == len(want) - 2 else 1}: {w}' for i, w in enumerate(want)])
        for l in lines:
            self.assertRegex(l, r'^127\.0\.0\.1:\d+ \[')
        clients = sorted(l.split(' ', 1)[0].rsplit(':', 1)[0] for l in ok_lines)
        self.assertEqual(clients, sorted(['1.2.3.4', '2001:db8::1', '127.0.0.1', '10.1.2.3', '127.0.0.1',
                                          '9.8.7.6', '127.0.0.1', '4.3.2.1']))
        # failed headers are no session; every connection is in conn_tot (probes included)
        self.assertEqual(stot, len(results))
        self.assertGreaterEqual(conn_tot, len(results) + len(want))

    def test_receive(self):
        self.check()

    def test_same_as_haproxy(self):
        if IS_HAPROXY or not haproxy_available():
            self.skipTest('needs haproxy installed and another binary under test')
        self.check(binary=HAPROXY_BIN)


class ProxyProtocolConfigTest(ProxyTestCase):
    # haproxy 2.6.12's messages, word for word
    CASES = [
        ('tcp-request connection expect-proxy',
         "'tcp-request connection expect-proxy' only supports 'layer4' in frontend 'f' (got '')"),
        ('tcp-request connection expect-proxy layer5',
         "'tcp-request connection expect-proxy' only supports 'layer4' in frontend 'f' (got 'layer5')"),
        ('tcp-request content expect-proxy layer4',
         "'expect-proxy layer4' is not allowed in 'tcp-request content' rules in frontend 'f'"),
        ('tcp-request session expect-proxy layer4',
         "'expect-proxy layer4' is not allowed in 'tcp-request session' rules in frontend 'f'"),
        ('tcp-request connection expect-proxy layer4 foo',
         "'tcp-request connection expect-proxy' only accepts 'if' or 'unless', in frontend 'f' (got 'foo')"),
        ('tcp-request connection expect-proxy layer4 if TRUE', None),
    ]

    def test_expect_proxy_errors(self):
        d = self.tmpdir()
        for rule, msg in self.CASES:
            cfg = ('defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n'
                   'frontend f\n  bind 127.0.0.1:19901 accept-proxy\n  ' + rule +
                   '\n  http-request return status 200 content-type text/plain lf-string "%[fc_pp_authority]%[fc_pp_unique_id]"\n')
            rc, out, err = run_check(PROXY_BIN, cfg, d, name='x.cfg')
            if msg is None:
                self.assertEqual(rc, 0, err)
            else:
                self.assertEqual(rc, 1, err)
                self.assertIn(f'parsing [x.cfg:8] : {msg}', err)


if __name__ == '__main__':
    unittest.main()
