"""Expect: 100-continue."""

import unittest

from harness import ProxyTestCase, Client


class ContinueTest(ProxyTestCase):
    def test_100_continue_relayed_before_body(self):
        o = self.origin('s1')
        p, fe = self.simple([o])
        with Client(fe.port) as c:
            c.send(b'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n'
                   b'Expect: 100-continue\r\n\r\n')
            # the client waits for the interim response before sending its body
            interim = c.read_response(skip_interim=False, timeout=3)
            self.assertEqual(interim.status, 100)
            self.assertEqual(interim.status_line, 'HTTP/1.1 100 Continue')
            c.send(b'hello')
            r = c.read_response()
            self.assertEqual(r.status, 200)
            self.assertEqual(r.body, b'hello')
            # still a usable keep-alive connection
            self.assertEqual(c.request('GET', '/').body, b's1\n')
        self.assertEqual(o.requests[0].body, b'hello')

    def test_curl_upload_with_expect(self):
        import subprocess
        o = self.origin('s1')
        p, fe = self.simple([o])
        data = b'x' * 200000  # curl sends Expect: 100-continue for bodies this large
        res = subprocess.run(['curl', '-sS', '--max-time', '10', '-H', 'Expect: 100-continue',
                              '--data-binary', '@-', f'http://127.0.0.1:{fe.port}/digest'],
                             input=data, capture_output=True)
        self.assertEqual(res.returncode, 0, res.stderr)
        import hashlib
        self.assertEqual(res.stdout.decode(), f'{len(data)} {hashlib.sha256(data).hexdigest()}')
        self.assertEqual((o.requests[0].header('expect') or '').lower(), '100-continue')


if __name__ == '__main__':
    unittest.main()
