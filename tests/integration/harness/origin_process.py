"""An Origin (harness/origin.py) in a child process, run as a script.

The threaded origin shares the GIL with the test: with a thousand connections busy sending
megabytes, a probe request waits seconds for its thread's turn, which says nothing about the
proxy. Load tests therefore serve the bulk from this child and keep an in-process origin for
the probe. The child prints its port, then answers `count` on stdin with the number of
requests received; it exits when stdin closes.
"""

import os
import selectors
import subprocess
import sys

if __name__ == '__main__':
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from harness.origin import Origin
    o = Origin(sys.argv[1] if len(sys.argv) > 1 else 'bulk')
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
