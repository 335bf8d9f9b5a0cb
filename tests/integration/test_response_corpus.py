"""Differential corpus of HTTP/1.x responses: malformed and borderline
responses from a server (corpus_responses.py holds the raw bytes the origin answers).

The rule (issue 11): portero never relays a response that haproxy 2.6.12 refuses.

Every case of the table runs on a fresh client connection against one proxy process (one config
for the whole corpus); a probe request on the same connection, answered by the proxy itself,
tells whether the connection stayed open, and a sentinel request on a fresh connection proves
what reached the origin (harness/corpus.py). Each outcome is a class
"<statuses>/<fwd|nofwd>/<alive|closed|stuck|tunnel>".

EXPECTED holds the classes observed with haproxy 2.6.12 (some cases have two: haproxy's answer
depends on how its reads split the bytes). Against haproxy the test asserts EXPECTED; against
portero it asserts EXPECTED except for the cases in DIFFERS, where portero deliberately answers
otherwise, nearly always refusing what haproxy accepts (README.md "HTTP parsing strictness" says
why, per reason key). When haproxy is installed
(HAPROXY_BIN) and the binary under test is not haproxy, haproxy runs the same corpus live, in
parallel, and the two are compared case by case: the test fails on any case portero relayed
while haproxy refused it, and prints a summary line (cases, same, stricter, differences).
"""

import unittest

from harness import ProxyTestCase, IS_HAPROXY, HAPROXY_BIN, haproxy_available
from harness.corpus import differential, classes_ok, summarize, response_refused
from corpus_responses import CASES

CONFIG = """
global
    tune.bufsize 16384
    tune.http.maxhdr 20
defaults
    mode http
    timeout connect 2s
    timeout client 3s
    timeout server 1s
frontend fe
    bind {bind}
{probe}
    default_backend be
backend be
    server s1 {addr}
"""

# Where portero answers differently from haproxy 2.6.12, on purpose: name -> (portero's class,
# reason key). README.md "HTTP parsing strictness" explains each key. Most are refusals of what
# haproxy accepts (portero stricter); none passes on what haproxy refuses.
DIFFERS = {
    'status_2_digits': ('502/fwd/alive', 'status_below_100'),
    'status_4_digits': ('502/fwd/alive', 'version'),
    'status_1000': ('502/fwd/alive', 'version'),
    'status_099': ('502/fwd/alive', 'status_below_100'),
    'version_http12': ('502/fwd/alive', 'version'),
    'status_line_bare_lf': ('502/fwd/alive', 'version'),
    'status_double_space': ('502/fwd/alive', 'version'),
    'cl_list_same': ('502/fwd/alive', 'cl_list'),
    'cl_and_te': ('502/fwd/alive', 'cl_te'),
    'te_and_cl': ('502/fwd/alive', 'cl_te'),
    'te_chunked_tab': ('502/fwd/alive', 'te_ows'),
    'chunk_bare_lf_size': ('502/fwd/alive', 'chunk_line'),
    'value_nul': ('502/fwd/alive', 'ctl_in_value'),
    'value_ctl01': ('502/fwd/alive', 'ctl_in_value'),
    'value_del': ('502/fwd/alive', 'ctl_in_value'),
}

