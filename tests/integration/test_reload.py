"""Reloads that lose nothing: the listening sockets outlive the process that opened them.

- master-worker (-W): the master keeps the sockets and every new worker accepts on them; a
  client opening a new connection per request sees no failure across 50 reloads (SIGUSR2 every
  100 ms), and a bind that left the configuration stops accepting.
- standalone -sf with `-x <stats socket>`: the new process takes the old one's sockets from a
  `stats socket ... expose-fd listeners` (HAProxy's `_getsocks`), so no connection queued on
  the old process's socket is reset.
- soft-stopping workers close idle keep-alive connections and answer a request in flight with
  `Connection: close`.

Every test runs against haproxy 2.6 too (PROXY_BIN=/usr/sbin/haproxy)."""

import os
import signal
import socket
import threading
import time
import unittest

from harness import ProxyTestCase, Client, IS_HAPROXY, free_port, wait_until
from test_master_worker import Hammer, children, pid_alive, loads, wait_settled, try_get


def cfg_reload(port, text, extra='', glob=''):
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
{extra}
"""


def refused(port):
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=2):
            return False
    except ConnectionRefusedError:
        return True


class ReloadTest(ProxyTestCase):
    def start_mw(self, port, text='r0', **kw):
        p = self.proxy(cfg_reload(port, text, **kw), args=['-W'])
        self.addCleanup(self.reap, p.pid)
        return p

    def reap(self, master):
        for pid in children(master):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def write(self, p, text):
        with open(p.cfg_path) as f:
            old = f.read()
        # atomically: a master reloading meanwhile reads the old file or the new one
        tmp = p.cfg_path + '.new'
        with open(tmp, 'w') as f:
            f.write(text + old[old.index('\nfrontend __harness_ready'):])
        os.replace(tmp, p.cfg_path)

    def test_50_reloads_under_load_lose_no_request(self):
        port = free_port()
        p = self.start_mw(port)
        self.assertTrue(wait_settled(p, 1), p.stderr())
        h = Hammer(port, limit=60)
        self.assertTrue(wait_until(lambda: len(h.results) >= 20, 5))
        reloads = 50
        for i in range(1, reloads + 1):
            t0 = time.monotonic()
            self.write(p, cfg_reload(port, f'r{i}'))
            if IS_HAPROXY:
                # haproxy's master loses a signal sent while it re-executes (see
                # test_master_worker.haproxy_waits_for_signals): one reload at a time.
                self.assertTrue(wait_settled(p, i), p.stderr())
            p.signal(signal.SIGUSR2)
            # every 100 ms (portero's master keeps signals pending across its re-exec)
            wait_until(lambda: False, max(0.0, 0.1 - (time.monotonic() - t0)))
        self.assertTrue(wait_until(lambda: h.results and h.results[-1] == f'r{reloads}', 20), p.stderr())
        n = len(h.results)
        self.assertTrue(wait_until(lambda: len(h.results) >= n + 20, 10))
        results = h.finish()
        errors = [r for r in results if r.startswith('error')]
        self.assertEqual(errors, [], f'{len(errors)} of {len(results)} requests failed over {reloads} reloads')
        self.assertGreater(len(results), 100)
        # the master settles with one worker; the old ones finished and went
        self.assertTrue(wait_until(lambda: len(children(p.pid)) == 1, 15), children(p.pid))
        self.assertTrue(p.alive())
        self.assertNotIn('Loading failure!', '\n'.join(loads(p)), p.stderr())

    def test_bind_removed_from_config_is_closed_and_new_one_opened(self):
        port, port2 = free_port(), free_port()
        second = f'frontend fe2\n    bind 127.0.0.1:{port2}\n    http-request return status 200 content-type text/plain string second\n'
        p = self.start_mw(port, extra=second)
        self.assertTrue(wait_settled(p, 1), p.stderr())
        self.assertEqual(try_get(port2), 'second')
        port3 = free_port()
        third = second.replace('fe2', 'fe3').replace(str(port2), str(port3)).replace('second', 'third')
        self.write(p, cfg_reload(port, 'r1', extra=third))
        p.signal(signal.SIGUSR2)
        self.assertTrue(wait_settled(p, 2), p.stderr())
        self.assertTrue(wait_until(lambda: try_get(port) == 'r1', 10), p.stderr())
        self.assertEqual(try_get(port3), 'third')
        # the old worker is gone: nobody holds the removed bind's socket any more
        self.assertTrue(wait_until(lambda: len(children(p.pid)) == 1, 10))
        self.assertTrue(wait_until(lambda: refused(port2), 10))

    def test_x_takes_the_old_process_sockets(self):
        port = free_port()
        d = self.tmpdir()
        sock = os.path.join(d, 'admin.sock')
        glob = f'    stats socket {sock} mode 600 level admin expose-fd listeners'
        pa = self.proxy(cfg_reload(port, 'a', glob=glob))
        before = self.listening_inodes(port)
        self.assertTrue(before)
        h = Hammer(port, limit=30)
        self.assertTrue(wait_until(lambda: len(h.results) >= 20, 5))
        sock_b = os.path.join(d, 'admin-b.sock')
        pb = self.proxy(cfg_reload(port, 'b', glob=glob.replace(sock, sock_b)),
                        args=['-x', sock, '-sf', str(pa.pid)])
        self.assertEqual(pa.wait(10), 0, pa.stderr())
        n = len(h.results)
        self.assertTrue(wait_until(lambda: len(h.results) >= n + 50, 10))
        results = h.finish()
        errors = [r for r in results if r.startswith('error')]
        self.assertEqual(errors, [], f'{len(errors)} failed requests during the -x hand-over')
        self.assertEqual(results[0], 'a')
        self.assertEqual(results[-1], 'b')
        self.assertTrue(pb.alive())
        # the sockets are the very ones the old process had (same kernel sockets)
        self.assertEqual(self.listening_inodes(port), before)

    @staticmethod
    def listening_inodes(port):
        """The inodes of this host's listening TCP sockets on 127.0.0.1:port (/proc/net/tcp)."""
        want = f'0100007F:{port:04X}'
        with open('/proc/net/tcp') as f:
            rows = [line.split() for line in f.readlines()[1:]]
        return sorted(r[9] for r in rows if r[1] == want and r[3] == '0A')

    def test_x_without_expose_fd_fails_as_haproxy(self):
        port = free_port()
        d = self.tmpdir()
        sock = os.path.join(d, 'admin.sock')
        pa = self.proxy(cfg_reload(port, 'a', glob=f'    stats socket {sock} mode 600 level admin'))
        pb = self.proxy(cfg_reload(port, 'b'), args=['-x', sock], ready=None)
        self.assertEqual(pb.wait(10), 1, pb.stderr())
        self.assertRegex(pb.stderr(), r'\[WARNING\] +\(\d+\) : Failed to get the number of sockets to be transferred !')
        self.assertRegex(pb.stderr(), r'\[ALERT\] +\(\d+\) : Failed to get the sockets from the old process!')
        self.assertEqual(try_get(port), 'a')
        self.assertTrue(pa.alive())

    def test_soft_stop_closes_idle_keepalive_and_closes_after_in_flight(self):
        o = self.origin('s1')
        port = free_port()
        cfg = f"""
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind 127.0.0.1:{port}
    default_backend be
backend be
    server s1 {o.addr}
"""
        p = self.proxy(cfg, args=['-W'])
        self.addCleanup(self.reap, p.pid)
        self.assertTrue(wait_settled(p, 1), p.stderr())
        idle = Client(port, timeout=5)
        self.addCleanup(idle.close)
        self.assertEqual(idle.request('GET', '/').status, 200)
        busy = Client(port, timeout=5)
        self.addCleanup(busy.close)
        busy.send(b'GET /delay/800/x HTTP/1.1\r\nhost: x\r\n\r\n')
        self.assertTrue(o.wait_requests(2), 'the delayed request never reached the origin')
        p.signal(signal.SIGUSR2)
        self.assertTrue(wait_settled(p, 2), p.stderr())
        # the idle keep-alive connection is closed by the old worker
        self.assertTrue(idle.is_closed_by_peer(5))
        # the request in flight is answered, with the end of the connection announced
        r = busy.read_response()
        self.assertEqual(r.status, 200)
        self.assertEqual((r.header('connection') or '').lower(), 'close')
        self.assertTrue(busy.is_closed_by_peer(5))


