"""HTTP/2 from clients in mode http (issue 12 §2): prior-knowledge h2c on a clear bind
(detected by the connection preface) and ALPN h2 on a TLS bind, in front of HTTP/1.1 origins.

What a client sees (status, headers, bodies, stream by stream), what the origin receives (the
HTTP/1.1 request the proxy made of the HTTP/2 one), the log line, `show stat` counters.
Expected values were observed with HAProxy 2.6.12 (Debian); where a value is version-specific
(byte counts, timers) the test compares the shape or compares with the same request made over
HTTP/1.1 on the same proxy.

Clients: the python `h2` package (Debian python3-h2, importable by /usr/bin/python3; tests that
need it skip with a reason elsewhere), curl (--http2-prior-knowledge, --http2), nghttp, h2load.
Run against haproxy:
    PROXY_BIN=/usr/sbin/haproxy /usr/bin/python3 -m unittest -v test_h2_frontend
"""

import hashlib
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import unittest

from harness import ProxyTestCase, Client, pattern_digest, wait_until, IDENTITY
from harness.cli import cli
from harness.h2client import H2_MISSING
from harness.syslog import SyslogReceiver

if H2_MISSING is None:
    from harness.h2client import H2Client

CURL = shutil.which('curl')
NGHTTP = shutil.which('nghttp')
H2LOAD = shutil.which('h2load')


def needs_h2(test):
    return unittest.skipIf(H2_MISSING is not None, H2_MISSING or '')(test)


def needs_tool(path, name):
    return unittest.skipIf(path is None, f'{name} not installed')


# %ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq "%r"
HTTPLOG = re.compile(r'(?P<client>127\.0\.0\.1:\d+) \[[^\]]+\] (?P<fe>\S+) (?P<route>\S+) '
                     r'(?P<timers>-?\d+/-?\d+/-?\d+/-?\d+/\d+) (?P<status>-?\d+) (?P<bytes>\d+) '
                     r'- - (?P<tsc>\S{4}) \d+/\d+/\d+/\d+/\d+ \d+/\d+ "(?P<request>[^"]*)"')


class Syslog(SyslogReceiver):
    def lines(self):
        with self.lock:
            return [m for _, m in self.records]

    def wait_request(self, request, timeout=10.0):
        """The parsed httplog line whose request part is exactly `request`."""
        def find():
            for line in self.lines():
                m = HTTPLOG.fullmatch(line)
                if m and m.group('request') == request:
                    return m
            return None
        m = wait_until(find, timeout)
        if not m:
            raise AssertionError(f'no log line for "{request}" within {timeout}s: '
                                 f'{self.lines()!r}')
        return m


def barrier_handler(n):
    """Origin handler: /barrier/I (I < n) waits until all n barrier requests arrived, then
    request I answers only after every request J > I answered. The answers therefore leave in
    reverse order, and only a proxy that forwards the n streams at once can get them all
    (a serialising proxy makes the first request wait for the others: a timeout, not a hang)."""
    arrived = set()
    answered = set()
    cond = threading.Condition()

    def handler(origin, c, req):
        m = re.match(r'^/barrier/(\d+)$', req.target)
        if not m:
            return origin._route(c, req, req.target)
        i = int(m.group(1))
        with cond:
            arrived.add(i)
            cond.notify_all()
            ok = cond.wait_for(lambda: len(arrived) == n
                               and all(j in answered for j in range(i + 1, n)), timeout=10)
        if not ok:
            origin.errors.append(f'barrier {i}: arrived {sorted(arrived)}')
            return False
        body = (f'stream for barrier {i};' * (i + 1)).encode()
        keep = origin.respond(c, req, 200, body=body, headers=[f'x-barrier: {i}'])
        with cond:
            answered.add(i)
            cond.notify_all()
        return keep
    return handler


class H2Base(ProxyTestCase):
    FETCHES = """
    http-request set-header x-path %[path] if { path_beg /fetch }
    http-request set-header x-url %[url] if { path_beg /fetch }
    http-request set-header x-query %[query] if { path_beg /fetch }
    http-request set-header x-base %[base] if { path_beg /fetch }
    http-request set-header x-host %[hdr(host)] if { path_beg /fetch }
    http-request set-header x-method %[method] if { path_beg /fetch }
    http-request set-header x-cookie-count %[req.hdr_cnt(cookie)] if { path_beg /fetch }
    http-request set-header x-cook-b %[req.cook(b)] if { path_beg /fetch }
"""

    def start(self, bind_opts='', handler=None, extra_fe='', glob=''):
        """One frontend (`bind_opts` appended to its bind line) → backend be (origin s1);
        local answers on /ret /deny /redir /nosrv /stats. Returns (proxy, frontend listener,
        origin, syslog, admin socket path)."""
        log = Syslog()
        self.addCleanup(log.close)
        o = self.origin('s1', handler=handler)
        fe = self.listener()
        sock = os.path.join(self.tmpdir(), 'admin.sock')
        cfg = f"""
global
    log 127.0.0.1:{log.port} local0
    stats socket {sock} level admin
{glob}
defaults
    mode http
    log global
    option httplog
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind {fe.bind} {bind_opts}
    http-request return status 404 content-type text/plain string nope if {{ path /ret }}
    http-request deny if {{ path /deny }}
    http-request redirect location /elsewhere if {{ path /redir }}
    http-request set-header x-ver %[req.ver]
{self.FETCHES}
{extra_fe}
    use_backend nosrv if {{ path /nosrv }}
    stats uri /stats
    default_backend be
backend be
    server s1 {o.addr}
backend nosrv
"""
        p = self.proxy(cfg, [fe])
        return p, fe, o, log, sock

    def h2(self, port, **kw):
        c = H2Client(port, **kw)
        self.addCleanup(c.close)
        return c

    def stat_rows(self, sock):
        out = cli(sock, 'show stat')
        lines = out.splitlines()
        self.assertTrue(lines and lines[0].startswith('# '), out)
        cols = lines[0][2:].split(',')
        rows = {}
        for line in lines[1:]:
            if line:
                cells = line.split(',')
                rows[(cells[0], cells[1])] = dict(zip(cols, cells))
        return rows


