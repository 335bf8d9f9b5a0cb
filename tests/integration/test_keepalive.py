"""Keep-alive on both sides, server connection reuse, http-server-close, HTTP/1.0."""

import http.client
import unittest

from harness import ProxyTestCase, Client, wait_until


class KeepAliveTest(ProxyTestCase):
    def test_several_requests_on_one_client_connection(self):
        o = self.origin('s1')
        p, fe = self.simple([o])
        conn = http.client.HTTPConnection('127.0.0.1', fe.port, timeout=5)
        self.addCleanup(conn.close)
        for i in range(5):
            conn.request('GET', f'/req{i}')
            r = conn.getresponse()
            self.assertEqual(r.status, 200)
            self.assertEqual(r.read(), b's1\n')
            self.assertFalse(r.will_close, 'proxy closed a keep-alive client connection')
        self.assertEqual([q.target for q in o.requests], [f'/req{i}' for i in range(5)])

    def test_server_connection_reused_with_http_keep_alive(self):
        o = self.origin('s1')
        p, fe = self.simple([o], frontend='    option http-keep-alive')
        with Client(fe.port) as c:
            for i in range(10):
                r = c.request('GET', f'/k{i}')
                self.assertEqual(r.status, 200)
        self.assertEqual(o.request_count(), 10)
        self.assertLess(o.connection_count(), 10,
                        'backend saw one connection per request despite http-keep-alive')
        self.assertEqual(o.connection_count(), 1)

    def test_http_reuse_never_keeps_a_private_server_connection(self):
        # the server connection stays with its client for the next requests, but a second
        # client never gets it: two clients, two server connections
        o = self.origin('s1')
        p, fe = self.simple([o], backend='    http-reuse never')
        with Client(fe.port) as a:
            for i in range(4):
                self.assertEqual(a.request('GET', f'/a{i}').status, 200)
            self.assertEqual(o.connection_count(), 1)
            with Client(fe.port) as b:
                for i in range(3):
                    self.assertEqual(b.request('GET', f'/b{i}').status, 200)
            self.assertEqual(a.request('GET', '/a4').status, 200)
        self.assertEqual(o.request_count(), 8)
        self.assertEqual(o.connection_count(), 2)
        first, second = (bytes(c.raw) for c in o.connections)
        self.assertEqual([t in first for t in (b'/a0 ', b'/a3 ', b'/a4 ', b'/b0 ')], [True, True, True, False])
        self.assertEqual([t in second for t in (b'/b0 ', b'/b2 ', b'/a0 ')], [True, True, False])

    def test_http_server_close_one_server_connection_per_request(self):
        o = self.origin('s1')
        p, fe = self.simple([o], frontend='    option http-server-close')
        with Client(fe.port) as c:
            for i in range(5):
                r = c.request('GET', f'/c{i}')
                self.assertEqual(r.status, 200)
                self.assertEqual(r.body, b's1\n')
        # the client connection stayed open (5 answers on one socket), the server side did not
        self.assertEqual(o.request_count(), 5)
        self.assertEqual(o.connection_count(), 5)
        # each forwarded request asks the server to close
        for q in o.requests:
            self.assertIn('close', (q.header('connection') or '').lower(), q.raw_head)

    def test_httpclose_closes_client_connection(self):
        o = self.origin('s1')
        p, fe = self.simple([o], frontend='    option httpclose')
        with Client(fe.port) as c:
            r = c.request('GET', '/')
            self.assertEqual(r.status, 200)
            self.assertIn('close', (r.header('connection') or '').lower())
            self.assertTrue(c.is_closed_by_peer(3), 'option httpclose left the client open')

    def test_http10_client_without_keepalive_is_closed(self):
        o = self.origin('s1')
        p, fe = self.simple([o])
        with Client(fe.port) as c:
            r = c.request('GET', '/', version='HTTP/1.0')
            self.assertEqual(r.status, 200)
            self.assertEqual(r.body, b's1\n')
            self.assertTrue(c.is_closed_by_peer(3))

    def test_http10_client_with_keepalive_stays_open(self):
        o = self.origin('s1')
        p, fe = self.simple([o])
        with Client(fe.port) as c:
            for _ in range(3):
                r = c.request('GET', '/', version='HTTP/1.0', headers=['Connection: keep-alive'])
                self.assertEqual(r.status, 200)
                self.assertEqual(r.body, b's1\n')
                self.assertEqual((r.header('connection') or '').lower(), 'keep-alive')

    def test_server_closing_does_not_close_client(self):
        o = self.origin('s1')
        p, fe = self.simple([o])
        with Client(fe.port) as c:
            r = c.request('GET', '/keepalive-close')
            self.assertEqual(r.status, 200)
            r = c.request('GET', '/again')
            self.assertEqual(r.status, 200)
        self.assertTrue(wait_until(lambda: o.connection_count() == 2, 2))


if __name__ == '__main__':
    unittest.main()
