"""Traffic log lines with `capture request/response header`, `http-request/http-response
capture` and `declare capture` (and the capture.req/res.hdr fetches), `unique-id-format` /
`unique-id-header` (the forwarded header, %ID and the `unique-id` fetch) and portero's
`option httplog json`, received on a local UDP syslog socket.

Expected values were observed with HAProxy 2.6.12; when the binary under test is not haproxy
and haproxy is installed, the differential tests also run haproxy and compare field by field.
Run against haproxy with PROXY_BIN=/usr/sbin/haproxy (the json tests are skipped)."""

import json
import re
import socket
import threading
import time
import unittest

from harness import ProxyTestCase, Client
from harness.syslog import SyslogReceiver
from harness.proxy import IS_HAPROXY, HAPROXY_BIN, haproxy_available, run_check


class Syslog(SyslogReceiver):
    """The messages alone, in arrival order."""

    @property
    def lines(self):
        with self.lock:
            return [m for _, m in self.records]

    def wait_count(self, pred, n, timeout=15.0):   # generous: CI boxes can be very busy
        """The first n lines satisfying pred (waits for them)."""
        deadline = time.time() + timeout
        while True:
            got = [l for l in self.lines if pred(l)]
            if len(got) >= n:
                return got[:n]
            if time.time() > deadline:
                raise AssertionError(f'{len(got)} of {n} log lines within {timeout}s: {got!r}\n'
                                     f'all: {self.lines!r}')
            time.sleep(0.02)


# %ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq rest
HTTPLOG = re.compile(r'(\S+) \[([^\]]+)\] (\S+) (\S+) (\S+) (\d+) (\d+) (\S+) (\S+) (\S+) (\S+) (\S+) (.*)',
                     re.S)


def fields(line):
    m = HTTPLOG.fullmatch(line)
    assert m, f'not an httplog line: {line!r}'
    return {'client': m.group(1), 'frontend': m.group(3), 'route': m.group(4), 'status': m.group(6),
            'tsc': m.group(10), 'rest': m.group(13)}


def origin_handler(origin, c, req):
    # response headers to capture: a repeated one (the last wins), one longer than its capture
    return origin.respond(c, req, headers=['X-Resp: first', 'X-Resp: r2"#|{}\\z',
                                           'Server: Foo Bar Baz Qux', 'X-Empty:'])


CAPTURES = """
    capture request header Host len 2
    capture request header X-Missing len 10
    capture request header User-Agent len 64
    capture request header X-Dup len 10
    capture response header X-Resp len 20
    capture response header Server len 7
    capture response header X-Empty len 5
    capture response header X-Absent len 5
"""

# Requests on fresh connections: (path, headers, expected rest of the httplog line, status).
CAPTURE_CASES = [
    ('/a?b="c"', ['User-Agent: ua "q" #h |p {b} \\ end', 'X-Dup: one', 'X-Dup: two'],
     '{te||ua #22q#22 #23h #7Cp #7Bb#7D \\ end|two} {r2#22#23#7C#7B#7D\\z|Foo Bar||} '
     '"GET /a?b=#22c#22 HTTP/1.1"', '200'),
    ('/b', ['X-Missing: 0123456789abcdef', 'User-Agent:', 'x-dup: in\tside'],
     '{te|0123456789||in#09side} {r2#22#23#7C#7B#7D\\z|Foo Bar||} "GET /b HTTP/1.1"', '200'),
    ('/c', ['User-Agent: caf\xe9'],
     '{te||caf#E9|} {r2#22#23#7C#7B#7D\\z|Foo Bar||} "GET /c HTTP/1.1"', '200'),
]


