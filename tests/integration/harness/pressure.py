"""Observers for tests that load the proxy: its memory, its descriptors, and a probe client
that keeps asking for a page (with a deadline) while the load runs."""

import os
import threading
import time

from .client import Client


def fd_count(pid):
    """Open descriptors of a process (the proxy: one per accepted or server connection)."""
    try:
        return len(os.listdir(f'/proc/{pid}/fd'))
    except OSError:
        return 0


class RssSampler:
    """Samples the proxy's VmRSS every 20 ms in a thread; base, peak and the last sample."""

    def __init__(self, proxy, interval=0.02):
        self.proxy = proxy
        self.base = proxy.rss_kb()
        self.peak = self.base
        self.interval = interval
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, self.proxy.rss_kb())

    def now(self):
        kb = self.proxy.rss_kb()
        self.peak = max(self.peak, kb)
        return kb

    def finish(self):
        self._stop.set()
        self._t.join(2)
        return self.now()


class Prober:
    """A client that opens a fresh connection, sends GET <path> and wants a 200 with the
    expected body within `deadline` seconds, again and again (every `pause` s) until stopped.
    It stands for "the other users" while a test loads the proxy."""

    def __init__(self, port, path='/', expect=None, deadline=5.0, pause=0.05):
        self.port, self.path, self.expect = port, path, expect
        self.deadline, self.pause = deadline, pause
        self.latencies = []
        self.failures = []
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        while not self._stop.is_set():
            t0 = time.monotonic()
            try:
                with Client(self.port, timeout=self.deadline) as c:
                    r = c.request('GET', self.path, timeout=self.deadline)
                ok = r.status == 200 and (self.expect is None or r.body == self.expect)
                if ok:
                    self.latencies.append(time.monotonic() - t0)
                else:
                    self.failures.append(f'{r.status} {r.body[:80]!r}')
            except Exception as e:  # noqa: BLE001 - any failure is what the test reports
                self.failures.append(f'{type(e).__name__}: {e}')
            self._stop.wait(self.pause)

    def stop(self):
        self._stop.set()
        self._t.join(self.deadline + 2)
        return self

    def summary(self):
        lat = sorted(self.latencies)
        if not lat:
            return f'0 answered, {len(self.failures)} failed'
        return (f'{len(lat)} answered (median {lat[len(lat) // 2] * 1000:.1f} ms, '
                f'max {lat[-1] * 1000:.1f} ms), {len(self.failures)} failed')


def cpu_seconds(pid):
    """User + system CPU time the process has used so far."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')
    except (OSError, IndexError, ValueError):
        return 0.0
