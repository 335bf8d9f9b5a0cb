"""option forwardfor [except NET] [header NAME] [if-none]; what else is added to forwarded
requests (HAProxy 2.6 lower-cases every forwarded header name and appends its own headers at
the end of the head)."""

import unittest

from harness import ProxyTestCase, Client


class ForwardForTest(ProxyTestCase):
    def fwd(self, option, headers=(), source=None):
        o = self.origin('s1')
        p, fe = self.simple([o], frontend=f'    {option}' if option else '')
        with Client(fe.port, source=source) as c:
            r = c.request('GET', '/fwd', headers=list(headers))
            self.assertEqual(r.status, 200)
        self.assertEqual(o.request_count(), 1)
        return o.requests[0]

    def test_forwarded_request_head_exact(self):
        q = self.fwd('option forwardfor',
                     headers=['User-Agent: t/1', 'X-Mixed-Case: Value Kept'])
        self.assertEqual(q.raw_head, b'GET /fwd HTTP/1.1\r\nhost: test\r\nuser-agent: t/1\r\n'
                                     b'x-mixed-case: Value Kept\r\n'
                                     b'x-forwarded-for: 127.0.0.1\r\n\r\n')

    def test_without_forwardfor_nothing_added(self):
        q = self.fwd('', headers=['Accept: */*'])
        self.assertEqual(q.raw_head, b'GET /fwd HTTP/1.1\r\nhost: test\r\naccept: */*\r\n\r\n')

    def test_forwardfor_from_other_loopback_address(self):
        q = self.fwd('option forwardfor', source='127.0.0.2')
        self.assertEqual(q.headers_named('x-forwarded-for'), ['127.0.0.2'])

    def test_except_network_skips_header(self):
        q = self.fwd('option forwardfor except 127.0.0.0/8')
        self.assertEqual(q.headers_named('x-forwarded-for'), [])

    def test_except_single_address_other_source_gets_header(self):
        q = self.fwd('option forwardfor except 127.0.0.1', source='127.0.0.3')
        self.assertEqual(q.headers_named('x-forwarded-for'), ['127.0.0.3'])

    def test_except_single_address_matching_source_skipped(self):
        q = self.fwd('option forwardfor except 127.0.0.1', source='127.0.0.1')
        self.assertEqual(q.headers_named('x-forwarded-for'), [])

    def test_custom_header_name(self):
        q = self.fwd('option forwardfor header X-Client-IP')
        self.assertEqual(q.headers_named('x-client-ip'), ['127.0.0.1'])
        self.assertEqual(q.headers_named('x-forwarded-for'), [])
        self.assertIn(b'\r\nx-client-ip: 127.0.0.1\r\n', q.raw_head)

    def test_existing_header_kept_and_another_appended(self):
        q = self.fwd('option forwardfor', headers=['X-Forwarded-For: 10.1.1.1'])
        self.assertEqual(q.headers_named('x-forwarded-for'), ['10.1.1.1', '127.0.0.1'])

    def test_if_none_keeps_client_header_only(self):
        q = self.fwd('option forwardfor if-none', headers=['X-Forwarded-For: 10.1.1.1'])
        self.assertEqual(q.headers_named('x-forwarded-for'), ['10.1.1.1'])

    def test_if_none_adds_when_absent(self):
        q = self.fwd('option forwardfor if-none')
        self.assertEqual(q.headers_named('x-forwarded-for'), ['127.0.0.1'])

    def test_forwardfor_in_defaults_and_backend(self):
        o = self.origin('s1')
        p, fe = self.simple([o], backend='    option forwardfor header X-Real-IP')
        with Client(fe.port) as c:
            self.assertEqual(c.request('GET', '/').status, 200)
        self.assertEqual(o.requests[0].headers_named('x-real-ip'), ['127.0.0.1'])

    def test_http_server_close_adds_connection_close(self):
        q = self.fwd('option http-server-close')
        self.assertEqual(q.raw_head, b'GET /fwd HTTP/1.1\r\nhost: test\r\n'
                                     b'connection: close\r\n\r\n')


class OriginalToTest(ProxyTestCase):
    """option originalto [except NET] [header NAME]: the address the client connected to."""

    def fwd(self, options, host='127.0.0.1', headers=()):
        o = self.origin('s1')
        fe = self.listener(host)
        opts = '\n'.join(f'    {x}' for x in options)
        p = self.proxy(f"""
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind {fe.bind}
{opts}
    default_backend be
backend be
    server s1 {o.addr}
""", [fe])
        with Client(fe.port, host=host) as c:
            self.assertEqual(c.request('GET', '/o', headers=list(headers)).status, 200)
        return o.requests[0]

    def test_after_forwardfor(self):
        q = self.fwd(['option forwardfor', 'option originalto'])
        self.assertEqual(q.raw_head, b'GET /o HTTP/1.1\r\nhost: test\r\n'
                                     b'x-forwarded-for: 127.0.0.1\r\nx-original-to: 127.0.0.1\r\n\r\n')

    def test_bound_address_other_loopback(self):
        q = self.fwd(['option originalto'], host='127.0.0.5')
        self.assertEqual(q.headers_named('x-original-to'), ['127.0.0.5'])

    def test_except_and_header(self):
        self.assertEqual(self.fwd(['option originalto except 127.0.0.0/8']).headers_named('x-original-to'), [])
        q = self.fwd(['option originalto except 10.0.0.0/8 header X-Dst'])
        self.assertEqual(q.headers_named('x-dst'), ['127.0.0.1'])
        self.assertEqual(q.headers_named('x-original-to'), [])

    def test_client_header_kept_and_one_appended(self):
        q = self.fwd(['option originalto'], headers=['X-Original-To: 10.9.9.9'])
        self.assertEqual(q.headers_named('x-original-to'), ['10.9.9.9', '127.0.0.1'])

    def test_ipv6(self):
        try:
            q = self.fwd(['option originalto'], host='::1')
        except OSError as e:
            self.skipTest(f'::1 unavailable: {e}')
        self.assertEqual(q.headers_named('x-original-to'), ['::1'])


if __name__ == '__main__':
    unittest.main()
