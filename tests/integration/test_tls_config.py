"""`-c` on configurations with TLS: certificates, keys, crt-lists, CA files, ciphers, versions.
Exit code, stdout and the diagnostics are compared with haproxy 2.6's expected output, and live
against haproxy -c on the same files when it is installed (differential).

Certificates are made for the test with the openssl command in a temporary directory (nothing
is committed). Normalisation as in test_check_config: [NOTICE] lines dropped, pid -> (PID), and
the temporary directory -> {d}.
"""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

from harness import ProxyTestCase, IS_HAPROXY, HAPROXY_BIN, PROXY_BIN, haproxy_available
from harness.proxy import run_check

HEAD = """defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
"""
VALID = 'Configuration file is valid\n'
WARNED = 'Warnings were found.\n' + VALID
_PID = re.compile(r'^(\[(?:ALERT|WARNING|NOTICE)\]\s+)\(\d+\) ')


def normalise(stderr, d):
    out = []
    for line in stderr.splitlines():
        if line.startswith('[NOTICE]'):
            continue
        out.append(_PID.sub(r'\1(PID) ', line).replace(d, '{d}'))
    return out


def sh(cmd, cwd):
    subprocess.run(['sh', '-c', cmd], cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=60)


def make_pki(d):
    sh('openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=TestCA', d)
    for n, cn in (('a', 'a.test'), ('b', 'b.test')):
        sh(f'openssl req -newkey rsa:2048 -nodes -keyout {n}.key -out {n}.csr -subj /CN={cn}'
           f' && openssl x509 -req -in {n}.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out {n}.crt'
           f' && cat {n}.crt {n}.key > {n}.pem', d)
    sh('cp a.crt split.pem && cp a.key split.pem.key', d)
    sh('cp a.crt nokey.pem && cat a.crt b.key > mismatch.pem', d)
    sh('mkdir certs && cp a.pem certs/a.pem && cp b.crt certs/b.pem && cp b.key certs/b.pem.key', d)
    sh('for i in 1 2 3; do openssl rand 48 | openssl base64 -A; echo; done > tickets.keys', d)
    sh('for i in 1 2 3 4; do openssl rand 80 | openssl base64 -A; echo; done > tickets80.keys', d)
    sh('openssl rand 48 | openssl base64 -A > few.keys; echo >> few.keys', d)
    sh('(openssl rand 48 | openssl base64 -A; echo; openssl rand 40 | openssl base64 -A; echo) > bad.keys', d)
    with open(os.path.join(d, 'good.list'), 'w') as f:
        f.write('# sites\n{d}/a.pem [alpn http/1.1,http/1.0 ssl-min-ver TLSv1.2] a.test *.a.test !x.a.test\n'
                '{d}/b.pem\n'.format(d=d))
    with open(os.path.join(d, 'badkw.list'), 'w') as f:
        f.write('{d}/a.pem [alpn http/1.1 bogus] a.test\n'.format(d=d))


def fe(bind_opts):
    return HEAD + 'frontend f\n    bind 127.0.0.1:18443 ' + bind_opts + '\n    default_backend b\nbackend b\n    server s1 127.0.0.1:18081\n'


def be(server_opts, glob=''):
    return (glob + HEAD + 'frontend f\n    bind 127.0.0.1:18080\n    default_backend b\nbackend b\n'
            '    server s1 127.0.0.1:18443 ' + server_opts + '\n')


BIND = "[ALERT]    (PID) : config : parsing [x.cfg:7] : 'bind 127.0.0.1:18443' in section 'frontend' : "
SRV = "[ALERT]    (PID) : config : [x.cfg:10] : 'server b/s1' : "
ERRS = "[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg"
FATAL = "[ALERT]    (PID) : config : Fatal errors found in configuration."


def late(msg):
    m = "Proxy 'f': " + msg + " for bind '127.0.0.1:18443' at [x.cfg:7]."
    return ['[ALERT]    (PID) : config : ' + m, m, FATAL]


