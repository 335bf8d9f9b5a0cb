"""`http-errors` sections, `errorfiles`, `http-error` and the rules that use them (`deny`,
`return ... errorfiles|default-errorfiles`), differential: the same config and requests against
the binary under test and haproxy 2.6; the exact response bytes are compared."""

import unittest

from harness.diff import DiffTestCase, Case, req, DIFF_DEFAULTS

S503 = ('HTTP/1.1 503 Section Unavailable\r\nCache-Control: no-cache\r\n'
        'Content-Type: text/plain\r\nContent-Length: 12\r\n\r\nsection 503\n')
S404 = ('HTTP/1.1 404 Not Here\r\nContent-Type: text/html\r\nX-From: Section\r\n'
        'Content-Length: 9\r\n\r\nsection!\n')
D502 = ('HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\n'
        'defaults 502\n')

CFG = """
http-errors site
    errorfile 503 <<dir>>/s503.http
    errorfile 404 <<dir>>/s404.http
http-errors other
    errorfile 502 <<dir>>/s503.http
frontend fe
    bind <<fe>>
    errorfile 502 <<dir>>/d502.http
    errorfiles site
    errorfiles other 503
    http-error status 403 content-type text/plain string "denied here" hdr x-why "%[path]" hdr x-empty "%[req.hdr(nope)]"
    http-error status 429 content-type application/json lf-string '{"path":"%[path]","m":"%[method]"}'
    http-error status 500
    http-error status 404 errorfiles site
    http-error status 401 default-errorfiles
    http-request deny if { path /deny }
    http-request deny deny_status 429 if { path /429 }
    http-request deny deny_status 500 if { path /500 }
    http-request deny status 403 content-type text/plain string own if { path /own }
    http-request return status 404 errorfiles site if { path /nf }
    http-request return status 403 errorfiles site if { path /nf403 }
    http-request return status 503 default-errorfiles if { path /def }
    http-request return status 403 default-errorfiles if { path /def403 }
    http-request tarpit deny_status 500 if { path /tarpit }
    use_backend nosrv if { path /nosrv }
    use_backend beerr if { path_beg /beerr }
    use_backend dead if { path /dead }
    default_backend b_default
backend nosrv
backend beerr
    http-error status 503 content-type text/plain string "backend says no"
    http-request deny if { path /beerr/deny }
backend dead
    retries 0
    server d 127.0.0.1:1
"""

DEFAULTS = DIFF_DEFAULTS + '    timeout tarpit 200ms\n'


class ErrorSectionsTest(DiffTestCase):
    def test_error_sections(self):
        cases = [
            Case('server', req('/'), 'b_default'),
            Case('deny_http_error_string', req('/deny'), 403),
            Case('deny_http_error_head', req('/deny', method='HEAD'), 403),
            Case('deny_http_error_http10', req('/deny', version='HTTP/1.0'), 403),
            Case('deny_lf_string', req('/429'), 429),
            Case('deny_empty_http_error', req('/500'), 500),
            Case('deny_own_payload', req('/own'), 403),
            Case('return_errorfiles', req('/nf'), 404),
            Case('return_errorfiles_missing', req('/nf403'), 403),
            Case('return_default_errorfiles_section', req('/def'), 503),
            Case('return_default_errorfiles_http_error', req('/def403'), 403),
            Case('tarpit', req('/tarpit'), 500),
            Case('no_server_section_page', req('/nosrv'), 503),
            Case('backend_http_error', req('/beerr/x'), 503),
            Case('backend_deny_uses_frontend', req('/beerr/deny'), 403),
            Case('dead_server_section_page', req('/dead'), 503),
        ]
        self.differential(CFG, ['b_default'], cases, defaults=DEFAULTS,
                          files={'s503.http': S503, 's404.http': S404, 'd502.http': D502})

    def test_defaults_and_order(self):
        # A proxy's own lines come after its defaults'; the last one for a status wins.
        cfg = """
http-errors site
    errorfile 503 <<dir>>/s503.http
    errorfile 403 <<dir>>/s404.http
defaults d
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
    http-error status 403 content-type text/plain string "from defaults"
    errorfiles site
frontend fe from d
    bind <<fe>>
    http-error status 503 content-type text/plain string "own 503"
    http-request deny if { path /deny }
    use_backend nosrv if { path /nosrv }
    default_backend b_default
backend nosrv from d
"""
        self.differential(cfg, ['b_default'], [
            Case('section_after_http_error', req('/deny'), 404),   # the page's own status line
            Case('http_error_after_section', req('/nosrv'), 503),
        ], defaults='', files={'s503.http': S503, 's404.http': S404})


if __name__ == '__main__':
    unittest.main()
