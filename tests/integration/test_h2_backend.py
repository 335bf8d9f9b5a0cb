"""HTTP/2 to servers (issue 12 §3): `server ... proto h2` in clear and ALPN h2 over TLS, behind
HTTP/1.1 and HTTP/2 clients; gRPC end to end.

What the client sees (status, fields, bodies, trailers), what the HTTP/2 origin receives (the
pseudo-headers and fields the proxy made of the request) and how many connections carry how
many streams. The origin is harness/h2origin.py (python3-h2). Run against haproxy:
    PROXY_BIN=/usr/sbin/haproxy /usr/bin/python3 -m unittest -v test_h2_backend
"""

import concurrent.futures
import json
import os
import signal
import subprocess
import threading
import shutil
import unittest

from harness import ProxyTestCase, Client, IS_HAPROXY, PROXY_BIN, wait_until
from harness.cli import cli
from harness.h2client import H2_MISSING
from harness.h2origin import H2Origin, Reply, default_handler, pattern
from harness.proxy import run_check
from harness.tls import certs, NginxTlsOrigin

if H2_MISSING is None:
    from harness.h2client import H2Client

try:
    import grpc
    GRPC_MISSING = None
except ImportError as e:
    GRPC_MISSING = f'grpcio not importable ({e}); run with /usr/bin/python3 (Debian python3-grpcio)'

CURL = shutil.which('curl')


def needs_h2(test):
    return unittest.skipIf(H2_MISSING is not None, H2_MISSING or '')(test)


class H2BackendBase(ProxyTestCase):
    def start(self, origin, server_opts='proto h2', backend='', bind_opts='', glob=''):
        fe = self.listener()
        # one worker thread: the connections counted below are its own
        cfg = f"""
global
    nbthread 1
{glob}
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind {fe.bind} {bind_opts}
    default_backend be
backend be
{backend}
    server s1 {origin.addr} {server_opts}
"""
        p = self.proxy(cfg, [fe])
        return p, fe

    def h2origin(self, **kw):
        o = H2Origin(**kw)
        self.addCleanup(o.close)
        return o

    def echo(self, r):
        self.assertEqual(r.status, 200, r.body)
        return json.loads(r.body)


