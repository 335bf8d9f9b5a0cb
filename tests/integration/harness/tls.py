"""TLS for the integration tests: certificates made at test time with the openssl CLI, an
`openssl s_client` runner that parses what it reports, a client through Python's ssl module,
and an nginx TLS origin.

Certificates (`certs()`): generated once per test process into a temporary directory removed
at exit (no key is ever committed). Names:

  ca / ca2              the test CA, and a second CA nobody trusts ("unknown CA")
  default.test          RSA-2048                       (CN only)
  a.test                RSA-2048 and ECDSA P-256       (the same name, two key types)
  *.wild.test           RSA-2048                       (wildcard)
  b.test                RSA-2048, SAN b.test, alt-b.test
  origin.test           RSA-2048, SAN origin.test, IP 127.0.0.1 (the nginx origin)
  client / client-unknown / client-expired   client certificates (CN=client...), signed by
                        ca / ca2 / ca (validity 2020-01-01 .. 2020-02-01)

`Certs.pem(name, kind)` is the combined PEM (certificate, key) HAProxy's `crt` wants;
`Certs.cert(name)`/`key(name)` the separate files; `Certs.crt_dir(...)` a directory of combined
PEMs; `Certs.crt_list(lines)` a crt-list file.
"""

import atexit
import hashlib
import os
import re
import shutil
import signal as _signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time

from .client import Client
from .util import wait_until, free_port

OPENSSL = shutil.which('openssl') or '/usr/bin/openssl'
NGINX = shutil.which('nginx') or '/usr/sbin/nginx'

# Files inside Certs.dir. Short names in the test modules: certs().pem('a.test', 'ecdsa').
SERVER_NAMES = {
    # name: (CN, SANs or None)
    'default.test': ('default.test', None),
    'a.test': ('a.test', ['DNS:a.test']),
    'wild.test': ('*.wild.test', ['DNS:*.wild.test']),
    'b.test': ('b.test', ['DNS:b.test', 'DNS:alt-b.test']),
    'origin.test': ('origin.test', ['DNS:origin.test', 'IP:127.0.0.1']),
}


def _run(argv, cwd=None, input=None, timeout=60):
    p = subprocess.run(argv, cwd=cwd, input=input, capture_output=True, timeout=timeout,
                       stdin=None if input is not None else subprocess.DEVNULL)
    if p.returncode != 0:
        raise RuntimeError(f'{" ".join(argv)} failed ({p.returncode}):\n'
                           f'{p.stderr.decode(errors="replace")}')
    return p.stdout


