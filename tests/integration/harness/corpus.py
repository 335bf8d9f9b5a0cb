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


def request_refused(o):
    """The proxy refused the request: nothing reached the origin."""
    return not o.forwarded


def response_refused(o):
    """The proxy did not relay the origin's final response: no final status at all (101 counts
    as final: it switches the connection), or one of its own 502/504 pages."""
    final = [s for s in o.statuses if not 100 <= s < 200 or s == 101]
    return not final or final[0] in (502, 504)


def compare(ha, po, refused=request_refused):
    """'same', 'stricter' (haproxy passed it on, portero refused), 'hole' (portero passed on
    what haproxy refused) or 'different' (both passed it on, or both refused, differently)."""
    if ha.klass() == po.klass():
        return 'same'
    if refused(po) and not refused(ha):
        return 'stricter'
    if refused(ha) and not refused(po):
        return 'hole'
    return 'different'


def run_corpus(test, binary, config, items, handler=None, timeout=2.0):
    """Start `binary` on config.format(bind=..., addr=..., probe=PROBE_RULE) in front of a
    recording origin (Origin with `handler`), run items [(name, bytes, method)] one by one on
    fresh connections; returns {name: Outcome}. `test` (a ProxyTestCase) owns the processes."""
    o = test.origin('s1', handler=handler)
    fe = test.listener()
    test.proxy(config.format(bind=fe.bind, addr=o.addr, probe=PROBE_RULE), [fe], binary=binary)
    runner = CorpusRunner(fe.port, o, timeout)
    return {name: runner.run(data, method) for name, data, method in items}


def classes_ok(outcome, expected):
    """expected: one class, or a tuple of classes all seen with haproxy."""
    return outcome.klass() in (expected if isinstance(expected, tuple) else (expected,))


def differential(test, binary, haproxy_bin, config, items, handler=None):
    """Runs the corpus on `binary` and, when given, on `haproxy_bin` in parallel.
    Returns ({name: Outcome} for binary, {name: Outcome} for haproxy or None)."""
    import threading
    results, errors = {}, []

    def run(label, b):
        try:
            results[label] = run_corpus(test, b, config, items, handler)
        except Exception as e:   # reported by the main thread
            errors.append(f'{label}: {e!r}')

    threads = [threading.Thread(target=run, args=('under_test', binary))]
    if haproxy_bin:
        threads.append(threading.Thread(target=run, args=('haproxy', haproxy_bin)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise AssertionError('; '.join(errors))
    return results['under_test'], results.get('haproxy')


def summarize(title, expected, stricter, mine, ha, refused=request_refused):
    """Compares with live haproxy: returns (summary line, holes, differences) where holes lists
    the cases portero passed on while haproxy refused, differences the other unexplained ones."""
    counts = {'same': 0, 'stricter': 0, 'different': 0, 'hole': 0}
    holes, diffs = [], []
    other_bytes = 0   # same class, other bytes (HAProxy's normalisations: re-chunking...)
    for name, po in mine.items():
        h = ha[name]
        verdict = compare(h, po, refused)
        counts[verdict] += 1
        if verdict == 'same' and (h.forwarded, h.client_raw) != (po.forwarded, po.client_raw):
            other_bytes += 1
        if verdict == 'hole':
            holes.append(f'{name}: haproxy {h.klass()} portero {po.klass()}')
        elif verdict != 'same' and name not in stricter and not classes_ok(po, expected[name]):
            diffs.append(f'{name}: haproxy {h.klass()} portero {po.klass()}')
    line = (f'{title}: {len(mine)} cases, {counts["same"]} same, {counts["stricter"]} stricter, '
            f'{counts["different"] + counts["hole"]} differences ({counts["hole"]} passed on '
            f'where haproxy refused); {other_bytes} of the same cases with other bytes')
    return line, holes, diffs
