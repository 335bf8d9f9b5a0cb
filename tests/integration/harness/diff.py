"""Differential runner for rule/ACL tests: the same config and the same requests against the
binary under test (PROXY_BIN) and, when it is not haproxy and haproxy is installed, against
HAPROXY_BIN. One proxy start per config per binary; every case on a fresh client connection.

A config is written with placeholders:
  <<fe>>        the frontend's `bind` address (fd@N of a harness listener)
  <<fe2>>       a second frontend listener (optional, for configs that need two)
  <<dir>>       a directory holding the pattern/map files given as files={name: text}
  <<be:NAME>>   the address of the origin named NAME
`backends=[...]` appends `backend NAME / server NAME <addr>` for each name, each with its own
recording origin that answers with its name (body "NAME\\n", header x-origin: NAME), so the
backend chosen is visible. Defaults (mode http, timeouts) are prepended unless defaults=...

Each Case gives the raw request bytes and what is expected (a backend name or a status, plus
optional predicates). The runner returns, per case, an Outcome: the exact response bytes the
client received, the origin reached (or None), the exact head and body that origin received,
and the elapsed time.
"""

import os
import time
import unittest

from .client import Client, Timeout
from .origin import Origin
from .proxy import Proxy, Listener, IS_HAPROXY, PROXY_BIN, HAPROXY_BIN, haproxy_available
from .util import wait_until

DIFF_DEFAULTS = """
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
"""


def req(path='/', method='GET', host='test', headers=(), body=b'', version='HTTP/1.1'):
    """Raw request bytes. headers: iterable of 'Name: value' strings."""
    lines = [f'{method} {path} {version}']
    if host is not None:
        lines.append(f'Host: {host}')
    lines += list(headers)
    if body and not any(h.lower().startswith(('content-length', 'transfer-encoding'))
                        for h in headers):
        lines.append(f'Content-Length: {len(body)}')
    if isinstance(body, str):
        body = body.encode('latin-1')
    return ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1') + body


FOLLOWUP = b'GET /__followup HTTP/1.1\r\nHost: followup\r\n\r\n'


class Case:
    """name; raw request bytes; expect = backend name (str), status (int) or None;
    src = client source address; checks = [(description, predicate(Outcome) -> bool)];
    method = request method (for reading the response: HEAD has no body)."""

    def __init__(self, name, raw, expect=None, src=None, checks=(), method=None, timeout=5.0,
                 followup=True):
        self.name, self.raw, self.expect, self.src = name, raw, expect, src
        self.followup = followup
        self.checks = list(checks)
        self.method = method or raw.split(b' ', 1)[0].decode('latin-1')
        self.timeout = timeout


class Outcome:
    def __init__(self):
        self.response = b''       # exact bytes of the response (head + body)
        self.status = None
        self.resp = None          # client.Response
        self.origin = None        # name of the origin reached, None when answered locally
        self.fwd_head = None      # exact head received by the origin
        self.fwd_body = None
        self.elapsed = 0.0
        self.kept_alive = None    # a follow-up request on the same connection was answered
        self.error = None         # read error (timeout, EOF) as text

    def key(self):
        """What must be identical between the two binaries."""
        return {'status': self.status, 'origin': self.origin, 'response': self.response,
                'forwarded_head': self.fwd_head, 'forwarded_body': self.fwd_body,
                'error': self.error, 'kept_alive': self.kept_alive}

    def header(self, name):
        return self.resp.header(name) if self.resp is not None else None

    def fwd_header(self, name):
        """Values of a forwarded header (case-insensitive name) as received by the origin."""
        if self.fwd_head is None:
            return []
        out = []
        for line in self.fwd_head.decode('latin-1').split('\r\n')[1:]:
            k, sep, v = line.partition(':')
            if sep and k.lower() == name.lower():
                out.append(v.strip(' \t'))
        return out

    @property
    def fwd_line(self):
        if self.fwd_head is None:
            return None
        return self.fwd_head.split(b'\r\n', 1)[0].decode('latin-1')

    def __repr__(self):
        return (f'<Outcome status={self.status} origin={self.origin} '
                f'response={self.response[:300]!r} fwd={self.fwd_head!r} err={self.error}>')


class Setup:
    """Origins + one proxy for one config and one binary."""

    def __init__(self, tc, cfg, backends, binary, files=None, defaults=DIFF_DEFAULTS,
                 glob='', extra_origins=()):
        self.tc = tc
        self.origins = {}
        for name in list(backends) + list(extra_origins):
            o = Origin(name)
            tc.addCleanup(o.stop)
            self.origins[name] = o
        d = tc.tmpdir()
        self.dir = d
        for fname, text in (files or {}).items():
            with open(os.path.join(d, fname), 'w') as f:
                f.write(text)
        self.fe = Listener()
        self.fe2 = Listener()
        tc.addCleanup(self.fe.close)
        tc.addCleanup(self.fe2.close)
        text = cfg
        listeners = [self.fe]
        text = text.replace('<<fe>>', self.fe.bind)
        if '<<fe2>>' in text:
            text = text.replace('<<fe2>>', self.fe2.bind)
            listeners.append(self.fe2)
        text = text.replace('<<dir>>', d)
        for name, o in self.origins.items():
            text = text.replace(f'<<be:{name}>>', o.addr)
        bes = ''.join(f'\nbackend {n}\n    server {n} {self.origins[n].addr}\n'
                      for n in backends)
        full = f'global\n{glob}\n{defaults}\n{text}\n{bes}'
        self.cfg = full
        self.proxy = Proxy(full, listeners, binary=binary, workdir=tc.tmpdir(), start=False)
        tc.addCleanup(self.proxy.stop)
        self.proxy.start()

    def counts(self):
        return {n: o.request_count() for n, o in self.origins.items()}

    def run(self, case, port=None):
        out = Outcome()
        before = self.counts()
        t0 = time.monotonic()
        try:
            c = Client(port or self.fe.port, timeout=case.timeout, source=case.src)
        except OSError as e:
            out.error = f'connect: {e}'
            return out
        with c:
            c.send(case.raw)
            try:
                r = c.read_response(case.method, timeout=case.timeout)
                out.resp = r
                out.status = r.status
                out.response = r.raw
            except (Timeout, EOFError, ValueError) as e:
                out.error = type(e).__name__
                out.response = bytes(c.buf)
            out.elapsed = time.monotonic() - t0
            # which origin got it (the origin records the request before answering)
            after = self.counts()
            for n in self.origins:
                if after[n] > before[n]:
                    req_ = self.origins[n].requests[before[n]]
                    out.origin = n
                    out.fwd_head = req_.raw_head
                    out.fwd_body = req_.body
            if out.error is None and case.followup:
                # is the connection still usable? A second request either gets an answer
                # (kept alive) or EOF/RST (closed): no fixed wait either way.
                try:
                    c.send(FOLLOWUP)
                    r2 = c.read_response('GET', timeout=case.timeout)
                    if r2.version.startswith('HTTP/') and r2.status > 0:
                        out.kept_alive = True
                    else:   # bytes after the response (e.g. a body sent after HEAD)
                        out.kept_alive = f'unexpected bytes after the response: {r2.raw_head[:80]!r}'
                except (Timeout, EOFError, OSError, ValueError):
                    out.kept_alive = False
        return out


def expect_ok(case, out):
    """Problems (list of text) of one outcome against the case's own expectations."""
    probs = []
    if isinstance(case.expect, str):
        if out.origin != case.expect:
            probs.append(f'expected backend {case.expect}, got origin {out.origin} '
                         f'(status {out.status}, {out.error or ""})')
        elif out.status != 200 and out.error is None and out.resp is not None and \
                out.resp.header('x-origin') != case.expect:
            probs.append(f'response not from {case.expect}: {out.response[:200]!r}')
    elif isinstance(case.expect, int):
        if out.status != case.expect:
            probs.append(f'expected status {case.expect}, got {out.status} ({out.error}) '
                         f'{out.response[:300]!r}')
    for desc, pred in case.checks:
        try:
            ok = pred(out)
        except Exception as e:  # noqa: BLE001 - a failing predicate is a failure
            ok = False
            desc = f'{desc} (raised {e!r})'
        if not ok:
            probs.append(f'check failed: {desc}; outcome {out!r}')
    return probs


class DiffTestCase(unittest.TestCase):
    """Mixin-style base: self.differential(cfg, backends, cases, files=...)."""

    def tmpdir(self):
        import shutil
        import tempfile
        d = tempfile.mkdtemp(prefix='integ-')
        self.addCleanup(shutil.rmtree, d, True)
        return d

    @classmethod
    def setUpClass(cls):
        if not os.access(PROXY_BIN, os.X_OK):
            if os.environ.get('PROXY_BIN') or os.environ.get('PORTERO_BIN'):
                raise RuntimeError(f'proxy binary {PROXY_BIN} is not executable')
            raise unittest.SkipTest(f'proxy binary {PROXY_BIN} not found (set PROXY_BIN)')

    def run_all(self, cfg, backends, cases, binary, files=None, defaults=DIFF_DEFAULTS,
                glob='', extra_origins=()):
        s = Setup(self, cfg, backends, binary, files=files, defaults=defaults, glob=glob,
                  extra_origins=extra_origins)
        outs = [s.run(c) for c in cases]
        s.proxy.stop()
        return s, outs

    def differential(self, cfg, backends, cases, files=None, defaults=DIFF_DEFAULTS, glob='',
                     compare=None, extra_origins=()):
        """Run every case on PROXY_BIN (checked against its expectations) and, when possible,
        on haproxy (compared field by field). compare(case, ours, ref) may return a list of
        problems to replace the default comparison of Outcome.key()."""
        names = [c.name for c in cases]
        assert len(names) == len(set(names)), 'duplicate case names'
        s, outs = self.run_all(cfg, backends, cases, PROXY_BIN, files, defaults, glob,
                               extra_origins)
        refs = None
        if not IS_HAPROXY and haproxy_available():
            _, refs = self.run_all(cfg, backends, cases, HAPROXY_BIN, files, defaults, glob,
                                   extra_origins)
        self.last_outcomes = (outs, refs)
        failures = []
        for i, c in enumerate(cases):
            probs = expect_ok(c, outs[i])
            if refs is not None:
                if compare is not None:
                    probs += compare(c, outs[i], refs[i])
                else:
                    a, b = outs[i].key(), refs[i].key()
                    for k in a:
                        if a[k] != b[k]:
                            probs.append(f'differs from haproxy in {k}:\n'
                                         f'    {os.path.basename(PROXY_BIN)}: {a[k]!r}\n'
                                         f'    haproxy: {b[k]!r}')
            with self.subTest(case=c.name):
                if probs:
                    failures.append(c.name)
                    self.fail(f'[{c.name}] ' + '\n  '.join(probs) +
                              (f'\n--- proxy stderr ---\n{s.proxy.stderr()[-2000:]}'
                               if os.environ.get('INTEG_VERBOSE') else ''))
        return outs, refs


__all__ = ['req', 'Case', 'Outcome', 'DiffTestCase', 'DIFF_DEFAULTS', 'IS_HAPROXY',
           'haproxy_available', 'wait_until']
