"""Command line and process: -v banner, -p pidfile, -D daemon, nbthread 2 and its default, -f repeated and
-f directory, no argument."""

import os
import re
import signal
import subprocess
import time
import unittest

from harness import ProxyTestCase, Client, IS_HAPROXY, PROXY_BIN, DEFAULTS, wait_until
from harness.cli import cli
from harness.proxy import is_pid_alive, Listener, PROBE_SECTION


class ProcessTest(ProxyTestCase):
    def test_version_banner(self):
        p = subprocess.run([PROXY_BIN, '-v'], capture_output=True, timeout=10,
                           stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 0)
        first = p.stdout.decode().splitlines()[0]
        # HAProxy: "HAProxy version 2.6.12-1+deb12u4 2026/10/17 - https://haproxy.org/";
        # portero deliberately names itself: "portero version X ..."
        self.assertRegex(first, r'^(HAProxy|portero) version \S+ ')
        if IS_HAPROXY:
            self.assertTrue(first.startswith('HAProxy version 2.6'))

    def test_vv_lists_build_options(self):
        p = subprocess.run([PROXY_BIN, '-vv'], capture_output=True, timeout=10,
                           stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 0)
        out = p.stdout.decode()
        self.assertRegex(out.splitlines()[0], r'^(HAProxy|portero) version \S+ ')
        self.assertIn('OpenSSL', out)
        self.assertGreater(len(out.splitlines()), 5)

    def test_pidfile_not_written_in_foreground(self):
        # HAProxy 2.6 writes the -p / `pidfile` file only in daemon (-D) or master-worker mode
        o = self.origin('s1')
        d = self.tmpdir()
        pidfile = os.path.join(d, 'p.pid')
        p, fe = self.simple([o], args=['-p', pidfile])
        with Client(fe.port) as c:  # fully started and serving
            self.assertEqual(c.request('GET', '/').status, 200)
        self.assertFalse(os.path.exists(pidfile))

    def test_daemon_mode_detaches_and_writes_pidfile(self):
        o = self.origin('s1')
        d = self.tmpdir()
        pidfile = os.path.join(d, 'd.pid')
        fe = self.listener()
        cfg = f"""
{DEFAULTS}
frontend fe
    bind {fe.bind}
    default_backend be
backend be
    server s1 {o.addr}
"""
        p = self.proxy(cfg, [fe], foreground=None, args=['-D', '-p', pidfile], ready=None)
        # whatever happens below, stop the daemon this test started: it is recognised by the
        # unique temporary config path on its command line (then signalled by pid)
        self.addCleanup(self._kill_daemons_of, p.cfg_path)
        # the launching process exits 0 once the daemon is running
        self.assertEqual(p.wait(10), 0, p.stderr())
        def read_pidfile():
            try:
                with open(pidfile) as f:
                    return f.read().strip()
            except OSError:
                return ''
        self.assertTrue(wait_until(read_pidfile, 15), 'no pidfile')
        daemon_pid = int(read_pidfile().split()[0])
        self.addCleanup(self._kill_daemon, daemon_pid)
        self.assertNotEqual(daemon_pid, p.pid)
        self.assertTrue(is_pid_alive(daemon_pid))
        with open(f'/proc/{daemon_pid}/stat') as f:
            ppid = int(f.read().rsplit(')', 1)[1].split()[1])
        self.assertNotEqual(ppid, os.getpid(), 'daemon still a child of the launcher')
        with Client(fe.port) as c:
            self.assertEqual(c.request('GET', '/').body, b's1\n')
        os.kill(daemon_pid, signal.SIGTERM)
        self.assertTrue(wait_until(lambda: not is_pid_alive(daemon_pid), 5))

    @staticmethod
    def _kill_daemons_of(cfg_path):
        me = os.getpid()
        for d in os.listdir('/proc'):
            if not d.isdigit() or int(d) == me:
                continue
            try:
                with open(f'/proc/{d}/cmdline', 'rb') as f:
                    argv = f.read().split(b'\0')
            except OSError:
                continue
            if cfg_path.encode() in argv and b'-D' in argv:
                try:
                    os.kill(int(d), signal.SIGKILL)
                except ProcessLookupError:
                    pass

    @staticmethod
    def _kill_daemon(pid):
        if is_pid_alive(pid):
            os.kill(pid, signal.SIGKILL)

    def test_nbthread_2(self):
        o = self.origin('s1')
        p, fe = self.simple([o], glob='    nbthread 2')
        ps = subprocess.run(['ps', '-L', '-o', 'lwp=', '-p', str(p.pid)], capture_output=True,
                            text=True, timeout=10)
        lwps = ps.stdout.split()
        self.assertGreaterEqual(len(lwps), 2, f'ps -L shows {lwps}')
        if IS_HAPROXY:
            self.assertEqual(len(lwps), 2)
        # many connections, all served
        for i in range(40):
            with Client(fe.port) as c:
                for _ in range(3):
                    r = c.request('GET', f'/t{i}')
                    self.assertEqual(r.status, 200)
        self.assertEqual(o.request_count(), 120)

    def _nbthread_shown(self, cpus):
        """Starts the proxy (no `nbthread`) restricted to `cpus`; returns its `show info` Nbthread."""
        o = self.origin('s1')
        sock = os.path.join(self.tmpdir(), 'admin.sock')
        saved = os.sched_getaffinity(0)
        os.sched_setaffinity(0, cpus)   # the child inherits the affinity set
        try:
            p, fe = self.simple([o], glob=f'    stats socket {sock} level admin')
        finally:
            os.sched_setaffinity(0, saved)
        info = dict(l.split(': ', 1) for l in cli(sock, 'show info').splitlines() if ': ' in l)
        with Client(fe.port) as c:
            self.assertEqual(c.request('GET', '/').status, 200)
        p.stop()
        return int(info['Nbthread'])

    def test_default_nbthread_is_one_per_cpu(self):
        # HAProxy 2.6 without `nbthread`: one thread per CPU of its affinity set
        cpus = sorted(os.sched_getaffinity(0))
        self.assertEqual(self._nbthread_shown(set(cpus)), min(len(cpus), 64))
        self.assertEqual(self._nbthread_shown({cpus[0]}), 1)

    def test_cpu_map_pins_threads(self):
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2:
            self.skipTest('cpu-map needs two CPUs to show')
        o = self.origin('s1')
        p, fe = self.simple([o], glob=f'    nbthread 2\n    cpu-map auto:1/1-2 {cpus[0]}-{cpus[1]}')
        with Client(fe.port) as c:
            self.assertEqual(c.request('GET', '/').status, 200)
        want = {str(cpus[0]), str(cpus[1])}

        def pinned():
            seen = set()
            for t in os.listdir(f'/proc/{p.pid}/task'):
                try:
                    with open(f'/proc/{p.pid}/task/{t}/status') as f:
                        seen.add(re.search(r'^Cpus_allowed_list:\s*(\S+)', f.read(), re.M).group(1))
                except FileNotFoundError:
                    pass   # a short-lived helper thread ended meanwhile
            return seen
        # one thread on each CPU (portero's main thread, not a worker, keeps the whole set); the
        # second worker may still be starting when the first has served the request
        wait_until(lambda: want <= pinned())
        self.assertLessEqual(want, pinned())

    def test_several_f_and_directory(self):
        o = self.origin('s1')
        d = self.tmpdir()
        fe = self.listener()
        confd = os.path.join(d, 'conf.d')
        os.mkdir(confd)
        # loaded in C-locale name order: 10-... before 20-...; *.cfg only
        with open(os.path.join(confd, '20-backend.cfg'), 'w') as f:
            f.write(f'backend be\n    server s1 {o.addr}\n')
        with open(os.path.join(confd, '10-frontend.cfg'), 'w') as f:
            f.write(f'frontend fe\n    bind {fe.bind}\n    default_backend be\n')
        with open(os.path.join(confd, 'ignored.txt'), 'w') as f:
            f.write('this is not a config\n')
        defaults = os.path.join(d, 'defaults.cfg')
        with open(defaults, 'w') as f:
            f.write(DEFAULTS)
        self.proxy('', [fe], files=[defaults, confd])
        with Client(fe.port) as c:
            self.assertEqual(c.request('GET', '/').body, b's1\n')

    def test_no_argument_prints_usage_and_exits_1(self):
        p = subprocess.run([PROXY_BIN], capture_output=True, timeout=10,
                           stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 1)
        self.assertIn(b'Usage :', p.stderr)


if __name__ == '__main__':
    unittest.main()
