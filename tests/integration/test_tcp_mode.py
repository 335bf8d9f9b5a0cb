"""mode tcp: bidirectional forwarding (large, hashed), half-close, timeouts client/server/
tunnel/connect, roundrobin and source in tcp mode, server maxconn, retries/redispatch."""

import hashlib
import os
import random
import socket
import threading
import time
import unittest

from harness import ProxyTestCase, TcpOrigin, Listener, wait_until, free_port
from harness import lbmodel as M


def tcp_connect(port, source=None, timeout=10.0):
    s = socket.create_connection(('127.0.0.1', port), timeout=timeout,
                                 source_address=(source, 0) if source else None)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_line(s, timeout=5.0):
    s.settimeout(timeout)
    buf = b''
    while not buf.endswith(b'\n'):
        d = s.recv(4096)
        if not d:
            break
        buf += d
    return buf


def read_to_eof(s, timeout=5.0):
    """Everything until EOF; returns (bytes, seconds waited). Raises socket.timeout."""
    t0 = time.monotonic()
    s.settimeout(timeout)
    buf = b''
    while True:
        try:
            d = s.recv(262144)
        except ConnectionResetError:
            d = b''
        if not d:
            return buf, time.monotonic() - t0
        buf += d


class TcpModeTest(ProxyTestCase):
    def tcp(self, origins, balance='roundrobin', backend='', timeouts=None, server_opts=None,
            extra_servers=''):
        t = {'connect': '2s', 'client': '10s', 'server': '10s'}
        t.update(timeouts or {})
        tl = '\n'.join(f'    timeout {k} {v}' for k, v in t.items() if v)
        server_opts = server_opts or {}
        srv = '\n'.join(f'    server {o.name} {o.addr} {server_opts.get(o.name, "")}'
                        for o in origins)
        fe = self.listener()
        cfg = f"""
defaults
    mode tcp
{tl}
listen app
    bind {fe.bind}
    balance {balance}
{backend}
{srv}
{extra_servers}
"""
        p = self.proxy(cfg, [fe])
        return p, fe

    # ---- data ------------------------------------------------------------------------------
    def test_bidirectional_large_transfer(self):
        o = TcpOrigin('e', mode='echo')
        self.addCleanup(o.stop)
        _, fe = self.tcp([o])
        size = 16 << 20
        data_hash = hashlib.sha256()
        s = tcp_connect(fe.port)
        self.addCleanup(s.close)

        def sender():
            rnd = random.Random(1)
            left = size
            while left:
                blk = rnd.randbytes(min(65536, left))
                data_hash.update(blk)
                s.sendall(blk)
                left -= len(blk)
            s.shutdown(socket.SHUT_WR)

        th = threading.Thread(target=sender, daemon=True)
        th.start()
        got_hash = hashlib.sha256()
        n = 0
        s.settimeout(20)
        while True:
            d = s.recv(262144)
            if not d:
                break
            got_hash.update(d)
            n += len(d)
        th.join(20)
        self.assertEqual(n, size)
        self.assertEqual(got_hash.hexdigest(), data_hash.hexdigest())

    def test_half_close_client_still_receives_answer(self):
        o = TcpOrigin('d', mode='digest')
        self.addCleanup(o.stop)
        _, fe = self.tcp([o])
        payload = os.urandom(1 << 20)
        s = tcp_connect(fe.port)
        self.addCleanup(s.close)
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        out, _ = read_to_eof(s, 10)
        self.assertEqual(out, f'{len(payload)} {hashlib.sha256(payload).hexdigest()}\n'
                         .encode())

    def test_server_close_propagates(self):
        o = TcpOrigin('c', mode='close')
        self.addCleanup(o.stop)
        _, fe = self.tcp([o])
        s = tcp_connect(fe.port)
        self.addCleanup(s.close)
        s.sendall(b'hello')
        out, _ = read_to_eof(s, 5)
        self.assertEqual(out, b'')

    # ---- timeouts ----------------------------------------------------------------------------
    def _idle_close_time(self, timeouts, limit=5.0):
        o = TcpOrigin('h', mode='hold')
        self.addCleanup(o.stop)
        _, fe = self.tcp([o], timeouts=timeouts)
        s = tcp_connect(fe.port)
        self.addCleanup(s.close)
        s.sendall(b'x')
        self.assertTrue(wait_until(lambda: o.conns() and o.conns()[0].data() == b'x', 5))
        t0 = time.monotonic()
        out, _ = read_to_eof(s, limit)
        el = time.monotonic() - t0
        self.assertEqual(out, b'')
        # the server side is closed too
        self.assertTrue(o.conns()[0].eof.wait(2) or o.conns()[0].closed.wait(2))
        return el

    def test_timeout_client(self):
        el = self._idle_close_time({'client': '400ms', 'server': '10s'})
        self.assertGreater(el, 0.3)
        self.assertLess(el, 1.5)

    def test_timeout_server(self):
        # HAProxy 2.6: on `timeout server` expiry in tcp mode the client receives a FIN, but
        # the server connection stays open (not even half-closed) and the client->server
        # direction still forwards; everything is closed when the client closes.
        o = TcpOrigin('h', mode='hold')
        self.addCleanup(o.stop)
        _, fe = self.tcp([o], timeouts={'client': '10s', 'server': '400ms'})
        s = tcp_connect(fe.port)
        self.addCleanup(s.close)
        s.sendall(b'x')
        self.assertTrue(wait_until(lambda: o.conns() and o.conns()[0].data() == b'x', 5))
        c = o.conns()[0]
        t0 = time.monotonic()
        out, _ = read_to_eof(s, 5)
        el = time.monotonic() - t0
        self.assertEqual(out, b'')
        self.assertGreater(el, 0.3)
        self.assertLess(el, 1.5)
        self.assertFalse(wait_until(lambda: c.eof.is_set() or c.closed.is_set(), 0.5),
                         'server side closed at the server timeout')
        s.sendall(b'more')
        self.assertTrue(wait_until(lambda: c.data() == b'xmore', 3), c.data())
        s.close()
        self.assertTrue(wait_until(lambda: c.eof.is_set() or c.closed.is_set(), 3))

    def _half_closed_close_time(self, timeouts, limit=5.0):
        """The client sends a byte and half-closes; the server neither answers nor closes."""
        release = threading.Event()

        def hold_after_eof(origin, c):
            while c.recv_record():
                pass
            c.eof.set()
            release.wait(10)   # keeps its side open until the test ends
        o = TcpOrigin('h', handler=hold_after_eof)
        self.addCleanup(o.stop)
        self.addCleanup(release.set)
        _, fe = self.tcp([o], timeouts=timeouts)
        s = tcp_connect(fe.port)
        self.addCleanup(s.close)
        s.sendall(b'x')
        s.shutdown(socket.SHUT_WR)
        self.assertTrue(wait_until(lambda: o.conns() and o.conns()[0].eof.is_set(), 5),
                        'the half-close did not reach the server')
        t0 = time.monotonic()
        out, _ = read_to_eof(s, limit)
        self.assertEqual(out, b'')
        return time.monotonic() - t0

    def test_timeout_server_fin(self):
        # once one direction is shut, `timeout server-fin` replaces `timeout server`
        el = self._half_closed_close_time({'client': '10s', 'server': '10s', 'server-fin': '400ms'})
        self.assertGreater(el, 0.25)
        self.assertLess(el, 2.0)

    def test_timeout_tunnel_supersedes_client_and_server(self):
        el = self._idle_close_time({'client': '300ms', 'server': '300ms', 'tunnel': '1500ms'})
        self.assertGreater(el, 1.2)
        self.assertLess(el, 3.0)

    def test_timeout_connect(self):
        # a listener whose accept queue is full: SYNs are dropped, connect never completes
        full = Listener(backlog=0)
        self.addCleanup(full.close)
        fillers = []
        for _ in range(4):
            try:
                f = socket.socket()
                f.setblocking(False)
                f.connect_ex(('127.0.0.1', full.port))
                fillers.append(f)
            except OSError:
                pass
        self.addCleanup(lambda: [f.close() for f in fillers])
        fe = self.listener()
        cfg = f"""
defaults
    mode tcp
    timeout connect 300ms
    timeout client 10s
    timeout server 10s
    retries 1
listen app
    bind {fe.bind}
    server s1 127.0.0.1:{full.port}
"""
        self.proxy(cfg, [fe])
        t0 = time.monotonic()
        s = tcp_connect(fe.port)
        self.addCleanup(s.close)
        out, _ = read_to_eof(s, 6)
        el = time.monotonic() - t0
        self.assertEqual(out, b'')
        # two attempts of 300 ms (plus HAProxy's turn-around): closed in well under 3 s
        self.assertGreater(el, 0.55)
        self.assertLess(el, 3.0)

    # ---- balancing -----------------------------------------------------------------------------
    def banners(self, fe, n, sources=None):
        out = []
        for i in range(n):
            s = tcp_connect(fe.port, source=sources[i] if sources else None)
            try:
                out.append(read_line(s).decode().strip())
            finally:
                s.close()
        return out

    def test_roundrobin(self):
        os_ = [TcpOrigin(f's{i}') for i in (1, 2, 3)]
        for o in os_:
            self.addCleanup(o.stop)
        _, fe = self.tcp(os_)
        self.assertEqual(self.banners(fe, 9), ['s1', 's2', 's3'] * 3)

    def test_roundrobin_weights(self):
        os_ = [TcpOrigin(f's{i}') for i in (1, 2, 3)]
        for o in os_:
            self.addCleanup(o.stop)
        _, fe = self.tcp(os_, server_opts={'s1': 'weight 1', 's2': 'weight 2',
                                           's3': 'weight 3'})
        self.assertEqual(self.banners(fe, 12), ['s3', 's2', 's3', 's1', 's3', 's2'] * 2)

    def test_source(self):
        os_ = [TcpOrigin(f's{i}') for i in (1, 2, 3)]
        for o in os_:
            self.addCleanup(o.stop)
        _, fe = self.tcp(os_, balance='source')
        rnd = random.Random(2)
        srcs = sorted({'127.%d.%d.%d' % (rnd.randrange(256), rnd.randrange(256),
                                         rnd.randrange(1, 255)) for _ in range(200)})
        got = self.banners(fe, len(srcs), srcs)
        m = M.Backend([M.Srv('s1'), M.Srv('s2'), M.Srv('s3')], M.HashType('map-based'))
        exp = [m.pick_source(s).name for s in srcs]
        self.assertEqual(got, exp)
        # and a source always goes to the same server
        self.assertEqual(self.banners(fe, 3, srcs[:3]), exp[:3])

    def test_server_maxconn_queues_connection(self):
        o = TcpOrigin('s1', mode='banner')
        self.addCleanup(o.stop)
        _, fe = self.tcp([o], server_opts={'s1': 'maxconn 1'}, timeouts={'queue': '5s'})
        a = tcp_connect(fe.port)
        self.addCleanup(a.close)
        self.assertEqual(read_line(a), b's1\n')
        b = tcp_connect(fe.port)
        self.addCleanup(b.close)
        b.sendall(b'queued')
        # b waits in the queue: the origin sees no second connection while a is open
        self.assertFalse(wait_until(lambda: o.connection_count() > 1, 0.5))
        a.close()
        self.assertEqual(read_line(b), b's1\n')
        self.assertTrue(wait_until(lambda: o.conns()[1].data() == b'queued', 5))

    def retry_cfg(self, balance, opts, good):
        dead = free_port()
        fe = self.listener()
        cfg = f"""
defaults
    mode tcp
    timeout connect 1s
    timeout client 10s
    timeout server 10s
listen app
    bind {fe.bind}
    balance {balance}
{opts}
    server dead 127.0.0.1:{dead}
    server good {good.addr}
"""
        self.proxy(cfg, [fe])
        return fe

    def attempts(self, fe, sources):
        """One connection per source: (answer, seconds until the proxy closed it)."""
        out = []
        for src in sources:
            t0 = time.monotonic()
            s = tcp_connect(fe.port, source=src)
            try:
                s.sendall(b'x')
                s.shutdown(socket.SHUT_WR)
                data, _ = read_to_eof(s, 8)
            finally:
                s.close()
            out.append((data, time.monotonic() - t0))
        return out

    def test_redispatch_roundrobin_is_immediate(self):
        # HAProxy 2.6: with a round-robin algorithm, more than one active server and
        # `option redispatch`, a refused connect is re-balanced at once (no 1 s turn-around):
        # every connection reaches the good server without delay.
        good = TcpOrigin('good')
        self.addCleanup(good.stop)
        fe = self.retry_cfg('roundrobin', '    retries 2\n    option redispatch', good)
        res = self.attempts(fe, ['127.0.0.1'] * 4)
        self.assertEqual([d for d, _ in res], [b'good\n'] * 4)
        self.assertLess(max(t for _, t in res), 0.7, res)

    def test_retries_without_redispatch_stay_on_server(self):
        # without redispatch the retries stay on the refused server, ~1 s apart, then the
        # client is closed with nothing; the next connection goes to the good one (rr)
        good = TcpOrigin('good')
        self.addCleanup(good.stop)
        fe = self.retry_cfg('roundrobin', '    retries 1', good)
        res = self.attempts(fe, ['127.0.0.1'] * 2)
        self.assertEqual([d for d, _ in res], [b'', b'good\n'], res)
        self.assertGreater(res[0][1], 0.8, res)
        self.assertLess(res[0][1], 2.5, res)
        self.assertLess(res[1][1], 0.7, res)

    def test_redispatch_with_map_based_hash_rehashes_to_same_server(self):
        # balance source (map-based: no avoid handling). 127.0.0.1 -> good, 127.0.0.2 -> dead.
        # retries 2 + redispatch: one retry after ~1 s on dead, then the redispatch re-hashes
        # to dead again without waiting: closed with nothing after ~1 s.
        good = TcpOrigin('good')
        self.addCleanup(good.stop)
        fe = self.retry_cfg('source', '    retries 2\n    option redispatch', good)
        res = self.attempts(fe, ['127.0.0.1', '127.0.0.2'])
        self.assertEqual([d for d, _ in res], [b'good\n', b''], res)
        self.assertLess(res[0][1], 0.7, res)
        self.assertGreater(res[1][1], 0.8, res)
        self.assertLess(res[1][1], 1.8, res)


if __name__ == '__main__':
    unittest.main()
