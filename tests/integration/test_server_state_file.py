"""`server-state-file` / `load-server-state-from-file`: what an operator set at run time
(maintenance, drain, weights, disabled checks) and what the checks found (a server DOWN) survive
a restart through `show servers state > file`, as HAProxy 2.6 restores them. Every scenario runs
on portero and, when present, on haproxy 2.6.12, and the restored states are compared."""

import os
import signal
import unittest

from harness import (free_port, ProxyTestCase, DEFAULTS, wait_until, HAPROXY_BIN, PROXY_BIN, IS_HAPROXY,
                     haproxy_available)
from harness.proxy import run_check
from harness.cli import cli, stat_rows


def state_lines(text):
    """show servers state -> {server name: fields}, without the time since the last change."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith('#') or line == '1':
            continue
        f = line.split()
        out[f[3]] = f[:9] + f[10:]
    return out


def server_rows(csv):
    """show stat CSV -> {svname: {column: value}} (one backend here)."""
    return {sv: row for (_, sv), row in stat_rows(csv).items()}


class ServerStateFileTest(ProxyTestCase):
    def setUp(self):
        self.live = self.origin('live')
        self.dead_addr = f'127.0.0.1:{free_port()}'   # nothing answers there

    def config(self, sock, extra_global='', extra_backend='', s2_weight=''):
        fe = self.listener()
        cfg = f"""
global
    stats socket {sock} level admin
{extra_global}
{DEFAULTS}
frontend fe
    bind {fe.bind}
    default_backend be

backend be
{extra_backend}
    server s1 {self.live.addr} check inter 2s
    server s2 {self.live.addr} check inter 2s {s2_weight}
    server s3 {self.live.addr}
    server s4 {self.live.addr} check inter 2s
    server s5 {self.dead_addr} check inter 300ms fall 1
    server s6 {self.live.addr} check inter 2s
