#!/usr/bin/python3
"""Seeds for fuzz_h2_proxy: HTTP/2 client streams written with python3-h2 (as h2_seeds.py),
without the connection preface (the target writes it), each behind the target's control byte
(the server's answer, see fuzz_h2_proxy.cpp) and, for a carried response, its length and bytes.

  /usr/bin/python3 tests/fuzz/h2_proxy_seeds.py tests/fuzz/corpus/fuzz_h2_proxy   # the committed seeds
(Debian's python3: python3-h2 is a Debian package.)
"""
import base64
import hashlib
import pathlib
import sys

import h2.config
import h2.connection
import h2.settings

PREFACE = b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'

out = pathlib.Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)


def client(settings=None):
    cfg = h2.config.H2Configuration(client_side=True, validate_outbound_headers=False,
                                    normalize_outbound_headers=False)
    c = h2.connection.H2Connection(config=cfg)
    c.initiate_connection()
    if settings:
        c.update_settings(settings)
    return c


def frames(c):
    data = c.data_to_send()
    assert data.startswith(PREFACE)
    return data[len(PREFACE):]


def req(method, path, authority='a.test', scheme='http', extra=()):
    return [(':method', method), (':scheme', scheme), (':authority', authority), (':path', path)] + list(extra)


def streams():
    c = client()
    c.send_headers(1, req('GET', '/', extra=[('user-agent', 'fuzz-agent'), ('cookie', 'SERVERID=s1'),
                                             ('cookie', 'b=2')]), end_stream=True)
    yield 'get', frames(c)

    # Paths and fields the frontend's http-request rules act on, one stream each.
    c = client()
    sid = 1
    for path, extra in (('/api/x?y=1', ()), ('/redir/a', ()), ('/private', ()),
                        ('/private', [('authorization', 'Basic ' + base64.b64encode(b'alice:secret').decode())]),
                        ('/ret', ()), ('/deny', ()), ('/uri/u?drop=1&k=v', ()), ('/rp/x', [('x-remove', '1')]),
                        ('/old/p', [('x-https', '1')]), ('/prefix/q?z', [('x-src', '1'), ('x-pre-a', '1')])):
        c.send_headers(sid, req('GET', path, extra=extra), end_stream=True)
        sid += 2
    c.send_headers(sid, req('PATCH', '/m'), end_stream=True)
    yield 'rules', frames(c)

    c = client()
    c.send_headers(1, req('POST', '/up', extra=[('content-length', '10'), ('content-type', 'text/plain')]))
    c.send_data(1, b'hello')
    c.send_data(1, b'world', end_stream=True, pad_length=4)
    yield 'post-length', frames(c)

    # No content-length: the bridge frames the body as HTTP/1 chunks.
    c = client()
    c.send_headers(1, req('POST', '/up'))
    c.send_data(1, b'part one, ')
    c.send_data(1, b'')
    c.send_data(1, b'part two', end_stream=True)
    yield 'post-chunked', frames(c)

    c = client()
    c.send_headers(1, req('PUT', '/e', extra=[('expect', '100-continue'), ('content-length', '3')]))
    c.send_data(1, b'abc', end_stream=True)
    yield 'expect-continue', frames(c)

    c = client()
    for i in range(1, 16, 2):
        c.send_headers(i, req('GET', '/s%d' % i, extra=[('accept', '*/*')]), end_stream=(i % 3 != 0))
    for i in range(3, 16, 6):
        c.send_data(i, b'late body', end_stream=True)
    yield 'many-streams', frames(c)

    # A request reset while its body is under way, then another stream.
    c = client()
    c.send_headers(1, req('POST', '/big', extra=[('content-length', '100000')]))
    c.send_data(1, b'x' * 1000)
    c.reset_stream(1, 8)
    c.send_headers(3, req('GET', '/after'), end_stream=True)
    yield 'rst-mid-request', frames(c)

    c = client()
    c.send_headers(1, req('GET', '/'), end_stream=True)
    c.reset_stream(1, 8)
    yield 'rst-after-request', frames(c)

    c = client()
    c.send_headers(1, req('POST', '/grpc.Svc/M', extra=[('content-type', 'application/grpc'), ('te', 'trailers')]))
    c.send_data(1, b'\0\0\0\0\x02hi')
    c.send_headers(1, [('grpc-timeout', '1S'), ('x-trailer', 't')], end_stream=True)
    yield 'trailers', frames(c)

    c = client()
    c.send_headers(1, req('CONNECT', '/chat', scheme='https', authority='w.test',
                          extra=[(':protocol', 'websocket'), ('sec-websocket-version', '13'),
                                 ('origin', 'http://w.test')]))
    c.send_data(1, b'\x81\x05hello')
    yield 'websocket-connect', frames(c)

    c = client()
    c.send_headers(1, [(':method', 'CONNECT'), (':authority', 't.test:443')])
    c.send_data(1, b'tunnel bytes')
    yield 'connect', frames(c)

    c = client()
    c.send_headers(1, req('GET', '/big', extra=[('x-big', 'v' * 20000)]), end_stream=True)   # CONTINUATION, 431
    yield 'huge-431', frames(c)

    c = client()
    c.send_headers(1, req('GET', '/fits', extra=[('x-big', 'v' * 14000)]), end_stream=True)  # near a buffer
    yield 'huge-fits', frames(c)

    c = client()
    c.send_headers(1, [(':method', 'HEAD'), (':scheme', 'http'), (':path', '/h'), ('host', 'h.test')], end_stream=True)
    yield 'head', frames(c)

    # A small window: the response body waits for WINDOW_UPDATEs (and the large answer, 0x0f).
    c = client({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 100,
                h2.settings.SettingCodes.HEADER_TABLE_SIZE: 0})
    c.send_headers(1, req('GET', '/w'), end_stream=True)
    c.ping(b'12345678')
    c.increment_flow_control_window(50000, 1)
    c.increment_flow_control_window(100000)
    yield 'small-window', frames(c)

    c = client()
    c.send_headers(1, req('GET', '/1'), end_stream=True)
    first = frames(c)
    c.send_headers(3, req('GET', '/after-goaway'), end_stream=True)   # h2 refuses it after GOAWAY
    goaway = b'\x00\x00\x08\x07\x00\x00\x00\x00\x00' + bytes(8)
    yield 'goaway-then-stream', first + goaway + c.data_to_send()

    c = client()
    c.send_headers(1, req('GET', '/x', extra=[('connection', 'keep-alive'), ('X-Upper', '1'),
                                               ('host', 'other.test')]), end_stream=True)
    c.send_headers(3, req('GET', '/a b'), end_stream=True)
    yield 'malformed', frames(c)


