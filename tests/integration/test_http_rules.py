"""http-request / http-response rules, redirect, auth, tarpit and monitor-uri, differential:
the same config and requests against the binary under test and haproxy 2.6. Compared per
case: status, backend reached, the exact head (and body) forwarded to the origin, and the
exact response bytes (local answers: deny, return, redirect, 401, tarpit, monitor-uri).

Rules are gated by a tag header (x-t) so that every case exercises its own rules; response
rules are gated by a txn variable set from that header (which also tests set-var/var() across
the request and the response).
"""

import base64
import unittest

from harness.diff import DiffTestCase, Case, req, DIFF_DEFAULTS

DEFAULTS = DIFF_DEFAULTS + '    timeout tarpit 300ms\n'

# sha512-crypt and sha256-crypt of "pw" / "pw2" (openssl passwd -6/-5 -salt portero4)
SHA512_PW = '$6$portero4$gPkKQWqvk8T.zcn2fVnDCAUFyEvQdM7sUNcT1KAaknuQmpapw/j0.T9QuYD6V5Uk5aS/VeWPq4WTjfpyapshs1'
SHA256_PW2 = '$5$portero4$Zggg7OfgMC7aN9GEStIATxhdTyI8HRJahqhTcGMd3HC'


def tagged(tag, path='/', **kw):
    headers = [f'X-T: {tag}'] + list(kw.pop('headers', ()))
    return req(path, headers=headers, **kw)


def fwd(name, *values):
    """Check: the forwarded header `name` has exactly these values (in order)."""
    return (f'forwarded {name} == {list(values)}', lambda o: o.fwd_header(name) == list(values))


def fwd_line(line):
    return (f'forwarded request line == {line!r}', lambda o: o.fwd_line == line)


def resp_hdr(name, value):
    return (f'response {name} == {value!r}', lambda o: o.header(name) == value)


def body_is(b):
    return (f'response body == {b!r}', lambda o: o.resp is not None and o.resp.body == b)