# name: (config text with {d}, exit code, stdout, normalised stderr lines)
CASES = {
    'valid_crt': (fe('ssl crt {d}/a.pem crt {d}/b.pem alpn http/1.1,http/1.0 ssl-min-ver TLSv1.2 ciphers ECDHE+AESGCM '
                     'ciphersuites TLS_AES_128_GCM_SHA256 curves X25519:P-256 no-tls-tickets strict-sni'),
                  0, VALID, []),
    'valid_split_key_dir_and_list': (fe('ssl crt {d}/split.pem crt {d}/certs crt-list {d}/good.list '
                                        'tls-ticket-keys {d}/tickets.keys'), 0, VALID, []),
    'valid_client_verify': (fe('ssl crt {d}/a.pem ca-file {d}/ca.pem verify optional ca-ignore-err all '
                               'crt-ignore-err 10,18 no-ca-names'), 0, VALID, []),
    'missing_crt': (fe('ssl crt {d}/none.pem'), 1, '', [
        BIND + "unable to stat SSL certificate from file '{d}/none.pem' : No such file or directory.", ERRS, FATAL]),
    'crt_without_value': (fe('ssl crt'), 1, '', [BIND + "'crt' : missing certificate location", ERRS, FATAL]),
    'no_key': (fe('ssl crt {d}/nokey.pem'), 1, '', [BIND + "No Private Key found in '{d}/nokey.pem.key'.", ERRS, FATAL]),
    'key_mismatch': (fe('ssl crt {d}/mismatch.pem'), 1, '', [
        BIND + "inconsistencies between private key and certificate loaded '{d}/mismatch.pem'.", ERRS, FATAL]),
    'crt_list_missing': (fe('ssl crt-list {d}/none.list'), 1, '', [
        BIND + "'crt-list' : cannot open file '{d}/none.list' : No such file or directory", ERRS, FATAL]),
    'crt_list_bad_keyword': (fe('ssl crt-list {d}/badkw.list'), 1, '', [
        BIND + "'crt-list' : parsing [{d}/badkw.list:1]: unknown ssl keyword bogus", ERRS, FATAL]),
    'ca_file_missing': (fe('ssl crt {d}/a.pem ca-file {d}/none.pem'), 1, '', [
        "[ALERT]    (PID) : config : Couldn't open the ca-file '{d}/none.pem' (No such file or directory).",
        BIND + "'ca-file' : unable to load {d}/none.pem", ERRS, FATAL]),
    'verify_without_ca': (fe('ssl crt {d}/a.pem verify required'), 1, '',
                          late('verify is enabled but no CA file specified')),
    'verify_bad_method': (fe('ssl crt {d}/a.pem verify bogus'), 1, '', [
        BIND + "'verify' : unknown verify method 'bogus', only 'none', 'optional', and 'required' are supported",
        ERRS, FATAL]),
    'bad_version': (fe('ssl crt {d}/a.pem ssl-min-ver TLSv9'), 1, '', [BIND + "'TLSv9' : unknown ssl/tls version", ERRS, FATAL]),
    'bad_ciphers': (fe('ssl crt {d}/a.pem ciphers FOO'), 1, '', late("unable to set SSL cipher list to 'FOO'")),
    'bad_ciphersuites': (fe('ssl crt {d}/a.pem ciphersuites FOO'), 1, '',
                         late("unable to set TLS 1.3 cipher suites to 'FOO'")),
    'bad_curves': (fe('ssl crt {d}/a.pem curves FOO'), 1, '', late("unable to set SSL curves list to 'FOO'")),
    'no_certificate': (fe('ssl'), 1, '', [
        "[ALERT]    (PID) : config : Proxy 'f': no SSL certificate specified for bind '127.0.0.1:18443' at [x.cfg:7] (use 'crt').",
        FATAL]),
    'versions_disabled': (fe('ssl crt {d}/a.pem ssl-min-ver TLSv1.3 ssl-max-ver TLSv1.2'), 1, '', [
        "[ALERT]    (PID) : config : Proxy 'f': all SSL/TLS versions are disabled for bind '127.0.0.1:18443' at [x.cfg:7].",
        FATAL]),
    'no_flags_ignored': (fe('ssl crt {d}/a.pem ssl-min-ver TLSv1.2 no-tlsv12'), 0, WARNED, [
        "[WARNING]  (PID) : config : Proxy 'f': no-sslv3/no-tlsv1x are ignored for bind '127.0.0.1:18443' at "
        "[x.cfg:7]. Use only 'ssl-min-ver' and 'ssl-max-ver' to fix."]),
    'bad_ticket_keys_file': (fe('ssl crt {d}/a.pem tls-ticket-keys {d}/none.keys'), 1, '', [
        BIND + "'{d}/none.keys' : unable to load ssl tickets keys file", ERRS, FATAL]),
    'ticket_keys_80': (fe('ssl crt {d}/a.pem tls-ticket-keys {d}/tickets80.keys'), 0, VALID, []),
    'ticket_keys_too_few': (fe('ssl crt {d}/a.pem tls-ticket-keys {d}/few.keys'), 1, '', [
        BIND + "'{d}/few.keys' : please supply at least 3 keys in the tls-tickets-file", ERRS, FATAL]),
    'ticket_keys_wrong_size': (fe('ssl crt {d}/a.pem tls-ticket-keys {d}/bad.keys'), 1, '', [
        BIND + "'{d}/bad.keys' : wrong sized key on line 2", ERRS, FATAL]),
    'server_verify_default_without_ca': (be('ssl'), 1, '', [
        SRV + "verify is enabled by default but no CA file specified. If you're running on a LAN where you're "
        "certain to trust the server's certificate, please set an explicit 'verify none' statement on the 'server' "
        "line, or use 'ssl-server-verify none' in the global section to disable server-side verifications by default.",
        FATAL]),
    'server_verify_none_global': (be('ssl check', 'global\n    ssl-server-verify none\n'), 0, VALID, []),
    'server_valid': (be('ssl ca-file {d}/ca.pem crt {d}/a.pem sni str(a.test) alpn http/1.1 verifyhost a.test '
                        'ssl-min-ver TLSv1.2 no-ssl-reuse check check-ssl check-sni a.test'), 0, VALID, []),
    'server_ca_missing': (be('ssl verify none ca-file {d}/none.pem'), 1, '', [
        SRV + "Couldn't open the ca-file '{d}/none.pem' (No such file or directory).",
        "[ALERT]    (PID) : config : 'ca-file' : unable to load {d}/none.pem.", ERRS, FATAL]),
    'server_crt_missing': (be('ssl verify none crt {d}/none.pem'), 1, '', [
        SRV + "unable to stat SSL certificate from file '{d}/none.pem' : No such file or directory.", FATAL]),
    'server_bad_ciphers': (be('ssl verify none ciphers FOO'), 1, '', [SRV + "unable to set SSL cipher list to 'FOO'.", FATAL]),
    'server_verify_optional': (be('ssl verify optional'), 1, '', [
        SRV + "'verify' : unknown verify method 'optional', only 'none' and 'required' are supported.", ERRS, FATAL]),
    'server_curves_unknown': (be('ssl verify none curves X25519'), 1, '', [
        SRV + "unknown keyword 'curves'.", ERRS, FATAL]),
    'global_bad_default_options': ('global\n    ssl-default-bind-options foo\n' + fe('ssl crt {d}/a.pem'), 1, '', [
        "[ALERT]    (PID) : config : parsing [x.cfg:2] : unknown option 'foo' on global statement 'ssl-default-bind-options'.",
        ERRS, FATAL]),
    'global_crt_base': ('global\n    crt-base {d}\n    ca-base {d}\n    ssl-default-bind-ciphers ECDHE+AESGCM\n'
                        '    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets\n    tune.ssl.cachesize 1000\n'
                        '    tune.ssl.lifetime 10m\n' + fe('ssl crt a.pem ca-file ca.pem verify required'), 0, VALID, []),
}


