#!/usr/bin/env python3
"""Captures which server Debian's haproxy 2.6 picks for many keys, for hash_capture_test.cpp
(balance uri / url_param / hdr / source / rdp-cookie, map-based and consistent), and the pick
order of leastconn and first when connections are held open.

Every scenario starts one haproxy. For HTTP scenarios each server is a `listen` of the same
process answering its own index; for tcp scenarios (rdp-cookie, leastconn, first) the servers
are Python listeners that send their index on accept and keep the connection until the client
closes it (so haproxy counts it as served). Keys are generated from their number (see key()),
and the output is one character per key: the server index, or '-' for no answer. The C++ test
regenerates the same keys.

usage: capture_hash.py [scenario-substring ...]     (ports 27200.. on 127.0.0.1)
"""
import os, socket, subprocess, sys, tempfile, threading, time

BASE = 27200

def key(kind, i):
    """The i-th key of a family; mirrored by key() in hash_capture_test.cpp."""
    if kind == "uri":
        return f"/k{i}/p{i % 7}?q={i}"
    if kind == "param":
        return f"u{i * 7919 % 10007}"
    if kind == "hdr":
        return f"val-{i}"
    if kind == "host":
        return f"www{i % 3}.dom{i}.example{i % 5}.com" if i % 4 else f"h{i}.org"
    if kind == "src":
        return f"127.{(i * 37) % 250 + 1}.{(i * 11) % 256}.{i % 250 + 2}"
    if kind == "rdp":
        return f"u{i * 7919 % 10007}-{i % 13}"
    raise ValueError(kind)

