"""Runtime TLS changes through the admin socket: `show/set/commit/abort/new/del ssl cert`,
`show/add/del ssl crt-list`, `show tls-keys`, `set ssl tls-key`. What a user sees: the replies
(compared byte for byte with haproxy 2.6 on the same files when the binary under test is not
haproxy) and the certificate new handshakes get, on every bind using it, on two threads,
without a reload. Passes with PROXY_BIN=/usr/sbin/haproxy too."""

import base64
import os
import socket
import subprocess
import time
import unittest

from harness import ProxyTestCase, DEFAULTS, PROXY_BIN, HAPROXY_BIN, IS_HAPROXY
from harness.tls import OPENSSL, s_client, TlsClient, http_request_bytes


def cli(path, line, timeout=5.0):
    """One-shot request (a '\\n' is added); the whole reply as bytes."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    try:
        s.sendall(line.encode() + b'\n')
        s.shutdown(socket.SHUT_WR)
        out = b''
        while True:
            d = s.recv(65536)
            if not d:
                return out
            out += d
    finally:
        s.close()


def read(path):
    with open(path) as f:
        return f.read()


def gen_cert(d, name, cn, org, sans=None, kind='rsa'):
    """A self-signed certificate and its key: <name>.crt, <name>.key and <name>.pem (both)."""
    crt, key, pem = (os.path.join(d, name + e) for e in ('.crt', '.key', '.pem'))
    newkey = ['-newkey', 'rsa:2048'] if kind == 'rsa' else ['-newkey', 'ec', '-pkeyopt',
                                                           'ec_paramgen_curve:P-256']
    argv = [OPENSSL, 'req', '-x509', *newkey, '-nodes', '-keyout', key, '-out', crt, '-days', '30',
            '-subj', f'/O={org}/CN={cn}']
    if sans:
        argv += ['-addext', 'subjectAltName=' + ','.join('DNS:' + s for s in sans)]
    subprocess.run(argv, check=True, capture_output=True, timeout=60)
    with open(pem, 'w') as f:
        f.write(read(crt) + read(key))
    return pem


def subject_org(r):
    """'Old' from s_client's "subject=O = Old, CN = site.test"."""
    for part in (r.subject or '').split(','):
        k, _, v = part.strip().partition(' = ')
        if k == 'O':
            return v
    return None