"""
        return cfg, fe

    def first_run(self, binary, state_path):
        """Runs the operator's commands, then saves `show servers state` as an operator would."""
        sock = os.path.join(self.tmpdir(), 'a.sock')
        cfg, fe = self.config(sock)
        p = self.proxy(cfg, [fe], binary=binary)
        self.assertTrue(wait_until(lambda: os.path.exists(sock), 5))
        for cmd in ('disable server be/s1', 'set weight be/s2 50', 'set server be/s3 state drain',
                    'disable health be/s4'):
            self.assertEqual(cli(sock, cmd).strip(), '', cmd)
        # every check has run once (s5's failed: DOWN)
        def checked():
            rows = server_rows(cli(sock, 'show stat'))
            return rows['s5']['status'] == 'DOWN' and rows['s2']['check_status'] == rows['s6']['check_status'] == 'L4OK'
        self.assertTrue(wait_until(checked, 10))
        saved = cli(sock, 'show servers state')
        with open(state_path, 'w') as f:
            f.write(saved)
        p.stop()
        return saved

    def second_run(self, binary, state_path, extra_global, extra_backend, s2_weight=''):
        sock = os.path.join(self.tmpdir(), 'b.sock')
        cfg, fe = self.config(sock, extra_global, extra_backend, s2_weight)
        p = self.proxy(cfg, [fe], binary=binary)
        self.assertTrue(wait_until(lambda: os.path.exists(sock), 5))
        return p, sock

    def restored(self, binary, extra_global, extra_backend, local_name=None, s2_weight=''):
        d = self.tmpdir()
        state_path = os.path.join(d, local_name or 'global.state')
        saved = self.first_run(binary, state_path)
        extra_global = extra_global.replace('@DIR@', d)
        extra_backend = extra_backend.replace('@DIR@', d)
        p, sock = self.second_run(binary, state_path, extra_global, extra_backend, s2_weight)
        return saved, cli(sock, 'show servers state'), server_rows(cli(sock, 'show stat')), p

    def check_restored(self, saved, now, rows):
        before, after = state_lines(saved), state_lines(now)
        self.assertEqual(set(before), set(after))
        # op state, admin state, weights, check and agent states (health is rebuilt from the
        # op state: a server without a check comes back with rise+fall-1, as haproxy's)
        keep = lambda f: [f[i] for i in (5, 6, 7, 8, 12, 13)]
        for name in before:
            self.assertEqual(keep(before[name]), keep(after[name]), name)
        self.assertEqual(rows['s1']['status'], 'MAINT')
        self.assertEqual(rows['s2']['weight'], '50')
        self.assertEqual(rows['s3']['status'], 'DRAIN')
        self.assertEqual(rows['s4']['check_status'], '')   # its check stays disabled
        self.assertEqual(rows['s5']['status'], 'DOWN')      # at once, without a failed check
        self.assertEqual(rows['s6']['status'], 'UP')

    def test_global_file_restores_every_state(self):
        saved, now, rows, _ = self.restored(
            PROXY_BIN, 'server-state-file @DIR@/global.state', 'load-server-state-from-file global')
        self.check_restored(saved, now, rows)

    def test_base_directory_and_backend_named_local_file(self):
        saved, now, rows, _ = self.restored(
            PROXY_BIN, 'server-state-base @DIR@', 'load-server-state-from-file local', local_name='be')
        self.check_restored(saved, now, rows)

    def test_named_local_file(self):
        saved, now, rows, _ = self.restored(
            PROXY_BIN, '', 'load-server-state-from-file local\n    server-state-file-name @DIR@/mine',
            local_name='mine')
        self.check_restored(saved, now, rows)

    def test_a_changed_config_weight_wins_over_the_saved_one(self):
        # HAProxy: the saved run-time weight applies only if the configured weight is unchanged
        saved, now, rows, _ = self.restored(
            PROXY_BIN, 'server-state-file @DIR@/global.state', 'load-server-state-from-file global',
            s2_weight='weight 7')
        self.assertEqual(rows['s2']['weight'], '7')
        self.assertEqual(rows['s1']['status'], 'MAINT')

    def test_none_and_no_keyword_restore_nothing(self):
        for backend in ('load-server-state-from-file none', ''):
            saved, now, rows, p = self.restored(PROXY_BIN, 'server-state-file @DIR@/global.state', backend)
            self.assertEqual(rows['s1']['status'], 'UP', backend)
            self.assertEqual(rows['s2']['weight'], '1', backend)
            p.stop()

    @unittest.skipUnless(haproxy_available(), 'haproxy not installed')
    def test_same_states_as_haproxy(self):
        outs = []
        for binary in (HAPROXY_BIN, PROXY_BIN):
            saved, now, rows, p = self.restored(
                binary, 'server-state-file @DIR@/global.state', 'load-server-state-from-file global')
            p.stop()
            lines = state_lines(now)
            # s3 has no check: haproxy shows the health its restore computed (rise+fall-1),
            # portero the one it shows for any server without a check (rise)
            lines['s3'][11] = '-'
            outs.append((lines,
                         {n: (r['status'], r['weight'], r['check_status'], r['chkdown'], r['check_health'])
                          for n, r in rows.items()
                          if n not in ('FRONTEND', 'BACKEND')}))
        self.maxDiff = None
        self.assertEqual(outs[0], outs[1])


