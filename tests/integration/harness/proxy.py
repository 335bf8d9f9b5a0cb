"""Start and stop the proxy under test (portero, or haproxy as the oracle) on a config string.

PROXY_BIN names the binary under test (CMake passes portero's path); PORTERO_BIN is accepted
as an alias; default: <repo>/build/src/portero. HAPROXY_BIN names the oracle for differential
tests (default /usr/sbin/haproxy).

Ephemeral ports: the harness creates the listening socket itself (127.0.0.1:0), passes it to
the proxy with subprocess pass_fds and writes `bind fd@N` in the config; both haproxy and
portero take over an inherited listening socket this way. Readiness: because the kernel
queues connections on an inherited socket before the proxy even runs, "connect works" proves
nothing; the harness appends a tiny probe frontend (on its own fd@ listener) answering
`http-request return` and polls it until it answers.
"""

import os
import re
import signal as _signal
import socket
import subprocess
import tempfile
import time

from .util import wait_until
from .client import Client

_REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
PROXY_BIN = (os.environ.get('PROXY_BIN') or os.environ.get('PORTERO_BIN')
             or os.path.join(_REPO, 'build', 'src', 'portero'))
HAPROXY_BIN = os.environ.get('HAPROXY_BIN') or '/usr/sbin/haproxy'
IS_HAPROXY = os.path.basename(PROXY_BIN).startswith('haproxy')


def haproxy_available():
    return os.access(HAPROXY_BIN, os.X_OK)


class Listener:
    """A listening socket created by the harness and inherited by the proxy as fd@N."""

    def __init__(self, host='127.0.0.1', backlog=1024):
        fam = socket.AF_INET6 if ':' in host else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(backlog)
        self.sock.set_inheritable(True)
        self.host = host
        self.port = self.sock.getsockname()[1]
        self.fd = self.sock.fileno()

    @property
    def bind(self):
        return f'fd@{self.fd}'

    def close(self):
        """Close the harness' copy (the proxy keeps its own after it started)."""
        if self.sock is not None:
            self.sock.close()
            self.sock = None


PROBE_SECTION = """
frontend __harness_ready
    mode http
    bind {bind}
    timeout client 5s
    http-request return status 200 content-type text/plain string ready
"""


class ProxyError(Exception):
    pass


