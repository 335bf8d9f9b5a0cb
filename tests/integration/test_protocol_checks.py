"""Protocol health checks (`option httpchk` replies, `option redis-check`, `ssl-hello-chk`,
`smtpchk`, `mysql-check`, `pgsql-check`, `ldap-check`) against fake servers on loopback that
answer correctly and incorrectly. Each scenario runs under portero and, when installed, under haproxy 2.6.12 (the
oracle): the server's state, `show stat`'s check_status / check_code / check_desc / last_chk and
the "Health check for server ..." log line must be the same. Literal expectations (observed
from haproxy) pin the main cases, so PROXY_BIN=/usr/sbin/haproxy checks the test itself."""

import os
import re
import socket
import struct
import subprocess
import threading
import time
import unittest

from harness import ProxyTestCase
from harness.cli import cli
from harness.proxy import HAPROXY_BIN, haproxy_available, run_check
from harness.util import wait_until
from test_checks import Syslog


def recv_until(c, pred, limit=65536):
    """Reads until pred(data), the close or a timeout (what was read is kept)."""
    data = b''
    while not pred(data) and len(data) < limit:
        try:
            d = c.recv(4096)
        except OSError:
            break
        if not d:
            break
        data += d
    return data


class FakeServer:
    """Accepts on loopback; each connection runs `script(conn, server)`; what the script read
    is kept in `received` (one entry per connection)."""

    def __init__(self, script):
        self.script = script
        self.received = []
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        try:
            c.settimeout(3)
            self.script(c, self)
        except OSError:
            pass
        finally:
            c.close()

    def stop(self):
        self.sock.close()


# ---- scripts: what a server does on one connection -------------------------------------------

def answer(reply, until=None):
    """Reads until `until(data)` (or nothing when None), then sends `reply`, then reads to the
    close (so the check's trailing bytes are recorded)."""
    def script(c, srv):
        data = recv_until(c, until) if until else b''
        if reply:
            c.sendall(reply)
        c.settimeout(0.5)
        data += recv_until(c, lambda d: False)
        srv.received.append(data)
    return script


def dialogue(*steps):
    """steps: (until, reply) pairs, in order; reads to the close at the end."""
    def script(c, srv):
        data = b''
        for until, reply in steps:
            if until:
                data += recv_until(c, lambda d, u=until, base=len(data): u(data[base:] + d))
            if reply:
                c.sendall(reply)
        c.settimeout(0.5)
        data += recv_until(c, lambda d: False)
        srv.received.append(data)
    return script


def paced(*parts):
    """Reads the check's request, then sends `parts` as separate TCP writes (Nagle off, a short
    pause between them so that the checker is likely to read them apart; the verdict must be the
    same however the reads fall), then reads to the close."""
    def script(c, srv):
        data = recv_until(c, lambda d: b'\r\n\r\n' in d)
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i, part in enumerate(parts):
            if i:
                time.sleep(0.02)
            c.sendall(part)
        c.settimeout(0.5)
        data += recv_until(c, lambda d: False)
        srv.received.append(data)
    return script


def has(s):
    return lambda d: s in d


def at_least(n):
    return lambda d: len(d) >= n


# ---- replies --------------------------------------------------------------------------------

def mysql_packet(seq, payload):
    return struct.pack('<I', len(payload))[:3] + bytes([seq]) + payload


MYSQL_GREETING = mysql_packet(0, b'\x0a' + b'5.7.42-fake\x00' + struct.pack('<I', 7) + b'abcdefgh\x00' +
                              b'\xff\xf7' + b'\x21' + b'\x02\x00' + b'\xff\x81' + b'\x15' + b'\x00' * 10 +
                              b'ijklmnopqrst\x00' + b'mysql_native_password\x00')
MYSQL_OK = mysql_packet(2, b'\x00\x00\x00\x02\x00\x00\x00')
MYSQL_ERR = mysql_packet(2, b'\xff' + struct.pack('<H', 1045) + b'#28000' +
                         b"Access denied for user 'bob'@'localhost'")
