"""A small HTTP/2 client for the tests, on the python `h2` package (python3-h2 from Debian,
importable by /usr/bin/python3; a pyenv python may lack it: import this module inside a
try and skip with H2_MISSING as the reason).

`H2Client(port)` speaks prior-knowledge h2c; `H2Client(port, tls=True)` offers ALPN h2 over
TLS (`alpn` attribute = what the server chose). Requests are opened with `request()` (which
returns the stream id, so several can be in flight), bodies follow the peer's flow-control
windows, and `response(sid)` waits with a deadline for that stream to end or be reset. Every
byte received is fed to the h2 state machine on the calling thread: no background thread,
so a test's reads are deterministic.
"""

import socket
import ssl
import time

try:
    import h2.config
    import h2.connection
    import h2.events
    H2_MISSING = None
except ImportError as e:   # the tests using this module skip with this reason
    H2_MISSING = f'python h2 package not importable by {__import__("sys").executable} ({e}); ' \
                 f'run with /usr/bin/python3 (Debian python3-h2)'


class H2Timeout(Exception):
    pass


class H2Stream:
    """What the client saw on one stream."""

    def __init__(self, sid):
        self.sid = sid
        self.headers = []        # final response headers, (name, value) str, pseudo included
        self.informational = []  # 1xx header blocks
        self.body = bytearray()
        self.trailers = []
        self.ended = False       # END_STREAM received
        self.reset_code = None   # RST_STREAM error code received
        self.sent_reset = False

    @property
    def status(self):
        v = self.header(':status')
        return int(v) if v is not None else None

    def header(self, name):
        for k, v in self.headers:
            if k == name:
                return v
        return None

    def headers_named(self, name):
        return [v for k, v in self.headers if k == name]

    @property
    def done(self):
        return self.ended or self.reset_code is not None

    def __repr__(self):
        return (f'<H2Stream {self.sid} status={self.status} body={len(self.body)}B '
                f'ended={self.ended} reset={self.reset_code}>')