class ProtoH2Test(H2BackendBase):
    @needs_h2
    def test_http11_client_get_and_post(self):
        o = self.h2origin()
        _, fe = self.start(o)
        with Client(fe.port) as c:
            r = c.request('GET', '/a/b?c=d', host='example.test',
                          headers=['X-Custom: v', 'Connection: keep-alive'])
            e = self.echo(r)
            self.assertEqual(r.header('x-origin'), 'h2')
            # origin form: :scheme https, no :authority, Host as a field (haproxy's way)
            self.assertEqual((e['method'], e['path'], e['authority'], e['scheme']),
                             ('GET', '/a/b?c=d', None, 'https'))
            self.assertEqual(e['headers'], [['host', 'example.test'], ['x-custom', 'v']])
            # absolute form: :scheme and :authority from the target, no Host field
            r = c.request('GET', 'http://abs.test/x?y', host='abs.test')
            e = self.echo(r)
            self.assertEqual((e['path'], e['authority'], e['scheme'], e['headers']),
                             ('/x?y', 'abs.test', 'http', []))
            # connection-specific fields go (not those Connection names: haproxy keeps them); TE
            # only as trailers
            r = c.request('GET', '/t', host='h', headers=['TE: trailers, deflate', 'Connection: keep-alive, x-y',
                                                          'X-Y: 1', 'Keep-Alive: 5', 'Upgrade: foo'])
            self.assertEqual(self.echo(r)['headers'], [['host', 'h'], ['te', 'trailers'], ['x-y', '1']])
            body = pattern(100000)
            r = c.request('POST', '/up', host='example.test', body=body)
            e = self.echo(r)
            self.assertEqual((e['method'], e['body_len']), ('POST', len(body)))
            self.assertIn(['content-length', str(len(body))], e['headers'])
        got = o.requests[-1]
        self.assertEqual(got['body'], body)

    @needs_h2
    def test_chunked_upload_and_response_without_length(self):
        o = self.h2origin()
        _, fe = self.start(o)
        with Client(fe.port) as c:
            r = c.request('POST', '/up', host='h', headers=['Transfer-Encoding: chunked'],
                          body=b'5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n')
            self.assertEqual(self.echo(r)['body_len'], 11)
            self.assertEqual(o.requests[-1]['body'], b'hello world')
            # no length from the server: chunked to an HTTP/1.1 client, every byte there
            r = c.request('GET', '/big/300000', host='h')
            self.assertEqual(r.status, 200)
            self.assertEqual(r.header('transfer-encoding'), 'chunked')
            self.assertEqual(r.body, pattern(300000))
            r = c.request('HEAD', '/x', host='h')
            self.assertEqual((r.status, r.body), (200, b''))
            r = c.request('GET', '/status/204', host='h')
            self.assertEqual((r.status, r.body), (204, b''))
            r = c.request('GET', '/again', host='h')   # the connection still works
            self.assertEqual(self.echo(r)['path'], '/again')

    @needs_h2
    def test_http_reuse_safe_shares_after_the_first_request(self):
        # `http-reuse safe` (the default): a client's first request gets a connection of its
        # own; its later ones, and other clients' later ones, share what is open
        o = self.h2origin()
        _, fe = self.start(o)
        with Client(fe.port) as a, Client(fe.port) as b:
            for i in range(5):
                self.assertEqual(self.echo(a.request('GET', f'/a{i}', host='h'))['conn'], 1)
            self.assertEqual(self.echo(b.request('GET', '/b0', host='h'))['conn'], 2)
            for i in range(1, 4):
                self.assertIn(self.echo(b.request('GET', f'/b{i}', host='h'))['conn'], (1, 2))
        self.assertEqual(o.connections, 2)

    @needs_h2
    def test_http_reuse_always_one_connection_for_many_clients(self):
        o = self.h2origin()
        _, fe = self.start(o, backend='    http-reuse always')
        for i in range(20):
            with Client(fe.port) as c:
                self.assertEqual(self.echo(c.request('GET', f'/n{i}', host='h'))['path'], f'/n{i}')
        self.assertEqual(o.request_count(), 20)
        self.assertEqual(o.connections, 1)

    @needs_h2
    def test_server_max_concurrent_streams_is_honoured(self):
        o = self.h2origin(max_streams=2)
        _, fe = self.start(o)
        # warm up: the proxy learns the server's SETTINGS on the first connection
        with Client(fe.port) as c:
            self.assertEqual(c.request('GET', '/w', host='h').status, 200)

        def one(i):
            with Client(fe.port) as c:
                return c.request('GET', f'/slow/300?{i}', host='h').status
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            statuses = list(ex.map(one, range(8)))
        self.assertEqual(statuses, [200] * 8)
        self.assertLessEqual(o.max_open, 2)
        self.assertGreaterEqual(o.connections, 4)

    @needs_h2
    def test_soft_stop_lets_a_request_in_flight_finish(self):
        o = self.h2origin()
        p, fe = self.start(o)
        result = {}

        def slow():
            with Client(fe.port) as c:
                result['r'] = c.request('GET', '/slow/800', host='h')
        t = threading.Thread(target=slow)
        t.start()
        self.assertTrue(wait_until(lambda: o.request_count() == 1, timeout=5))
        p.signal(signal.SIGUSR1)   # soft stop while the server works on the request
        t.join(10)
        self.assertEqual(result['r'].status, 200)
        self.assertEqual(json.loads(result['r'].body)['path'], '/slow/800')
        # haproxy 2.6.12 answers too, then dies of SIGSEGV (-11) on its way out
        if not IS_HAPROXY:
            self.assertEqual(p.wait(10), 0)

    @needs_h2
    def test_max_reuse(self):
        o = self.h2origin()
        _, fe = self.start(o, server_opts='proto h2 max-reuse 2')
        with Client(fe.port) as c:
            for i in range(7):
                self.assertEqual(c.request('GET', f'/r{i}', host='h').status, 200)
        # a connection is reused twice: three requests each
        conns = [r['conn'] for r in o.requests]
        self.assertEqual(conns, [1, 1, 1, 2, 2, 2, 3])

    @needs_h2
    @unittest.skipIf(IS_HAPROXY, 'haproxy 2.6 closes the client connection without an answer')
    def test_stream_reset_by_server_is_a_502(self):
        o = self.h2origin()
        _, fe = self.start(o)
        with Client(fe.port) as c:
            self.assertEqual(c.request('GET', '/reset', host='h').status, 502)
        with Client(fe.port) as c:
            self.assertEqual(c.request('GET', '/after', host='h').status, 200)

    @needs_h2
    def test_h2_client_trailers_end_to_end(self):
        o = self.h2origin()
        _, fe = self.start(o)
        c = H2Client(fe.port)
        self.addCleanup(c.close)
        r = c.get('/trailers')
        self.assertEqual((r.status, bytes(r.body)), (200, b'hello'))
        self.assertEqual(r.trailers, [('grpc-status', '0'), ('grpc-message', 'ok')])
        # an HTTP/1.1 client gets them in the last chunk
        with Client(fe.port) as h1:
            r = h1.request('GET', '/trailers', host='h', headers=['TE: trailers'])
            self.assertEqual(r.body, b'hello')
            self.assertIn(b'0\r\ngrpc-status: 0\r\ngrpc-message: ok\r\n\r\n', r.raw)
        self.assertIn(['te', 'trailers'], o.requests[-1]['headers'])

    @needs_h2
    def test_http11_server_line_stays_http11(self):
        # `proto h1` on the server line is HTTP/1.1, whatever the server could do
        o = self.origin('s1')
        _, fe = self.start(o, server_opts='proto h1')
        with Client(fe.port) as c:
            r = c.request('GET', '/', host='h')
            self.assertEqual(r.status, 200)


