"""`http-request use-service prometheus-exporter`: the metrics page scraped after real traffic.
Framing (content type `text/plain; version=0.0.4`), HAProxy's metric names and labels, values
that follow the traffic sent, `scope=` / `no-maint`, the 400 on an unknown scope. portero's own
latency histograms (`portero_*_request_duration_seconds`) are checked only for portero.
Live differential: the set of (metric name, label set) series portero emits for a config is
compared with haproxy's; HAProxy series portero does not emit must be in MISSING with a reason."""

import os
import re
import unittest

from harness import ProxyTestCase, Client, HAPROXY_BIN, wait_until, free_port, IDENTITY

LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')

# HAProxy metrics portero does not emit: (name, reason). Keep short.
MISSING = {}
# Series whose presence depends on when a health check last ran in haproxy (it drops
# check_code for some check states); compared only when both emit them.
VOLATILE = {'haproxy_server_check_code'}
# Same series, a different label value by design: each names its own version.
OWN_VERSION = 'haproxy_process_build_info'
HARNESS_PROXY = '__harness_ready'


def parse(body):
    """{(name, frozenset(labels)): value} plus the HELP/TYPE names, checking the format."""
    series, helps, types = {}, [], {}
    for line in body.splitlines():
        if line.startswith('# HELP '):
            helps.append(line.split(' ')[2])
            continue
        if line.startswith('# TYPE '):
            _, _, name, kind = line.split(' ')
            types[name] = kind
            continue
        m = LINE.match(line)
        assert m, f'not a sample line: {line!r}'
        labels = frozenset(LABEL.findall(m.group(2) or ''))
        series[(m.group(1), labels)] = m.group(3)
    return series, helps, types


def value(series, name, **labels):
    return series.get((name, frozenset(labels.items())))


