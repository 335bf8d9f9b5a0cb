"""Cookie persistence (issue 5), differential against haproxy 2.6 (COMPAT.md section 2).

Part 1: every Set-Cookie variant in one config (one backend per variant, chosen by the request
header x-be), the same requests to the binary under test and to haproxy. Compared per case:
the origin reached, the exact head the origin received (the Cookie header as forwarded) and the
exact response bytes. The 5-character maxidle/maxlife dates depend on the clock, so they are
compared structurally: same shape, each decodes to within a few seconds of now, the rest of
the bytes identical. Each case also states its own expectation, so the table fails against
haproxy too when it is wrong.

The origins answer `/r?s=STATUS&h=Header:%20value&h=...` with those response headers (a server
sending its own Set-Cookie, cacheable responses), anything else as the default origin does.

Part 2: two nodes behind one "VIP": two processes on the same config, one client alternating
between them with the cookie it got; every request after the first lands on the same origin,
without any shared state between the nodes.
"""

import os
import re
import time
import unittest
from urllib.parse import quote, urlsplit, parse_qsl

from harness.client import Client
from harness.diff import DiffTestCase, Case, Setup, req, IS_HAPROXY, haproxy_available
from harness.origin import Origin
from harness.proxy import Proxy, Listener, PROXY_BIN, HAPROXY_BIN

B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'


def cookie_date(t):
    """HAProxy's cookie date: (unix seconds + 3) >> 2, 30 bits, 5 base64 chars, MSB first."""
    v = ((int(t) + 3) >> 2) & 0x3FFFFFFF
    return ''.join(B64[(v >> s) & 63] for s in (24, 18, 12, 6, 0))


def decode_date(s):
    v = 0
    for ch in s:
        v = (v << 6) | B64.index(ch)
    return v << 2          # seconds (4 s resolution, rounded up by 3)


def origin_handler(origin, c, r):
    u = urlsplit(r.target)
    if u.path == '/r':
        q = parse_qsl(u.query, keep_blank_values=True)
        hs = [v for k, v in q if k == 'h']
        st = int(dict(q).get('s', '200'))
        return origin.respond(c, r, st, body=f'{origin.name}\n'.encode(), headers=hs)
    return origin._route(c, r, r.target)


def rpath(*headers, status=None):
    parts = [f'h={quote(h, safe="")}' for h in headers]
    if status:
        parts.append(f's={status}')
    return '/r?' + '&'.join(parts)


COOKIE_OF = {'s1': 'c1', 's2': 'c2'}

# <<srv:c>>: the two servers with cookie values; s2 may be disabled.
SRV = '    server s1 <<be:s1>> cookie c1\n    server s2 <<be:s2>> cookie c2\n'
SRV_DIS = '    server s1 <<be:s1>> cookie c1\n    server s2 <<be:s2>> cookie c2 disabled\n'

CONFIG = f"""
frontend fe
    bind <<fe>>
    use_backend %[req.hdr(x-be)]
    default_backend b_def

backend b_def
    server s3 <<be:s3>>

backend b_ins
    cookie SERVERID insert indirect nocache
{SRV}
backend b_pfx
    cookie PHPSESSID prefix indirect nocache
{SRV}
backend b_rw
    cookie SERVERID rewrite
{SRV}
backend b_insd
    cookie SERVERID insert
{SRV}
backend b_pres
    cookie SERVERID insert indirect preserve
{SRV}
backend b_post
    cookie SERVERID insert indirect postonly
{SRV}
backend b_attr
    cookie SERVERID insert indirect httponly secure domain .example.com domain .example.org attr SameSite=Lax attr Partitioned
{SRV}
backend b_dates
    cookie SERVERID insert indirect maxidle 30m maxlife 8h
{SRV}
backend b_idle
    cookie SERVERID insert indirect maxidle 30m
{SRV}
backend b_life
    cookie SERVERID insert indirect maxlife 8h
{SRV}
backend b_nocv
    cookie SERVERID insert indirect nocache httponly domain .example.com
    server s1 <<be:s1>>

backend b_dis
    cookie SERVERID insert indirect nocache
{SRV_DIS}
backend b_persist
    cookie SERVERID insert indirect nocache
    option persist
{SRV_DIS}
"""