class AlpnH2Test(H2BackendBase):
    @needs_h2
    def test_tls_server_picking_h2(self):
        c = certs()
        o = self.h2origin(tls=(c.cert('origin.test'), c.key('origin.test')))
        _, fe = self.start(o, server_opts='ssl verify none alpn h2,http/1.1')
        with Client(fe.port) as c:
            e = self.echo(c.request('GET', '/tls', host='secure.test'))
            self.assertEqual((e['scheme'], e['headers']), ('https', [['host', 'secure.test']]))
            self.assertEqual(self.echo(c.request('GET', '/tls2', host='secure.test'))['conn'], 1)
        self.assertEqual(o.alpn, ['h2'])

    @unittest.skipIf(not shutil.which('nginx') and not os.path.exists('/usr/sbin/nginx'), 'nginx not installed')
    def test_tls_server_picking_http11(self):
        # the same line in front of an HTTP/1.1-only TLS server (nginx without http2): HTTP/1.1
        n = NginxTlsOrigin('ng1')
        self.addCleanup(n.stop)
        _, fe = self.start(n, server_opts='ssl verify none alpn h2,http/1.1')
        with Client(fe.port) as c:
            for _ in range(2):
                r = c.request('GET', '/', host='h')
                self.assertEqual((r.status, r.header('x-alpn')), (200, 'http/1.1'))


