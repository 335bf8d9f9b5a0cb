"""The master CLI (-W -S <socket>): `help`, `show proc`, `show version`, levels, `prompt`,
`@<n>` / `@!<pid>` / `@master` routing to a worker's CLI, `reload`.

Differential: the same sessions (sent as socat sends them: the input, then a half-close) go to
the binary under test and, when it is not haproxy and haproxy is installed, to haproxy 2.6; the
answers must be equal once pids, uptimes, versions and the program's name are masked."""

import os
import re
import signal
import socket
import time
import unittest

from harness import ProxyTestCase, IS_HAPROXY, HAPROXY_BIN, PROXY_BIN, wait_until
from harness.proxy import haproxy_available
from test_master_worker import children, wait_settled


def session(path, text, timeout=5):
    """Sends `text`, half-closes, returns everything read until the master closes."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    s.sendall(text.encode())
    s.shutdown(socket.SHUT_WR)
    out = b''
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        b = s.recv(65536)
        if not b:
            break
        out += b
    s.close()
    return out.decode()


def can_connect(path):
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(path)
        return True
    except OSError:
        return False


CASES = [
    'help\n',
    'show proc\n',
    'show version\n',
    'show cli level\n',
    '@1 show cli level\n',
    '@!{worker} show cli level\n',
    '@5 show cli level\n',
    '@!99999 show version\n',
    '@master show cli level\n',
    'operator\nshow cli level\n',
    'user\nshow cli level\n',
    'prompt\n',
    'prompt\nshow cli level\nquit\n',
    'prompt\noperator\nshow cli level\n',
    'prompt\n@1 show cli level\n',
    'show cli level; show version\n',
    'foo\n',
    'show foo\n',
    'show cli sockets\n',
]


class MasterCliTest(ProxyTestCase):
    def start(self, binary):
        fe = self.listener()
        d = self.tmpdir()
        sock = os.path.join(d, 'master.sock')
        cfg = f"""
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind {fe.bind}
    http-request return status 200 content-type text/plain string one
"""
        p = self.proxy(cfg, [fe], binary=binary, args=['-W', '-S', f'{sock},mode,600'])
        self.addCleanup(self.reap, p.pid)
        self.assertTrue(wait_settled(p, 1), p.stderr())
        self.assertTrue(wait_until(lambda: len(children(p.pid)) == 1, 5))
        self.assertTrue(wait_until(lambda: can_connect(sock), 5))
        self.assertEqual(os.stat(sock).st_mode & 0o777, 0o600)
        return p, sock

    def reap(self, master):
        for pid in children(master):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def masked(self, p, sock, text):
        version = session(sock, 'show version\n').split('\n')[0]
        pids = [p.pid] + children(p.pid)
        text = text.replace(version, '<version>')
        for pid in pids:
            text = re.sub(rf'\b{pid}\b', '<pid>', text)
        text = re.sub(r'\d+d\d\dh\d\dm\d\ds', '<uptime>', text)
        text = re.sub(r'(?i)haproxy|portero', '<name>', text)
        # columns are padded to 15 characters; pids and versions differ in length
        return '\n'.join(re.sub(r' {2,}', '  ', line).rstrip() for line in text.split('\n'))

    def run_cases(self, binary):
        p, sock = self.start(binary)
        worker = children(p.pid)[0]
        out = {}
        for case in CASES:
            out[case] = self.masked(p, sock, session(sock, case.format(worker=worker)))
        # a reload from the CLI: the master counts it, the worker is a new one
        self.assertEqual(session(sock, 'reload\n'), '')
        self.assertTrue(wait_settled(p, 2), p.stderr())
        self.assertTrue(wait_until(lambda: len(children(p.pid)) == 1 and children(p.pid)[0] != worker, 10))
        # haproxy's master re-binds its CLI socket after its re-exec (portero's keeps it)
        self.assertTrue(wait_until(lambda: can_connect(sock), 5))
        out['reload; show proc'] = self.masked(p, sock, session(sock, 'show proc\n'))
        return out

    def test_master_cli_answers_as_haproxy(self):
        mine = self.run_cases(PROXY_BIN)
        # what a user sees, whichever binary runs
        self.assertRegex(mine['show proc\n'],
                         r'^#<PID> +<type> +<reloads> +<uptime> +<version>\n<pid> +master +0 \[failed: 0\] +<uptime> +<version>\n'
                         r'# workers\n<pid> +worker +0 +<uptime> +<version>\n# programs\n\n$')
        self.assertRegex(mine['reload; show proc'], r'<pid> +master +1 \[failed: 0\]')
        self.assertEqual(mine['@1 show cli level\n'], 'admin\n\n')
        self.assertEqual(mine['@!{worker} show cli level\n'], 'admin\n\n')
        self.assertEqual(mine['@5 show cli level\n'], "Can't find the target PID matching the prefix '@5'\n")
        self.assertEqual(mine['operator\nshow cli level\n'], 'operator\n\n')
        self.assertEqual(mine['prompt\nshow cli level\nquit\n'], 'master> admin\n\nmaster> master>')  # (masked: lines right-trimmed)
        self.assertTrue(mine['help\n'].startswith('The following commands are valid at this level:\n'))
        if IS_HAPROXY or not haproxy_available():
            return
        ref = self.run_cases(HAPROXY_BIN)
        for case in list(CASES) + ['reload; show proc']:
            self.assertEqual(mine[case], ref[case], f'case {case!r}')

    @unittest.skipIf(IS_HAPROXY, "haproxy's master closes its CLI socket while it re-executes")
    def test_master_cli_socket_stays_across_reloads(self):
        p, sock = self.start(PROXY_BIN)
        for n in range(2, 5):
            p.signal(signal.SIGUSR2)
            self.assertTrue(wait_settled(p, n), p.stderr())
            # portero's master keeps its CLI socket across the re-exec: never refused
            self.assertIn('master', session(sock, 'show proc\n'))
        self.assertRegex(session(sock, 'show proc\n'), rf'\b{p.pid}\b +master +3 \[failed: 0\]')


if __name__ == '__main__':
    unittest.main()