def C(name, be, cookie=None, path='/', method='GET', expect=None, checks=(), body=b'',
      headers=()):
    hs = [f'X-Be: {be}']
    if cookie is not None:
        hs += cookie if isinstance(cookie, list) else [f'Cookie: {cookie}']
    hs += list(headers)
    return Case(name, req(path, method=method, headers=hs, body=body), expect=expect,
                checks=checks)


def set_cookies(o):
    if o.resp is None:
        return []
    return [v for k, v in o.resp.headers if k.lower() == 'set-cookie']


def sc(*values):
    """Check: the response's Set-Cookie headers are exactly these (in order); a value may
    contain {c} for the reached server's cookie and {D} for a fresh 5-char date (now)."""
    def pred(o):
        got = set_cookies(o)
        if len(got) != len(values):
            return False
        now = time.time()
        for g, v in zip(got, values):
            v = v.replace('{c}', COOKIE_OF.get(o.origin, '?'))
            pat = re.escape(v).replace(re.escape('{D}'), '([A-Za-z0-9+/]{5})')
            m = re.fullmatch(pat, g)
            if not m:
                return False
            # {D} is a fresh date: it decodes to within a few seconds of now
            if any(abs(decode_date(d) - now) > 12 for d in m.groups()):
                return False
        return True
    return (f'set-cookie == {list(values)}', pred)


def fwd_cookie(*values):
    return (f'forwarded Cookie == {list(values)}', lambda o: o.fwd_header('cookie') == list(values))


def cache_control(*values):
    """Check: the response's Cache-Control headers are exactly these (None: none)."""
    want = [v for v in values if v is not None]
    return (f'cache-control headers == {want!r}',
            lambda o: [v for k, v in o.resp.headers if k.lower() == 'cache-control'] == want)


NOW = time.time()
RECENT = cookie_date(NOW - 60)
EXPIRED = cookie_date(NOW - 3600)          # > maxidle 30m
OLD_FIRST = cookie_date(NOW - 9 * 3600)    # > maxlife 8h
FIRST = cookie_date(NOW - 600)