def http_get(port, target, headers=(), src=None):
    s = socket.socket()
    if src:
        s.bind((src, 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    req = f"GET {target} HTTP/1.1\r\nHost: x\r\n" + "".join(f"{h}: {v}\r\n" for h, v in headers)
    s.sendall((req + "Connection: close\r\n\r\n").encode())
    data = b""
    while True:
        c = s.recv(4096)
        if not c:
            break
        data += c
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return body.decode() if b" 200 " in head.split(b"\r\n")[0] + b" " else "-"

def rdp_request(cookie_line):
    body = cookie_line.encode() + b"\r\n" + bytes([1, 0, 8, 0, 3, 0, 0, 0])
    x224 = bytes([6 + len(body), 0xE0, 0, 0, 0, 0, 0])
    x224 = bytes([len(x224) - 1 + len(body)]) + x224[1:]
    total = 4 + len(x224) + len(body)
    return bytes([3, 0, total >> 8, total & 0xFF]) + x224 + body

class TcpServers:
    """Python servers for tcp scenarios: send the index on accept, hold until the peer closes."""
    def __init__(self, n, base):
        self.socks = []
        for i in range(n):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", base + i))
            s.listen(256)
            self.socks.append(s)
            threading.Thread(target=self.serve, args=(s, i), daemon=True).start()
    def serve(self, s, i):
        while True:
            try:
                c, _ = s.accept()
            except OSError:
                return
            c.sendall(str(i).encode())
            threading.Thread(target=self.hold, args=(c,), daemon=True).start()
    def hold(self, c):
        try:
            while c.recv(4096):
                pass
        except OSError:
            pass
        c.close()
    def close(self):
        for s in self.socks:
            try:
                s.shutdown(socket.SHUT_RDWR)   # wakes the thread blocked in accept()
            except OSError:
                pass
            s.close()

def tcp_connect(port, payload=b""):
    s = socket.socket()
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    if payload:
        s.sendall(payload)
    try:
        d = s.recv(16).decode()
    except OSError:
        d = ""
    return s, (d if d else "-")

def start(lines):
    tmp = tempfile.mkdtemp()
    cfg = os.path.join(tmp, "h.cfg")
    open(cfg, "w").write("\n".join(lines) + "\n")
    p = subprocess.Popen(["haproxy", "-db", "-f", cfg], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(50):
        try:
            # A readiness probe on its own listener: probing the balanced one would move the
            # round-robin and leastconn positions.
            socket.create_connection(("127.0.0.1", BASE + 99)).close()
            return p
        except OSError:
            time.sleep(0.1)
    p.terminate()
    raise RuntimeError(p.stderr.read().decode())

def config(mode, balance, servers, options, tcp_base=None):
    lines = ["global", "  maxconn 2000", "defaults", f"  mode {mode}", "  timeout connect 2s",
             "  timeout client 20s", "  timeout server 20s"]
    if tcp_base is None:
        for i in range(len(servers)):
            lines += [f"listen srv{i}", "  mode http", f"  bind 127.0.0.1:{BASE + 1 + i}",
                      f'  http-request return status 200 content-type text/plain string "{i}"']
    lines += ["listen ready", "  mode http", f"  bind 127.0.0.1:{BASE + 99}",
              "  http-request return status 200"]
    lines += ["listen b", f"  bind 127.0.0.1:{BASE}", f"  balance {balance}"]
    lines += [f"  {o}" for o in options]
    for i, opts in enumerate(servers):
        port = (tcp_base + i) if tcp_base is not None else BASE + 1 + i
        lines.append(f"  server s{i} 127.0.0.1:{port} {opts}")
    return lines

def run_http(name, balance, servers, family, n, options=(), request=None):
    p = start(config("http", balance, servers, options))
    try:
        out = []
        for i in range(n):
            k = key(family, i)
            if request == "param":
                out.append(http_get(BASE, f"/x?a=1&id={k}&b=2"))
            elif request == "hdr":
                out.append(http_get(BASE, "/", [("X-Key", k)]))
            elif request == "host":
                out.append(http_get(BASE, "/", [("X-Host", k)]))
            elif request == "src":
                out.append(http_get(BASE, "/", src=k))
            elif request == "nokey":
                out.append(http_get(BASE, "/nothing"))
            else:
                out.append(http_get(BASE, k))
        print(f'{{"{name}", "{"".join(out)}"}},')
    finally:
        p.terminate()
        p.wait()

def run_tcp(name, balance, servers, steps, options=()):
    """steps: ("rdp", n) n RDP requests (closed at once); ("hold", n) n plain connections kept
    open; ("close", [k...]) close the k-th held connections."""
    srv = TcpServers(len(servers), BASE + 100)
    opts = ["tcp-request inspect-delay 5s", "tcp-request content accept if RDP_COOKIE"] if balance.startswith("rdp") else []
    p = start(config("tcp", balance, servers, list(opts) + list(options), tcp_base=BASE + 100))
    held, out = [], []
    try:
        for step in steps:
            if step[0] == "rdp":
                for i in range(step[1]):
                    s, d = tcp_connect(BASE, rdp_request(f"Cookie: mstshash={key('rdp', i)}"))
                    s.close()
                    out.append(d)
                    time.sleep(0.002)
            elif step[0] == "hold":
                for _ in range(step[1]):
                    s, d = tcp_connect(BASE)
                    held.append(s)
                    out.append(d)
                    time.sleep(0.005)
            elif step[0] == "close":
                for k in step[1]:
                    held[k].close()
                time.sleep(0.2)
                out.append("|")
        print(f'{{"{name}", "{"".join(out)}"}},')
    finally:
        for s in held:
            s.close()
        p.terminate()
        p.wait()
        srv.close()

N = 300
HTTP = [
    ("uri map 1,2,3,1", "uri", ["weight 1", "weight 2", "weight 3", "weight 1"], "uri", N, ()),
    ("uri map 1,2,3,1 s1 disabled", "uri", ["weight 1", "weight 2 disabled", "weight 3", "weight 1"], "uri", N, ()),
    ("uri map 2,4,6 backups", "uri", ["weight 2 disabled", "weight 4 backup", "weight 6 backup"], "uri", 40, ()),
    ("uri consistent 1,3,1,2", "uri", ["weight 1", "weight 3", "weight 1", "weight 2"], "uri", N, ("hash-type consistent",)),
    ("uri consistent 1,3,1,2 s2 disabled", "uri", ["weight 1", "weight 3", "weight 1 disabled", "weight 2"], "uri", N, ("hash-type consistent",)),
    ("uri consistent ids 7,3,12", "uri", ["id 7", "id 3", "id 12 weight 5"], "uri", N, ("hash-type consistent",)),
    ("uri map djb2 avalanche", "uri", ["", "", ""], "uri", N, ("hash-type map-based djb2 avalanche",)),
    ("uri map wt6", "uri", ["", "", "", "weight 2"], "uri", N, ("hash-type map-based wt6",)),
    ("uri consistent crc32", "uri", ["", "", ""], "uri", N, ("hash-type consistent crc32",)),
    ("uri consistent sdbm avalanche", "uri", ["", "weight 2", ""], "uri", N, ("hash-type consistent sdbm avalanche",)),
    ("uri whole len 7", "uri whole len 7", ["", "", ""], "uri", N, ()),
    ("uri depth 1", "uri depth 1", ["", "", ""], "uri", N, ()),
    ("uri path-only", "uri path-only", ["", "", ""], "uri", N, ()),
    ("url_param id", "url_param id", ["", "weight 2", ""], "param", N, (), "param"),
    ("url_param id consistent", "url_param id", ["", "weight 2", ""], "param", N, ("hash-type consistent",), "param"),
    ("url_param missing", "url_param id", ["", "weight 2", ""], "param", 20, (), "nokey"),
    ("url_param missing consistent", "url_param id", ["", "", ""], "param", 20, ("hash-type consistent",), "nokey"),
    ("hdr map", "hdr(x-key)", ["", "", "", ""], "hdr", N, (), "hdr"),
    ("hdr consistent", "hdr(x-key)", ["", "", "", ""], "hdr", N, ("hash-type consistent",), "hdr"),
    ("hdr use_domain_only", "hdr(x-host) use_domain_only", ["", "", ""], "host", N, (), "host"),
    ("hdr missing", "hdr(x-key)", ["", "", ""], "hdr", 12, (), "nokey"),
    ("source map", "source", ["", "", ""], "src", N, (), "src"),
    ("source map weights", "source", ["weight 3", "", "weight 2", ""], "src", N, (), "src"),
    ("source consistent", "source", ["", "", ""], "src", N, ("hash-type consistent",), "src"),
    ("source consistent disabled", "source", ["", "", "disabled", ""], "src", N, ("hash-type consistent",), "src"),
]
TCP = [
    ("rdp-cookie map", "rdp-cookie", ["", "", ""], [("rdp", 150)], ()),
    ("rdp-cookie consistent", "rdp-cookie", ["", "", "weight 2"], [("rdp", 150)], ("hash-type consistent",)),
    ("leastconn 1,2,3 held", "leastconn", ["weight 1", "weight 2", "weight 3"], [("hold", 30), ("close", [0, 1, 2, 3, 4, 5]), ("hold", 12)], ()),
    ("leastconn 1,1,1 held", "leastconn", ["", "", ""], [("hold", 9), ("close", [4, 7]), ("hold", 5)], ()),
    ("leastconn maxconn", "leastconn", ["maxconn 2", "maxconn 2 weight 3", "maxconn 1"], [("hold", 5)], ()),
    ("first ids 3,1,2 maxconn 2", "first", ["id 3 maxconn 2", "id 1 maxconn 2", "id 2 maxconn 2"], [("hold", 6), ("close", [0, 3]), ("hold", 2)], ()),
]

if __name__ == "__main__":
    only = sys.argv[1:]
    for sc in HTTP:
        if not only or any(o in sc[0] for o in only):
            run_http(sc[0], sc[1], sc[2], sc[3], sc[4], sc[5], sc[6] if len(sc) > 6 else None)
    for sc in TCP:
        if not only or any(o in sc[0] for o in only):
            run_tcp(*sc)
