"""Differential corpus runner: one proxy process, many raw cases on fresh connections.

For each case it records what a user and an origin see:
  statuses   the status codes the client received, in order, before the probe's answer
  forwarded  the exact bytes the origin received for the case (all its connections)
  fate       'alive' (a probe request on the same connection is answered), 'closed' (EOF/RST),
             or 'stuck' (neither within the deadline)
  client_raw every byte the client received before the probe (responses corpus)

"Nothing else was forwarded" is proven without sleeping: after each case a sentinel request on
a fresh connection must reach the origin; whatever the origin received between two sentinels
(minus the sentinel itself) belongs to the case. The probe is answered by the proxy itself
(`http-request return` on /__probe), so it never reaches the origin.
"""

import time

from .client import Client, Timeout

PROBE = b'GET /__probe HTTP/1.1\r\nHost: a\r\n\r\n'
PROBE_RULE = ('    http-request return status 200 content-type text/plain string probe'
              ' if { path /__probe }')


class Outcome:
    def __init__(self):
        self.statuses = []
        self.forwarded = b''
        self.fate = 'stuck'
        self.client_raw = b''

    @property
    def status(self):
        return self.statuses[0] if self.statuses else None

    def klass(self):
        """A short comparable label: first status (or 'none'), whether anything reached the
        origin, and the connection fate."""
        st = '+'.join(str(x) for x in self.statuses) if self.statuses else 'none'
        return f"{st}/{'fwd' if self.forwarded else 'nofwd'}/{self.fate}"

    def __repr__(self):
        return f'<{self.klass()} statuses={self.statuses} fwd={self.forwarded[:120]!r}>'


def _read_statuses(c, deadline, method, out):
    """Read responses until the probe's answer, EOF or the deadline. Appends statuses."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return 'stuck'
        try:
            r = c.read_response(method=method, timeout=left, skip_interim=False)
        except Timeout:
            return 'stuck'
        except (EOFError, ValueError, IndexError):
            # closed mid-response or an unparsable response: keep what arrived
            try:
                out.client_raw += bytes(c.buf)
                c.buf.clear()
                c.read_until_close(max(0.05, deadline - time.monotonic()))
            except Timeout:
                return 'stuck'
            return 'closed'
        out.client_raw += r.raw
        if r.body == b'probe' and r.header('content-type') == 'text/plain':
            return 'alive'
        out.statuses.append(r.status)
        method = 'GET'


class CorpusRunner:
    """Runs cases against a proxy listening on `port` in front of `origin`."""

    def __init__(self, port, origin, timeout=2.0):
        self.port = port
        self.origin = origin
        self.timeout = timeout
        self.seq = 0

    def _snapshot(self):
        with self.origin.lock:
            return {id(c): len(c.raw) for c in self.origin.connections}

    def _received_since(self, snap):
        with self.origin.lock:
            conns = list(self.origin.connections)
        return [bytes(c.raw[snap.get(id(c), 0):]) for c in conns]

    def _sentinel(self):
        self.seq += 1
        target = b'/__sentinel/%d' % self.seq
        n = self.origin.request_count()
        with Client(self.port, timeout=self.timeout * 2) as c:
            c.send(b'GET ' + target + b' HTTP/1.1\r\nHost: a\r\n\r\n')
            try:
                c.read_response(timeout=self.timeout * 2)
            except (Timeout, EOFError):
                pass
        deadline = time.monotonic() + self.timeout * 2
        while time.monotonic() < deadline:
            with self.origin.lock:
                if any(q.target == target.decode() for q in self.origin.requests[n:]):
                    return target
            time.sleep(0.005)   # polling the origin's record, bounded by the deadline
        raise AssertionError('sentinel never reached the origin')

    def run(self, data, method='GET'):
        out = Outcome()
        snap = self._snapshot()
        with Client(self.port, timeout=self.timeout) as c:
            try:
                c.send(data)
            except OSError:
                pass
            deadline = time.monotonic() + self.timeout
            try:
                fate = self._with_probe(c, deadline, method, out)
            except OSError:
                fate = 'closed'
            out.fate = fate
        target = self._sentinel()
        pieces = []
        for raw in self._received_since(snap):
            i = raw.find(b'GET ' + target + b' ')
            if i >= 0:
                j = raw.find(b'\r\n\r\n', i)
                raw = raw[:i] + raw[j + 4:]
            pieces.append(raw)
        out.forwarded = b''.join(pieces)
        return out

    def _with_probe(self, c, deadline, method, out):
        # Read the case's first answer before probing, so the probe cannot be taken as part of
        # the case's request body.
        try:
            r = c.read_response(method=method, timeout=max(0.01, deadline - time.monotonic()),
                                skip_interim=False)
            out.client_raw += r.raw
            out.statuses.append(r.status)
            while 100 <= r.status < 200 and r.status != 101:
                r = c.read_response(method=method, timeout=max(0.01, deadline - time.monotonic()),
                                    skip_interim=False)
                out.client_raw += r.raw
                out.statuses.append(r.status)
            if r.status == 101 or (method == 'CONNECT' and 200 <= r.status < 300):
                return 'tunnel'
        except Timeout:
            return 'stuck'
        except (EOFError, ValueError, IndexError):
            out.client_raw += bytes(c.buf)
            c.buf.clear()
            return 'closed'
        try:
            c.send(PROBE)
        except OSError:
            return 'closed'
        return _read_statuses(c, time.monotonic() + self.timeout, 'GET', out)


def is_refusal(o):
    """The proxy refused the request: nothing reached the origin."""
    return not o.forwarded


def compare(name, ha, po):
    """'same', 'stricter' (haproxy forwarded, portero refused) or 'hole' (portero forwarded
    what haproxy refused) or 'different' (both forwarded or both refused, other outcome)."""
    if ha.klass() == po.klass():
        return 'same'
    if ha.forwarded and not po.forwarded:
        return 'stricter'
    if not ha.forwarded and po.forwarded:
        return 'hole'
    return 'different'