MYSQL_ERR_GREETING = mysql_packet(0, b'\xff' + struct.pack('<H', 1130) +
                                  b"Host '127.0.0.1' is not allowed to connect to this MySQL server")

PG_AUTH_OK = b'R' + struct.pack('>II', 8, 0)
PG_AUTH_MD5 = b'R' + struct.pack('>II', 12, 5) + b'salt'
PG_ERROR = (b'E' + struct.pack('>I', 4 + 60) + b'SFATAL\x00C28000\x00Mno pg_hba.conf entry for host\x00\x00').ljust(65, b'\x00')

# LDAPv3 BindResponse, messageID 1, resultCode `code`
def ldap_bind_response(code, msgid=1):
    body = b'\x0a\x01' + bytes([code]) + b'\x04\x00\x04\x00'
    op = b'\x61' + bytes([len(body)]) + body
    seq = b'\x02\x01' + bytes([msgid]) + op
    return b'\x30' + bytes([len(seq)]) + seq


TLS_SERVER_HELLO = b'\x16\x03\x03\x00\x2a\x02\x00\x00\x26\x03\x03' + b'\x11' * 32 + b'\x00\x00\x2f\x00'
TLS_ALERT = b'\x15\x03\x03\x00\x02\x02\x28'


# ---- one run --------------------------------------------------------------------------------

def stat_row(sock):
    out = cli(sock, 'show stat')
    lines = out.splitlines()
    head = lines[0].lstrip('# ').split(',')
    for line in lines[1:]:
        cells = line.split(',')
        if len(cells) >= 2 and cells[0] == 'b' and cells[1] == 's':
            row = dict(zip(head, cells))
            # '* ' marks a check in progress when the row was read: timing, not a result
            row['check_status'] = row.get('check_status', '').removeprefix('* ')
            return row
    return None


STAT_FIELDS = ('status', 'check_status', 'check_code', 'check_desc', 'last_chk')


class Observed:
    def __init__(self, log, stat, received):
        self.log = log
        self.stat = stat
        self.received = received

    def key(self):
        return (self.log, self.stat)

    def __repr__(self):
        return f'log={self.log!r}\nstat={self.stat!r}'