@unittest.skipIf(GRPC_MISSING is not None, GRPC_MISSING or '')
class GrpcTest(H2BackendBase):
    """A gRPC service (grpcio, raw bytes: no generated code) behind the proxy, called by a grpcio
    client over h2c: unary, server streaming, and an error status."""

    def grpc_server(self):
        from concurrent import futures

        def echo(request, context):
            if request == b'fail':
                context.abort(grpc.StatusCode.PERMISSION_DENIED, 'no way')
            return b'echo:' + request

        def count(request, context):
            for i in range(int(request)):
                yield f'item {i}'.encode()

        handler = grpc.method_handlers_generic_handler('test.Echo', {
            'Echo': grpc.unary_unary_rpc_method_handler(echo),
            'Count': grpc.unary_stream_rpc_method_handler(count),
        })
        server = grpc.server(futures.ThreadPoolExecutor(4))
        server.add_generic_rpc_handlers((handler,))
        port = server.add_insecure_port('127.0.0.1:0')
        server.start()
        self.addCleanup(server.stop, 0)
        return port

    def test_grpc_through_h2c(self):
        port = self.grpc_server()

        class Addr:
            addr = f'127.0.0.1:{port}'
        _, fe = self.start(Addr(), bind_opts='proto h2')
        with grpc.insecure_channel(f'127.0.0.1:{fe.port}') as ch:
            echo = ch.unary_unary('/test.Echo/Echo')
            self.assertEqual(echo(b'hi', timeout=5), b'echo:hi')
            self.assertEqual(echo(b'x' * 200000, timeout=5), b'echo:' + b'x' * 200000)
            count = ch.unary_stream('/test.Echo/Count')
            self.assertEqual(list(count(b'5', timeout=5)), [f'item {i}'.encode() for i in range(5)])
            with self.assertRaises(grpc.RpcError) as err:
                echo(b'fail', timeout=5)
            self.assertEqual(err.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
            self.assertEqual(err.exception.details(), 'no way')

    def test_grpc_through_tls_with_alpn_h2(self):
        # the client speaks TLS + ALPN h2 to the proxy, which speaks h2c to the service
        port = self.grpc_server()

        class Addr:
            addr = f'127.0.0.1:{port}'
        c = certs()
        _, fe = self.start(Addr(), bind_opts=f'ssl crt {c.pem("b.test")} alpn h2,http/1.1')
        with open(c.ca, 'rb') as f:
            creds = grpc.ssl_channel_credentials(root_certificates=f.read())
        with grpc.secure_channel(f'127.0.0.1:{fe.port}', creds,
                                 options=[('grpc.ssl_target_name_override', 'b.test')]) as ch:
            echo = ch.unary_unary('/test.Echo/Echo')
            self.assertEqual(echo(b'over tls', timeout=5), b'echo:over tls')
            count = ch.unary_stream('/test.Echo/Count')
            self.assertEqual(len(list(count(b'50', timeout=5))), 50)


class ConfigTest(ProxyTestCase):
    def check(self, server_line, mode='http', extra=''):
        cfg = f"""
defaults
    mode {mode}
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend fe
    bind 127.0.0.1:18099
    default_backend be
backend be
{extra}
    server s1 127.0.0.1:1 {server_line}
"""
        rc, out, err = run_check(PROXY_BIN, cfg, self.tmpdir())
        return rc, out + err

    def test_proto_errors_as_haproxy(self):
        rc, out = self.check('proto foo')
        self.assertNotEqual(rc, 0)
        self.assertIn("'server be/s1' : 'proto' :  unknown MUX protocol 'foo'.", out)
        rc, out = self.check('proto')
        self.assertIn("'server be/s1' : 'proto' : missing value.", out)
        rc, out = self.check('proto h2', mode='tcp')
        self.assertNotEqual(rc, 0)
        self.assertIn("backend 'be' : MUX protocol 'h2' is not usable for server 's1' at [", out)
        rc, out = self.check('max-reuse')
        self.assertIn("'server be/s1' : 'max-reuse' expects <value> as argument..", out)
        rc, out = self.check('proto h2 max-reuse 10')
        self.assertEqual(rc, 0, out)

    def test_check_proto_errors_as_haproxy(self):
        rc, out = self.check('check check-proto foo', extra='    option httpchk')
        self.assertIn("'server be/s1' : 'check-proto' :  unknown MUX protocol 'foo'.", out)
        rc, out = self.check('check check-proto none', extra='    option httpchk')
        self.assertIn("config: backend 'be': server 's1' uses an incompatible MUX protocol for the selected check type", out)
        rc, out = self.check('check check-proto h2')
        self.assertIn("config: backend 'be': server 's1' uses an incompatible MUX protocol for the selected check type", out)
        for ok in ('proto h2 check', 'check check-proto h2', 'proto h2 check check-proto h1'):
            rc, out = self.check(ok, extra='    option httpchk')
            self.assertEqual(rc, 0, out)


class H2CheckTest(H2BackendBase):
    """HTTP checks over HTTP/2: a `proto h2` server is checked over HTTP/2 (HAProxy's rule),
    as is any server with `check-proto h2`."""

    @needs_h2
    def test_http_check_over_h2_up_and_down(self):
        def health(status):
            def handler(req):
                if req['path'] == '/health':
                    return Reply(status=status, body=b'ok' if status == 200 else b'no')
                return default_handler(req)
            return handler
        good = self.h2origin(handler=health(200))
        bad = self.h2origin(handler=health(503))
        sock = os.path.join(self.tmpdir(), 'admin.sock')
        fe = self.listener()
        cfg = f"""
global
    nbthread 1
    stats socket {sock} level admin
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
    timeout check 2s
frontend fe
    bind {fe.bind}
    default_backend be
backend be
    option httpchk
    http-check send meth GET uri /health ver HTTP/1.1 hdr host health.test
    http-check expect status 200
    server good {good.addr} proto h2 check inter 200 rise 1 fall 1
    server bad {bad.addr} check check-proto h2 inter 200 rise 1 fall 1
"""
        self.proxy(cfg, [fe])

        def states():
            rows = [l.split(',') for l in cli(sock, 'show stat').splitlines() if l.startswith('be,')]
            return {r[1]: r[17] for r in rows}
        self.assertTrue(wait_until(lambda: states().get('bad', '').startswith('DOWN') and
                                   states().get('good') == 'UP', timeout=10), states())
        paths = {(r['method'], r['path'], r['scheme']) for r in good.requests}
        self.assertEqual(paths, {('GET', '/health', 'https')})
        self.assertIn(['host', 'health.test'], good.requests[0]['headers'])
        with Client(fe.port) as c:
            for _ in range(3):   # only the server that is UP is used
                self.assertEqual(c.request('GET', '/x', host='h').status, 200)
        self.assertEqual([r['path'] for r in bad.requests if r['path'] != '/health'], [])


    def _tls_check(self, server_opts):
        """An HTTP/2-only TLS origin checked with `server_opts`: the states show_stat gives and
        the requests the origin received."""
        def handler(req):
            if req['path'] == '/health':
                return Reply(status=200, body=b'ok')
            return default_handler(req)
        c = certs()
        o = self.h2origin(tls=(c.cert('origin.test'), c.key('origin.test')), handler=handler)
        sock = os.path.join(self.tmpdir(), 'admin.sock')
        fe = self.listener()
        cfg = f"""
global
    nbthread 1
    stats socket {sock} level admin
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
    timeout check 2s
frontend fe
    bind {fe.bind}
    default_backend be
backend be
    option httpchk
    http-check send meth GET uri /health ver HTTP/1.1 hdr host health.test
    server s1 {o.addr} ssl verify none {server_opts} check inter 200 rise 1 fall 1
"""
        self.proxy(cfg, [fe])

        def state():
            rows = [l.split(',') for l in cli(sock, 'show stat').splitlines() if l.startswith('be,s1,')]
            return rows[0][17] if rows else ''
        return o, state

    @needs_h2
    def test_tls_check_alpn_h2_checks_over_h2(self):
        # check-alpn h2: the check's TLS handshake offers h2 and, the server picking it, the
        # HTTP check goes over HTTP/2 (an HTTP/2-only origin: UP, and it saw the check)
        o, state = self._tls_check('check-alpn h2')
        self.assertTrue(wait_until(lambda: state() == 'UP' and any(r['path'] == '/health' for r in o.requests),
                                   timeout=10), state())
        self.assertIn('h2', o.alpn)
        self.assertEqual({(r['method'], r['path']) for r in o.requests}, {('GET', '/health')})

    @needs_h2
    def test_tls_server_alpn_is_not_the_checks(self):
        # the server line's `alpn h2` does not make the check HTTP/2: without check-alpn it
        # speaks HTTP/1.1, which an HTTP/2-only origin refuses (DOWN), as haproxy 2.6. (haproxy
        # offers the server's ALPN in the check's handshake all the same; portero offers none.)
        o, state = self._tls_check('alpn h2')
        self.assertTrue(wait_until(lambda: state().startswith('DOWN'), timeout=10), state())
        self.assertEqual(o.requests, [])

if __name__ == '__main__':
    unittest.main()