REQ_CFG = r"""
frontend fe
    bind <<fe>>
    http-request set-var(txn.t) req.hdr(x-t)

    http-request set-header X-Set v1 if { hdr(x-t) set }
    http-request set-header X-Set replaced if { hdr(x-t) setrep }
    http-request add-header X-Add a1 if { hdr(x-t) add }
    http-request add-header X-Add "a2 %[src]" if { hdr(x-t) add }
    http-request del-header X-Del if { hdr(x-t) del }
    http-request replace-header User-Agent ^(\w+)/(\d+)$ \2-\1 if { hdr(x-t) rh }
    http-request replace-header X-List ^a(.*)$ A\1 if { hdr(x-t) rhl }
    http-request replace-value X-List ^a(.*)$ A\1 if { hdr(x-t) rv }
    http-request set-path /new%[path] if { hdr(x-t) sp }
    http-request set-pathq /pq?k=v if { hdr(x-t) spq }
    http-request set-query a=%[url_param(b)] if { hdr(x-t) sq }
    http-request set-uri /uri/%[method] if { hdr(x-t) su }
    http-request set-method PUT if { hdr(x-t) sm }

    # sequence: later rules see earlier edits
    http-request set-header X-Stage one if { hdr(x-t) seq }
    http-request set-header X-Stage two if { hdr(x-t) seq } { hdr(x-stage) one }
    http-request deny if { hdr(x-t) seq } { hdr(x-stage) one }
    http-request set-path /rewritten if { hdr(x-t) seqpath }
    http-request set-header X-Path %[path] if { hdr(x-t) seqpath }
    http-request deny deny_status 410 if { hdr(x-t) seqpath } { path /rewritten }
    http-request del-header X-Gone if { hdr(x-t) seqdel }
    http-request set-header X-Had-Gone yes if { hdr(x-t) seqdel } { req.hdr(x-gone) -m found }

    # variables
    http-request set-var(txn.user) url_param(u) if { hdr(x-t) var }
    http-request set-header X-User %[var(txn.user)] if { hdr(x-t) var }
    http-request set-header X-Is-Bob yes if { hdr(x-t) var } { var(txn.user) -m str bob }
    http-request unset-var(txn.user) if { hdr(x-t) var } { url_param(unset) 1 }
    http-request set-header X-After "[%[var(txn.user)]]" if { hdr(x-t) var }

    # allow stops the http-request evaluation
    http-request allow if { hdr(x-t) allow }
    http-request deny if { hdr(x-t) allow }

    # deny / return
    http-request deny if { hdr(x-t) deny }
    http-request deny deny_status 429 if { hdr(x-t) deny429 }
    http-request deny deny_status 403 content-type text/plain string "go away" if { hdr(x-t) denystr }
    http-request deny deny_status 451 content-type text/plain lf-string "blocked %[path]" hdr X-Why policy if { hdr(x-t) denylf }
    http-request return status 200 content-type text/plain lf-string "hello %[req.hdr(x-name)]" hdr X-R r1 if { hdr(x-t) ret }
    http-request return status 404 if { hdr(x-t) ret404 }
    http-request return status 503 content-type "application/json" string "{\"ok\":false}" if { hdr(x-t) retjson }

    # redirects
    http-request redirect location /loc if { hdr(x-t) rloc }
    http-request redirect location https://%[hdr(host)]%[path] code 301 if { hdr(x-t) rloclf }
    http-request redirect prefix /pre code 302 if { hdr(x-t) rpre }
    http-request redirect prefix /pre drop-query if { hdr(x-t) rpredq }
    http-request redirect prefix /pre code 303 drop-query append-slash if { hdr(x-t) rslash }
    http-request redirect scheme https code 308 if { hdr(x-t) rsch }
    http-request redirect location /c code 302 set-cookie SEEN=1 if { hdr(x-t) rcook }
    http-request redirect location /c clear-cookie SEEN= if { hdr(x-t) rclear }

    # tarpit
    http-request tarpit if { hdr(x-t) tarpit }
    http-request tarpit deny_status 429 if { hdr(x-t) tarpit429 }

    # wait-for-body then req.body
    http-request wait-for-body time 2s if { hdr(x-t) body }
    http-request set-header X-Body %[req.body] if { hdr(x-t) body }
    http-request deny deny_status 400 if { hdr(x-t) body } { req.body -m sub forbidden }

    # the redirect keyword runs after every http-request rule, even one placed after it
    # (haproxy warns about the placement)
    redirect prefix /old code 307 if { hdr(x-t) kw }
    redirect location /after-rules if { hdr(x-t) kworder }
    http-request deny deny_status 410 if { hdr(x-t) kworder }

    # response rules, gated by the txn variable
    http-response set-header X-Resp r1 if { var(txn.t) -m str rs }
    http-response add-header X-Resp r2 if { var(txn.t) -m str rs }
    http-response add-header X-Resp "r3 %[var(txn.t)]" if { var(txn.t) -m str rs }
    http-response del-header content-type if { var(txn.t) -m str rd }
    http-response replace-header Content-Type ^text/(.*)$ application/\1 if { var(txn.t) -m str rrh }
    http-response replace-value x-origin ^b_(.*)$ origin-\1 if { var(txn.t) -m str rrv }
    http-response set-status 418 if { var(txn.t) -m str rss }
    http-response set-status 503 reason "Down For Test" if { var(txn.t) -m str rssr }
    http-response set-header X-Status %[status] if { var(txn.t) -m str rstat }
    http-response deny if { var(txn.t) -m str rdeny }
    http-response deny deny_status 500 if { var(txn.t) -m str rdeny500 }
    http-response return status 200 content-type text/plain string "replaced" if { var(txn.t) -m str rret }
    http-response set-header X-Seq one if { var(txn.t) -m str rseq }
    http-response set-header X-Seq2 saw-%[res.hdr(x-seq)] if { var(txn.t) -m str rseq }
    http-response del-header X-Seq if { var(txn.t) -m str rseq } { res.hdr(x-seq2) saw-one }

    default_backend b_default
"""

D = 'b_default'

