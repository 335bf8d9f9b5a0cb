"""Pipelined requests are answered in order, on one client connection."""

import unittest

from harness import ProxyTestCase, Client


class PipeliningTest(ProxyTestCase):
    def test_three_pipelined_requests_answered_in_order(self):
        o = self.origin('s1')
        p, fe = self.simple([o])
        with Client(fe.port) as c:
            # the first one is slow: answers must still come back in request order
            c.send(b'GET /delay/200/echo HTTP/1.1\r\nHost: a\r\n\r\n'
                   b'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nsecond'
                   b'GET /size/10 HTTP/1.1\r\nHost: a\r\n\r\n')
            r1 = c.read_response()
            r2 = c.read_response()
            r3 = c.read_response()
            self.assertEqual([r1.status, r2.status, r3.status], [200, 200, 200])
            self.assertEqual(r1.body, b'')
            self.assertEqual(r2.body, b'second')
            self.assertEqual(len(r3.body), 10)
            # and the connection is still usable afterwards
            r4 = c.request('GET', '/')
            self.assertEqual(r4.body, b's1\n')
        self.assertEqual([q.target for q in o.requests],
                         ['/delay/200/echo', '/echo', '/size/10', '/'])

    def test_pipelined_head_and_get(self):
        o = self.origin('s1')
        p, fe = self.simple([o])
        with Client(fe.port) as c:
            c.send(b'HEAD /size/100 HTTP/1.1\r\nHost: a\r\n\r\n'
                   b'GET /size/7 HTTP/1.1\r\nHost: a\r\n\r\n')
            r1 = c.read_response('HEAD')
            r2 = c.read_response('GET')
            self.assertEqual(r1.status, 200)
            self.assertEqual(r1.header('content-length'), '100')
            self.assertEqual(r1.body, b'')
            self.assertEqual(len(r2.body), 7)

    def test_many_pipelined_requests(self):
        o = self.origin('s1')
        p, fe = self.simple([o])
        n = 50
        with Client(fe.port) as c:
            c.send(b''.join(b'GET /n%d HTTP/1.1\r\nHost: a\r\n\r\n' % i for i in range(n)))
            for i in range(n):
                r = c.read_response()
                self.assertEqual(r.status, 200)
        self.assertEqual([q.target for q in o.requests], [f'/n{i}' for i in range(n)])


if __name__ == '__main__':
    unittest.main()
