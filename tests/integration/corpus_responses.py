"""The response corpus of test_response_corpus.py: name -> (request method, raw bytes the origin
answers, whether the origin closes after sending them).

Sources: RFC 9112 status-line and framing rules (section 6.3 message body length), RFC 9110
1xx/204/304/HEAD semantics, and response-splitting / desync research (conflicting lengths,
chunk-size parsing, interim responses, header byte classes).
"""

OK = b'content-length: 2\r\n\r\nok'


def resp(line=b'HTTP/1.1 200 OK', headers=b'', body=OK):
    return line + b'\r\n' + headers + body


CASES = {}


def add(name, data, method='GET', close=True):
    assert name not in CASES, name
    CASES[name] = (method, data, close)


# ---- status line -----------------------------------------------------------------------------
add('baseline', resp())
add('baseline_keepalive', resp(), close=False)
add('no_reason', resp(b'HTTP/1.1 200'))
add('no_reason_space', resp(b'HTTP/1.1 200 '))
add('status_2_digits', resp(b'HTTP/1.1 20 OK'))
add('status_4_digits', resp(b'HTTP/1.1 2000 OK'))
add('status_1000', resp(b'HTTP/1.1 1000 OK'))
add('status_099', resp(b'HTTP/1.1 099 OK'))
add('status_600', resp(b'HTTP/1.1 600 Odd'))
add('status_999', resp(b'HTTP/1.1 999 Odd'))
add('status_alpha', resp(b'HTTP/1.1 2x0 OK'))
add('status_negative', resp(b'HTTP/1.1 -200 OK'))
add('version_http10', resp(b'HTTP/1.0 200 OK'))
add('version_http12', resp(b'HTTP/1.2 200 OK'))
add('version_http20', resp(b'HTTP/2.0 200 OK'))
add('version_http09', resp(b'HTTP/0.9 200 OK'))
add('version_lowercase', resp(b'http/1.1 200 OK'))
add('version_missing', resp(b'200 OK'))
add('http09_no_status_line', b'hello world\r\n')
add('status_line_bare_lf', b'HTTP/1.1 200 OK\ncontent-length: 2\n\nok')
add('status_double_space', resp(b'HTTP/1.1  200 OK'))
add('status_leading_space', resp(b' HTTP/1.1 200 OK'))
add('status_leading_crlf', b'\r\n' + resp())
add('reason_ctl', resp(b'HTTP/1.1 200 O\x01K'))
add('reason_nul', resp(b'HTTP/1.1 200 O\x00K'))
add('reason_high', resp(b'HTTP/1.1 200 \xe9t\xe9'))
add('reason_tab', resp(b'HTTP/1.1 200 O\tK'))
add('status_404', resp(b'HTTP/1.1 404 Not Found'))
add('status_500', resp(b'HTTP/1.1 500 Internal Server Error'))
# ---- Content-Length --------------------------------------------------------------------------
add('cl_duplicate_same', resp(headers=b'content-length: 2\r\n'))
add('cl_duplicate_different', resp(headers=b'content-length: 3\r\n'))
add('cl_list_same', resp(body=b'content-length: 2, 2\r\n\r\nok'))
add('cl_list_different', resp(body=b'content-length: 2, 3\r\n\r\nok'))
add('cl_empty', resp(body=b'content-length:\r\n\r\nok'))
add('cl_negative', resp(body=b'content-length: -2\r\n\r\nok'))
add('cl_plus', resp(body=b'content-length: +2\r\n\r\nok'))
add('cl_alpha', resp(body=b'content-length: 2x\r\n\r\nok'))
add('cl_overflow', resp(body=b'content-length: 99999999999999999999999\r\n\r\nok'))
add('cl_leading_zeros', resp(body=b'content-length: 002\r\n\r\nok'))
add('cl_short_body_close', resp(body=b'content-length: 10\r\n\r\nok'))
add('cl_extra_bytes', resp(body=b'content-length: 2\r\n\r\nokEXTRA'), close=False)
add('cl_and_te', resp(body=b'content-length: 5\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n'))
add('te_and_cl', resp(body=b'transfer-encoding: chunked\r\ncontent-length: 5\r\n\r\n2\r\nok\r\n0\r\n\r\n'))
# ---- Transfer-Encoding and chunks ------------------------------------------------------------
_C = b'2\r\nok\r\n0\r\n\r\n'
add('te_chunked', resp(body=b'transfer-encoding: chunked\r\n\r\n' + _C), close=False)
add('te_chunked_upper', resp(body=b'transfer-encoding: CHUNKED\r\n\r\n' + _C), close=False)
add('te_chunked_chunked', resp(body=b'transfer-encoding: chunked, chunked\r\n\r\n' + _C))
add('te_gzip_chunked', resp(body=b'transfer-encoding: gzip, chunked\r\n\r\n' + _C))
add('te_chunked_gzip', resp(body=b'transfer-encoding: chunked, gzip\r\n\r\n' + _C))
add('te_gzip_only', resp(body=b'transfer-encoding: gzip\r\n\r\nok'))
add('te_identity', resp(body=b'transfer-encoding: identity\r\n\r\nok'))
# "chunked" then a tab: llhttp does not read it as chunked (the body would go unchecked); found
# by fuzz_http_response (portero relayed a broken chunked body as it came).
add('te_chunked_tab', resp(body=b'transfer-encoding: chunked\t\r\n\r\n' + _C), close=False)
add('te_chunked_tab_bad_chunk', resp(body=b'transfer-encoding: chunked\t\r\n\r\n2\r\nokXXgarbage\r\n\r\n'))
add('te_http10', resp(b'HTTP/1.0 200 OK', body=b'transfer-encoding: chunked\r\n\r\n' + _C))
add('chunk_non_hex', resp(body=b'transfer-encoding: chunked\r\n\r\ng\r\nok\r\n0\r\n\r\n'))
add('chunk_overflow', resp(body=b'transfer-encoding: chunked\r\n\r\nfffffffffffffffffff2\r\nok\r\n0\r\n\r\n'))
add('chunk_negative', resp(body=b'transfer-encoding: chunked\r\n\r\n-2\r\nok\r\n0\r\n\r\n'))
add('chunk_bare_lf_size', resp(body=b'transfer-encoding: chunked\r\n\r\n2\nok\r\n0\r\n\r\n'))
add('chunk_space_before', resp(body=b'transfer-encoding: chunked\r\n\r\n 2\r\nok\r\n0\r\n\r\n'))
add('chunk_ext', resp(body=b'transfer-encoding: chunked\r\n\r\n2;a=b\r\nok\r\n0\r\n\r\n'))
add('chunk_missing_crlf', resp(body=b'transfer-encoding: chunked\r\n\r\n2\r\nokX0\r\n\r\n'))
add('chunk_truncated', resp(body=b'transfer-encoding: chunked\r\n\r\n5\r\nok'))
add('chunk_no_last_chunk', resp(body=b'transfer-encoding: chunked\r\n\r\n2\r\nok\r\n'))
add('trailer_valid', resp(body=b'transfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nx-t: v\r\n\r\n'))
add('trailer_no_colon', resp(body=b'transfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nbad\r\n\r\n'))
add('close_delimited', resp(body=b'\r\nok'))
add('close_delimited_http10', resp(b'HTTP/1.0 200 OK', body=b'\r\nok'))
# ---- interim responses -----------------------------------------------------------------------
add('100_then_200', b'HTTP/1.1 100 Continue\r\n\r\n' + resp())
add('100_100_200', b'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n' + resp())
add('102_then_200', b'HTTP/1.1 102 Processing\r\n\r\n' + resp())
add('103_then_200', b'HTTP/1.1 103 Early Hints\r\nlink: </s.css>; rel=preload\r\n\r\n' + resp())
add('199_then_200', b'HTTP/1.1 199 Odd\r\n\r\n' + resp())
add('100_only_then_close', b'HTTP/1.1 100 Continue\r\n\r\n')
add('100_with_body_length', b'HTTP/1.1 100 Continue\r\ncontent-length: 5\r\n\r\n' + resp())
add('101_without_upgrade', b'HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n'
    b'connection: upgrade\r\n\r\n')