CASES = [
    # --- the course's two setups -------------------------------------------------------
    C('ins_nocookie', 'b_ins', checks=[sc('SERVERID={c}; path=/'), fwd_cookie()]),
    C('ins_cookie_c2', 'b_ins', 'SERVERID=c2', expect='s2', checks=[sc(), fwd_cookie()]),
    C('ins_cookie_c1', 'b_ins', 'SERVERID=c1', expect='s1', checks=[sc(), fwd_cookie()]),
    C('ins_several', 'b_ins', 'foo=1; SERVERID=c2; bar=2', expect='s2',
      checks=[sc(), fwd_cookie('foo=1; bar=2')]),
    C('ins_several_first', 'b_ins', 'SERVERID=c1; foo=1', expect='s1',
      checks=[sc(), fwd_cookie('foo=1')]),
    C('ins_several_last', 'b_ins', 'foo=1;SERVERID=c1', expect='s1',
      checks=[sc(), fwd_cookie('foo=1')]),
    C('ins_spaces', 'b_ins', 'foo=1 ; SERVERID = c2 ; bar=2', expect='s2', checks=[sc()]),
    C('ins_dollar', 'b_ins', '$Version=1; SERVERID=c1; $Path=/', expect='s1',
      checks=[sc(), fwd_cookie()]),   # haproxy 2.6.12 drops the whole header
    C('ins_two_headers', 'b_ins', ['Cookie: a=1', 'Cookie: SERVERID=c2'], expect='s2',
      checks=[sc(), fwd_cookie('a=1')]),
    C('ins_invalid', 'b_ins', 'SERVERID=zzz', checks=[sc('SERVERID={c}; path=/'), fwd_cookie()]),
    C('ins_empty', 'b_ins', 'SERVERID=; x=1', checks=[sc('SERVERID={c}; path=/')]),
    C('ins_case', 'b_ins', 'serverid=c2', checks=[sc('SERVERID={c}; path=/'),
                                                   fwd_cookie('serverid=c2')]),
    C('ins_server_sets', 'b_ins', path=rpath('Set-Cookie: SERVERID=app; path=/x'),
      checks=[sc('SERVERID={c}; path=/')]),
    C('ins_server_sets_direct', 'b_ins', 'SERVERID=c1',
      path=rpath('Set-Cookie: SERVERID=app; path=/x', 'Set-Cookie: other=1'), expect='s1',
      checks=[sc('other=1')]),
    C('ins_post', 'b_ins', method='POST', body=b'x=1', checks=[sc('SERVERID={c}; path=/')]),
    C('pfx_nocookie_noset', 'b_pfx', checks=[sc(), fwd_cookie()]),
    C('pfx_server_sets', 'b_pfx', path=rpath('Set-Cookie: PHPSESSID=abc123; path=/'),
      checks=[sc('PHPSESSID={c}~abc123; path=/')]),
    C('pfx_cookie', 'b_pfx', 'PHPSESSID=c2~abc123', expect='s2',
      checks=[sc(), fwd_cookie('PHPSESSID=abc123')]),
    C('pfx_cookie_several', 'b_pfx', 'a=1; PHPSESSID=c1~xyz; b=2', expect='s1',
      checks=[fwd_cookie('a=1; PHPSESSID=xyz; b=2')]),
    C('pfx_cookie_resend', 'b_pfx', 'PHPSESSID=c1~abc',
      path=rpath('Set-Cookie: PHPSESSID=new1; path=/; HttpOnly'), expect='s1',
      checks=[sc(), fwd_cookie('PHPSESSID=abc')]),   # indirect + direct: the server's is deleted
    C('pfx_no_delim', 'b_pfx', 'PHPSESSID=abc', checks=[fwd_cookie('PHPSESSID=abc')]),
    C('pfx_unknown', 'b_pfx', 'PHPSESSID=zz~abc', checks=[sc(), fwd_cookie('PHPSESSID=abc')]),
    # --- rewrite -----------------------------------------------------------------------
    C('rw_server_sets', 'b_rw', path=rpath('Set-Cookie: SERVERID=app; path=/'),
      checks=[sc('SERVERID={c}; path=/')]),
    C('rw_nothing_set', 'b_rw', checks=[sc()]),
    C('rw_cookie', 'b_rw', 'SERVERID=c2', expect='s2', checks=[fwd_cookie('SERVERID=c2'), sc()]),
    C('rw_cookie_and_set', 'b_rw', 'SERVERID=c1',
      path=rpath('Set-Cookie: SERVERID=app2; Max-Age=10'), expect='s1',
      checks=[sc('SERVERID=c1; Max-Age=10')]),
    # --- insert without indirect ---------------------------------------------------------
    C('insd_nocookie', 'b_insd', checks=[sc('SERVERID={c}; path=/')]),
    C('insd_cookie', 'b_insd', 'x=0; SERVERID=c2', expect='s2',
      checks=[sc(), fwd_cookie('x=0; SERVERID=c2')]),
    C('insd_server_sets', 'b_insd', path=rpath('Set-Cookie: SERVERID=app'),
      checks=[sc('SERVERID={c}; path=/')]),
    C('insd_server_sets_direct', 'b_insd', 'SERVERID=c1', path=rpath('Set-Cookie: SERVERID=app'),
      expect='s1', checks=[sc(), fwd_cookie('SERVERID=c1')]),
    # --- preserve ------------------------------------------------------------------------
    C('pres_nocookie', 'b_pres', checks=[sc('SERVERID={c}; path=/')]),
    C('pres_server_sets', 'b_pres', path=rpath('Set-Cookie: SERVERID=app; path=/'),
      checks=[sc('SERVERID=app; path=/')]),
    C('pres_server_sets_direct', 'b_pres', 'SERVERID=c2',
      path=rpath('Set-Cookie: SERVERID=; Max-Age=0'), expect='s2',
      checks=[sc('SERVERID=; Max-Age=0')]),
    # --- postonly ------------------------------------------------------------------------
    C('post_get', 'b_post', checks=[sc()]),
    C('post_head', 'b_post', method='HEAD', checks=[sc()]),
    C('post_post', 'b_post', method='POST', body=b'a=b', checks=[sc('SERVERID={c}; path=/')]),
    C('post_post_direct', 'b_post', 'SERVERID=c2', method='POST', body=b'a=b', expect='s2',
      checks=[sc()]),
    # --- httponly + secure + domain + attr -----------------------------------------------
    C('attr_nocookie', 'b_attr', checks=[sc(
        'SERVERID={c}; path=/; domain=.example.com; domain=.example.org; HttpOnly; Secure; '
        'SameSite=Lax; Partitioned')]),
    C('attr_direct', 'b_attr', 'SERVERID=c1', expect='s1', checks=[sc()]),
    # --- maxidle / maxlife dates ---------------------------------------------------------
    C('dates_nocookie', 'b_dates', checks=[sc('SERVERID={c}|{D}|{D}; path=/')]),
    C('dates_nodate_cookie', 'b_dates', 'SERVERID=c2', expect='s2',
      checks=[sc('SERVERID=c2|{D}|{D}; path=/'), fwd_cookie()]),
    C('dates_recent', 'b_dates', f'SERVERID=c1|{RECENT}|{FIRST}', expect='s1',
      checks=[sc(f'SERVERID=c1|{{D}}|{FIRST}; path=/'), fwd_cookie()]),
    C('dates_expired', 'b_dates', f'SERVERID=c1|{EXPIRED}|{FIRST}',
      checks=[sc('SERVERID={c}|{D}|{D}; path=/'), fwd_cookie()]),
    C('dates_old', 'b_dates', f'SERVERID=c2|{RECENT}|{OLD_FIRST}',
      checks=[sc('SERVERID={c}|{D}|{D}; path=/'), fwd_cookie()]),
    C('idle_nocookie', 'b_idle', checks=[sc('SERVERID={c}|{D}; path=/')]),
    C('idle_recent', 'b_idle', f'SERVERID=c2|{RECENT}', expect='s2',
      checks=[sc('SERVERID=c2|{D}; path=/')]),
    C('idle_expired', 'b_idle', f'SERVERID=c2|{EXPIRED}', checks=[sc('SERVERID={c}|{D}; path=/'), fwd_cookie()]),
    C('life_nocookie', 'b_life', checks=[sc('SERVERID={c}|{D}|{D}; path=/')]),
    C('life_first', 'b_life', f'SERVERID=c1||{FIRST}', expect='s1', checks=[sc()]),
    C('life_old', 'b_life', f'SERVERID=c1||{OLD_FIRST}', checks=[sc('SERVERID={c}|{D}|{D}; path=/'), fwd_cookie()]),
    C('idle_with_first_only', 'b_idle', f'SERVERID=c1||{FIRST}', expect='s1',
      checks=[sc('SERVERID=c1|{D}; path=/')]),
    # --- server without a cookie value: deletion cookie -----------------------------------
    C('nocv', 'b_nocv', expect='s1', checks=[sc(
        'SERVERID=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/; domain=.example.com; '
        'HttpOnly')]),
    C('nocv_cookie', 'b_nocv', 'SERVERID=c1', expect='s1', checks=[sc(
        'SERVERID=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/; domain=.example.com; '
        'HttpOnly')]),
    # --- disabled server; option persist ---------------------------------------------------
    C('dis_cookie', 'b_dis', 'SERVERID=c2', expect='s1',
      checks=[sc('SERVERID=c1; path=/'), fwd_cookie()]),
    C('dis_cookie_ok', 'b_dis', 'SERVERID=c1', expect='s1', checks=[sc()]),
    C('persist_cookie', 'b_persist', 'SERVERID=c2', expect='s2', checks=[sc(), fwd_cookie()]),
    C('persist_nocookie', 'b_persist', expect='s1', checks=[sc('SERVERID=c1; path=/')]),
    # --- nocache and cacheability ----------------------------------------------------------
    C('nc_bare', 'b_ins', path=rpath('Content-Type: text/plain'),
      checks=[sc('SERVERID={c}; path=/'), cache_control(None)]),
    C('nc_maxage', 'b_ins', path=rpath('Cache-Control: max-age=60'),
      checks=[sc('SERVERID={c}; path=/'), cache_control('max-age=60', 'private')]),
    C('nc_smaxage', 'b_ins', path=rpath('Cache-Control: s-maxage=60'),
      checks=[cache_control('s-maxage=60', 'private')]),
    C('nc_expires', 'b_ins', path=rpath('Expires: Thu, 01 Jan 2099 00:00:00 GMT'),
      checks=[cache_control('private')]),
    C('nc_etag', 'b_ins', path=rpath('ETag: "abc"'), checks=[cache_control('private')]),
    C('nc_lastmod', 'b_ins', path=rpath('Last-Modified: Thu, 01 Jan 2015 00:00:00 GMT'),
      checks=[cache_control('private')]),
    C('nc_public', 'b_ins', path=rpath('Cache-Control: public'),   # observed: no private added
      checks=[sc('SERVERID={c}; path=/'), cache_control('public')]),
    C('nc_nocache', 'b_ins', path=rpath('Cache-Control: no-cache, max-age=60'),
      checks=[cache_control('no-cache, max-age=60')]),
    C('nc_public_maxage', 'b_ins', path=rpath('Cache-Control: public, max-age=60'),
      checks=[sc('SERVERID={c}; path=/')]),
    C('nc_private', 'b_ins', path=rpath('Cache-Control: private, max-age=60'),
      checks=[cache_control('private, max-age=60')]),
    C('nc_maxage0', 'b_ins', path=rpath('Cache-Control: max-age=0', 'ETag: "x"'),
      checks=[cache_control('max-age=0')]),
    C('nc_pragma', 'b_ins', path=rpath('Pragma: no-cache', 'ETag: "x"'),
      checks=[cache_control(None)]),
    C('nc_status_500', 'b_ins', path=rpath('Cache-Control: max-age=60', status=500),
      checks=[sc('SERVERID={c}; path=/'), cache_control('max-age=60')]),
    C('nc_status_404', 'b_ins', path=rpath('Cache-Control: max-age=60', status=404),
      checks=[cache_control('max-age=60', 'private')]),
    C('nc_post', 'b_ins', path=rpath('Cache-Control: max-age=60'), method='POST', body=b'q',
      checks=[sc('SERVERID={c}; path=/'), cache_control('max-age=60')]),
    C('nc_direct_cacheable', 'b_ins', 'SERVERID=c2', path=rpath('Cache-Control: max-age=60'),
      expect='s2', checks=[sc(), cache_control('max-age=60')]),
    C('pfx_nocache_cacheable', 'b_pfx', path=rpath('Set-Cookie: PHPSESSID=q', 'ETag: "e"'),
      checks=[sc('PHPSESSID={c}~q'), cache_control(None)]),
    C('pfx_cacheable_nocookie', 'b_pfx', path=rpath('ETag: "e"'), checks=[sc(), cache_control(None)]),
    C('dis_nocache_cacheable', 'b_dis', path=rpath('ETag: "e"'), expect='s1',
      checks=[sc('SERVERID=c1; path=/'), cache_control('private')]),
]

