"""The PROXY protocol (issue 15 §2), receiving: `bind ... accept-proxy` (v1, v2 with TLVs,
before TLS on an ssl bind) and `tcp-request connection expect-proxy layer4 if ...`. What the
origin sees (X-Forwarded-For from `src`, `dst`, fc_pp_authority, fc_pp_unique_id), the log
line's client, and for headers that fail: what the client sees (a reset: the header's bytes
are left unread; a FIN after `timeout client`), HAProxy's connection log line, and the
counters (no session, conn_tot only). Every expected value was observed with haproxy 2.6.12,
and test_same_as_haproxy runs the same scenario on haproxy when it is installed."""

import os
import shutil
import socket
import ssl
import struct
import subprocess
import tempfile
import threading
import unittest

from harness import ProxyTestCase, wait_until, free_port, Client
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


class PpOrigin:
    """A raw HTTP/1.1 origin that reads a PROXY header first on each connection (v1 line or v2
    block) and answers every keep-alive request with that header: v1 as its text, v2 as hex.
    `headers` lists them per connection, in accept order."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(64)
        self.addr = '127.0.0.1:%d' % self.sock.getsockname()[1]
        self.headers = []
        self.lock = threading.Lock()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        buf = b''
        try:
            while len(buf) < 16:
                d = c.recv(4096)
                if not d:
                    return
                buf += d
            if buf.startswith(SIG):
                n = 16 + struct.unpack('!H', buf[14:16])[0]
                while len(buf) < n:
                    buf += c.recv(4096)
                hdr, buf = buf[:n].hex().encode(), buf[n:]
            elif buf.startswith(b'PROXY '):
                while b'\r\n' not in buf:
                    buf += c.recv(4096)
                hdr, buf = buf.split(b'\r\n', 1)
            else:
                hdr = b'none'
            with self.lock:
                self.headers.append(hdr)
            while True:
                while b'\r\n\r\n' not in buf:
                    d = c.recv(4096)
                    if not d:
                        return
                    buf += d
                head, buf = buf.split(b'\r\n\r\n', 1)
                c.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s' % (len(hdr), hdr))
        except OSError:
            pass
        finally:
            c.close()

    def close(self):
        self.sock.close()


NGINX = shutil.which('nginx') or '/usr/sbin/nginx'
NGINX_CONF = """daemon off;
master_process off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port} proxy_protocol;
        location / {{ return 200 "$proxy_protocol_addr:$proxy_protocol_port $proxy_protocol_server_addr:$proxy_protocol_server_port"; }}
    }}
}}
"""


class ProxyProtocolSendTest(ProxyTestCase):
    def sender(self, servers, binary=None, extra=''):
        """A proxy whose frontend (accept-proxy) routes /<name> to backend <name>."""
        fe = self.listener()
        backends = ''.join(f'backend {n}\n    {line}\n' for n, line in servers.items())
        routes = ''.join(f'    use_backend {n} if {{ path_beg /{n} }}\n' for n in servers)
        self.proxy(f"""
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend f
    bind {fe.bind} accept-proxy
    unique-id-format uid-%[src]
{extra}{routes}{backends}""", [fe], binary=binary)
        return fe

    def get(self, fe, path, header=b'PROXY TCP4 1.2.3.4 5.6.7.8 1111 2222\r\n', n=1):
        """Sends `header` and n keep-alive GETs of `path` on one connection: the bodies."""
        s = socket.create_connection(('127.0.0.1', fe.port), timeout=5)
        f = s.makefile('rb')
        out = []
        try:
            s.sendall(header)
            for _ in range(n):
                s.sendall(b'GET %s HTTP/1.1\r\nHost: h\r\n\r\n' % path.encode())
                status = f.readline()
                assert status.startswith(b'HTTP/1.1 200'), status
                length = 0
                while True:
                    line = f.readline()
                    if line in (b'\r\n', b''):
                        break
                    if line.lower().startswith(b'content-length:'):
                        length = int(line.split(b':')[1])
                out.append(f.read(length).decode())
        finally:
            f.close()
            s.close()
        return out

    def origin_scenario(self, binary=None):
        o = PpOrigin()
        self.addCleanup(o.close)
        fe = self.sender({
            'v1': f'server s {o.addr} send-proxy',
            'v2': f'server s {o.addr} send-proxy-v2 proxy-v2-options authority,unique-id,crc32c',
            'dflt': f'default-server send-proxy-v2\n    server s {o.addr}',
            'off': f'default-server send-proxy\n    server s {o.addr} no-send-proxy',
            'reuse': f'http-reuse always\n    server s {o.addr} send-proxy',
        }, binary)
        v2_in = v2(addr=socket.inet_aton('10.1.2.3') + socket.inet_aton('10.9.9.9') + struct.pack('!HH', 1234, 80),
                   tlvs=tlv(2, b'example.com'))
        got = {
            'v1': self.get(fe, '/v1'),
            'v2': self.get(fe, '/v2', v2_in),
            'dflt': self.get(fe, '/dflt'),
            'off': self.get(fe, '/off'),
            # one client, two requests: one connection, one header; then a second client
            'reuse': self.get(fe, '/reuse', n=2) + self.get(fe, '/reuse', b'PROXY TCP4 4.4.4.4 5.6.7.8 4444 2222\r\n'),
        }
        return got, len(o.headers)

    def check_origin(self, binary=None):
        got, conns = self.origin_scenario(binary)
        self.assertEqual(got['v1'], ['PROXY TCP4 1.2.3.4 5.6.7.8 1111 2222'])
        # v2: addresses, then the CRC32C, authority (the received one) and unique-id TLVs
        h = bytes.fromhex(got['v2'][0])
        self.assertEqual(h[:16], SIG + b'\x21\x11' + struct.pack('!H', len(h) - 16))
        self.assertEqual(h[16:28], socket.inet_aton('10.1.2.3') + socket.inet_aton('10.9.9.9') + struct.pack('!HH', 1234, 80))
        tlvs, i = {}, 28
        while i < len(h):
            t, n = h[i], struct.unpack('!H', h[i + 1:i + 3])[0]
            tlvs[t] = h[i + 3:i + 3 + n]
            i += 3 + n
        self.assertEqual(tlvs[2], b'example.com')
        self.assertEqual(tlvs[5], b'uid-10.1.2.3')
        self.assertEqual(len(tlvs[3]), 4)
        self.assertEqual(bytes.fromhex(got['dflt'][0])[12:14], b'\x21\x11')
        self.assertEqual(got['off'], ['none'])
        self.assertEqual(got['reuse'], ['PROXY TCP4 1.2.3.4 5.6.7.8 1111 2222'] * 2 + ['PROXY TCP4 4.4.4.4 5.6.7.8 4444 2222'])
        self.assertEqual(conns, 6)   # v1, v2, dflt, off, and two for the two clients of reuse

    def test_send_to_origin(self):
        self.check_origin()

    def test_send_to_origin_same_as_haproxy(self):
        if IS_HAPROXY or not haproxy_available():
            self.skipTest('needs haproxy installed and another binary under test')
        self.check_origin(HAPROXY_BIN)

    def test_portero_to_haproxy_and_back(self):
        """portero send-proxy[-v2] -> haproxy accept-proxy, and haproxy send-proxy-v2 ->
        portero accept-proxy: what the last one sees of the first client."""
        if not haproxy_available():
            self.skipTest('needs haproxy')
        echo = self.listener()
        self.proxy(f"""
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend echo
    bind {echo.bind} accept-proxy
    http-request return status 200 content-type text/plain lf-string "%[src]:%[src_port] %[dst]:%[dst_port] %[fc_pp_authority]"