REQ_CASES = [
    # header edits alone
    Case('set_header_adds', tagged('set'), D, checks=[fwd('x-set', 'v1')]),
    Case('set_header_replaces_all', tagged('setrep', headers=['X-Set: a', 'X-Set: b']), D,
         checks=[fwd('x-set', 'replaced')]),
    Case('add_header_twice_with_format', tagged('add', headers=['X-Add: client']), D,
         checks=[fwd('x-add', 'client', 'a1', 'a2 127.0.0.1')]),
    Case('del_header_all_occurrences', tagged('del', headers=['X-Del: 1', 'x-del: 2', 'X-Keep: k']),
         D, checks=[fwd('x-del'), fwd('x-keep', 'k')]),
    Case('replace_header_groups', tagged('rh', headers=['User-Agent: curl/8']), D,
         checks=[fwd('user-agent', '8-curl')]),
    Case('replace_header_no_match_kept', tagged('rh', headers=['User-Agent: curl/8.1']), D,
         checks=[fwd('user-agent', 'curl/8.1')]),
    Case('replace_header_whole_line', tagged('rhl', headers=['X-List: abc, def, axy']), D,
         checks=[fwd('x-list', 'Abc, def, axy')]),
    Case('replace_value_each_value', tagged('rv', headers=['X-List: abc, def, axy']), D,
         # haproxy 2.6 quirk: a rewritten value loses the space after its comma, an
         # untouched one keeps it
         checks=[fwd('x-list', 'Abc, def,Axy')]),
    # URI edits
    Case('set_path_keeps_query', tagged('sp', '/a/b?q=1&r=2'), D,
         checks=[fwd_line('GET /new/a/b?q=1&r=2 HTTP/1.1')]),
    Case('set_pathq', tagged('spq', '/a?old=1'), D, checks=[fwd_line('GET /pq?k=v HTTP/1.1')]),
    Case('set_query', tagged('sq', '/p?b=7&c=8'), D, checks=[fwd_line('GET /p?a=7 HTTP/1.1')]),
    Case('set_query_no_query', tagged('sq', '/p'), D),
    Case('set_uri', tagged('su', '/x?y=1'), D, checks=[fwd_line('GET /uri/GET HTTP/1.1')]),
    Case('set_method', tagged('sm', '/m'), D, checks=[fwd_line('PUT /m HTTP/1.1')]),
    # sequences
    Case('seq_acl_sees_set_header', tagged('seq'), D, checks=[fwd('x-stage', 'two')]),
    Case('seq_path_rewritten_then_denied', tagged('seqpath', '/orig'), 410),
    Case('seq_acl_sees_deleted_header', tagged('seqdel', headers=['X-Gone: 1']), D,
         checks=[fwd('x-gone'), fwd('x-had-gone')]),
    # variables
    Case('var_set_and_used', tagged('var', '/v?u=bob'), D,
         checks=[fwd('x-user', 'bob'), fwd('x-is-bob', 'yes'), fwd('x-after', '[bob]')]),
    Case('var_other_value', tagged('var', '/v?u=al'), D,
         checks=[fwd('x-user', 'al'), fwd('x-is-bob'), fwd('x-after', '[al]')]),
    Case('var_unset', tagged('var', '/v?u=bob&unset=1'), D, checks=[fwd('x-after', '[]')]),
    Case('var_absent_sample', tagged('var', '/v'), D),
    # allow / deny / return
    Case('allow_stops_rules', tagged('allow'), D),
    Case('deny_403', tagged('deny'), 403),
    Case('deny_429', tagged('deny429'), 429),
    Case('deny_string', tagged('denystr'), 403, checks=[body_is(b'go away')]),
    Case('deny_lf_string_hdr', tagged('denylf', '/secret'), 451,
         checks=[body_is(b'blocked /secret'), resp_hdr('x-why', 'policy')]),
    Case('return_lf_string_hdr', tagged('ret', headers=['X-Name: bob']), 200,
         checks=[body_is(b'hello bob'), resp_hdr('x-r', 'r1')]),
    Case('return_404_no_body', tagged('ret404'), 404),
    Case('return_json_503', tagged('retjson'), 503, checks=[body_is(b'{"ok":false}')]),
    Case('deny_head_no_body', tagged('deny', method='HEAD'), 403),
    Case('return_head_no_body', tagged('ret', method='HEAD', headers=['X-Name: h']), 200),
    Case('head_forwarded', tagged('none', method='HEAD'), D),
    Case('deny_keeps_post_body_out', tagged('deny', '/p', method='POST', body=b'abc'), 403),
    # redirects
    Case('redirect_location', tagged('rloc', '/x?q=1'), 302, checks=[resp_hdr('location', '/loc')]),
    Case('redirect_location_lf_301', tagged('rloclf', '/p/q?z', host='h.test'), 301,
         checks=[resp_hdr('location', 'https://h.test/p/q')]),
    Case('redirect_prefix_keeps_query', tagged('rpre', '/a/b?q=1'), 302,
         checks=[resp_hdr('location', '/pre/a/b?q=1')]),
    Case('redirect_prefix_drop_query', tagged('rpredq', '/a/b?q=1'), 302,
         checks=[resp_hdr('location', '/pre/a/b')]),
    Case('redirect_append_slash', tagged('rslash', '/dir?q=1'), 303,
         checks=[resp_hdr('location', '/pre/dir/')]),
    Case('redirect_append_slash_already', tagged('rslash', '/dir/'), 303,
         checks=[resp_hdr('location', '/pre/dir/')]),
    Case('redirect_scheme_308', tagged('rsch', '/s?q=1', host='h.test'), 308,
         checks=[resp_hdr('location', 'https://h.test/s?q=1')]),
    Case('redirect_set_cookie', tagged('rcook'), 302),
    Case('redirect_clear_cookie', tagged('rclear'), 302),
    Case('redirect_keyword_307', tagged('kw', '/k'), 307, checks=[resp_hdr('location', '/old/k')]),
    Case('redirect_keyword_after_http_request', tagged('kworder', '/k'), 410),
    Case('redirect_head', tagged('rloc', method='HEAD'), 302),
    Case('redirect_http10', tagged('rloc', version='HTTP/1.0'), 302),
    # wait-for-body / req.body
    Case('wait_for_body', tagged('body', '/b', method='POST', body=b'hello=1'), D,
         checks=[fwd('x-body', 'hello=1')]),
    Case('body_acl_deny', tagged('body', '/b', method='POST', body=b'a=forbidden'), 400),
    # response rules
    Case('resp_set_add_header', tagged('rs'), D,
         checks=[resp_hdr('x-resp', 'r1')]),
    Case('resp_del_header', tagged('rd'), D, checks=[resp_hdr('content-type', None)]),
    Case('resp_replace_header', tagged('rrh'), D,
         checks=[resp_hdr('content-type', 'application/plain')]),
    Case('resp_replace_value', tagged('rrv'), 200,
         checks=[resp_hdr('x-origin', 'origin-default')]),
    Case('resp_set_status', tagged('rss'), 418),
    Case('resp_set_status_reason', tagged('rssr'), 503),
    Case('resp_status_fetch', tagged('rstat', '/status/404'), 404,
         checks=[resp_hdr('x-status', '404')]),
    Case('resp_deny_502', tagged('rdeny'), 502),
    Case('resp_deny_500', tagged('rdeny500'), 500),
    Case('resp_return', tagged('rret'), 200, checks=[body_is(b'replaced')]),
    Case('resp_sequence', tagged('rseq'), D,
         checks=[resp_hdr('x-seq', None), resp_hdr('x-seq2', 'saw-one')]),
    Case('no_tag_untouched', req('/plain', headers=['X-Del: 1']), D,
         checks=[fwd('x-del', '1')]),
]