class Certs:
    """Every certificate the TLS tests use (see the module doc). Build with certs()."""

    def __init__(self, dirpath=None):
        self.dir = dirpath or tempfile.mkdtemp(prefix='integ-tls-')
        self._serial = 0x1000
        self._make_ca('ca', 'Portero Test CA')
        self._make_ca('ca2', 'Unknown Test CA')
        for name, (cn, sans) in SERVER_NAMES.items():
            self._make_leaf(name, cn, sans, 'rsa', 'ca', server=True)
        self._make_leaf('a.test', 'a.test', ['DNS:a.test'], 'ecdsa', 'ca', server=True)
        self._make_leaf('client', 'client', None, 'rsa', 'ca', server=False)
        self._make_leaf('client-unknown', 'client-unknown', None, 'rsa', 'ca2', server=False)
        self._make_expired('client-expired', 'client-expired', 'ca')
        # both CAs in one file (for `ca-file` accepting either)
        with open(self.path('ca-both.pem'), 'w') as f:
            for p in (self.ca, self.ca2):
                with open(p) as src:
                    f.write(src.read())

    # ---- paths ------------------------------------------------------------------------
    def path(self, *p):
        return os.path.join(self.dir, *p)

    @property
    def ca(self):
        return self.path('ca.pem')

    @property
    def ca2(self):
        return self.path('ca2.pem')

    @property
    def ca_both(self):
        return self.path('ca-both.pem')

    def _base(self, name, kind='rsa'):
        return self.path(f'{name}.{kind}')

    def cert(self, name, kind='rsa'):
        return self._base(name, kind) + '.crt'

    def key(self, name, kind='rsa'):
        return self._base(name, kind) + '.key'

    def pem(self, name, kind='rsa'):
        """Certificate then key in one file (HAProxy's `crt`)."""
        return self._base(name, kind) + '.pem'

    def crt_dir(self, entries, dirname=None):
        """A directory holding copies of the combined PEMs [(name, kind), ...] (file names
        <name>.<kind>.pem, loaded by HAProxy in name order). Returns its path."""
        d = self.path(dirname or ('dir-' + hashlib.sha1(repr(entries).encode()).hexdigest()[:8]))
        os.makedirs(d, exist_ok=True)
        for name, kind in entries:
            shutil.copy(self.pem(name, kind), os.path.join(d, os.path.basename(self.pem(name, kind))))
        return d

    def crt_list(self, lines, filename):
        """A crt-list file; each line is (pem path, '[options]' or '', [sni filters])."""
        path = self.path(filename)
        with open(path, 'w') as f:
            for pem, opts, filters in lines:
                f.write(' '.join(x for x in [pem, opts, *filters] if x) + '\n')
        return path

    # ---- generation ---------------------------------------------------------------------
    def _next_serial(self):
        self._serial += 1
        return str(self._serial)

    def _newkey(self, kind, keyfile):
        if kind == 'rsa':
            _run([OPENSSL, 'genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048',
                  '-out', keyfile])
        else:
            _run([OPENSSL, 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256',
                  '-out', keyfile])

    def _make_ca(self, name, cn):
        key = self.path(f'{name}.key')
        self._newkey('rsa', key)
        _run([OPENSSL, 'req', '-new', '-x509', '-key', key, '-subj', f'/O=Portero Tests/CN={cn}',
              '-days', '3650', '-set_serial', self._next_serial(), '-sha256',
              '-addext', 'basicConstraints=critical,CA:TRUE',
              '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
              '-out', self.path(f'{name}.pem')])

    def _ext(self, sans, server):
        lines = ['basicConstraints=CA:FALSE',
                 'keyUsage=critical,digitalSignature,keyEncipherment',
                 'extendedKeyUsage=' + ('serverAuth' if server else 'clientAuth')]
        if sans:
            lines.append('subjectAltName=' + ','.join(sans))
        return '\n'.join(lines) + '\n'

    def _csr(self, base, cn, kind):
        key = base + '.key'
        self._newkey(kind, key)
        _run([OPENSSL, 'req', '-new', '-key', key, '-subj', f'/CN={cn}', '-out', base + '.csr'])
        return key

    def _make_leaf(self, name, cn, sans, kind, ca, server):
        base = self._base(name, kind)
        key = self._csr(base, cn, kind)
        ext = base + '.ext'
        with open(ext, 'w') as f:
            f.write(self._ext(sans, server))
        _run([OPENSSL, 'x509', '-req', '-in', base + '.csr', '-CA', self.path(f'{ca}.pem'),
              '-CAkey', self.path(f'{ca}.key'), '-set_serial', self._next_serial(), '-days', '825',
              '-sha256', '-extfile', ext, '-out', base + '.crt'])
        self._combine(base, key)

    def _make_expired(self, name, cn, ca):
        """Valid 2020-01-01 .. 2020-02-01 (openssl ca: x509 -req cannot backdate)."""
        base = self._base(name, 'rsa')
        key = self._csr(base, cn, 'rsa')
        cadir = self.path('ca-db')
        os.makedirs(cadir, exist_ok=True)
        open(os.path.join(cadir, 'index.txt'), 'w').close()
        with open(os.path.join(cadir, 'serial'), 'w') as f:
            f.write('%X\n' % (0x9000 + self._serial))
        cnf = os.path.join(cadir, 'ca.cnf')
        with open(cnf, 'w') as f:
            f.write(f"""[ca]
default_ca = test
[test]
database = {cadir}/index.txt
new_certs_dir = {cadir}
serial = {cadir}/serial
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
x509_extensions = ext
[anything]
commonName = supplied
[ext]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
""")
        _run([OPENSSL, 'ca', '-batch', '-config', cnf, '-cert', self.path(f'{ca}.pem'),
              '-keyfile', self.path(f'{ca}.key'), '-startdate', '20200101000000Z',
              '-enddate', '20200201000000Z', '-notext', '-in', base + '.csr', '-out', base + '.crt'])
        self._combine(base, key)

    def _combine(self, base, key):
        with open(base + '.pem', 'w') as f:
            for p in (base + '.crt', key):
                with open(p) as src:
                    f.write(src.read())


