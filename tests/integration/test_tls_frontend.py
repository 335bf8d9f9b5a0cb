"""TLS termination on `bind ... ssl`: the certificate served per SNI (exact, wildcard, default,
`crt DIR`, `crt-list` with filters and `!` negations, ECDSA or RSA for one name by client
capability), strict-sni, ALPN, protocol versions, ciphers, the ssl_fc_* / ssl_c_* fetches in
forwarded headers and log lines, client certificates (verify optional / required), session
resumption, keep-alive, 1 MB bodies both ways, and what a TLS port does with plaintext, garbage
and truncated handshakes (the connection log lines included).

Certificates are generated at test time (harness/tls.py). Every expectation was observed with
HAProxy 2.6.12 (OpenSSL 3.0): run with PROXY_BIN=/usr/sbin/haproxy. When the binary under test
is not haproxy and haproxy is installed, the `*_differential` parts run haproxy on the same
input and compare (certificate per SNI, ALPN, forwarded heads, verify outcomes, log lines)."""

import hashlib
import os
import re
import socket
import ssl as _ssl
import time
import unittest

from harness import ProxyTestCase, Client, pattern_bytes, pattern_digest
from harness.proxy import IS_HAPROXY, HAPROXY_BIN, haproxy_available
from harness.tls import (certs, s_client, TlsClient, tls_get, http_request_bytes, LogReceiver,
                         CONN_ERROR_LINE, client_hello, OPENSSL)

DEFAULTS = """
defaults
    mode http
    log global
    timeout connect 2s
    timeout client 5s
    timeout server 5s
"""

# (SNI sent, CN of the certificate served) with `crt default.pem crt DIR`
SNI_CASES = [
    (None, 'default.test'),             # no SNI: the first certificate loaded
    ('default.test', 'default.test'),
    ('a.test', 'a.test'),
    ('A.TEST', 'a.test'),               # names compare case-insensitively
    ('x.wild.test', '*.wild.test'),
    ('wild.test', 'default.test'),      # a wildcard does not cover the bare domain
    ('deep.x.wild.test', 'default.test'),   # nor two labels
    ('b.test', 'b.test'),
    ('alt-b.test', 'b.test'),           # a subjectAltName is a name too
    ('unknown.test', 'default.test'),
]

# crt-list lines: (cert, [options], filters); and (SNI, CN served, key bits, ALPN chosen for a
# client offering h2,http/1.1 while the bind says alpn h2,http/1.1)
CRT_LIST_CASES = [
    (None, 'default.test', 2048, 'h2'),
    ('a.test', 'a.test', 2048, 'http/1.1'),        # [alpn http/1.1] on that line only
    ('b.test', 'default.test', 2048, 'h2'),        # b.test's line names other.test only
    ('other.test', 'b.test', 2048, 'h2'),          # a filter not in the certificate
    ('alt-b.test', 'default.test', 2048, 'h2'),
    ('x.wild.test', '*.wild.test', 2048, 'h2'),
    ('bad.wild.test', 'default.test', 2048, 'h2'),  # `!bad.wild.test` excludes it
    ('neg.test', 'default.test', 2048, 'h2'),      # a line with negative filters only: never
    ('ec.test', 'a.test', 256, 'h2'),              # picked by name (HAProxy 2.6.12)
]


def strip_x(resp_headers):
    return {k.lower(): v for k, v in resp_headers if k.lower().startswith('x-')}