def _tarpit_timing(lo, hi):
    return (f'tarpit elapsed in [{lo}, {hi}] s', lambda o: lo <= o.elapsed <= hi)


TARPIT_CASES = [
    Case('tarpit_500_after_timeout', tagged('tarpit'), 500, checks=[_tarpit_timing(0.25, 3.0)]),
    Case('tarpit_429', tagged('tarpit429'), 429, checks=[_tarpit_timing(0.25, 3.0)]),
]


def timing_tolerant(case, ours, ref):
    """Tarpit cases: compare everything but the elapsed time (checked by the case itself)."""
    probs = []
    a, b = ours.key(), ref.key()
    for k in a:
        if a[k] != b[k]:
            probs.append(f'differs from haproxy in {k}:\n    ours:    {a[k]!r}\n    haproxy: {b[k]!r}')
    return probs


AUTH_CFG = r"""
userlist ul
    group admins users alice
    group staff
    user alice insecure-password secret
    user bob password """ + SHA512_PW + r""" groups staff
    user carol password """ + SHA256_PW2 + r"""

frontend fe
    bind <<fe>>
    http-request auth realm "Private Zone" if { hdr(x-t) auth } !{ http_auth(ul) }
    http-request auth if { hdr(x-t) authdef } !{ http_auth(ul) }
    http-request auth realm admins if { hdr(x-t) authg } !{ http_auth_group(ul) admins }
    http-request set-header X-Group %[http_auth_group(ul)] if { hdr(x-t) grp } { http_auth(ul) }
    default_backend b_default
"""