_CERTS = None
_CERTS_LOCK = threading.Lock()


def certs():
    """The process-wide Certs, generated on first use (a couple of seconds), removed at exit."""
    global _CERTS
    with _CERTS_LOCK:
        if _CERTS is None:
            c = Certs()
            atexit.register(shutil.rmtree, c.dir, True)
            _CERTS = c
        return _CERTS


# ---- openssl s_client ---------------------------------------------------------------------
class SClientResult:
    """What `openssl s_client` reported. Fields are None when not reported."""

    def __init__(self, argv, rc, out, err, timed_out):
        self.argv = argv
        self.rc = rc
        self.out = out
        self.err = err
        self.timed_out = timed_out
        self.subject = _grab(r'^subject=(.*)$', out)            # 'CN = a.test'
        self.issuer = _grab(r'^issuer=(.*)$', out)
        self.cn = _grab(r'CN = ([^,\n]+)', self.subject or '')
        self.alpn = _grab(r'^ALPN protocol: (.*)$', out)         # None when "No ALPN negotiated"
        self.new_or_reused = _grab(r'^(New|Reused), ', out)     # 'New' / 'Reused'
        self.cipher = _grab(r'^(?:New|Reused), \S+, Cipher is (\S+)', out)
        # 'TLSv1.3': from "New, TLSv1.3, Cipher is ..." (the SSL-Session block is not always printed)
        self.protocol = _grab(r'^(?:New|Reused), (TLSv[\d.]+), Cipher is', out)
        vrc = _grab(r'Verify return code: (\d+)', out)
        self.verify_code = int(vrc) if vrc is not None else None
        self.verify_text = _grab(r'Verify return code: \d+ \((.*)\)', out)
        kb = _grab(r'^Server public key is (\d+) bit', out)
        self.server_key_bits = int(kb) if kb else None              # 2048 (RSA) / 256 (P-256)
        # the TLS alert the server sent, as s_client names it: 'unknown ca', 'certificate
        # expired', 'certificate required', 'handshake failure', 'protocol version'...
        # ('unrecognized name' for OpenSSL's "tlsv1 unrecognized name"); None without alert
        self.alert = None
        m = re.search(r':SSL routines:[^:]*:([^:]+):[^\n]*SSL alert number \d+', err)
        if m:
            self.alert = re.sub(r'^(?:tlsv1|tlsv13|sslv3) (?:alert )?', '', m.group(1))
        self.server_temp_key = _grab(r'^Server Temp Key: (.*)$', out)
        self.peer_sig_type = _grab(r'^Peer signature type: (.*)$', out)
        # the bytes after the handshake report (an HTTP answer when a request was written).
        # Best effort only: s_client prints TLS 1.3 session tickets arriving after the
        # handshake through another buffer, and their dump can land inside the answer. Tests
        # that check answers use TlsClient; s_client is for what the handshake reports.
        self.app_data = None
        m = re.search(r'^(HTTP/1\.\d .*)', out, re.M | re.S)
        if m:
            data = m.group(1)
            head, sep, rest = data.partition('\r\n\r\n')
            cl = re.search(r'^content-length:\s*(\d+)', head, re.M | re.I)
            if sep and cl:
                data = head + sep + rest[:int(cl.group(1))]
            self.app_data = data

    @property
    def handshake_ok(self):
        # "Cipher is (NONE)" / "no peer certificate available" mean no session was made
        return self.cipher not in (None, '(NONE)') and self.subject is not None

    @property
    def status(self):
        if not self.app_data:
            return None
        m = re.match(r'HTTP/1\.\d (\d{3})', self.app_data)
        return int(m.group(1)) if m else None

    def header(self, name):
        if not self.app_data:
            return None
        head = self.app_data.split('\r\n\r\n', 1)[0]
        for line in head.split('\r\n')[1:]:
            k, _, v = line.partition(':')
            if k.strip().lower() == name.lower():
                return v.strip()
        return None

    def __repr__(self):
        return (f'<SClient rc={self.rc} cn={self.cn!r} alpn={self.alpn!r} proto={self.protocol!r} '
                f'{self.new_or_reused} verify={self.verify_code} status={self.status}>')