class ServerStateFileMessagesTest(ProxyTestCase):
    """-c messages and the start-up words for missing or broken files, as haproxy's."""

    def cfg(self, glob, backend):
        return f"""
global
{glob}
{DEFAULTS}
backend be
{backend}
    server s1 127.0.0.1:1
"""

    def messages(self, binary, glob, backend):
        rc, out, err = run_check(binary, self.cfg(glob, backend), self.tmpdir())
        lines = [l.split(' : ', 1)[1] if ' : ' in l else l for l in err.splitlines()
                 if 'ALERT' in l or 'WARNING' in l]
        return rc, lines

    def cases(self):
        d = self.tmpdir()
        bad = os.path.join(d, 'bad')
        with open(bad, 'w') as f:
            f.write('not a version\n')
        loc = os.path.join(d, 'loc')
        v1 = '127.0.0.1 2 0 1 1 10 6 3 4 6 0 0 0 - 1 - 0 0 - - 0'
        with open(loc, 'w') as f:
            f.write('1\n# be_id be_name ...\n'
                    f'1 be 1 zz {v1}\n'            # a server the backend does not have
                    f'2 be 1 s1 {v1}\n'            # the name matches, not the id
                    f'1 other 1 s1 {v1}\n'         # the id matches, not the name
                    f'1 be 1 s1 {v1.replace(" 2 0 1 1", " 9 0 1 1")}\n')
        bad_values = os.path.join(d, 'badvalues')
        with open(bad_values, 'w') as f:
            f.write(f'1\n1 be 1 s1 127.0.0.1 9 3 999 1 10 6 3 4 6 0 0 0 - 1 - 0 0 - - 0\n')
        truncated = os.path.join(d, 'truncated')
        with open(truncated, 'w') as f:
            f.write(f'1\n1 be 1 s1 {v1}')
        return [
            ('', f'load-server-state-from-file local\n    server-state-file-name {loc}'),
            ('', f'load-server-state-from-file local\n    server-state-file-name {bad_values}'),
            ('', f'load-server-state-from-file local\n    server-state-file-name {truncated}'),
            ('', 'load-server-state-from-file foo'),
            ('', 'load-server-state-from-file'),
            ('', 'server-state-file-name a b'),
            ('    server-state-file', ''),
            ('    server-state-base', ''),
            (f'    server-state-file {d}/missing', 'load-server-state-from-file global'),
            (f'    server-state-file {bad}', 'load-server-state-from-file global'),
            (f'    server-state-base {d}', 'load-server-state-from-file local'),
        ]

    def test_portero_words(self):
        got = [self.messages(PROXY_BIN, g, b) for g, b in self.cases()][3:]
        self.assertIn("'load-server-state-from-file' expects 'global', 'local' or 'none'. Got 'foo'", got[0][1][0])
        self.assertNotEqual(got[0][0], 0)
        self.assertIn("Can't open global server state file", got[5][1][0])
        self.assertIn("Can't get version of the global server state file", got[6][1][0])

    @unittest.skipUnless(haproxy_available(), 'haproxy not installed')
    def test_same_words_as_haproxy(self):
        for g, b in self.cases():
            h = self.messages(HAPROXY_BIN, g, b)
            p = self.messages(PROXY_BIN, g, b)
            self.assertEqual(h[0] == 1, p[0] == 1, (g, b, h, p))
            self.assertEqual(h[1], p[1], (g, b))


if __name__ == '__main__':
    unittest.main()


def info_pid(sock):
    for line in cli(sock, 'show info').splitlines():
        if line.startswith('Pid:'):
            return int(line.split(':')[1])
    return None


@unittest.skipIf(IS_HAPROXY, 'portero only: haproxy forgets run-time states on a reload without a state file')
class ReloadCarriesStatesTest(ProxyTestCase):
    """Beyond HAProxy: a master-worker reload (SIGUSR2) keeps what the operator set at run time
    and what the checks found, with no state file, unless `load-server-state-from-file none`."""

    def run_reload(self, defaults_extra=''):
        from test_master_worker import wait_settled, children
        live = self.origin('live')
        port = free_port()
        sock = os.path.join(self.tmpdir(), 'admin.sock')
        cfg = f"""
global
    stats socket {sock} level admin
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
{defaults_extra}
frontend fe
    bind 127.0.0.1:{port}
    default_backend be
backend be
    server s1 {live.addr} check inter 60s
    server s2 {live.addr} check inter 60s
    server s3 {live.addr} check inter 60s
"""
        p = self.proxy(cfg, args=['-W'])
        self.addCleanup(lambda: [os.kill(c, 9) for c in children(p.pid)] if p.alive() else None)
        self.assertTrue(wait_until(lambda: os.path.exists(sock) and info_pid(sock), 10))
        old = info_pid(sock)
        for cmd in ('disable server be/s1', 'set weight be/s2 50', 'set server be/s3 health down'):
            self.assertEqual(cli(sock, cmd).strip(), '', cmd)
        p.signal(signal.SIGUSR2)
        self.assertTrue(wait_settled(p, 2), p.stderr())
        self.assertTrue(wait_until(lambda: (info_pid(sock) or old) != old, 10), 'no new worker')
        return server_rows(cli(sock, 'show stat'))

    def test_reload_keeps_maintenance_weight_and_down_servers(self):
        rows = self.run_reload()
        self.assertEqual(rows['s1']['status'], 'MAINT')
        self.assertEqual(rows['s2']['weight'], '50')
        # DOWN at once: its next check is a minute away
        self.assertEqual(rows['s3']['status'], 'DOWN')
        self.assertEqual(rows['BACKEND']['weight'], '50')

    def test_explicit_none_starts_fresh(self):
        rows = self.run_reload('    load-server-state-from-file none')
        self.assertTrue(rows['s1']['status'].startswith('UP'), rows['s1']['status'])   # UP, or UP 1/3
        self.assertEqual(rows['s2']['weight'], '1')
        self.assertTrue(rows['s3']['status'].startswith('UP'), rows['s3']['status'])