# Classes observed with haproxy 2.6.12 ("fwd": the request reached the origin, always).
EXPECTED = {
    'baseline': '200/fwd/alive',
    'baseline_keepalive': '200/fwd/alive',
    'no_reason': '200/fwd/alive',
    'no_reason_space': '200/fwd/alive',
    'status_2_digits': 'none/fwd/stuck',
    'status_4_digits': '2000/fwd/alive',
    'status_1000': '1000/fwd/alive',
    'status_099': 'none/fwd/stuck',
    'status_600': '600/fwd/alive',
    'status_999': '999/fwd/alive',
    'status_alpha': '502/fwd/alive',
    'status_negative': '502/fwd/alive',
    'version_http10': '200/fwd/alive',
    'version_http12': '200/fwd/alive',
    'version_http20': '200/fwd/alive',
    'version_http09': '200/fwd/alive',
    'version_lowercase': '502/fwd/alive',
    'version_missing': '502/fwd/alive',
    'http09_no_status_line': '502/fwd/alive',
    'status_line_bare_lf': '200/fwd/alive',
    'status_double_space': '200/fwd/alive',
    'status_leading_space': '502/fwd/alive',
    'status_leading_crlf': '200/fwd/alive',
    'reason_ctl': '200/fwd/alive',
    'reason_nul': '200/fwd/alive',
    'reason_high': '200/fwd/alive',
    'reason_tab': '200/fwd/alive',
    'status_404': '404/fwd/alive',
    'status_500': '500/fwd/alive',
    'cl_duplicate_same': '200/fwd/alive',
    'cl_duplicate_different': '502/fwd/alive',
    'cl_list_same': '200/fwd/alive',
    'cl_list_different': '502/fwd/alive',
    'cl_empty': '502/fwd/alive',
    'cl_negative': '502/fwd/alive',
    'cl_plus': '502/fwd/alive',
    'cl_alpha': '502/fwd/alive',
    'cl_overflow': '502/fwd/alive',
    'cl_leading_zeros': '200/fwd/alive',
    'cl_short_body_close': 'none/fwd/closed',
    'cl_extra_bytes': '200/fwd/alive',
    'cl_and_te': '200/fwd/alive',
    'te_and_cl': '200/fwd/alive',
    'te_chunked': '200/fwd/alive',
    'te_chunked_upper': '200/fwd/alive',
    'te_chunked_chunked': '502/fwd/alive',
    'te_gzip_chunked': '502/fwd/alive',
    'te_chunked_gzip': '502/fwd/alive',
    'te_gzip_only': '502/fwd/alive',
    'te_identity': '502/fwd/alive',
    'te_chunked_tab': '200/fwd/alive',
    'te_chunked_tab_bad_chunk': '502/fwd/alive',
    'te_http10': '200/fwd/closed',
    'chunk_non_hex': '502/fwd/alive',
    'chunk_overflow': '502/fwd/alive',
    'chunk_negative': '502/fwd/alive',
    'chunk_bare_lf_size': '200/fwd/alive',
    'chunk_space_before': '502/fwd/alive',
    'chunk_ext': '200/fwd/alive',
    'chunk_missing_crlf': '502/fwd/alive',
    'chunk_truncated': 'none/fwd/closed',
    'chunk_no_last_chunk': 'none/fwd/closed',
    'trailer_valid': '200/fwd/alive',
    'trailer_no_colon': '502/fwd/alive',
    'close_delimited': '200/fwd/closed',
    'close_delimited_http10': '200/fwd/closed',
    '100_then_200': '100+200/fwd/alive',
    '100_100_200': '100+100+200/fwd/alive',
    '102_then_200': '102+200/fwd/alive',
    '103_then_200': '103+200/fwd/alive',
    '199_then_200': '199+200/fwd/alive',
    '100_only_then_close': '100+502/fwd/alive',
    '100_with_body_length': '100+200/fwd/alive',
    '101_without_upgrade': '502/fwd/alive',
    'head_with_cl_body': '200/fwd/alive',
    'head_chunked': '200/fwd/alive',
    '204_with_cl_body': '204/fwd/alive',
    '204_with_te': '204/fwd/alive',
    '204_plain': '204/fwd/alive',
    '304_with_cl': '304/fwd/alive',
    '304_with_body': '304/fwd/alive',
    'name_nul': '502/fwd/alive',
    'name_ctl01': '502/fwd/alive',
    'name_space': '502/fwd/alive',
    'name_del': '502/fwd/alive',
    'name_high80': '502/fwd/alive',
    'name_cr': '502/fwd/alive',
    'name_lparen': '502/fwd/alive',
    'name_at': '502/fwd/alive',
    'value_nul': '200/fwd/alive',
    'value_ctl01': '200/fwd/alive',
    'value_del': '200/fwd/alive',
    'value_high80': '200/fwd/alive',
    'value_cr': '502/fwd/alive',
    'value_tab': '200/fwd/alive',
    'value_lf_alone': '502/fwd/alive',
    'name_no_colon': '502/fwd/alive',
    'name_empty': '502/fwd/alive',
    'name_space_before_colon': '502/fwd/alive',
    'obs_fold': '200/fwd/alive',
    'obs_fold_on_cl': '200/fwd/alive',
    'head_15000': '200/fwd/alive',
    'head_17000': '502/fwd/alive',
    'headers_19': '200/fwd/alive',
    'headers_21': '502/fwd/alive',
    'connection_close': '200/fwd/alive',
    'http10_keepalive': '200/fwd/alive',
    'two_responses_one_write': '200/fwd/alive',
    'garbage_after_response': '200/fwd/alive',
    'empty_then_close': '502/fwd/alive',
    'partial_head_then_close': '502/fwd/alive',
    'set_cookie_twice': '200/fwd/alive',
}


def answer(origin, conn, req):
    """The origin: GET/HEAD /r/<case> answers the case's raw bytes, then closes if the case says
    so; anything else (the sentinel) gets a plain 200."""
    name = req.target[3:] if req.target.startswith('/r/') else ''
    if name not in CASES:
        return origin.respond(conn, req, 200, body=b'sentinel')
    _, data, close = CASES[name]
    if data:
        conn.send(data)
    return not close


def items():
    for name, (method, _, _) in CASES.items():
        yield name, b'%s /r/%s HTTP/1.1\r\nHost: a\r\n\r\n' % (method.encode(), name.encode()), method


class ResponseCorpusTest(ProxyTestCase):
    def test_corpus(self):
        self.assertGreaterEqual(len(CASES), 50)
        self.assertEqual(sorted(EXPECTED), sorted(CASES))
        live = None if IS_HAPROXY or not haproxy_available() else HAPROXY_BIN
        mine, ha = differential(self, self.PROXY_BIN, live, CONFIG, list(items()), answer)
        wrong = []
        for name, out in mine.items():
            want = EXPECTED[name] if IS_HAPROXY or name not in DIFFERS else DIFFERS[name][0]
            if not classes_ok(out, want):
                wrong.append(f'{name}: got {out!r} {out.client_raw[:200]!r}, expected {want}')
        if ha is not None:
            line, holes, diffs = summarize('response corpus', EXPECTED, DIFFERS, mine, ha,
                                           response_refused)
            print('\n' + line)
            drift = [f'{n}: haproxy now {o!r}' for n, o in ha.items() if not classes_ok(o, EXPECTED[n])]
            self.assertEqual(holes, [], 'portero relayed responses haproxy refused')
            self.assertEqual(drift, [], 'live haproxy differs from the recorded table')
        self.assertEqual(wrong, [])
        if ha is None and not IS_HAPROXY:
            self.skipTest(f'haproxy not installed at {HAPROXY_BIN}: the table was checked, '
                          'the live comparison skipped')


if __name__ == '__main__':
    unittest.main()
