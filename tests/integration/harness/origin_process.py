"""An Origin (harness/origin.py) in a child process, run as a script.

The threaded origin shares the GIL with the test: with a thousand connections busy sending
megabytes, a probe request waits seconds for its thread's turn, which says nothing about the
proxy. Load tests therefore serve the bulk from this child and keep an in-process origin for
the probe. The child prints its port, then answers `count` on stdin with the number of
requests received; it exits when stdin closes.
"""

import hashlib
import os
import selectors
import subprocess
import sys


def dechunk_fast(c, req):
    """Reads a chunked body from OriginConn c, many chunks per pass over the buffer: the
    per-line reader costs ~3 us per chunk, too slow for millions of 1..32-byte chunks
    forwarded one for one. Records length and sha256 like Origin._read_body."""
    h = hashlib.sha256()
    buf = c.buf
    n = 0
    while True:
        i, parts, last = 0, [], False
        while True:
            j = buf.find(b'\n', i)
            if j < 0:
                break
            size = int(bytes(buf[i:j]).split(b';')[0].strip(), 16)
            if size == 0:
                k = buf.find(b'\r\n\r\n', i) if buf[j + 1:j + 3] != b'\r\n' else j - 1
                if k < 0:
                    break
                i, last = k + 4, True
                break
            end = j + 1 + size + 2
            if end > len(buf):
                break
            parts.append(buf[j + 1:j + 1 + size])
            i = end
        data = b''.join(parts)
        h.update(data)
        n += len(data)
        del buf[:i]
        if last:
            break
        c._fill()
    req.chunked, req.body_len, req.body_sha256, req.complete = True, n, h.hexdigest(), True


if __name__ == '__main__':
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from harness.origin import Origin

    class BulkOrigin(Origin):
        def _read_body(self, c, req):
            te = (req.header('transfer-encoding') or '').lower()
            if te.split(',')[-1].strip() == 'chunked':
                return dechunk_fast(c, req)
            return super()._read_body(c, req)

    o = BulkOrigin(sys.argv[1] if len(sys.argv) > 1 else 'bulk')
    print(o.port, flush=True)
    for line in sys.stdin:
        if line.strip() == 'count':
            print(o.request_count(), flush=True)
    o.stop()
    sys.exit(0)


class OriginProcess:
    def __init__(self, name='bulk'):
        self.name = name
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), name],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     bufsize=1)
        self.port = int(self._line(10))
        self.addr = f'127.0.0.1:{self.port}'

    def _line(self, timeout):
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        ready = sel.select(timeout)
        sel.close()
        if not ready:
            raise TimeoutError('origin process did not answer in time')
        line = self.proc.stdout.readline()
        if not line:
            raise EOFError(f'origin process exited with {self.proc.poll()}')
        return line

    def request_count(self):
        self.proc.stdin.write('count\n')
        self.proc.stdin.flush()
        return int(self._line(10))

    def stop(self):
        """Ends the child by closing its stdin; SIGKILL (by pid) if it does not exit."""
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(5)
        try:
            self.proc.stdout.close()
        except OSError:
            pass
