"""hatop (the curses HAProxy monitor) on the admin socket, driven inside a private tmux server:
its screen must list the backends and servers, and its hotkeys (F10 disable server, F9 enable
server, F7 weight +1, F4 reset weight) must change the server as `show stat` then reports.
hatop talks to the socket in `prompt` mode and sends `set timeout cli`, `show info`, `show stat`."""

import os
import re
import shutil
import subprocess
import time
import unittest

from harness import ProxyTestCase, DEFAULTS, wait_until, IDENTITY
from harness.cli import cli

HATOP = shutil.which('hatop')
TMUX = shutil.which('tmux')
SGR = re.compile(r'\x1b\[([0-9;]*)m')




def server_stat(path, px, sv):
    lines = cli(path, 'show stat').split('\n')
    cols = lines[0][2:].split(',')
    for l in lines[1:]:
        v = l.split(',')
        if v[:2] == [px, sv]:
            return dict(zip(cols, v))
    return None


@unittest.skipUnless(HATOP and TMUX, 'hatop and tmux are needed (scripts/bootstrap installs them)')
class HatopTest(ProxyTestCase):
    def setUp(self):
        self.s1, self.s2, self.s3 = self.origin('s1'), self.origin('s2'), self.origin('s3')
        d = self.tmpdir()
        self.sock = os.path.join(d, 'admin.sock')
        fe = self.listener()
        cfg = f"""
global
    stats socket {self.sock} level admin
{DEFAULTS}
frontend fe
    bind {fe.bind}
    default_backend be

backend be
    balance roundrobin
    server s1 {self.s1.addr} weight 2
    server s2 {self.s2.addr}

backend other
    server s3 {self.s3.addr}
"""
        self.proxy(cfg, [fe])
        self.assertTrue(wait_until(lambda: os.path.exists(self.sock), 5))
        # A tmux server of our own (its own socket), so nothing else's sessions are touched.
        self.tmux_sock = os.path.join(d, 'tmux.sock')
        env = dict(os.environ, TERM='xterm')
        subprocess.run(self.tmux('new-session', '-d', '-s', 'hatop', '-x', '200', '-y', '50',
                                 f'{HATOP} -s {self.sock}'), check=True, env=env)
        self.addCleanup(subprocess.run, self.tmux('kill-server'), stderr=subprocess.DEVNULL)

    def tmux(self, *args):
        return [TMUX, '-S', self.tmux_sock] + list(args)

    def pane(self, escapes=False):
        args = ['capture-pane', '-p', '-t', 'hatop'] + (['-e'] if escapes else [])
        return subprocess.run(self.tmux(*args), capture_output=True, text=True).stdout

    def keys(self, *keys):
        subprocess.run(self.tmux('send-keys', '-t', 'hatop', *keys), check=True)

    def selected(self):
        """First word of the service line under hatop's cursor (drawn in reverse video)."""
        rev, body = False, False
        for line in self.pane(escapes=True).split('\n'):
            first, text, i = None, '', 0
            while i < len(line):
                m = SGR.match(line, i)
                if m:
                    for p in (m.group(1) or '0').split(';'):
                        if p in ('', '0', '27'):
                            rev = False
                        elif p == '7':
                            rev = True
                    i = m.end()
                    continue
                if first is None and not line[i].isspace():
                    first = rev
                text += line[i]
                i += 1
            if text.startswith('NAME '):
                body = True
                continue
            if body and first and not text.lstrip().startswith('1-STATUS'):
                return text.split()[0]
        return None

    def select(self, name, presses=20):
        for _ in range(presses):
            if self.selected() == name:
                return True
            before = self.pane(escapes=True)
            self.keys('Down')
            wait_until(lambda: self.pane(escapes=True) != before, 1)
        return self.selected() == name

    def wait_screen(self):
        def shown():
            p = self.pane()
            return ('>>> be' in p and '>>> other' in p and re.search(r'(?m)^s1 ', p)
                    and re.search(r'(?m)^s2 ', p) and re.search(r'(?m)^s3 ', p))
        self.assertTrue(wait_until(shown, 10), self.pane())

    def test_screen_lists_backends_and_servers(self):
        self.wait_screen()
        p = self.pane()
        self.assertIn(f"{IDENTITY['name']} Version: {IDENTITY['version']}", p)
        self.assertIn('>>> fe', p)
        self.assertRegex(p, r'(?m)^FRONTEND +0 OPEN')
        self.assertRegex(p, r'(?m)^s1 +2 ')   # name, weight
        self.assertRegex(p, r'(?m)^s2 +1 ')

    def test_hotkeys_disable_enable_and_weight(self):
        self.wait_screen()
        self.assertTrue(self.select('s1'), self.pane())
        self.keys('F10')   # disable server on this backend
        self.assertTrue(wait_until(lambda: server_stat(self.sock, 'be', 's1')['status'] == 'MAINT', 5))
        self.assertTrue(wait_until(lambda: re.search(r'(?m)^s1 +\d+ MAINT', self.pane()), 5), self.pane())
        self.keys('F9')    # enable it again
        self.assertTrue(wait_until(lambda: server_stat(self.sock, 'be', 's1')['status'] != 'MAINT', 5))
        self.keys('F7')    # weight + 1
        self.assertTrue(wait_until(lambda: cli(self.sock, 'get weight be/s1') == '3 (initial 2)\n\n', 5))
        self.keys('F4')    # back to the configured weight (100%)
        self.assertTrue(wait_until(lambda: cli(self.sock, 'get weight be/s1') == '2 (initial 2)\n\n', 5))


if __name__ == '__main__':
    unittest.main()