# Control bytes per seed: 0 length, 1 chunked + trailers, 2 close-delimited, 3 1xx then 200,
# 15 the large body; and a few others once.
CTLS = (0x00, 0x01, 0x02, 0x03, 0x0f)
EXTRA = {'websocket-connect': (0x04, 0x24), 'connect': (0x04, 0x24), 'head': (0x05, 0x07), 'get': (0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x40, 0x60),
         'rst-mid-request': (0x20, 0x40), 'small-window': (0x2f,), 'trailers': (0x11,)}
# Carried responses (control 0x0c): length, then the bytes.
CARRIED = {
    'chunk-ext': b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\n\r\n',
    'interim-chunked': b'HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n'
                       b'Content-Type: a/b\r\n\r\n2\r\nhi\r\n0\r\nX-Trailer: 1\r\n\r\n',
    'http10-keepalive': b'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 4\r\n\r\nbody',
    'many-fields': b'HTTP/1.1 200 OK\r\n' + b''.join(b'X-F%d: %d\r\n' % (i, i) for i in range(40)) +
                   b'Set-Cookie: SERVERID=x\r\nContent-Length: 0\r\n\r\n',
}

seeds = dict(streams())
for name, data in seeds.items():
    for ctl in CTLS + EXTRA.get(name, ()):
        if name.startswith('huge') and ctl not in (0x00, 0x02):
            continue
        (out / ('%s-%02x' % (name, ctl))).write_bytes(bytes([ctl]) + data)
    print(name, len(data), hashlib.sha1(data).hexdigest()[:8])
for name, resp in CARRIED.items():
    for stream in ('get', 'post-chunked', 'many-streams'):
        blob = bytes([0x0c]) + len(resp).to_bytes(2, 'big') + resp + seeds[stream]
        (out / ('carried-%s-%s' % (name, stream))).write_bytes(blob)