class Proxy:
    def __init__(self, cfg, listeners=(), binary=None, args=(), foreground='-db',
                 ready='probe', ready_port=None, env=None, workdir=None, start=True,
                 ready_timeout=10.0, files=None):
        self.binary = binary or PROXY_BIN
        self.cfg = cfg
        self.listeners = list(listeners)
        self.args = list(args)
        self.foreground = foreground
        self.ready = ready
        self.ready_port = ready_port
        self.ready_timeout = ready_timeout
        self.env = env
        self.files = files  # explicit -f arguments (files or dirs) instead of cfg
        self.dir = workdir or tempfile.mkdtemp(prefix='integ-')
        self.cfg_path = os.path.join(self.dir, 'proxy.cfg')
        self.proc = None
        self.returncode = None
        self._probe = None
        self._out = self._err = None
        if start:
            self.start()

    # ---- lifecycle ---------------------------------------------------------------------
    def start(self):
        cfg = self.cfg
        probe = ''
        if self.ready == 'probe':
            self._probe = Listener()
            self.listeners.append(self._probe)
            probe = PROBE_SECTION.format(bind=self._probe.bind)
        if self.files is None:
            with open(self.cfg_path, 'w') as f:
                f.write(cfg.rstrip('\n') + '\n' + probe)
            cfgargs = ['-f', self.cfg_path]
        else:
            cfgargs = []
            for path in self.files:
                cfgargs += ['-f', path]
            if probe:
                probe_path = os.path.join(self.dir, 'probe.cfg')
                with open(probe_path, 'w') as f:
                    f.write(probe)
                cfgargs += ['-f', probe_path]
        self._out = open(os.path.join(self.dir, 'stdout'), 'wb')
        self._err = open(os.path.join(self.dir, 'stderr'), 'wb')
        argv = [self.binary]
        if self.foreground:
            argv.append(self.foreground)
        argv += cfgargs + self.args
        fds = [l.fd for l in self.listeners if l.sock is not None]
        self.proc = subprocess.Popen(argv, pass_fds=fds, stdin=subprocess.DEVNULL,
                                     stdout=self._out, stderr=self._err, cwd=self.dir,
                                     env=self.env)
        self.pid = self.proc.pid
        for l in self.listeners:
            l.close()
        if self.ready:
            self.wait_ready()
        return self

    def wait_ready(self):
        def probe():
            if self.proc.poll() is not None:
                raise ProxyError(f'{self.binary} exited with {self.proc.returncode} '
                                 f'before listening:\n{self.stderr()}')
            port = self._probe.port if self.ready == 'probe' else self.ready_port
            try:
                if self.ready == 'probe':
                    with Client(port, timeout=0.5) as c:
                        r = c.request('GET', '/__ready')
                        return r.status == 200
                s = socket.create_connection(('127.0.0.1', port), timeout=0.5)
                s.close()
                return True
            except (OSError, EOFError, Exception) as e:  # noqa: B014
                if isinstance(e, ProxyError):
                    raise
                return False
        if not wait_until(probe, self.ready_timeout):
            self.stop()
            raise ProxyError(f'{self.binary} did not become ready in {self.ready_timeout}s:\n'
                             f'{self.stderr()}')

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        if self.alive():
            os.kill(self.proc.pid, sig)

    def wait(self, timeout=10.0):
        """Wait for the process to exit; returns its exit code, or None on timeout."""
        try:
            self.returncode = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.returncode

    def stop(self, sig=_signal.SIGTERM, timeout=10.0):
        """Stop by pid (never by name). Escalates to SIGKILL after the timeout."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, _signal.SIGKILL)
                self.proc.wait(5)
        self.returncode = self.proc.returncode
        for f in (self._out, self._err):
            if f and not f.closed:
                f.close()
        return self.returncode

    # ---- observation ---------------------------------------------------------------------
    def stderr(self):
        try:
            with open(os.path.join(self.dir, 'stderr'), 'rb') as f:
                return f.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def stdout(self):
        try:
            with open(os.path.join(self.dir, 'stdout'), 'rb') as f:
                return f.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def rss_kb(self):
        return rss_kb(self.proc.pid)

    def threads(self):
        try:
            return len(os.listdir(f'/proc/{self.proc.pid}/task'))
        except OSError:
            return 0


def rss_kb(pid):
    try:
        with open(f'/proc/{pid}/status') as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_check(binary, cfg_text, workdir, name='check.cfg', extra=()):
    """Run `<binary> [extra] -c -f <name>` in workdir (a relative name, so that diagnostics
    name the file the same way for every binary); returns (exit code, stdout, stderr)."""
    path = os.path.join(workdir, name)
    with open(path, 'w') as f:
        f.write(cfg_text)
    p = subprocess.run([binary, *extra, '-c', '-f', name], capture_output=True, timeout=30,
                       cwd=workdir, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout.decode('utf-8', 'replace'), p.stderr.decode('utf-8', 'replace')


def is_pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie is not alive for our purposes
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().split(')')[-1].split()[0] != 'Z'
    except OSError:
        return False


def time_left(deadline):
    return max(0.0, deadline - time.monotonic())


def _read_identity():
    """How the binary under test names itself in `show info`, `show version`, the stats page and
    the exporters: haproxy 2.6.12 as Debian ships it, or portero with the version and release
    date of CMakeLists.txt (read from there, not from the binary, so a wrong banner fails)."""
    if IS_HAPROXY:
        return {'name': 'HAProxy', 'version': '2.6.12-1+deb12u4', 'release_date': '2026/10/17'}
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
    with open(os.path.join(root, 'CMakeLists.txt')) as f:
        text = f.read()
    version = re.search(r'project\(portero VERSION (\S+)', text).group(1)
    date = re.search(r'set\(PORTERO_RELEASE_DATE "([^"]+)"\)', text).group(1)
    return {'name': 'portero', 'version': version, 'release_date': date}


IDENTITY = _read_identity()
