"""A small threaded HTTP/1.1 origin server on raw sockets.

It records the exact bytes it receives (so tests can assert what a proxy forwarded, or that it
forwarded nothing) and answers according to the request path:

  /                      200, body "<name>\n"
  /status/N              status N (204/304: no body; 304 still announces content-length: 5)
  /size/N                N bytes of a deterministic pattern, with content-length
  /chunked/N             N bytes of the pattern, chunked (chunks of up to 16 KB)
  /delay/MS[/...]        sleep MS milliseconds, then answer as for the rest of the path
  /close                 close the connection without answering
  /garbage               answer bytes that are not HTTP, then close
  /partial               a response head announcing 100 bytes, 10 bytes of body, then close
  /ws                    websocket upgrade (101) then echo every byte back (a raw tunnel)
  /echo                  200 with the request body as response body
  /digest                200 with "<length> <sha256 hex>" of the request body
  /keepalive-close       answer with "connection: close" and close

Every response carries "x-origin: <name>". A handler(origin, conn, request) -> bool can replace
the routing; return True to keep the connection open.
"""

import hashlib
import os
import re
import socket
import threading
import time

from .util import wait_until

BODY_KEEP = 1 << 20  # request bodies are kept up to this many bytes; beyond, only length+hash
RAW_KEEP = 1 << 20   # raw bytes kept per connection


def pattern_block(i, size=65536):
    """Block i of the deterministic body pattern (distinct per block, cheap to generate)."""
    base = _PATTERN
    off = (i * 7919) % len(base)
    blk = (base[off:] + base[:off])[:size - 8]
    return i.to_bytes(8, 'big') + blk


_PATTERN = hashlib.sha256(b'portero').digest() * 2048  # 64 KB


def pattern_bytes(n):
    """Yield the pattern as blocks totalling n bytes."""
    i = 0
    while n > 0:
        blk = pattern_block(i)
        if len(blk) > n:
            blk = blk[:n]
        yield blk
        n -= len(blk)
        i += 1


def pattern_digest(n):
    h = hashlib.sha256()
    for b in pattern_bytes(n):
        h.update(b)
    return h.hexdigest()


