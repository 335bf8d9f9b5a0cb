"""Backup servers: used only when no active server is usable; the first backup alone
without `option allbackups`; all backups balanced by weight with it; HAProxy's map-table
quirk when falling back to backups with unequal weights (COMPAT.md §1.3)."""

import unittest

from harness import ProxyTestCase, Client


class BackupTest(ProxyTestCase):
    def picks(self, servers, n, backend='', paths=None):
        """servers: [(name, opts)]; returns the x-origin of n sequential requests."""
        self.srv = {name: self.origin(name) for name, _ in servers}
        lines = '\n'.join(f'    server {name} {self.srv[name].addr} {opts}'
                          for name, opts in servers)
        fe = self.listener()
        cfg = f"""
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind {fe.bind}
    default_backend be
backend be
{backend}
{lines}
"""
        self.proxy(cfg, [fe])
        out = []
        with Client(fe.port) as c:
            for i in range(n):
                r = c.request('GET', paths[i % len(paths)] if paths else '/')
                out.append(r.header('x-origin') if r.status == 200 else r.status)
        return out

    def test_backup_unused_while_an_active_is_usable(self):
        got = self.picks([('s1', ''), ('s2', 'disabled'), ('b1', 'backup'),
                          ('b2', 'backup')], 10)
        self.assertEqual(got, ['s1'] * 10)
        self.assertEqual(self.srv['b1'].connection_count(), 0)

    def test_first_backup_only_without_allbackups(self):
        got = self.picks([('s1', 'disabled'), ('s2', 'disabled'), ('b1', 'backup'),
                          ('b2', 'backup'), ('b3', 'backup')], 9)
        self.assertEqual(got, ['b1'] * 9)

    def test_first_usable_backup(self):
        got = self.picks([('s1', 'disabled'), ('b1', 'backup disabled'), ('b2', 'backup'),
                          ('b3', 'backup')], 6)
        self.assertEqual(got, ['b2'] * 6)

    def test_allbackups_round_robin(self):
        got = self.picks([('s1', 'disabled'), ('b1', 'backup'), ('b2', 'backup'),
                          ('b3', 'backup')], 9, backend='    option allbackups')
        self.assertEqual(got, ['b1', 'b2', 'b3'] * 3)

    def test_allbackups_weights(self):
        got = self.picks([('s1', 'disabled'), ('b1', 'backup weight 1'),
                          ('b2', 'backup weight 2'), ('b3', 'backup weight 3')], 12,
                         backend='    option allbackups')
        # the same FWRR order as for actives with weights 1,2,3
        self.assertEqual(got, ['b3', 'b2', 'b3', 'b1', 'b3', 'b2'] * 2)

    def test_allbackups_unused_while_active(self):
        got = self.picks([('s1', ''), ('b1', 'backup'), ('b2', 'backup')], 6,
                         backend='    option allbackups')
        self.assertEqual(got, ['s1'] * 6)

    def test_no_usable_server_503(self):
        got = self.picks([('s1', 'disabled'), ('b1', 'backup disabled')], 2)
        self.assertEqual(got, [503, 503])

    def test_static_rr_backup_table_quirk(self):
        # no allbackups, backups weights 2,5 (gcd 1): the table length is the first backup's
        # weight (2) but it is filled from all backups -> [b2, b2]: all traffic to b2
        got = self.picks([('s1', 'disabled'), ('b1', 'backup weight 2'),
                          ('b2', 'backup weight 5')], 6, backend='    balance static-rr')
        self.assertEqual(got, ['b2'] * 6)

    def test_static_rr_backup_table_quirk_three(self):
        # backups 2,2,1 -> table of length 2 filled by the map algorithm over all three
        # backups: [b1, b2]: alternates b1, b2 and b3 gets nothing
        got = self.picks([('s1', 'disabled'), ('b1', 'backup weight 2'),
                          ('b2', 'backup weight 2'), ('b3', 'backup weight 1')], 6,
                         backend='    balance static-rr')
        self.assertEqual(got, ['b1', 'b2'] * 3)

    def test_uri_hash_backup_quirk(self):
        # hash algorithms see one usable "server" and take table[0] without hashing
        got = self.picks([('s1', 'disabled'), ('b1', 'backup weight 2'),
                          ('b2', 'backup weight 5')], 6, backend='    balance uri',
                         paths=['/a', '/b', '/c', '/d', '/e', '/f'])
        self.assertEqual(got, ['b2'] * 6)

    def test_uri_hash_allbackups(self):
        # with allbackups the backups form the map table: weights 1,2,3 as for actives
        got = self.picks([('s1', 'disabled'), ('b1', 'backup weight 1'),
                          ('b2', 'backup weight 2'), ('b3', 'backup weight 3')], 9,
                         backend='    balance uri\n    option allbackups',
                         paths=['/a', '/b', '/c', '/d', '/e', '/foo', '/bar', '/abcdefgh',
                                '/a?b=c'])
        # COMPAT §1.10 golden vector for weights 1,2,3 (names shifted to the backups)
        self.assertEqual(got, ['b1', 'b3', 'b2', 'b3', 'b2', 'b3', 'b2', 'b3', 'b1'])


if __name__ == '__main__':
    unittest.main()
