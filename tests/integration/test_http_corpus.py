"""Differential corpus of HTTP/1.x requests: malformed, ambiguous and borderline
requests (corpus_requests.py holds their bytes: RFC 9110/9112 grammar and published
desync/smuggling research).

The rule (issue 11): portero never forwards a request that haproxy 2.6.12 refuses.

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
parallel, and the two are compared case by case: the test fails on any case portero forwarded
while haproxy refused it, and prints a summary line (cases, same, stricter, differences).
Whatever the class, no forwarded head may carry both Content-Length and Transfer-Encoding, or
two Host headers.
"""

import re
import unittest

from harness import ProxyTestCase, Client, IS_HAPROXY, HAPROXY_BIN, haproxy_available
from harness.corpus import differential, classes_ok, summarize, PROBE, PROBE_RULE
from corpus_requests import CASES

CONFIG = """
global
    tune.bufsize 16384
    tune.http.maxhdr 20
defaults
    mode http
    timeout connect 2s
    timeout client 3s
    timeout server 3s
    timeout http-request 1s
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
    'http12': ('400/nofwd/closed', 'version'),
    'http13': ('400/nofwd/closed', 'version'),
    'http30_text': ('400/nofwd/closed', 'version'),
    'tab_separators': ('400/nofwd/closed', 'request_line'),
    'bare_lf_everywhere': ('400/nofwd/closed', 'request_line'),
    'lowercase_method': ('400/nofwd/closed', 'method'),
    'unknown_method': ('400/nofwd/closed', 'method'),
    'method_token_chars': ('400/nofwd/closed', 'method'),
    'method_long_100': ('400/nofwd/closed', 'method'),
    'target_del': ('400/nofwd/closed', 'request_line'),
    'value_nul': ('400/nofwd/closed', 'ctl_in_value'),
    'value_ctl01': ('400/nofwd/closed', 'ctl_in_value'),
    'value_bs': ('400/nofwd/closed', 'ctl_in_value'),
    'value_vt': ('400/nofwd/closed', 'ctl_in_value'),
    'value_ff': ('400/nofwd/closed', 'ctl_in_value'),
    'value_ctl1f': ('400/nofwd/closed', 'ctl_in_value'),
    'value_del': ('400/nofwd/closed', 'ctl_in_value'),
    'cl_list_same': ('400/nofwd/closed', 'cl_list'),
    'cl_list_same_nospace': ('400/nofwd/closed', 'cl_list'),
    'te_trailing_comma': ('400/nofwd/closed', 'te_trailing_comma'),
    'te_and_cl': ('400/nofwd/closed', 'cl_te'),
    'cl_and_te': ('400/nofwd/closed', 'cl_te'),
    'chunk_space_after': ('400/nofwd/closed', 'chunk_line'),
    'chunk_tab_after': ('400/nofwd/closed', 'chunk_line'),
    'chunk_ext_space': ('400/nofwd/closed', 'chunk_line'),
    'chunk_ext_ctl': ('400/nofwd/closed', 'chunk_line'),
    'chunk_bare_lf_size': ('400/nofwd/closed', 'chunk_line'),
    'chunk_bare_lf_data': ('400/nofwd/closed', 'chunk_line'),
    'chunk_last_bare_lf': ('400/nofwd/closed', 'chunk_line'),
    'trailer_nul': ('400/nofwd/closed', 'ctl_in_value'),
    'leftover_garbage': ('200+400/fwd/closed', 'method'),
    'te_chunked_space_comma': ('400/nofwd/closed', 'te_trailing_comma'),
}

# Classes observed with haproxy 2.6.12 (a tuple: both were seen, depending on how haproxy's
# reads split the bytes).
EXPECTED = {
    'baseline_get': '200/fwd/alive',
    'http10_no_host': '200/fwd/closed',
    'http10_host': '200/fwd/closed',
    'http11_no_host': '200/fwd/alive',
    'http09': '400/nofwd/closed',
    'http09_with_headers': '400/nofwd/closed',
    'http12': '200/fwd/alive',
    'http13': '200/fwd/alive',
    'http20_text': '200/fwd/alive',
    'http30_text': '200/fwd/alive',
    'http09_explicit': '200/fwd/closed',
    'http_lowercase': '400/nofwd/closed',
    'https_version': '400/nofwd/closed',
    'version_1_10': '400/nofwd/closed',
    'version_01_1': '400/nofwd/closed',
    'version_11_nodot': '400/nofwd/closed',
    'version_trailing_x': '400/nofwd/closed',
    'version_truncated': '400/nofwd/closed',
    'version_trailing_space': '400/nofwd/closed',
    'double_space_before_target': '200/fwd/alive',
    'double_space_before_version': '200/fwd/alive',
    'leading_space': '400/nofwd/closed',
    'tab_separators': '200/fwd/alive',
    'missing_target': '400/nofwd/closed',
    'missing_method': '400/nofwd/closed',
    'leading_crlf': '200/fwd/alive',
    'leading_lf_lf': '200/fwd/alive',
    'bare_lf_everywhere': '200/fwd/alive',
    'bare_cr_after_line': '400/nofwd/closed',
    'lowercase_method': '200/fwd/alive',
    'unknown_method': '200/fwd/alive',
    'method_token_chars': '200/fwd/alive',
    'method_separator_char': '400/nofwd/closed',
    'method_with_nul': '400/nofwd/closed',
    'method_long_100': '200/fwd/alive',
    'method_propfind': '200/fwd/alive',
    'method_pri': '400/nofwd/closed',
    'h2_preface': 'none/nofwd/closed',
    'absolute_form': '200/fwd/alive',
    'absolute_form_host_mismatch': '400/nofwd/closed',
    'absolute_form_no_host': '200/fwd/alive',
    'absolute_form_https': '200/fwd/alive',
    'absolute_form_port': '200/fwd/alive',
    'absolute_form_userinfo': '200/fwd/alive',
    'absolute_form_no_path': '200/fwd/alive',
    'absolute_form_ftp': '200/fwd/alive',
    'authority_form_get': '400/nofwd/closed',
    'connect_authority': ('200+200/fwd/stuck', '200/fwd/tunnel'),
    'connect_path': '400/nofwd/closed',
    'options_asterisk': '200/fwd/alive',
    'get_asterisk': '200/fwd/alive',
    'target_no_slash': '400/nofwd/closed',
    'target_fragment': '400/nofwd/closed',
    'target_query': '200/fwd/alive',
    'target_dot_segments': '200/fwd/alive',
    'target_double_slash': '200/fwd/alive',
    'target_percent_bad': '200/fwd/alive',
    'target_percent_nul': '200/fwd/alive',
    'target_ctl01': '400/nofwd/closed',
    'target_nul': '400/nofwd/closed',
    'target_del': '200/fwd/alive',
    'target_tab': '400/nofwd/closed',
    'target_high80': '200/fwd/alive',
    'target_highff': '400/nofwd/closed',
    'target_utf8': '400/nofwd/closed',
    'target_quote': '200/fwd/alive',
    'target_lt': '200/fwd/alive',
    'target_brace': '200/fwd/alive',
    'target_pipe': '200/fwd/alive',
    'target_backslash': '200/fwd/alive',
    'target_caret': '200/fwd/alive',
    'target_backtick': '200/fwd/alive',
    'target_vt': '400/nofwd/closed',
    'target_ff': '400/nofwd/closed',
    'target_esc': '400/nofwd/closed',
    'target_space_inside': '400/nofwd/closed',
    'target_long_8000': '200/fwd/alive',
    'target_long_20000': '400/nofwd/closed',
    'name_nul': '400/nofwd/closed',
    'name_ctl01': '400/nofwd/closed',
    'name_tab': '400/nofwd/closed',
    'name_space': '400/nofwd/closed',
    'name_quote': '400/nofwd/closed',
    'name_lparen': '400/nofwd/closed',
    'name_rparen': '400/nofwd/closed',
    'name_comma': '400/nofwd/closed',
    'name_slash': '400/nofwd/closed',
    'name_semicolon': '400/nofwd/closed',
    'name_lt': '400/nofwd/closed',
    'name_eq': '400/nofwd/closed',
    'name_gt': '400/nofwd/closed',
    'name_question': '400/nofwd/closed',
    'name_at': '400/nofwd/closed',
    'name_lbracket': '400/nofwd/closed',
    'name_backslash': '400/nofwd/closed',
    'name_rbracket': '400/nofwd/closed',
    'name_lbrace': '400/nofwd/closed',
    'name_rbrace': '400/nofwd/closed',
    'name_del': '400/nofwd/closed',
    'name_high80': '400/nofwd/closed',
    'name_highff': '400/nofwd/closed',
    'name_cr': '400/nofwd/closed',
    'name_lf': '400/nofwd/closed',
    'name_bang': '200/fwd/alive',
    'name_hash': '200/fwd/alive',
    'name_tilde': '200/fwd/alive',
    'name_pipe': '200/fwd/alive',
    'name_caret': '200/fwd/alive',
    'name_backtick': '200/fwd/alive',
    'name_dot': '200/fwd/alive',
    'name_underscore': '200/fwd/alive',
    'name_plus': '200/fwd/alive',
    'name_empty': '400/nofwd/closed',
    'name_no_colon': '400/nofwd/closed',
    'name_space_before_colon': '400/nofwd/closed',
    'name_tab_before_colon': '400/nofwd/closed',
    'name_leading_space_first': '400/nofwd/closed',
    'name_uppercase': '200/fwd/alive',
    'value_nul': '200/fwd/alive',
    'value_ctl01': '200/fwd/alive',
    'value_bs': '200/fwd/alive',
    'value_tab': '200/fwd/alive',
    'value_vt': '200/fwd/alive',
    'value_ff': '200/fwd/alive',
    'value_ctl1f': '200/fwd/alive',
    'value_del': '200/fwd/alive',
    'value_high80': '200/fwd/alive',
    'value_highff': '200/fwd/alive',
    'value_quote': '200/fwd/alive',
    'value_cr': '400/nofwd/closed',
    'value_utf8': '200/fwd/alive',
    'value_lf_alone': '400/nofwd/closed',
    'value_empty': '200/fwd/alive',
    'value_spaces_only': '200/fwd/alive',
    'value_surrounding_ws': '200/fwd/alive',
    'value_no_space': '200/fwd/alive',
    'obs_fold_space': '200/fwd/alive',
    'obs_fold_tab': '200/fwd/alive',
    'obs_fold_on_host': '200/fwd/alive',
    'obs_fold_on_cl': '200/fwd/alive',
    'obs_fold_on_te': '200/fwd/alive',
    'header_line_15000': '200/fwd/alive',
    'header_line_17000': '400/nofwd/closed',
    'headers_19': '200/fwd/alive',
    'headers_21': '400/nofwd/closed',
    'host_empty': '200/fwd/alive',
    'host_duplicate_same': '200/fwd/alive',
    'host_duplicate_different': '400/nofwd/closed',
    'host_with_port': '200/fwd/alive',
    'host_with_space': '200/fwd/alive',
    'host_with_at': '200/fwd/alive',
    'host_with_comma': '200/fwd/alive',
    'host_ipv6': '200/fwd/alive',
    'host_uppercase_name': '200/fwd/alive',
    'host_on_http10_abs': '200/fwd/closed',
    'cl_zero_get': '200/fwd/alive',
    'cl_body_post': '200/fwd/alive',
    'cl_leading_zeros': '200/fwd/alive',
    'cl_plus': '400/nofwd/closed',
    'cl_spaces': '200/fwd/alive',
    'cl_tab': '200/fwd/alive',
    'cl_two_numbers': '400/nofwd/closed',
    'cl_hex': '400/nofwd/closed',
    'cl_overflow': '400/nofwd/closed',
    'cl_list_same': '200/fwd/alive',
    'cl_list_same_nospace': '200/fwd/alive',
    'cl_list_trailing_comma': '400/nofwd/closed',
    'cl_duplicate_same': '200/fwd/alive',
    'cl_duplicate_different': '400/nofwd/closed',
    'cl_empty': '400/nofwd/closed',
    'cl_negative': '400/nofwd/closed',
    'cl_decimal': '400/nofwd/closed',
    'cl_http10': '200/fwd/closed',
    'cl_on_head': '200/fwd/alive',
    'cl_on_get': '200/fwd/alive',
    'cl_on_options': '200/fwd/alive',
    'cl_on_delete': '200/fwd/alive',
    'te_chunked': '200/fwd/alive',
    'te_chunked_capital': '200/fwd/alive',
    'te_chunked_upper': '200/fwd/alive',
    'te_chunked_spaces': '200/fwd/alive',
    'te_chunked_tab': '200/fwd/alive',
    'te_chunked_chunked': '400/nofwd/closed',
    'te_two_headers_chunked': '400/nofwd/closed',
    'te_gzip_then_chunked_headers': '422/nofwd/closed',
    'te_gzip_chunked': '422/nofwd/closed',
    'te_identity': '400/nofwd/closed',
    'te_identity_chunked': '422/nofwd/closed',
    'te_chunked_identity': '400/nofwd/closed',
    'te_xchunked': '400/nofwd/closed',
    'te_chunked_vt': '400/nofwd/closed',
    'te_chunked_param': '400/nofwd/closed',
    'te_empty': '400/nofwd/closed',
    'te_trailing_comma': '200/fwd/alive',
    'te_leading_comma': '422/nofwd/closed',
    'te_http10': '200/fwd/closed',
    'te_on_get': '200/fwd/alive',
    'te_and_cl': '200/fwd/closed',
    'cl_and_te': '200/fwd/closed',
    'te_name_space_cl': '400/nofwd/closed',
    'chunk_upper_hex': '200/fwd/alive',
    'chunk_lower_hex': '200/fwd/alive',
    'chunk_leading_zeros': '200/fwd/alive',
    'chunk_overflow': '400/nofwd/closed',
    'chunk_negative': '400/nofwd/closed',
    'chunk_0x_prefix': '400/nofwd/closed',
    'chunk_space_before': '400/nofwd/closed',
    'chunk_space_after': '200/fwd/alive',
    'chunk_tab_after': '200/fwd/alive',
    'chunk_ext': '200/fwd/alive',
    'chunk_ext_space': '200/fwd/alive',
    'chunk_ext_quoted': '200/fwd/alive',
    'chunk_ext_no_value': '200/fwd/alive',
    'chunk_ext_ctl': '200/fwd/alive',
    'chunk_bare_lf_size': '200/fwd/alive',
    'chunk_bare_lf_data': '200/fwd/alive',
    'chunk_bare_cr_data': '400/nofwd/closed',
    'chunk_missing_crlf_data': '400/nofwd/closed',
    'chunk_data_longer': '400/nofwd/closed',
    'chunk_empty_size': '400/nofwd/closed',
    'chunk_non_hex': '400/nofwd/closed',
    'chunk_last_00': '200/fwd/alive',
    'chunk_last_ext': '200/fwd/alive',
    'chunk_last_bare_lf': '200/fwd/alive',
    'chunk_end_bare_lf': '200/fwd/alive',
    'trailer_valid': '200/fwd/alive',
    'trailer_no_colon': '400/nofwd/closed',
    'trailer_nul': '200/fwd/alive',
    'trailer_space_in_name': ('200/fwd/alive', '400/nofwd/closed'),
    'trailer_content_length': '200/fwd/alive',
    'chunked_on_head': '200/fwd/alive',
    'chunked_on_options': '200/fwd/alive',
    'pipelined_two': '200+200/fwd/alive',
    'leftover_garbage': '200/fwd/alive',
    'leftover_after_cl_body': '200+200/fwd/alive',
    'leftover_after_chunked': '200+200/fwd/alive',
    'expect_100': '100+200/fwd/alive',
    'expect_100_capital': '100+200/fwd/alive',
    'expect_other': '200/fwd/alive',
    'expect_on_get': '200/fwd/alive',
    'expect_http10': '100+200/fwd/closed',
    'conn_close': '200/fwd/closed',
    'conn_keepalive_http10': '200/fwd/alive',
    'conn_unknown': '200/fwd/alive',
    'conn_close_and_token': '200/fwd/closed',
    'conn_close_upper': '200/fwd/closed',
    'conn_lists_content_length': '200/fwd/alive',
    'conn_lists_host': '200/fwd/alive',
    'conn_two_headers': '200/fwd/closed',
    'upgrade_without_connection': '200/fwd/alive',
    'connection_upgrade_without_upgrade': '200/fwd/alive',
    'upgrade_h2c': '200/fwd/alive',
    'upgrade_on_http10': '400/nofwd/closed',
    'target_ctl1f': '400/nofwd/closed',
    'target_higha3': '200/fwd/alive',
    'target_higha4': '400/nofwd/closed',
    'te_chunked_comma_space_comma': '400/nofwd/closed',
    'te_comma_space_chunked': '422/nofwd/closed',
    'te_chunked_space_comma': '200/fwd/alive',
    'te_gzip_empty_chunked': '422/nofwd/closed',
    'te_chunked_two_commas': '400/nofwd/closed',
    'te_gzip_identity': '400/nofwd/closed',
    'te_chunked_gzip_list': '400/nofwd/closed',
    'te_three_codings': '422/nofwd/closed',
    'absolute_form_port_vs_bare_host': '200/fwd/alive',
    'absolute_form_bare_vs_port_host': '200/fwd/alive',
    'absolute_form_case': '200/fwd/alive',
    'absolute_form_userinfo_mismatch': '400/nofwd/closed',
    'absolute_form_query_no_slash': '400/nofwd/closed',
    'host_duplicate_case': '200/fwd/alive',
    'host_duplicate_empty': '400/nofwd/closed',
    'host_list_same': '200/fwd/alive',
    'upgrade_http10_no_connection': '200/fwd/closed',
    'websocket_without_key': '400/nofwd/closed',
    'connect_no_port': '400/nofwd/closed',
    'connect_asterisk': '400/nofwd/closed',
    'connect_slash_in_authority': '400/nofwd/closed',
    'connect_query_after_port': '400/nofwd/closed',
    'connect_port_not_digits': '400/nofwd/closed',
    'connect_host_other_port': '400/nofwd/closed',
    'connect_host_other_name': '400/nofwd/closed',
    'options_asterisk_http10': '200/fwd/closed',
    'http09_head': '400/nofwd/closed',
    'http09_bare_lf': '400/nofwd/closed',
    'version_missing_minor': '400/nofwd/closed',
    'name_empty_first': '400/nofwd/closed',
    'name_colon_only': '400/nofwd/closed',
}


def forwarded_heads(raw):
    """The heads of the requests in the bytes an origin received (each from its request line
    to the blank line)."""
    for m in re.finditer(rb'(?m)^[A-Za-z]+ \S+ HTTP/\d\.\d\r\n', raw):
        end = raw.find(b'\r\n\r\n', m.start())
        yield raw[m.start():end if end >= 0 else len(raw)]


def items():
    for name, data in CASES.items():
        method = data.split(b' ', 1)[0].decode('latin-1') if b' ' in data[:20] else 'GET'
        yield name, data, method if method in ('HEAD', 'CONNECT') else 'GET'


class HttpCorpusTest(ProxyTestCase):
    def test_corpus(self):
        self.assertGreaterEqual(len(CASES), 150)
        self.assertEqual(sorted(EXPECTED), sorted(CASES))
        live = None if IS_HAPROXY or not haproxy_available() else HAPROXY_BIN
        mine, ha = differential(self, self.PROXY_BIN, live, CONFIG, list(items()))
        wrong = []
        for name, out in mine.items():
            want = EXPECTED[name] if IS_HAPROXY or name not in DIFFERS else DIFFERS[name][0]
            if not classes_ok(out, want):
                wrong.append(f'{name}: got {out!r}, expected {want}')
            for head in forwarded_heads(out.forwarded):
                names = [ln.split(b':', 1)[0].strip().lower() for ln in head.split(b'\r\n')[1:]]
                if b'content-length' in names and b'transfer-encoding' in names or names.count(b'host') > 1:
                    wrong.append(f'{name}: ambiguous forwarded head {head!r}')
        if ha is not None:
            line, holes, diffs = summarize('request corpus', EXPECTED, DIFFERS, mine, ha)
            print('\n' + line)
            drift = [f'{n}: haproxy now {o!r}' for n, o in ha.items() if not classes_ok(o, EXPECTED[n])]
            self.assertEqual(holes, [], 'portero forwarded requests haproxy refused')
            self.assertEqual(drift, [], 'live haproxy differs from the recorded table')
        self.assertEqual(wrong, [])
        if ha is None and not IS_HAPROXY:
            self.skipTest(f'haproxy not installed at {HAPROXY_BIN}: the table was checked, '
                          'the live comparison skipped')

    def test_pipelined_request_arriving_during_a_response(self):
        """A request arriving while the previous pipelined one is being answered (its buffer
        already given back) is parsed from its first byte, not skipped into (portero closed
        the connection silently before)."""
        o = self.origin('s1')
        p, fe = self.simple([o], frontend=PROBE_RULE)
        with Client(fe.port) as c:
            c.send(b'GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /delay/300/b HTTP/1.1\r\nHost: a\r\n\r\n')
            self.assertEqual(c.read_response().status, 200)
            c.send(PROBE)   # reaches the proxy while /delay/300/b waits at the origin
            self.assertEqual(c.read_response().status, 200)
            r = c.read_response()
            self.assertEqual(r.body, b'probe')
        self.assertEqual([q.target for q in o.requests], ['/a', '/delay/300/b'])


if __name__ == '__main__':
    unittest.main()