class ProtocolChecksTest(ProxyTestCase):
    maxDiff = None

    def run_check(self, binary, options, script, extra=''):
        """Starts `binary` with one backend checking a FakeServer running `script`, waits for
        the first check's log line; returns what was seen."""
        log = Syslog()
        self.addCleanup(log.close)
        srv = FakeServer(script)
        self.addCleanup(srv.stop)
        d = self.tmpdir()
        sock = os.path.join(d, 'admin.sock')
        opts = '\n'.join('    ' + o for o in options)
        cfg = f"""
global
    log 127.0.0.1:{log.port} local0
    stats socket {sock} level admin
defaults
    mode tcp
    log global
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    timeout check 1s
backend b
    option log-health-checks
{opts}
    server s 127.0.0.1:{srv.port} check inter 300 rise 1 fall 1 {extra}
"""
        p = self.proxy(cfg, binary=binary)
        _, line = log.wait(r'Health check for server b/s .*', 4.0)
        line = re.sub(r'check duration: \d+ms', 'check duration: Nms', line)
        # The check's result and the server's new state are not published at the same instant
        # (haproxy shows "UP 0/1" for a moment after logging "0/1 DOWN"): wait for the state the
        # log line announces, then compare; after the deadline, what was last seen.
        announced = re.search(r'status: \d+/\d+ (UP|DOWN)', line)
        last = {}

        def settled():
            r = stat_row(sock)
            if not r or r['check_status'] in ('', 'INI', '* INI'):
                return None
            last['row'] = r
            if announced and r['status'].split(' ')[0] in ('UP', 'DOWN') and \
                    r['status'].split(' ')[0] != announced.group(1):
                return None
            return r
        row = wait_until(settled, 3.0) or last.get('row')
        stat = {k: row[k] for k in STAT_FIELDS} if row else None
        wait_until(lambda: srv.received, 2.0)
        p.stop()
        return Observed(line, stat, list(srv.received))

    def scenario(self, options, script, log=None, stat=None, extra=''):
        """Runs under portero and haproxy; both must agree; `log` (a regex, 'check duration'
        already masked) and `stat` (a subset of fields) pin the expectation."""
        got = self.run_check(self.PROXY_BIN, options, script, extra)
        if log is not None:
            self.assertRegex(got.log, '^' + log + '$')
        if stat is not None:
            for k, v in stat.items():
                self.assertEqual(got.stat[k], v, f'{k}: {got}')
        if haproxy_available() and not self.IS_HAPROXY:
            want = self.run_check(HAPROXY_BIN, options, script, extra)
            self.assertEqual(got.key(), want.key(), f'\nportero: {got}\nhaproxy: {want}')
        return got

    # ---- redis-check --------------------------------------------------------------------
    def test_redis_pong(self):
        got = self.scenario(['option redis-check'], answer(b'+PONG\r\n', has(b'PING\r\n')),
                            OK + r'code: 0, info: "Redis server is ok", ' + UP,
                            dict(status='UP', check_status='L7OK', check_code='0', last_chk='Redis server is ok'))
        self.assertEqual(got.received[0], b'*1\r\n$4\r\nPING\r\n')

    def test_redis_error_reply(self):
        self.scenario(['option redis-check'], answer(b'-ERR wrong password\r\n', has(b'PING\r\n')),
                      FAILED + r'Layer7 wrong status, code: 0, info: "-ERR wrong password", ' + DOWN,
                      dict(status='DOWN', check_status='L7STS', check_code='0', last_chk='-ERR wrong password'))

    def test_redis_close_and_silence(self):
        self.scenario(['option redis-check'], answer(b'', has(b'PING\r\n')),
                      FAILED + r'Layer7 wrong status, code: 0, info: "TCPCHK got an empty response at step 2", ' + DOWN)
        self.scenario(['option redis-check'], answer(b'', lambda d: False),
                      FAILED + r'Layer7 timeout, ' + DOWN, dict(check_status='L7TOUT', last_chk=''))

    # ---- ssl-hello-chk ------------------------------------------------------------------
    def test_ssl_hello_handshake_and_alert(self):
        got = self.scenario(['option ssl-hello-chk'], answer(TLS_SERVER_HELLO, at_least(5)),
                            r'Health check for server b/s succeeded, reason: Layer6 check passed, ' + UP,
                            dict(status='UP', check_status='L6OK', check_code='', last_chk=''))
        hello = got.received[0]
        self.assertEqual(len(hello), 126)
        self.assertEqual(hello[:11], b'\x16\x03\x00\x00\x79\x01\x00\x00\x75\x03\x00')
        self.assertLess(abs(struct.unpack('>I', hello[11:15])[0] - time.time()), 60)   # gmt_unix_time
        self.assertEqual(hello[15:46], b'HAPROXYSSLCHK\nHAPROXYSSLCHK\n\x00\x00\x4e')
        self.assertEqual(hello[-2:], b'\x01\x00')
        self.scenario(['option ssl-hello-chk'], answer(TLS_ALERT, at_least(5)),
                      r'Health check for server b/s succeeded, reason: Layer6 check passed, ' + UP)

    def test_ssl_hello_not_tls(self):
        self.scenario(['option ssl-hello-chk'], answer(b'HTTP/1.0 400 Bad request\r\n\r\n', at_least(5)),
                      FAILED + r'Layer6 invalid response, ' + DOWN,
                      dict(status='DOWN', check_status='L6RSP', check_code='', last_chk=''))
        self.scenario(['option ssl-hello-chk'], answer(b'', at_least(5)),
                      FAILED + r'Layer6 invalid response, info: "TCPCHK got an empty response at step 2", ' + DOWN)

    def test_ssl_hello_timeout(self):
        self.scenario(['option ssl-hello-chk'], answer(b'', lambda d: False),
                      FAILED + r'Layer6 timeout, ' + DOWN, dict(check_status='L6TOUT'))

    # ---- smtpchk ------------------------------------------------------------------------
    def test_smtp_ehlo_quit(self):
        got = self.scenario(['option smtpchk EHLO example.org'],
                            dialogue((None, b'220 mail.test ESMTP ready\r\n'),
                                     (has(b'\r\n'), b'250-mail.test hello\r\n250 SIZE 100\r\n'),
                                     (has(b'QUIT'), b'221 2.0.0 bye now\r\n')),
                            OK + r'code: 221, info: "2.0.0 bye now", ' + UP,
                            dict(status='UP', check_status='L7OK', check_code='221', last_chk='2.0.0 bye now'))
        self.assertEqual(got.received[0], b'EHLO example.org\r\nQUIT\r\n')

    def test_smtp_default_helo(self):
        for opt in ('option smtpchk', 'option smtpchk HELO', 'option smtpchk helo x.org'):
            got = self.scenario([opt], dialogue((None, b'220 ready\r\n'), (has(b'\r\n'), b'250 hello\r\n'),
                                                (has(b'QUIT'), b'221 bye\r\n')),
                                OK + r'code: 221, info: "bye", ' + UP)
            self.assertEqual(got.received[0], b'HELO localhost\r\nQUIT\r\n')

    def test_smtp_bad_banner(self):
        self.scenario(['option smtpchk'], dialogue((None, b'554 go away\r\n')),
                      FAILED + r'Layer7 wrong status, code: 554, info: "go away", ' + DOWN,
                      dict(status='DOWN', check_status='L7STS', check_code='554', last_chk='go away'))
        self.scenario(['option smtpchk'], dialogue((None, b'hello there\r\n')),
                      FAILED + r'Layer7 invalid response, info: "hello there", ' + DOWN,
                      dict(check_status='L7RSP', check_code=''))
        self.scenario(['option smtpchk'], answer(b''),
                      FAILED + r'Layer7 invalid response, info: "TCPCHK got an empty response at step 2", ' + DOWN)

    def test_smtp_refused_helo_and_quit(self):
        self.scenario(['option smtpchk'], dialogue((None, b'220 ready\r\n'), (has(b'\r\n'), b'501 bad helo\r\n')),
                      FAILED + r'Layer7 wrong status, code: 501, info: "bad helo", ' + DOWN)
        self.scenario(['option smtpchk'], dialogue((None, b'220 ready\r\n'), (has(b'\r\n'), b'250 hello\r\n'),
                                                   (has(b'QUIT'), b'500 what\r\n')),
                      FAILED + r'Layer7 wrong status, code: 500, info: "what", ' + DOWN)

    def test_smtp_timeout(self):
        self.scenario(['option smtpchk'], answer(b'', lambda d: False), FAILED + r'Layer7 timeout, ' + DOWN)

    # ---- mysql-check --------------------------------------------------------------------
    def test_mysql_greeting(self):
        # the version is logged but, as haproxy, not kept in last_chk
        self.scenario(['option mysql-check'], answer(MYSQL_GREETING),
                      OK + r'code: 0, info: "5.7.42-fake", ' + UP,
                      dict(status='UP', check_status='L7OK', check_code='0', last_chk=''))

    def test_mysql_error_and_junk(self):
        self.scenario(['option mysql-check'], answer(MYSQL_ERR_GREETING),
                      FAILED + r"Layer7 wrong status, code: 1130, info: \"Host '127.0.0.1' is not allowed to "
                               r'connect to this MySQL server", ' + DOWN,
                      dict(check_status='L7STS', check_code='1130'))
        for junk in (b'hello\r\n', b'\x05\x00\x00', MYSQL_GREETING[:20]):
            self.scenario(['option mysql-check'], answer(junk), FAILED + r'Layer7 invalid response, ' + DOWN,
                          dict(check_status='L7RSP', last_chk=''))
        self.scenario(['option mysql-check'], answer(b''),
                      FAILED + r'Layer7 invalid response, info: "TCPCHK got an empty response at step 2", ' + DOWN)

    def test_mysql_login(self):
        got = self.scenario(['option mysql-check user bob'], dialogue((None, MYSQL_GREETING), (at_least(4), MYSQL_OK)),
                            OK + r'code: 0, info: "5.7.42-fake", ' + UP)
        self.assertEqual(got.received[0], b'%\x00\x00\x01\x00\x82\x00\x00\x00\x80\x00\x01\x21' + b'\x00' * 23 +
                         b'bob\x00\x00' + b'\x01\x00\x00\x00\x01')
        self.scenario(['option mysql-check user bob post-41'], dialogue((None, MYSQL_GREETING), (at_least(4), MYSQL_ERR)),
                      FAILED + r"Layer7 wrong status, code: 1045, info: \"#28000Access denied for user "
                               r"'bob'@'localhost'\", " + DOWN)
        got = self.scenario(['option mysql-check user bob pre-41'],
                            dialogue((None, MYSQL_GREETING), (at_least(4), MYSQL_OK)),
                            OK + r'code: 0, info: "5.7.42-fake", ' + UP)
        self.assertEqual(got.received[0], b'\x0a\x00\x00\x01\x00\x80\x00\x00\x01bob\x00\x00\x01\x00\x00\x00\x01')

    # ---- pgsql-check --------------------------------------------------------------------
    def test_pgsql(self):
        got = self.scenario(['option pgsql-check user bob'], answer(PG_AUTH_OK, at_least(8)),
                            OK + r'code: 0, info: "PostgreSQL server is ok", ' + UP,
                            dict(status='UP', check_status='L7OK', last_chk='PostgreSQL server is ok'))
        self.assertEqual(got.received[0], b'\x00\x00\x00\x12\x00\x03\x00\x00user\x00bob\x00\x00')
        self.scenario(['option pgsql-check user bob'], answer(PG_AUTH_MD5, at_least(8)),
                      OK + r'code: 0, info: "PostgreSQL server is ok", ' + UP)

    def test_pgsql_errors(self):
        self.scenario(['option pgsql-check user bob'], answer(PG_ERROR, at_least(8)),
                      FAILED + r'Layer7 invalid response, info: "FATAL", ' + DOWN)
        self.scenario(['option pgsql-check user bob'], answer(b'HTTP/1.0 200\r\n', at_least(8)),
                      FAILED + r'Layer7 wrong status, code: 0, info: "PostgreSQL unknown error", ' + DOWN)
        self.scenario(['option pgsql-check user bob'], answer(b'', at_least(8)),
                      FAILED + r'Layer7 invalid response, info: "TCPCHK got an empty response at step 3", ' + DOWN)

    # ---- ldap-check ---------------------------------------------------------------------
    def test_ldap(self):
        got = self.scenario(['option ldap-check'], answer(ldap_bind_response(0), at_least(14)),
                            OK + r'code: 0, info: "Success", ' + UP,
                            dict(status='UP', check_status='L7OK', check_code='0', last_chk=''))
        self.assertEqual(got.received[0], b'\x30\x0c\x02\x01\x01\x60\x07\x02\x01\x03\x04\x00\x80\x00')
        # lengths on 4 bytes (Active Directory)
        self.scenario(['option ldap-check'],
                      answer(b'\x30\x84\x00\x00\x00\x10\x02\x01\x01\x61\x84\x00\x00\x00\x07\x0a\x01\x00\x04\x00\x04\x00',
                             at_least(14)),
                      OK + r'code: 0, info: "Success", ' + UP)

    def test_ldap_errors(self):
        self.scenario(['option ldap-check'], answer(ldap_bind_response(49), at_least(14)),
                      FAILED + r'Layer7 wrong status, code: 49, info: '
                               r'"See RFC: http://tools.ietf.org/html/rfc4511#section-4.1.9", ' + DOWN)
        self.scenario(['option ldap-check'], answer(b'hello world\r\n', at_least(14)),
                      FAILED + r'Layer7 invalid response, info: "Not LDAPv3 protocol", ' + DOWN)
        self.scenario(['option ldap-check'], answer(b'\x30\x0c\x02', at_least(14)),
                      FAILED + r'Layer7 invalid response, ' + DOWN)

    # ---- option httpchk: the reply read as HTTP/1 ----------------------------------------
    CHUNKED = (b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n',
               b'5\r\nhello\r\n', b'6\r\n world\r\n', b'0\r\n\r\n')

    def test_httpchk_chunked_body_matched_on_its_content(self):
        # "lo wo" spans the chunk boundary: found in the decoded body
        self.scenario(['option httpchk GET /', 'http-check expect string lo\\ wo'], paced(*self.CHUNKED),
                      OK + r'code: 200, ' + UP,
                      dict(status='UP', check_status='L7OK', check_code='200'))
        self.scenario(['option httpchk GET /', 'http-check expect rstring ^hello\\ world$'], paced(*self.CHUNKED),
                      OK + r'code: 200, ' + UP)
        # the chunk framing is not part of the content
        self.scenario(['option httpchk GET /', 'http-check expect string 6\\r\\n'], paced(*self.CHUNKED),
                      FAILED + r'Layer7 invalid response, info: "HTTP content check did not match", ' + DOWN,
                      dict(status='DOWN', check_status='L7RSP', last_chk='HTTP content check did not match'))
        # a broken chunk size received with the head makes the reply invalid, even when only the
        # status is checked (once the head is in, neither waits for a body nobody asked for)
        self.scenario(['option httpchk GET /'], paced(self.CHUNKED[0] + b'zz\r\nhello\r\n0\r\n\r\n'),
                      FAILED + r'Layer7 invalid response, ' + DOWN, dict(check_status='L7RSP', last_chk=''))

    def test_httpchk_empty_body(self):
        self.scenario(['option httpchk GET /', 'http-check expect ! string hello'],
                      paced(b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'),
                      FAILED + r'Layer7 invalid response, info: "HTTP content check could not find a response '
                               r'body", ' + DOWN)

    def test_httpchk_head_split_over_writes(self):
        self.scenario(['option httpchk GET /', 'http-check expect hdr name x-a value bc'],
                      paced(b'HTTP/1.1 200 OK\r\nX-', b'A: b', b'c\r\nContent-Length: 0\r', b'\n\r\n'),
                      OK + r'code: 200, ' + UP, dict(status='UP', check_status='L7OK'))
        self.scenario(['option httpchk GET /'],
                      paced(b'HTTP/1.1 5', b'03 Service Unav', b'ailable\r\nContent-', b'Length: 0\r\n\r', b'\n'),
                      FAILED + r'Layer7 wrong status, code: 503, info: "Service Unavailable", ' + DOWN,
                      dict(check_status='L7STS', check_code='503', last_chk='Service Unavailable'))
        # the close before the end of the head: not an HTTP reply
        self.scenario(['option httpchk GET /'], paced(b'HTTP/1.1 200 OK\r\n', b'X-A: b\r\n'),
                      FAILED + r'Layer7 invalid response, ' + DOWN)

    def test_httpchk_bare_lf_reply(self):
        # HAProxy accepts lines ending in LF alone in a check's reply
        self.scenario(['option httpchk GET /', 'http-check expect hdr name x-a value b'],
                      paced(b'HTTP/1.1 200 OK\nX-A: b\nContent-Length: 2\n\nok'),
                      OK + r'code: 200, ' + UP)
        self.scenario(['option httpchk GET /'], paced(b'HTTP/1.1 500 Bad Thing\nContent-Length: 2\n\nok'),
                      FAILED + r'Layer7 wrong status, code: 500, info: "Bad Thing", ' + DOWN)

    # ---- sequences and configuration --------------------------------------------------------
    def test_tcp_check_after_protocol_check(self):
        # `option tcp-check` and rules written after a protocol check replace its sequence
        self.scenario(['option redis-check', 'option tcp-check', 'tcp-check expect string hi'], answer(b'hi\r\n'),
                      OK + r'code: 0, info: "\(tcp-check\)", ' + UP)

    def test_generic_empty_response(self):
        self.scenario(['option tcp-check', 'tcp-check expect string +OK'], answer(b''),
                      FAILED + r'Layer7 invalid response, info: "TCPCHK got an empty response at step 1", ' + DOWN)

    def test_config_errors_as_haproxy(self):
        cases = {
            'option redis-check foo': "'option redis-check' cannot handle unexpected argument 'foo'.",
            'option ssl-hello-chk foo': "'option ssl-hello-chk' cannot handle unexpected argument 'foo'.",
            'option ldap-check foo': "'option ldap-check' cannot handle unexpected argument 'foo'.",
            'option smtpchk EHLO a b': "'option smtpchk' cannot handle unexpected argument 'b'.",
            'option mysql-check user': "'option mysql-check user' expects <username> as argument.",
            'option mysql-check foo': "'option mysql-check' only supports optional values: 'user' (got 'foo').",
            'option mysql-check user bob foo': "keyword 'user' only supports 'post-41' and 'pre-41' (got 'foo').",
            'option mysql-check user bob post-41 x': "'option mysql-check' cannot handle unexpected argument 'x'.",
            'option pgsql-check': "'option pgsql-check' expects 'user <username>' as argument.",
            'option pgsql-check foo': "'option pgsql-check' expects 'user <username>' as argument.",
            'option pgsql-check user bob x': "'option pgsql-check' cannot handle unexpected argument 'x'.",
            'no option redis-check': None,
            'no option smtpchk': None,
        }
        for line, msg in cases.items():
            cfg = ('defaults\n    mode tcp\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n'
                   f'backend b\n    {line}\n    server s 127.0.0.1:1 check\n')
            d = self.tmpdir()
            rc, out, err = run_check(self.PROXY_BIN, cfg, d, name='c.cfg')
            self.assertEqual(rc, 1, f'{line}: {err}')
            if msg is not None:
                self.assertIn(f'parsing [c.cfg:7] : {msg}', err)
            else:
                opt = line.split()[2]
                self.assertIn(f"parsing [c.cfg:7]: negation/default is not supported for option '{opt}'.", err)
            if haproxy_available() and not self.IS_HAPROXY:
                ref = run_check(HAPROXY_BIN, cfg, d, name='c.cfg')
                self.assertEqual(alerts(err), alerts(ref[2]), line)
        # accepted forms, and the options are dropped with a warning in a frontend
        ok = ('defaults\n    mode tcp\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n'
              'frontend f\n    bind 127.0.0.1:1\n    option redis-check\n    option smtpchk\n    default_backend b\n'
              'backend b\n    option smtpchk HELO x\n    option smtpchk FOO bar\n    option mysql-check user bob pre-41\n'
              '    option pgsql-check user bob\n    option ldap-check\n    option ssl-hello-chk\n'
              '    option redis-check\n    server s 127.0.0.1:1 check\n')
        d = self.tmpdir()
        rc, out, err = run_check(self.PROXY_BIN, ok, d, name='c.cfg')
        self.assertEqual(rc, 0, err)
        self.assertIn("parsing [c.cfg:8] : 'redis-check' ignored because frontend 'f' has no backend capability.", err)
        if haproxy_available() and not self.IS_HAPROXY:
            ref = run_check(HAPROXY_BIN, ok, d, name='c.cfg')
            self.assertEqual((rc, alerts(err)), (ref[0], alerts(ref[2])))


def alerts(stderr):
    return [re.sub(r'\(\d+\)', '(PID)', l) for l in stderr.splitlines() if l.startswith(('[ALERT]', '[WARNING]'))]


OK = r'Health check for server b/s succeeded, reason: Layer7 check passed, '
FAILED = r'Health check for server b/s failed, reason: '
UP = r'check duration: Nms, status: 1/1 UP\.'
DOWN = r'check duration: Nms, status: 0/1 DOWN\.'


if __name__ == '__main__':
    unittest.main()