class H2Client:
    def __init__(self, port, host='127.0.0.1', tls=False, alpn=('h2',), servername=None,
                 timeout=10.0, settings=None):
        self.timeout = timeout
        self.host = host
        self.port = port
        raw = socket.create_connection((host, port), timeout=timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.alpn = None
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.set_alpn_protocols(list(alpn))
            try:
                raw = ctx.wrap_socket(raw, server_hostname=servername)
            except BaseException:
                raw.close()
                raise
            self.alpn = raw.selected_alpn_protocol()
        self.sock = raw
        self.scheme = 'https' if tls else 'http'
        self.streams = {}
        self.goaway = None       # the last h2.events.ConnectionTerminated (GOAWAY) received
        self.goaways = []        # all of them, in order
        self.eof = False
        self.remote_settings = {}
        # no header validation either way: the tests send what they mean (a host differing
        # from :authority, say) and look at what the proxy answered, not at h2's opinion
        cfg = h2.config.H2Configuration(client_side=True, header_encoding='utf-8',
                                        validate_outbound_headers=False,
                                        validate_inbound_headers=False)
        self.conn = h2.connection.H2Connection(config=cfg)
        self.conn.initiate_connection()
        if settings:
            self.conn.update_settings(settings)
        self._flush()

    # ---- plumbing ---------------------------------------------------------------------
    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def _flush(self):
        out = self.conn.data_to_send()
        if out:
            try:
                self.sock.sendall(out)
            except (BrokenPipeError, ConnectionResetError):
                # the peer is gone: the next wait reports EOF with what the streams got
                self.eof = True

    def _stream(self, sid):
        if sid not in self.streams:
            self.streams[sid] = H2Stream(sid)
        return self.streams[sid]

    def pump(self, deadline):
        """Read once (until the deadline) and handle the events; False at EOF or timeout."""
        left = deadline - time.monotonic()
        if left <= 0 or self.eof:
            return False
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(262144)
        except (socket.timeout, TimeoutError):
            return False
        except (ConnectionResetError, ssl.SSLError, OSError):
            data = b''
        if not data:
            self.eof = True
            return False
        for ev in self.conn.receive_data(data):
            self._event(ev)
        self._flush()
        return True

    def _event(self, ev):
        E = h2.events
        if isinstance(ev, E.ResponseReceived):
            self._stream(ev.stream_id).headers = list(ev.headers)
        elif isinstance(ev, E.InformationalResponseReceived):
            self._stream(ev.stream_id).informational.append(list(ev.headers))
        elif isinstance(ev, E.DataReceived):
            self._stream(ev.stream_id).body += ev.data
            # give the window back at once: the tests measure the proxy, not our reading pace
            if ev.flow_controlled_length:
                self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
        elif isinstance(ev, E.TrailersReceived):
            self._stream(ev.stream_id).trailers = list(ev.headers)
        elif isinstance(ev, E.StreamEnded):
            self._stream(ev.stream_id).ended = True
        elif isinstance(ev, E.StreamReset):
            self._stream(ev.stream_id).reset_code = int(ev.error_code)
        elif isinstance(ev, E.ConnectionTerminated):
            self.goaways.append(ev)
            self.goaway = ev
            # h2 closes its state machine on any GOAWAY, but streams up to last_stream_id go
            # on (RFC 9113 §6.8; a graceful shutdown announces 2^31-1): keep reading them
            if ev.last_stream_id is not None and ev.last_stream_id > 0:
                self.conn.state_machine.state = h2.connection.ConnectionState.CLIENT_OPEN
        elif isinstance(ev, E.RemoteSettingsChanged):
            for k, v in ev.changed_settings.items():
                self.remote_settings[int(k)] = v.new_value

    def wait(self, cond, timeout=None):
        """Pump until cond() is true; raises H2Timeout (with what was seen) otherwise."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        while not cond():
            if not self.pump(deadline):
                if cond():
                    break
                why = 'EOF' if self.eof else 'deadline'
                raise H2Timeout(f'{why} before the condition held; streams: '
                                f'{list(self.streams.values())}, goaway: {self.goaway}')
        return True

    # ---- requests ---------------------------------------------------------------------
    def request(self, method='GET', path='/', authority=None, headers=(), body=None,
                end_stream=True, scheme=None):
        """Open a stream with these headers (pseudo-headers first); send body (bytes) if
        given; end the stream unless end_stream is False. Returns the stream id."""
        sid = self.conn.get_next_available_stream_id()
        hdrs = [(':method', method), (':scheme', scheme or self.scheme),
                (':authority', authority if authority is not None
                 else f'{self.host}:{self.port}'),
                (':path', path)]
        hdrs += list(headers)
        if method == 'CONNECT':
            hdrs = [h for h in hdrs if h[0] not in (':scheme', ':path')]
        self._stream(sid)
        self.conn.send_headers(sid, hdrs, end_stream=end_stream and body is None)
        self._flush()
        if body is not None:
            self.send_body(sid, body, end_stream=end_stream)
        return sid

    def send_body(self, sid, data, end_stream=True, timeout=None):
        """Send data on sid within the peer's flow-control windows (waits for WINDOW_UPDATEs)."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        view = memoryview(data)
        while view:
            window = min(self.conn.local_flow_control_window(sid),
                         self.conn.max_outbound_frame_size)
            if window <= 0:
                if not self.pump(deadline):
                    raise H2Timeout(f'no window to send on stream {sid} '
                                    f'({len(view)} bytes left)')
                if self._stream(sid).done:
                    return
                continue
            n = min(window, len(view))
            self.conn.send_data(sid, bytes(view[:n]))
            view = view[n:]
            self._flush()
        if end_stream:
            self.conn.end_stream(sid)
            self._flush()

    def reset(self, sid, code=8):
        """RST_STREAM (8 = CANCEL)."""
        self.conn.reset_stream(sid, error_code=code)
        self._stream(sid).sent_reset = True
        self._flush()

    def response(self, sid, timeout=None):
        st = self._stream(sid)
        self.wait(lambda: st.done, timeout)
        return st

    def get(self, path='/', **kw):
        timeout = kw.pop('timeout', None)
        return self.response(self.request('GET', path, **kw), timeout)

    def wait_goaway(self, timeout=None):
        self.wait(lambda: self.goaway is not None or self.eof, timeout)
        return self.goaway

    def ping(self, timeout=None):
        """A PING round trip: proves the connection is alive and everything before it was
        processed by the peer's framing layer."""
        acked = []
        opaque = b'porterop'
        self.conn.ping(opaque)
        self._flush()
        E = h2.events
        orig = self._event

        def spy(ev):
            if isinstance(ev, E.PingAckReceived) and ev.ping_data == opaque:
                acked.append(True)
            orig(ev)
        self._event = spy
        try:
            self.wait(lambda: acked, timeout)
        finally:
            self._event = orig
        return True
