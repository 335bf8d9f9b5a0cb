"""prometheus-haproxy-exporter scraping the admin socket (`--haproxy.scrape-uri=unix:SOCKET`:
it sends `show info;show stat` one-shot and parses the CSV by column position), and the stats
page's CSV (`--haproxy.scrape-uri=http://.../stats;csv`, ExporterCsvTest). The metrics must
say the proxy is up and carry per-backend and per-server values, following traffic and admin
changes."""

import os
import re
import shutil
import signal
import subprocess
import unittest
import urllib.request

from harness import ProxyTestCase, Client, DEFAULTS, wait_until, free_port, IDENTITY
from harness.cli import cli

EXPORTER = shutil.which('prometheus-haproxy-exporter')




@unittest.skipUnless(EXPORTER, 'prometheus-haproxy-exporter is needed (scripts/bootstrap installs it)')
class ExporterTest(ProxyTestCase):
    via_socket = True

    def setUp(self):
        self.s1, self.s2 = self.origin('s1'), self.origin('s2')
        d = self.tmpdir()
        self.sock = os.path.join(d, 'stats.sock')          # default level (operator)
        self.admin_sock = os.path.join(d, 'admin.sock')
        self.fe = self.listener()
        self.stats = self.listener()
        cfg = f"""
global
    stats socket {self.sock}
    stats socket {self.admin_sock} level admin
{DEFAULTS}
frontend fe
    bind {self.fe.bind}
    default_backend be

backend be
    balance roundrobin
    server s1 {self.s1.addr} weight 2
    server s2 {self.s2.addr}

listen stats
    bind {self.stats.bind}
    stats enable
    stats uri /stats
"""
        self.proxy(cfg, [self.fe, self.stats])
        self.assertTrue(wait_until(lambda: os.path.exists(self.sock), 5))
        self.port = free_port()
        self.exporter = subprocess.Popen(
            [EXPORTER, '--haproxy.scrape-uri=' + (f'unix:{self.sock}' if self.via_socket else
                                                  f'http://127.0.0.1:{self.stats.port}/stats;csv'),
             f'--web.listen-address=127.0.0.1:{self.port}'],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.addCleanup(self.stop_exporter)

    def stop_exporter(self):
        if self.exporter.poll() is None:
            os.kill(self.exporter.pid, signal.SIGTERM)
            try:
                self.exporter.wait(5)
            except subprocess.TimeoutExpired:
                os.kill(self.exporter.pid, signal.SIGKILL)
                self.exporter.wait(5)
        self.exporter.stderr.close()

    def metrics(self):
        try:
            with urllib.request.urlopen(f'http://127.0.0.1:{self.port}/metrics', timeout=5) as r:
                text = r.read().decode()
        except OSError:
            return {}
        out = {}
        for line in text.split('\n'):
            if line and not line.startswith('#'):
                name, _, value = line.rpartition(' ')
                out[name] = value
        return out

    def metric(self, name):
        return self.metrics().get(name)

    def test_up_and_per_server_metrics(self):
        self.assertTrue(wait_until(lambda: self.metric('haproxy_up') == '1', 10),
                        self.exporter.stderr.peek() if hasattr(self.exporter.stderr, 'peek') else '')
        m = self.metrics()
        self.assertEqual(m.get('haproxy_exporter_csv_parse_failures_total'), '0')
        if self.via_socket:   # `show info` is read on the socket only
            self.assertEqual(m.get('haproxy_version_info{release_date="%s",version="%s"}'
                                   % (IDENTITY['release_date'], IDENTITY['version'])), '1')
        for s, w in (('s1', '2'), ('s2', '1')):
            self.assertEqual(m.get(f'haproxy_server_up{{backend="be",server="{s}"}}'), '1', s)
            self.assertEqual(m.get(f'haproxy_server_weight{{backend="be",server="{s}"}}'), w, s)
            self.assertEqual(m.get(f'haproxy_server_current_sessions{{backend="be",server="{s}"}}'), '0', s)
        self.assertEqual(m.get('haproxy_backend_up{backend="be"}'), '1')
        self.assertEqual(m.get('haproxy_backend_weight{backend="be"}'), '3')
        self.assertEqual(m.get('haproxy_frontend_current_sessions{frontend="fe"}'), '0')

    def test_metrics_follow_traffic_and_admin_changes(self):
        self.assertTrue(wait_until(lambda: self.metric('haproxy_up') == '1', 10))
        with Client(self.fe.port) as c:
            for _ in range(6):
                self.assertEqual(c.request('GET', '/').status, 200)

        def served():
            m = self.metrics()
            return (m.get('haproxy_server_sessions_total{backend="be",server="s1"}') == '4'
                    and m.get('haproxy_server_sessions_total{backend="be",server="s2"}') == '2'
                    and m.get('haproxy_backend_http_responses_total{backend="be",code="2xx"}') == '6'
                    and int(m.get('haproxy_server_bytes_out_total{backend="be",server="s1"}', '0')) > 0)
        self.assertTrue(wait_until(served, 10), {k: v for k, v in self.metrics().items()
                                                 if 'sessions_total' in k or 'responses_total' in k})

        self.assertEqual(cli(self.admin_sock, 'disable server be/s2'), '\n')
        self.assertTrue(wait_until(
            lambda: self.metric('haproxy_server_up{backend="be",server="s2"}') == '0', 10))
        self.assertEqual(self.metric('haproxy_backend_weight{backend="be"}'), '2')
        self.assertEqual(cli(self.admin_sock, 'set weight be/s1 5;enable server be/s2'), '\n\n')
        self.assertTrue(wait_until(
            lambda: self.metric('haproxy_server_weight{backend="be",server="s1"}') == '5'
            and self.metric('haproxy_server_up{backend="be",server="s2"}') == '1', 10))


class ExporterCsvTest(ExporterTest):
    """The same metrics scraped from the stats page's CSV over HTTP."""
    via_socket = False


if __name__ == '__main__':
    unittest.main()
