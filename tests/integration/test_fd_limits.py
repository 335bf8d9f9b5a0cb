"""Descriptor limits: `strict-limits` / `no strict-limits` and a process out of descriptors.

The proxy runs with RLIMIT_NOFILE lowered by the test (soft = hard, so it cannot raise it) and a
`maxconn` that needs more descriptors than that, as haproxy counts them (maxsock: two per
connection, one per listening socket, three per thread and ten more).
* strict-limits (the default): the proxy refuses to start, with haproxy's message.
* `no strict-limits`: it warns, says the limit is too low, and runs; when clients take every
  descriptor, accepting pauses instead of spinning on a readable socket (CPU measured while
  starved), and the clients queued in the kernel are served as descriptors come back.
Every case runs on the binary under test and, live, on haproxy 2.6.12; the messages are compared
with the pid and the program path masked.
"""

import os
import re
import resource
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from harness import ProxyTestCase, HAPROXY_BIN, IS_HAPROXY, PROXY_BIN, haproxy_available, free_port, wait_until

LIMIT = 40


def lower_limit():
    resource.setrlimit(resource.RLIMIT_NOFILE, (LIMIT, LIMIT))


def config(port, extra):
    return f"""global
    maxconn 100
    nbthread 2
{extra}
defaults
    mode http
    timeout client 30s
    timeout server 5s
    timeout connect 5s
frontend f
    bind 127.0.0.1:{port}
    http-request return status 200 content-type text/plain string ok
"""


def messages(stderr):
    """ALERT/WARNING lines with the pid and the program's path masked."""
    out = []
    for line in stderr.splitlines():
        if line.startswith(('[ALERT]', '[WARNING]')):
            line = re.sub(r'^(\[\w+\]\s+)\(\d+\)', r'\1(N)', line)
            out.append(re.sub(r'\[[^\]\s]*main\(\)\]', '[main()]', line))
    return out


def cpu_seconds(pid):
    with open(f'/proc/{pid}/stat') as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


class FdLimitsTest(ProxyTestCase):
    def start(self, binary, extra):
        d = tempfile.mkdtemp(prefix='fdlimits-')
        self.addCleanup(lambda: subprocess.run(['rm', '-rf', d]))
        port = free_port()
        path = os.path.join(d, 'p.cfg')
        with open(path, 'w') as f:
            f.write(config(port, extra))
        err = open(os.path.join(d, 'stderr'), 'w+')
        self.addCleanup(err.close)
        p = subprocess.Popen([binary, '-db', '-f', path], stdout=subprocess.DEVNULL, stderr=err,
                             stdin=subprocess.DEVNULL, preexec_fn=lower_limit)
        def stop():
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
            p.wait(10)
        self.addCleanup(stop)
        return p, port, err

    def strict(self, binary):
        p, _, err = self.start(binary, '')
        self.assertEqual(p.wait(10), 1)
        err.seek(0)
        return messages(err.read())

    def lax(self, binary):
        """Started with `no strict-limits`: its messages, whether it spun while starved, and how
        many of the clients queued behind the starved ones it served."""
        p, port, err = self.start(binary, '    no strict-limits')
        self.assertTrue(wait_until(lambda: p.poll() is not None or _answers(port), 10))
        self.assertIsNone(p.poll(), 'the proxy exited')
        clients = []
        try:
            for _ in range(60):   # more than the descriptors it has: the rest wait in the kernel
                s = socket.create_connection(('127.0.0.1', port), timeout=5)
                clients.append(s)
            # Starved: the listening socket stays readable, accept() fails with EMFILE.
            self.assertTrue(wait_until(lambda: len(os.listdir(f'/proc/{p.pid}/fd')) >= LIMIT, 10),
                            'the proxy did not take every descriptor')
            before = cpu_seconds(p.pid)
            t0 = time.monotonic()
            time.sleep(1.0)
            spent = (cpu_seconds(p.pid) - before) / (time.monotonic() - t0)
            # The first 30 leave: descriptors come back, the queued ones are accepted and served.
            for s in clients[:30]:
                s.close()
            served = 0
            for s in clients[30:45]:
                s.settimeout(5)
                s.sendall(b'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
                data = b''
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                served += data.startswith(b'HTTP/1.1 200')
        finally:
            for s in clients:
                s.close()
        err.seek(0)
        return messages(err.read()), spent, served

    def check_strict(self, binary):
        got = self.strict(binary)
        self.assertEqual(got, ['[ALERT]    (N) : [main()] Cannot raise FD limit to 217, limit is 40.'])
        return got

    def check_lax(self, binary):
        msgs, spent, served = self.lax(binary)
        self.assertEqual(msgs, [
            '[WARNING]  (N) : [main()] Cannot raise FD limit to 217, limit is 40.',
            "[ALERT]    (N) : [main()] FD limit (40) too low for maxconn=100/maxsock=217. "
            "Please raise 'ulimit-n' to 217 or more to avoid any trouble."])
        self.assertLess(spent, 0.3, 'CPU share while out of descriptors (a spinning accept loop is ~1.0)')
        self.assertEqual(served, 15)
        return msgs, served

    def test_strict_limits_refuses_to_start(self):
        ours = self.check_strict(PROXY_BIN)
        if not IS_HAPROXY and haproxy_available():
            self.assertEqual(ours, self.check_strict(HAPROXY_BIN))

    def test_no_strict_limits_runs_and_pauses_when_starved(self):
        ours = self.check_lax(PROXY_BIN)
        if not IS_HAPROXY and haproxy_available():
            self.assertEqual(ours, self.check_lax(HAPROXY_BIN))


def _answers(port):
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=1) as s:
            s.sendall(b'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
            return s.recv(100).startswith(b'HTTP/1.1 200')
    except OSError:
        return False


if __name__ == '__main__':
    unittest.main()
