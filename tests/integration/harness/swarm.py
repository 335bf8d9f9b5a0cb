"""A swarm of client connections held by a child process (run as a script).

One process may hold only RLIMIT_NOFILE descriptors (20000 hard on the CI machine, and the
test process also holds origins and listeners), so the limits tests spread their client
connections over a few of these children. A child reads one JSON command per line on stdin
and answers one JSON line on stdout:

  {"cmd": "open", "port": P, "n": N, "src": K, "timeout": S}
      opens N non-blocking connections to 127.0.0.1:P from source addresses 127.K.x.y (many
      sources, so that no (source, destination) pair runs out of ephemeral ports) and waits
      until each connect completed or failed -> {"connected": c, "failed": f, "errors": [...]}
  {"cmd": "request", "data": "<latin-1 request>", "expect": "<latin-1 body>", "timeout": S}
      sends the request on every open connection, then reads each until the peer closes
      (the request says `Connection: close`) -> {"ok": o, "bad": [...], "lost": l,
      "unfinished": u, "seconds": t}: ok = a 200 with exactly the expected body; lost = closed
      or reset without a complete answer; unfinished = still open at the deadline.
  {"cmd": "close"}  closes everything and exits.

Parent side: SwarmProcess (below) starts the script by path and talks to it.
"""

import errno
import json
import os
import selectors
import socket
import subprocess
import sys
import time

IP_BIND_ADDRESS_NO_PORT = 24   # Linux: pick the source port at connect, per destination


def _source(k, i):
    return f'127.{k}.{1 + i // 250}.{1 + i % 250}'


class Swarm:
    def __init__(self):
        self.socks = []

    def open(self, port, n, src, timeout):
        sel = selectors.DefaultSelector()
        failed, errors = 0, []
        deadline = time.monotonic() + timeout
        for i in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.setsockopt(socket.SOL_IP, IP_BIND_ADDRESS_NO_PORT, 1)
            s.bind((_source(src, i), 0))
            err = s.connect_ex(('127.0.0.1', port))
            if err in (0, errno.EINPROGRESS):
                sel.register(s, selectors.EVENT_WRITE)
            else:
                failed += 1
                errors.append(os.strerror(err))
                s.close()
        while sel.get_map() and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=max(0.0, deadline - time.monotonic())):
                s = key.fileobj
                sel.unregister(s)
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    failed += 1
                    errors.append(os.strerror(err))
                    s.close()
                else:
                    self.socks.append(s)
        left = list(sel.get_map().values())
        for key in left:
            failed += 1
            errors.append('connect timed out')
            key.fileobj.close()
        sel.close()
        return {'connected': len(self.socks), 'failed': failed, 'errors': sorted(set(errors))}

    def request(self, data, expect, timeout):
        t0 = time.monotonic()
        deadline = t0 + timeout
        sel = selectors.DefaultSelector()
        bufs = {}
        ok, bad, lost = 0, [], 0
        for s in self.socks:
            try:
                s.send(data)   # a few hundred bytes: fits an empty socket buffer
            except OSError:
                lost += 1
                continue
            bufs[s] = bytearray()
            sel.register(s, selectors.EVENT_READ)
        while sel.get_map() and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=max(0.0, deadline - time.monotonic())):
                s = key.fileobj
                try:
                    chunk = s.recv(65536)
                except (ConnectionResetError, BrokenPipeError):
                    chunk = None
                if chunk:
                    bufs[s] += chunk
                    continue
                sel.unregister(s)
                got = bytes(bufs.pop(s))
                head, _, body = got.partition(b'\r\n\r\n')
                if chunk is None or not got:
                    lost += 1
                elif head.startswith(b'HTTP/1.1 200 ') and body == expect:
                    ok += 1
                elif len(bad) < 5:
                    bad.append(got[:300].decode('latin-1'))
                else:
                    bad.append('...')
        unfinished = len(sel.get_map())
        sel.close()
        return {'ok': ok, 'bad': bad, 'lost': lost, 'unfinished': unfinished,
                'seconds': round(time.monotonic() - t0, 3)}

    def close(self):
        for s in self.socks:
            s.close()
        self.socks = []


def main():
    sw = Swarm()
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd['cmd'] == 'open':
            out = sw.open(cmd['port'], cmd['n'], cmd['src'], cmd['timeout'])
        elif cmd['cmd'] == 'request':
            out = sw.request(cmd['data'].encode('latin-1'), cmd['expect'].encode('latin-1'),
                             cmd['timeout'])
        else:
            sw.close()
            print(json.dumps({'closed': True}), flush=True)
            return
        print(json.dumps(out), flush=True)


class SwarmProcess:
    """Parent side: one child process holding a share of the connections. Commands are
    asynchronous (send, then collect) so that several children work at once."""

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1)

    def send(self, **cmd):
        self.proc.stdin.write(json.dumps(cmd) + '\n')
        self.proc.stdin.flush()

    def collect(self, timeout):
        """The answer to the last command; fails if the child does not answer in time."""
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        ready = sel.select(timeout)
        sel.close()
        if not ready:
            raise TimeoutError('swarm child did not answer in time')
        line = self.proc.stdout.readline()
        if not line:
            raise EOFError(f'swarm child exited with {self.proc.poll()}')
        return json.loads(line)

    def stop(self):
        """Close the connections and end the child (by its pid, SIGKILL after a deadline)."""
        if self.proc.poll() is None:
            try:
                self.send(cmd='close')
                self.proc.wait(10)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(5)
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass


if __name__ == '__main__':
    main()
