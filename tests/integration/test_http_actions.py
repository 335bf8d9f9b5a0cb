"""The simple http-request actions, differential against haproxy 2.6: set-src, set-src-port,
set-dst, set-dst-port (seen by later rules, X-Forwarded-For and the next request of the
connection), set-timeout server|tunnel, disable-l7-retry, strict-mode, set-mark, set-tos."""

import unittest

from harness.diff import DiffTestCase, Case, req


def fwd(name, *values):
    return (f'forwarded {name} == {list(values)}', lambda o: o.fwd_header(name) == list(values))


CFG = """
frontend fe
    bind <<fe>>
    option forwardfor
    http-request set-src req.hdr(x-src) if { req.hdr(x-src) -m found }
    http-request set-src-port int(4242) if { path /port }
    http-request set-dst str(10.1.2.3) if { path /dst }
    http-request set-dst-port int(8080) if { path /dst }
    http-request set-src str(::1) if { path /v6 }
    http-request set-header x-src "%[src]:%[src_port]"
    http-request set-header x-dst "%[dst]:%[dst_port]"
    http-request set-mark 0x10 if { path /mark }
    http-request set-tos 0x20 if { path /mark }
    http-response set-mark 1
    http-response set-tos 0
    use_backend slow if { path_beg /delay }
    use_backend retry if { path_beg /status }
    default_backend b_default
backend slow
    http-request set-timeout server 200ms if { path_beg /delay/800 }
    http-request set-timeout server int(150) if { path_beg /delay/700 }
    server s <<be:slowo>>
backend retry
    retries 2
    retry-on 503
    option redispatch 1
    http-request disable-l7-retry if { req.hdr(x-noretry) -m found }
    server r1 <<be:r1>>
    server r2 <<be:r2>>
"""


def compare_ports(case, ours, ref):
    """The client's port and the listener's differ between the two runs: the addresses and
    every port a rule set must agree, the rest of the outcome byte for byte."""
    probs = []
    for k in ('status', 'origin', 'response', 'error', 'kept_alive'):
        if getattr(ours, k) != getattr(ref, k):
            probs.append(f'{k}: {getattr(ours, k)!r} vs haproxy {getattr(ref, k)!r}')
    if ours.fwd_header('x-forwarded-for') != ref.fwd_header('x-forwarded-for'):
        probs.append(f"x-forwarded-for: {ours.fwd_header('x-forwarded-for')} vs {ref.fwd_header('x-forwarded-for')}")
    for h, port_set in (('x-src', case.name == 'set_src_port'), ('x-dst', case.name == 'set_dst')):
        a, b = ours.fwd_header(h), ref.fwd_header(h)
        if port_set:
            same = a == b
        else:
            same = [v.rsplit(':', 1)[0] for v in a] == [v.rsplit(':', 1)[0] for v in b]
        if not same:
            probs.append(f'{h}: {a} vs haproxy {b}')
    return probs


class HttpActionsTest(DiffTestCase):
    def test_addresses(self):
        cases = [
            Case('plain', req('/'), 'b_default'),
            Case('set_src', req('/', headers=['x-src: 192.0.2.7']), 'b_default',
                 checks=[fwd('x-forwarded-for', '192.0.2.7')]),
            Case('set_src_bad', req('/', headers=['x-src: not-an-ip']), 'b_default'),
            Case('set_src_port', req('/port', headers=['x-src: 192.0.2.8']), 'b_default',
                 checks=[fwd('x-src', '192.0.2.8:4242')]),
            Case('set_dst', req('/dst'), 'b_default', checks=[fwd('x-dst', '10.1.2.3:8080')]),
            Case('set_src_v6', req('/v6'), 'b_default'),
            Case('mark_tos', req('/mark'), 'b_default'),
        ]
        self.differential(CFG, ['b_default'], cases, compare=compare_ports,
                          extra_origins=['slowo', 'r1', 'r2'])

    def test_timeouts_and_retries(self):
        cases = [
            Case('set_timeout_server', req('/delay/800'), 504),
            Case('set_timeout_server_expr', req('/delay/700'), 504),
            Case('no_set_timeout', req('/delay/300'), 'slowo'),
            Case('l7_retry', req('/status/503'), 503),
            Case('disable_l7_retry', req('/status/503', headers=['x-noretry: 1']), 503),
        ]
        self.differential(CFG, ['b_default'], cases, compare=compare_ports,
                          extra_origins=['slowo', 'r1', 'r2'])

    def test_strict_mode(self):
        # Copies of a 6000-byte header overflow the head: strict mode answers 500, strict-mode
        # off drops the rewrites that do not fit and forwards the request.
        cfg = """
frontend fe
    bind <<fe>>
    http-request strict-mode off if { path /lax }
    http-request set-header x-a "%[req.hdr(x-fill)]"
    http-request set-header x-b "%[req.hdr(x-fill)]"
    http-request set-header x-c "%[req.hdr(x-fill)]"
    default_backend b_default
"""
        fill = 'x-fill: ' + 'f' * 6000
        self.differential(cfg, ['b_default'], [
            Case('strict', req('/strict', headers=[fill]), 500),
            Case('lax', req('/lax', headers=[fill]), 'b_default'),
        ])


if __name__ == '__main__':
    unittest.main()
