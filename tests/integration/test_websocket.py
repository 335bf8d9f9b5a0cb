"""Connection: Upgrade (WebSocket) switches to a bidirectional tunnel."""

import base64
import os
import time
import unittest

from harness import ProxyTestCase, Client

TUNNEL_CFG = """
defaults
    mode http
    timeout connect 2s
    timeout client 1s
    timeout server 1s
    timeout tunnel {tunnel}
"""


def ws_frame(payload):
    """A masked client text frame (RFC 6455), payload < 126 bytes."""
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x81, 0x80 | len(payload)]) + mask + masked


class WebSocketTest(ProxyTestCase):
    def _upgrade(self, c):
        key = base64.b64encode(os.urandom(16)).decode()
        c.send(f'GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
               f'Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n')
        r = c.read_response(skip_interim=False)
        self.assertEqual(r.status, 101)
        self.assertEqual((r.header('upgrade') or '').lower(), 'websocket')
        return r

    def _recv_exact(self, c, n, timeout=3):
        deadline = time.monotonic() + timeout
        while len(c.buf) < n:
            if not c._fill(deadline):
                break
        out = bytes(c.buf[:n])
        del c.buf[:n]
        return out

    def test_upgrade_and_echo(self):
        o = self.origin('s1')
        p, fe = self.simple([o], defaults=TUNNEL_CFG.format(tunnel='10s'))
        with Client(fe.port) as c:
            self._upgrade(c)
            for msg in (b'hello', b'world' * 20):
                f = ws_frame(msg)
                c.send(f)
                self.assertEqual(self._recv_exact(c, len(f)), f)
        q = o.requests[0]
        self.assertEqual((q.header('upgrade') or '').lower(), 'websocket')
        self.assertIn('upgrade', (q.header('connection') or '').lower())

    def test_tunnel_timeout_supersedes_client_and_server_timeouts(self):
        o = self.origin('s1')
        p, fe = self.simple([o], defaults=TUNNEL_CFG.format(tunnel='10s'))
        with Client(fe.port) as c:
            self._upgrade(c)
            # idle for longer than timeout client/server (1s) but less than timeout tunnel
            self.assertFalse(c.is_closed_by_peer(2.0),
                             'tunnel closed by client/server timeout instead of timeout tunnel')
            f = ws_frame(b'still there')
            c.send(f)
            self.assertEqual(self._recv_exact(c, len(f)), f)

    def test_idle_tunnel_closed_after_timeout_tunnel(self):
        o = self.origin('s1')
        p, fe = self.simple([o], defaults=TUNNEL_CFG.format(tunnel='500ms'))
        with Client(fe.port) as c:
            self._upgrade(c)
            t0 = time.monotonic()
            self.assertTrue(c.is_closed_by_peer(5), 'idle tunnel never closed')
            self.assertGreater(time.monotonic() - t0, 0.3)


if __name__ == '__main__':
    unittest.main()