def _grab(pattern, text):
    m = re.search(pattern, text, re.M)
    return m.group(1).strip() if m else None


def s_client(port, servername=None, alpn=None, tls=None, cipher=None, ciphersuites=None,
             sigalgs=None, sess_out=None, sess_in=None, cert=None, key=None, cafile=None,
             request=None, timeout=10.0, extra=(), host='127.0.0.1'):
    """Run `openssl s_client` against host:port and parse its report.

    tls: '1.2' / '1.3' (-tls1_2 / -tls1_3). request: bytes written to its stdin (then it waits
    for the server to close, -ign_eof, so send `Connection: close`); without a request stdin is
    empty and s_client closes right after the handshake. A deadline kills it (by pid)."""
    argv = [OPENSSL, 's_client', '-connect', f'{host}:{port}']
    if servername is not None:
        argv += ['-servername', servername]
    else:
        argv += ['-noservername']
    if alpn:
        argv += ['-alpn', alpn]
    if tls:
        argv += ['-tls' + tls.replace('.', '_')]
    if cipher:
        argv += ['-cipher', cipher]
    if ciphersuites is not None:
        argv += ['-ciphersuites', ciphersuites]
    if sigalgs:
        argv += ['-sigalgs', sigalgs]
    if sess_out:
        argv += ['-sess_out', sess_out]
    if sess_in:
        argv += ['-sess_in', sess_in]
    if cert:
        argv += ['-cert', cert]
    if key:
        argv += ['-key', key]
    if cafile:
        argv += ['-CAfile', cafile]
    if request is not None:
        argv += ['-ign_eof']
    argv += list(extra)
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    timed_out = False
    try:
        out, err = p.communicate(request or b'', timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.kill(p.pid, _signal.SIGKILL)
        out, err = p.communicate()
    return SClientResult(argv, p.returncode, out.decode('latin-1'), err.decode('latin-1'),
                         timed_out)


def http_request_bytes(path='/', host='test', headers=(), close=True):
    lines = [f'GET {path} HTTP/1.1', f'Host: {host}', *headers]
    if close:
        lines.append('Connection: close')
    return ('\r\n'.join(lines) + '\r\n\r\n').encode()


# ---- Python ssl client --------------------------------------------------------------------
def client_context(alpn=None, cert=None, key=None, cafile=None, min_version=None,
                   max_version=None, ciphers=None, verify=False, session_tickets=True):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if verify:
        ctx.load_verify_locations(cafile)
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    if cert:
        ctx.load_cert_chain(cert, key)
    if min_version:
        ctx.minimum_version = min_version
    if max_version:
        ctx.maximum_version = max_version
    if ciphers:
        ctx.set_ciphers(ciphers)
    return ctx


class TlsClient(Client):
    """harness Client over TLS: request()/read_response() work as for plaintext. Attributes
    after the handshake: version ('TLSv1.3'), alpn, peer_cn, session_reused."""

    def __init__(self, port, servername=None, context=None, host='127.0.0.1', timeout=10.0,
                 session=None, **ctxkw):
        self.context = context or client_context(**ctxkw)
        raw = socket.create_connection((host, port), timeout=timeout)
        try:
            s = self.context.wrap_socket(raw, server_hostname=servername, session=session)
        except BaseException:
            raw.close()
            raise
        super().__init__(port, host=host, timeout=timeout, sock=s)
        self.version = s.version()
        self.alpn = s.selected_alpn_protocol()
        self.session_reused = s.session_reused
        der = s.getpeercert(binary_form=True)
        self.peer_der = der
        self.peer_cn = cert_cn(der) if der else None

    @property
    def session(self):
        return self.sock.session


def cert_cn(der):
    """The subject CN of a DER certificate (through the openssl CLI: the ssl module decodes
    peer certificates only when it verified them)."""
    out = _run([OPENSSL, 'x509', '-inform', 'DER', '-noout', '-subject', '-nameopt', 'multiline'],
               input=der).decode()
    m = re.search(r'commonName\s*=\s*(.+)', out)
    return m.group(1).strip() if m else None


def tls_get(port, path='/', servername=None, headers=(), host='test', **kw):
    """One request on a fresh TLS connection; returns (Response, TlsClient attributes dict)."""
    with TlsClient(port, servername=servername, **kw) as c:
        r = c.request('GET', path, headers=list(headers), host=host)
        return r, {'version': c.version, 'alpn': c.alpn, 'cn': c.peer_cn,
                   'reused': c.session_reused}


# ---- nginx TLS origin -----------------------------------------------------------------------
NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{ worker_connections 256; }}
http {{
    log_format tls '$ssl_server_name|$http_host|$ssl_session_reused|$ssl_protocol|$ssl_alpn_protocol|$ssl_client_verify|$ssl_client_s_dn|$request_uri';
    access_log {dir}/access.log tls;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    keepalive_requests 10000;
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name _;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_cache shared:portero_tests:1m;
        ssl_session_tickets on;
{client_verify}
        location / {{
            add_header X-Origin {name} always;
            add_header X-SNI "$ssl_server_name" always;
            add_header X-Host "$http_host" always;
            add_header X-Reused "$ssl_session_reused" always;
            add_header X-TLS "$ssl_protocol" always;
            add_header X-ALPN "$ssl_alpn_protocol" always;
            add_header X-Client-Verify "$ssl_client_verify" always;
            add_header X-Client-DN "$ssl_client_s_dn" always;
            return 200 "nginx {name}\\n";
        }}
    }}
}}
"""


class NginxTlsOrigin:
    """nginx answering `200 "nginx <name>\\n"` over TLS on 127.0.0.1:<port> with the origin.test
    certificate, echoing $ssl_server_name, $http_host, $ssl_session_reused, $ssl_protocol,
    $ssl_alpn_protocol, $ssl_client_verify and $ssl_client_s_dn in X-SNI, X-Host, X-Reused,
    X-TLS, X-ALPN, X-Client-Verify, X-Client-DN; access.log has the same fields separated by |.
    verify_client: None (no client certificate asked), 'on' or 'optional' (against client_ca).
    The port is a free one reserved at start (retried if another process took it)."""

    def __init__(self, name='nginx', verify_client=None, client_ca=None, cert=None, key=None,
                 ready_timeout=10.0):
        c = certs()
        self.name = name
        self.cert = cert or c.cert('origin.test')
        self.key = key or c.key('origin.test')
        self.verify_client = verify_client
        self.client_ca = client_ca or c.ca
        self.dir = tempfile.mkdtemp(prefix='integ-nginx-')
        self.proc = None
        self.ready_timeout = ready_timeout
        for attempt in range(5):
            self.port = free_port()
            if self._start():
                return
        raise RuntimeError(f'nginx did not start:\n{self.error_log()}')

    @property
    def addr(self):
        return f'127.0.0.1:{self.port}'

    def _start(self):
        cv = ''
        if self.verify_client:
            cv = (f'        ssl_client_certificate {self.client_ca};\n'
                  f'        ssl_verify_client {self.verify_client};\n')
        conf = NGINX_CONF.format(dir=self.dir, port=self.port, cert=self.cert, key=self.key,
                                 name=self.name, client_verify=cv)
        path = os.path.join(self.dir, 'nginx.conf')
        with open(path, 'w') as f:
            f.write(conf)
        open(os.path.join(self.dir, 'error.log'), 'w').close()
        self._err = open(os.path.join(self.dir, 'stderr'), 'wb')
        self.proc = subprocess.Popen([NGINX, '-p', self.dir, '-c', path, '-e',
                                      os.path.join(self.dir, 'error.log')],
                                     stdin=subprocess.DEVNULL, stdout=self._err, stderr=self._err)
        ctx = client_context()

        def ready():
            if self.proc.poll() is not None:
                return 'dead'
            try:
                raw = socket.create_connection(('127.0.0.1', self.port), timeout=0.5)
            except OSError:
                return False
            try:
                with ctx.wrap_socket(raw, server_hostname='origin.test') as s:
                    # the certificate must be ours (not another process that took the port)
                    return cert_cn(s.getpeercert(binary_form=True)) == 'origin.test'
            except (OSError, ssl.SSLError):
                # a client-certificate-requiring origin may refuse us: the handshake began,
                # so nginx is listening
                return self.verify_client == 'on'
        r = wait_until(ready, self.ready_timeout)
        if r is True:
            return True
        self._kill()
        if r == 'dead' and 'Address already in use' in self.error_log():
            return False
        raise RuntimeError(f'nginx not ready ({r}):\n{self.error_log()}')

    def error_log(self):
        try:
            with open(os.path.join(self.dir, 'error.log')) as f:
                return f.read()
        except OSError:
            return ''

    def access_log(self):
        """[(sni, host, reused, protocol, alpn, client_verify, client_dn, uri), ...]"""
        try:
            with open(os.path.join(self.dir, 'access.log')) as f:
                return [tuple(l.rstrip('\n').split('|')) for l in f if l.strip()]
        except OSError:
            return []

    def wait_access(self, n, timeout=5.0):
        wait_until(lambda: len(self.access_log()) >= n, timeout)
        return self.access_log()

    def _kill(self):
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, _signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, _signal.SIGKILL)
                self.proc.wait(5)
        if getattr(self, '_err', None) and not self._err.closed:
            self._err.close()

    def stop(self):
        self._kill()
        shutil.rmtree(self.dir, True)


# ---- log lines ------------------------------------------------------------------------------
class LogReceiver:
    """The harness' syslog receiver, with the messages in arrival order and a deadline wait."""

    def __init__(self):
        from .syslog import SyslogReceiver
        self._r = SyslogReceiver()
        self.port = self._r.port

    @property
    def lines(self):
        with self._r.lock:
            return [m for _, m in self._r.records]

    def wait_for(self, pred, n=1, timeout=10.0):
        """The first n lines satisfying pred; raises AssertionError after the deadline."""
        deadline = time.monotonic() + timeout
        while True:
            got = [l for l in self.lines if pred(l)]
            if len(got) >= n:
                return got[:n]
            if time.monotonic() > deadline:
                raise AssertionError(f'{len(got)} of {n} log lines within {timeout}s: {got!r}\n'
                                     f'all: {self.lines!r}')
            time.sleep(0.02)

    def close(self):
        self._r.close()


# the connection-level line HAProxy 2.6 logs when a TLS handshake fails on a bind:
# '127.0.0.1:41414 [07/Dec/2026:01:28:40.777] fe/1: SSL handshake failure'
# (fe = frontend name, 1 = the listener's id, i.e. its bind line rank in the frontend)
CONN_ERROR_LINE = re.compile(
    r'(?P<ip>[0-9.]+):(?P<port>\d+) \[(?P<date>\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d\.\d{3})\] '
    r'(?P<fe>[^/ ]+)/(?P<lid>\d+): (?P<msg>.+)')


def client_hello(sni=None, alpn=None):
    """The bytes of a TLS ClientHello (the first flight of Python's ssl client)."""
    ctx = client_context(alpn=alpn)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_hostname=sni)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()