class PrometheusTest(ProxyTestCase):
    def start(self, extra_servers='', binary=None, origins=2):
        self.origins = [self.origin(f'o{i + 1}') for i in range(origins)]
        fe, tcp = self.listener(), self.listener()
        servers = '\n'.join(f'    server s{i + 1} {o.addr}' for i, o in enumerate(self.origins))
        cfg = f"""
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind {fe.bind}
    http-request use-service prometheus-exporter if {{ path /metrics }}
    default_backend be
frontend fe_tcp
    mode tcp
    bind {tcp.bind}
    default_backend be_tcp
backend be
{servers}
{extra_servers}
backend be_tcp
    mode tcp
    server t1 {self.origins[0].addr}
"""
        self.proxy(cfg, [fe, tcp], binary=binary)
        return fe

    def scrape(self, fe, query=''):
        with Client(fe.port) as c:
            r = c.request('GET', '/metrics' + query)
        return r

    def metrics(self, fe, query=''):
        r = self.scrape(fe, query)
        self.assertEqual(r.status, 200)
        return parse(r.body.decode())

    def settled_metrics(self, fe, cond, query=''):
        """Scrape until cond(series) holds (deadline 5 s); the last scrape either way."""
        last = {}
        def poll():
            nonlocal last
            last, _, _ = self.metrics(fe, query)
            return cond(last)
        wait_until(poll, timeout=5)
        return last

    def test_framing(self):
        fe = self.start()
        r = self.scrape(fe)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header('content-type'), 'text/plain; version=0.0.4')
        self.assertEqual(r.header('cache-control'), 'no-cache')
        self.assertTrue(r.body.startswith(b'# HELP haproxy_process_nbthread '), r.body[:80])
        series, helps, types = parse(r.body.decode())
        # one HELP and one TYPE per metric, each before its samples
        self.assertEqual(len(helps), len(set(helps)))
        for (name, _) in series:
            base = re.sub(r'_(bucket|sum|count)$', '', name) if name.startswith('portero_') else name
            self.assertIn(base, types, name)
        self.assertEqual(types['haproxy_frontend_sessions_total'], 'counter')
        self.assertEqual(types['haproxy_server_current_sessions'], 'gauge')
        self.assertEqual(value(series, 'haproxy_process_nbproc'), '1')

    def test_values_follow_traffic(self):
        fe = self.start()
        n = 10
        with Client(fe.port) as c:
            for i in range(n):
                self.assertEqual(c.request('GET', f'/r{i}').status, 200)
            self.assertEqual(c.request('GET', '/status/404').status, 404)
        # a stream is counted when it ends, which may follow the client's read of its response
        s = self.settled_metrics(fe, lambda s: value(s, 'haproxy_backend_http_responses_total',
                                                     proxy='be', code='4xx') == '1')
        if not self.IS_HAPROXY:
            # a status is counted when its head is sent, the durations when the exchange ends
            # (after its last write completes): wait for the last one too
            def timed(s):
                return sum(int(value(s, 'portero_server_request_duration_seconds_count', proxy='be', server=v) or 0)
                           for v in ('s1', 's2'))
            s = self.settled_metrics(fe, lambda s: timed(s) == n + 1)
        s1 = value(s, 'haproxy_server_http_responses_total', proxy='be', server='s1', code='2xx')
        s2 = value(s, 'haproxy_server_http_responses_total', proxy='be', server='s2', code='2xx')
        self.assertEqual(int(s1) + int(s2), n)
        self.assertEqual(len(self.origins[0].requests) + len(self.origins[1].requests), n + 1)
        by_origin = {f's{i + 1}': len(o.requests) for i, o in enumerate(self.origins)}
        for srv, count in by_origin.items():
            self.assertEqual(value(s, 'haproxy_server_sessions_total', proxy='be', server=srv), str(count))
            self.assertEqual(value(s, 'haproxy_server_loadbalanced_total', proxy='be', server=srv), str(count))
        fours = sum(int(value(s, 'haproxy_server_http_responses_total', proxy='be', server=srv, code='4xx'))
                    for srv in ('s1', 's2'))
        self.assertEqual(fours, 1)
        self.assertEqual(value(s, 'haproxy_backend_http_responses_total', proxy='be', code='2xx'), str(n))
        self.assertEqual(value(s, 'haproxy_backend_http_responses_total', proxy='be', code='4xx'), '1')
        self.assertEqual(value(s, 'haproxy_frontend_http_responses_total', proxy='fe', code='4xx'), '1')
        # the scrapes themselves are answered by the frontend: >= n + 1 requests
        self.assertGreaterEqual(int(value(s, 'haproxy_frontend_http_requests_total', proxy='fe')), n + 1)
        self.assertEqual(value(s, 'haproxy_server_status', proxy='be', server='s1', state='UP'), '1')
        self.assertEqual(value(s, 'haproxy_server_status', proxy='be', server='s1', state='DOWN'), '0')
        self.assertEqual(value(s, 'haproxy_backend_status', proxy='be', state='UP'), '1')
        self.assertEqual(value(s, 'haproxy_frontend_status', proxy='fe', state='UP'), '1')
        self.assertEqual(value(s, 'haproxy_backend_active_servers', proxy='be'), '2')
        self.assertEqual(value(s, 'haproxy_server_limit_sessions', proxy='be', server='s1'), 'NaN')
        self.assertGreater(int(value(s, 'haproxy_backend_bytes_out_total', proxy='be')), 0)
        # TCP proxies: the common metrics, no HTTP ones
        self.assertEqual(value(s, 'haproxy_frontend_sessions_total', proxy='fe_tcp'), '0')
        self.assertIsNone(value(s, 'haproxy_frontend_http_requests_total', proxy='fe_tcp'))
        self.assertIsNone(value(s, 'haproxy_server_http_responses_total', proxy='be_tcp', server='t1',
                                code='2xx'))
        if self.IS_HAPROXY:
            return
        # portero's histograms: cumulative buckets, +Inf = _count = the requests of the object
        for srv, count in by_origin.items():
            name = 'portero_server_request_duration_seconds'
            buckets = sorted(((float(dict(l)['le']), int(v)) for (nm, l), v in s.items()
                              if nm == name + '_bucket' and dict(l)['server'] == srv))
            self.assertEqual(len(buckets), 21)
            self.assertEqual([c for _, c in buckets], sorted(c for _, c in buckets))
            self.assertEqual(buckets[-1], (float('inf'), count))
            self.assertEqual(value(s, name + '_count', proxy='be', server=srv), str(count))
            self.assertGreater(float(value(s, name + '_sum', proxy='be', server=srv)), 0)
            self.assertEqual(buckets[-2][1], count)   # all under 67 s
        self.assertEqual(value(s, 'portero_backend_request_duration_seconds_count', proxy='be'), str(n + 1))

    def test_backend_requests_counted(self):
        fe = self.start()
        with Client(fe.port) as c:
            for i in range(5):
                self.assertEqual(c.request('GET', f'/r{i}').status, 200)
        s = self.settled_metrics(fe, lambda s: value(s, 'haproxy_backend_http_requests_total',
                                                     proxy='be') == '5')
        self.assertEqual(value(s, 'haproxy_backend_http_requests_total', proxy='be'), '5')

    def test_scope_and_no_maint(self):
        fe = self.start(extra_servers=f'    server s9 127.0.0.1:{free_port()} disabled')
        def scopes(query):
            s, _, _ = self.metrics(fe, query)
            return sorted({name.split('_')[1] for (name, _) in s if name.startswith('haproxy_')})
        self.assertEqual(scopes(''), ['backend', 'frontend', 'process', 'server'])
        self.assertEqual(scopes('?scope=global'), ['process'])
        self.assertEqual(scopes('?scope=server&scope=frontend'), ['frontend', 'server'])
        self.assertEqual(scopes('?scope=backend&scope='), [])   # an empty scope drops the earlier ones
        self.assertEqual(scopes('?scope=global&scope=&scope=backend'), ['backend'])
        self.assertEqual(scopes('?scope=global&scope=*'), ['backend', 'frontend', 'process', 'server'])
        self.assertEqual(scopes('?foo=bar&scope=frontend'), ['frontend'])
        r = self.scrape(fe, '?scope=')
        self.assertEqual((r.status, r.body), (200, b''))
        r = self.scrape(fe, '?scope=nope')
        self.assertEqual(r.status, 400)
        self.assertIn(b'Your browser sent an invalid request.', r.body)
        s, _, _ = self.metrics(fe, '?scope=server')
        self.assertEqual(value(s, 'haproxy_server_status', proxy='be', server='s9', state='MAINT'), '1')
        s, _, _ = self.metrics(fe, '?scope=server&scope=backend&no-maint')
        self.assertFalse([k for k in s if ('server', 's9') in k[1]])
        self.assertTrue([k for k in s if ('server', 's1') in k[1]])
        self.assertEqual(value(s, 'haproxy_backend_agg_server_status', proxy='be', state='MAINT'), '1')

    # --- live differential -------------------------------------------------------------------

    def differential_config_start(self, binary):
        self.origins = [self.origin('o1')]
        o = self.origins[0].addr
        fe, tcp, li = self.listener(), self.listener(), self.listener()
        dead = free_port()
        cfg = f"""
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind {fe.bind}
    http-request use-service prometheus-exporter if {{ path /metrics }}
    default_backend be
frontend fe_tcp
    mode tcp
    bind {tcp.bind}
    default_backend be_tcp
backend be
    server s1 {o}
    server c1 {o} check inter 200
    server c2 127.0.0.1:{dead} check inter 200
    server c3 {o} check disabled
    server b1 {o} backup maxconn 10 maxqueue 5 weight 7
backend be_tcp
    mode tcp
    server t1 {o}
listen li
    bind {li.bind}
    server l1 {o}
"""
        self.proxy(cfg, [fe, tcp, li], binary=binary)
        def settled():
            s, _, _ = self.metrics(fe, '?scope=server')
            ok = (value(s, 'haproxy_server_check_status', proxy='be', server='c1', state='L4OK') == '1' and
                  value(s, 'haproxy_server_check_status', proxy='be', server='c2', state='L4CON') == '1')
            return ok
        self.assertTrue(wait_until(settled, timeout=10), 'checks did not settle')
        with Client(fe.port) as c:
            for _ in range(4):
                self.assertEqual(c.request('GET', '/').status, 200)
        s, helps, types = self.metrics(fe)
        keys = {(name, labels) for (name, labels) in s
                if name.startswith('haproxy_') and ('proxy', HARNESS_PROXY) not in labels}
        return keys, types

    def test_same_series_as_haproxy(self):
        if self.IS_HAPROXY or not os.access(HAPROXY_BIN, os.X_OK):
            self.skipTest('live differential needs portero under test and haproxy installed')
        ours, our_types = self.differential_config_start(None)
        theirs, their_types = self.differential_config_start(HAPROXY_BIN)
        self.assertGreater(len(theirs), 500)   # the comparison is not vacuous
        def fmt(k):
            return k[0] + '{' + ','.join(f'{a}="{b}"' for a, b in sorted(k[1])) + '}'
        # build_info carries each program's own version: compare the series, check our label.
        build = [dict(k[1]) for k in ours if k[0] == OWN_VERSION]
        self.assertEqual(build, [{'version': IDENTITY['version']}])
        ours = {k for k in ours if k[0] != OWN_VERSION}
        self.assertEqual(len([k for k in theirs if k[0] == OWN_VERSION]), 1)
        theirs = {k for k in theirs if k[0] != OWN_VERSION}
        missing = sorted(fmt(k) for k in theirs - ours
                         if k[0] not in MISSING and k[0] not in VOLATILE)
        extra = sorted(fmt(k) for k in ours - theirs if k[0] not in VOLATILE)
        self.assertEqual(missing, [], 'HAProxy series portero does not emit:\n' + '\n'.join(missing))
        self.assertEqual(extra, [], 'series haproxy does not emit:\n' + '\n'.join(extra))
        # every allow-listed metric is really absent here (the list stays honest)
        for name in MISSING:
            self.assertFalse([k for k in ours if k[0] == name], name)
        # same TYPE for every metric both emit
        diffs = [f'{n}: ours {our_types[n]}, haproxy {t}' for n, t in their_types.items()
                 if n in our_types and our_types[n] != t]
        self.assertEqual(diffs, [])


if __name__ == '__main__':
    unittest.main()
