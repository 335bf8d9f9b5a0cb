"""Keywords portero parses but does not implement (src/config/unimplemented.cpp, one table):
every row's example line in a minimal config, through `portero -c`:
  * a "hint" row is accepted (exit 0, a NOTICE naming it, no WARNING), and live haproxy 2.6
    accepts the same file without a warning either: `-c` stays clean exactly where haproxy's does;
  * a "missing" row is refused (exit 1) with `parsing [x.cfg:N] : ... is not implemented by
    portero yet (<reason>).` on that line; live haproxy accepts the line (it is a real 2.6
    keyword), unless the example needs a section or file the minimal config does not have.
Plus real configurations: conf/*.cfg load, and one using several hints is as clean as haproxy's.
The table is read from the C++ source (one row per line), so a new row is tested as it lands.
"""

import os
import re
import unittest

from harness import ProxyTestCase, IS_HAPROXY, HAPROXY_BIN, PROXY_BIN, haproxy_available
from harness.proxy import run_check

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
TABLE = os.path.join(ROOT, 'src', 'config', 'unimplemented.cpp')
ROW = re.compile(r'^\s*\{C::(\w+), "([^"]+)", ([HM]), "((?:[^"\\]|\\.)*)", "((?:[^"\\]|\\.)*)"\},\s*$')

LISTEN = ("defaults\n    mode http\n    timeout client 1s\n    timeout server 1s\n    timeout connect 1s\n"
          "listen l\n    bind 127.0.0.1:18080\n    server s 127.0.0.1:80\n")

# Missing rows whose example refers to something the minimal config lacks (a section, a
# filter's config): haproxy refuses them for that, not for the keyword.
HAPROXY_NEEDS_MORE = {
    'stick', 'use-fcgi-app', 'resolvers', 'cache-use', 'cache-store', 'do-resolve',
    'ot-group', 'send-spoe-group', 'use-service', 'program', 'track', 'check-via-socks4', 'namespace',
    'interface', 'proto', 'set-var', 'set-var-fmt', 'filter', 'email-alert', 'default-path', 'zero-warning',
    'sc-inc-gpc', 'sc-inc-gpc0', 'sc-inc-gpc1', 'sc-set-gpt', 'sc-set-gpt0', 'track-sc*', 'capture',
    'tune.fail-alloc', 'lua-load', 'lua-load-per-thread', 'ssl-provider', 'ssl-provider-path', 'ssl-propquery',
    'transparent', 'source', 'usesrc', 'unix-bind', 'v4v6', 'redir', 'check-proto',
    'ssl',  # `tcp-check connect ssl`: haproxy then wants the server's certificate verified
    'normalize-uri',  # experimental in haproxy: refused unless exposed
    'lua.*',  # a Lua action exists once lua-load registers it
}

# Hint rows haproxy does not load as written, for a reason portero does not check (yet):
HINT_HAPROXY_DIFFERS = {
    'httpclient.resolvers.id',  # haproxy requires the named resolvers section to exist
}

_PID = re.compile(r'^(\[(?:ALERT|WARNING)\]\s+)\(\d+\)')


def warnings(err):
    return [_PID.sub(r'\1(PID)', l) for l in err.splitlines() if l.startswith('[WARNING]')]


def rows():
    out = []
    with open(TABLE) as f:
        for line in f:
            m = ROW.match(line)
            if m:
                ctx, kw, kind, reason, example = m.groups()
                out.append((ctx, kw, 'hint' if kind == 'H' else 'missing', reason,
                            example.encode().decode('unicode_escape')))
    return out


def config_for(ctx, example):
    """(config text, line number of the example), as the unit test builds them."""
    if ctx in ('global', 'stats_global', 'stats_socket'):
        return "global\n    " + example + "\n" + LISTEN, 2 + example.count('\n')
    if ctx == 'section':
        if example.startswith('program'):  # outside master-worker, refused for that (tested below)
            return "global\n    master-worker\n" + LISTEN + example + "\n", 11
        return "global\n" + LISTEN + example + "\n", 10
    return "global\n" + LISTEN + "    " + example + "\n", 10