if __name__ == '__main__':
    unittest.main()


class ReloadLimitsTest(ProxyTestCase):
    def reap(self, master):
        for pid in children(master):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def test_mworker_max_reloads_terminates_a_lingering_former_worker(self):
        o = self.origin('s1')
        port = free_port()
        cfg = f"""
global
    mworker-max-reloads 1
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
frontend fe
    bind 127.0.0.1:{port}
    default_backend be
backend be
    server s1 {o.addr}
"""
        p = self.proxy(cfg, args=['-W'])
        self.addCleanup(self.reap, p.pid)
        self.assertTrue(wait_settled(p, 1), p.stderr())
        (first,) = children(p.pid)
        busy = Client(port, timeout=30)
        self.addCleanup(busy.close)
        busy.send(b'GET /delay/20000/x HTTP/1.1\r\nhost: x\r\n\r\n')   # keeps the first worker busy
        self.assertTrue(o.wait_requests(1))
        p.signal(signal.SIGUSR2)
        self.assertTrue(wait_settled(p, 2), p.stderr())
        self.assertTrue(pid_alive(first))   # one reload: still finishing its request
        p.signal(signal.SIGUSR2)
        self.assertTrue(wait_settled(p, 3), p.stderr())
        # two reloads > mworker-max-reloads 1: terminated
        self.assertTrue(wait_until(lambda: not pid_alive(first), 10), p.stderr())
        self.assertTrue(wait_until(
            lambda: f'Former worker ({first}) exited with code 143 (Terminated)' in p.stderr(), 5), p.stderr())

    def test_hard_stop_after_bounds_a_former_worker(self):
        o = self.origin('s1')
        port = free_port()
        cfg = f"""
global
    hard-stop-after 1s
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
frontend fe
    bind 127.0.0.1:{port}
    default_backend be
backend be
    server s1 {o.addr}
"""
        p = self.proxy(cfg, args=['-W'])
        self.addCleanup(self.reap, p.pid)
        self.assertTrue(wait_settled(p, 1), p.stderr())
        (first,) = children(p.pid)
        busy = Client(port, timeout=30)
        self.addCleanup(busy.close)
        busy.send(b'GET /delay/20000/x HTTP/1.1\r\nhost: x\r\n\r\n')
        self.assertTrue(o.wait_requests(1))
        t0 = time.monotonic()
        p.signal(signal.SIGUSR2)
        self.assertTrue(wait_settled(p, 2), p.stderr())
        # the request would take 20 s: the former worker is stopped about 1 s after its soft stop
        self.assertTrue(wait_until(lambda: not pid_alive(first), 10), p.stderr())
        self.assertLess(time.monotonic() - t0, 10)
        # the connection ends (haproxy answers a 502 first, portero closes: see README)
        answer = busy.read_until_close(5)
        self.assertTrue(answer == b'' or answer.startswith(b'HTTP/1.1 502 '), answer)
        self.assertTrue(wait_until(
            lambda: f'Former worker ({first}) exited with code 0 (Exit)' in p.stderr(), 5), p.stderr())

    def test_grace_keeps_accepting_after_sigusr1(self):
        port = free_port()
        p = self.proxy(cfg_reload(port, 'g', glob='    grace 2s'))
        t0 = time.monotonic()
        p.signal(signal.SIGUSR1)
        self.assertEqual(try_get(port), 'g')   # still accepting during the grace
        self.assertTrue(wait_until(lambda: refused(port), 10))
        self.assertGreaterEqual(time.monotonic() - t0, 1.5)
        self.assertEqual(p.wait(5), 0)


