"""The stats web page (`stats uri`): exports, headers, authentication, the admin form's POST and
its effect on traffic, the HTML tables. Every check here is HAProxy's behaviour (COMPAT.md §4.3,
§4.4) and passes against haproxy 2.6.12 (PROXY_BIN=/usr/sbin/haproxy); the `;live` feed is
portero's own and is skipped for haproxy. When the binary under test is not haproxy, the CSV
export is also compared live with haproxy's on the same config."""

import base64
import json
import re
import unittest

from harness import ProxyTestCase, Client, DEFAULTS, wait_until, IDENTITY

CSV_HEADER = (
    '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,'
    'status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,'
    'type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,'
    'hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,'
    'comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,'
    'agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,'
    'agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,'
    'dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,'
    'ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,agg_server_status,'
    'agg_server_check_status,agg_check_status,-,ssl_sess,ssl_reused_sess,ssl_failed_handshake,'
    'h2_headers_rcvd,h2_data_rcvd,h2_settings_rcvd,h2_rst_stream_rcvd,h2_goaway_rcvd,'
    'h2_detected_conn_protocol_errors,h2_detected_strm_protocol_errors,h2_rst_stream_resp,h2_goaway_resp,'
    'h2_open_connections,h2_backend_open_streams,h2_total_connections,h2_backend_total_streams,'
    'h1_open_connections,h1_open_streams,h1_total_connections,h1_total_streams,h1_bytes_in,h1_bytes_out,'
    'h1_spliced_bytes_in,h1_spliced_bytes_out,')

UNAUTHORIZED_BODY = (b'<html><body><h1>401 Unauthorized</h1>\n'
                     b'You need a valid user and password to access this content.\n</body></html>\n')


def csv_rows(body):
    """{(pxname, svname): {column: value}} from a CSV export."""
    lines = body.decode().splitlines()
    cols = lines[0][2:].split(',')
    rows = {}
    for line in lines[1:]:
        if line:
            vals = line.split(',')
            rows[(vals[0], vals[1])] = dict(zip(cols, vals))
    return rows


