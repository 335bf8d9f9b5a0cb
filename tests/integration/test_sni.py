"""SNI routing without terminating TLS (mode tcp): `tcp-request inspect-delay`,
`tcp-request content accept if { req_ssl_hello_type 1 }`, `use_backend ... if
{ req_ssl_sni ... }` and req.payload, with real TLS ClientHello bytes made by Python's ssl
module. The origins are raw TCP servers that send their name when a connection arrives; the
same config and bytes are run by haproxy (the suite runs every test against both)."""

import socket
import ssl
import time
import unittest

from harness import ProxyTestCase, TcpOrigin


def client_hello(sni):
    """The first flight of a TLS client, as a browser sends it (SNI when `sni` is set)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_hostname=sni)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


class SniTest(ProxyTestCase):
    def setUp(self):
        self.srv = {n: TcpOrigin(n) for n in ('a', 'b', 'p', 'other')}
        for o in self.srv.values():
            self.addCleanup(o.stop)
        fe = self.listener()
        backends = '\n'.join(f'backend be_{n}\n    server {n} {o.addr}' for n, o in self.srv.items())
        self.fe = fe
        self.proxy(f"""
defaults
    mode tcp
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend tls
    bind {fe.bind}
    tcp-request inspect-delay 5s
    tcp-request content accept if {{ req_ssl_hello_type 1 }}
    use_backend be_a if {{ req_ssl_sni -i a.example }}
    use_backend be_b if {{ req.ssl_sni -m end .b.example }}
    use_backend be_p if {{ req.payload(0,4) -m str PING }}
    default_backend be_other
{backends}
""", [fe])

    def route(self, *pieces, between=None):
        """Sends the pieces; returns the name the chosen origin announces."""
        s = socket.create_connection(('127.0.0.1', self.fe.port), timeout=10)
        self.addCleanup(s.close)
        for i, p in enumerate(pieces):
            s.sendall(p)
            if between and i + 1 < len(pieces):
                between()
        buf = b''
        while not buf.endswith(b'\n'):
            d = s.recv(100)
            if not d:
                break
            buf += d
        return buf.decode().strip()

    def received_by(self, name):
        return b''.join(c.data() for c in self.srv[name].conns())

    def test_sni_picks_the_backend(self):
        hello = client_hello('a.example')
        self.assertEqual(hello[0], 0x16)
        self.assertEqual(self.route(hello), 'a')
        self.assertEqual(self.route(client_hello('A.Example')), 'a')   # -i
        self.assertEqual(self.route(client_hello('www.b.example')), 'b')
        self.assertEqual(self.route(client_hello('c.example')), 'other')
        self.assertEqual(self.route(client_hello(None)), 'other')      # no SNI extension
        # the hello is forwarded untouched
        self.assertTrue(self.received_by('a').startswith(hello))

    def test_hello_in_pieces_waits_for_the_whole_record(self):
        hello = client_hello('x.b.example')
        # half a record: the proxy must wait for the rest (it cannot know the name yet);
        # nothing is connected to any origin meanwhile
        def nobody_connected_yet():
            time.sleep(0.3)   # proving an absence needs some time to pass
            self.assertEqual(sum(o.connection_count() for o in self.srv.values()), 0)
        self.assertEqual(self.route(hello[:3], hello[3:40], hello[40:], between=nobody_connected_yet), 'b')

    def test_not_tls(self):
        # not a TLS record: the hello-type rule does not match, the rules end in accept, and
        # the bytes go where the payload rule says
        self.assertEqual(self.route(b'PING 1\r\n'), 'p')
        self.assertEqual(self.route(b'HELO x\r\n'), 'other')


if __name__ == '__main__':
    unittest.main()