class LogCaptureTest(ProxyTestCase):
    def start(self, frontend, backend='', binary=None, handler=origin_handler, glob='', extra_fe=''):
        log = Syslog()
        self.addCleanup(log.close)
        o = self.origin('s1', handler=handler)
        fe = self.listener()
        fe2 = self.listener()
        cfg = f"""
global
    log 127.0.0.1:{log.port} local0
{glob}
defaults
    mode http
    log global
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend fe
    bind {fe.bind}
{frontend}
    default_backend be
frontend fe2
    bind {fe2.bind}
{extra_fe}
    default_backend nosrv
backend be
{backend}
    server s1 {o.addr}
backend nosrv
"""
        self.proxy(cfg, [fe, fe2], binary=binary)
        return log, o, fe, fe2

    def get(self, port, path, headers=(), raw=None):
        with Client(port) as c:
            if raw is not None:
                c.send(raw)
                c.read_until_close(5)
                return None, c.sock
            r = c.request('GET', path, headers=list(headers))
            return r, c.sock.getsockname()

    def capture_lines(self, binary=None):
        log, o, fe, fe2 = self.start('    option httplog\n' + CAPTURES, binary=binary,
                                     extra_fe='    option httplog\n' + CAPTURES)
        mine = lambda l: ' fe ' in l or ' fe2 ' in l
        n = 0
        for path, headers, _, _ in CAPTURE_CASES:
            self.get(fe.port, path, headers)
            n += 1
            log.wait_count(mine, n)
        # no server: no response captured
        self.get(fe2.port, '/nosrv', ['User-Agent: u1', 'X-Dup: d'])
        n += 1
        log.wait_count(mine, n)
        # a request that is not HTTP: <BADREQ>, no capture shown at all
        self.get(fe.port, None, raw=b'GET / HTTP/1.1\r\nHost: a\r\nBad header\r\n\r\n')
        n += 1
        log.wait_count(mine, n)
        return [fields(l) for l in log.wait_count(mine, n)]

    def test_captures_in_httplog_line(self):
        lines = self.capture_lines()
        for (path, _, rest, status), f in zip(CAPTURE_CASES, lines):
            self.assertEqual(f['rest'], rest, path)
            self.assertEqual(f['status'], status, path)
            self.assertEqual(f['route'], 'be/s1')
        bad = lines[-1]
        self.assertEqual((bad['status'], bad['route'], bad['tsc']), ('400', 'fe/<NOSRV>', 'PR--'))
        self.assertEqual(bad['rest'], '"<BADREQ>"')
        nosrv = lines[-2]
        self.assertEqual(nosrv['status'], '503')
        self.assertEqual(nosrv['rest'], '{te||u1|d} {|||} "GET /nosrv HTTP/1.1"')

    def test_captures_differential(self):
        if IS_HAPROXY or not haproxy_available():
            self.skipTest('needs haproxy installed and another binary under test')
        ours = self.capture_lines()
        theirs = self.capture_lines(binary=HAPROXY_BIN)
        for a, b in zip(ours, theirs):
            for k in ('frontend', 'route', 'status', 'tsc', 'rest'):
                self.assertEqual(a[k], b[k], (k, a, b))

    def test_capture_lists_and_quoting(self):
        # %hrl/%hsl: one field per capture, '-' (or "" quoted) for a header not present.
        fmt = '%hrl|%hsl|%{+Q}hrl|%{+Q}hsl|%{+Q}hr|%{+Q}hs'
        log, o, fe, fe2 = self.start(f'    log-format "{fmt}"\n' + CAPTURES)
        self.get(fe.port, '/x', ['User-Agent: a b', 'X-Dup: "d"'])
        line, = log.wait_count(lambda l: 'a b' in l, 1)
        self.assertEqual(line, 'te - a b #22d#22|r2#22#23#7C#7B#7D\\z Foo Bar  -|'
                               '"te" "" "a b" "#22d#22"|"r2#22#23#7C#7B#7D\\z" "Foo Bar" "" ""|'
                               '"{te||a b|#22d#22}"|"{r2#22#23#7C#7B#7D\\z|Foo Bar||}"')

    def test_clf_lists(self):
        log, o, fe, fe2 = self.start('    option httplog clf\n' + CAPTURES)
        self.get(fe.port, '/clf', ['User-Agent: x'])
        line, = log.wait_count(lambda l: '/clf' in l, 1)
        self.assertTrue(line.endswith(' "te" "" "x" "" "r2#22#23#7C#7B#7D\\z" "Foo Bar" "" ""'), line)

    def test_no_capture_no_braces(self):
        log, o, fe, fe2 = self.start('    option httplog\n')
        self.get(fe.port, '/plain', ['User-Agent: x'])
        line, = log.wait_count(lambda l: '/plain' in l, 1)
        self.assertEqual(fields(line)['rest'], '"GET /plain HTTP/1.1"')

    # ---- unique-id ------------------------------------------------------------------------
    UID_FMT = r'%{+X}o\ %ci:%cp_%fi:%fp_%Ts_%rt'

    def uid_run(self, binary=None):
        log, o, fe, fe2 = self.start(
            f'    unique-id-format {self.UID_FMT}\n    unique-id-header X-Unique-ID\n'
            '    option forwardfor\n    http-request set-header X-Fetch %[unique-id]\n'
            '    log-format "id=%ID r=%r"\n',
            binary=binary, extra_fe='    unique-id-header X-Unique-ID\n    log-format "id=%ID r=%r"\n',
            handler=None)
        out = []
        for path in ('/u1', '/u2'):
            t0 = int(time.time())
            _, (ip, port) = self.get(fe.port, path)
            line, = log.wait_count(lambda l, p=path: f' r=GET {p} ' in l, 1)
            out.append((port, t0, line))
        self.get(fe2.port, '/u3')
        line3, = log.wait_count(lambda l: ' r=GET /u3 ' in l, 1)
        return o, fe, out, line3

    def test_unique_id(self):
        o, fe, out, line3 = self.uid_run()
        rts = []
        for i, (port, t0, line) in enumerate(out):
            q = o.requests[i]
            uid = q.header('x-unique-id')
            m = re.fullmatch(r'7F000001:([0-9A-F]{4})_7F000001:([0-9A-F]{4})_([0-9A-F]{8})_([0-9A-F]{4})', uid)
            self.assertTrue(m, uid)
            self.assertEqual(int(m.group(1), 16), port)
            self.assertEqual(int(m.group(2), 16), fe.port)
            self.assertLessEqual(abs(int(m.group(3), 16) - t0), 2)
            rts.append(int(m.group(4), 16))
            self.assertEqual(line, f'id={uid} r=GET /u{i + 1} HTTP/1.1')
            self.assertEqual(q.header('x-fetch'), uid)   # the fetch: the same id, computed once
            # after the rules' headers, before x-forwarded-for (HAProxy's order)
            self.assertTrue(q.raw_head.endswith(
                f'x-fetch: {uid}\r\nx-unique-id: {uid}\r\nx-forwarded-for: 127.0.0.1\r\n\r\n'.encode()),
                q.raw_head)
        self.assertEqual(rts[1], rts[0] + 1)
        # unique-id-header without unique-id-format: no header, %ID is '-'
        self.assertEqual(line3, 'id=- r=GET /u3 HTTP/1.1')

    def test_unique_id_differential(self):
        if IS_HAPROXY or not haproxy_available():
            self.skipTest('needs haproxy installed and another binary under test')
        a = self.uid_run()
        b = self.uid_run(binary=HAPROXY_BIN)
        for run in (a, b):
            o, fe, out, line3 = run
            self.assertEqual(line3, 'id=- r=GET /u3 HTTP/1.1')
        # %rt: the same request number in both processes (the harness probe counts as one)
        def rt(run):
            return [int(run[0].requests[i].header('x-unique-id').rsplit('_', 1)[1], 16) for i in range(2)]
        self.assertEqual(rt(a), rt(b))
        # the forwarded heads differ only by the id's values
        norm = lambda h: re.sub(rb'7F000001:[0-9A-F_:]+', b'ID', h)
        self.assertEqual([norm(q.raw_head) for q in a[0].requests], [norm(q.raw_head) for q in b[0].requests])

    def test_bad_unique_id_format_rejected(self):
        cfg = ('defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n'
               'frontend f\n    bind 127.0.0.1:1\n    unique-id-format %zz\n    default_backend b\n'
               'backend b\n    server s 127.0.0.1:2\n')
        rc, out, err = run_check(self.PROXY_BIN, cfg, self.tmpdir())
        self.assertNotEqual(rc, 0)
        self.assertIn("failed to parse unique-id : no such format variable 'zz'", err)

    # ---- %[sample,converter...] in log-format / unique-id-format ----------------------------
    SAMPLE_FE = r"""
    http-request set-var(txn.a) str(va)
    http-request set-var(txn.e) str()
    http-request set-var(txn.sp) req.hdr(x-sp)
    http-request set-var(txn.i) int(42)
    http-request deny if { path /deny }
    http-response set-var(txn.b) res.hdr(x-resp)
    unique-id-format %[req.hdr(x-nope)]-%[req.hdr(x-h)]-%{+Q}[req.hdr(x-sp)]
    log-format "%HP m=%[method] a=%[var(txn.a)] b=%[var(txn.b)] e=%[var(txn.e)] qe=%{+Q}[var(txn.e)] miss=%[var(txn.zz)] qmiss=%{+Q}[var(txn.zz)] sp=%[var(txn.sp)] qsp=%{+Q}[var(txn.sp)] esp=%{+E}[var(txn.sp)] i=%[var(txn.i)] uid=%[unique-id] id=%ID be=%[be_name] fe=%[fe_name] ph=%[req.proto_http] src=%[src] up=%[var(txn.a),upper] ln=%[var(txn.sp),length] sd=%[var(txn.i),add(8)] w=%[var(txn.sp),word(2, ),upper]"
    use_backend nosrv if { path /nosrv }
"""
    SAMPLE_CASES = [
        ('/ok', ['X-H: hh', 'X-Sp: a b"c]d\\e'],
         '/ok m=GET a=va b=r2"#|{}\\z e=- qe="" miss=- qmiss="" sp=a b"c]d\\e qsp="a b"c]d\\e" '
         'esp=a b\\"c\\]d\\\\e i=42 uid=-hh-a b"c]d\\e id=-hh-a b"c]d\\e be=be fe=fe ph=- src=127.0.0.1 up=VA '
         'ln=9 sd=50 w=B"C]D\\E'),
        # denied by a rule: no server status; the id is computed at log time, the request gone
        ('/deny', ['X-H: h2'],
         '/deny m=GET a=va b=- e=- qe="" miss=- qmiss="" sp=- qsp="" esp=- i=42 uid=-- id=-- be=fe fe=fe '
         'ph=- src=127.0.0.1 up=VA ln=- sd=50 w=-'),
        ('/nosrv', ['X-H: h3'],
         '/nosrv m=GET a=va b=- e=- qe="" miss=- qmiss="" sp=- qsp="" esp=- i=42 uid=-h3- id=-h3- be=nosrv '
         'fe=fe ph=- src=127.0.0.1 up=VA ln=- sd=50 w=-'),
    ]

    def sample_lines(self, binary=None):
        log, o, fe, fe2 = self.start(self.SAMPLE_FE, binary=binary)
        out = []
        for path, headers, _ in self.SAMPLE_CASES:
            self.get(fe.port, path, headers)
            line, = log.wait_count(lambda l, p=path: l.startswith(p + ' '), 1)
            out.append(line)
        return out

    def test_sample_expressions(self):
        for (path, _, want), got in zip(self.SAMPLE_CASES, self.sample_lines()):
            self.assertEqual(got, want, path)

    def test_sample_expressions_differential(self):
        if IS_HAPROXY or not haproxy_available():
            self.skipTest('needs haproxy installed and another binary under test')
        self.assertEqual(self.sample_lines(), self.sample_lines(binary=HAPROXY_BIN))

    def test_bad_sample_in_log_format_rejected(self):
        base = ('defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n'
                'frontend f\n    bind 127.0.0.1:1\n    log 127.0.0.1:514 local0\n    {}\n    default_backend b\n'
                'backend b\n    server s 127.0.0.1:2\n')
        cases = [
            ('log-format "h=%[req.hdr(host)] x"', "failed to parse log-format : sample fetch <req.hdr(host)] x> may "
             "not be reliably used here because it needs 'HTTP request headers' which is not available here."),
            ('log-format "%[res.hdr(a)]"', "failed to parse log-format : sample fetch <res.hdr(a)]> may not be "
             "reliably used here because it needs 'HTTP response headers' which is not available here."),
            ('log-format "%[req.len]"', "needs 'request buffer' which is not available here."),
            ('log-format "%[nosuch]"', "failed to parse log-format : failed to parse sample expression <nosuch]> : "
             "unknown fetch method 'nosuch'."),
            ('log-format "%[str(a),bogus]"', "failed to parse log-format : failed to parse sample expression "
             "<str(a),bogus]> : unknown converter 'bogus'."),
            ('log-format "%[str(a)"', "failed to parse log-format : missing ']' after 'str(a)'."),
            ('log-format "%[str(a) x"', "failed to parse log-format : expected ']' after 'str(a)', but found ' '."),
            ('log-format-sd "%[path]"', "failed to parse log-format-sd : sample fetch <path]> may not be reliably "
             "used here because it needs 'HTTP request headers' which is not available here."),
            ('unique-id-format %[status]', "failed to parse unique-id : sample fetch <status]> may not be reliably "
             "used here because it needs 'HTTP response' which is not available here."),
        ]
        for line, want in cases:
            rc, out, err = run_check(self.PROXY_BIN, base.format(line), self.tmpdir())
            self.assertNotEqual(rc, 0, line)
            self.assertIn(want, err, line)
            # found by HAProxy's post-parse checks: "Parsing [f:l]: ...", then only "Fatal errors"
            # (haproxy 2.6 names "(null):0" for log-format-sd; portero the line)
            self.assertRegex(err, r'config : Parsing \[[^\]]+:(9|0)\]: failed to parse ', line)
            self.assertNotIn('Error(s) found', err, line)
        for line in ('log-format "%[var(txn.a),lower] %[status] %[method] %[src] %[be_name]"',
                     'unique-id-format %[req.hdr(host)]-%[path]', 'log-format-sd "%[fe_name]"'):
            rc, out, err = run_check(self.PROXY_BIN, base.format(line), self.tmpdir())
            self.assertEqual(rc, 0, (line, err))

    # ---- capture cookie -------------------------------------------------------------------
    COOKIE_CASES = [
        # (path, request headers, expected "%CC %CS %{+Q}CC %{+E}CC")
        ('/c1', ['Cookie: a=1; SESSIONID=abcdefghijkl; SESS=2'], 'SESSIONID=ab SESSA=first "SESSIONID=ab" SESSIONID=ab'),
        ('/c2', ['Cookie: a=1', 'Cookie: SESS=x"y]z\\w'], 'SESS=x"y]z\\w SESSA=first "SESS=x"y]z\\w" SESS=x\\"y\\]z\\\\w'),
        ('/c3', ['Cookie: SESS'], '- SESSA=first "" -'),
        ('/c4', ['Cookie: xSESS=1;SESS='], 'SESS= SESSA=first "SESS=" SESS='),
        ('/c5', [], '- SESSA=first "" -'),
        ('/c6', ['Cookie: $Version=1; SESS=v; $Path=/'], 'SESS=v SESSA=first "SESS=v" SESS=v'),
        ('/c7', ['Cookie: a=1, SESS=comma'], 'SESS=comma SESSA=first "SESS=comma" SESS=comma'),
        ('/nosrv', ['Cookie:  SESS=n  ; b=2'], 'SESS=n - "SESS=n" SESS=n'),
    ]

    def cookie_lines(self, binary=None):
        def handler(origin, c, req):
            return origin.respond(c, req, headers=['Set-Cookie: x=1', 'Set-Cookie: SESSA=first; path=/; HttpOnly',
                                                   'Set-Cookie: SESS=second'])
        fe_cfg = ('    capture cookie SESS len 12\n    log-format "%HP %CC %CS %{+Q}CC %{+E}CC"\n'
                  '    use_backend nosrv if { path /nosrv }\n')
        log, o, fe, fe2 = self.start(fe_cfg, binary=binary, handler=handler)
        out = []
        for path, headers, _ in self.COOKIE_CASES:
            self.get(fe.port, path, headers)
            line, = log.wait_count(lambda l, p=path: l.startswith(p + ' '), 1)
            out.append(line[len(path) + 1:])
        return out

    def test_capture_cookie(self):
        for (path, _, want), got in zip(self.COOKIE_CASES, self.cookie_lines()):
            self.assertEqual(got, want, path)

    def test_capture_cookie_differential(self):
        if IS_HAPROXY or not haproxy_available():
            self.skipTest('needs haproxy installed and another binary under test')
        self.assertEqual(self.cookie_lines(), self.cookie_lines(binary=HAPROXY_BIN))

    def test_capture_cookie_in_httplog_and_json(self):
        def handler(origin, c, req):
            return origin.respond(c, req, headers=['Set-Cookie: SID=s1; path=/'])
        log, o, fe, fe2 = self.start('    capture cookie SID len 20\n    option httplog\n', handler=handler)
        self.get(fe.port, '/h', ['Cookie: SID=abc'])
        line, = log.wait_count(lambda l: '/h ' in l, 1)
        self.assertIn(' 200 ', line)
        self.assertRegex(line, r' SID=abc SID=s1 ---- ')
        if IS_HAPROXY:
            return
        log, o, fe, fe2 = self.start('    capture cookie SID len 20\n    option httplog json\n', handler=handler)
        self.get(fe.port, '/j', ['Cookie: SID=abc'])
        line, = log.wait_count(lambda l: '/j ' in l, 1)
        j = json.loads(line)
        self.assertEqual((j['captured_request_cookie'], j['captured_response_cookie']), ('SID=abc', 'SID=s1'))

    # ---- http-request / http-response capture, declare capture ----------------------------
    # Slots of fe, request side: 0 X-H header (overwritten by a rule on /p), 1 `len 5`,
    # 2 declared (written by id), 3 `len 10` (only on /q), 4 `len 15` (an address, cast to a
    # string), 5 declared, written by the backend's rule. Response side: 0 Server header
    # (overwritten by the backend's rule), 1 declared (x-r), 2 status (an integer). A capture
    # whose sample is absent leaves the slot as it was; an id beyond the frontend's slots (the
    # backend's `id 9`, fe2's `id 3`) does nothing.
    RULE_FE = r"""
    option httplog
    capture request header X-H len 4
    http-request capture req.hdr(x-a) len 5
    declare capture request len 8
    http-request capture req.hdr(x-b),upper id 2
    http-request capture path id 0 if { path /p }
    http-request capture str("q|{#}") len 10 if { path /q }
    http-request capture src len 15
    declare capture request len 6
    http-request set-header x-cap %[capture.req.hdr(1)]-%[capture.req.hdr(2)]-%[capture.req.hdr(9)]
    capture response header Server len 3
    declare capture response len 4
    http-response capture res.hdr(x-r) id 1
    declare capture response len 3
    http-response capture status id 2
    http-response capture var(txn.nope) id 1
    http-response set-header x-c %[capture.res.hdr(0)]/%[capture.res.hdr(1)]/%[capture.req.hdr(0)]
    use_backend nosrv if { path /nosrv }
"""
    RULE_FE2 = r"""
    log-format "fe2 %[capture.req.hdr(0)] %[capture.res.hdr(0)] %{+Q}hr %hs %{+Q}r"
    declare capture request len 3
    declare capture response len 6
    http-request capture req.hdr(x-a) id 0
    use_backend be if { path_beg /fe2 }
"""
    RULE_BE = r"""
    http-request capture req.hdr(x-be) id 5
    http-request capture str(never) id 9
    http-request set-var(txn.lc) str(1) if { path_beg /p /fe2 }
    http-response capture res.hdr(x-r),lower id 0 if { var(txn.lc) -m found }
"""
    # (frontend, path, request headers)
    RULE_CASES = [
        ('fe', '/p', ['X-H: h1234', 'X-A: aaaaaaa', 'X-B: bee', 'X-Be: from-backend']),
        ('fe', '/q', ['X-H: hh', 'X-A: "q"']),
        ('fe', '/plain', []),
        ('fe', '/nosrv', ['X-A: a', 'X-B: b']),
        ('fe2', '/fe2/x', ['X-A: abcdef', 'X-Be: b']),
        ('fe2', '/other', ['X-A: z']),
    ]

    def rule_capture_run(self, binary=None):
        def handler(origin, c, req):
            return origin.respond(c, req, headers=['Server: Srv1234', 'X-R: MiXeD|"#'])
        log, o, fe, fe2 = self.start(self.RULE_FE, backend=self.RULE_BE, binary=binary, handler=handler,
                                     extra_fe=self.RULE_FE2)
        lines, answers = [], []
        for name, path, headers in self.RULE_CASES:
            port = fe.port if name == 'fe' else fe2.port
            r, _ = self.get(port, path, headers)
            answers.append((r.status, r.header('x-c')))
            line, = log.wait_count(lambda l, p=path: f' {p} HTTP/1.1"' in l, 1)
            lines.append(fields(line)['rest'] if name == 'fe' else line)
        # one keep-alive connection: every request starts with empty slots
        with Client(fe.port) as c:
            for path, headers in (('/ka1', ['X-A: first', 'X-B: b1']), ('/ka2', [])):
                c.request('GET', path, headers=headers)
                line, = log.wait_count(lambda l, p=path: f' {p} HTTP/1.1"' in l, 1)
                lines.append(fields(line)['rest'])
        return lines, answers, [q.header('x-cap') for q in o.requests]

    def test_rule_captures(self):
        lines, answers, forwarded = self.rule_capture_run()
        self.assertEqual(lines, [
            '{/p|aaaaa|BEE||127.0.0.1|from-b} {mix|MiXe|200} "GET /p HTTP/1.1"',
            '{hh|#22q#22||q#7C#7B#23#7D|127.0.0.1|} {Srv|MiXe|200} "GET /q HTTP/1.1"',
            '{||||127.0.0.1|} {mix|MiXe|200} "GET /plain HTTP/1.1"',
            '{|a|B||127.0.0.1|} {||} "GET /nosrv HTTP/1.1"',
            # the fetch gives the raw value, %hs escapes it
            'fe2 abc mixed| "{abc}" {mixed#7C} "GET /fe2/x HTTP/1.1"',
            'fe2 z - "{z}" {} "GET /other HTTP/1.1"',
            '{|first|B1||127.0.0.1|} {Srv|MiXe|200} "GET /ka1 HTTP/1.1"',
            '{||||127.0.0.1|} {Srv|MiXe|200} "GET /ka2 HTTP/1.1"',
        ])
        self.assertEqual(answers, [(200, 'mix/MiXe//p'), (200, 'Srv/MiXe/hh'), (200, 'mix/MiXe/'),
                                   (503, None), (200, None), (503, None)])
        self.assertEqual(forwarded, ['aaaaa-BEE-', '"q"--', '--', None, 'first-B1-', '--'])

    def test_rule_captures_differential(self):
        if IS_HAPROXY or not haproxy_available():
            self.skipTest('needs haproxy installed and another binary under test')
        self.assertEqual(self.rule_capture_run(), self.rule_capture_run(binary=HAPROXY_BIN))

    def fetch_without_log_run(self, binary=None):
        # captures are kept for the fetches even by a frontend that does not log
        fe_cfg = ('    no log\n    capture request header X-A len 3\n    declare capture request len 4\n'
                  '    http-request capture req.hdr(x-b) id 1\n'
                  '    http-request set-header x-c %[capture.req.hdr(0)]/%[capture.req.hdr(1)]\n')
        log, o, fe, fe2 = self.start(fe_cfg, binary=binary, handler=None)
        for headers in (['X-A: abcdef', 'X-B: 123456'], ['X-B: z'], []):
            self.get(fe.port, '/', headers)
        return [q.header('x-c') for q in o.requests]

    def test_capture_fetch_without_logging(self):
        self.assertEqual(self.fetch_without_log_run(), ['abc/1234', '/z', '/'])
        if not IS_HAPROXY and haproxy_available():
            self.assertEqual(self.fetch_without_log_run(binary=HAPROXY_BIN), ['abc/1234', '/z', '/'])

    # ---- option httplog json (portero) ----------------------------------------------------
    def require_portero(self):
        if IS_HAPROXY:
            self.skipTest('option httplog json is portero-only (haproxy -c rejects it)')

    def test_json_check_config_quiet(self):
        self.require_portero()
        cfg = ('defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n'
               'frontend f\n    bind 127.0.0.1:1\n    log 127.0.0.1:514 local0\n    option httplog json\n'
               '    default_backend b\nbackend b\n    server s 127.0.0.1:2\n')
        rc, out, err = run_check(self.PROXY_BIN, cfg, self.tmpdir())
        self.assertEqual(rc, 0, err)
        self.assertNotIn('WARNING', err + out)
        self.assertNotIn('ALERT', err + out)

    def test_json_line(self):
        self.require_portero()
        log, o, fe, fe2 = self.start('    option httplog json\n' + CAPTURES,
                                     extra_fe='    option httplog json\n')
        _, (ip, port) = self.get(fe.port, '/j?q="x"', ['User-Agent: a"b\\c\td\xe9', 'X-Dup: 1'])
        self.get(fe2.port, '/none')
        a, = log.wait_count(lambda l: '/j?' in l, 1)
        b, = log.wait_count(lambda l: '/none' in l, 1)
        ja, jb = json.loads(a), json.loads(b)
        self.assertEqual(list(ja), [
            'client_ip', 'client_port', 'accept_date', 'frontend', 'backend', 'server', 'TR', 'Tw',
            'Tc', 'Tr', 'Ta', 'status', 'bytes_read', 'captured_request_cookie',
            'captured_response_cookie', 'termination_state', 'actconn', 'feconn', 'beconn',
            'srv_conn', 'retries', 'srv_queue', 'backend_queue', 'captured_request_headers',
            'captured_response_headers', 'http_request'])
        self.assertEqual(ja['client_ip'], '127.0.0.1')
        self.assertEqual(ja['client_port'], port)
        self.assertRegex(ja['accept_date'], r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\d*[+-]\d\d:\d\d$')
        self.assertEqual((ja['frontend'], ja['backend'], ja['server']), ('fe', 'be', 's1'))
        self.assertEqual(ja['status'], 200)
        self.assertEqual(ja['termination_state'], '----')
        self.assertEqual((ja['captured_request_cookie'], ja['captured_response_cookie']), (None, None))
        for k in ('TR', 'Tw', 'Tc', 'Tr', 'Ta', 'bytes_read', 'actconn', 'feconn', 'beconn', 'srv_conn',
                  'retries', 'srv_queue', 'backend_queue'):
            self.assertIsInstance(ja[k], int, k)
        self.assertGreater(ja['bytes_read'], 0)
        # raw values, JSON-escaped (a byte >= 0x80 is read as Latin-1)
        self.assertEqual(ja['captured_request_headers'], ['te', None, 'a"b\\c\td\xe9', '1'])
        self.assertEqual(ja['captured_response_headers'], ['r2"#|{}\\z', 'Foo Bar', '', None])
        self.assertEqual(ja['http_request'], 'GET /j?q="x" HTTP/1.1')
        self.assertIn('\\u00e9', a)
        # no server, no capture configured: -1 timings, empty arrays
        self.assertEqual((jb['status'], jb['server'], jb['Tc'], jb['termination_state']),
                         (503, '<NOSRV>', -1, 'SC--'))
        self.assertEqual((jb['captured_request_headers'], jb['captured_response_headers']), ([], []))


if __name__ == '__main__':
    unittest.main()
