"""`use-server` and `http-send-name-header`, against the binary under test (portero, or haproxy
itself with PROXY_BIN=/usr/sbin/haproxy). Every expectation below was observed on haproxy
2.6.12 first; the `-c` cases also run live haproxy on the same file when it is installed.

use-server: evaluated in the backend after its http-request rules and before cookie
persistence and the balancer; the first rule whose condition matches names the server, which
is used unless it is stopped (maintenance or down; draining is fine), in which case the next
rules are tried, unless `option persist` or a matching `force-persist` allows it. A request
placed by a rule is "direct": no Set-Cookie is inserted and a persistence cookie it carries
chooses nothing (it is still stripped). A dynamic name (`%[...]`) naming no server ends the
rules (the balancer chooses). An empty `if` never matches. Works in `mode tcp` too.

http-send-name-header NAME: every header of that name the client sent is dropped and one
`name: <server>` line (name lower-cased) is appended after every other header, naming the
server of the attempt that is sent: after a redispatch, or a layer-7 retry that moved to
another server, the new one.
"""

import re
import unittest

from harness import ProxyTestCase, IS_HAPROXY, HAPROXY_BIN, PROXY_BIN, haproxy_available
from harness.cli import cli
from harness.client import Client
from harness.proxy import run_check
from harness.tcp_origin import TcpOrigin
from harness.util import wait_until


def get(path, headers=''):
    return f'GET {path} HTTP/1.1\r\nhost: x\r\n{headers}\r\n'.encode()


class UseServerTest(ProxyTestCase):
    def start(self, body, names=('s1', 's2', 's3'), glob=''):
        origins = {n: self.origin(n) for n in names}
        fe = self.listener()
        d = self.tmpdir()
        sock = f'{d}/admin.sock'
        cfg = f"""
global
    stats socket {sock} level admin
{glob}
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind {fe.bind}
    default_backend be
{body}
"""
        for n, o in origins.items():
            cfg = cfg.replace(f'<<{n}>>', o.addr)
        self.proxy(cfg, [fe])
        return fe, origins, sock

    def exchange(self, fe, data):
        with Client(fe.port) as c:
            c.send(data)
            r = c.read_response()
        return r.status, r.header('x-origin'), r.header('set-cookie')

    def test_rules_before_cookie_and_balancer(self):
        fe, o, sock = self.start("""
backend be
    cookie SRV insert indirect nocache
    use-server s2 if { path /two }
    use-server s3 if { path /three }
    use-server s1 if { path /three }
    use-server %[req.hdr(x-srv)] if { req.hdr(x-srv) -m found }
    use-server s1 if { path /dyn }
    use-server s1 if
    server s1 <<s1>> cookie c1
    server s2 <<s2>> cookie c2
    server s3 <<s3>> cookie c3
""")
        # a rule: direct, no cookie inserted
        self.assertEqual(self.exchange(fe, get('/two')), (200, 's2', None))
        # the rule wins over the cookie, which is still stripped (indirect)
        self.assertEqual(self.exchange(fe, get('/two', 'cookie: SRV=c1\r\n')), (200, 's2', None))
        self.assertEqual(o['s2'].requests[-1].raw_head, b'GET /two HTTP/1.1\r\nhost: x\r\n\r\n')
        # no rule matches: the cookie persists
        self.assertEqual(self.exchange(fe, get('/none', 'cookie: SRV=c3\r\n')), (200, 's3', None))
        # nothing at all (the empty `if` never matches): balanced, cookie inserted
        st, srv, ck = self.exchange(fe, get('/none'))
        self.assertEqual(ck, f'SRV=c{srv[1]}; path=/')
        # dynamic name
        self.assertEqual(self.exchange(fe, get('/dyn', 'x-srv: s3\r\n')), (200, 's3', None))
        # a dynamic name naming no server ends the rules: `use-server s1 if { path /dyn }` is
        # not reached, the balancer chooses (so a cookie is inserted)
        st, srv, ck = self.exchange(fe, get('/dyn', 'x-srv: nosuch\r\n'))
        self.assertEqual(ck, f'SRV=c{srv[1]}; path=/')
        # a server in maintenance: the next matching rule
        self.assertEqual(cli(sock, 'set server be/s3 state maint'), '\n')
        self.assertEqual(self.exchange(fe, get('/three')), (200, 's1', None))
        self.assertEqual(self.exchange(fe, get('/dyn', 'x-srv: s3\r\n')), (200, 's1', None))
        # draining still takes it
        self.assertEqual(cli(sock, 'set server be/s3 state drain'), '\n')
        self.assertEqual(self.exchange(fe, get('/three')), (200, 's3', None))

    def test_persist_and_force_persist_use_a_stopped_server(self):
        fe, o, sock = self.start("""
backend be
    force-persist if { req.hdr(x-force) 1 }
    use-server s2 if { path_beg /two }
    server s1 <<s1>>
    server s2 <<s2>> disabled
""", names=('s1', 's2'))
        self.assertEqual(self.exchange(fe, get('/two'))[1], 's1')
        self.assertEqual(self.exchange(fe, get('/two', 'x-force: 1\r\n'))[1], 's2')

    def test_option_persist(self):
        fe, o, sock = self.start("""
backend be
    option persist
    use-server s2 if { path_beg /p }
    server s1 <<s1>>
    server s2 <<s2>> disabled
""", names=('s1', 's2'))
        self.assertEqual(self.exchange(fe, get('/p'))[1], 's2')
        self.assertEqual(self.exchange(fe, get('/q'))[1], 's1')

    def test_tcp_mode(self):
        t1, t2 = TcpOrigin('t1'), TcpOrigin('t2')
        self.addCleanup(t1.stop)
        self.addCleanup(t2.stop)
        fe = self.listener()
        self.proxy(f"""
defaults
    mode tcp
    timeout connect 2s
    timeout client 10s
    timeout server 10s
listen l
    bind {fe.bind}
    use-server t2 if {{ src 127.0.0.1 }}
    server t1 {t1.addr}
    server t2 {t2.addr}
""", [fe])
        for _ in range(3):
            with Client(fe.port) as c:
                c.send(b'x')
                self.assertEqual(c.sock.recv(100), b't2\n')


