"""A raw TCP origin for `mode tcp` tests: records every byte received per connection and
answers according to its mode:

  banner   on accept, send "<name>\\n"; then record until EOF, then close
  echo     echo every byte back; on EOF from the peer, shut down the write side and close
  digest   read until EOF (the peer's half-close), then send "<length> <sha256>\\n" and close
  silent   record only, never send; close on EOF
  close    accept and close at once (nothing read)
  hold     record only and keep the connection open until the peer closes or stop()

A handler(origin, conn) replaces the mode. Connections are kept in accept order with their
peer address, raw bytes, accept time and whether the peer half-closed (eof).
"""

import hashlib
import socket
import threading
import time

from .util import wait_until


class TcpConn:
    def __init__(self, sock, peer):
        self.sock = sock
        self.peer = peer
        self.raw = bytearray()
        self.accepted_at = time.monotonic()
        self.first_data_at = None
        self.eof = threading.Event()      # peer shut down its write side / closed
        self.closed = threading.Event()   # our side closed
        self.reset = False                # the peer closed with a RST
        self.lock = threading.Lock()

    def data(self):
        with self.lock:
            return bytes(self.raw)

    def recv_record(self, n=262144):
        try:
            d = self.sock.recv(n)
        except ConnectionResetError:
            self.reset = True
            d = b''
        if d:
            with self.lock:
                if self.first_data_at is None:
                    self.first_data_at = time.monotonic()
                self.raw += d
        else:
            self.eof.set()
        return d


class TcpOrigin:
    def __init__(self, name='t1', mode='banner', handler=None, host='127.0.0.1', backlog=512):
        self.name, self.mode, self.handler = name, mode, handler
        self.lock = threading.Lock()
        self.connections = []
        self.errors = []
        fam = socket.AF_INET6 if ':' in host else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(backlog)
        self.host = host
        self.port = self.sock.getsockname()[1]
        self._stopping = False
        threading.Thread(target=self._accept_loop, daemon=True, name=f'tcp-{name}').start()

    @property
    def addr(self):
        return f'[{self.host}]:{self.port}' if ':' in self.host else f'{self.host}:{self.port}'

    def stop(self):
        self._stopping = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        for c in self.conns():
            try:
                c.sock.close()
            except OSError:
                pass

    def conns(self):
        with self.lock:
            return list(self.connections)

    def connection_count(self):
        with self.lock:
            return len(self.connections)

    def wait_connections(self, n, timeout=5.0):
        return wait_until(lambda: self.connection_count() >= n, timeout)

    def _accept_loop(self):
        while not self._stopping:
            try:
                s, peer = self.sock.accept()
            except OSError:
                return
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.settimeout(60)
            c = TcpConn(s, peer)
            with self.lock:
                self.connections.append(c)
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        try:
            if self.handler is not None:
                self.handler(self, c)
            else:
                getattr(self, '_mode_' + self.mode)(c)
        except OSError:
            pass
        except Exception as e:  # a bug in the origin must be visible to the test
            self.errors.append(repr(e))
        finally:
            try:
                c.sock.close()
            except OSError:
                pass
            c.closed.set()

    def _drain(self, c):
        while c.recv_record():
            pass

    def _mode_banner(self, c):
        c.sock.sendall(f'{self.name}\n'.encode())
        self._drain(c)

    def _mode_silent(self, c):
        self._drain(c)

    def _mode_hold(self, c):
        self._drain(c)

    def _mode_close(self, c):
        pass

    def _mode_echo(self, c):
        while True:
            d = c.recv_record()
            if not d:
                break
            c.sock.sendall(d)
        c.sock.shutdown(socket.SHUT_WR)

    def _mode_digest(self, c):
        h = hashlib.sha256()
        n = 0
        while True:
            d = c.sock.recv(262144)
            if not d:
                c.eof.set()
                break
            if c.first_data_at is None:
                c.first_data_at = time.monotonic()
            h.update(d)
            n += len(d)
        c.sock.sendall(f'{n} {h.hexdigest()}\n'.encode())
        c.sock.shutdown(socket.SHUT_WR)