class StatsPage(ProxyTestCase):
    def start(self, binary=None):
        """fe -> be (s1, s2 checked); `stats` (admin, refresh 7s), `stats_auth` (Basic auth,
        realm with an escaped space), `stats_ro` (no admin). Returns the listeners by name."""
        self.s1 = self.origin('s1')
        self.s2 = self.origin('s2')
        ls = {n: self.listener() for n in ('fe', 'stats', 'auth', 'ro')}
        cfg = f"""
global
{DEFAULTS}
frontend fe
    bind {ls['fe'].bind}
    default_backend be

backend be
    server s1 {self.s1.addr} check inter 200
    server s2 {self.s2.addr} check inter 200

listen stats
    bind {ls['stats'].bind}
    stats enable
    stats uri /stats
    stats refresh 7s
    stats admin if TRUE

listen stats_auth
    bind {ls['auth'].bind}
    stats uri /st
    stats auth admin:s3cret
    stats realm My\\ Stats

listen stats_ro
    bind {ls['ro'].bind}
    stats uri /ro
"""
        kw = {'binary': binary} if binary else {}
        self.p = self.proxy(cfg, list(ls.values()), **kw)
        return {n: l.port for n, l in ls.items()}

    def get(self, port, path, method='GET', headers=(), body=b'', version='HTTP/1.1'):
        with Client(port) as c:
            return c.request(method, path, headers=headers, body=body, version=version)

    def csv(self, port, path='/stats;csv'):
        r = self.get(port, path)
        self.assertEqual(r.status, 200)
        return csv_rows(r.body)

    def wait_status(self, port, server, want):
        return wait_until(lambda: self.csv(port)[('be', server)]['status'] == want, 5)

    # ---- exports and headers ----------------------------------------------------------------
    def test_csv_header_and_rows(self):
        ports = self.start()
        r = self.get(ports['stats'], '/stats;csv')
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header('content-type'), 'text/plain')
        self.assertEqual(r.header('cache-control'), 'no-cache')
        self.assertEqual(r.header('refresh'), '7')
        self.assertEqual(r.body.decode().split('\n', 1)[0], CSV_HEADER)
        rows = csv_rows(r.body)
        self.assertEqual([k for k in rows if k[0] in ('fe', 'be')],
                         [('fe', 'FRONTEND'), ('be', 's1'), ('be', 's2'), ('be', 'BACKEND')])
        self.assertTrue(self.wait_status(ports['stats'], 's1', 'UP'))

    def test_csv_header_equals_haproxy(self):
        """Live differential: the same config under haproxy gives the same header line and the
        same objects in the same order."""
        ports = self.start()
        mine = self.get(ports['stats'], '/stats;csv;norefresh').body.decode()
        if self.IS_HAPROXY:
            self.assertEqual(mine.split('\n', 1)[0], CSV_HEADER)
            return
        self.require_haproxy()
        theirs_ports = self.start(binary=self.HAPROXY_BIN)
        theirs = self.get(theirs_ports['stats'], '/stats;csv;norefresh').body.decode()
        self.assertEqual(mine.split('\n', 1)[0], theirs.split('\n', 1)[0])
        key = lambda text: [tuple(l.split(',')[:2]) for l in text.splitlines()[1:] if l]
        self.assertEqual(key(mine), key(theirs))

    def test_refresh_header_and_norefresh(self):
        ports = self.start()
        for path, ctype in (('/stats', 'text/html'), ('/stats;csv', 'text/plain'),
                            ('/stats;typed', 'text/plain'), ('/stats;json', 'application/json')):
            r = self.get(ports['stats'], path)
            self.assertEqual((r.status, r.header('content-type'), r.header('refresh')), (200, ctype, '7'), path)
            self.assertEqual(r.header('cache-control'), 'no-cache')
            r = self.get(ports['stats'], path + ';norefresh')
            self.assertIsNone(r.header('refresh'), path)
        # no `stats refresh`: never a refresh header
        self.assertIsNone(self.get(ports['ro'], '/ro').header('refresh'))

    def test_http11_chunked_and_http10(self):
        ports = self.start()
        r = self.get(ports['stats'], '/stats;csv')
        self.assertEqual(r.header('transfer-encoding'), 'chunked')
        # HTTP/1.0 clients get the whole CSV (haproxy chunks it, portero sends content-length)
        r = self.get(ports['stats'], '/stats;csv', version='HTTP/1.0')
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body.decode().split('\n', 1)[0], CSV_HEADER)
        self.assertEqual(r.header('connection'), 'close')

    def test_json_and_typed(self):
        ports = self.start()
        doc = json.loads(self.get(ports['stats'], '/stats;json').body)
        first = doc[0][0]
        self.assertEqual((first['objType'], first['field']['name'], first['value']['value']),
                         ('Frontend', 'pxname', 'fe'))
        typed = self.get(ports['stats'], '/stats;typed').body.decode()
        self.assertRegex(typed.splitlines()[0], r'^F\.\d+\.0\.0\.pxname\.1:KNS:str:fe$')

    def test_up_and_scope(self):
        ports = self.start()
        self.assertTrue(self.wait_status(ports['stats'], 's1', 'UP'))
        self.s2.stop()   # s2 goes DOWN after its checks fail
        self.assertTrue(self.wait_status(ports['stats'], 's2', 'DOWN'))
        rows = self.csv(ports['stats'], '/stats;csv;up')
        self.assertIn(('be', 's1'), rows)
        self.assertNotIn(('be', 's2'), rows)
        rows = self.csv(ports['stats'], '/stats;csv?scope=BE')
        self.assertEqual(sorted({k[0] for k in rows}), ['be'])
        html = self.get(ports['stats'], '/stats;up').body.decode('latin-1')
        self.assertNotIn('name="be/s2"', html)
        self.assertIn('name="be/s1"', html)

    def test_head(self):
        ports = self.start()
        r = self.get(ports['stats'], '/stats', method='HEAD')
        self.assertEqual((r.status, r.header('content-type'), r.body), (200, 'text/html', b''))

    # ---- authentication ---------------------------------------------------------------------
    def test_auth_401_then_200(self):
        ports = self.start()
        r = self.get(ports['auth'], '/st')
        self.assertEqual(r.status_line, 'HTTP/1.1 401 Unauthorized')
        self.assertEqual(r.header('www-authenticate'), 'Basic realm="My Stats"')
        self.assertEqual(r.header('content-type'), 'text/html')
        self.assertEqual(r.header('cache-control'), 'no-cache')
        self.assertEqual(r.header('content-length'), '112')
        self.assertEqual(r.body, UNAUTHORIZED_BODY)
        bad = 'Authorization: Basic ' + base64.b64encode(b'admin:wrong').decode()
        self.assertEqual(self.get(ports['auth'], '/st', headers=[bad]).status, 401)
        good = 'Authorization: Basic ' + base64.b64encode(b'admin:s3cret').decode()
        r = self.get(ports['auth'], '/st;csv', headers=[good])
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body.decode().split('\n', 1)[0], CSV_HEADER)

    # ---- admin form -------------------------------------------------------------------------
    def post(self, port, path, body):
        return self.get(port, path, method='POST', body=body.encode(),
                        headers=['Content-Type: application/x-www-form-urlencoded'])

    def test_admin_post_303_and_effect(self):
        ports = self.start()
        self.assertTrue(self.wait_status(ports['stats'], 's2', 'UP'))
        r = self.post(ports['stats'], '/stats;up;norefresh', 's=s2&action=maint&b=be')
        self.assertEqual(r.status_line, 'HTTP/1.1 303 See Other')
        self.assertEqual(r.header('location'), '/stats;st=DONE;up;norefresh')
        self.assertEqual(r.header('content-type'), 'text/plain')
        self.assertEqual(r.header('content-length'), '0')
        self.assertEqual(r.header('cache-control'), 'no-cache')
        self.assertEqual(self.csv(ports['stats'])[('be', 's2')]['status'], 'MAINT')
        # s2 in maintenance takes no traffic
        for _ in range(6):
            self.assertEqual(self.get(ports['fe'], '/').header('x-origin'), 's1')
        # the banner the browser lands on
        html = self.get(ports['stats'], '/stats;st=DONE;up;norefresh').body.decode('latin-1')
        self.assertIn('Action processed successfully.', html)
        # back to ready: UP again and in rotation
        r = self.post(ports['stats'], '/stats', 's=s2&action=ready&b=be')
        self.assertEqual(r.header('location'), '/stats;st=DONE')
        self.assertTrue(self.wait_status(ports['stats'], 's2', 'UP'))
        seen = {self.get(ports['fe'], '/').header('x-origin') for _ in range(6)}
        self.assertEqual(seen, {'s1', 's2'})

    def test_admin_post_result_codes(self):
        ports = self.start()
        cases = [
            ('/stats', 's=s1&s=zz&action=drain&b=be', '/stats;st=PART'),
            ('/stats?scope=be', 's=s1&action=ready&b=be', '/stats;st=DONE?scope=be'),
            ('/stats', 'action=maint&b=be', '/stats;st=NONE'),
            ('/stats', 's=s1&action=bogus&b=be', '/stats;st=ERRP'),
            ('/stats', 's=s1&action=ready&b=nobe', '/stats;st=ERRP'),
            ('/stats', 's=s1&action=enable&b=be', '/stats;st=NONE'),
        ]
        for path, body, want in cases:
            self.assertEqual(self.post(ports['stats'], path, body).header('location'), want, body)
        # `b=#<iid>` names the backend by id, as the form's hidden field does
        html = self.get(ports['stats'], '/stats').body.decode('latin-1')
        iid = re.search(r'name="?b"? value="?#(\d+)"?', html).group(1)
        r = self.post(ports['stats'], '/stats', f's=s1&action=ready&b=%23{iid}')
        self.assertEqual(r.header('location'), '/stats;st=DONE')

    def test_admin_post_denied_without_stats_admin(self):
        ports = self.start()
        r = self.post(ports['ro'], '/ro', 's=s1&action=maint&b=be')
        self.assertEqual((r.status, r.header('location')), (303, '/ro;st=DENY'))
        self.assertEqual(self.csv(ports['stats'])[('be', 's1')]['status'] in ('UP', 'DOWN', 'UP 1/2', 'DOWN 1/2'),
                         True)
        self.assertNotEqual(self.csv(ports['stats'])[('be', 's1')]['status'], 'MAINT')

    # ---- HTML -------------------------------------------------------------------------------
    def test_html_tables_legend_and_form(self):
        ports = self.start()
        self.assertTrue(self.wait_status(ports['stats'], 's1', 'UP'))
        r = self.get(ports['stats'], '/stats')
        html = r.body.decode('latin-1')
        name, version, date = IDENTITY['name'], IDENTITY['version'], IDENTITY['release_date']
        self.assertIn(f'<title>Statistics Report for {name}</title>', html)
        self.assertRegex(html, fr'<h1>(<a [^>]*>)?{name} version {re.escape(version)}, released {date}')
        if not self.IS_HAPROXY:   # portero says what it is compatible with, and never that it is HAProxy
            self.assertIn('(HAProxy 2.6 compatible)', html)
            self.assertNotIn('HAProxy version', html)
        self.assertRegex(html, r'<h2>Statistics Report for pid \d+</h2>')
        for px in ('fe', 'be', 'stats', 'stats_auth', 'stats_ro'):
            self.assertIn(f'<a name="{px}"></a>', html)
        groups = ''.join(fr'<th colspan="?{n}"?>{g}</th>' for g, n in (
            ('Queue', 3), ('Session rate', 3), ('Sessions', 6), ('Bytes', 2), ('Denied', 2),
            ('Errors', 3), ('Warnings', 2), ('Server', 9)))
        tables = 6   # the 5 proxies above and the harness' readiness probe frontend
        self.assertEqual(len(re.findall(groups, html)), tables)
        cols = ''.join(f'<th>{c}</th>' for c in (
            'Cur Max Limit Cur Max Limit Cur Max Limit Total LbTot Last In Out Req Resp Req Conn Resp '
            'Retr Redis Status LastChk Wght Act Bck Chk Dwn Dwntme Thrtle').split())
        self.assertEqual(html.count(cols), tables)
        self.assertRegex(html, r'<tr class="?frontend"?>')
        self.assertRegex(html, r'<tr class="?backend"?>')
        self.assertRegex(html, r'<tr class="?active_up"?>')
        for legend in ('active UP', 'backup UP', 'active UP, going down', 'active DOWN, going up',
                       'active or backup DOWN', 'not checked', '(MAINT)'):
            self.assertIn(legend, html)
        # the admin form of `be` (and only of it: the other proxies have no servers)
        self.assertEqual(len(re.findall(r'<form method="post">', html)), 1)
        self.assertRegex(html, r'''<input class=['"]be-checkbox['"] type="checkbox" name="s" value="s1">''')
        for v in ('ready', 'drain', 'maint', 'dhlth', 'ehlth', 'hrunn', 'hnolb', 'hdown', 'dagent', 'eagent',
                  'arunn', 'adown', 'shutdown'):
            self.assertRegex(html, f'<option value="{v}">')
        self.assertRegex(html, r'<input type="submit" value="Apply">')
        # maintenance colours the row
        self.post(ports['stats'], '/stats', 's=s2&action=maint&b=be')
        html = self.get(ports['stats'], '/stats').body.decode('latin-1')
        self.assertRegex(html, r'<tr class="?maintain"?>')
        # read-only page: no form
        self.assertNotIn('<form method="post">', self.get(ports['ro'], '/ro').body.decode('latin-1'))

    # ---- portero only -----------------------------------------------------------------------
    def test_live_feed(self):
        if self.IS_HAPROXY:
            self.skipTest('the ;live feed is portero\'s')
        ports = self.start()
        for _ in range(5):
            self.get(ports['fe'], '/')
        r = self.get(ports['stats'], '/stats;live')
        self.assertEqual((r.status, r.header('content-type')), (200, 'application/json'))
        self.assertIsNone(r.header('refresh'))
        feed = json.loads(r.body)
        names = [(o['proxy'], o['name']) for o in feed['objects']]
        self.assertEqual(names[:4], [('fe', 'FRONTEND'), ('be', 's1'), ('be', 's2'), ('be', 'BACKEND')])
        # within a sample or two the 5 requests show in the history as a request rate with a
        # latency (points are rates per second over ~1 s intervals, so their sum is not a count)
        def counted():
            fe = json.loads(self.get(ports['stats'], '/stats;live').body)['objects'][0]
            return any(r > 0 and (p or 0) > 0 for r, p in zip(fe['req'], fe['p50_us']))
        self.assertTrue(wait_until(counted, 10))


if __name__ == '__main__':
    unittest.main()