class SendNameHeaderTest(ProxyTestCase):
    def test_exact_bytes(self):
        s1 = self.origin('s1')
        _, fe = self.simple([s1], backend='    option forwardfor\n    http-send-name-header X-Srv')
        reqs = [
            b'GET /a HTTP/1.1\r\nhost: x\r\n\r\n',
            b'GET /b HTTP/1.0\r\nconnection: keep-alive\r\n\r\n',
            b'POST /d HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\nX-SRV: a\r\nx-srv: b\r\n\r\nabc',
        ]
        for r in reqs:
            with Client(fe.port) as c:
                c.send(r)
                self.assertEqual(c.read_response().status, 200)
        self.assertEqual([r.raw_head for r in s1.requests], [
            b'GET /a HTTP/1.1\r\nhost: x\r\nx-forwarded-for: 127.0.0.1\r\nx-srv: s1\r\n\r\n',
            b'GET /b HTTP/1.0\r\nx-forwarded-for: 127.0.0.1\r\nconnection: keep-alive\r\nx-srv: s1\r\n\r\n',
            b'POST /d HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\nx-forwarded-for: 127.0.0.1\r\nx-srv: s1\r\n\r\n',
        ])
        self.assertEqual(s1.requests[-1].body, b'abc')

    def test_after_server_close_headers(self):
        s1 = self.origin('s1')
        _, fe = self.simple([s1], frontend='    unique-id-format abc\n    unique-id-header X-Uid',
                            backend='    option forwardfor\n    option http-server-close\n'
                                    '    http-send-name-header X-Server-Name')
        with Client(fe.port) as c:
            c.send(get('/x', 'X-Server-Name: evil\r\n'))
            self.assertEqual(c.read_response().status, 200)
        self.assertEqual(s1.requests[0].raw_head,
                         b'GET /x HTTP/1.1\r\nhost: x\r\nx-uid: abc\r\nx-forwarded-for: 127.0.0.1\r\n'
                         b'connection: close\r\nx-server-name: s1\r\n\r\n')

    def test_redispatch_names_the_server_used(self):
        s1 = self.origin('s1')
        _, fe = self.simple([], backend=f"""
    option redispatch
    retries 1
    http-send-name-header X-Srv
    use-server dead if {{ path /dead }}
    server dead 127.0.0.1:1
    server s1 {s1.addr}
""")
        with Client(fe.port) as c:
            c.send(get('/dead', 'x-srv: a\r\n'))
            r = c.read_response()
        self.assertEqual((r.status, r.header('x-origin')), (200, 's1'))
        self.assertEqual(s1.requests[0].raw_head, b'GET /dead HTTP/1.1\r\nhost: x\r\nx-srv: s1\r\n\r\n')

    def test_layer7_retry_to_another_server(self):
        s1, s2 = self.origin('s1'), self.origin('s2')
        _, fe = self.simple([s1, s2], backend="""
    option redispatch
    retries 2
    retry-on conn-failure 503
    http-send-name-header X-Srv
    use-server s1 if { path_beg /status }
""")
        with Client(fe.port) as c:
            c.send(get('/status/503'))
            self.assertEqual(c.read_response().status, 503)
        self.assertTrue(wait_until(lambda: s2.request_count() == 1, 5))
        # retries 2: s1 again (a rule placed it), then the last retry redispatches to s2
        self.assertEqual([r.raw_head for r in s1.requests],
                         [b'GET /status/503 HTTP/1.1\r\nhost: x\r\nx-srv: s1\r\n\r\n'] * 2)
        self.assertEqual([r.raw_head for r in s2.requests],
                         [b'GET /status/503 HTTP/1.1\r\nhost: x\r\nx-srv: s2\r\n\r\n'])