class SystemdUnitTest(ProxyTestCase):
    """Debian's haproxy.service as is: ExecStart=`-Ws -f $CONFIG -p $PIDFILE -S <master socket>`,
    ExecReload=`-Ws -f $CONFIG -c -q -S <master socket>` then `kill -USR2 $MAINPID`, Type=notify,
    KillMode=mixed, SuccessExitStatus=143."""

    def test_debian_unit_reloads_under_load(self):
        import subprocess
        from test_master_cli import session
        port = free_port()
        d = self.tmpdir()
        notify_path = os.path.join(d, 'notify.sock')
        master_sock = os.path.join(d, 'master.sock')
        pidfile = os.path.join(d, 'haproxy.pid')
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(notify.close)
        notify.bind(notify_path)
        env = dict(os.environ, NOTIFY_SOCKET=notify_path)
        extra = ['-S', master_sock]
        # no harness probe (its `bind fd@N` would fail haproxy's -c in another process): READY=1
        p = self.proxy(cfg_reload(port, 'v0'), args=['-Ws', '-p', pidfile] + extra, foreground=None, env=env,
                       ready=None)
        self.addCleanup(lambda: [os.kill(w, signal.SIGKILL) for w in children(p.pid) if pid_alive(w)])
        seen = []

        def wait_for(what, timeout=10):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                notify.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    msg = notify.recv(4096).decode()
                except socket.timeout:
                    break
                seen.append(msg)
                if what in msg.split('\n'):
                    return msg
            self.fail(f'no {what!r} from the master; got {seen}\n{p.stderr()}')

        self.assertIn(f'MAINPID={p.pid}', wait_for('READY=1').split('\n'))
        self.assertTrue(wait_settled(p, 1), p.stderr())
        h = Hammer(port, limit=60)
        self.assertTrue(wait_until(lambda: len(h.results) >= 20, 5))
        for i in range(1, 6):
            with open(p.cfg_path) as f:
                text = f.read()
            tmp = p.cfg_path + '.new'
            with open(tmp, 'w') as f:
                f.write(text.replace(f'string v{i - 1}', f'string v{i}'))
            os.replace(tmp, p.cfg_path)
            # ExecReload: the check first, with the unit's options; it must leave the master alone
            check = subprocess.run([p.binary, '-Ws', '-f', p.cfg_path, '-c', '-q'] + extra,
                                   capture_output=True, timeout=20)
            self.assertEqual((check.returncode, check.stdout, check.stderr), (0, b'', b''))
            os.kill(p.pid, signal.SIGUSR2)   # then kill -USR2 $MAINPID
            wait_for('RELOADING=1')
            wait_for('READY=1')
            self.assertTrue(wait_settled(p, i + 1), p.stderr())
            self.assertTrue(wait_until(lambda: h.results[-1] == f'v{i}', 10), p.stderr())
        n = len(h.results)
        self.assertTrue(wait_until(lambda: len(h.results) >= n + 20, 10))
        results = h.finish()
        errors = [r for r in results if r.startswith('error')]
        self.assertEqual(errors, [], f'{len(errors)} of {len(results)} requests failed over 5 unit reloads')
        with open(pidfile) as f:
            self.assertEqual(f.read().strip(), str(p.pid))
        self.assertTrue(wait_until(lambda: can_connect_unix(master_sock), 5))
        self.assertRegex(session(master_sock, 'show proc\n'), rf'^#<PID> .*\n{p.pid} +master +5 \[failed: 0\]')
        # systemctl stop: SIGTERM to the main process (KillMode=mixed); 0 or 143 is a success
        workers = children(p.pid)
        p.signal(signal.SIGTERM)
        wait_for('STOPPING=1')
        self.assertIn(p.wait(10), (0, 143), p.stderr())
        self.assertTrue(wait_until(lambda: not any(pid_alive(w) for w in workers), 5))


def can_connect_unix(path):
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(path)
        return True
    except OSError:
        return False


class SoftStopErrorPageTest(ProxyTestCase):
    def test_error_page_for_a_request_in_flight_at_soft_stop_closes(self):
        o = self.origin('s1')
        port = free_port()
        cfg = f"""
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 1500ms
frontend fe
    bind 127.0.0.1:{port}
    default_backend be
backend be
    server s1 {o.addr}
"""
        p = self.proxy(cfg)
        c = Client(port, timeout=10)
        self.addCleanup(c.close)
        c.send(b'GET /delay/5000/x HTTP/1.1\r\nhost: x\r\n\r\n')   # answered 504 by the proxy
        self.assertTrue(o.wait_requests(1))
        p.signal(signal.SIGUSR1)
        r = c.read_response()
        self.assertEqual(r.status, 504)
        self.assertEqual((r.header('connection') or '').lower(), 'close')
        self.assertTrue(c.is_closed_by_peer(5))
        self.assertEqual(p.wait(10), 0)
