"""retries and redispatch in HTTP mode: the number of connect attempts (timing with a refused
port; counted with `retry-on`), `option redispatch` moving to the other server, and a
request never sent twice once the server has started answering."""

import time
import unittest

from harness import ProxyTestCase, Client, TcpOrigin, free_port, wait_until
from harness import lbmodel as M

PAGE_503 = (b'HTTP/1.1 503 Service Unavailable\r\ncontent-length: 107\r\n'
            b'cache-control: no-cache\r\ncontent-type: text/html\r\n\r\n'
            b'<html><body><h1>503 Service Unavailable</h1>\n'
            b'No server is available to handle this request.\n</body></html>\n')
PAGE_502 = (b'HTTP/1.1 502 Bad Gateway\r\ncontent-length: 107\r\n'
            b'cache-control: no-cache\r\ncontent-type: text/html\r\n\r\n'
            b'<html><body><h1>502 Bad Gateway</h1>\n'
            b'The server returned an invalid or incomplete response.\n</body></html>\n')


class RetriesTest(ProxyTestCase):
    def be(self, backend, servers, tconnect='2s'):
        fe = self.listener()
        cfg = f"""
defaults
    mode http
    timeout connect {tconnect}
    timeout client 10s
    timeout server 10s
frontend fe
    bind {fe.bind}
    default_backend be
backend be
{backend}
{servers}
"""
        self.proxy(cfg, [fe])
        return fe.port

    def timed(self, port, path='/'):
        t0 = time.monotonic()
        with Client(port) as c:
            r = c.request('GET', path)
        return r, time.monotonic() - t0

    # ---- attempts on a refused port ----------------------------------------------------------
    def test_retries_0_refused_is_immediate_503(self):
        port = self.be('    retries 0', f'    server dead 127.0.0.1:{free_port()}')
        r, el = self.timed(port)
        self.assertEqual(r.raw, PAGE_503)
        self.assertLess(el, 0.5)

    def test_retries_wait_one_second_between_attempts(self):
        # HAProxy waits MIN(1 s, timeout connect) after an immediate connect error before
        # retrying the same server: retries 2 -> 3 attempts, ~2 s
        port = self.be('    retries 2', f'    server dead 127.0.0.1:{free_port()}')
        r, el = self.timed(port)
        self.assertEqual(r.raw, PAGE_503)
        self.assertGreater(el, 1.8)
        self.assertLess(el, 3.0)

    def two(self, balance, opts):
        self.good = self.origin('good')
        return self.be(f'    balance {balance}\n{opts}',
                       f'    server dead 127.0.0.1:{free_port()}\n'
                       f'    server good {self.good.addr}')

    def test_redispatch_roundrobin_moves_at_once(self):
        for balance in ('roundrobin', 'static-rr', 'leastconn'):
            port = self.two(balance, '    retries 2\n    option redispatch')
            for _ in range(4):
                r, el = self.timed(port)
                self.assertEqual((r.status, r.header('x-origin')), (200, 'good'), balance)
                self.assertLess(el, 0.5, balance)

    def keys_on(self, ht, name, n=2):
        m = M.Backend([M.Srv('dead'), M.Srv('good')], M.HashType(ht))
        out = [f'/k{i}' for i in range(100)
               if m.pick_bytes(M.uri_key(f'/k{i}')).name == name]
        return out[:n]

    def test_redispatch_consistent_hash_avoids_dead_server(self):
        # consistent hashing has avoid handling: after one retry (~1 s) the last retry is
        # redispatched to the next server on the ring
        port = self.two('uri\n    hash-type consistent', '    retries 2\n    option redispatch')
        for path in self.keys_on('consistent', 'dead'):
            r, el = self.timed(port, path)
            self.assertEqual((r.status, r.header('x-origin')), (200, 'good'), path)
            self.assertGreater(el, 0.8)
            self.assertLess(el, 2.0)
        for path in self.keys_on('consistent', 'good'):
            r, el = self.timed(port, path)
            self.assertEqual(r.header('x-origin'), 'good')
            self.assertLess(el, 0.5)

    def test_no_redispatch_consistent_hash_gives_503(self):
        port = self.two('uri\n    hash-type consistent', '    retries 2')
        path = self.keys_on('consistent', 'dead', 1)[0]
        r, el = self.timed(port, path)
        self.assertEqual(r.raw, PAGE_503)
        self.assertGreater(el, 1.8)

    def test_redispatch_map_based_hash_rehashes_to_same_server(self):
        # map-based hashing has no avoid handling: the redispatch re-hashes to the dead
        # server, 503 after the one ~1 s turn-around
        port = self.two('uri', '    retries 2\n    option redispatch')
        path = self.keys_on('map-based', 'dead', 1)[0]
        r, el = self.timed(port, path)
        self.assertEqual(r.raw, PAGE_503)
        self.assertGreater(el, 0.8)
        self.assertLess(el, 1.8)

    def test_redispatch_interval(self):
        # `option redispatch 2`: redispatch on every 2nd retry -> retry 1 same server after
        # ~1 s, retry 2 redispatched to the good server
        port = self.two('uri\n    hash-type consistent', '    retries 3\n    option redispatch 2')
        path = self.keys_on('consistent', 'dead', 1)[0]
        r, el = self.timed(port, path)
        self.assertEqual(r.header('x-origin'), 'good')
        self.assertGreater(el, 0.8)
        self.assertLess(el, 1.8)

    # ---- never twice once the server answered -----------------------------------------------
    def once(self, path, method='GET', body=b''):
        o = self.origin('o')
        port = self.be('    retries 3\n    option redispatch\n    balance roundrobin',
                       f'    server o1 {o.addr}\n    server o2 {o.addr}')
        with Client(port) as c:
            c.send(f'{method} {path} HTTP/1.1\r\nHost: test\r\ncontent-length: {len(body)}'
                   '\r\n\r\n'.encode() + body)
            try:
                got = (c.read_until_close(5) if path == '/partial'
                       else c.read_response(method, timeout=5).raw)
            except Exception as e:  # noqa: BLE001
                got = repr(e).encode()
        self.assertTrue(o.wait_requests(1))
        self.assertFalse(wait_until(lambda: o.request_count() > 1, 0.5),
                         f'{path} sent {o.request_count()} times')
        return got

    def test_truncated_response_not_retried(self):
        got = self.once('/partial')
        # the client got the head and the 10 bytes, then the connection was closed
        self.assertTrue(got.startswith(b'HTTP/1.1 200 OK\r\n'), got)
        self.assertTrue(got.endswith(b'0123456789'), got)

    def test_close_without_answer_not_retried(self):
        self.assertEqual(self.once('/close'), PAGE_502)

    def test_post_close_without_answer_not_retried(self):
        self.assertEqual(self.once('/close', 'POST', b'x' * 1000), PAGE_502)

    def test_garbage_not_retried(self):
        self.assertEqual(self.once('/garbage'), PAGE_502)


if __name__ == '__main__':
    unittest.main()