# `-c`: exit code, stdout and diagnostics, as haproxy 2.6.12 prints them.
HEAD = """defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend f
    bind 127.0.0.1:18080
    default_backend b
backend b
    server s1 127.0.0.1:18081
    server s2 127.0.0.1:18082
"""
VALID = 'Configuration file is valid\n'
CASES = {
    'unknown_server': (HEAD + '    use-server s3 if TRUE\n', 1, '', [
        "[ALERT]    (PID) : config : backend 'b' : unable to find server 's3' referenced in a 'use-server' rule.",
        '[ALERT]    (PID) : config : Fatal errors found in configuration.',
    ]),
    'no_condition': (HEAD + '    use-server s1\n', 1, '', [
        "[ALERT]    (PID) : config : parsing [x.cfg:12] : 'use-server' requires either 'if' or 'unless' followed by a condition.",
        '[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg',
        '[ALERT]    (PID) : config : Fatal errors found in configuration.',
    ]),
    'no_name': (HEAD + '    use-server\n', 1, '', [
        "[ALERT]    (PID) : config : parsing [x.cfg:12] : 'use-server' expects a server name.",
        '[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg',
        '[ALERT]    (PID) : config : Fatal errors found in configuration.',
    ]),
    'empty_if': (HEAD + '    use-server s1 if\n', 0, VALID, []),
    'unknown_acl': (HEAD + '    use-server s1 if nosuch\n', 1, '', [
        "[ALERT]    (PID) : config : parsing [x.cfg:12] : error detected while parsing switching rule : no such ACL : 'nosuch'.",
        '[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg',
        '[ALERT]    (PID) : config : Fatal errors found in configuration.',
    ]),
    'dynamic_bad_converter': (HEAD + '    use-server %[req.hdr(x),nosuch] if TRUE\n', 1, '', [
        "[ALERT]    (PID) : config : Parsing [x.cfg:12]; use-server rule failed to parse log-format '%[req.hdr(x),nosuch]' : failed to parse sample expression <req.hdr(x),nosuch]> : unknown converter 'nosuch'.",
        '[ALERT]    (PID) : config : Fatal errors found in configuration.',
    ]),
    'dynamic_response_fetch': (HEAD + '    use-server %[res.hdr(x)] if TRUE\n', 1, '', [
        "[ALERT]    (PID) : config : Parsing [x.cfg:12]; use-server rule failed to parse log-format '%[res.hdr(x)]' : sample fetch <res.hdr(x)]> may not be reliably used here because it needs 'HTTP response headers' which is not available here.",
        '[ALERT]    (PID) : config : Fatal errors found in configuration.',
    ]),
    'dynamic_ok': (HEAD + '    use-server s%[req.hdr(x)] unless TRUE\n', 0, VALID, []),
    'response_acl': (HEAD + '    use-server s1 if { res.hdr(x) a }\n', 0, 'Warnings were found.\n' + VALID, [
        "[WARNING]  (PID) : config : parsing [x.cfg:12] : anonymous acl will never match because it uses keyword 'res.hdr' which is incompatible with 'backend use-server, balance or stick-match rule'",
    ]),
    'name_header_missing': (HEAD + '    http-send-name-header\n', 1, '', [
        "[ALERT]    (PID) : config : parsing [x.cfg:12] : 'http-send-name-header' requires a header string.",
        '[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg',
        '[ALERT]    (PID) : config : Fatal errors found in configuration.',
    ]),
    'name_header_extra_words': (HEAD + '    http-send-name-header X-S extra\n', 0, VALID, []),
    'in_frontend': (HEAD.replace('    default_backend b\n', '    use-server s1 if TRUE\n    http-send-name-header X-A\n    default_backend b\n'), 1, '', [
        "[WARNING]  (PID) : config : parsing [x.cfg:8] : 'use-server' ignored because frontend 'f' has no backend capability.",
        "[WARNING]  (PID) : config : parsing [x.cfg:9] : 'http-send-name-header' ignored because frontend 'f' has no backend capability.",
        "[ALERT]    (PID) : config : frontend 'f' : unable to find server 's1' referenced in a 'use-server' rule.",
        '[ALERT]    (PID) : config : Fatal errors found in configuration.',
    ]),
    'in_defaults': (HEAD.replace('    timeout server 30s\n', '    timeout server 30s\n    use-server s1 if TRUE\n'), 1, '', [
        "[ALERT]    (PID) : config : parsing [x.cfg:6] : 'use-server' not allowed in 'defaults' section.",
        '[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg',
        '[ALERT]    (PID) : config : Fatal errors found in configuration.',
    ]),
    'listen_two_missing': ("""defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
listen l
    bind 127.0.0.1:18080
    use-server s1 if TRUE
    use-server s2 if TRUE
    use-server s3 if TRUE
    server s1 127.0.0.1:18081
""", 1, '', [
        "[ALERT]    (PID) : config : proxy 'l' : unable to find server 's2' referenced in a 'use-server' rule.",
        "[ALERT]    (PID) : config : proxy 'l' : unable to find server 's3' referenced in a 'use-server' rule.",
        '[ALERT]    (PID) : config : Fatal errors found in configuration.',
    ]),
    'duplicated_name': ("""defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
listen l
    bind 127.0.0.1:18080
    use-server s1 if { path /a }
    server s1 127.0.0.1:18081 id 3
    server s1 127.0.0.1:18082 id 4
""", 1, '', [
        "[ALERT]    (PID) : config : Refusing to use duplicated server 's1' found in proxy: l!",
        "[ALERT]    (PID) : config : proxy 'l' : unable to find server 's1' referenced in a 'use-server' rule.",
        '[ALERT]    (PID) : config : Fatal errors found in configuration.',
    ]),
}

_PID = re.compile(r'^(\[(?:ALERT|WARNING)\]\s+)\(\d+\)')


def normalise(stderr):
    return [_PID.sub(r'\1(PID)', line) for line in stderr.splitlines() if not line.startswith('[NOTICE]')]


class UseServerCheckTest(ProxyTestCase):
    def run_case(self, name):
        cfg, rc, out, err = CASES[name]
        d = self.tmpdir()
        got = run_check(PROXY_BIN, cfg, d, name='x.cfg')
        got = (got[0], got[1], normalise(got[2]))
        self.assertEqual(got, (rc, out, err), f'{name}: differs from haproxy 2.6.12 golden')
        if not IS_HAPROXY and haproxy_available():
            ref = run_check(HAPROXY_BIN, cfg, d, name='x.cfg')
            self.assertEqual(got, (ref[0], ref[1], normalise(ref[2])), f'{name}: differs from live haproxy -c')


def _make(name):
    def test(self):
        self.run_case(name)
    return test


for _n in CASES:
    setattr(UseServerCheckTest, f'test_check_{_n}', _make(_n))


if __name__ == '__main__':
    unittest.main()
