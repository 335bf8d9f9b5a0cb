"""A small authoritative DNS server on loopback (UDP and TCP on one port, stdlib only) whose
answers a test changes.

    dns = DnsServer()                      # binds 127.0.0.1:<ephemeral>
    dns.set_a('web.test', ['127.0.0.1'])   # A records (AAAA: set_aaaa)
    dns.set_srv('_http._tcp.web.test', [(prio, weight, port, 'a.web.test')])
    dns.set_nx('web.test')                 # NXDOMAIN for that name
    dns.silent = True                      # drop every query (a DNS outage)
    dns.close()

Records are answered with TTL 1; SRV answers carry the A/AAAA records of their targets in the
additional section, as the servers HAProxy talks to (Consul, CoreDNS) do, unless
`srv_additional` is False (then the proxy has to ask for each target's address). Names not set are
NXDOMAIN; a name set with no record of the asked type gets an empty NOERROR answer.
`queries` counts the questions received per (name, qtype), for tests that wait for a query.
"""

import socket
import struct
import threading

A, AAAA, SRV, ANY = 1, 28, 33, 255


def encode_name(name):
    out = b''
    for label in name.strip('.').split('.'):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b'\0'


def decode_name(msg, pos):
    """Reads a (possibly compressed) name at pos; returns (name, position after it)."""
    labels, end, hops = [], None, 0
    while True:
        n = msg[pos]
        if n & 0xC0 == 0xC0:
            if end is None:
                end = pos + 2
            pos = ((n & 0x3F) << 8) | msg[pos + 1]
            hops += 1
            if hops > 20:
                raise ValueError('compression loop')
            continue
        pos += 1
        if n == 0:
            break
        labels.append(msg[pos:pos + n].decode('ascii', 'replace'))
        pos += n
    return '.'.join(labels).lower(), end if end is not None else pos


def rr(name, rtype, rdata, ttl=1):
    return encode_name(name) + struct.pack('>HHIH', rtype, 1, ttl, len(rdata)) + rdata


class DnsServer:
    def __init__(self, host='127.0.0.1'):
        # UDP and TCP on one port (RFC 1035 4.2.2 over TCP: each message after its 2-byte
        # length), for `nameserver ... tcp@ip:port`; a port taken for one of them is retried.
        for _ in range(50):
            self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.tcp.bind((host, 0))
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                self.sock.bind(self.tcp.getsockname())
                break
            except OSError:
                self.sock.close()
                self.tcp.close()
        else:
            raise OSError('no port free for both UDP and TCP')
        self.tcp.listen(16)
        self.tcp.settimeout(0.2)
        self.sock.settimeout(0.2)   # so close() is seen without a query
        self.addr = '%s:%d' % self.sock.getsockname()
        self.tcp_queries = 0
        self.lock = threading.Lock()
        self.records = {}      # name -> {qtype: [rdata bytes...]}, SRV kept as tuples too
        self.srv = {}          # name -> [(prio, weight, port, target)]
        self.nx = set()
        self.silent = False
        self.srv_additional = True   # False: SRV answers without the targets' addresses
        self.queries = {}
        self.closed = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        self.tcp_thread = threading.Thread(target=self._serve_tcp, daemon=True)
        self.tcp_thread.start()

    # --- what the test changes ---
    def _set(self, name, qtype, rdatas):
        name = name.lower().strip('.')
        with self.lock:
            self.nx.discard(name)
            self.records.setdefault(name, {})[qtype] = rdatas

    def set_a(self, name, ips):
        self._set(name, A, [socket.inet_pton(socket.AF_INET, ip) for ip in ips])

    def set_aaaa(self, name, ips):
        self._set(name, AAAA, [socket.inet_pton(socket.AF_INET6, ip) for ip in ips])

    def set_srv(self, name, entries):
        name = name.lower().strip('.')
        with self.lock:
            self.srv[name] = list(entries)
        self._set(name, SRV, [struct.pack('>HHH', p, w, port) + encode_name(t) for p, w, port, t in entries])

    def set_nx(self, name):
        name = name.lower().strip('.')
        with self.lock:
            self.records.pop(name, None)
            self.srv.pop(name, None)
            self.nx.add(name)

    def query_count(self, name, qtype=None):
        name = name.lower().strip('.')
        with self.lock:
            return sum(n for (q, t), n in self.queries.items() if q == name and (qtype is None or t == qtype))

    # --- the server ---
    def _answer(self, msg):
        qid, flags, qd, _an, _ns, ar = struct.unpack('>HHHHHH', msg[:12])
        if qd != 1 or flags & 0x8000:
            return None
        name, pos = decode_name(msg, 12)
        qtype, qclass = struct.unpack('>HH', msg[pos:pos + 4])
        question = msg[12:pos + 4]
        with self.lock:
            self.queries[(name, qtype)] = self.queries.get((name, qtype), 0) + 1
            if self.silent:
                return None
            answers, extra, rcode = [], [], 0
            if name in self.records:
                for rdata in self.records[name].get(qtype, []):
                    answers.append(rr(name, qtype, rdata))
                if qtype == SRV and self.srv_additional:
                    for _p, _w, _port, target in self.srv.get(name, []):
                        t = target.lower().strip('.')
                        for typ in (A, AAAA):
                            for rdata in self.records.get(t, {}).get(typ, []):
                                extra.append(rr(t, typ, rdata))
            else:
                rcode = 3   # NXDOMAIN (names never set, and set_nx ones)
        opt = b''
        if ar:   # the client sent EDNS0: answer with an OPT record too (payload 4096)
            opt = b'\0' + struct.pack('>HHIH', 41, 4096, 0, 0)
        header = struct.pack('>HHHHHH', qid, 0x8400 | (flags & 0x0100) | rcode, 1, len(answers), 0,
                             len(extra) + (1 if opt else 0))
        return header + question + b''.join(answers) + b''.join(extra) + opt

    def _serve(self):
        while not self.closed:
            try:
                msg, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                out = self._answer(msg)
            except (ValueError, IndexError, struct.error):
                out = None
            if out is not None:
                try:
                    self.sock.sendto(out, peer)
                except OSError:
                    pass

    def _serve_tcp(self):
        while not self.closed:
            try:
                conn, _ = self.tcp.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._tcp_conn, args=(conn,), daemon=True).start()

    def _tcp_conn(self, conn):
        conn.settimeout(0.2)
        buf = b''
        with conn:
            while not self.closed:
                try:
                    d = conn.recv(4096)
                except socket.timeout:
                    continue
                except OSError:
                    return
                if not d:
                    return
                buf += d
                while len(buf) >= 2 and len(buf) >= 2 + struct.unpack('>H', buf[:2])[0]:
                    n = struct.unpack('>H', buf[:2])[0]
                    msg, buf = buf[2:2 + n], buf[2 + n:]
                    with self.lock:
                        self.tcp_queries += 1
                    try:
                        out = self._answer(msg)
                    except (ValueError, IndexError, struct.error):
                        out = None
                    if out is not None:
                        try:
                            conn.sendall(struct.pack('>H', len(out)) + out)
                        except OSError:
                            return

    def close(self):
        self.closed = True
        self.thread.join(2)
        self.tcp_thread.join(2)
        try:
            self.tcp.close()
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass
