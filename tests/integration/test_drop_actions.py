"""`http-request reject`, `http-request/http-response silent-drop`, `set-var-fmt`,
`set-log-level`, `option http-buffer-request` and `option abortonclose`: what the client sees
(an EOF, nothing at all, a 408), what the origin receives, the traffic log lines (syslog level,
termination state, timers that are -1) and the `show stat` counters (dreq, hrsp_other).

Expected values were observed with HAProxy 2.6.12; when the binary under test is not haproxy
and haproxy is installed, each scenario also runs on haproxy and is compared field by field.
The -c messages for bad arguments are compared with haproxy's too.

silent-drop relies on TCP_REPAIR (root or CAP_NET_ADMIN), as HAProxy: without it the client
gets an RST, so the silent-drop checks are skipped when the tests do not run as root.
"""

import os
import re
import socket
import threading
import time
import unittest

from harness import ProxyTestCase, Client, wait_until
from harness.cli import cli
from harness.syslog import SyslogReceiver
from harness.proxy import IS_HAPROXY, HAPROXY_BIN, PROXY_BIN, haproxy_available, run_check


class Syslog(SyslogReceiver):
    """(priority, message) pairs in arrival order."""

    @property
    def lines(self):
        with self.lock:
            return list(self.records)

    def wait(self, needle, timeout=10.0):
        """The first line containing needle."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for p, l in self.lines:
                if needle in l:
                    return p, l
            time.sleep(0.02)
        raise AssertionError(f'no log line with {needle!r}: {self.lines!r}')

    def has(self, needle):
        return any(needle in l for _, l in self.lines)


# %ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc ... "request"
HTTPLOG = re.compile(r'\S+ \[[^\]]+\] (\S+) (\S+) (\S+)/(\S+)/(\S+)/(\S+)/(\S+) (\S+) (\S+) \S+ \S+ (\S+) '
                     r'\S+ \S+ (".*")')


def summary(entry):
    """What must match haproxy's: priority, route, which timers are -1, status, tsc, request."""
    prio, line = entry
    m = HTTPLOG.fullmatch(line)
    assert m, f'not an httplog line: {line!r}'
    fe, route, tr, tw, tc, trr, ta, st, b, tsc, rq = m.groups()
    neg = lambda v: 'neg' if v.startswith('-') else 'n'
    return {'prio': prio, 'route': route, 'TR': neg(tr), 'Tw': neg(tw), 'Tc': neg(tc), 'Tr': neg(trr),
            'status': st, 'tsc': tsc, 'request': rq}


def stat_rows(sock_path):
    text = cli(sock_path, 'show stat')
    lines = [l for l in text.splitlines() if l.strip()]
    head = lines[0].lstrip('# ').split(',')
    rows = {}
    for l in lines[1:]:
        f = dict(zip(head, l.split(',')))
        rows[(f['pxname'], f['svname'])] = f
    return rows


def read_outcome(sock, timeout):
    """'eof' (FIN), 'rst', 'silence' (nothing within timeout) or the bytes received."""
    sock.settimeout(timeout)
    data = b''
    try:
        while True:
            d = sock.recv(65536)
            if not d:
                return data or 'eof'
            data += d
    except socket.timeout:
        return data or 'silence'
    except ConnectionResetError:
        return data or 'rst'


def raw(port, data, timeout=1.0):
    s = socket.create_connection(('127.0.0.1', port))
    try:
        s.sendall(data)
        return read_outcome(s, timeout)
    finally:
        s.close()


def get(path, extra=''):
    return f'GET {path} HTTP/1.1\r\nHost: t\r\n{extra}\r\n'.encode()


RULES_FE = """
    http-request set-var(txn.p) path
    http-request set-log-level err if { path /err }
    http-request set-log-level silent if { path /silent }
    http-request set-log-level debug if { path /rejdebug }
    http-request reject if { path /rejdebug }
    http-request reject if { path /rej }
    http-request silent-drop if { path /drop }
    http-request set-var-fmt(txn.f) "a-%[path]-%[req.hdr(x-a)]-%[req.hdr(nope)]" if { path /fmt }
    http-request return status 200 content-type text/plain lf-string "f=[%[var(txn.f)]]" if { path /fmt }
    http-request set-var-fmt(txn.h) "h:%[req.hdr(x-a)]" if { path /fwd }
    http-request set-header x-h "%[var(txn.h)]" if { path /fwd }
"""

RULES_BE = """
    http-request reject if { path /berej }
    http-response silent-drop if { var(txn.p) -m str /rdrop }
    http-response set-log-level notice if { var(txn.p) -m str /rnotice }
    http-response set-var-fmt(txn.r) "st=%[status]" if { var(txn.p) -m str /rfmt }
    http-response set-header x-r "%[var(txn.r)]" if { var(txn.p) -m str /rfmt }
"""


class DropActionsTest(ProxyTestCase):
    maxDiff = None

    def start(self, binary, frontend, backend, origin_handler=None, server_opts='', extra=''):
        log = Syslog()
        self.addCleanup(log.close)
        o = self.origin('s1', handler=origin_handler)
        fe = self.listener()
        d = self.tmpdir()
        sock = os.path.join(d, 'stats.sock')
        cfg = f"""
global
    log 127.0.0.1:{log.port} local0
    stats socket {sock} level admin
defaults
    mode http
    log global
    option httplog
    timeout connect 2s
    timeout client 5s
    timeout server 5s
    timeout http-request 600ms
frontend fe
    bind {fe.bind}
{frontend}
    default_backend be
backend be
{backend}
    server s1 {o.addr}{server_opts}
{extra}
"""
        self.proxy(cfg, [fe], binary=binary)
        return log, o, fe, sock

    # ---- reject, silent-drop, set-var-fmt, set-log-level -----------------------------------
    def rules_scenario(self, binary):
        log, o, fe, sock = self.start(binary, RULES_FE, RULES_BE)
        seen = {}
        seen['rej'] = raw(fe.port, get('/rej'))
        seen['rejdebug'] = raw(fe.port, get('/rejdebug'))
        seen['berej'] = raw(fe.port, get('/berej'))
        if os.geteuid() == 0:
            seen['drop'] = raw(fe.port, get('/drop'), timeout=0.5)
            seen['rdrop'] = raw(fe.port, get('/rdrop'), timeout=0.5)
        with Client(fe.port) as c:
            c.send(get('/fmt', 'X-A: b\r\n'))
            r = c.read_response()
            seen['fmt'] = (r.status, r.body)
        with Client(fe.port) as c:
            c.send(get('/fwd', 'X-A: q\r\n'))
            seen['fwd'] = c.read_response().status
        with Client(fe.port) as c:
            c.send(get('/rfmt'))
            r = c.read_response()
            seen['rfmt'] = (r.status, r.header('x-r'))
        for p in ('/err', '/silent', '/rnotice', '/last'):
            with Client(fe.port) as c:
                c.send(get(p))
                c.read_response()
        lines = {}
        # the log lines come in order: once /last is logged, every earlier one is too
        log.wait('GET /last ')
        for p in ('/rej', '/rejdebug', '/berej', '/drop', '/rdrop', '/fmt', '/err', '/silent', '/rnotice'):
            if p in ('/drop', '/rdrop') and os.geteuid() != 0:
                continue
            needle = f'GET {p} '
            lines[p] = summary(log.wait(needle)) if log.has(needle) else None
        fwd = [r for r in o.requests if r.raw_head.startswith(b'GET /fwd ')]
        seen['fwd_header'] = re.findall(rb'(?im)^x-h: (.*?)\r$', fwd[0].raw_head) if fwd else None
        rows = stat_rows(sock)
        keys = ('dreq', 'dresp', 'hrsp_2xx', 'hrsp_other', 'req_tot', 'intercepted', 'ereq')
        stats = {k: {f: rows[k].get(f) for f in keys} for k in (('fe', 'FRONTEND'), ('be', 'BACKEND'))}
        return seen, lines, stats

    def test_rules(self):
        seen, lines, stats = self.rules_scenario(PROXY_BIN)
        self.assertEqual(seen['rej'], 'eof')
        self.assertEqual(seen['berej'], 'eof')
        if os.geteuid() == 0:
            self.assertEqual(seen['drop'], 'silence')
            self.assertEqual(seen['rdrop'], 'silence')
            self.assertEqual(lines['/drop']['tsc'], 'PR--')
            self.assertEqual((lines['/rdrop']['tsc'], lines['/rdrop']['status'], lines['/rdrop']['Tr']),
                             ('PR--', '200', 'neg'))
        self.assertEqual(seen['fmt'], (200, b'f=[a-/fmt-b-]'))
        self.assertEqual(seen['fwd_header'], [b'h:q'])
        self.assertEqual(seen['rfmt'], (200, 'st=200'))
        self.assertEqual(lines['/rej'], {'prio': 134, 'route': 'fe/<NOSRV>', 'TR': 'neg', 'Tw': 'neg',
                                         'Tc': 'neg', 'Tr': 'neg', 'status': '-1', 'tsc': 'PR--',
                                         'request': '"GET /rej HTTP/1.1"'})
        self.assertEqual(lines['/rejdebug']['prio'], 135)
        self.assertEqual(lines['/berej']['route'], 'be/<NOSRV>')
        self.assertEqual(lines['/err']['prio'], 131)
        self.assertEqual(lines['/rnotice']['prio'], 133)
        self.assertIsNone(lines['/silent'])
        fe, be = stats[('fe', 'FRONTEND')], stats[('be', 'BACKEND')]
        drops = 2 if os.geteuid() == 0 else 0
        self.assertEqual(fe['dreq'], str(3 + drops))
        self.assertEqual(be['dreq'], str(1 + drops // 2))
        self.assertEqual(fe['hrsp_other'], str(3 + drops // 2))
        self.assertEqual(be['hrsp_other'], '1')
        if not IS_HAPROXY and haproxy_available():
            ref = self.rules_scenario(HAPROXY_BIN)
            self.assertEqual(seen, ref[0])
            self.assertEqual(lines, ref[1])
            self.assertEqual(stats, ref[2])

    # ---- tcp-request content reject in mode http ---------------------------------------------
    def tcp_reject_scenario(self, binary):
        log, o, fe, sock = self.start(binary, '    tcp-request inspect-delay 1s\n'
                                              '    tcp-request content reject if { path /tcprej }\n', '')
        out = {'tcprej': raw(fe.port, get('/tcprej'))}
        with Client(fe.port) as c:
            c.send(get('/ok'))
            out['ok'] = c.read_response().status
        out['log'] = summary(log.wait('<BADREQ>'))
        log.wait('GET /ok ')
        rows = stat_rows(sock)
        out['stats'] = {f: rows[('fe', 'FRONTEND')][f] for f in ('dreq', 'hrsp_other', 'req_tot', 'hrsp_2xx')}
        out['origin'] = [r.raw_head.split(b' ')[1] for r in o.requests]
        return out

    def test_tcp_content_reject_http(self):
        out = self.tcp_reject_scenario(PROXY_BIN)
        self.assertEqual(out['tcprej'], 'eof')
        self.assertEqual(out['ok'], 200)
        self.assertEqual((out['log']['tsc'], out['log']['status'], out['log']['TR']), ('PR--', '-1', 'neg'))
        self.assertEqual(out['stats'], {'dreq': '1', 'hrsp_other': '1', 'req_tot': '1', 'hrsp_2xx': '1'})
        self.assertEqual(out['origin'], [b'/ok'])
        if not IS_HAPROXY and haproxy_available():
            self.assertEqual(out, self.tcp_reject_scenario(HAPROXY_BIN))

    # ---- option http-buffer-request ----------------------------------------------------------
    def buffer_scenario(self, binary, where):
        fe_opts = '    option http-buffer-request\n' if where == 'fe' else ''
        be_opts = '    option http-buffer-request\n' if where == 'be' else ''
        rule = '    http-request set-header x-len %[req.body,length]\n'
        log, o, fe, sock = self.start(binary, fe_opts + rule, be_opts + rule)
        out = {}
        # a body sent in two parts: the rules see it whole
        s = socket.create_connection(('127.0.0.1', fe.port))
        s.sendall(b'POST /two HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc')
        time.sleep(0.2)   # the proxy must wait for the rest of the body, not act on 'abc'
        s.sendall(b'defghij')
        out['two'] = read_outcome(s, 3)[:12]
        s.close()
        out['two_fwd'] = [re.findall(rb'(?im)^x-len: (.*?)\r$', r.raw_head) for r in o.requests
                          if r.raw_head.startswith(b'POST /two ')]
        # chunked, in two parts
        s = socket.create_connection(('127.0.0.1', fe.port))
        s.sendall(b'POST /chunked HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n')
        time.sleep(0.2)
        s.sendall(b'2\r\nde\r\n0\r\n\r\n')
        out['chunked'] = read_outcome(s, 3)[:12]
        s.close()
        out['chunked_fwd'] = [r.body for r in o.requests if r.raw_head.startswith(b'POST /chunked ')]
        # the body never completes: 408 once `timeout http-request` is over
        s = socket.create_connection(('127.0.0.1', fe.port))
        t0 = time.monotonic()
        s.sendall(b'POST /never HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc')
        out['never'] = read_outcome(s, 3)
        elapsed = time.monotonic() - t0
        s.close()
        out['never_origin'] = any(r.raw_head.startswith(b'POST /never ') for r in o.requests)
        out['log_two'] = summary(log.wait('POST /two '))
        out['log_never'] = summary(log.wait('POST /never '))
        return out, elapsed

    def check_buffer(self, where):
        out, elapsed = self.buffer_scenario(PROXY_BIN, where)
        self.assertEqual(out['two'][:12], b'HTTP/1.1 200')
        self.assertEqual(out['two_fwd'], [[b'10']])
        self.assertEqual(len(out['chunked_fwd']), 1)
        self.assertTrue(out['never'].startswith(b'HTTP/1.1 408 '), out['never'])
        self.assertFalse(out['never_origin'])
        self.assertGreaterEqual(elapsed, 0.5)
        self.assertEqual((out['log_never']['status'], out['log_never']['tsc'], out['log_never']['TR']),
                         ('408', 'cR--', 'neg'))
        self.assertEqual(out['log_two']['TR'], 'n')
        if not IS_HAPROXY and haproxy_available():
            ref, _ = self.buffer_scenario(HAPROXY_BIN, where)
            self.assertEqual(out, ref)

    def test_http_buffer_request_frontend(self):
        self.check_buffer('fe')

    def test_http_buffer_request_backend(self):
        self.check_buffer('be')

    # ---- option abortonclose -----------------------------------------------------------------
    def abort_scenario(self, binary):
        log, o, fe, sock = self.start(binary, '', '    option abortonclose\n', server_opts=' maxconn 1')
        busy = socket.create_connection(('127.0.0.1', fe.port))
        busy.sendall(get('/delay/800/busy'))
        assert o.wait_requests(1)
        # queued, its body not whole, then the client closes: aborted in the queue (CQ)
        a = socket.create_connection(('127.0.0.1', fe.port))
        a.sendall(b'POST /partial HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc')
        # queued and complete, then a FIN: still forwarded and answered
        b = socket.create_connection(('127.0.0.1', fe.port))
        b.sendall(get('/complete'))
        assert wait_until(lambda: 'be,BACKEND' in cli(sock, 'show stat') and
                          stat_rows(sock)[('be', 'BACKEND')]['qcur'] == '2', 3)
        a.shutdown(socket.SHUT_WR)
        b.shutdown(socket.SHUT_WR)
        out = {'partial': read_outcome(a, 3), 'complete': read_outcome(b, 3)[:12],
               'busy': read_outcome(busy, 3)[:12]}
        for s in (a, b, busy):
            s.close()
        out['paths'] = [r.raw_head.split(b' ')[1] for r in o.requests]
        out['log_partial'] = summary(log.wait('POST /partial '))
        out['log_complete'] = summary(log.wait('GET /complete '))
        return out

    def test_abortonclose(self):
        out = self.abort_scenario(PROXY_BIN)
        self.assertEqual(out['partial'], 'eof')
        self.assertEqual(out['complete'], b'HTTP/1.1 200')
        self.assertEqual(out['paths'], [b'/delay/800/busy', b'/complete'])
        self.assertEqual((out['log_partial']['tsc'], out['log_partial']['status']), ('CQ--', '-1'))
        self.assertEqual(out['log_complete']['tsc'], '----')
        if not IS_HAPROXY and haproxy_available():
            self.assertEqual(out, self.abort_scenario(HAPROXY_BIN))


# ---- -c: bad arguments, as haproxy words them ---------------------------------------------------
CHECK_LINES = {
    'reject_arg': ('http-request reject foo', 1),
    'silent_drop_arg': ('http-request silent-drop foo', 1),
    'response_silent_drop_arg': ('http-response silent-drop foo', 1),
    'log_level_missing': ('http-request set-log-level', 1),
    'log_level_bad': ('http-request set-log-level bogus', 1),
    'log_level_extra': ('http-request set-log-level err foo', 1),
    'log_level_silent': ('http-response set-log-level silent if { status 200 }', 0),
    'var_fmt_scope': ('http-request set-var-fmt(x) a', 1),
    'var_fmt_fetch': ('http-request set-var-fmt(txn.x) %[bogus]', 1),
    'var_fmt_bracket': ('http-request set-var-fmt(txn.x) %[req.hdr(x)', 1),
    'var_fmt_extra': ('http-request set-var-fmt(txn.x) a b', 1),
    'var_fmt_none': ('http-request set-var-fmt(txn.x)', 0),
    'var_fmt_cond': ('http-request set-var-fmt(txn.x,ifexists) a', 0),
    'buffer_request_arg': ('option http-buffer-request foo', 1),
    'abortonclose_arg': ('option abortonclose foo', 1),
    'abortonclose_frontend': ('option abortonclose', 0),
}

_PID = re.compile(r'^(\[(?:ALERT|WARNING)\]\s+)\(\d+\)')


def normalise(stderr):
    return [_PID.sub(r'\1(PID)', l) for l in stderr.splitlines() if not l.startswith('[NOTICE]')]


class DropActionsCheckTest(ProxyTestCase):
    def run_line(self, line, rc):
        cfg = f"""defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend f
    bind 127.0.0.1:18080
    {line}
    default_backend b
backend b
    server s1 127.0.0.1:18081
"""
        d = self.tmpdir()
        got = run_check(PROXY_BIN, cfg, d, name='x.cfg')
        self.assertEqual(got[0], rc, got[2])
        self.assertNotIn('not supported yet', got[2])
        if not IS_HAPROXY and haproxy_available():
            ref = run_check(HAPROXY_BIN, cfg, d, name='x.cfg')
            self.assertEqual((got[0], got[1], normalise(got[2])), (ref[0], ref[1], normalise(ref[2])))


def _make(line, rc):
    return lambda self: self.run_line(line, rc)


for _name, (_line, _rc) in CHECK_LINES.items():
    setattr(DropActionsCheckTest, f'test_{_name}', _make(_line, _rc))


if __name__ == '__main__':
    unittest.main()