def shown(kw):
    return kw[:-1] if kw.endswith('*') else kw


class UnimplementedKeywordsTest(ProxyTestCase):
    def test_table_is_read(self):
        self.assertGreater(len(rows()), 200)

    def _check_rows(self, kind):
        failures = []
        for ctx, kw, k, reason, example in rows():
            if k != kind or not example:
                continue
            cfg, line = config_for(ctx, example)
            d = self.tmpdir()
            rc, out, err = run_check(PROXY_BIN, cfg, d, name='x.cfg')
            where = f'parsing [x.cfg:{line}] : '
            hits = [l for l in err.splitlines() if where in l and f"'{shown(kw)}" in l and reason in l]
            if IS_HAPROXY:
                # the same expectations do not hold for haproxy itself; it is compared below
                continue
            if kind == 'hint':
                # No warning of portero's own: only those haproxy gives too (compared below).
                ok = rc == 0 and hits and hits[0].startswith('[NOTICE]')
                ok = ok and 'is accepted and ignored by portero' in hits[0]
            else:
                ok = rc == 1 and hits and hits[0].startswith('[ALERT]') and 'is not implemented by portero yet' in hits[0]
            if not ok:
                failures.append(f'{ctx} {kw}: rc={rc}\n{err}')
                continue
            if kind == 'hint' and kw in HINT_HAPROXY_DIFFERS:
                continue
            if haproxy_available() and not (kind == 'missing' and kw in HAPROXY_NEEDS_MORE):
                hrc, hout, herr = run_check(HAPROXY_BIN, cfg, d, name='x.cfg')
                if hrc != 0:
                    failures.append(f'{ctx} {kw}: haproxy refuses the example (rc={hrc}):\n{herr}')
                elif kind == 'hint' and warnings(herr) != warnings(err):
                    failures.append(f'{ctx} {kw}: warnings differ from haproxy\'s:\n{herr}\n--- portero:\n{err}')
            elif kind == 'hint' and '[WARNING]' in err:
                failures.append(f'{ctx} {kw}: portero warns:\n{err}')
        self.assertEqual(failures, [], '\n\n'.join(failures))

    def test_every_hint_row_is_accepted_cleanly_like_haproxy(self):
        self._check_rows('hint')

    def test_every_missing_row_is_refused_naming_line_keyword_and_loss(self):
        self._check_rows('missing')

    def test_real_config_with_tuning_hints_is_as_clean_as_haproxy(self):
        cfg = """global
    maxconn 2000
    tune.maxaccept 64
    tune.idle-pool.shared on
    maxpipes 1024
    nosplice
    stats socket /tmp/pt-unimpl-admin.sock mode 600 level admin
defaults
    mode http
    option splice-auto
    option http-no-delay
    timeout client 30s
    timeout server 30s
    timeout connect 5s
frontend www
    bind 127.0.0.1:18080 defer-accept tfo
    default_backend app
backend app
    balance roundrobin
    server a1 127.0.0.1:18081 check pool-max-conn 10 max-reuse 100
"""
        d = self.tmpdir()
        rc, out, err = run_check(PROXY_BIN, cfg, d, name='x.cfg')
        self.assertEqual(rc, 0, err)
        if not IS_HAPROXY:
            self.assertEqual(out, 'Configuration file is valid\n')
            self.assertNotIn('[WARNING]', err)
            # (max-reuse and pool-max-conn are implemented)
            self.assertEqual(sum(1 for l in err.splitlines() if "is accepted and ignored by portero" in l), 8, err)
        if not IS_HAPROXY and haproxy_available():
            hrc, hout, herr = run_check(HAPROXY_BIN, cfg, d, name='x.cfg')
            self.assertEqual((rc, out), (hrc, hout), herr)

    def test_real_config_with_missing_features_is_refused_with_each_line(self):
        # The stick table lines of this config work now (issue 14): only the others are refused.
        cfg = """global
    lua-load /dev/null
defaults
    mode http
    timeout client 30s
    timeout server 30s
    timeout connect 5s
frontend www
    bind 127.0.0.1:18080 accept-netscaler-cip 1234
    stick-table type ip size 100k expire 30s store http_req_rate(10s)
    http-request track-sc0 src
    http-request deny if { sc_http_req_rate(0) gt 20 }
    default_backend app
backend app
    server a1 127.0.0.1:18081 socks4 127.0.0.1:1080 check
"""
        d = self.tmpdir()
        rc, out, err = run_check(PROXY_BIN, cfg, d, name='x.cfg')
        if IS_HAPROXY:
            self.assertEqual(rc, 0, err)
            return
        self.assertEqual(rc, 1, err)
        for line, what in ((2, "'lua-load'"), (9, "'bind' : 'accept-netscaler-cip'"), (15, "'server' : 'socks4'")):
            self.assertIn(f'parsing [x.cfg:{line}] : {what} is not implemented by portero yet (', err)
        self.assertNotIn('x.cfg:10]', err)
        self.assertNotIn('x.cfg:11]', err)
        if haproxy_available():
            self.assertEqual(run_check(HAPROXY_BIN, cfg, d, name='x.cfg')[0], 0)

    def test_shipped_configs_still_load(self):
        conf = os.path.join(ROOT, 'conf')
        for name in sorted(os.listdir(conf)):
            if not name.endswith('.cfg'):
                continue
            with open(os.path.join(conf, name)) as f:
                cfg = f.read()
            if 'crt ' in cfg or 'ca-file' in cfg:
                continue  # TLS files live next to the shipped configs; test_tls_config covers them
            d = self.tmpdir()
            rc, out, err = run_check(PROXY_BIN, cfg, d, name=name)
            self.assertEqual(rc, 0, f'{name}:\n{err}')

    def test_init_addr_methods_are_haproxys(self):
        # `init-addr` is implemented (dns/, test_dns.py): every order of methods loads as on
        # haproxy, with its words when a method falls back.
        for server in ('localhost:18081 init-addr last,libc,none', 'localhost:18081 init-addr none',
                       'localhost:18081 init-addr 127.0.0.2', '127.0.0.1:18081 init-addr none',
                       'localhost:18081 init-addr last'):
            cfg = "global\n" + LISTEN + "    server s2 " + server + "\n"
            d = self.tmpdir()
            rc, out, err = run_check(PROXY_BIN, cfg, d, name='x.cfg')
            with self.subTest(server=server):
                self.assertEqual(rc, 1 if server.endswith('init-addr last') else 0, err)
                if haproxy_available() and not IS_HAPROXY:
                    hrc, hout, herr = run_check(HAPROXY_BIN, cfg, d, name='x.cfg')
                    self.assertEqual(rc, hrc)
                    strip = lambda t: [l.split(' : ', 1)[-1] for l in t.splitlines() if 'NOTICE' not in l]
                    self.assertEqual(strip(err), strip(herr))

    def test_check_options_that_change_the_verdict_are_refused(self):
        cfg = ("global\n" + LISTEN.replace("    server s 127.0.0.1:80\n", "") +
               "    option tcp-check\n    tcp-check connect port 18081\n"
               "    tcp-check send-lf hello\n    tcp-check expect string-lf ok\n"
               "    server s 127.0.0.1:18081 check\n")
        d = self.tmpdir()
        rc, out, err = run_check(PROXY_BIN, cfg, d, name='x.cfg')
        self.assertEqual(rc, 0, err)  # nothing to evaluate in these log-formats
        bad = cfg.replace('expect string-lf ok', 'expect min-recv 4 string-lf ok')
        rc, out, err = run_check(PROXY_BIN, bad, d, name='y.cfg')
        if IS_HAPROXY:
            self.assertEqual(rc, 0, err)
            return
        self.assertEqual(rc, 1, err)
        self.assertIn("parsing [y.cfg:12] : 'tcp-check expect' : 'min-recv' is not implemented by portero yet (", err)
        if haproxy_available():
            self.assertEqual(run_check(HAPROXY_BIN, bad, d, name='y.cfg')[0], 0)


if __name__ == '__main__':
    unittest.main()
