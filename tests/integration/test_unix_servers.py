"""Servers on unix sockets (`server s unix@/path` and `server s /path`), in mode http (keep-alive
reuse of the server connection included) and mode tcp, and a unix server that is not there
(503 after the retries). The origin is a small HTTP server on a unix socket that names the
request it got; the suite runs every test against both portero and haproxy."""

import os
import socket
import threading
import unittest

from harness import ProxyTestCase, Client, DEFAULTS, wait_until
from harness.cli import cli


class UnixOrigin:
    """Answers every request with 200 and `x-got: <request line>`; counts connections."""

    def __init__(self, path, name='s1', prefix='unix@'):
        self.path = path
        self.name = name
        self.addr = prefix + path   # as a `server` line writes it (harness simple())
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(64)
        self.connections = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        buf = b''
        with c:
            while True:
                while b'\r\n\r\n' not in buf:
                    d = c.recv(65536)
                    if not d:
                        return
                    buf += d
                head, buf = buf.split(b'\r\n\r\n', 1)
                line = head.split(b'\r\n', 1)[0]
                body = b'unix\n'
                c.sendall(b'HTTP/1.1 200 OK\r\nx-got: ' + line + b'\r\ncontent-length: %d\r\n\r\n' % len(body) + body)

    def stop(self):
        self.sock.close()


class UnixServersTest(ProxyTestCase):
    def unix_origin(self, prefix='unix@'):
        path = os.path.join(self.tmpdir(), 'origin.sock')
        o = UnixOrigin(path, prefix=prefix)
        self.addCleanup(o.stop)
        return o

    def test_http_unix_prefix_and_keepalive_reuse(self):
        o = self.unix_origin()
        _, fe = self.simple([o])
        with Client(fe.port) as c:
            for i in range(3):
                r = c.request('GET', f'/r{i}')
                self.assertEqual((r.status, r.body, r.header('x-got')), (200, b'unix\n', f'GET /r{i} HTTP/1.1'))
        self.assertEqual(o.connections, 1)   # one server connection, kept alive and reused

    def test_http_absolute_path_form(self):
        o = self.unix_origin(prefix='')
        _, fe = self.simple([o])
        with Client(fe.port) as c:
            self.assertEqual(c.request('GET', '/p').header('x-got'), 'GET /p HTTP/1.1')

    def test_tcp_mode(self):
        o = self.unix_origin()
        fe = self.listener()
        self.proxy(f"""
defaults
    mode tcp
    timeout connect 2s
    timeout client 10s
    timeout server 10s
listen l
    bind {fe.bind}
    server s1 unix@{o.path}
""", [fe])
        with socket.create_connection(('127.0.0.1', fe.port), timeout=10) as s:
            s.sendall(b'GET /t HTTP/1.1\r\nHost: x\r\n\r\n')
            got = b''
            while not got.endswith(b'unix\n'):
                d = s.recv(4096)
                if not d:
                    break
                got += d
        self.assertIn(b'\r\nx-got: GET /t HTTP/1.1\r\n', got)

    def test_missing_socket_is_503(self):
        class Missing:   # a server line to a socket nobody listens on
            name, addr = 's1', 'unix@' + os.path.join(self.tmpdir(), 'nobody.sock')
        _, fe = self.simple([Missing], backend='    retries 1')
        with Client(fe.port) as c:
            self.assertEqual(c.request('GET', '/', timeout=10).status, 503)

    def test_health_checks(self):
        o = self.unix_origin()
        fe = self.listener()
        sock = os.path.join(self.tmpdir(), 'admin.sock')
        missing = os.path.join(self.tmpdir(), 'nobody.sock')
        self.proxy(f"""
global
    stats socket {sock} level admin
""" + DEFAULTS + f"""
frontend fe
    bind {fe.bind}
    default_backend be
backend be
    option httpchk GET /health
    server up unix@{o.path} check inter 200 rise 1 fall 1
    server gone unix@{missing} check inter 200 rise 1 fall 1
""", [fe])
        states = {}
        def settled():
            lines = cli(sock, 'show stat').splitlines()
            cols = lines[0][2:].split(',')
            for line in lines[1:]:
                r = dict(zip(cols, line.split(',')))
                if r.get('pxname') == 'be' and r.get('svname') in ('up', 'gone'):
                    states[r['svname']] = (r['status'], r['check_status'], r['last_chk'])
            return states.get('up', ('',))[:2] == ('UP', 'L7OK') and states.get('gone', ('',))[0] == 'DOWN'
        self.assertTrue(wait_until(settled, 10), states)
        # the connect fails at once: HAProxy's socket error, with the system's words
        self.assertEqual(states['gone'][1:], ('SOCKERR', 'General socket error (No such file or directory)'))

    def test_abns_bind_and_server_chain(self):
        # an internal hop on an abstract socket (no file): a frontend hands its requests to a
        # listener bound on abns@, the usual way of chaining sections in one process
        name = f'portero-test-{os.getpid()}-{id(self)}'
        fe = self.listener()
        sock = os.path.join(self.tmpdir(), 'admin.sock')
        self.proxy(f"""
global
    stats socket {sock} level admin
""" + DEFAULTS + f"""
frontend fe
    bind {fe.bind}
    default_backend be
backend be
    server hop abns@{name} check inter 200 rise 1
listen inner
    bind abns@{name}
    http-request return status 200 content-type text/plain string via-abns
""", [fe])
        with Client(fe.port) as c:
            r = c.request('GET', '/')
            self.assertEqual((r.status, r.body), (200, b'via-abns'))
        got = {}
        def up():
            lines = cli(sock, 'show stat').splitlines()
            cols = lines[0][2:].split(',')
            for line in lines[1:]:
                row = dict(zip(cols, line.split(',')))
                if row.get('svname') == 'hop':
                    got.update(status=row['status'], check=row['check_status'], addr=row['addr'])
            return got.get('status') == 'UP'
        self.assertTrue(wait_until(up, 10), got)
        self.assertEqual((got['check'], got['addr']), ('L4OK', 'unix'))
        # `show servers state` prints no address for it
        state = [l for l in cli(sock, 'show servers state be').splitlines() if ' hop ' in l]
        self.assertEqual(state[0].split()[4], '-')

if __name__ == '__main__':
    unittest.main()