class H2cPriorKnowledgeTest(H2Base):
    """h2c with prior knowledge on a clear mode-http bind: no `proto h2`, no ALPN; the proxy
    recognises the HTTP/2 connection preface."""

    @needs_h2
    def test_get_reaches_origin_as_http11(self):
        _, fe, o, _, _ = self.start()
        c = self.h2(fe.port)
        r = c.get('/path/x?q=1', headers=[('cookie', 'a=1'), ('user-agent', 'ua'),
                                          ('cookie', 'b=2'), ('accept', '*/*')])
        self.assertTrue(r.ended)
        self.assertEqual(r.status, 200)
        self.assertEqual(bytes(r.body), b's1\n')
        self.assertEqual(r.headers, [(':status', '200'), ('x-origin', 's1'),
                                     ('content-type', 'text/plain'), ('content-length', '3')])
        self.assertTrue(o.wait_requests(1))
        # the request line in origin-form, host from :authority first, the other fields in
        # order, the cookie fields joined into one placed after them, then the rules' headers
        self.assertEqual(o.requests[0].raw_head.decode(),
                         f'GET /path/x?q=1 HTTP/1.1\r\nhost: 127.0.0.1:{fe.port}\r\n'
                         'user-agent: ua\r\naccept: */*\r\ncookie: a=1; b=2\r\n'
                         'x-ver: 2.0\r\n\r\n')
        self.assertIsNone(c.goaway)

    @needs_h2
    def test_fetches_on_an_h2_request(self):
        _, fe, o, _, _ = self.start()
        c = self.h2(fe.port)
        r = c.get('/fetch/a?q=1&b=2', authority='example.test:8080',
                  headers=[('cookie', 'a=1'), ('cookie', 'b=2')])
        self.assertEqual(r.status, 200)
        self.assertTrue(o.wait_requests(1))
        q = o.requests[0]
        # url is the absolute form rebuilt from :scheme and :authority; path and query as
        # for HTTP/1; hdr(host) is :authority; the cookies are one header by then
        self.assertEqual(q.header('x-url'), 'http://example.test:8080/fetch/a?q=1&b=2')
        self.assertEqual(q.header('x-path'), '/fetch/a')
        self.assertEqual(q.header('x-query'), 'q=1&b=2')
        self.assertEqual(q.header('x-base'), 'example.test:8080/fetch/a')
        self.assertEqual(q.header('x-host'), 'example.test:8080')
        self.assertEqual(q.header('x-method'), 'GET')
        self.assertEqual(q.header('x-ver'), '2.0')
        self.assertEqual(q.header('x-cookie-count'), '1')
        self.assertEqual(q.header('x-cook-b'), '2')
        self.assertEqual(q.headers_named('cookie'), ['a=1; b=2'])

    @needs_h2
    def test_host_differing_from_authority(self):
        """haproxy 2.6 takes :authority as host and drops the differing host field.
        (RFC 9113 §8.3.1 says a server SHOULD treat this as malformed: refusing the stream
        would be a stricter, deliberate difference; this test records haproxy's behaviour.)"""
        _, fe, o, _, _ = self.start()
        c = self.h2(fe.port)
        r = c.get('/a', authority='auth.test', headers=[('host', 'host.test')])
        self.assertEqual(r.status, 200)
        self.assertTrue(o.wait_requests(1))
        self.assertEqual(o.requests[0].raw_head.decode(),
                         'GET /a HTTP/1.1\r\nhost: auth.test\r\nx-ver: 2.0\r\n\r\n')

    @needs_h2
    def test_host_without_authority(self):
        _, fe, o, _, _ = self.start()
        c = self.h2(fe.port)
        sid = c.conn.get_next_available_stream_id()
        c.conn.send_headers(sid, [(':method', 'GET'), (':scheme', 'http'), (':path', '/b'),
                                  ('host', 'onlyhost.test')], end_stream=True)
        c._flush()
        self.assertEqual(c.response(sid).status, 200)
        self.assertTrue(o.wait_requests(1))
        self.assertEqual(o.requests[0].raw_head.decode(),
                         'GET /b HTTP/1.1\r\nhost: onlyhost.test\r\nx-ver: 2.0\r\n\r\n')

    @needs_h2
    def test_post_bodies(self):
        _, fe, o, _, _ = self.start()
        c = self.h2(fe.port)
        host = f'host: 127.0.0.1:{fe.port}\r\n'
        # with content-length: forwarded as is
        r = c.response(c.request('POST', '/echo', headers=[('content-length', '5')],
                                 body=b'hello'))
        self.assertEqual((r.status, bytes(r.body)), (200, b'hello'))
        # DATA frames without content-length: the origin gets a chunked body
        sid = c.request('POST', '/echo', end_stream=False)
        c.send_body(sid, b'abc', end_stream=False)
        c.send_body(sid, b'def', end_stream=True)
        r = c.response(sid)
        self.assertEqual((r.status, bytes(r.body)), (200, b'abcdef'))
        self.assertEqual(r.header('content-length'), '6')
        # END_STREAM on HEADERS, no content-length: neither length nor chunked
        r = c.response(c.request('POST', '/echo'))
        self.assertEqual((r.status, bytes(r.body)), (200, b''))
        # an empty DATA frame ends the stream: chunked, zero bytes
        r = c.response(c.request('POST', '/echo', body=b''))
        self.assertEqual((r.status, bytes(r.body)), (200, b''))
        self.assertTrue(o.wait_requests(4))
        heads = [q.raw_head.decode() for q in o.requests]
        self.assertEqual(heads, [
            f'POST /echo HTTP/1.1\r\n{host}content-length: 5\r\nx-ver: 2.0\r\n\r\n',
            f'POST /echo HTTP/1.1\r\n{host}x-ver: 2.0\r\ntransfer-encoding: chunked\r\n\r\n',
            f'POST /echo HTTP/1.1\r\n{host}x-ver: 2.0\r\n\r\n',
            f'POST /echo HTTP/1.1\r\n{host}x-ver: 2.0\r\ntransfer-encoding: chunked\r\n\r\n'])
        self.assertEqual([q.body for q in o.requests], [b'hello', b'abcdef', b'', b''])

    @needs_tool(CURL, 'curl')
    def test_curl_post_with_and_without_content_length(self):
        _, fe, o, _, _ = self.start()
        base = f'http://127.0.0.1:{fe.port}'
        for extra, path in (([], '/echo'), (['-H', 'content-length:'], '/echo')):
            out = subprocess.run([CURL, '-sS', '--http2-prior-knowledge', '-d', 'hello',
                                  *extra, base + path], capture_output=True, timeout=10)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertEqual(out.stdout, b'hello')
        self.assertTrue(o.wait_requests(2))
        self.assertEqual(o.requests[0].header('content-length'), '5')
        self.assertIsNone(o.requests[0].header('transfer-encoding'))
        self.assertIsNone(o.requests[1].header('content-length'))
        self.assertEqual(o.requests[1].header('transfer-encoding'), 'chunked')
        self.assertEqual([q.body for q in o.requests], [b'hello', b'hello'])

    @needs_h2
    def test_upload_2mb(self):
        _, fe, o, _, _ = self.start()
        c = self.h2(fe.port)
        data = hashlib.sha256(b'h2 upload').digest() * (65536 // 32 * 32)   # 2 MB
        self.assertEqual(len(data), 2 << 20)
        want = f'{len(data)} {hashlib.sha256(data).hexdigest()}'.encode()
        # with and without content-length (the second arrives chunked): the origin's digest
        r = c.response(c.request('POST', '/digest', body=data,
                                 headers=[('content-length', str(len(data)))]), timeout=30)
        self.assertEqual((r.status, bytes(r.body)), (200, want))
        r = c.response(c.request('POST', '/digest', body=data), timeout=30)
        self.assertEqual((r.status, bytes(r.body)), (200, want))
        self.assertFalse(o.requests[0].chunked)
        self.assertTrue(o.requests[1].chunked)

    @needs_h2
    def test_download_2mb_and_chunked(self):
        _, fe, _, _, _ = self.start()
        c = self.h2(fe.port)
        n = 2 << 20
        r = c.get(f'/size/{n}', timeout=30)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header('content-length'), str(n))
        self.assertEqual(len(r.body), n)
        self.assertEqual(hashlib.sha256(r.body).hexdigest(), pattern_digest(n))
        # a chunked origin answer: no length, no transfer-encoding (forbidden in HTTP/2)
        r = c.get('/chunked/100000')
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers, [(':status', '200'), ('x-origin', 's1'),
                                     ('content-type', 'application/octet-stream')])
        self.assertEqual(hashlib.sha256(r.body).hexdigest(), pattern_digest(100000))

    @needs_h2
    def test_head_204_304(self):
        _, fe, _, _, _ = self.start()
        c = self.h2(fe.port)
        r = c.response(c.request('HEAD', '/size/100'))
        self.assertTrue(r.ended)
        self.assertEqual(r.headers, [(':status', '200'), ('x-origin', 's1'),
                                     ('content-type', 'application/octet-stream'),
                                     ('content-length', '100')])
        self.assertEqual(bytes(r.body), b'')
        r = c.get('/status/204')
        self.assertEqual((r.headers, bytes(r.body)), ([(':status', '204'), ('x-origin', 's1')],
                                                      b''))
        # the origin's 304 announces content-length: 5; it is relayed, with no body
        r = c.get('/status/304')
        self.assertEqual((r.headers, bytes(r.body)),
                         ([(':status', '304'), ('x-origin', 's1'), ('content-length', '5')],
                          b''))
        self.assertEqual(c.get('/').status, 200)
        self.assertIsNone(c.goaway)

    @needs_h2
    def test_connection_close_from_origin_not_relayed(self):
        """The origin's `connection: close` ends the server connection, not the client's h2
        connection, and no connection-specific field reaches the HTTP/2 client."""
        _, fe, o, _, _ = self.start()
        c = self.h2(fe.port)
        r = c.get('/keepalive-close')
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers, [(':status', '200'), ('x-origin', 's1'),
                                     ('content-length', '3')])
        self.assertEqual(c.get('/again').status, 200)
        self.assertIsNone(c.goaway)
        self.assertEqual(o.connection_count(), 2)

    @needs_h2
    def test_concurrent_streams_matched(self):
        n = 10
        _, fe, o, _, _ = self.start(handler=barrier_handler(n))
        c = self.h2(fe.port)
        sids = {c.request('GET', f'/barrier/{i}'): i for i in range(n)}
        for sid in sids:
            c.response(sid, timeout=20)
        self.assertEqual(o.errors, [])
        for sid, i in sids.items():
            r = c.streams[sid]
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.header('x-barrier'), str(i))
            self.assertEqual(bytes(r.body), (f'stream for barrier {i};' * (i + 1)).encode())
        self.assertEqual(o.max_in_flight, n)
        self.assertIsNone(c.goaway)

    @needs_tool(NGHTTP, 'nghttp')
    def test_nghttp_multiplexed(self):
        _, fe, o, _, _ = self.start()
        out = subprocess.run([NGHTTP, '-n', '-s', '-m', '10',
                              f'http://127.0.0.1:{fe.port}/size/999'],
                             capture_output=True, timeout=20)
        self.assertEqual(out.returncode, 0, out.stderr)
        rows = re.findall(r'^\s*(\d+)\s+\S+\s+\S+\s+\S+\s+(\d+)\s+(\S+)\s+/size/999$',
                          out.stdout.decode(), re.M)
        self.assertEqual(len(rows), 10, out.stdout.decode())
        self.assertEqual({(code, size) for _, code, size in rows}, {('200', '999')})
        self.assertEqual(len({sid for sid, _, _ in rows}), 10)
        self.assertEqual(o.request_count(), 10)

    @needs_tool(H2LOAD, 'h2load')
    def test_h2load_small(self):
        _, fe, o, _, _ = self.start()
        out = subprocess.run([H2LOAD, '-n', '200', '-c', '2', '-m', '10',
                              f'http://127.0.0.1:{fe.port}/size/100'],
                             capture_output=True, timeout=30)
        text = out.stdout.decode()
        self.assertEqual(out.returncode, 0, text + out.stderr.decode())
        self.assertIn('Application protocol: h2c', text)
        self.assertIn('requests: 200 total, 200 started, 200 done, 200 succeeded, 0 failed, '
                      '0 errored, 0 timeout', text)
        self.assertIn('status codes: 200 2xx, 0 3xx, 0 4xx, 0 5xx', text)
        self.assertEqual(o.request_count(), 200)

    @needs_h2
    def test_proxy_generated_answers(self):
        _, fe, o, _, _ = self.start()
        c = self.h2(fe.port)
        r = c.get('/ret')
        self.assertEqual(r.headers, [(':status', '404'), ('content-length', '4'),
                                     ('content-type', 'text/plain')])
        self.assertEqual(bytes(r.body), b'nope')
        r = c.get('/deny')
        self.assertEqual(r.status, 403)
        self.assertEqual(r.header('content-type'), 'text/html')
        self.assertEqual(r.header('content-length'), str(len(r.body)))
        self.assertIn(b'<h1>403 Forbidden</h1>', r.body)
        r = c.get('/redir')
        self.assertEqual(r.headers, [(':status', '302'), ('content-length', '0'),
                                     ('location', '/elsewhere'), ('cache-control', 'no-cache')])
        self.assertEqual(bytes(r.body), b'')
        r = c.get('/nosrv')
        self.assertEqual(r.status, 503)
        self.assertEqual(r.header('content-length'), str(len(r.body)))
        self.assertIn(b'<h1>503 Service Unavailable</h1>', r.body)
        r = c.get('/stats')
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header('content-type'), 'text/html')
        self.assertIn(f'<title>Statistics Report for {IDENTITY["name"]}</title>'.encode(),
                      r.body)
        self.assertTrue(r.body.rstrip().endswith(b'</html>'), r.body[-200:])
        if r.header('content-length') is not None:
            self.assertEqual(r.header('content-length'), str(len(r.body)))
        # every local answer left the connection usable, and none reached the origin
        self.assertEqual(c.get('/').status, 200)
        self.assertIsNone(c.goaway)
        self.assertEqual([q.target for q in o.requests], ['/'])

    @needs_h2
    def test_log_line(self):
        _, fe, _, log, _ = self.start()
        c = self.h2(fe.port)
        self.assertEqual(c.get('/p?q=1').status, 200)
        self.assertEqual(c.get('/ret').status, 404)
        self.assertEqual(c.response(c.request('POST', '/echo', body=b'xyz')).status, 200)
        with Client(fe.port) as h1:
            self.assertEqual(h1.request('GET', '/p?q=1', host=f'127.0.0.1:{fe.port}').status, 200)
        authority = f'127.0.0.1:{fe.port}'
        # an HTTP/2 request is logged in absolute form, built from :scheme and :authority
        m = log.wait_request(f'GET http://{authority}/p?q=1 HTTP/2.0')
        self.assertEqual((m.group('fe'), m.group('route'), m.group('status'), m.group('tsc')),
                         ('fe', 'be/s1', '200', '----'))
        ret = log.wait_request(f'GET http://{authority}/ret HTTP/2.0')
        self.assertEqual((ret.group('route'), ret.group('status'), ret.group('tsc')),
                         ('fe/<NOSRV>', '404', 'LR--'))
        post = log.wait_request(f'POST http://{authority}/echo HTTP/2.0')
        self.assertEqual((post.group('route'), post.group('status')), ('be/s1', '200'))
        h1 = log.wait_request('GET /p?q=1 HTTP/1.1')
        # the streams of one connection share the client address; the same answer counts
        # the same bytes whether the client spoke HTTP/2 or HTTP/1.1
        self.assertEqual(m.group('client'), ret.group('client'))
        self.assertEqual(m.group('client'), post.group('client'))
        self.assertEqual(m.group('bytes'), h1.group('bytes'))

    @needs_h2
    def test_reset_stream_while_origin_is_slow(self):
        _, fe, o, log, _ = self.start()
        c = self.h2(fe.port)
        slow = c.request('GET', '/delay/3000/slow')
        other = c.request('GET', '/delay/200/other')
        self.assertTrue(o.wait_requests(2), o.requests)
        c.reset(slow)
        r = c.response(other)
        self.assertEqual((r.status, bytes(r.body)), (200, b's1\n'))
        r = c.get('/after')
        self.assertEqual((r.status, bytes(r.body)), (200, b's1\n'))
        self.assertIsNone(c.streams[slow].status)
        self.assertIsNone(c.goaway)
        # the abandoned stream is logged as a client abort during the data phase (haproxy
        # writes it at once, without waiting for the origin's answer)
        m = log.wait_request(f'GET http://127.0.0.1:{fe.port}/delay/3000/slow HTTP/2.0')
        self.assertEqual((m.group('route'), m.group('status'), m.group('tsc')[:2]),
                         ('be/s1', '-1', 'CD'))

    def test_http1_on_the_same_bind(self):
        _, fe, o, log, _ = self.start()
        with Client(fe.port) as h1:
            r = h1.request('GET', '/h1')
            self.assertEqual((r.status_line, r.body), ('HTTP/1.1 200 OK', b's1\n'))
            r = h1.request('GET', '/h1-again')
            self.assertEqual(r.status, 200)
        with Client(fe.port) as h1:
            r = h1.request('GET', '/h10', version='HTTP/1.0', host=None)
            self.assertEqual((r.status, r.body), (200, b's1\n'))
        self.assertTrue(o.wait_requests(3))
        self.assertEqual([q.header('x-ver') for q in o.requests], ['1.1', '1.1', '1.0'])
        # an HTTP/2 connection right after still works
        if H2_MISSING is None:
            self.assertEqual(self.h2(fe.port).get('/h2').status, 200)

    @needs_h2
    def test_bind_proto_h2_and_h1(self):
        """`proto h2` speaks HTTP/2 from the first byte (an HTTP/1 request there gets no
        answer); `proto h1` takes the HTTP/2 preface for a bad HTTP/1 request."""
        _, fe, o, _, _ = self.start(bind_opts='proto h2')
        self.assertEqual(self.h2(fe.port).get('/forced').status, 200)
        with Client(fe.port) as h1:
            h1.send(b'GET /h1 HTTP/1.1\r\nhost: x\r\n\r\n')
            data = h1.read_until_close()
            self.assertFalse(data.startswith(b'HTTP/1.1'), data)
        self.assertEqual([q.target for q in o.requests], ['/forced'])

        _, fe1, o1, _, _ = self.start(bind_opts='proto h1')
        with Client(fe1.port) as c:
            c.send(b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')
            data = c.read_until_close()
            self.assertFalse(data.startswith(b'HTTP/1.1 200'), data)
        with Client(fe1.port) as h1:
            self.assertEqual(h1.request('GET', '/h1').status, 200)
        self.assertEqual([q.target for q in o1.requests], ['/h1'])

    @needs_tool(CURL, 'curl')
    def test_curl_upgrade_h2c_is_answered_in_http11(self):
        """`curl --http2` on http:// asks for `Upgrade: h2c`; the proxy does not switch
        protocols (no 101): the request is answered in HTTP/1.1."""
        _, fe, o, _, _ = self.start()
        out = subprocess.run([CURL, '-sS', '--http2', '-D', '-',
                              f'http://127.0.0.1:{fe.port}/upg'], capture_output=True, timeout=10)
        self.assertEqual(out.returncode, 0, out.stderr)
        head, _, body = out.stdout.partition(b'\r\n\r\n')
        self.assertTrue(head.startswith(b'HTTP/1.1 200 OK\r\n'), out.stdout)
        self.assertEqual(body, b's1\n')
        self.assertTrue(o.wait_requests(1))
        self.assertEqual(o.requests[0].header('x-ver'), '1.1')

    @needs_tool(CURL, 'curl')
    def test_curl_prior_knowledge(self):
        _, fe, o, _, _ = self.start()
        out = subprocess.run([CURL, '-sS', '--http2-prior-knowledge', '-D', '-',
                              '-H', 'cookie: a=1', '-H', 'cookie: b=2',
                              f'http://127.0.0.1:{fe.port}/curl?x=1'],
                             capture_output=True, timeout=10)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout, b'HTTP/2 200 \r\nx-origin: s1\r\ncontent-type: text/plain'
                                     b'\r\ncontent-length: 3\r\n\r\ns1\n')
        self.assertTrue(o.wait_requests(1))
        self.assertEqual(o.requests[0].raw_head.decode(),
                         f'GET /curl?x=1 HTTP/1.1\r\nhost: 127.0.0.1:{fe.port}\r\n'
                         'user-agent: curl/7.88.1\r\naccept: */*\r\ncookie: a=1; b=2\r\n'
                         'x-ver: 2.0\r\n\r\n')

    @needs_h2
    def test_show_stat_counts_one_session_and_n_requests(self):
        n = 5
        _, fe, _, _, sock = self.start()
        c = self.h2(fe.port)
        for i in range(n):
            self.assertEqual(c.get(f'/{i}').status, 200)
        rows = self.stat_rows(sock)
        f, b, s = rows[('fe', 'FRONTEND')], rows[('be', 'BACKEND')], rows[('be', 's1')]
        # the frontend counts the connection once (stot, conn_tot, scur while open) and every
        # stream as a request; the backend and server count one session per stream. The h2
        # columns named "backend ..._streams" count the frontend's streams in 2.6.
        self.assertEqual({k: f[k] for k in ('scur', 'stot', 'conn_tot', 'req_tot', 'hrsp_2xx',
                                            'h2_headers_rcvd', 'h2_open_connections',
                                            'h2_total_connections', 'h2_backend_open_streams',
                                            'h2_backend_total_streams')},
                         {'scur': '1', 'stot': '1', 'conn_tot': '1', 'req_tot': str(n),
                          'hrsp_2xx': str(n), 'h2_headers_rcvd': str(n),
                          'h2_open_connections': '1', 'h2_total_connections': '1',
                          'h2_backend_open_streams': '0', 'h2_backend_total_streams': str(n)})
        self.assertEqual((b['stot'], s['stot'], s['hrsp_2xx']), (str(n), str(n), str(n)))
        # the frame columns: one POST with a body (HEADERS, DATA, an empty DATA ending it), a stream
        # the client resets, and every SETTINGS the client sent (haproxy 2.6.12's counts)
        r = c.response(c.request('POST', '/post', body=b'abc'))
        self.assertEqual(r.status, 200)
        c.reset(c.request('GET', '/delay/2000/x'))
        c.ping()
        f = wait_until(lambda: (lambda r: r if r['h2_rst_stream_rcvd'] == '1' else None)(
            self.stat_rows(sock)[('fe', 'FRONTEND')]), 5)
        self.assertTrue(f, 'the reset is not counted')
        self.assertEqual({k: f[k] for k in ('h2_headers_rcvd', 'h2_data_rcvd', 'h2_settings_rcvd',
                                            'h2_rst_stream_rcvd', 'h2_goaway_rcvd',
                                            'h2_detected_conn_protocol_errors',
                                            'h2_detected_strm_protocol_errors', 'h2_goaway_resp')},
                         {'h2_headers_rcvd': str(n + 2), 'h2_data_rcvd': '2',
                          # the client sent 2 SETTINGS (its own, and the ACK of ours: checked on
                          # the wire); haproxy 2.6.12 shows 3, counting the first one twice
                          'h2_settings_rcvd': '3' if self.IS_HAPROXY else '2',
                          'h2_rst_stream_rcvd': '1', 'h2_goaway_rcvd': '0',
                          'h2_detected_conn_protocol_errors': '0',
                          'h2_detected_strm_protocol_errors': '0', 'h2_goaway_resp': '0'})
        c.close()

        def closed():
            r = self.stat_rows(sock)[('fe', 'FRONTEND')]
            return r if r['scur'] == '0' and r['h2_open_connections'] == '0' else None
        f = wait_until(closed, 5)
        self.assertTrue(f, 'the frontend still counts the closed h2 connection')
        self.assertEqual((f['stot'], f['req_tot'], f['h2_total_connections']),
                         ('1', str(n + 2), '1'))


    @needs_h2
    def test_settings_and_refused_streams(self):
        _, fe, _, _, _ = self.start()
        c = self.h2(fe.port)
        c.ping()   # the server's SETTINGS precede its PING ACK
        # 3 = MAX_CONCURRENT_STREAMS, 8 = ENABLE_CONNECT_PROTOCOL (RFC 8441), 4 =
        # INITIAL_WINDOW_SIZE (the default 65535 when not announced)
        self.assertEqual(c.remote_settings.get(3), 100)
        self.assertEqual(c.remote_settings.get(8), 1)
        self.assertEqual(c.remote_settings.get(4, 65535), 65535)

        _, fe, o, _, _ = self.start(glob='    tune.h2.max-concurrent-streams 3')
        c = self.h2(fe.port)
        # all five sent before the server's SETTINGS are read: the client does not know the
        # limit yet; the streams beyond it are refused (REFUSED_STREAM, safe to retry), the
        # others are answered and the connection goes on
        sids = [c.request('GET', f'/delay/200/{i}') for i in range(5)]
        for sid in sids:
            c.response(sid)
        self.assertEqual([(c.streams[s].status, c.streams[s].reset_code) for s in sids],
                         [(200, None)] * 3 + [(None, 7)] * 2)
        self.assertEqual(c.remote_settings.get(3), 3)
        self.assertIsNone(c.goaway)
        self.assertEqual(c.get('/after').status, 200)
        self.assertEqual(sorted(q.target for q in o.requests),
                         ['/after', '/delay/200/0', '/delay/200/1', '/delay/200/2'])

    @needs_h2
    def test_connection_specific_request_fields(self):
        """HTTP/2 forbids connection-specific fields; haproxy drops them from the request
        and forwards it, keeps `te: trailers`, and refuses the stream for another te."""
        _, fe, o, _, _ = self.start()
        c = self.h2(fe.port)
        host = f'host: 127.0.0.1:{fe.port}\r\n'
        for name, value in (('connection', 'close'), ('keep-alive', '1'),
                            ('transfer-encoding', 'chunked'), ('upgrade', 'websocket'),
                            ('proxy-connection', 'x')):
            r = c.get(f'/{name}', headers=[(name, value)])
            self.assertEqual(r.status, 200, name)
        r = c.get('/te', headers=[('te', 'trailers')])
        self.assertEqual(r.status, 200)
        r = c.get('/te-gzip', headers=[('te', 'gzip')])
        self.assertEqual((r.status, r.reset_code), (None, 1))   # PROTOCOL_ERROR
        self.assertIsNone(c.goaway)
        self.assertEqual(c.get('/after').status, 200)
        self.assertTrue(o.wait_requests(7))
        self.assertEqual([q.raw_head.decode() for q in o.requests], [
            f'GET /connection HTTP/1.1\r\n{host}x-ver: 2.0\r\n\r\n',
            f'GET /keep-alive HTTP/1.1\r\n{host}x-ver: 2.0\r\n\r\n',
            f'GET /transfer-encoding HTTP/1.1\r\n{host}x-ver: 2.0\r\n\r\n',
            f'GET /upgrade HTTP/1.1\r\n{host}x-ver: 2.0\r\n\r\n',
            f'GET /proxy-connection HTTP/1.1\r\n{host}x-ver: 2.0\r\n\r\n',
            f'GET /te HTTP/1.1\r\n{host}te: trailers\r\nx-ver: 2.0\r\n\r\n',
            f'GET /after HTTP/1.1\r\n{host}x-ver: 2.0\r\n\r\n'])

    @needs_h2
    def test_trailers_and_100_continue(self):
        def handler(origin, c, req):
            if req.target == '/trailers':
                c.send(b'HTTP/1.1 200 OK\r\nx-origin: s1\r\ntransfer-encoding: chunked\r\n'
                       b'trailer: x-t\r\n\r\n3\r\nabc\r\n0\r\nx-t: done\r\n\r\n')
                return True
            return origin._route(c, req, req.target)
        _, fe, o, _, _ = self.start(handler=handler)
        c = self.h2(fe.port)
        r = c.get('/trailers')
        self.assertEqual(r.headers, [(':status', '200'), ('x-origin', 's1'), ('trailer', 'x-t')])
        self.assertEqual((bytes(r.body), r.trailers), (b'abc', [('x-t', 'done')]))
        # expect: 100-continue: the origin's interim answer reaches the client before it
        # sends the body
        sid = c.request('POST', '/echo', end_stream=False,
                        headers=[('expect', '100-continue'), ('content-length', '3')])
        st = c.streams[sid]
        c.wait(lambda: st.informational or st.done)
        self.assertEqual(st.informational, [[(':status', '100')]])
        c.send_body(sid, b'abc')
        r = c.response(sid)
        self.assertEqual((r.status, bytes(r.body)), (200, b'abc'))

    @needs_h2
    def test_idle_connection_timeouts(self):
        # timeout client alone closes an idle h2 connection: GOAWAY(NO_ERROR) naming the
        # last stream processed, then the TCP close
        _, fe, _, _, _ = self.start(extra_fe='    timeout client 500ms')
        c = self.h2(fe.port)
        self.assertEqual(c.get('/').status, 200)
        self.assertEqual(c.get('/').status, 200)
        c.wait(lambda: c.eof, timeout=10)
        self.assertEqual([(g.error_code, g.last_stream_id) for g in c.goaways], [(0, 3)])
        # timeout http-keep-alive, when set, is the idle timeout instead (well before the
        # 8 s of timeout client)
        _, fe, _, _, _ = self.start(extra_fe='    timeout client 8s\n'
                                             '    timeout http-keep-alive 300ms')
        c = self.h2(fe.port)
        t0 = time.monotonic()
        self.assertEqual(c.get('/').status, 200)
        c.wait(lambda: c.eof, timeout=10)
        self.assertLess(time.monotonic() - t0, 6.0)
        self.assertEqual([(g.error_code, g.last_stream_id) for g in c.goaways], [(0, 1)])

    @needs_h2
    def test_soft_stop_sends_goaway(self):
        """SIGUSR1: the listener closes, every h2 connection is told at once with a
        GOAWAY(NO_ERROR) that still admits its streams; a stream in flight completes; idle
        connections are then closed (a final GOAWAY naming the last stream) after the idle
        timeout, and the process exits 0."""
        p, fe, o, _, _ = self.start(extra_fe='    timeout client 1s')
        busy = self.h2(fe.port)
        idle = self.h2(fe.port)
        self.assertEqual(busy.get('/').status, 200)
        self.assertEqual(idle.get('/').status, 200)
        slow = busy.request('GET', '/delay/500/slow')
        self.assertTrue(o.wait_requests(3))
        p.signal(signal.SIGUSR1)
        idle.wait(lambda: idle.goaway is not None)
        first = idle.goaways[0]
        self.assertEqual(first.error_code, 0)
        self.assertGreaterEqual(first.last_stream_id, 1)
        r = busy.response(slow)
        self.assertEqual((r.status, bytes(r.body)), (200, b's1\n'))
        self.assertEqual(busy.goaways[0].error_code, 0)
        self.assertGreaterEqual(busy.goaways[0].last_stream_id, slow)
        for c, last in ((idle, 1), (busy, slow)):
            c.wait(lambda: c.eof, timeout=10)
            self.assertEqual((c.goaway.error_code, c.goaway.last_stream_id), (0, last))
        self.assertEqual(p.wait(10), 0)


    @needs_h2
    def test_rapid_reset_is_stopped(self):
        """Beyond HAProxy 2.6 (which has no such limit): a client opening and cancelling
        streams faster than h2::Settings::max_resets_per_s (200 a second; CVE-2023-44487) gets
        GOAWAY(ENHANCE_YOUR_CALM); the trip is logged once and the frontend still serves
        other connections."""
        if self.IS_HAPROXY:
            self.skipTest('portero-only: haproxy 2.6 has no reset-rate limit')
        _, fe, _, log, _ = self.start()
        c = self.h2(fe.port)
        for i in range(400):
            if c.eof or c.goaway is not None:
                break
            c.reset(c.request('GET', f'/delay/2000/{i}'))
        c.wait(lambda: c.goaway is not None or c.eof)
        self.assertIsNotNone(c.goaway)
        self.assertEqual(c.goaway.error_code, 0xb)
        line = wait_until(lambda: next((m for m in log.lines() if 'HTTP/2' in m and 'resets' in m), None), 5)
        self.assertTrue(line, log.lines())
        self.assertRegex(line, r'127\.0\.0\.1:\d+ \[[^\]]+\] fe/1: HTTP/2 connection closed: '
                               r'too many resets \(GOAWAY ENHANCE_YOUR_CALM\)$')
        self.assertEqual(self.h2(fe.port).get('/after').status, 200)

    @needs_h2
    def test_abuse_limit_set_by_tune_h2_limit(self):
        """portero's tune.h2.limit.* keywords: a client sending more PINGs a second than
        `tune.h2.limit.pings` allows gets GOAWAY(ENHANCE_YOUR_CALM), logged; the default
        (1000 a second) lets the same client through."""
        if self.IS_HAPROXY:
            self.skipTest('portero-only keyword')
        for limit, trips in (('    tune.h2.limit.pings 5', True), ('', False)):
            _, fe, _, log, _ = self.start(glob=limit)
            c = self.h2(fe.port)
            for _ in range(20):
                if c.eof or c.goaway is not None:
                    break
                c.conn.ping(b'12345678')
                c._flush()
            if trips:
                c.wait(lambda: c.goaway is not None or c.eof)
                self.assertIsNotNone(c.goaway)
                self.assertEqual(c.goaway.error_code, 0xb)
                line = wait_until(lambda: next((m for m in log.lines() if 'HTTP/2' in m and 'ping_flood' in m), None), 5)
                self.assertTrue(line, log.lines())
            else:
                self.assertEqual(c.get('/after-pings').status, 200)
                self.assertIsNone(c.goaway)

    @needs_h2
    def test_stalled_upload_holds_back_its_stream_only(self):
        """A server that reads nothing: the upload's stream fills what the server's socket and
        the stream's window take, then waits, while other streams of the same connection (a
        GET, and a POST with a body) are served; the proxy's memory does not follow the upload.
        Beyond HAProxy 2.6: its demultiplexer waits for the stalled stream's buffer, and the
        connection's other streams wait with it (checked: the GET times out)."""
        if self.IS_HAPROXY:
            self.skipTest('haproxy 2.6 holds back the whole connection behind a stalled upload')
        import socket
        sink = socket.socket()
        sink.bind(('127.0.0.1', 0))
        sink.listen(4)   # accepted by the kernel, never read
        self.addCleanup(sink.close)
        o = self.origin('s1')
        fe = self.listener()
        p = self.proxy(f"""
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
frontend fe
    bind {fe.bind}
    use_backend sink if {{ path_beg /stalled }}
    default_backend be
backend be
    server s1 {o.addr}
backend sink
    server k 127.0.0.1:{sink.getsockname()[1]}
""", [fe])
        c = self.h2(fe.port)
        sid = c.request('POST', '/stalled', end_stream=False)
        chunk = b'x' * 16384
        sent, stalled_since = 0, None
        deadline = time.monotonic() + 20
        base = p.rss_kb()
        while time.monotonic() < deadline:
            window = min(c.conn.local_flow_control_window(sid), c.conn.max_outbound_frame_size)
            if window > 0:
                c.conn.send_data(sid, chunk[:window])
                c._flush()
                sent += window
                stalled_since = None
                continue
            stalled_since = stalled_since or time.monotonic()
            if time.monotonic() - stalled_since > 0.5:
                break
            c.pump(time.monotonic() + 0.1)
        self.assertGreater(sent, 0)
        self.assertLess(sent, 64 << 20, 'the stalled stream was never held back')
        # the other streams go on
        self.assertEqual(c.get('/other', timeout=5).status, 200)
        r = c.response(c.request('POST', '/echo', body=b'y' * 200000), timeout=10)
        self.assertEqual(r.status, 200)
        # what the proxy holds for the stalled stream is its window, not the upload
        self.assertLess(p.rss_kb() - base, 16 * 1024)

    @needs_h2
    def test_cookie_persistence(self):
        o1, o2 = self.origin('s1'), self.origin('s2')
        fe = self.listener()
        self.proxy(f"""
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind {fe.bind}
    default_backend be
backend be
    cookie SRV insert indirect nocache
    server s1 {o1.addr} cookie c1
    server s2 {o2.addr} cookie c2
""", [fe])
        c = self.h2(fe.port)
        r = c.get('/')
        self.assertEqual((r.header('x-origin'), r.headers_named('set-cookie')),
                         ('s1', ['SRV=c1; path=/']))
        # the persistence cookie among several cookie fields: found, removed (indirect), the
        # others forwarded as one field; no new set-cookie
        r = c.get('/', headers=[('cookie', 'a=1'), ('cookie', 'SRV=c2'), ('cookie', 'b=2')])
        self.assertEqual((r.header('x-origin'), r.headers_named('set-cookie')), ('s2', []))
        self.assertTrue(o2.wait_requests(1))
        self.assertEqual(o2.requests[0].raw_head.decode(),
                         f'GET / HTTP/1.1\r\nhost: 127.0.0.1:{fe.port}\r\n'
                         'cookie: a=1; b=2\r\n\r\n')

    @needs_h2
    def test_websocket_extended_connect(self):
        """RFC 8441: CONNECT with :protocol websocket becomes an HTTP/1.1 upgrade (with a
        Sec-WebSocket-Key the proxy makes up); the origin's 101 becomes a 200 and the stream a
        tunnel."""
        _, fe, o, _, _ = self.start(extra_fe='    timeout tunnel 10s')
        c = self.h2(fe.port)
        c.ping()
        self.assertEqual(c.remote_settings.get(8), 1)   # ENABLE_CONNECT_PROTOCOL
        sid = c.conn.get_next_available_stream_id()
        c.conn.send_headers(sid, [(':method', 'CONNECT'), (':protocol', 'websocket'),
                                  (':scheme', 'http'), (':path', '/ws'),
                                  (':authority', 'ws.test'), ('sec-websocket-version', '13')],
                            end_stream=False)
        c._flush()
        st = c._stream(sid)
        c.wait(lambda: st.headers or st.done)
        self.assertTrue(o.wait_requests(1))
        q = o.requests[0]
        self.assertEqual(q.raw_head.decode().split('\r\n')[:2], ['GET /ws HTTP/1.1',
                                                                 'host: ws.test'])
        fields = {k.lower(): v for k, v in q.headers}
        key = fields.pop('sec-websocket-key', '')
        self.assertRegex(key, r'^[A-Za-z0-9+/]{22}==$')
        self.assertEqual(fields, {'host': 'ws.test', 'sec-websocket-version': '13',
                                  'upgrade': 'websocket', 'connection': 'upgrade',
                                  'x-ver': '2.0'})
        accept = __import__('base64').b64encode(hashlib.sha1(
            (key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').encode()).digest()).decode()
        self.assertEqual(st.headers, [(':status', '200'), ('sec-websocket-accept', accept),
                                      ('x-origin', 's1')])
        self.assertFalse(st.done)
        c.send_body(sid, b'hello ws', end_stream=False)
        c.wait(lambda: len(st.body) >= 8 or st.done)
        self.assertEqual(bytes(st.body), b'hello ws')
        # the tunnel is one stream: the connection still serves others
        self.assertEqual(c.get('/').status, 200)


class H2AlpnTlsTest(H2Base):
    """`bind ... ssl crt X alpn h2,http/1.1`: ALPN picks HTTP/2 or HTTP/1.1 per client."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # one self-signed P-256 certificate: the clients do not verify, and harness.tls's
        # certs() would spend seconds making the dozen the TLS topics need
        import tempfile
        cls.cert_dir = tempfile.mkdtemp(prefix='integ-h2-')
        cls.pem = os.path.join(cls.cert_dir, 'h2.pem')
        key, crt = cls.pem + '.key', cls.pem + '.crt'
        subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
                        'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=h2.test', '-days', '30',
                        '-keyout', key, '-out', crt], check=True, capture_output=True, timeout=30)
        with open(cls.pem, 'w') as out:
            for part in (crt, key):
                with open(part) as f:
                    out.write(f.read())

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.cert_dir, True)
        super().tearDownClass()

    def start_tls(self):
        pem = self.pem
        return self.start(bind_opts=f'ssl crt {pem} alpn h2,http/1.1',
                          extra_fe='    http-request set-header x-alpn %[ssl_fc_alpn]')

    @needs_tool(CURL, 'curl')
    def test_curl_negotiates_h2(self):
        _, fe, o, log, _ = self.start_tls()
        out = subprocess.run([CURL, '-sSk', '--http2', '-D', '-',
                              f'https://127.0.0.1:{fe.port}/tls?x=1'],
                             capture_output=True, timeout=10)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout, b'HTTP/2 200 \r\nx-origin: s1\r\ncontent-type: text/plain'
                                     b'\r\ncontent-length: 3\r\n\r\ns1\n')
        self.assertTrue(o.wait_requests(1))
        self.assertEqual((o.requests[0].header('x-ver'), o.requests[0].header('x-alpn')),
                         ('2.0', 'h2'))
        # the TLS frontend is logged as `fe~`, the request with the https scheme
        m = log.wait_request(f'GET https://127.0.0.1:{fe.port}/tls?x=1 HTTP/2.0')
        self.assertEqual((m.group('fe'), m.group('route'), m.group('status')),
                         ('fe~', 'be/s1', '200'))

    def test_http11_only_clients_still_served(self):
        from harness.tls import TlsClient
        _, fe, o, log, _ = self.start_tls()
        for alpn, want in ((['http/1.1'], 'http/1.1'), (None, None)):
            with TlsClient(fe.port, alpn=alpn) as c:
                self.assertEqual(c.alpn, want)
                r = c.request('GET', '/h1tls')
                self.assertEqual((r.status_line, r.body), ('HTTP/1.1 200 OK', b's1\n'))
        self.assertTrue(o.wait_requests(2))
        self.assertEqual([(q.header('x-ver'), q.header('x-alpn')) for q in o.requests],
                         [('1.1', 'http/1.1'), ('1.1', '')])
        m = log.wait_request('GET /h1tls HTTP/1.1')
        self.assertEqual((m.group('fe'), m.group('status')), ('fe~', '200'))

    @needs_h2
    def test_h2_client_streams_over_tls(self):
        _, fe, o, _, _ = self.start_tls()
        c = self.h2(fe.port, tls=True)
        self.assertEqual(c.alpn, 'h2')
        a = c.request('GET', '/delay/100/a')
        b = c.request('POST', '/digest', body=b'x' * 100000)
        self.assertEqual(c.response(a).status, 200)
        r = c.response(b)
        self.assertEqual(bytes(r.body),
                         f'100000 {hashlib.sha256(b"x" * 100000).hexdigest()}'.encode())
        self.assertTrue(o.wait_requests(2))
        self.assertEqual({q.header('x-ver') for q in o.requests}, {'2.0'})


if __name__ == '__main__':
    unittest.main()