def basic(user, pw):
    return 'Authorization: Basic ' + base64.b64encode(f'{user}:{pw}'.encode()).decode()


AUTH_CASES = [
    Case('auth_no_credentials_401', tagged('auth'), 401,
         checks=[resp_hdr('www-authenticate', 'Basic realm="Private Zone"')]),
    Case('auth_default_realm_401', tagged('authdef'), 401),
    Case('auth_head_401_no_body', tagged('auth', method='HEAD'), 401),
    Case('auth_http10_401', tagged('auth', version='HTTP/1.0'), 401),
    Case('auth_insecure_ok', tagged('auth', headers=[basic('alice', 'secret')]), D),
    Case('auth_insecure_wrong', tagged('auth', headers=[basic('alice', 'nope')]), 401),
    Case('auth_sha512_ok', tagged('auth', headers=[basic('bob', 'pw')]), D),
    Case('auth_sha512_wrong', tagged('auth', headers=[basic('bob', 'pw2')]), 401),
    Case('auth_sha256_ok', tagged('auth', headers=[basic('carol', 'pw2')]), D),
    Case('auth_unknown_user', tagged('auth', headers=[basic('mallory', 'secret')]), 401),
    Case('auth_not_basic', tagged('auth', headers=['Authorization: Bearer abc']), 401),
    Case('auth_bad_base64', tagged('auth', headers=['Authorization: Basic !!!']), 401),
    Case('auth_group_member', tagged('authg', headers=[basic('alice', 'secret')]), D),
    Case('auth_group_non_member', tagged('authg', headers=[basic('bob', 'pw')]), 401,
         checks=[resp_hdr('www-authenticate', 'Basic realm="admins"')]),
    Case('auth_credentials_forwarded', tagged('auth', headers=[basic('alice', 'secret')]), D,
         checks=[fwd('authorization', basic('alice', 'secret').split(': ', 1)[1])]),
    Case('auth_group_fetch', tagged('grp', headers=[basic('bob', 'pw')]), D,
         # haproxy 2.6: the http_auth_group *sample* is the user name, not the group
         checks=[fwd('x-group', 'bob')]),
]


MONITOR_CFG = r"""
frontend fe
    bind <<fe>>
    monitor-uri /health
    monitor fail if { hdr(x-down) 1 }
    http-request deny if { path /health } { hdr(x-deny) 1 }
    default_backend b_default
"""

MONITOR_CASES = [
    Case('monitor_200', req('/health'), 200),
    Case('monitor_503', req('/health', headers=['X-Down: 1']), 503),
    Case('monitor_before_http_request_rules', req('/health', headers=['X-Deny: 1']), 200),
    Case('monitor_head', req('/health', method='HEAD'), 200),
    Case('monitor_other_path', req('/healthz'), D),
    # monitor-uri is compared with the whole URI: a query string makes it a normal request
    Case('monitor_with_query', req('/health?x=1'), D),
    Case('monitor_http10', req('/health', version='HTTP/1.0'), 200),
]