""", [echo], binary=HAPROXY_BIN if not IS_HAPROXY else PROXY_BIN)
        fe = self.sender({
            'v1': f'server s 127.0.0.1:{echo.port} send-proxy',
            'v2': f'server s 127.0.0.1:{echo.port} send-proxy-v2 proxy-v2-options authority',
        })
        self.assertEqual(self.get(fe, '/v1'), ['1.2.3.4:1111 5.6.7.8:2222 '])
        self.assertEqual(self.get(fe, '/v2', v2(tlvs=tlv(2, b'a.example'))), ['10.1.2.3:1234 10.9.9.9:80 a.example'])
        # and haproxy as the sender to the proxy under test
        fe2 = self.sender({'v2': f'server s 127.0.0.1:{echo.port} send-proxy-v2 proxy-v2-options authority'},
                          binary=HAPROXY_BIN)
        self.assertEqual(self.get(fe2, '/v2', v2(tlvs=tlv(2, b'b.example'))), ['10.1.2.3:1234 10.9.9.9:80 b.example'])

    def test_mode_tcp(self):
        o = PpOrigin()
        self.addCleanup(o.close)
        fe = self.listener()
        self.proxy(f"""
defaults
    mode tcp
    timeout connect 2s
    timeout client 5s
    timeout server 5s