# Cases where portero 2.x differs from haproxy 2.6.12 (run by test_cookies_gaps.py, which is not
# registered in CMake until they pass; see the README "Cookie persistence" section).
GAPS = {'ins_dollar', 'dates_expired', 'dates_old', 'idle_expired', 'life_old', 'nc_public'}
assert GAPS <= {c.name for c in CASES}


DATE_RE = re.compile(rb'(\|)([A-Za-z0-9+/]{5})(?=[|;\r])')


def normalize_dates(b, now, problems, who):
    """Replace each 5-char cookie date in a Set-Cookie line by <DATE> after checking that it
    decodes to within a few seconds of now (dates from the request are kept as they are)."""
    if b is None:
        return b
    keep = {d.encode() for d in (RECENT, EXPIRED, OLD_FIRST, FIRST)}
    out = []
    for line in b.split(b'\r\n'):
        if line.lower().startswith(b'set-cookie:'):
            def rep(m):
                if m.group(2) in keep:
                    return m.group(0)
                t = decode_date(m.group(2).decode())
                if abs(t - now) > 12:
                    problems.append(f'{who}: cookie date {m.group(2)!r} decodes to {t}, '
                                    f'{t - now:+.0f}s from now')
                return b'|<DATE>'
            line = DATE_RE.sub(rep, line)
        out.append(line)
    return b'\r\n'.join(out)