class Request:
    def __init__(self):
        self.method = self.target = self.version = ''
        self.headers = []       # list of (name, value) exactly as received (str, latin-1)
        self.raw_head = b''
        self.body = b''          # first BODY_KEEP bytes of the (de-chunked) body
        self.body_len = 0
        self.body_sha256 = ''
        self.chunked = False
        self.complete = False    # the whole body was received
        self.received_at = time.monotonic()

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def headers_named(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    def __repr__(self):
        return f'<Request {self.method} {self.target} {self.version} body={self.body_len}>'


class ConnClosed(Exception):
    pass


class OriginConn:
    """One accepted connection: a buffered reader plus the record of what was received."""

    def __init__(self, origin, sock, peer):
        self.origin = origin
        self.sock = sock
        self.peer = peer
        self.raw = bytearray()
        self.requests = []
        self.buf = bytearray()
        self.closed = threading.Event()
        self.accepted_at = time.monotonic()
        self.answering = False   # a request of this connection counts in origin.in_flight

    def _fill(self):
        data = self.sock.recv(262144)
        if not data:
            raise ConnClosed()
        if len(self.raw) < RAW_KEEP:
            self.raw += data[:RAW_KEEP - len(self.raw)]
        self.buf += data

    def read_line(self, limit=1 << 20):
        while True:
            i = self.buf.find(b'\n')
            if i >= 0:
                line = bytes(self.buf[:i + 1])
                del self.buf[:i + 1]
                return line
            if len(self.buf) > limit:
                raise ConnClosed()
            self._fill()

    def read_exact(self, n, sink):
        while n > 0:
            if not self.buf:
                self._fill()
            take = min(n, len(self.buf))
            sink(bytes(self.buf[:take]))
            del self.buf[:take]
            n -= take

    def send(self, data):
        self.end_in_flight()   # counted out before its answer leaves, not after
        self.sock.sendall(data)

    def end_in_flight(self):
        if self.answering:
            self.answering = False
            with self.origin.lock:
                self.origin.in_flight -= 1


class Origin:
    def __init__(self, name='origin', handler=None, send_continue=True, keepalive=True,
                 host='127.0.0.1', port=0):
        self.name = name
        self.handler = handler
        self.send_continue = send_continue
        self.keepalive = keepalive
        self.lock = threading.Lock()
        self.connections = []
        self.in_flight = 0          # requests being answered now
        self.max_in_flight = 0      # the most ever answered at once
        self.requests = []
        self.errors = []
        fam = socket.AF_INET6 if ':' in host else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))   # port: the same one on several loopback IPs (DNS tests)
        self.sock.listen(512)
        self.host = host
        self.port = self.sock.getsockname()[1]
        self._stopping = False
        self._thread = threading.Thread(target=self._accept_loop, daemon=True,
                                        name=f'origin-{name}')
        self._thread.start()

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
        with self.lock:
            conns = list(self.connections)
        for c in conns:
            try:
                c.sock.close()
            except OSError:
                pass

    # ---- observation helpers -------------------------------------------------------------
    def raw_received(self):
        """All bytes received on all connections, concatenated in accept order."""
        with self.lock:
            return b''.join(bytes(c.raw) for c in self.connections)

    def wait_requests(self, n, timeout=5.0):
        return wait_until(lambda: len(self.requests) >= n, timeout)

    def request_count(self):
        with self.lock:
            return len(self.requests)

    def connection_count(self):
        with self.lock:
            return len(self.connections)

    # ---- server ----------------------------------------------------------------------------
    def _accept_loop(self):
        while not self._stopping:
            try:
                s, peer = self.sock.accept()
            except OSError:
                return
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.settimeout(60)
            c = OriginConn(self, s, peer)
            with self.lock:
                self.connections.append(c)
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        try:
            while True:
                req = self._read_head(c)
                if req is None:
                    break
                with self.lock:
                    self.requests.append(req)
                c.requests.append(req)
                if (req.header('expect') or '').lower() == '100-continue' and self.send_continue:
                    if self._has_body(req):
                        c.send(b'HTTP/1.1 100 Continue\r\n\r\n')
                self._read_body(c, req)
                with self.lock:
                    self.in_flight += 1
                    self.max_in_flight = max(self.max_in_flight, self.in_flight)
                c.answering = True
                try:
                    if self.handler is not None:
                        keep = self.handler(self, c, req)
                    else:
                        keep = self._route(c, req, req.target)
                finally:
                    c.end_in_flight()
                if not keep:
                    break
        except (ConnClosed, OSError):
            pass
        except Exception as e:  # a bug in the origin must be visible to the test
            self.errors.append(repr(e))
        finally:
            try:
                c.sock.close()
            except OSError:
                pass
            c.closed.set()

    def _read_head(self, c):
        try:
            line = c.read_line()
        except ConnClosed:
            return None
        while line in (b'\r\n', b'\n'):
            line = c.read_line()
        req = Request()
        raw = bytearray(line)
        parts = line.decode('latin-1').rstrip('\r\n').split(' ')
        if len(parts) == 3:
            req.method, req.target, req.version = parts
        while True:
            line = c.read_line()
            raw += line
            if line in (b'\r\n', b'\n'):
                break
            s = line.decode('latin-1').rstrip('\r\n')
            k, _, v = s.partition(':')
            req.headers.append((k, v.strip(' \t')))
        req.raw_head = bytes(raw)
        req.received_at = time.monotonic()
        return req

    @staticmethod
    def _has_body(req):
        te = req.header('transfer-encoding')
        if te and 'chunked' in te.lower():
            return True
        cl = req.header('content-length')
        return cl is not None and cl.strip() not in ('', '0')

    def _read_body(self, c, req):
        h = hashlib.sha256()
        kept = bytearray()

        def sink(b):
            h.update(b)
            req.body_len += len(b)
            if len(kept) < BODY_KEEP:
                kept.extend(b[:BODY_KEEP - len(kept)])

        te = req.header('transfer-encoding')
        if te and te.lower().split(',')[-1].strip() == 'chunked':
            req.chunked = True
            while True:
                line = c.read_line()
                size = int(line.split(b';')[0].strip(), 16)
                if size == 0:
                    while c.read_line() not in (b'\r\n', b'\n'):
                        pass
                    break
                c.read_exact(size, sink)
                c.read_line()
        else:
            cl = req.header('content-length')
            if cl:
                c.read_exact(int(cl), sink)
        req.body = bytes(kept)
        req.body_sha256 = h.hexdigest()
        req.complete = True

    def _wants_close(self, req):
        conn = (req.header('connection') or '').lower()
        if 'close' in conn:
            return True
        if req.version == 'HTTP/1.0' and 'keep-alive' not in conn:
            return True
        return not self.keepalive

    def respond(self, c, req, status=200, body=b'', headers=(), reason=None, chunked=False,
                content_length=None):
        """Send a simple response; returns True if the connection stays open."""
        close = self._wants_close(req)
        reason = reason or REASONS.get(status, 'Unknown')
        head = [f'HTTP/1.1 {status} {reason}', f'x-origin: {self.name}']
        head += list(headers)
        no_body = req.method == 'HEAD' or status in (204, 304) or 100 <= status < 200
        if chunked:
            head.append('transfer-encoding: chunked')
        elif content_length is not None:
            head.append(f'content-length: {content_length}')
        elif status not in (204, 304):
            head.append(f'content-length: {len(body)}')
        if close:
            head.append('connection: close')
        out = ('\r\n'.join(head) + '\r\n\r\n').encode('latin-1')
        if not no_body:
            if chunked:
                for i in range(0, len(body), 16384):
                    piece = body[i:i + 16384]
                    out += b'%x\r\n' % len(piece) + piece + b'\r\n'
                out += b'0\r\n\r\n'
            else:
                out += body
        c.send(out)
        return not close

    def _route(self, c, req, path):
        path = path.split('?')[0]
        m = re.match(r'^/delay/(\d+)(/.*)?$', path)
        if m:
            time.sleep(int(m.group(1)) / 1000.0)
            return self._route(c, req, m.group(2) or '/')
        m = re.match(r'^/status/(\d+)$', path)
        if m:
            st = int(m.group(1))
            if st == 304:
                return self.respond(c, req, 304, content_length=5)
            return self.respond(c, req, st, body=f'{self.name}\n'.encode())
        m = re.match(r'^/(size|chunked)/(\d+)$', path)
        if m:
            return self._send_pattern(c, req, int(m.group(2)), m.group(1) == 'chunked')
        if path == '/close':
            return False
        if path == '/garbage':
            c.send(b'THIS IS NOT HTTP AT ALL\r\n\r\n')
            return False
        if path == '/partial':
            c.send(b'HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789')
            return False
        if path == '/ws':
            return self._websocket(c, req)
        if path == '/echo':
            return self.respond(c, req, 200, body=req.body)
        if path == '/digest':
            return self.respond(c, req, 200,
                                body=f'{req.body_len} {req.body_sha256}'.encode())
        if path == '/keepalive-close':
            self.respond(c, req, 200, body=f'{self.name}\n'.encode(),
                         headers=['connection: close'])
            return False
        return self.respond(c, req, 200, body=f'{self.name}\n'.encode(),
                            headers=['content-type: text/plain'])

    def _send_pattern(self, c, req, n, chunked):
        close = self._wants_close(req)
        head = ['HTTP/1.1 200 OK', f'x-origin: {self.name}',
                'content-type: application/octet-stream',
                'transfer-encoding: chunked' if chunked else f'content-length: {n}']
        if close:
            head.append('connection: close')
        c.send(('\r\n'.join(head) + '\r\n\r\n').encode())
        if req.method != 'HEAD':
            for blk in pattern_bytes(n):
                if chunked:
                    c.send(b'%x\r\n' % len(blk) + blk + b'\r\n')
                else:
                    c.send(blk)
            if chunked:
                c.send(b'0\r\n\r\n')
        return not close

    def _websocket(self, c, req):
        import base64
        key = req.header('sec-websocket-key') or ''
        acc = base64.b64encode(hashlib.sha1(
            (key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').encode()).digest()).decode()
        c.send(('HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n'
                f'connection: upgrade\r\nsec-websocket-accept: {acc}\r\n'
                f'x-origin: {self.name}\r\n\r\n').encode())
        # echo whatever was already buffered, then everything that follows
        if c.buf:
            c.send(bytes(c.buf))
            c.buf.clear()
        while True:
            data = c.sock.recv(65536)
            if not data:
                return False
            c.send(data)


REASONS = {100: 'Continue', 101: 'Switching Protocols', 200: 'OK', 201: 'Created',
           204: 'No Content', 301: 'Moved Permanently', 302: 'Found', 304: 'Not Modified',
           400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error',
           502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout'}
