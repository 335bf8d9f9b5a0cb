"""Built-in error pages (exact bytes as HAProxy 2.6 sends them), errorfile, http-request
deny and http-request return."""

import os
import unittest

from harness import ProxyTestCase, Client, free_port, DEFAULTS


def page(code, reason, text, lower=True):
    body = f'<html><body><h1>{code} {reason}</h1>\n{text}\n</body></html>\n'.encode()
    if lower:
        head = (f'HTTP/1.1 {code} {reason}\r\ncontent-length: {len(body)}\r\n'
                'cache-control: no-cache\r\ncontent-type: text/html\r\n\r\n')
    else:  # the parse-level pages (400, 408) keep HAProxy's historical capitalised form
        head = (f'HTTP/1.1 {code} {reason}\r\nContent-length: {len(body)}\r\n'
                'Cache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n')
    return head.encode() + body


PAGE_400 = page(400, 'Bad request', 'Your browser sent an invalid request.', lower=False)
PAGE_403 = page(403, 'Forbidden', 'Request forbidden by administrative rules.')
PAGE_502 = page(502, 'Bad Gateway', 'The server returned an invalid or incomplete response.')
PAGE_503 = page(503, 'Service Unavailable', 'No server is available to handle this request.')
PAGE_504 = page(504, 'Gateway Time-out', "The server didn't respond in time.")


class ErrorPagesTest(ProxyTestCase):
    """One frontend per case (no ACL conditions: those come with the ACL issue)."""

    def setUp(self):
        self.o = self.origin('s1')
        self.dead = free_port()
        self.fe = {k: self.listener() for k in ('be', 'deny', 'nosrv', 'dead')}
        cfg = f"""
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 500ms
frontend fe
    bind {self.fe['be'].bind}
    default_backend be
frontend fe_deny
    bind {self.fe['deny'].bind}
    http-request deny
    default_backend be
frontend fe_nosrv
    bind {self.fe['nosrv'].bind}
    default_backend nosrv
frontend fe_dead
    bind {self.fe['dead'].bind}
    default_backend dead
backend be
    server s1 {self.o.addr}
backend nosrv
backend dead
    retries 0
    server d 127.0.0.1:{self.dead}
"""
        self.p = self.proxy(cfg, list(self.fe.values()))

    def _get(self, path, fe='be', keepalive_after=None):
        with Client(self.fe[fe].port) as c:
            r = c.request('GET', path)
            if keepalive_after is True:
                self.assertEqual(c.request('GET', '/').status, r.status,
                                 'connection not reusable after the error')
            elif keepalive_after is False:
                self.assertTrue(c.is_closed_by_peer(3), 'connection left open after the error')
        return r

    def test_400_bad_request(self):
        r = self._get('/bad path with spaces', keepalive_after=False)
        self.assertEqual(r.raw, PAGE_400)
        self.assertEqual(self.o.raw_received(), b'')

    def test_400_on_garbage_request_line(self):
        with Client(self.fe['be'].port) as c:
            c.send(b'\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n')
            data = c.read_until_close(5)
        self.assertEqual(data, PAGE_400)
        self.assertEqual(self.o.raw_received(), b'')

    def test_403_http_request_deny(self):
        r = self._get('/', fe='deny', keepalive_after=True)
        self.assertEqual(r.raw, PAGE_403)
        self.assertEqual(self.o.raw_received(), b'')

    def test_502_garbage_response(self):
        r = self._get('/garbage')
        self.assertEqual(r.raw, PAGE_502)
        with Client(self.fe['be'].port) as c:
            c.send(b'GET /garbage HTTP/1.1\r\nHost: a\r\n\r\n')
            self.assertEqual(c.read_response().raw, PAGE_502)
            self.assertEqual(c.request('GET', '/').status, 200,
                             'client connection not reusable after a 502')

    def test_502_server_closes_without_answer(self):
        r = self._get('/close')
        self.assertEqual(r.raw, PAGE_502)

    def test_503_no_server(self):
        r = self._get('/', fe='nosrv', keepalive_after=True)
        self.assertEqual(r.raw, PAGE_503)

    def test_503_connection_refused(self):
        r = self._get('/', fe='dead')
        self.assertEqual(r.raw, PAGE_503)

    def test_504_server_timeout(self):
        r = self._get('/delay/2000')
        self.assertEqual(r.raw, PAGE_504)