# ---- responses without a body ----------------------------------------------------------------
add('head_with_cl_body', resp(body=b'content-length: 5\r\n\r\nhello'), method='HEAD')
add('head_chunked', resp(body=b'transfer-encoding: chunked\r\n\r\n'), method='HEAD', close=False)
add('204_with_cl_body', resp(b'HTTP/1.1 204 No Content', body=b'content-length: 5\r\n\r\nhello'))
add('204_with_te', resp(b'HTTP/1.1 204 No Content', body=b'transfer-encoding: chunked\r\n\r\n' + _C))
add('204_plain', resp(b'HTTP/1.1 204 No Content', body=b'\r\n'), close=False)
add('304_with_cl', resp(b'HTTP/1.1 304 Not Modified', body=b'content-length: 5\r\n\r\n'), close=False)
add('304_with_body', resp(b'HTTP/1.1 304 Not Modified', body=b'content-length: 5\r\n\r\nhello'))
# ---- header byte classes ---------------------------------------------------------------------
for _n, _b in [('nul', b'\x00'), ('ctl01', b'\x01'), ('space', b' '), ('del', b'\x7f'),
               ('high80', b'\x80'), ('cr', b'\r'), ('lparen', b'('), ('at', b'@')]:
    add('name_' + _n, resp(headers=b'x' + _b + b'a: v\r\n'))
for _n, _b in [('nul', b'\x00'), ('ctl01', b'\x01'), ('del', b'\x7f'), ('high80', b'\x80'),
               ('cr', b'\r'), ('tab', b'\t')]:
    add('value_' + _n, resp(headers=b'x-a: a' + _b + b'b\r\n'))
add('value_lf_alone', resp(headers=b'x-a: a\nb\r\n'))
add('name_no_colon', resp(headers=b'xa\r\n'))
add('name_empty', resp(headers=b': v\r\n'))
add('name_space_before_colon', resp(headers=b'x-a : v\r\n'))
add('obs_fold', resp(headers=b'x-a: a\r\n b\r\n'))
add('obs_fold_on_cl', resp(body=b'content-length:\r\n 2\r\n\r\nok'))
# ---- limits and oddities ---------------------------------------------------------------------
add('head_15000', resp(headers=b'x-big: ' + b'a' * 15000 + b'\r\n'))
add('head_17000', resp(headers=b'x-big: ' + b'a' * 17000 + b'\r\n'))
add('headers_19', resp(headers=b''.join(b'x-h%d: v\r\n' % i for i in range(18))))
add('headers_21', resp(headers=b''.join(b'x-h%d: v\r\n' % i for i in range(21))))
add('connection_close', resp(headers=b'connection: close\r\n'))
add('http10_keepalive', resp(b'HTTP/1.0 200 OK', headers=b'connection: keep-alive\r\n'), close=False)
add('two_responses_one_write', resp() + resp(), close=False)
add('garbage_after_response', resp() + b'GARBAGE', close=False)
add('empty_then_close', b'')
add('partial_head_then_close', b'HTTP/1.1 200 OK\r\ncontent-le')
add('set_cookie_twice', resp(headers=b'set-cookie: a=1\r\nset-cookie: b=2\r\n'))
