"""Server queues: `server ... maxconn 1` with slow requests, FIFO service, `timeout queue`
(503), a queued request whose client left, `maxqueue` (hash: 503 at once; round robin: the
backend queue takes it)."""

import socket
import struct
import threading
import time
import unittest

from harness import ProxyTestCase, Client, wait_until

PAGE_503 = (b'HTTP/1.1 503 Service Unavailable\r\ncontent-length: 107\r\n'
            b'cache-control: no-cache\r\ncontent-type: text/html\r\n\r\n'
            b'<html><body><h1>503 Service Unavailable</h1>\n'
            b'No server is available to handle this request.\n</body></html>\n')


class Pending:
    """A request sent on its own connection; the response is read in a thread."""

    def __init__(self, port, path, timeout=10.0):
        self.path = path
        self.sent_at = time.monotonic()
        self.c = Client(port, timeout=timeout)
        self.c.send(f'GET {path} HTTP/1.1\r\nHost: test\r\n\r\n')
        self.resp = None
        self.error = None
        self.done_at = None
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        try:
            self.resp = self.c.read_response()
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.error = e
        self.done_at = time.monotonic()

    def wait(self, timeout=10.0):
        self.t.join(timeout)
        return self.resp

    @property
    def elapsed(self):
        return self.done_at - self.sent_at

    def close(self, rst=False):
        if rst:
            self.c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            # The reader thread blocks in recv() on this socket: closing the fd alone would not
            # release the socket (nor send the reset) until recv() returns. Shutting down the
            # reading side wakes it without sending anything; the close then resets.
            try:
                self.c.sock.shutdown(socket.SHUT_RD)
            except OSError:
                pass
            self.t.join(2)
        self.c.close()


class QueueTest(ProxyTestCase):
    def setup_be(self, backend='', server='maxconn 1', n=1, queue='5s', glob=''):
        self.srv = [self.origin(f's{i}') for i in range(1, n + 1)]
        servers = '\n'.join(f'    server {o.name} {o.addr} {server}' for o in self.srv)
        fe = self.listener()
        cfg = f"""
global
{glob}
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
    timeout queue {queue}
frontend fe
    bind {fe.bind}
    default_backend be
backend be
{backend}
{servers}
"""
        self.proxy(cfg, [fe])
        self.port = fe.port
        return self.srv[0]

    def send(self, path):
        p = Pending(self.port, path)
        self.addCleanup(p.close)
        return p

    def targets(self, o):
        return [r.target for r in o.requests]

    def test_second_request_waits_for_the_slot(self):
        o = self.setup_be()
        a = self.send('/delay/700')
        self.assertTrue(o.wait_requests(1))
        b = self.send('/b')
        # b is queued: the origin sees nothing more while a is being served
        self.assertFalse(wait_until(lambda: o.request_count() > 1, 0.4))
        self.assertEqual(a.wait().status, 200)
        self.assertEqual(b.wait().status, 200)
        self.assertEqual(self.targets(o), ['/delay/700', '/b'])
        self.assertGreaterEqual(o.requests[1].received_at, a.done_at - 0.05)
        self.assertGreater(b.elapsed, 0.25)

    def test_queued_requests_served_in_order(self):
        # one thread: with several, requests sent back to back on different connections
        # reach the queue in an order the threads decide (haproxy with 2 threads: 2/8 runs
        # gave /q2 before /q1); on one thread, queue order = arrival order
        o = self.setup_be(glob='    nbthread 1')
        a = self.send('/delay/500')
        self.assertTrue(o.wait_requests(1))
        rest = [self.send(f'/q{i}') for i in range(1, 6)]
        for p in [a] + rest:
            r = p.wait()
            self.assertIsNotNone(r, p.error)
            self.assertEqual(r.status, 200)
        self.assertEqual(self.targets(o), ['/delay/500'] + [f'/q{i}' for i in range(1, 6)])

    def test_timeout_queue_gives_503(self):
        o = self.setup_be(queue='400ms')
        a = self.send('/delay/1500')
        self.assertTrue(o.wait_requests(1))
        b = self.send('/b')
        r = b.wait()
        self.assertIsNotNone(r, b.error)
        self.assertEqual(r.raw, PAGE_503)
        self.assertGreater(b.elapsed, 0.3)
        self.assertLess(b.elapsed, 1.2)
        # the connection stays usable (stream-level error page, no Connection: close)
        self.assertEqual(a.wait().status, 200)
        b.c.send('GET /after HTTP/1.1\r\nHost: test\r\n\r\n')
        self.assertEqual(b.c.read_response().status, 200)
        self.assertNotIn('/b', self.targets(o))

    def test_maxqueue_full_with_hash_gives_503_at_once(self):
        # balance uri: every /same goes to the same server; a full server is not skipped by
        # a map-based hash, and with its queue full the request is refused at once
        self.setup_be(backend='    balance uri', server='maxconn 1 maxqueue 1', n=2)
        a = self.send('/delay/600/same')
        self.assertTrue(wait_until(lambda: sum(o.request_count() for o in self.srv) == 1, 5))
        b = self.send('/delay/600/same')
        self.assertFalse(wait_until(lambda: sum(o.request_count() for o in self.srv) > 1, 0.2))
        c = self.send('/delay/600/same')
        r = c.wait()
        self.assertIsNotNone(r, c.error)
        self.assertEqual(r.raw, PAGE_503)
        self.assertLess(c.elapsed, 0.4)
        ra, rb = a.wait(), b.wait()
        self.assertEqual((ra.status, rb.status), (200, 200))
        self.assertEqual(ra.header('x-origin'), rb.header('x-origin'))

    def test_maxqueue_full_round_robin_uses_backend_queue(self):
        # one server, roundrobin: with the server queue full the request waits in the
        # backend queue and is served in turn (no 503)
        o = self.setup_be(server='maxconn 1 maxqueue 1')
        a = self.send('/delay/500')
        self.assertTrue(o.wait_requests(1))
        b = self.send('/b')
        c = self.send('/c')
        for p in (a, b, c):
            r = p.wait()
            self.assertIsNotNone(r, p.error)
            self.assertEqual(r.status, 200)
        self.assertEqual(sorted(self.targets(o)), ['/b', '/c', '/delay/500'])

    def test_maxconn_spreads_over_servers(self):
        # roundrobin with maxconn 1 on two servers: concurrent slow requests take both slots,
        # the next ones queue and go to whichever frees first
        self.setup_be(server='maxconn 1', n=2)
        ps = [self.send('/delay/400') for _ in range(4)]
        for p in ps:
            r = p.wait()
            self.assertIsNotNone(r, p.error)
            self.assertEqual(r.status, 200)
        self.assertEqual([o.request_count() for o in self.srv], [2, 2])
        self.assertGreater(max(p.elapsed for p in ps), 0.7)


if __name__ == '__main__':
    unittest.main()
