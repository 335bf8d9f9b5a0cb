"""Master-worker mode (-W, -Ws, global `master-worker`): the master forks a worker, writes its
own pid in the pidfile, reloads on SIGUSR2 (new configuration served, no refused connection,
old worker gone; a broken configuration keeps the old worker), reports to systemd over
$NOTIFY_SOCKET with -Ws, stops everything on SIGTERM and exits when its worker crashes.

The frontends bind a fixed free port (a reload binds it again next to the old worker)."""

from harness.util import children
import os
import re
import signal
import socket
import threading
import time
import unittest

from harness import ProxyTestCase, Client, IS_HAPROXY, free_port, wait_until


def cfg_fixed(port, text, glob=''):
    return f"""
global
{glob}
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind 127.0.0.1:{port}
    http-request return status 200 content-type text/plain string {text}
"""


def get(port):
    with Client(port, timeout=5) as c:
        r = c.request('GET', '/')
        return r.body.decode()


def try_get(port):
    try:
        return get(port)
    except Exception as e:  # noqa: BLE001
        return f'error: {e!r}'


def read_file(path, mode='r'):
    try:
        with open(path, mode) as f:
            return f.read()
    except OSError:
        return ''


def pid_alive(pid):
    try:
        with open(f'/proc/{pid}/stat') as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(')') + 2:].split()[0] != 'Z'


def loads(p):
    """The master's 'Loading success.' / 'Loading failure!' lines."""
    return [l for l in p.stderr().splitlines() if 'Loading success.' in l or 'Loading failure!' in l]


def haproxy_waits_for_signals(pid, n):
    """HAProxy 2.6's master re-executes itself after each load ('wait mode'); a signal sent
    before the new image installed its handlers is lost, or kills it. Settled: the image in
    wait mode after load n (its HAPROXY_PROCESSES counts n - 1 reloads) catches the signals."""
    env = read_file(f'/proc/{pid}/environ', 'rb').decode('utf-8', 'replace').split('\0')
    if 'HAPROXY_MWORKER_WAIT_ONLY=1' not in env:
        return False
    procs = next((e for e in env if e.startswith('HAPROXY_PROCESSES=')), '')
    m = re.search(r'\|type=m;[^|]*?;reloads=(\d+)', procs)
    if not m or int(m.group(1)) != n - 1:
        return False
    caught = re.search(r'^SigCgt:\s*([0-9a-f]+)', read_file(f'/proc/{pid}/status'), re.M)
    mask = int(caught.group(1), 16) if caught else 0
    return all(mask & (1 << (sig - 1)) for sig in (signal.SIGUSR2, signal.SIGTERM, signal.SIGINT))


def wait_settled(p, n, timeout=10):
    """Waits until the master has reported n loads and takes signals again (portero's master
    keeps its signals blocked across its re-exec: none is lost)."""
    def settled():
        if len(loads(p)) < n:
            return False
        return haproxy_waits_for_signals(p.pid, n) if IS_HAPROXY else True
    return wait_until(settled, timeout)


class Hammer(threading.Thread):
    """A client opening new connections in a loop (bounded by a deadline)."""

    def __init__(self, port, limit=30):
        super().__init__(daemon=True)
        self.port, self.limit = port, limit
        self.results = []
        self.stop = threading.Event()
        self.start()

    def run(self):
        deadline = time.monotonic() + self.limit
        while not self.stop.is_set() and time.monotonic() < deadline:
            self.results.append(try_get(self.port))

    def finish(self):
        self.stop.set()
        self.join(10)
        return self.results


