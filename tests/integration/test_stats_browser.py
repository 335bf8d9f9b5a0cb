"""The stats page in a real browser: headless chromium loads it while traffic flows, lets the
page's script poll `<stats uri>;live` a few times (--virtual-time-budget), then dumps the DOM.
The tables must be there (HAProxy's page too), and on portero the charts must carry live numbers:
the script writes the latest values into data-* attributes and the table of objects, which the
DOM dump shows. A screenshot is kept as an artefact; its path is printed.
Run against haproxy with PROXY_BIN=/usr/sbin/haproxy (the chart checks are skipped there)."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import unittest

from harness import ProxyTestCase, Client, DEFAULTS, wait_until
from harness.cli import cli
from harness.tls import certs

CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')
ARTIFACTS = os.environ.get('INTEG_ARTIFACTS') or os.path.join(tempfile.gettempdir(), 'portero-artifacts')


class Traffic:
    """Requests to the frontend on a keep-alive connection until stopped."""

    def __init__(self, port):
        self.port = port
        self.count = 0
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop_flag.is_set():
            try:
                with Client(self.port, timeout=5) as c:
                    for _ in range(200):
                        if self.stop_flag.is_set():
                            return
                        c.request('GET', '/')
                        self.count += 1
            except (OSError, EOFError, Exception):   # the proxy stopping ends the run
                if self.stop_flag.wait(0.05):
                    return

    def stop(self):
        self.stop_flag.set()
        self.thread.join(10)


@unittest.skipUnless(CHROMIUM, 'chromium is not installed (scripts/bootstrap installs it)')
class StatsBrowser(ProxyTestCase):
    def chromium(self, *args):
        """Run headless chromium with a private profile; returns stdout."""
        profile = self.tmpdir()
        cmd = [CHROMIUM, '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
               '--no-first-run', f'--user-data-dir={profile}', '--window-size=1400,1000', *args]
        r = subprocess.run(cmd, capture_output=True, timeout=90)
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors='replace')[-2000:])
        return r.stdout.decode('utf-8', 'replace')

    def test_tables_and_live_charts(self):
        s1, s2 = self.origin('s1'), self.origin('s2')
        fe, st = self.listener(), self.listener()
        cfg = f"""
global
{DEFAULTS}
frontend fe
    bind {fe.bind}
    default_backend be

backend be
    server s1 {s1.addr} check inter 500
    server s2 {s2.addr} check inter 500

listen stats
    bind {st.bind}
    stats enable
    stats uri /stats
    stats admin if TRUE
"""
        self.proxy(cfg, [fe, st])
        url = f'http://127.0.0.1:{st.port}/stats'
        traffic = Traffic(fe.port)
        self.addCleanup(traffic.stop)
        self.assertTrue(wait_until(lambda: traffic.count >= 50, 10), 'no traffic through the proxy')

        live = not self.IS_HAPROXY
        if live:
            # the sampler has seen traffic in its last second before the browser looks
            def fe_busy():
                with Client(st.port) as c:
                    feed = json.loads(c.request('GET', '/stats;live').body)
                fe_obj = next(o for o in feed['objects'] if (o['proxy'], o['name']) == ('fe', 'FRONTEND'))
                return fe_obj['req'] and fe_obj['req'][-1] > 0
            self.assertTrue(wait_until(fe_busy, 10), 'the live feed never showed the traffic')

        dom = self.chromium('--virtual-time-budget=5000', '--dump-dom', url)

        # the tables rendered (both implementations)
        for px in ('fe', 'be', 'stats'):
            self.assertIn(f'<a name="{px}"></a>', dom)
        self.assertRegex(dom, r'<tr class="frontend"')
        self.assertRegex(dom, r'<tr class="backend"')
        self.assertRegex(dom, r'<input class="be-checkbox" type="checkbox" name="s" value="s2">')

        os.makedirs(ARTIFACTS, exist_ok=True)
        shot = os.path.join(ARTIFACTS, f'stats_page_{os.path.basename(self.PROXY_BIN)}.png')
        self.chromium('--virtual-time-budget=5000', f'--screenshot={shot}', url)
        self.assertTrue(os.path.getsize(shot) > 10000)
        print(f'\nstats page screenshot: {shot}')

        if not live:
            return
        # the script polled several times and wrote the latest numbers where the DOM shows them
        m = re.search(r'<div id="live"([^>]*)>', dom)
        self.assertIsNotNone(m, 'no live section')
        attrs = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', m.group(1)))
        self.assertGreaterEqual(int(attrs.get('polls', '0')), 2, attrs)
        self.assertGreaterEqual(int(attrs.get('samples', '0')), 2, attrs)
        self.assertEqual(attrs.get('object'), 'fe/FRONTEND', attrs)   # the busiest frontend
        self.assertGreater(float(attrs['latest-req']), 0, attrs)
        self.assertRegex(attrs['latest-lat'], r'^[\d.]+ / [\d.]+ / [\d.]+ / [\d.]+$')
        row = re.search(r'<tr class="frontend sel" data-object="fe/FRONTEND" data-req="([\d.]+)"', dom)
        self.assertIsNotNone(row, 'no live row for fe/FRONTEND')
        self.assertGreater(float(row.group(1)), 0)
        for obj in ('be/s1', 'be/s2', 'be/BACKEND', 'stats/FRONTEND'):
            self.assertIn(f'data-object="{obj}"', dom)
        # the caption next to the request chart shows the same latest value
        cap = re.search(r'<b class="latest" data-latest="req">([^<]*)</b>', dom)
        self.assertEqual(cap.group(1), attrs['latest-req'])
        # the select lists every object
        self.assertGreaterEqual(len(re.findall(r"<option value=\"[^\"]+/[^\"]+\">", dom)), 6)   # + the harness probe


    def test_stats_page_over_http2(self):
        """The browser's usual setup: TLS with `alpn h2,http/1.1`. Chromium negotiates HTTP/2
        and gets the page and its live feed over it (the frontend counts an HTTP/2 connection
        and several streams on it)."""
        c = certs()
        st = self.listener()
        sock = os.path.join(self.tmpdir(), 'admin.sock')
        cfg = f"""
global
    stats socket {sock} level admin
{DEFAULTS}
listen stats
    bind {st.bind} ssl crt {c.pem('a.test')} alpn h2,http/1.1
    stats enable
    stats uri /stats
"""
        self.proxy(cfg, [st])
        url = f'https://127.0.0.1:{st.port}/stats'
        dom = self.chromium('--ignore-certificate-errors', '--virtual-time-budget=5000', '--dump-dom', url)
        self.assertIn('<a name="stats"></a>', dom)
        self.assertRegex(dom, r'<tr class="frontend"')

        def row():
            out = cli(sock, 'show stat')
            lines = out.splitlines()
            cols = lines[0][2:].split(',')
            for line in lines[1:]:
                cells = line.split(',')
                if cells[:2] == ['stats', 'FRONTEND']:
                    return dict(zip(cols, cells))
            return None
        r = row()
        self.assertGreaterEqual(int(r['h2_total_connections']), 1, r)
        # the page, and (portero) the live feed the page's script polled, as streams of it
        self.assertGreaterEqual(int(r['h2_headers_rcvd']), 1 if self.IS_HAPROXY else 2, r)


if __name__ == '__main__':
    unittest.main()