class TlsFrontendTest(ProxyTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not os.access(OPENSSL, os.X_OK):
            raise unittest.SkipTest(f'{OPENSSL} not installed')

    # ---- scaffolding ------------------------------------------------------------------
    def start(self, sections, names=('fe',), binary=None, glob='', origin_name='s1'):
        """Start a proxy with a log receiver and one recording origin (backend `be`).
        `sections` is formatted with {fe}, {fe2}... (the bind addresses of the listeners
        named in `names`), {c} (the Certs) and {origin}. Returns (ports by name, origin, log)."""
        c = certs()
        log = LogReceiver()
        self.addCleanup(log.close)
        o = self.origin(origin_name)
        ls = {n: self.listener() for n in names}
        body = sections.format(c=c, origin=o.addr, **{n: l.bind for n, l in ls.items()})
        cfg = f"""
global
    log 127.0.0.1:{log.port} local0
{glob}
{DEFAULTS}
{body}
backend be
    server s1 {o.addr}
"""
        self.proxy(cfg, list(ls.values()), binary=binary)
        return {n: l.port for n, l in ls.items()}, o, log

    def differential(self, run, ours):
        """When the binary under test is not haproxy: run() on haproxy must give `ours`."""
        if IS_HAPROXY or not haproxy_available():
            return
        theirs = run(HAPROXY_BIN)
        self.assertEqual(ours, theirs, 'differs from haproxy')

    def assert_conn_error(self, log, msg, fe='fe', n=1, lids=('1',)):
        """Waits for n connection-error lines `<ip>:<port> [date] fe/<lid>: msg`."""
        lines = log.wait_for(lambda l: l.endswith(': ' + msg) and f' {fe}/' in l, n)
        for line in lines:
            m = CONN_ERROR_LINE.fullmatch(line)
            self.assertTrue(m, line)
            self.assertEqual((m['ip'], m['fe'], m['msg']), ('127.0.0.1', fe, msg))
            self.assertIn(m['lid'], lids, line)
        return lines

    # ---- certificate selection --------------------------------------------------------
    def run_sni(self, binary=None):
        c = certs()
        d = c.crt_dir([('default.test', 'rsa'), ('a.test', 'rsa'), ('wild.test', 'rsa'),
                       ('b.test', 'rsa')], 'dir-sni')
        ports, o, log = self.start(f"""
frontend fe
    bind {{fe}} ssl crt {c.pem('default.test')} crt {d}
    default_backend be
""", binary=binary)
        return [(sni, s_client(ports['fe'], servername=sni).cn) for sni, _ in SNI_CASES]

    def test_certificate_per_sni(self):
        got = self.run_sni()
        self.assertEqual(got, SNI_CASES)
        self.differential(self.run_sni, got)

    def run_crt_dir_only(self, binary=None):
        # `crt DIR` alone: the default certificate is the first file loaded (name order)
        c = certs()
        d = c.crt_dir([('b.test', 'rsa'), ('wild.test', 'rsa')], 'dir-only')
        ports, o, log = self.start(f"""
frontend fe
    bind {{fe}} ssl crt {d}
    default_backend be
""", binary=binary)
        return [s_client(ports['fe'], servername=s).cn for s in (None, 'nomatch.test', 'y.wild.test')]

    def test_crt_dir_default_is_first_file(self):
        got = self.run_crt_dir_only()
        self.assertEqual(got, ['b.test', 'b.test', '*.wild.test'])
        self.differential(self.run_crt_dir_only, got)

    def run_crt_list(self, binary=None):
        c = certs()
        cl = c.crt_list([
            (c.pem('default.test'), '', []),
            (c.pem('a.test'), '[alpn http/1.1]', ['a.test']),
            (c.pem('b.test'), '', ['other.test']),
            (c.pem('wild.test'), '', ['*.wild.test', '!bad.wild.test']),
            (c.pem('b.test'), '', ['!neg.test']),
            (c.pem('a.test', 'ecdsa'), '[ssl-min-ver TLSv1.3]', ['ec.test']),
        ], 'list-frontend.txt')
        ports, o, log = self.start(f"""
frontend fe
    bind {{fe}} ssl crt-list {cl} alpn h2,http/1.1
    default_backend be
""", binary=binary)
        out = []
        for sni, _, _, _ in CRT_LIST_CASES:
            r = s_client(ports['fe'], servername=sni, alpn='h2,http/1.1')
            out.append((sni, r.cn, r.server_key_bits, r.alpn))
        # the per-line [ssl-min-ver TLSv1.3]: a TLS 1.2 client asking for ec.test is refused
        r12 = s_client(ports['fe'], servername='ec.test', tls='1.2')
        return out, (r12.rc, r12.cn, r12.alert)

    def test_crt_list_filters_and_options(self):
        got, r12 = self.run_crt_list()
        self.assertEqual(got, CRT_LIST_CASES)
        self.assertEqual(r12, (1, None, 'protocol version'))
        self.differential(self.run_crt_list, (CRT_LIST_CASES, r12))

    def run_key_types(self, binary=None):
        # a.test twice in the directory, RSA and ECDSA: the client's capabilities choose
        c = certs()
        d = c.crt_dir([('default.test', 'rsa'), ('a.test', 'rsa'), ('a.test', 'ecdsa')], 'dir-keys')
        ports, o, log = self.start(f"""
frontend fe
    bind {{fe}} ssl crt {d}
    default_backend be
""", binary=binary)
        p = ports['fe']
        cases = [
            ('any client', {}),
            ('tls1.3 ecdsa sigalg', dict(tls='1.3', sigalgs='ecdsa_secp256r1_sha256')),
            ('tls1.3 rsa sigalgs', dict(tls='1.3', sigalgs='rsa_pss_rsae_sha256:rsa_pkcs1_sha256')),
            ('tls1.2 ecdsa cipher', dict(tls='1.2', cipher='ECDHE-ECDSA-AES128-GCM-SHA256')),
            ('tls1.2 rsa cipher', dict(tls='1.2', cipher='ECDHE-RSA-AES128-GCM-SHA256')),
        ]
        out = []
        for what, kw in cases:
            r = s_client(p, servername='a.test', **kw)
            out.append((what, r.cn, r.server_key_bits, r.peer_sig_type, r.cipher))
        return out

    def test_ecdsa_or_rsa_by_client_capability(self):
        got = self.run_key_types()
        self.assertEqual(got, [
            ('any client', 'a.test', 256, 'ECDSA', 'TLS_AES_256_GCM_SHA384'),
            ('tls1.3 ecdsa sigalg', 'a.test', 256, 'ECDSA', 'TLS_AES_256_GCM_SHA384'),
            ('tls1.3 rsa sigalgs', 'a.test', 2048, 'RSA-PSS', 'TLS_AES_256_GCM_SHA384'),
            ('tls1.2 ecdsa cipher', 'a.test', 256, 'ECDSA', 'ECDHE-ECDSA-AES128-GCM-SHA256'),
            ('tls1.2 rsa cipher', 'a.test', 2048, 'RSA-PSS', 'ECDHE-RSA-AES128-GCM-SHA256'),
        ])
        self.differential(self.run_key_types, got)

    def run_strict_sni(self, binary=None):
        ports, o, log = self.start(f"""
frontend fe
    bind {{fe}} ssl strict-sni crt {certs().pem('a.test')}
    option httplog
    default_backend be
""", binary=binary)
        out = []
        for sni in (None, 'unknown.test', 'a.test'):
            r = s_client(ports['fe'], servername=sni)
            out.append((sni, r.rc, r.cn, r.alert))
        lines = self.assert_conn_error(log, 'SSL handshake failure', n=2)
        return out, len(lines)

    def test_strict_sni(self):
        got = self.run_strict_sni()
        self.assertEqual(got[0], [(None, 1, None, 'unrecognized name'),
                                  ('unknown.test', 1, None, 'unrecognized name'),
                                  ('a.test', 0, 'a.test', None)])
        self.differential(self.run_strict_sni, got)

    # ---- the chain sent -----------------------------------------------------------------
    def run_served_chain(self, binary=None):
        c = certs()
        # The bind's ca-file (for client certificates) holds the leaf's issuer: the chain sent
        # is still only what the PEM holds, never completed from that store.
        ports, o, log = self.start(f"""
frontend fe
    bind {{fe}} ssl crt {c.pem('a.test')} ca-file {c.ca} verify optional
    default_backend be
""", binary=binary)
        r = s_client(ports['fe'], servername='a.test', extra=['-showcerts'])
        return r.rc, r.out.count('-----BEGIN CERTIFICATE-----')

    def test_served_chain_is_the_pem_s_own(self):
        got = self.run_served_chain()
        self.assertEqual(got, (0, 1))
        self.differential(self.run_served_chain, got)

    # ---- ALPN, versions, ciphers ------------------------------------------------------
    def run_alpn(self, binary=None):
        c = certs()
        ports, o, log = self.start(f"""
frontend fe
    bind {{fe}} ssl crt {c.pem('a.test')} alpn h2,http/1.1
    bind {{fe2}} ssl crt {c.pem('a.test')} alpn http/1.1
    default_backend be

listen tls_relay
    mode tcp
    bind {{fe3}} ssl crt {c.pem('a.test')} alpn h2,http/1.1
    server s1 {{origin}}
""", names=('fe', 'fe2', 'fe3'), binary=binary)
        out = []
        for port in ('fe', 'fe2'):
            for offer in ('h2,http/1.1', 'http/1.1', 'h2', 'spdy/3', None):
                r = s_client(ports[port], servername='a.test', alpn=offer)
                out.append((port, offer, r.rc, r.alpn))
        # mode tcp only relays the decrypted bytes (to an HTTP/2 server, say): h2 is negotiated
        for offer in ('h2,http/1.1', 'h2'):
            r = s_client(ports['fe3'], servername='a.test', alpn=offer)
            out.append(('fe3', offer, r.rc, r.alpn))
        # HTTP/1.1 chosen by ALPN: an HTTP/1.1 exchange works
        resp, info = tls_get(ports['fe'], servername='a.test', alpn=['http/1.1'])
        out.append(('request', resp.status, info['alpn']))
        return out

    def test_alpn(self):
        haproxy = [
            ('fe', 'h2,http/1.1', 0, 'h2'), ('fe', 'http/1.1', 0, 'http/1.1'), ('fe', 'h2', 0, 'h2'),
            ('fe', 'spdy/3', 0, None),       # no common protocol: no ALPN, the handshake goes on
            ('fe', None, 0, None),
            ('fe2', 'h2,http/1.1', 0, 'http/1.1'), ('fe2', 'http/1.1', 0, 'http/1.1'),
            ('fe2', 'h2', 0, None), ('fe2', 'spdy/3', 0, None), ('fe2', None, 0, None),
            ('fe3', 'h2,http/1.1', 0, 'h2'), ('fe3', 'h2', 0, 'h2'),
            ('request', 200, 'http/1.1'),
        ]
        self.assertEqual(self.run_alpn(), haproxy)
        self.differential(self.run_alpn, haproxy)

    def run_versions(self, binary=None):
        c = certs()
        ports, o, log = self.start(f"""
frontend fe
    bind {{fe}} ssl crt {c.pem('a.test')} ssl-min-ver TLSv1.3
    bind {{fe2}} ssl crt {c.pem('a.test')} ssl-max-ver TLSv1.2
    log-format "%HP sslv=%sslv sslc=%sslc"
    default_backend be
""", names=('fe', 'fe2'), binary=binary)
        out = []
        for port, tls in (('fe', '1.2'), ('fe', '1.3'), ('fe', None), ('fe2', None), ('fe2', '1.3')):
            r = s_client(ports[port], servername='a.test', tls=tls)
            out.append((port, tls, r.rc, r.protocol, r.alert))
        self.assert_conn_error(log, 'SSL handshake failure', n=2, lids=('1', '2'))
        # the two that passed and sent a request: %sslv / %sslc
        for port in ('fe', 'fe2'):
            tls_get(ports[port], '/v', servername='a.test')
        lines = log.wait_for(lambda l: l.startswith('/v sslv='), 2)
        return out, sorted(lines)

    def test_protocol_versions(self):
        got, lines = self.run_versions()
        self.assertEqual(got, [
            ('fe', '1.2', 1, None, 'protocol version'),
            ('fe', '1.3', 0, 'TLSv1.3', None),
            ('fe', None, 0, 'TLSv1.3', None),
            ('fe2', None, 0, 'TLSv1.2', None),
            ('fe2', '1.3', 1, None, 'protocol version'),
        ])
        self.assertEqual(lines, ['/v sslv=TLSv1.2 sslc=ECDHE-RSA-AES256-GCM-SHA384',
                                 '/v sslv=TLSv1.3 sslc=TLS_AES_256_GCM_SHA384'])
        self.differential(self.run_versions, (got, lines))

    def run_ciphers(self, binary=None):
        c = certs()
        ports, o, log = self.start(f"""
frontend fe
    bind {{fe}} ssl crt {c.pem('a.test')} ciphers ECDHE-RSA-AES128-GCM-SHA256 ssl-max-ver TLSv1.2
    bind {{fe2}} ssl crt {c.pem('a.test')} ciphersuites TLS_CHACHA20_POLY1305_SHA256
    default_backend be
""", names=('fe', 'fe2'), binary=binary)
        cases = [('fe', {}), ('fe', dict(cipher='ECDHE-RSA-AES256-GCM-SHA384')),
                 ('fe2', {}), ('fe2', dict(ciphersuites='TLS_AES_128_GCM_SHA256')),
                 ('fe2', dict(tls='1.2'))]   # `ciphersuites` is TLS 1.3 only
        out = []
        for port, kw in cases:
            r = s_client(ports[port], servername='a.test', **kw)
            out.append((port, r.rc, r.protocol, r.cipher if r.rc == 0 else None, r.alert))
        return out

    def test_ciphers_and_ciphersuites(self):
        got = self.run_ciphers()
        self.assertEqual(got, [
            ('fe', 0, 'TLSv1.2', 'ECDHE-RSA-AES128-GCM-SHA256', None),
            ('fe', 1, None, None, 'handshake failure'),
            ('fe2', 0, 'TLSv1.3', 'TLS_CHACHA20_POLY1305_SHA256', None),
            ('fe2', 1, None, None, 'handshake failure'),
            ('fe2', 0, 'TLSv1.2', 'ECDHE-RSA-AES256-GCM-SHA384', None),
        ])
        self.differential(self.run_ciphers, got)

    # ---- what reaches the origin -------------------------------------------------------
    FWD_FRONTEND = """
frontend fe
    bind {fe} ssl crt DEFPEM crt APEM crt BPEM alpn h2,http/1.1
    bind {fe2}
    option httplog
    redirect scheme https code 301 if !{{ ssl_fc }}
    http-request set-header X-Forwarded-Proto https if {{ ssl_fc }}
    http-request set-header X-SNI %[ssl_fc_sni]
    http-request set-header X-Proto %[ssl_fc_protocol]
    http-request set-header X-ALPN %[ssl_fc_alpn]
    http-request set-header X-Cipher %[ssl_fc_cipher]
    http-request set-header X-Resumed %[ssl_fc_is_resumed]
    default_backend be
"""

    def run_forwarded(self, binary=None):
        c = certs()
        sec = (self.FWD_FRONTEND.replace('DEFPEM', c.pem('default.test')).replace('APEM', c.pem('a.test'))
               .replace('BPEM', c.pem('b.test')))
        ports, o, log = self.start(sec, names=('fe', 'fe2'), binary=binary)
        answers = []
        for sni, alpn, tls in (('b.test', ['http/1.1'], None), (None, None, '1.2'),
                               ('alt-b.test', ['http/1.1'], '1.2')):
            kw = {}
            if tls == '1.2':
                kw['max_version'] = _ssl.TLSVersion.TLSv1_2
            r, info = tls_get(ports['fe'], f'/x?sni={sni}', servername=sni, alpn=alpn, **kw)
            answers.append((r.status, r.body, info['cn'], info['alpn'], info['version']))
        heads = [q.raw_head for q in o.requests]
        with Client(ports['fe2']) as cl:
            redirect = cl.request('GET', '/p?q=1').raw
        # httplog: the frontend of a TLS connection is written "fe~"
        lines = log.wait_for(lambda l: '"GET /' in l, 4)
        fes = sorted(re.match(r'\S+ \[[^\]]+\] (\S+) ', l).group(1) for l in lines)
        return answers, heads, redirect, fes

    def test_forwarded_headers_and_redirect(self):
        answers, heads, redirect, fes = self.run_forwarded()
        self.assertEqual(answers, [(200, b's1\n', 'b.test', 'http/1.1', 'TLSv1.3'),
                                   (200, b's1\n', 'default.test', None, 'TLSv1.2'),
                                   (200, b's1\n', 'b.test', 'http/1.1', 'TLSv1.2')])
        self.assertEqual(heads, [
            b'GET /x?sni=b.test HTTP/1.1\r\nhost: test\r\nx-forwarded-proto: https\r\nx-sni: b.test\r\n'
            b'x-proto: TLSv1.3\r\nx-alpn: http/1.1\r\nx-cipher: TLS_AES_256_GCM_SHA384\r\nx-resumed: 0\r\n\r\n',
            # no SNI, no ALPN: the fetches give nothing and set-header writes an empty value
            b'GET /x?sni=None HTTP/1.1\r\nhost: test\r\nx-forwarded-proto: https\r\nx-sni: \r\n'
            b'x-proto: TLSv1.2\r\nx-alpn: \r\nx-cipher: ECDHE-RSA-AES256-GCM-SHA384\r\nx-resumed: 0\r\n\r\n',
            b'GET /x?sni=alt-b.test HTTP/1.1\r\nhost: test\r\nx-forwarded-proto: https\r\nx-sni: alt-b.test\r\n'
            b'x-proto: TLSv1.2\r\nx-alpn: http/1.1\r\nx-cipher: ECDHE-RSA-AES256-GCM-SHA384\r\nx-resumed: 0\r\n\r\n',
        ])
        self.assertEqual(redirect, b'HTTP/1.1 301 Moved Permanently\r\ncontent-length: 0\r\n'
                                   b'location: https://test/p?q=1\r\n\r\n')
        self.assertEqual(fes, ['fe', 'fe~', 'fe~', 'fe~'])
        self.differential(self.run_forwarded, (answers, heads, redirect, fes))

    # ---- client certificates ---------------------------------------------------------------
    def run_verify(self, binary=None):
        c = certs()
        ports, o, log = self.start(f"""
frontend fe
    bind {{fe}} ssl crt {c.pem('a.test')} verify optional ca-file {c.ca}
    bind {{fe2}} ssl crt {c.pem('a.test')} verify required ca-file {c.ca}
    bind {{fe3}} ssl crt {c.pem('a.test')} verify optional ca-file {c.ca} crt-ignore-err all ca-ignore-err all
    http-request set-header X-Verify %[ssl_c_verify]
    http-request set-header X-DN %[ssl_c_s_dn]
    http-request set-header X-IDN %[ssl_c_i_dn]
    http-request set-header X-Used %[ssl_c_used]
    http-request set-header X-Err %[ssl_c_err]/%[ssl_c_ca_err]/%[ssl_c_ca_err_depth]
    log-format "lid=%[so_id] v=%[ssl_c_verify] dn=%[ssl_c_s_dn] used=%[ssl_c_used]"
    default_backend be
""", names=('fe', 'fe2', 'fe3'), binary=binary)
        certs_by = {'none': {}, 'good': dict(cert=c.cert('client'), key=c.key('client')),
                    'unknown-ca': dict(cert=c.cert('client-unknown'), key=c.key('client-unknown')),
                    'expired': dict(cert=c.cert('client-expired'), key=c.key('client-expired'))}
        out = []
        for port in ('fe', 'fe2', 'fe3'):
            for name, kw in certs_by.items():
                # s_client tells the alert; a request written after the handshake shows whether
                # the proxy went on (the origin records it)
                r = s_client(ports[port], servername='a.test',
                             request=http_request_bytes(f'/{port}/{name}'), **kw)
                fwd = [q for q in o.requests if q.target == f'/{port}/{name}']
                out.append((port, name, r.alert, fwd[0].raw_head if fwd else None))
        # log lines can arrive just after s_client saw the close: wait for as many as HAProxy
        # writes (5 and 7), then take what is there
        def settle(pred, n):
            try:
                return log.wait_for(pred, n, timeout=5)
            except AssertionError:
                return [l for l in log.lines if pred(l)]
        conn_lines = sorted(l.split('] ', 1)[1] for l in settle(CONN_ERROR_LINE.fullmatch, 5))
        traffic = sorted(settle(lambda l: l.startswith('lid='), 7))
        return out, conn_lines, traffic

    def test_client_certificates(self):
        out, conn_lines, traffic = self.run_verify()
        def head(path, verify, dn, idn, used, err):
            # (the request's `Connection: close` is not forwarded)
            return (f'GET {path} HTTP/1.1\r\nhost: test\r\nx-verify: {verify}\r\n'
                    f'x-dn: {dn}\r\nx-idn: {idn}\r\nx-used: {used}\r\nx-err: {err}\r\n\r\n').encode()
        ca = '/O=Portero Tests/CN=Portero Test CA'
        self.assertEqual(out, [
            # verify optional: no certificate passes (ssl_c_verify 0, ssl_c_used 0); a good one
            # passes; one from an unknown CA or an expired one FAILS THE HANDSHAKE (alert)
            ('fe', 'none', None, head('/fe/none', 0, '', '', 0, '0/0/0')),
            ('fe', 'good', None, head('/fe/good', 0, '/CN=client', ca, 1, '0/0/0')),
            ('fe', 'unknown-ca', 'unknown ca', None),
            ('fe', 'expired', 'certificate expired', None),
            # verify required: no certificate -> TLS 1.3 alert "certificate required"
            ('fe2', 'none', 'certificate required', None),
            ('fe2', 'good', None, head('/fe2/good', 0, '/CN=client', ca, 1, '0/0/0')),
            ('fe2', 'unknown-ca', 'unknown ca', None),
            ('fe2', 'expired', 'certificate expired', None),
            # crt-ignore-err all + ca-ignore-err all: the bad certificates pass and the
            # fetches tell why (21 = unable to verify the first certificate, 20 = unable to get
            # local issuer certificate, 10 = certificate has expired)
            ('fe3', 'none', None, head('/fe3/none', 0, '', '', 0, '0/0/0')),
            ('fe3', 'good', None, head('/fe3/good', 0, '/CN=client', ca, 1, '0/0/0')),
            ('fe3', 'unknown-ca', None, head('/fe3/unknown-ca', 21, '/CN=client-unknown',
                                             '/O=Portero Tests/CN=Unknown Test CA', 1, '20/0/0')),
            ('fe3', 'expired', None, head('/fe3/expired', 10, '/CN=client-expired', ca, 1, '10/0/0')),
        ])
        self.assertEqual(conn_lines, ['fe/1: SSL client certificate not trusted'] * 2 +
                         ['fe/2: SSL client certificate not trusted'] * 2 +
                         ['fe/2: SSL handshake failure'])
        self.assertEqual(traffic, ['lid=1 v=0 dn=- used=0', 'lid=1 v=0 dn=/CN=client used=1',
                                   'lid=2 v=0 dn=/CN=client used=1',
                                   'lid=3 v=0 dn=- used=0', 'lid=3 v=0 dn=/CN=client used=1',
                                   'lid=3 v=10 dn=/CN=client-expired used=1',
                                   'lid=3 v=21 dn=/CN=client-unknown used=1'])
        self.differential(self.run_verify, (out, conn_lines, traffic))

    # ---- sessions, keep-alive, bodies ------------------------------------------------------
    def run_resumption(self, binary=None):
        c = certs()
        ports, o, log = self.start(f"""
frontend fe
    bind {{fe}} ssl crt {c.pem('a.test')}
    log-format "%HP sslv=%sslv res=%[ssl_fc_is_resumed] sni=%[ssl_fc_sni]"
    default_backend be
""", binary=binary)
        d = self.tmpdir()
        out = []
        for tls in ('1.3', '1.2'):
            sess = f'{d}/sess-{tls}'
            for i, kw in enumerate([dict(sess_out=sess), dict(sess_in=sess), dict(sess_in=sess)]):
                r = s_client(ports['fe'], servername='a.test', tls=tls,
                             request=http_request_bytes(f'/r{tls}-{i}'), **kw)
                out.append((tls, i, r.rc, r.new_or_reused))
        lines = log.wait_for(lambda l: l.startswith('/r'), 6)
        return out, sorted(lines)

    def test_session_resumption(self):
        out, lines = self.run_resumption()
        self.assertEqual(out, [('1.3', 0, 0, 'New'), ('1.3', 1, 0, 'Reused'), ('1.3', 2, 0, 'Reused'),
                               ('1.2', 0, 0, 'New'), ('1.2', 1, 0, 'Reused'), ('1.2', 2, 0, 'Reused')])
        self.assertEqual(lines, ['/r1.2-0 sslv=TLSv1.2 res=0 sni=a.test', '/r1.2-1 sslv=TLSv1.2 res=1 sni=a.test',
                                 '/r1.2-2 sslv=TLSv1.2 res=1 sni=a.test', '/r1.3-0 sslv=TLSv1.3 res=0 sni=a.test',
                                 '/r1.3-1 sslv=TLSv1.3 res=1 sni=a.test', '/r1.3-2 sslv=TLSv1.3 res=1 sni=a.test'])
        self.differential(self.run_resumption, (out, lines))

    def test_python_session_reuse(self):
        # the same through Python's ssl module (a session object, TLS 1.3 ticket)
        c = certs()
        ports, o, log = self.start(f"""
frontend fe
    bind {{fe}} ssl crt {c.pem('a.test')}
    http-request set-header X-Resumed %[ssl_fc_is_resumed]
    default_backend be
""")
        with TlsClient(ports['fe'], servername='a.test') as cl:
            self.assertEqual(cl.request('GET', '/first').status, 200)
            sess = cl.session     # the ticket arrived with (or before) the answer
            ctx = cl.context
        with TlsClient(ports['fe'], servername='a.test', context=ctx, session=sess) as cl2:
            self.assertTrue(cl2.session_reused)
            self.assertEqual(cl2.request('GET', '/second').status, 200)
        self.assertEqual([q.header('x-resumed') for q in o.requests], ['0', '1'])

    def test_keepalive_on_one_tls_connection(self):
        c = certs()
        ports, o, log = self.start(f"""
frontend fe
    bind {{fe}} ssl crt {c.pem('a.test')}
    option httplog
    default_backend be
""")
        with TlsClient(ports['fe'], servername='a.test') as cl:
            for i in range(5):
                r = cl.request('GET', f'/ka{i}')
                self.assertEqual((r.status, r.body), (200, b's1\n'))
            src = cl.sock.getsockname()
        lines = log.wait_for(lambda l: '"GET /ka' in l, 5)
        # one client connection (same source port on every line), keep-alive to the origin too
        self.assertEqual({l.split(' ', 1)[0] for l in lines}, {f'{src[0]}:{src[1]}'})
        self.assertEqual(o.connection_count(), 1)

    def test_one_megabyte_both_ways(self):
        c = certs()
        ports, o, log = self.start(f"""
frontend fe
    bind {{fe}} ssl crt {c.pem('a.test')}
    default_backend be
""")
        n = 1 << 20
        with TlsClient(ports['fe'], servername='a.test') as cl:
            h = hashlib.sha256()
            r = cl.request('GET', f'/size/{n}', timeout=20)
            self.assertEqual(r.status, 200)
            self.assertEqual(len(r.body), n)
            self.assertEqual(hashlib.sha256(r.body).hexdigest(), pattern_digest(n))
            body = b''.join(pattern_bytes(n))
            r = cl.request('POST', '/digest', body=body, timeout=20)
            self.assertEqual(r.status, 200)
            self.assertEqual(r.body.decode().split(), [str(n), pattern_digest(n)])
        self.assertEqual(o.requests[-1].body_sha256, pattern_digest(n))

    # ---- not TLS, broken TLS ---------------------------------------------------------------
    def run_not_tls(self, binary=None):
        c = certs()
        ports, o, log = self.start(f"""
frontend fe
    bind {{fe}} ssl crt {c.pem('a.test')}
    option httplog
    default_backend be
""", binary=binary)
        p = ports['fe']
        out = []
        for what, data in (('plaintext http', b'GET / HTTP/1.1\r\nHost: test\r\n\r\n'),
                           ('garbage', b'\x00garbage\xff\r\n' * 8)):
            s = socket.create_connection(('127.0.0.1', p), timeout=5)
            s.sendall(data)
            t0 = time.monotonic()
            try:
                got = s.recv(4096)
                how = 'eof' if got == b'' else 'data'
            except ConnectionResetError:
                got, how = b'', 'reset'
            except socket.timeout:
                got, how = b'', 'open'
            out.append((what, how, got, time.monotonic() - t0 < 2))
            s.close()
        self.assert_conn_error(log, 'SSL handshake failure', n=2)
        # half a ClientHello, then close
        hello = client_hello('a.test')
        s = socket.create_connection(('127.0.0.1', p), timeout=5)
        s.sendall(hello[:40])
        s.close()
        self.assert_conn_error(log, 'Connection closed during SSL handshake', n=1)
        # a whole ClientHello, then a half-close: the server flight comes back, then the close
        with Client(p) as cl:
            cl.send(hello)
            cl.sock.shutdown(socket.SHUT_WR)
            flight = cl.read_until_close(5)
        out.append(('hello then half-close', flight[:3], len(flight) > 100))
        self.assert_conn_error(log, 'SSL handshake failure', n=3)
        # a stalled half hello does not stop the others from being served
        stalled = socket.create_connection(('127.0.0.1', p), timeout=5)
        self.addCleanup(stalled.close)
        stalled.sendall(hello[:40])
        r, info = tls_get(p, '/after', servername='a.test')
        out.append(('served after', r.status, info['cn']))
        return out

    def test_plaintext_garbage_and_truncated_handshakes(self):
        got = self.run_not_tls()
        self.assertEqual(got, [
            # plaintext HTTP on the TLS port: no HTTP answer at all, a clean close (FIN) at once
            ('plaintext http', 'eof', b'', True),
            ('garbage', 'eof', b'', True),
            ('hello then half-close', b'\x16\x03\x03', True),
            ('served after', 200, 'a.test'),
        ])
        self.differential(self.run_not_tls, got)

    def test_handshake_failure_log_line_shape(self):
        # the exact line, syslog header removed: "<ip>:<port> [<date>] <frontend>/<bind id>: <msg>".
        # HAProxy 2.6 writes it only for a frontend with a log format (option httplog,
        # tcplog or log-format); `other` has none: its failure is not logged at all.
        c = certs()
        ports, o, log = self.start(f"""
frontend other
    bind {{fe2}} ssl crt {c.pem('a.test')}
    default_backend be
frontend fe
    bind {{fe}} ssl crt {c.pem('a.test')} strict-sni
    option tcplog
    default_backend be
""", names=('fe', 'fe2'))
        s = socket.create_connection(('127.0.0.1', ports['fe2']), timeout=5)
        s.sendall(b'HELLO\r\n\r\n')
        self.assertEqual(s.recv(100), b'')
        s.close()
        s = socket.create_connection(('127.0.0.1', ports['fe']), timeout=5)
        s.sendall(b'HELLO\r\n\r\n')
        self.assertEqual(s.recv(100), b'')
        src = s.getsockname()
        s.close()
        line, = log.wait_for(lambda l: 'SSL handshake failure' in l)
        self.assertRegex(line, r'^127\.0\.0\.1:%d \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d\.\d{3}\] '
                               r'fe/1: SSL handshake failure$' % src[1])
        r = s_client(ports['fe'], servername='nope.test')
        self.assertEqual(r.alert, 'unrecognized name')   # strict-sni: TLS alert 112
        self.assertEqual(len(log.wait_for(lambda l: l.endswith(' fe/1: SSL handshake failure'), 2)), 2)
        self.assertEqual([l for l in log.lines if ' other/' in l], [])


if __name__ == '__main__':
    unittest.main()