class ErrorfileAndReturnTest(ProxyTestCase):
    def setUp(self):
        d = self.tmpdir()
        self.d = d
        with open(os.path.join(d, '503.http'), 'wb') as f:
            f.write(b'HTTP/1.1 503 Service Unavailable\r\nCache-Control: no-cache\r\n'
                    b'Connection: close\r\nContent-Type: text/html\r\nX-Custom: Yes\r\n\r\n'
                    b'<html><body>custom down</body></html>\n')
        with open(os.path.join(d, '504.http'), 'wb') as f:
            f.write(b'HTTP/1.1 504 Gateway Time-out\r\nContent-Type: text/plain\r\n'
                    b'Content-Length: 9\r\n\r\nslow one\n')
        with open(os.path.join(d, 'page.txt'), 'wb') as f:
            f.write(b'file body\n')
        self.o = self.origin('s1')
        rules = {
            'r404': 'http-request return status 404 content-type text/plain string "not here"',
            'file': f'http-request return status 200 content-type text/plain file {d}/page.txt',
            'r204': 'http-request return status 204',
            'bare': 'http-request return',
            'deny429': 'http-request deny deny_status 429',
            'nosrv': 'default_backend nosrv',
            'slow': 'default_backend be',
        }
        self.fe = {k: self.listener() for k in rules}
        fes = ''.join(f"""
frontend fe_{k}
    bind {self.fe[k].bind}
    {rule}
""" for k, rule in rules.items())
        cfg = f"""
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 500ms
    errorfile 503 {d}/503.http
    errorfile 504 {d}/504.http
{fes}
backend be
    server s1 {self.o.addr}
backend nosrv
"""
        self.p = self.proxy(cfg, list(self.fe.values()))

    def _get_then_reuse(self, fe):
        with Client(self.fe[fe].port) as c:
            r = c.request('GET', '/')
            r2 = c.request('GET', '/')
            self.assertEqual(r2.status, r.status,
                             'connection not reusable after http-request return')
        self.assertEqual(self.o.raw_received(), b'')
        return r

    def test_errorfile_sent_with_headers_normalised(self):
        with Client(self.fe['nosrv'].port) as c:
            r = c.request('GET', '/')
            self.assertEqual(r.raw, b'HTTP/1.1 503 Service Unavailable\r\ncache-control: no-cache\r\n'
                                    b'content-type: text/html\r\nx-custom: Yes\r\n'
                                    b'connection: close\r\n\r\n'
                                    b'<html><body>custom down</body></html>\n')
            self.assertTrue(c.is_closed_by_peer(3))
        self.assertEqual(self.o.raw_received(), b'')

    def test_errorfile_504(self):
        with Client(self.fe['slow'].port) as c:
            r = c.request('GET', '/delay/2000')
            self.assertEqual(r.status, 504)
            self.assertEqual(r.body, b'slow one\n')

    def test_return_string(self):
        r = self._get_then_reuse('r404')
        self.assertEqual(r.raw, b'HTTP/1.1 404 Not Found\r\ncontent-length: 8\r\n'
                                b'content-type: text/plain\r\n\r\nnot here')

    def test_return_file(self):
        r = self._get_then_reuse('file')
        self.assertEqual(r.raw, b'HTTP/1.1 200 OK\r\ncontent-length: 10\r\n'
                                b'content-type: text/plain\r\n\r\nfile body\n')

    def test_return_204(self):
        r = self._get_then_reuse('r204')
        self.assertEqual(r.raw, b'HTTP/1.1 204 No Content\r\n\r\n')

    def test_return_defaults_to_200_empty(self):
        r = self._get_then_reuse('bare')
        self.assertEqual(r.raw, b'HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n')

    def test_deny_with_status(self):
        r = self._get_then_reuse('deny429')
        self.assertEqual(r.status_line, 'HTTP/1.1 429 Too Many Requests')
        self.assertEqual(r.body, b'<html><body><h1>429 Too Many Requests</h1>\n'
                                 b'You have sent too many requests in a given amount of time.\n'
                                 b'</body></html>\n')


class ErrorlocTest(ProxyTestCase):
    """errorloc / errorloc302 / errorloc303: a redirect instead of the page; the frontend's
    applies to an error of its backend that has none (HAProxy's lookup order)."""

    def setUp(self):
        self.fe = self.listener()
        self.proxy(f"""
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind {self.fe.bind}
    errorloc 503 http://sorry.example/down
    errorloc303 403 /forbidden
    http-request deny if {{ path /deny }}
    use_backend own if {{ path /own }}
    default_backend nosrv
backend nosrv
backend own
    errorloc302 503 /own-page
""", [self.fe])

    def get(self, path, method='GET'):
        with Client(self.fe.port) as c:
            return c.request(method, path)

    def test_backend_error_uses_frontend_errorloc(self):
        r = self.get('/')
        self.assertEqual(r.raw, b'HTTP/1.1 302 Found\r\ncache-control: no-cache\r\ncontent-length: 0\r\n'
                                b'location: http://sorry.example/down\r\n\r\n')

    def test_backend_errorloc_wins(self):
        self.assertEqual(self.get('/own').header('location'), '/own-page')

    def test_errorloc303_on_deny(self):
        r = self.get('/deny')
        self.assertEqual(r.raw, b'HTTP/1.1 303 See Other\r\ncache-control: no-cache\r\ncontent-length: 0\r\n'
                                b'location: /forbidden\r\n\r\n')

    def test_head(self):
        r = self.get('/', method='HEAD')
        self.assertEqual((r.status, r.header('location')), (302, 'http://sorry.example/down'))


if __name__ == '__main__':
    unittest.main()
