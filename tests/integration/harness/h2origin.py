"""An HTTP/2 origin server for the tests, on the python `h2` package (Debian python3-h2; import
inside a try like h2client, H2_MISSING says why not).

`H2Origin()` listens on loopback in clear (prior knowledge); `H2Origin(tls=(cert, key))` offers
ALPN h2 over TLS. Each connection has a thread of its own. What arrives is recorded: accepted
connections, every request (pseudo-headers, fields, body, which connection carried it) and the
most streams a connection had open at once. The answer comes from `handler(request)`, which
returns a Reply; the default handler echoes the request as JSON with a content-length.

Paths the default handler knows:
  /big/N         N bytes (a repeating pattern) without content-length
  /trailers      a small body, then trailers (grpc-status: 0, grpc-message: ok)
  /reset         RST_STREAM(INTERNAL_ERROR) instead of an answer
  /slow/MS       the echo, MS milliseconds later (the stream stays open meanwhile)
  /status/N      status N, empty body
"""

import json
import socket
import ssl
import threading
import time

try:
    import h2.config
    import h2.connection
    import h2.events
    import h2.settings
    H2_MISSING = None
except ImportError as e:
    H2_MISSING = f'python h2 package not importable ({e}); run with /usr/bin/python3 (Debian python3-h2)'


