"""Raw HTTP/1.x client helpers: send exact bytes, read exact responses with a deadline."""

import socket
import time


class Response:
    def __init__(self):
        self.version = ''
        self.status = 0
        self.reason = ''
        self.headers = []        # (name, value) as received
        self.body = b''
        self.raw_head = b''
        self.raw = b''           # head + body bytes exactly as received
        self.chunked = False

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def header_names(self):
        return [k for k, _ in self.headers]

    @property
    def status_line(self):
        return self.raw_head.split(b'\r\n', 1)[0].decode('latin-1')

    def __repr__(self):
        return f'<Response {self.status} {self.reason!r} {len(self.body)}B>'


class Timeout(Exception):
    pass


class Client:
    """A client connection with a read buffer. Every read has a deadline."""

    def __init__(self, port, host='127.0.0.1', timeout=10.0, sock=None, source=None):
        self.timeout = timeout
        self.sock = sock or socket.create_connection(
            (host, port), timeout=timeout, source_address=(source, 0) if source else None)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.eof = False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode('latin-1')
        self.sock.sendall(data)

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise Timeout('deadline reached while reading')
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(262144)
        except socket.timeout:
            raise Timeout('deadline reached while reading')
        except ConnectionResetError:
            data = b''
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def read_until_close(self, timeout=None):
        """Everything until the peer closes; raises Timeout if it does not close in time."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while self._fill(deadline):
            pass
        out = bytes(self.buf)
        self.buf.clear()
        return out

    def is_closed_by_peer(self, timeout=None):
        """True if the peer closes (EOF/RST) within the timeout without sending anything more."""
        try:
            rest = self.read_until_close(timeout)
        except Timeout:
            return False
        return rest == b''

    def _line(self, deadline):
        while True:
            i = self.buf.find(b'\n')
            if i >= 0:
                line = bytes(self.buf[:i + 1])
                del self.buf[:i + 1]
                return line
            if not self._fill(deadline):
                raise EOFError('connection closed while reading a line: %r' % bytes(self.buf))

    def _exact(self, n, deadline, sink):
        while n > 0:
            if not self.buf and not self._fill(deadline):
                raise EOFError('connection closed with %d body bytes missing' % n)
            take = min(n, len(self.buf))
            sink(bytes(self.buf[:take]))
            del self.buf[:take]
            n -= take

    def read_response(self, method='GET', timeout=None, skip_interim=True, body_sink=None):
        """Read one response. 1xx interim responses are skipped unless skip_interim=False.
        body_sink(bytes) receives the body instead of storing it (for huge bodies)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            r = self._read_one(method, deadline, body_sink)
            if skip_interim and 100 <= r.status < 200 and r.status != 101:
                continue
            return r

    def _read_one(self, method, deadline, body_sink):
        r = Response()
        raw = bytearray()
        line = self._line(deadline)
        raw += line
        parts = line.decode('latin-1').rstrip('\r\n').split(' ', 2)
        r.version = parts[0]
        r.status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else -1
        r.reason = parts[2] if len(parts) > 2 else ''
        while True:
            line = self._line(deadline)
            raw += line
            if line in (b'\r\n', b'\n'):
                break
            k, _, v = line.decode('latin-1').rstrip('\r\n').partition(':')
            r.headers.append((k, v.strip(' \t')))
        r.raw_head = bytes(raw)
        body = bytearray()
        sink = body_sink or body.extend
        rawbody = bytearray()

        def both(b):
            sink(b)
            if body_sink is None:
                rawbody.extend(b)

        if method == 'HEAD' or r.status in (204, 304) or 100 <= r.status < 200:
            pass
        elif (r.header('transfer-encoding') or '').lower().endswith('chunked'):
            r.chunked = True
            while True:
                line = self._line(deadline)
                rawbody += line
                size = int(line.split(b';')[0].strip(), 16)
                if size == 0:
                    while True:
                        t = self._line(deadline)
                        rawbody += t
                        if t in (b'\r\n', b'\n'):
                            break
                    break
                self._exact(size, deadline, both)
                rawbody += self._line(deadline)
        elif r.header('content-length') is not None:
            self._exact(int(r.header('content-length')), deadline, both)
        else:
            while self._fill(deadline):
                pass
            b = bytes(self.buf)
            self.buf.clear()
            both(b)
        r.body = bytes(body)
        r.raw = r.raw_head + bytes(rawbody) if body_sink is None else r.raw_head
        return r

    def request(self, method='GET', path='/', headers=(), body=b'', version='HTTP/1.1',
                host='test', timeout=None):
        """Send a simple request and read its response."""
        lines = [f'{method} {path} {version}']
        if host is not None:
            lines.append(f'Host: {host}')
        lines += list(headers)
        if body and not any(h.lower().startswith(('content-length', 'transfer-encoding'))
                            for h in headers):
            lines.append(f'Content-Length: {len(body)}')
        self.send(('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1') + body)
        return self.read_response(method, timeout)


def raw_exchange(port, data, timeout=5.0, host='127.0.0.1'):
    """Send bytes on a fresh connection, half-close nothing, read one response.
    Returns (Response or None, bytes left, closed_after)."""
    with Client(port, host=host, timeout=timeout) as c:
        c.send(data)
        r = c.read_response(timeout=timeout)
        return r


def http_get(port, path='/', headers=(), timeout=5.0, host='127.0.0.1'):
    with Client(port, host=host, timeout=timeout) as c:
        return c.request('GET', path, headers=headers, timeout=timeout)