class TlsConfigTest(ProxyTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pki = tempfile.mkdtemp(prefix='integ-tls-')
        make_pki(cls.pki)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.pki, True)
        super().tearDownClass()

    def run_case(self, name):
        text, rc, out, err = CASES[name]
        d = self.pki
        cfg = text.replace('{d}', d)
        work = self.tmpdir()
        got = run_check(PROXY_BIN, cfg, work, name='x.cfg')
        self.assertEqual(got[0], rc, f'exit code; stderr:\n{got[2]}')
        self.assertEqual(got[1], out)
        self.assertEqual(normalise(got[2], d), err)
        if not IS_HAPROXY and haproxy_available():
            ref = run_check(HAPROXY_BIN, cfg, work, name='x.cfg')
            self.assertEqual((got[0], got[1], normalise(got[2], d)),
                             (ref[0], ref[1], normalise(ref[2], d)), 'differs from haproxy -c')


def _alpn_h2_loads_clean(self):
        """A bind, a server line and a server's `check-alpn` negotiate h2 as haproxy does: the
        file loads without a word, in mode http and in mode tcp, as with haproxy -c (an HTTP
        check over a handshake that picked h2 speaks HTTP/2: test_h2_backend.py)."""
        cfg = (HEAD + 'frontend f\n    bind 127.0.0.1:18443 ssl crt {d}/a.pem alpn h2,http/1.1\n'
               '    default_backend b\nbackend b\n    server s1 127.0.0.1:18081 ssl verify none alpn h2 check-alpn h2\n')
        tcp = (HEAD + 'listen t\n    mode tcp\n    bind 127.0.0.1:18443 ssl crt {d}/a.pem alpn h2,http/1.1\n'
               '    server s1 127.0.0.1:18081 ssl verify none alpn h2\n')
        for text in (cfg, cfg.replace(' check-alpn h2', ''), tcp):
            got = run_check(PROXY_BIN, text.replace('{d}', self.pki), self.tmpdir(), name='x.cfg')
            self.assertEqual(got[:2], (0, 'Configuration file is valid\n'), got[2])
            if not IS_HAPROXY and haproxy_available():
                ref = run_check(HAPROXY_BIN, text.replace('{d}', self.pki), self.tmpdir(), name='x.cfg')
                self.assertEqual(got[:2], ref[:2], 'differs from haproxy -c')


TlsConfigTest.test_alpn_h2_loads_clean = _alpn_h2_loads_clean


def _make(name):
    def test(self):
        self.run_case(name)
    return test


for _n in CASES:
    setattr(TlsConfigTest, f'test_{_n}', _make(_n))


if __name__ == '__main__':
    unittest.main()