def pattern(n):
    unit = b'0123456789abcdefghijklmnopqrstuvwxyz\n'
    return (unit * (n // len(unit) + 1))[:n]


class Reply:
    def __init__(self, status=200, headers=(), body=b'', trailers=(), length=True, delay=0.0, reset=False):
        self.status = status
        self.headers = list(headers)
        self.body = body
        self.trailers = list(trailers)
        self.length = length     # send content-length
        self.delay = delay       # seconds before answering
        self.reset = reset


def default_handler(req):
    path = req['path']
    if path.startswith('/big/'):
        return Reply(body=pattern(int(path[5:])), length=False)
    if path == '/trailers':
        return Reply(headers=[('content-type', 'text/plain')], body=b'hello',
                     trailers=[('grpc-status', '0'), ('grpc-message', 'ok')], length=False)
    if path == '/reset':
        return Reply(reset=True)
    if path.startswith('/status/'):
        return Reply(status=int(path[8:]))
    delay = float(path[6:].split('?')[0]) / 1000 if path.startswith('/slow/') else 0.0
    summary = {k: req[k] for k in ('method', 'path', 'authority', 'scheme', 'conn')}
    summary['headers'] = req['headers']
    summary['body_len'] = len(req['body'])
    return Reply(headers=[('content-type', 'application/json'), ('x-origin', 'h2')],
                 body=json.dumps(summary).encode(), delay=delay)


class H2Origin:
    def __init__(self, tls=None, max_streams=100, handler=None, window=65535):
        self.handler = handler or default_handler
        self.max_streams = max_streams
        self.window = window
        self.lock = threading.Lock()
        self.connections = 0
        self.requests = []
        self.max_open = 0           # most streams open at once on one connection
        self.alpn = []              # what each TLS connection negotiated
        self.ctx = None
        if tls:
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ctx.load_cert_chain(*tls)
            self.ctx.set_alpn_protocols(['h2'])
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.addr = f'127.0.0.1:{self.port}'
        self.closed = False
        self.threads = []
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()

    def close(self):
        self.closed = True
        try:
            self.sock.close()
        except OSError:
            pass

    def request_count(self):
        with self.lock:
            return len(self.requests)

    def _accept(self):
        while not self.closed:
            try:
                s, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
                conn_id = self.connections
            t = threading.Thread(target=self._serve, args=(s, conn_id), daemon=True)
            t.start()

    def _serve(self, s, conn_id):
        try:
            if self.ctx:
                s = self.ctx.wrap_socket(s, server_side=True)
                with self.lock:
                    self.alpn.append(s.selected_alpn_protocol())
            _Conn(self, s, conn_id).run()
        except (OSError, ssl.SSLError):
            pass
        finally:
            try:
                s.close()
            except OSError:
                pass


class _Conn:
    def __init__(self, origin, sock, conn_id):
        self.o = origin
        self.s = sock
        self.id = conn_id
        self.h2 = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding='utf-8'))
        self.streams = {}      # sid -> request dict under construction
        self.due = []          # (time, sid, Reply) answers waiting for their delay
        self.sending = {}      # sid -> [remaining body, trailers]
        self.open = set()

    def flush(self):
        data = self.h2.data_to_send()
        if data:
            self.s.sendall(data)

    def run(self):
        self.h2.initiate_connection()
        self.h2.update_settings({h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: self.o.max_streams,
                                 h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: self.o.window})
        self.flush()
        self.s.settimeout(0.02)
        while True:
            now = time.monotonic()
            for item in [d for d in self.due if d[0] <= now]:
                self.due.remove(item)
                self.answer(item[1], item[2])
            self.pump_bodies()
            self.flush()
            try:
                data = self.s.recv(65536)
            except (socket.timeout, ssl.SSLWantReadError):
                continue
            if not data:
                return
            for ev in self.h2.receive_data(data):
                self.event(ev)
            self.flush()

    def event(self, ev):
        if isinstance(ev, h2.events.RequestReceived):
            hdrs = [(k, v) for k, v in ev.headers]
            pseudo = {k: v for k, v in hdrs if k.startswith(':')}
            self.streams[ev.stream_id] = {
                'method': pseudo.get(':method'), 'path': pseudo.get(':path'),
                'authority': pseudo.get(':authority'), 'scheme': pseudo.get(':scheme'),
                'headers': [[k, v] for k, v in hdrs if not k.startswith(':')],
                'body': b'', 'conn': self.id, 'trailers': []}
            self.open.add(ev.stream_id)
            with self.o.lock:
                self.o.max_open = max(self.o.max_open, len(self.open))
        elif isinstance(ev, h2.events.DataReceived):
            req = self.streams.get(ev.stream_id)
            if req is not None:
                req['body'] += ev.data
            self.h2.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
        elif isinstance(ev, h2.events.TrailersReceived):
            req = self.streams.get(ev.stream_id)
            if req is not None:
                req['trailers'] = [[k, v] for k, v in ev.headers]
        elif isinstance(ev, h2.events.StreamEnded):
            req = self.streams.pop(ev.stream_id, None)
            if req is None:
                return
            with self.o.lock:
                self.o.requests.append(req)
            reply = self.o.handler(req)
            if reply.delay:
                self.due.append((time.monotonic() + reply.delay, ev.stream_id, reply))
            else:
                self.answer(ev.stream_id, reply)
        elif isinstance(ev, h2.events.StreamReset):
            self.open.discard(ev.stream_id)
            self.streams.pop(ev.stream_id, None)
            self.sending.pop(ev.stream_id, None)

    def answer(self, sid, reply):
        if sid not in self.open:
            return
        if reply.reset:
            self.h2.reset_stream(sid, 2)
            self.open.discard(sid)
            return
        headers = [(':status', str(reply.status))] + reply.headers
        if reply.length:
            headers.append(('content-length', str(len(reply.body))))
        bodiless = not reply.body and not reply.trailers
        self.h2.send_headers(sid, headers, end_stream=bodiless)
        if bodiless:
            self.open.discard(sid)
            return
        self.sending[sid] = [reply.body, reply.trailers]

    def pump_bodies(self):
        for sid in list(self.sending):
            body, trailers = self.sending[sid]
            try:
                while body:
                    room = min(self.h2.local_flow_control_window(sid), self.h2.max_outbound_frame_size)
                    if room <= 0:
                        break
                    self.h2.send_data(sid, body[:room])
                    body = body[room:]
                self.sending[sid][0] = body
                if body:
                    continue
                if trailers:
                    self.h2.send_headers(sid, trailers, end_stream=True)
                else:
                    self.h2.end_stream(sid)
            except h2.exceptions.StreamClosedError:
                pass
            del self.sending[sid]
            self.open.discard(sid)
