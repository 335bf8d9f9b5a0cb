"""ProxyTestCase: unittest base class owning every origin, listener and proxy it starts."""

import os
import shutil
import tempfile
import unittest

from .origin import Origin
from .proxy import Proxy, Listener, IS_HAPROXY, PROXY_BIN, HAPROXY_BIN, haproxy_available

DEFAULTS = """
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
"""


class ProxyTestCase(unittest.TestCase):
    IS_HAPROXY = IS_HAPROXY
    PROXY_BIN = PROXY_BIN
    HAPROXY_BIN = HAPROXY_BIN

    @classmethod
    def setUpClass(cls):
        if not os.access(PROXY_BIN, os.X_OK):
            if os.environ.get('PROXY_BIN') or os.environ.get('PORTERO_BIN'):
                # named explicitly (as CTest does): a missing binary is a failure, not a skip
                raise RuntimeError(f'proxy binary {PROXY_BIN} is not executable')
            raise unittest.SkipTest(f'proxy binary {PROXY_BIN} not found (set PROXY_BIN)')

    def tmpdir(self):
        d = tempfile.mkdtemp(prefix='integ-')
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def origin(self, name='s1', **kw):
        o = Origin(name, **kw)
        self.addCleanup(o.stop)
        return o

    def listener(self, host='127.0.0.1'):
        l = Listener(host)
        self.addCleanup(l.close)
        return l

    def proxy(self, cfg, listeners=(), **kw):
        kw.setdefault('workdir', self.tmpdir())
        p = Proxy(cfg, listeners=listeners, **kw)
        self.addCleanup(p.stop)
        self.addCleanup(self._dump_on_failure, p)
        return p

    def _dump_on_failure(self, p):
        # unittest has no per-test failure hook in 3.11 cleanups; keep the logs readable instead
        if os.environ.get('INTEG_VERBOSE'):
            print(f'\n--- {p.binary} stderr ---\n{p.stderr()}')

    def simple(self, origins, defaults=DEFAULTS, frontend='', backend='', glob='', **kw):
        """A frontend on an ephemeral port in front of one backend holding the origins.
        Returns (proxy, frontend listener)."""
        fe = self.listener()
        servers = '\n'.join(f'    server {o.name} {o.addr}' for o in origins)
        cfg = f"""
global
{glob}
{defaults}
frontend fe
    bind {fe.bind}
{frontend}
    default_backend be

backend be
{backend}
{servers}
"""
        p = self.proxy(cfg, [fe], **kw)
        return p, fe

    def require_haproxy(self):
        if not haproxy_available():
            self.skipTest(f'haproxy not installed at {HAPROXY_BIN}: differential part skipped')