listen t
    bind {fe.bind} accept-proxy
    server s {o.addr} send-proxy
""", [fe])
        self.assertEqual(self.get(fe, '/t', n=2), ['PROXY TCP4 1.2.3.4 5.6.7.8 1111 2222'] * 2)
        self.assertEqual(len(o.headers), 1)

    def check_headers(self, glob, binary=None):
        """The header the first health check of a send-proxy-v2 server sends."""
        o = PpOrigin()
        self.addCleanup(o.close)
        fe = self.listener()
        self.proxy(f"""
global
{glob}
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
listen t
    bind {fe.bind}
    option httpchk
    server s {o.addr} send-proxy-v2 check inter 200
""", [fe], binary=binary)
        self.assertTrue(wait_until(lambda: o.headers, 10))
        return bytes.fromhex(o.headers[0].decode())

    def test_checks_send_local(self):
        for binary in [None] + ([HAPROXY_BIN] if not IS_HAPROXY and haproxy_available() else []):
            self.assertEqual(self.check_headers('', binary), SIG + b'\x20\x00\x00\x00')
            h = self.check_headers('    pp2-never-send-local', binary)
            self.assertEqual(h[12:16], b'\x21\x11\x00\x0c')
            self.assertEqual(h[20:24], socket.inet_aton('127.0.0.1'))   # to the server's address

    @unittest.skipIf(not os.path.exists(NGINX), 'nginx not installed')
    def test_nginx_receives(self):
        d = tempfile.mkdtemp(prefix='integ-nginx-pp-')
        self.addCleanup(shutil.rmtree, d, True)
        port = free_port()
        with open(os.path.join(d, 'nginx.conf'), 'w') as f:
            f.write(NGINX_CONF.format(dir=d, port=port))
        proc = subprocess.Popen([NGINX, '-p', d, '-c', os.path.join(d, 'nginx.conf'), '-e', os.path.join(d, 'error.log')],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(lambda: (proc.kill(), proc.wait()))

        def ready():
            try:
                with socket.create_connection(('127.0.0.1', port), timeout=0.5) as s:
                    s.sendall(b'PROXY TCP4 1.1.1.1 2.2.2.2 1 2\r\nGET / HTTP/1.0\r\n\r\n')
                    return s.recv(100).startswith(b'HTTP/1.1 200')
            except OSError:
                return False
        self.assertTrue(wait_until(ready, 10), 'nginx did not start')
        fe = self.sender({
            'v1': f'server s 127.0.0.1:{port} send-proxy',
            'v2': f'server s 127.0.0.1:{port} send-proxy-v2 proxy-v2-options crc32c',
        })
        self.assertEqual(self.get(fe, '/v1'), ['1.2.3.4:1111 5.6.7.8:2222'])
        self.assertEqual(self.get(fe, '/v2', b'PROXY TCP6 2001:db8::1 2001:db8::2 1111 2222\r\n'),
                         ['2001:db8::1:1111 2001:db8::2:2222'])


if __name__ == '__main__':
    unittest.main()
