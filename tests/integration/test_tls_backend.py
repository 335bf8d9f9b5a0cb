"""TLS to the servers (`server ... ssl`), against a real nginx TLS origin (harness/tls.py,
certificate origin.test with SAN origin.test + IP 127.0.0.1, signed by the test CA): verify
none / required with the right and the wrong CA, verifyhost, `sni` (seen by nginx as
$ssl_server_name), `alpn`, TLS session reuse across server connections, a client certificate
(`crt`) for an nginx that requires one, and `check-ssl` / `check-sni` health checks as the
admin socket's `show stat` and the health-check log lines tell them.

Every expectation was observed with HAProxy 2.6.12 (OpenSSL 3.0) and nginx 1.22: run with
PROXY_BIN=/usr/sbin/haproxy. When the binary under test is not haproxy and haproxy is
installed, the `run_*` observations are also made with haproxy and compared."""

from harness.cli import stat_rows
import os
import re
import socket
import time
import unittest

from harness import ProxyTestCase, Client
from harness.cli import cli
from harness.proxy import IS_HAPROXY, HAPROXY_BIN, haproxy_available
from harness.tls import certs, NginxTlsOrigin, LogReceiver, OPENSSL, NGINX
from harness.util import wait_until

# %ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %r
HTTPLOG = re.compile(r'\S+ \[[^\]]+\] (?P<fe>\S+) (?P<route>\S+) (?P<timers>\S+) (?P<status>\d+) \d+ \S+ \S+ '
                     r'(?P<tsc>\S+) (?P<conns>\S+) \S+ "(?P<req>[^"]*)"')


def nginx_headers(resp):
    """The X- headers nginx echoes (absent ones: nginx drops an empty add_header)."""
    return {k.lower(): v for k, v in resp.headers if k.lower() in (
        'x-origin', 'x-sni', 'x-host', 'x-reused', 'x-tls', 'x-alpn', 'x-client-verify', 'x-client-dn')}