def compare_dates(case, ours, ref):
    now = time.time()
    probs = []
    a, b = ours.key(), ref.key()
    a['response'] = normalize_dates(a['response'], now, probs, os.path.basename(PROXY_BIN))
    b['response'] = normalize_dates(b['response'], now, probs, 'haproxy')
    for k in a:
        if a[k] != b[k]:
            probs.append(f'differs from haproxy in {k}:\n'
                         f'    {os.path.basename(PROXY_BIN)}: {a[k]!r}\n'
                         f'    haproxy: {b[k]!r}')
    return probs


class DiffCookies(DiffTestCase):
    def run_all(self, cfg, backends, cases, binary, files=None, defaults=None, glob='',
                extra_origins=()):
        from harness.diff import DIFF_DEFAULTS
        s = Setup(self, cfg, backends, binary, files=files, defaults=defaults or DIFF_DEFAULTS,
                  glob=glob, extra_origins=extra_origins)
        for o in s.origins.values():
            o.handler = origin_handler
        outs = [s.run(c) for c in cases]
        s.proxy.stop()
        return s, outs

    CASE_FILTER = staticmethod(lambda c: c.name not in GAPS)

    def test_set_cookie_variants(self):
        cases = [c for c in CASES if self.CASE_FILTER(c)]
        outs, refs = self.differential(CONFIG, [], cases, extra_origins=('s1', 's2', 's3'),
                                       compare=compare_dates)
        # the date check also applies without haproxy
        now = time.time()
        probs = []
        for o in outs:
            normalize_dates(o.response, now, probs, os.path.basename(PROXY_BIN))
        self.assertEqual(probs, [])
        if refs is None and not IS_HAPROXY:
            self.skipTest(f'haproxy not installed at {HAPROXY_BIN}: only the expectations '
                          'were checked, not the bytes')


