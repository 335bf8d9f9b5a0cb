"""Request and response bodies: content-length, chunked, HEAD/204/304, and large streamed
bodies (50 MB each way) with an integrity hash and bounded proxy memory."""

import hashlib
import threading
import time
import unittest

from harness import ProxyTestCase, Client, pattern_bytes, pattern_digest

BIG = 50 * 1024 * 1024
RSS_GROWTH_LIMIT_KB = 16 * 1024   # the proxy must not buffer a 50 MB body (both grow < 100 kB)


class RssSampler:
    """Samples /proc/PID/status VmRSS in a thread during a transfer."""

    def __init__(self, proxy):
        self.proxy = proxy
        self.base = proxy.rss_kb()
        self.peak = self.base
        self.stop = threading.Event()
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stop.wait(0.02):
            self.peak = max(self.peak, self.proxy.rss_kb())

    def finish(self):
        self.stop.set()
        self.t.join(2)
        self.peak = max(self.peak, self.proxy.rss_kb())
        return self.peak - self.base


class BodiesTest(ProxyTestCase):
    def test_content_length_request_body_forwarded(self):
        o = self.origin('s1')
        p, fe = self.simple([o])
        with Client(fe.port) as c:
            r = c.request('POST', '/echo', body=b'hello world')
            self.assertEqual(r.status, 200)
            self.assertEqual(r.body, b'hello world')
        self.assertEqual(o.requests[0].body, b'hello world')
        self.assertEqual(o.requests[0].header('content-length'), '11')

    def test_chunked_request_body(self):
        o = self.origin('s1')
        p, fe = self.simple([o])
        with Client(fe.port) as c:
            c.send(b'POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n'
                   b'5\r\nhello\r\n1;ext=1\r\n \r\n6\r\nworld!\r\n0\r\n\r\n')
            r = c.read_response()
            self.assertEqual(r.status, 200)
            self.assertEqual(r.body, b'hello world!')
            # the connection survives a chunked body
            self.assertEqual(c.request('GET', '/').status, 200)
        q = o.requests[0]
        self.assertTrue(q.chunked, 'a chunked request must reach the server chunked')
        self.assertEqual(q.body, b'hello world!')

    def test_chunked_response_body(self):
        o = self.origin('s1')
        p, fe = self.simple([o])
        with Client(fe.port) as c:
            r = c.request('GET', '/chunked/100000')
            self.assertEqual(r.status, 200)
            self.assertTrue(r.chunked, 'a chunked response must reach an HTTP/1.1 client chunked')
            self.assertEqual(hashlib.sha256(r.body).hexdigest(), pattern_digest(100000))
            self.assertEqual(c.request('GET', '/').status, 200)

    def test_head_has_no_body(self):
        o = self.origin('s1')
        p, fe = self.simple([o])
        with Client(fe.port) as c:
            r = c.request('HEAD', '/size/1000')
            self.assertEqual(r.status, 200)
            self.assertEqual(r.header('content-length'), '1000')
            # nothing may follow the head: the next response must start right away
            r2 = c.request('GET', '/')
            self.assertEqual(r2.status_line, 'HTTP/1.1 200 OK')
            self.assertEqual(r2.body, b's1\n')

    def test_204_has_no_body(self):
        o = self.origin('s1')
        p, fe = self.simple([o])
        with Client(fe.port) as c:
            r = c.request('GET', '/status/204')
            self.assertEqual(r.status, 204)
            self.assertIsNone(r.header('transfer-encoding'))
            r2 = c.request('GET', '/')
            self.assertEqual(r2.status_line, 'HTTP/1.1 200 OK')
            self.assertEqual(r2.body, b's1\n')

    def test_304_has_no_body(self):
        o = self.origin('s1')
        p, fe = self.simple([o])
        with Client(fe.port) as c:
            r = c.request('GET', '/status/304', headers=['If-None-Match: "x"'])
            self.assertEqual(r.status, 304)
            r2 = c.request('GET', '/')
            self.assertEqual(r2.status_line, 'HTTP/1.1 200 OK')
            self.assertEqual(r2.body, b's1\n')

    def test_50mb_download_streamed(self):
        o = self.origin('s1')
        p, fe = self.simple([o])
        sampler = RssSampler(p)
        h = hashlib.sha256()
        n = [0]

        def sink(b):
            h.update(b)
            n[0] += len(b)
            if n[0] < 4 << 20:
                time.sleep(0.0005)  # a slower reader at first: the proxy must apply backpressure
        with Client(fe.port, timeout=60) as c:
            c.send(b'GET /size/%d HTTP/1.1\r\nHost: a\r\n\r\n' % BIG)
            r = c.read_response(body_sink=sink, timeout=60)
        growth = sampler.finish()
        self.assertEqual(r.status, 200)
        self.assertEqual(n[0], BIG)
        self.assertEqual(h.hexdigest(), pattern_digest(BIG))
        self.assertLess(growth, RSS_GROWTH_LIMIT_KB,
                        f'proxy RSS grew by {growth} kB during a 50 MB download')

    def test_50mb_chunked_download_streamed(self):
        o = self.origin('s1')
        p, fe = self.simple([o])
        sampler = RssSampler(p)
        h = hashlib.sha256()
        with Client(fe.port, timeout=60) as c:
            c.send(b'GET /chunked/%d HTTP/1.1\r\nHost: a\r\n\r\n' % BIG)
            r = c.read_response(body_sink=h.update, timeout=60)
        growth = sampler.finish()
        self.assertEqual(r.status, 200)
        self.assertEqual(h.hexdigest(), pattern_digest(BIG))
        self.assertLess(growth, RSS_GROWTH_LIMIT_KB)

    def _upload(self, chunked):
        o = self.origin('s1')
        p, fe = self.simple([o])
        sampler = RssSampler(p)
        h = hashlib.sha256()
        with Client(fe.port, timeout=60) as c:
            if chunked:
                c.send(b'POST /digest HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n')
            else:
                c.send(b'POST /digest HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n' % BIG)
            for blk in pattern_bytes(BIG):
                h.update(blk)
                c.send(b'%x\r\n' % len(blk) + blk + b'\r\n' if chunked else blk)
            if chunked:
                c.send(b'0\r\n\r\n')
            r = c.read_response(timeout=60)
        growth = sampler.finish()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body.decode(), f'{BIG} {h.hexdigest()}')
        self.assertLess(growth, RSS_GROWTH_LIMIT_KB,
                        f'proxy RSS grew by {growth} kB during a 50 MB upload')

    def test_50mb_upload_streamed(self):
        self._upload(chunked=False)

    def test_50mb_chunked_upload_streamed(self):
        self._upload(chunked=True)


if __name__ == '__main__':
    unittest.main()