class HttpRulesTest(DiffTestCase):
    def test_request_and_response_rules(self):
        self.differential(REQ_CFG, ['b_default'], REQ_CASES, defaults=DEFAULTS)

    def test_set_var_int_arith(self):
        # kept apart: a config error here must not hide the other rules
        cfg = r'''
frontend fe
    bind <<fe>>
    http-request set-var(req.n) int(41),add(1)
    http-request set-var(txn.len) path,length
    http-request set-header X-N %[var(req.n)]
    http-request set-header X-Len %[var(txn.len)]
    http-request deny deny_status 400 if { var(txn.len) -m int gt 20 }
    default_backend b_default
'''
        self.differential(cfg, ['b_default'], [
            Case('var_int_converter', req('/abc'), D, checks=[fwd('x-n', '42'), fwd('x-len', '4')]),
            Case('var_int_acl', req('/' + 'a' * 25), 400),
        ])

    def test_replace_path_pathq_uri(self):
        cfg = r'''
frontend fe
    bind <<fe>>
    http-request replace-path ^/api/(.*) /\1 if { hdr(x-t) strip }
    http-request replace-path /foo/(.*) /\1 if { hdr(x-t) unanchored }
    http-request replace-path (.*) /prefix\1 if { hdr(x-t) prefix }
    http-request replace-path ^/(.*)$ /%[req.hdr(x-p)]/\1 if { hdr(x-t) fmt }
    http-request replace-pathq ^/old(.*) /new\1 if { hdr(x-t) pathq }
    http-request replace-uri ^/u/([^?]*)(.*) /v2/\1\2 if { hdr(x-t) uri }
    http-request replace-uri ^http://[^/]*(/.*) \1 if { hdr(x-t) absuri }
    http-request set-header X-Path %[path] if { hdr(x-t) -m found }
    default_backend b_default
'''
        self.differential(cfg, ['b_default'], [
            Case('replace_path_strip_prefix', tagged('strip', '/api/users?x=1'), D,
                 checks=[fwd_line('GET /users?x=1 HTTP/1.1'), fwd('x-path', '/users')]),
            Case('replace_path_no_match', tagged('strip', '/other/users?x=1'), D,
                 checks=[fwd_line('GET /other/users?x=1 HTTP/1.1')]),
            Case('replace_path_unanchored_match_replaces_whole_path', tagged('unanchored', '/bar/foo/x'), D,
                 checks=[fwd_line('GET /x HTTP/1.1')]),
            Case('replace_path_prefix', tagged('prefix', '/a/b?q'), D,
                 checks=[fwd_line('GET /prefix/a/b?q HTTP/1.1')]),
            Case('replace_path_with_format', tagged('fmt', '/a?z=1', headers=['X-P: tenant']), D,
                 checks=[fwd_line('GET /tenant/a?z=1 HTTP/1.1')]),
            Case('replace_pathq', tagged('pathq', '/old/x?y=1'), D,
                 checks=[fwd_line('GET /new/x?y=1 HTTP/1.1')]),
            Case('replace_uri', tagged('uri', '/u/item?id=3'), D,
                 checks=[fwd_line('GET /v2/item?id=3 HTTP/1.1')]),
            Case('replace_uri_absolute_form', tagged('absuri', 'http://h.test/p?q=1', host='h.test'), D),
        ], defaults=DEFAULTS)

    def test_url_ip_and_port(self):
        cfg = r'''
frontend fe
    bind <<fe>>
    http-request set-header X-Url-Ip %[url_ip] if { url_ip -m found }
    http-request set-header X-Url-Port %[url_port] if { url_port -m found }
    http-request deny deny_status 403 if { url_ip 10.0.0.0/8 }
    default_backend b_default
'''
        self.differential(cfg, ['b_default'], [
            Case('url_ip_port', req('http://1.2.3.4:8080/x', host='1.2.3.4:8080'), D,
                 checks=[fwd('x-url-ip', '1.2.3.4'), fwd('x-url-port', '8080')]),
            Case('url_ip_default_port', req('http://1.2.3.4/x', host='1.2.3.4'), D,
                 checks=[fwd('x-url-ip', '1.2.3.4'), fwd('x-url-port', '80')]),
            Case('url_ip_https_port', req('https://1.2.3.4/x', host='1.2.3.4'), D,
                 checks=[fwd('x-url-port', '443')]),
            Case('url_host_name_gives_neither', req('http://name.test:81/x', host='name.test:81'), D,
                 checks=[fwd('x-url-ip'), fwd('x-url-port')]),
            Case('origin_form_gives_neither', req('/x'), D, checks=[fwd('x-url-ip'), fwd('x-url-port')]),
            Case('url_ip_acl_network', req('http://10.1.2.3/x', host='10.1.2.3'), 403),
        ], defaults=DEFAULTS)

    def test_tarpit(self):
        self.differential(REQ_CFG, ['b_default'], TARPIT_CASES, defaults=DEFAULTS,
                          compare=timing_tolerant)

    def test_auth(self):
        self.differential(AUTH_CFG, ['b_default'], AUTH_CASES)

    def test_monitor_uri(self):
        self.differential(MONITOR_CFG, ['b_default'], MONITOR_CASES)


if __name__ == '__main__':
    unittest.main()
