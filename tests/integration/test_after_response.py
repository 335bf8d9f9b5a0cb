"""`http-after-response` rules, differential: applied to the server's responses after the
http-response rules, and to every answer the proxy writes itself (errors, deny, redirect,
return, auth, the stats page), backend rules first, then the frontend's."""

import unittest

from harness.diff import DiffTestCase, Case, req

CFG = """
frontend fe
    bind <<fe>>
    http-request set-var(txn.p) path
    http-request set-var(txn.s) req.hdr(x-s)
    http-request deny if { path /deny }
    http-request redirect location /x if { path /redir }
    http-request return status 200 content-type text/plain string ok hdr cache-control keep if { path /ret }
    http-request auth realm r if { path /auth }
    http-response set-header x-resp fe
    use_backend nosrv if { path /nosrv }
    use_backend dead if { path /dead }
    http-after-response set-header x-after fe
    http-after-response add-header x-status "%[status]"
    http-after-response del-header cache-control
    http-after-response set-status 418 if { var(txn.p) -m str /teapot }
    http-after-response set-status 299 reason "Fine Enough" if { var(txn.p) -m str /ret } { var(txn.s) -m str 1 }
    http-after-response replace-header x-origin (.*) "was-\\1"
    http-after-response set-var(txn.seen) str(yes)
    http-after-response add-header x-var "%[var(txn.seen)]"
    http-after-response allow if { var(txn.p) -m str /allow }
    http-after-response add-header x-after-allow 1
    default_backend b_default
backend nosrv
    http-after-response set-header x-be nosrv
    http-after-response add-header x-resp-seen "%[res.hdr(x-resp)]"
backend dead
    retries 0
    server d 127.0.0.1:1
"""


class AfterResponseTest(DiffTestCase):
    def test_after_response(self):
        cases = [
            Case('server', req('/'), 'b_default'),
            Case('server_teapot', req('/teapot'), 418),
            Case('server_allow', req('/allow'), 'b_default'),
            Case('deny', req('/deny'), 403),
            Case('deny_head', req('/deny', method='HEAD'), 403),
            Case('redirect', req('/redir'), 302),
            Case('return', req('/ret'), 200),
            Case('return_set_status', req('/ret', headers=['x-s: 1']), 299),
            Case('auth', req('/auth'), 401),
            Case('no_server', req('/nosrv'), 503),
            Case('dead_server', req('/dead'), 503),
            Case('bad_request', b'GET /a b c HTTP/1.1\r\nHost: x\r\n\r\n', 400),
        ]
        self.differential(CFG, ['b_default'], cases)

    def test_stats_page(self):
        cfg = """
frontend fe
    bind <<fe>>
    stats enable
    stats uri /stats
    http-after-response set-header x-after stats
    http-after-response del-header cache-control
"""
        def compare(case, ours, ref):
            probs = []
            for k in ('status', 'kept_alive'):
                if getattr(ours, k) != getattr(ref, k):
                    probs.append(f'{k}: {getattr(ours, k)!r} vs haproxy {getattr(ref, k)!r}')
            for h in ('x-after', 'cache-control'):
                if ours.header(h) != ref.header(h):
                    probs.append(f'{h}: {ours.header(h)!r} vs haproxy {ref.header(h)!r}')
            return probs
        self.differential(cfg, [], [
            Case('stats_csv', req('/stats;csv'), 200,
                 checks=[('x-after set', lambda o: o.header('x-after') == 'stats')]),
        ], compare=compare)


if __name__ == '__main__':
    unittest.main()
