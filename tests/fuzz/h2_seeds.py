#!/usr/bin/python3
"""Seeds for fuzz_h2_server: HTTP/2 client byte streams written with python3-h2 (the client
side of a real implementation, so the fuzzer starts from valid framing and HPACK), each
prefixed with the target's two control bytes (flags, chunk size; see fuzz_h2_server.cpp).

  /usr/bin/python3 tests/fuzz/h2_seeds.py tests/fuzz/corpus/fuzz_h2_server   # the committed seeds
(Debian's python3: python3-h2 is a Debian package.)
"""
import hashlib
import pathlib
import sys

import h2.config
import h2.connection
import h2.settings

out = pathlib.Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)


def client():
    cfg = h2.config.H2Configuration(client_side=True, validate_outbound_headers=False,
                                    normalize_outbound_headers=False)
    c = h2.connection.H2Connection(config=cfg)
    c.initiate_connection()
    return c


def get(path='/', extra=()):
    return [(':method', 'GET'), (':scheme', 'https'), (':authority', 'example.test'), (':path', path)] + list(extra)


def seeds():
    c = client()
    c.send_headers(1, get('/', [('user-agent', 'seed'), ('cookie', 'a=1'), ('cookie', 'b=2')]), end_stream=True)
    yield 'get-cookies', c.data_to_send()

    c = client()
    c.send_headers(1, [(':method', 'POST'), (':scheme', 'http'), (':authority', 'x'), (':path', '/up'),
                       ('content-length', '10')])
    c.send_data(1, b'hello')
    c.send_data(1, b'world', end_stream=True, pad_length=4)
    c.send_headers(3, get('/2'), end_stream=True)
    yield 'post-two-streams', c.data_to_send()

    c = client()
    c.send_headers(1, [(':method', 'POST'), (':scheme', 'http'), (':authority', 'g'), (':path', '/svc/M'),
                       ('content-type', 'application/grpc'), ('te', 'trailers')])
    c.send_data(1, b'\0\0\0\0\x02hi')
    c.send_headers(1, [('grpc-timeout', '1S')], end_stream=True)
    yield 'grpc-trailers', c.data_to_send()

    c = client()
    c.send_headers(1, [(':method', 'CONNECT'), (':protocol', 'websocket'), (':scheme', 'https'),
                       (':authority', 'w.test'), (':path', '/chat'), ('sec-websocket-version', '13')])
    c.send_data(1, b'\x81\x05hello')
    c.send_headers(3, [(':method', 'CONNECT'), (':authority', 't.test:443')])
    yield 'connect', c.data_to_send()

    c = client()
    c.send_headers(1, get('/big', [('x-big', 'v' * 20000)]), end_stream=True)   # CONTINUATION
    yield 'continuation', c.data_to_send()

    c = client()
    c.send_headers(1, get('/'), end_stream=False)
    c.ping(b'12345678')
    c.increment_flow_control_window(1000)
    c.reset_stream(1, 8)
    c.send_headers(3, get('/x', [('Connection', 'keep-alive'), ('X-Upper', '1')]), end_stream=True)
    c.close_connection()
    yield 'ping-reset-goaway', c.data_to_send()

    c = client()
    c.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 100,
                       h2.settings.SettingCodes.MAX_FRAME_SIZE: 16384,
                       h2.settings.SettingCodes.HEADER_TABLE_SIZE: 0})
    for i in range(1, 20, 2):
        c.send_headers(i, get('/%d' % i, [('accept', '*/*')]), end_stream=True)
    yield 'many-streams', c.data_to_send()

    c = client()
    c.send_headers(1, [(':method', 'HEAD'), (':scheme', 'https'), (':path', '/'), ('host', 'h.test')],
                   end_stream=True)
    yield 'head-host', c.data_to_send()

    # Malformed for portero (nghttp2 passes them): Host naming another authority, '#' in :path.
    c = client()
    c.send_headers(1, get('/', [('host', 'other.test')]), end_stream=True)
    c.send_headers(3, get('/a#b'), end_stream=False)
    c.send_data(3, b'body of a refused request', end_stream=True)
    yield 'malformed-portero', c.data_to_send()

    # Connection errors: not HTTP/2 at all, and a HEADERS frame on stream 0.
    yield 'http1', b'GET / HTTP/1.1\r\nHost: x\r\n\r\n'
    c = client()
    preface = c.data_to_send()
    yield 'headers-stream0', preface + b'\x00\x00\x01\x01\x05\x00\x00\x00\x00\x82'


for name, data in seeds():
    # Flags: the stream carries its own preface (bit 0 clear); a few option sets per seed.
    # The CONTINUATION seed is large (a field over one 16 KB frame): once is enough.
    options = ((0x00, 255),) if name == 'continuation' else ((0x00, 255), (0x10, 16), (0x28, 3), (0xa6, 100), (0x40, 255))
    for flags, chunk in options:
        blob = bytes([flags, chunk]) + data
        (out / ('%s-%02x' % (name, flags))).write_bytes(blob)
    print(name, len(data), hashlib.sha1(data).hexdigest()[:8])