class TlsAdminTest(ProxyTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        import tempfile, shutil
        cls.d = tempfile.mkdtemp(prefix='tlsadmin-')
        d = cls.d
        cls.site = gen_cert(d, 'site', 'site.test', 'Old', ['site.test'])
        cls.site_new = gen_cert(d, 'site-new', 'site.test', 'New', ['site.test'])
        cls.other = gen_cert(d, 'other', 'other.test', 'Other', ['other.test'])
        cls.extra = gen_cert(d, 'extra', 'extra.test', 'Extra', ['extra.test', 'www.extra.test'])
        cls.mismatch_key = os.path.join(d, 'extra.key')
        cls.crtlist = os.path.join(d, 'list.txt')
        with open(cls.crtlist, 'w') as f:
            f.write('other.pem [alpn h2,http/1.1 ssl-min-ver TLSv1.2] other.test\nsite.pem\n')
        cls.keys = os.path.join(d, 'keys.txt')
        cls.key_lines = [base64.b64encode(bytes([i]) * 48).decode() for i in (1, 2, 3)]
        with open(cls.keys, 'w') as f:
            f.write('\n'.join(cls.key_lines) + '\n')

    @classmethod
    def tearDownClass(cls):
        import shutil
        shutil.rmtree(cls.d, True)

    def start(self, binary=None):
        """One proxy (nbthread 2) with two TLS binds sharing a certificate and a crt-list.
        Returns (admin socket path, port of f1, port of f2)."""
        sock = os.path.join(self.tmpdir(), 'admin.sock')
        f1, f2 = self.listener(), self.listener()
        cfg = f"""
global
    nbthread 2
    stats socket {sock} level admin
    crt-base {self.d}
{DEFAULTS}
frontend f1
    bind {f1.bind} ssl crt site.pem crt-list {self.crtlist} tls-ticket-keys {self.keys}
    http-request return status 200 content-type text/plain string f1
frontend f2
    bind {f2.bind} ssl crt-list {self.crtlist}
    http-request return status 200 content-type text/plain string f2
"""
        kw = {'binary': binary} if binary else {}
        self.proxy(cfg, [f1, f2], **kw)
        return sock, f1.port, f2.port

    def targets(self):
        """The binary under test, and haproxy beside it when the binary is not haproxy."""
        out = [self.start()]
        if not IS_HAPROXY and os.access(HAPROXY_BIN, os.X_OK):
            out.append(self.start(HAPROXY_BIN))
        return out

    def same(self, targets, line):
        """Runs `line` on every target; the replies must be identical. Returns the reply."""
        replies = [cli(t[0], line) for t in targets]
        for r in replies[1:]:
            self.assertEqual(replies[0], r, f'{line!r}: portero vs haproxy')
        return replies[0].decode('latin-1')

    def payload(self, path):
        return read(path).rstrip('\n') + '\n'

    # ---- replies --------------------------------------------------------------------------

    def test_cert_commands_replies(self):
        t = self.targets()
        site, d = self.site, self.d
        listing = self.same(t, 'show ssl cert')
        self.assertEqual(listing, f'# filename\n{d}/other.pem\n{site}\n\n')
        detail = self.same(t, f'show ssl cert {site}')
        self.assertTrue(detail.startswith(f'Filename: {site}\nStatus: Used\nSerial: '), detail)
        self.assertIn('Subject: /O=Old/CN=site.test\n', detail)
        self.assertIn('Subject Alternative Name: DNS:site.test\n', detail)
        self.assertIn('Algorithm: RSA2048\n', detail)
        self.same(t, 'show ssl cert /nonexistent.pem')
        self.same(t, 'commit ssl cert ' + site)                 # no transaction
        self.same(t, 'abort ssl cert ' + site)
        self.same(t, 'set ssl cert ' + site)                    # no payload
        self.same(t, f'set ssl cert /nope.pem <<\n{self.payload(self.site_new)}')
        r = self.same(t, f'set ssl cert {site} <<\n{self.payload(self.site_new)}')
        self.assertEqual(r, f'Transaction created for certificate {site}!\n\n')
        self.same(t, 'show ssl cert')                            # "# transaction" first
        r = self.same(t, f'show ssl cert *{site}')
        self.assertIn('Subject: /O=New/CN=site.test\n', r)
        self.same(t, f'set ssl cert {d}/other.pem <<\n{self.payload(self.other)}')   # other txn
        self.same(t, f'commit ssl cert {d}/other.pem')
        self.same(t, f'abort ssl cert {d}/other.pem')
        r = self.same(t, f'abort ssl cert {site}')
        self.assertEqual(r, f"Transaction aborted for certificate '{site}'!\n\n")
        # only a key, then only a certificate: haproxy's ways to replace a part
        self.same(t, f'set ssl cert {site}.key <<\n{read(self.mismatch_key)}')
        r = self.same(t, f'commit ssl cert {site}')
        self.assertIn('inconsistencies between private key and certificate', r)
        self.same(t, f'abort ssl cert {site}')
        self.same(t, f'set ssl cert {site} <<\n{self.payload(self.site_new)}')
        r = self.same(t, f'commit ssl cert {site}')
        # three instances: f1's crt, and the crt-list line on f1 and on f2
        self.assertEqual(r, f'Committing {site}...\nSuccess!\n\n')
        r = self.same(t, f'show ssl cert {site}')
        self.assertIn('Subject: /O=New/CN=site.test\n', r)
        # new / del
        self.same(t, f'new ssl cert {d}/extra.pem')
        self.same(t, f'new ssl cert {d}/extra.pem')
        self.same(t, f'show ssl cert {d}/extra.pem')               # Empty
        self.same(t, f'del ssl cert {d}/extra.pem')
        self.same(t, f'del ssl cert {d}/extra.pem')
        self.same(t, f'del ssl cert {site}')                       # in use
        self.same(t, 'new ssl cert')

    def test_crtlist_and_keys_replies(self):
        t = self.targets()
        d, lst = self.d, self.crtlist
        self.assertEqual(self.same(t, 'show ssl crt-list'), f'{lst}\n\n')
        r = self.same(t, f'show ssl crt-list {lst}')
        self.assertEqual(r, f'# {lst}\n{d}/other.pem [alpn h2,http/1.1\0 ssl-min-ver TLSv1.2] other.test\n'
                            f'{d}/site.pem\n\n')
        self.same(t, f'show ssl crt-list -n {lst}')
        self.same(t, 'show ssl crt-list -n')
        self.same(t, 'show ssl crt-list /nope')
        self.same(t, f'add ssl crt-list {lst} extra.pem')          # not loaded
        self.same(t, f'new ssl cert {d}/extra.pem')
        self.same(t, f'add ssl crt-list {lst} extra.pem')          # empty
        self.same(t, f'set ssl cert {d}/extra.pem <<\n{self.payload(self.extra)}')
        self.same(t, f'commit ssl cert {d}/extra.pem')
        r = self.same(t, f'add ssl crt-list {lst} <<\nextra.pem [alpn h2] extra.test\n')
        self.assertEqual(r, f"Inserting certificate '{d}/extra.pem' in crt-list '{lst}'..\nSuccess!\n\n")
        self.same(t, f'show ssl crt-list -n {lst}')
        self.same(t, f'show ssl cert {d}/extra.pem')               # Used now
        self.same(t, f'del ssl crt-list {lst} {d}/nope.pem')
        self.same(t, f'del ssl crt-list {lst} {d}/extra.pem:1')
        r = self.same(t, f'del ssl crt-list {lst} {d}/extra.pem')
        self.assertEqual(r, f"Entry '{d}/extra.pem' deleted in crtlist '{lst}'!\n\n")
        self.same(t, f'show ssl crt-list -n {lst}')
        self.same(t, 'del ssl crt-list')
        # ticket keys
        r = self.same(t, 'show tls-keys')
        self.assertEqual(r, f'# id (file)\n0 ({self.keys})\n\n')
        r = self.same(t, 'show tls-keys *')
        self.assertEqual(r, f'# id secret\n# 0 ({self.keys})\n' +
                         ''.join(f'0.{i} {k}\n' for i, k in enumerate(self.key_lines)) + '\n')
        self.same(t, 'show tls-keys #0')
        self.same(t, 'show tls-keys #7')
        self.same(t, 'set ssl tls-key #0 AAAA')
        self.same(t, 'set ssl tls-key #0 !!!!')
        self.same(t, 'set ssl tls-key')
        k4 = base64.b64encode(bytes([4]) * 48).decode()
        self.assertEqual(self.same(t, f'set ssl tls-key {self.keys} {k4}'), 'TLS ticket key updated!\n\n')
        r = self.same(t, 'show tls-keys #0')
        self.assertIn(f'0.0 {self.key_lines[1]}\n0.1 {self.key_lines[2]}\n0.2 {k4}\n', r)

    # ---- what handshakes see --------------------------------------------------------------

    def orgs(self, port, sni, n=6):
        return {subject_org(s_client(port, servername=sni)) for _ in range(n)}

    def test_commit_reaches_new_handshakes_on_every_bind(self):
        sock, p1, p2 = self.start()
        self.assertEqual(self.orgs(p1, 'site.test'), {'Old'})
        self.assertEqual(self.orgs(p2, 'site.test'), {'Old'})
        # a connection made before the commit keeps working with what it negotiated
        held = TlsClient(p1, servername='site.test')
        self.addCleanup(held.close)
        r = cli(sock, f'set ssl cert {self.site} <<\n{self.payload(self.site_new)}').decode()
        self.assertIn('Transaction created', r)
        self.assertEqual(self.orgs(p1, 'site.test', 2), {'Old'})   # not before the commit
        self.assertIn('Success!', cli(sock, f'commit ssl cert {self.site}').decode())
        # every new handshake, whichever of the two threads takes it, on both binds
        self.assertEqual(self.orgs(p1, 'site.test', 8), {'New'})
        self.assertEqual(self.orgs(p1, None, 4), {'New'})          # the default certificate too
        self.assertEqual(self.orgs(p2, 'site.test', 8), {'New'})
        self.assertEqual(self.orgs(p2, 'other.test', 2), {'Other'})
        held.sock.sendall(http_request_bytes(host='site.test'))
        resp = held.read_response()
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.body, b'f1')

    def test_crtlist_add_del_seen_by_sni(self):
        sock, p1, p2 = self.start()
        extra = os.path.join(self.d, 'extra.pem')
        # unknown names get each bind's default certificate: f1's crt, f2's first crt-list line
        default = {p1: {'Old'}, p2: {'Other'}}
        self.assertEqual(self.orgs(p2, 'extra.test', 2), default[p2])
        cli(sock, f'new ssl cert {extra}')
        cli(sock, f'set ssl cert {extra} <<\n{self.payload(self.extra)}')
        self.assertIn('Success!', cli(sock, f'commit ssl cert {extra}').decode())
        r = cli(sock, f'add ssl crt-list {self.crtlist} extra.pem').decode()
        self.assertIn('Success!', r)
        for port in (p1, p2):
            self.assertEqual(self.orgs(port, 'extra.test', 4), {'Extra'})
            self.assertEqual(self.orgs(port, 'www.extra.test', 2), {'Extra'})   # the cert's SAN
        r = cli(sock, f'del ssl crt-list {self.crtlist} {extra}').decode()
        self.assertIn('deleted', r)
        for port in (p1, p2):
            self.assertEqual(self.orgs(port, 'extra.test', 4), default[port])

    def test_ticket_keys_shared_with_haproxy(self):
        """A ticket issued with the shared key file resumes on the other implementation: the
        key file layout (name, AES key, HMAC key) and the encrypting key agree."""
        if IS_HAPROXY or not os.access(HAPROXY_BIN, os.X_OK):
            self.skipTest('needs haproxy beside the binary under test')
        (_, mine, _), (_, theirs, _) = self.start(), self.start(HAPROXY_BIN)
        sess = os.path.join(self.tmpdir(), 'sess.pem')
        first = s_client(theirs, servername='site.test', tls='1.2', sess_out=sess)
        self.assertEqual(first.new_or_reused, 'New')
        again = s_client(mine, servername='site.test', tls='1.2', sess_in=sess)
        self.assertEqual(again.new_or_reused, 'Reused')
        sess2 = os.path.join(self.tmpdir(), 'sess2.pem')
        s_client(mine, servername='site.test', tls='1.2', sess_out=sess2)
        self.assertEqual(s_client(theirs, servername='site.test', tls='1.2', sess_in=sess2).new_or_reused,
                         'Reused')


if __name__ == '__main__':
    unittest.main()