class TlsBackendTest(ProxyTestCase):
    maxDiff = None
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for tool in (OPENSSL, NGINX):
            if not os.access(tool, os.X_OK):
                raise unittest.SkipTest(f'{tool} not installed')

    def nginx(self, name='ng1', **kw):
        n = NginxTlsOrigin(name, **kw)
        self.addCleanup(n.stop)
        return n

    def start(self, backends, binary=None, glob='', defaults_extra=''):
        """One frontend per backend: backends = {name: 'server lines...'}. Returns
        (ports by name, log receiver, admin socket path)."""
        log = LogReceiver()
        self.addCleanup(log.close)
        d = self.tmpdir()
        sock = os.path.join(d, 'admin.sock')
        ls = {n: self.listener() for n in backends}
        sections = ''.join(f"""
frontend f_{n}
    bind {ls[n].bind}
    default_backend b_{n}
backend b_{n}
{body}
""" for n, body in backends.items())
        cfg = f"""
global
    log 127.0.0.1:{log.port} local0
    stats socket {sock} level admin
{glob}
defaults
    mode http
    log global
    option httplog
    timeout connect 2s
    timeout client 5s
    timeout server 5s
{defaults_extra}
{sections}
"""
        self.proxy(cfg, list(ls.values()), binary=binary)
        return {n: l.port for n, l in ls.items()}, log, sock

    def differential(self, run, ours):
        if IS_HAPROXY or not haproxy_available():
            return
        self.assertEqual(ours, run(HAPROXY_BIN), 'differs from haproxy')

    @staticmethod
    def get(port, path, host='h.test'):
        with Client(port) as cl:
            return cl.request('GET', path, host=host)

    # ---- verification, SNI, ALPN ------------------------------------------------------
    def run_verify(self, binary=None):
        c = certs()
        ng = self.nginx()
        s = f'    retries 1\n    timeout connect 1s\n    server s {ng.addr} ssl '
        backends = {
            'none': s + 'verify none',
            'ca': s + f'verify required ca-file {c.ca}',
            'both_cas': s + f'verify required ca-file {c.ca_both}',
            'wrong_ca': s + f'verify required ca-file {c.ca2}',
            'vhost_ok': s + f'verify required ca-file {c.ca} verifyhost origin.test',
            'vhost_bad': s + f'verify required ca-file {c.ca} verifyhost other.test',
            'sni_host': s + 'verify none sni req.hdr(host)',
            'sni_ok': s + f'verify required ca-file {c.ca} sni str(origin.test)',
            # without verifyhost the SNI sent is the name checked against the certificate
            'sni_bad': s + f'verify required ca-file {c.ca} sni str(wrong.test)',
            'alpn': s + 'verify none alpn http/1.1',
            'alpn_h2_h1': s + 'verify none alpn h2,http/1.1',
            'tls12': s + 'verify none ssl-max-ver TLSv1.2',
        }
        ports, log, sock = self.start(backends, binary=binary)
        out = {}
        for n in backends:
            r = self.get(ports[n], f'/{n}')
            out[n] = (r.status, nginx_headers(r))
        lines = {}
        for l in log.wait_for(lambda l: '"GET /' in l and '/__ready' not in l, len(backends)):
            m = HTTPLOG.fullmatch(l)
            self.assertTrue(m, l)
            # status, termination state, retries (%rc), no connect time (%Tc = -1)
            lines[m['req'].split()[1][1:]] = (m['status'], m['tsc'], m['conns'].rsplit('/', 1)[1],
                                              m['timers'].split('/')[2] == '-1')
        return out, lines

    def test_verify_sni_alpn(self):
        out, lines = self.run_verify()
        ok = {'x-origin': 'ng1', 'x-host': 'h.test', 'x-reused': '.', 'x-tls': 'TLSv1.3',
              'x-client-verify': 'NONE'}
        sni = dict(ok, **{'x-sni': 'origin.test'})
        self.assertEqual(out, {
            'none': (200, ok),                 # no `sni`: no SNI sent ($ssl_server_name empty)
            'ca': (200, ok),                   # verify required without sni/verifyhost: the
            'both_cas': (200, ok),             # chain is checked, not the name
            'wrong_ca': (503, {}),
            'vhost_ok': (200, ok),
            'vhost_bad': (503, {}),
            'sni_host': (200, dict(ok, **{'x-sni': 'h.test'})),
            'sni_ok': (200, sni),
            'sni_bad': (503, {}),
            'alpn': (200, dict(ok, **{'x-alpn': 'http/1.1'})),
            'alpn_h2_h1': (200, dict(ok, **{'x-alpn': 'http/1.1'})),   # nginx has no h2 here
            'tls12': (200, dict(ok, **{'x-tls': 'TLSv1.2'})),
        })
        # a failed server handshake is a connection failure: retried (retries 1), then 503
        # with termination state SC-- and no connect time (%Tc = -1)
        for n in ('wrong_ca', 'vhost_bad', 'sni_bad'):
            self.assertEqual(lines[n], ('503', 'SC--', '1', True), n)
        for n in ('none', 'ca', 'sni_ok', 'alpn'):
            self.assertEqual(lines[n], ('200', '----', '0', False), n)
        self.differential(self.run_verify, (out, lines))

    def test_wrong_ca_log_line(self):
        c = certs()
        ng = self.nginx()
        ports, log, sock = self.start({'w': f'    retries 0\n    server s {ng.addr} ssl verify required ca-file {c.ca2}'})
        self.assertEqual(self.get(ports['w'], '/w').status, 503)
        line, = log.wait_for(lambda l: '"GET /w ' in l)
        # %B: haproxy logs its internal size of the 503 page (217), portero the bytes it sent
        # (a difference README documents for every local answer).
        self.assertRegex(line, r'^127\.0\.0\.1:\d+ \[[^\]]+\] f_w b_w/s \d+/\d+/-1/-1/\d+ 503 \d+ - - SC-- '
                               r'1/1/0/0/0 0/0 "GET /w HTTP/1\.1"$')

    # ---- session reuse ----------------------------------------------------------------
    def run_reuse(self, binary=None):
        ng = self.nginx()
        base = f'    server s {ng.addr} ssl verify none '
        # one thread: HAProxy keeps the last session per server *per thread*; with several
        # threads the first connection of each thread is a new session
        ports, log, sock = self.start({'r13': base, 'r12': base + 'ssl-max-ver TLSv1.2',
                                       'off': base + 'no-ssl-reuse'},
                                      binary=binary, glob='    nbthread 1',
                                      defaults_extra='    option httpclose\n    http-reuse never')
        out = {}
        for n in ('r13', 'r12', 'off'):
            out[n] = ''.join(self.get(ports[n], f'/{n}/{i}').header('x-reused') for i in range(5))
        # nginx writes its access log line after the answer: wait for all 15
        log_seq = ''.join(e[2] for e in ng.wait_access(15))
        return out, log_seq

    def test_session_reuse_on_new_server_connections(self):
        out, log_seq = self.run_reuse()
        # nginx $ssl_session_reused: "." new, "r" resumed; one connection per request
        self.assertEqual(out, {'r13': '.rrrr', 'r12': '.rrrr', 'off': '.....'})
        self.assertEqual(log_seq, '.rrrr.rrrr.....')
        self.differential(self.run_reuse, (out, log_seq))

    # ---- client certificate to the server -----------------------------------------------
    def run_client_cert(self, binary=None):
        c = certs()
        ng = self.nginx('ngc', verify_client='on')
        s = f'    server s {ng.addr} ssl verify none'
        ports, log, sock = self.start({'crt': s + f' crt {c.pem("client")}', 'nocrt': s,
                                       'unknown': s + f' crt {c.pem("client-unknown")}',
                                       'expired': s + f' crt {c.pem("client-expired")}'},
                                      binary=binary)
        out = {}
        for n in ('crt', 'nocrt', 'unknown', 'expired'):
            r = self.get(ports[n], f'/{n}')
            title = re.search(rb'<title>(.*?)</title>', r.body)
            out[n] = (r.status, nginx_headers(r).get('x-client-verify'), nginx_headers(r).get('x-client-dn'),
                      title.group(1).decode() if title else None)
        return out

    def test_client_certificate_to_server(self):
        out = self.run_client_cert()
        # nginx answers the missing/bad certificate itself with a 400 page; HAProxy forwards it
        self.assertEqual(out, {
            'crt': (200, 'SUCCESS', 'CN=client', None),
            'nocrt': (400, None, None, '400 No required SSL certificate was sent'),
            'unknown': (400, None, None, '400 The SSL certificate error'),
            'expired': (400, None, None, '400 The SSL certificate error'),
        })
        self.differential(self.run_client_cert, out)

    # ---- health checks ------------------------------------------------------------------
    def run_checks(self, binary=None):
        c = certs()
        ng = self.nginx()
        plain = self.origin('plain')
        chk = 'inter 200 fall 2 rise 2'
        ports, log, sock = self.start({
            'l6': f"""    server ok {ng.addr} ssl verify none check check-ssl {chk}
    server badca {ng.addr} ssl verify required ca-file {c.ca2} check check-ssl {chk}
    server plain {plain.addr} ssl verify none check check-ssl {chk}
    server refused 127.0.0.1:1 ssl verify none check check-ssl {chk}
    server tcponly {ng.addr} check {chk}""",
            'l7': f"""    option httpchk GET /chk
    server ok {ng.addr} ssl verify none check check-ssl check-sni chk.test {chk}
    server implied {ng.addr} ssl verify none check {chk}
    server plaintext_to_tls {ng.addr} check {chk}
    server wrongname {ng.addr} ssl verify required ca-file {c.ca} check check-ssl check-sni wrong.test {chk}""",
        }, binary=binary, defaults_extra='    timeout check 1s')
        want_down = {('b_l6', 'badca'), ('b_l6', 'plain'), ('b_l6', 'refused'),
                     ('b_l7', 'plaintext_to_tls'), ('b_l7', 'wrongname')}

        def settled():
            rows = stat_rows(cli(sock, 'show stat'))
            srv = {k: v for k, v in rows.items() if k[1] not in ('FRONTEND', 'BACKEND') and k[0] in ('b_l6', 'b_l7')}
            done = all((v['status'] == 'DOWN') == (k in want_down) and not v['check_status'].startswith('*')
                       and v['check_status'] != 'INI' for k, v in srv.items())
            return srv if done else None
        srv = wait_until(settled, 10)
        self.assertTrue(srv, cli(sock, 'show stat'))
        # haproxy sometimes appends a stale errno of another check to its handshake failure
        # ("SSL handshake failure (Connection refused)", seen once under load): not compared.
        def errno_free(text):
            return re.sub(r'SSL handshake failure \([^)]*\)', 'SSL handshake failure', text)
        table = {f'{k[0]}/{k[1]}': (v['status'], v['check_status'], v['check_code'], v['check_desc'],
                                    errno_free(v['last_chk']))
                 for k, v in sorted(srv.items())}
        down = sorted(errno_free(re.sub(r'check duration: \d+ms\. \d+ active', 'check duration: Nms. N active', l))
                      for l in log.wait_for(lambda l: l.startswith('Server b_l') and ' is DOWN' in l, len(want_down)))
        # the SNI of the checks as nginx saw it: check-sni on b_l7/ok only
        snis = sorted({e[0] for e in ng.access_log() if e[7] == '/chk'})
        return table, down, snis

    def test_check_ssl(self):
        table, down, snis = self.run_checks()
        self.assertEqual(table, {
            'b_l6/badca': ('DOWN', 'L6RSP', '', 'Layer6 invalid response', 'SSL handshake failure'),
            'b_l6/ok': ('UP', 'L6OK', '', 'Layer6 check passed', ''),
            # a plaintext server never answers the ClientHello: timeout (inter 200 < timeout check)
            'b_l6/plain': ('DOWN', 'L6TOUT', '', 'Layer6 timeout', ''),
            'b_l6/refused': ('DOWN', 'L4CON', '', 'Layer4 connection problem', 'Connection refused'),
            'b_l6/tcponly': ('UP', 'L4OK', '', 'Layer4 check passed', ''),
            'b_l7/implied': ('UP', 'L7OK', '200', 'Layer7 check passed', ''),   # `ssl` implies check-ssl
            'b_l7/ok': ('UP', 'L7OK', '200', 'Layer7 check passed', ''),
            # plaintext HTTP check to the TLS port: nginx's 400
            'b_l7/plaintext_to_tls': ('DOWN', 'L7STS', '400', 'Layer7 wrong status', 'Bad Request'),
            'b_l7/wrongname': ('DOWN', 'L6RSP', '', 'Layer6 invalid response',
                               'Server presented an SSL certificate different from the expected one'),
        })
        tail = ' and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.'
        self.assertEqual(down, sorted([
            'Server b_l6/badca is DOWN, reason: Layer6 invalid response, info: "SSL handshake failure", '
            'check duration: Nms. N active' + tail,
            'Server b_l6/plain is DOWN, reason: Layer6 timeout, check duration: Nms. N active' + tail,
            'Server b_l6/refused is DOWN, reason: Layer4 connection problem, info: "Connection refused", '
            'check duration: Nms. N active' + tail,
            'Server b_l7/plaintext_to_tls is DOWN, reason: Layer7 wrong status, code: 400, info: "Bad Request", '
            'check duration: Nms. N active' + tail,
            'Server b_l7/wrongname is DOWN, reason: Layer6 invalid response, info: "Server presented an SSL '
            'certificate different from the expected one", check duration: Nms. N active' + tail,
        ]))
        self.assertEqual(snis, ['-', 'chk.test'])
        self.differential(self.run_checks, (table, down, snis))

    def test_check_ssl_without_verify_is_a_config_error(self):
        # `check-ssl` on a server without `ssl`/`verify`: verify defaults to required and no
        # CA file is given -> HAProxy refuses the configuration
        from harness.proxy import run_check
        cfg = ('defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n'
               'backend b\n    option httpchk\n    server s 127.0.0.1:2 check check-ssl\n')
        rc, out, err = run_check(self.PROXY_BIN, cfg, self.tmpdir())
        self.assertNotEqual(rc, 0)
        self.assertIn("'server b/s' : verify is enabled by default but no CA file specified.", err)


if __name__ == '__main__':
    unittest.main()