class MasterWorkerTest(ProxyTestCase):
    def start(self, port, text='one', args=('-W',), glob='', **kw):
        p = self.proxy(cfg_fixed(port, text, glob), args=list(args), **kw)
        self.addCleanup(self.reap, p.pid)
        return p

    def reap(self, master):
        # safety net: a test that failed half-way leaves no worker behind (by pid)
        for pid in children(master):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def rewrite(self, p, old, new):
        with open(p.cfg_path) as f:
            text = f.read()
        with open(p.cfg_path, 'w') as f:
            f.write(text.replace(old, new))

    def assertStopsCleanly(self, p, port, workers):
        p.signal(signal.SIGTERM)
        self.assertEqual(p.wait(10), 0, p.stderr())
        self.assertTrue(wait_until(lambda: not any(pid_alive(w) for w in workers), 5))
        self.assertTrue(wait_until(lambda: try_get(port).startswith('error'), 5))
        self.assertIn('Exiting Master process...', p.stderr())
        self.assertRegex(p.stderr(), r'All workers exited\. Exiting\.\.\. \(0\)')

    def test_master_forks_worker_writes_pidfile_and_stops_on_sigterm(self):
        port = free_port()
        d = self.tmpdir()
        pidfile = os.path.join(d, 'proxy.pid')
        p = self.start(port, args=['-W', '-p', pidfile])
        self.assertEqual(get(port), 'one')
        self.assertTrue(wait_settled(p, 1), p.stderr())
        workers = children(p.pid)
        self.assertEqual(len(workers), 1, workers)
        # in master-worker mode the pidfile holds the master's pid only (even with -db)
        with open(pidfile) as f:
            self.assertEqual(f.read(), f'{p.pid}\n')
        self.assertRegex(p.stderr(), rf'\[NOTICE\] +\({p.pid}\) : New worker \({workers[0]}\) forked')
        self.assertStopsCleanly(p, port, workers)
        self.assertRegex(p.stderr(), rf'Current worker \({workers[0]}\) exited with code 143 \(Terminated\)')

    def test_global_master_worker_keyword(self):
        port = free_port()
        p = self.start(port, args=[], glob='    master-worker')
        self.assertEqual(get(port), 'one')
        self.assertTrue(wait_settled(p, 1), p.stderr())
        workers = children(p.pid)
        self.assertEqual(len(workers), 1, workers)
        self.assertStopsCleanly(p, port, workers)

    def test_sigusr2_reload_serves_new_config_without_refused_connections(self):
        port = free_port()
        p = self.start(port)
        self.assertEqual(get(port), 'one')
        self.assertTrue(wait_settled(p, 1), p.stderr())
        old = children(p.pid)
        self.assertEqual(len(old), 1)
        h = Hammer(port)
        self.assertTrue(wait_until(lambda: len(h.results) >= 20, 5))
        self.rewrite(p, 'string one', 'string two')
        p.signal(signal.SIGUSR2)
        self.assertTrue(wait_until(lambda: h.results and h.results[-1] == 'two', 10), p.stderr())
        # the old worker finishes and goes; the master stays with the new one
        self.assertTrue(wait_until(lambda: not pid_alive(old[0]), 10), p.stderr())
        n = len(h.results)
        self.assertTrue(wait_until(lambda: len(h.results) >= n + 50, 10))
        results = h.finish()
        errors = [r for r in results if r.startswith('error')]
        self.assertEqual(errors, [], f'{len(errors)} failed requests during the reload')
        self.assertEqual(results[0], 'one')
        self.assertEqual(set(results[n:]), {'two'})
        self.assertTrue(p.alive())
        self.assertTrue(wait_settled(p, 2), p.stderr())
        new = children(p.pid)
        self.assertEqual(len(new), 1, new)
        self.assertNotEqual(new, old)
        self.assertRegex(p.stderr(), r'Reloading ')
        self.assertRegex(p.stderr(), rf'New worker \({new[0]}\) forked')
        self.assertTrue(wait_until(
            lambda: re.search(rf'Former worker \({old[0]}\) exited with code 0 \(Exit\)', p.stderr()), 5),
            p.stderr())
        self.assertStopsCleanly(p, port, new)

    def test_broken_config_on_reload_keeps_the_old_worker(self):
        port = free_port()
        p = self.start(port)
        self.assertEqual(get(port), 'one')
        self.assertTrue(wait_settled(p, 1), p.stderr())
        old = children(p.pid)
        self.rewrite(p, 'string one', 'string two\n    no-such-keyword here')
        p.signal(signal.SIGUSR2)
        self.assertTrue(wait_settled(p, 2), p.stderr())
        self.assertIn('Loading failure!', loads(p)[1])
        self.assertRegex(p.stderr(), r"\[ALERT\] .*unknown keyword 'no-such-keyword'")
        self.assertTrue(p.alive())
        self.assertEqual(children(p.pid), old)
        for _ in range(5):
            self.assertEqual(get(port), 'one')
        # the master still reloads once the configuration is fixed
        self.rewrite(p, '\n    no-such-keyword here', '')
        p.signal(signal.SIGUSR2)
        self.assertTrue(wait_until(lambda: try_get(port) == 'two', 10), p.stderr())
        self.assertTrue(wait_settled(p, 3), p.stderr())
        self.assertIn('Loading success.', loads(p)[2])
        self.assertTrue(wait_until(lambda: not pid_alive(old[0]), 10), p.stderr())
        self.assertStopsCleanly(p, port, children(p.pid))

    def test_ws_notifies_systemd(self):
        port = free_port()
        d = self.tmpdir()
        path = os.path.join(d, 'notify.sock')
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(sock.close)
        sock.bind(path)
        env = dict(os.environ, NOTIFY_SOCKET=path)
        p = self.start(port, args=['-Ws'], env=env)
        seen = []

        def wait_for(what, timeout=10):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                sock.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    msg = sock.recv(4096).decode()
                except socket.timeout:
                    break
                seen.append(msg)
                if what in msg.split('\n'):
                    return msg
            self.fail(f'no {what!r} from the master; got {seen}\n{p.stderr()}')

        ready = wait_for('READY=1')
        self.assertIn(f'MAINPID={p.pid}', ready.split('\n'))
        self.assertEqual(get(port), 'one')
        self.assertTrue(wait_settled(p, 1), p.stderr())
        self.rewrite(p, 'string one', 'string two')
        p.signal(signal.SIGUSR2)
        wait_for('RELOADING=1')
        wait_for('READY=1')
        self.assertTrue(wait_until(lambda: try_get(port) == 'two', 10), p.stderr())
        self.assertTrue(wait_settled(p, 2), p.stderr())
        # a failed reload ends with READY=1 too (systemd leaves the 'reloading' state)
        self.rewrite(p, 'string two', 'string three\n    no-such-keyword here')
        p.signal(signal.SIGUSR2)
        wait_for('RELOADING=1')
        wait_for('READY=1')
        self.assertTrue(wait_settled(p, 3), p.stderr())
        self.assertEqual(get(port), 'two')
        workers = children(p.pid)
        p.signal(signal.SIGTERM)
        wait_for('STOPPING=1')
        self.assertEqual(p.wait(10), 0, p.stderr())
        self.assertTrue(wait_until(lambda: not any(pid_alive(w) for w in workers), 5))

    def test_worker_crash_stops_the_master(self):
        port = free_port()
        p = self.start(port)
        self.assertEqual(get(port), 'one')
        self.assertTrue(wait_settled(p, 1), p.stderr())
        (worker,) = children(p.pid)
        os.kill(worker, signal.SIGKILL)
        self.assertEqual(p.wait(10), 137, p.stderr())
        err = p.stderr()
        self.assertRegex(err, rf'\[ALERT\] +\({p.pid}\) : Current worker \({worker}\) exited with code 137 \(Killed\)')
        self.assertRegex(err, r'exit-on-failure: killing every processes with SIGTERM')
        self.assertRegex(err, r'All workers exited\. Exiting\.\.\. \(137\)')

    def test_sigint_exit_status(self):
        port = free_port()
        p = self.start(port)
        self.assertEqual(get(port), 'one')
        self.assertTrue(wait_settled(p, 1), p.stderr())
        (worker,) = children(p.pid)
        p.signal(signal.SIGINT)
        self.assertEqual(p.wait(10), 130, p.stderr())
        self.assertRegex(p.stderr(), rf'Current worker \({worker}\) exited with code 130 \(Interrupt\)')
        self.assertFalse(pid_alive(worker))

    def test_daemon_pidfile_holds_the_master(self):
        port = free_port()
        d = self.tmpdir()
        pidfile = os.path.join(d, 'proxy.pid')
        p = self.start(port, args=['-W', '-D', '-p', pidfile], foreground=None, ready=None)
        self.assertEqual(p.wait(10), 0, p.stderr())
        self.assertTrue(wait_until(lambda: read_file(pidfile).endswith('\n'), 10))
        lines = read_file(pidfile).split()
        self.assertEqual(len(lines), 1, lines)
        master = int(lines[0])
        self.addCleanup(self.reap, master)
        self.addCleanup(lambda: pid_alive(master) and os.kill(master, signal.SIGKILL))
        self.assertTrue(wait_until(lambda: try_get(port) == 'one', 10))
        workers = children(master)
        self.assertEqual(len(workers), 1, workers)
        os.kill(master, signal.SIGTERM)
        self.assertTrue(wait_until(lambda: not pid_alive(master), 10))
        self.assertTrue(wait_until(lambda: not any(pid_alive(w) for w in workers), 5))


if __name__ == '__main__':
    unittest.main()