# ---- part 2: two nodes behind one VIP -----------------------------------------------------

VIP_CFG = """
global
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s

frontend fe
    bind {bind}
    default_backend be

backend be
    balance roundrobin
    cookie SERVERID insert indirect nocache
    server s1 {s1} cookie c1
    server s2 {s2} cookie c2
    server s3 {s3} cookie c3
"""


class TwoNodes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(PROXY_BIN, os.X_OK):
            if os.environ.get('PROXY_BIN') or os.environ.get('PORTERO_BIN'):
                raise RuntimeError(f'proxy binary {PROXY_BIN} is not executable')
            raise unittest.SkipTest(f'proxy binary {PROXY_BIN} not found (set PROXY_BIN)')

    def tmpdir(self):
        import shutil
        import tempfile
        d = tempfile.mkdtemp(prefix='integ-')
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def alternate(self, binary):
        origins = {}
        for n in ('s1', 's2', 's3'):
            o = Origin(n)
            self.addCleanup(o.stop)
            origins[n] = o
        nodes = []
        for _ in range(2):
            fe = Listener()
            self.addCleanup(fe.close)
            cfg = VIP_CFG.format(bind=fe.bind, **{n: o.addr for n, o in origins.items()})
            p = Proxy(cfg, [fe], binary=binary, workdir=self.tmpdir())
            self.addCleanup(p.stop)
            nodes.append((p, fe.port))
        # Three clients, so that at least two different servers are stuck to; each client
        # alternates A, B, A, B... for 20 requests.
        stuck = []
        for client in range(3):
            cookie = None
            server = None
            for i in range(20):
                p, port = nodes[i % 2]
                hs = ['Host: vip'] + ([f'Cookie: {cookie}'] if cookie else [])
                before = {n: o.request_count() for n, o in origins.items()}
                with Client(port, timeout=5) as c:
                    c.send(('GET /r HTTP/1.1\r\n' + '\r\n'.join(hs) + '\r\n\r\n').encode())
                    r = c.read_response('GET')
                self.assertEqual(r.status, 200, f'client {client} request {i}: {r.raw!r}')
                got = r.header('x-origin')
                after = {n: o.request_count() for n, o in origins.items()}
                self.assertEqual([n for n in origins if after[n] > before[n]], [got])
                fwd = origins[got].requests[before[got]]
                self.assertIsNone(fwd.header('cookie'),
                                  f'indirect: the cookie must not reach the server: {fwd.raw_head!r}')
                setc = [v for k, v in r.headers if k.lower() == 'set-cookie']
                if i == 0:
                    self.assertEqual(setc, [f'SERVERID=c{got[1]}; path=/'])
                    cookie = setc[0].split(';')[0]
                    server = got
                else:
                    self.assertEqual(got, server, f'client {client} request {i} to node '
                                     f'{"AB"[i % 2]} with {cookie} went to {got}')
                    self.assertEqual(setc, [], f'request {i}: no new cookie when direct')
            stuck.append(server)
        self.assertGreater(len(set(stuck)), 1, f'every client stuck to the same server: {stuck}')
        for p, _ in nodes:
            self.assertTrue(p.alive(), p.stderr())
        return stuck

    def test_two_nodes_alternating(self):
        self.alternate(PROXY_BIN)

    def test_two_nodes_alternating_haproxy(self):
        if IS_HAPROXY:
            self.skipTest('the binary under test is haproxy: covered by test_two_nodes_alternating')
        if not haproxy_available():
            self.skipTest(f'haproxy not installed at {HAPROXY_BIN}: comparison skipped')
        self.alternate(HAPROXY_BIN)


if __name__ == '__main__':
    unittest.main()
