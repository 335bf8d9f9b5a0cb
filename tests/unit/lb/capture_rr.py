#!/usr/bin/env python3
"""Captures the order in which Debian's haproxy 2.6 picks servers, for roundrobin_test.cpp and
static_rr_test.cpp. Each server is a `listen` section of the same haproxy process answering its
own name; the balanced `listen` under test is asked N times, one new connection per request, and
the answering names are printed. Runtime changes go through a stats socket between requests.

usage: capture_rr.py            (prints every scenario; ports 27100.. on 127.0.0.1)
"""
import os, socket, subprocess, sys, tempfile, time

BASE = 27100

def request(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = head.split(b" ")[1].decode()
    return body.decode() if status == "200" else status

def cli(sock, cmd):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    s.sendall(cmd.encode() + b"\n")
    out = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        out += chunk
    s.close()
    return out.decode().strip()

def run(name, balance, servers, steps, options=()):
    """servers: list of (name, server-line options); steps: list of ints (requests) or
    strings (CLI commands, `b` is the backend)."""
    tmp = tempfile.mkdtemp()
    sock = os.path.join(tmp, "s.sock")
    lines = ["global", f"  stats socket {sock} level admin", "defaults", "  mode http",
             "  timeout connect 1s", "  timeout client 5s", "  timeout server 5s"]
    for i, (sname, _) in enumerate(servers):
        lines += [f"listen srv_{sname}", f"  bind 127.0.0.1:{BASE + 1 + i}",
                  f'  http-request return status 200 content-type text/plain string "{sname}"']
    lines += ["listen b", f"  bind 127.0.0.1:{BASE}", f"  balance {balance}"]
    lines += [f"  {o}" for o in options]
    for i, (sname, opts) in enumerate(servers):
        lines.append(f"  server {sname} 127.0.0.1:{BASE + 1 + i} {opts}")
    cfg = os.path.join(tmp, "h.cfg")
    open(cfg, "w").write("\n".join(lines) + "\n")
    p = subprocess.Popen(["haproxy", "-db", "-f", cfg], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", BASE)).close()
                break
            except OSError:
                time.sleep(0.1)
        out = []
        for step in steps:
            if isinstance(step, int):
                out += [request(BASE) for _ in range(step)]
            else:
                cli(sock, step)
                out.append(f"[{step}]")
        print(f"{name}: {' '.join(out)}")
    finally:
        p.terminate()   # only the haproxy this script started
        p.wait()

SCENARIOS = [
    ("rr 1,1", "roundrobin", [("s1", "weight 1"), ("s2", "weight 1")], [30]),
    ("rr 1,2,3", "roundrobin", [("s1", "weight 1"), ("s2", "weight 2"), ("s3", "weight 3")], [36]),
    ("rr 3,1", "roundrobin", [("s1", "weight 3"), ("s2", "weight 1")], [32]),
    ("rr 10,20,30,15", "roundrobin", [("s1", "weight 10"), ("s2", "weight 20"), ("s3", "weight 30"), ("s4", "weight 15")], [45]),
    ("rr 2,0,1,0,3", "roundrobin", [("s1", "weight 2"), ("s2", "weight 0"), ("s3", "weight 1"), ("s4", "weight 0"), ("s5", "weight 3")], [36]),
    ("rr 1,1,1 s2 disabled", "roundrobin", [("s1", ""), ("s2", "disabled"), ("s3", "")], [30]),
    ("rr backups no allbackups", "roundrobin", [("s1", "disabled"), ("b1", "backup weight 1"), ("b2", "backup weight 2")], [10]),
    ("rr backups allbackups", "roundrobin", [("s1", "disabled"), ("b1", "backup weight 1"), ("b2", "backup weight 2")], [30], ["option allbackups"]),
    ("rr active up, backup idle", "roundrobin", [("s1", ""), ("b1", "backup")], [6]),
    ("rr 1,1,1 weight change", "roundrobin", [("s1", ""), ("s2", ""), ("s3", "")],
     [7, "set weight b/s1 3", 20, "set weight b/s1 1", 12]),
    ("rr 1,1,1 down/up", "roundrobin", [("s1", ""), ("s2", ""), ("s3", "")],
     [4, "disable server b/s2", 6, "enable server b/s2", 12]),
    ("rr 1,2,3 down/up", "roundrobin", [("s1", "weight 1"), ("s2", "weight 2"), ("s3", "weight 3")],
     [5, "disable server b/s3", 7, "enable server b/s3", 24]),
    ("rr 1,2,3 weight 0 then back", "roundrobin", [("s1", "weight 1"), ("s2", "weight 2"), ("s3", "weight 3")],
     [4, "set weight b/s3 0", 6, "set weight b/s3 3", 18]),
    ("rr 2,2 weight up", "roundrobin", [("s1", "weight 2"), ("s2", "weight 2")],
     [3, "set weight b/s2 6", 24]),
    ("rr backup fallback", "roundrobin", [("s1", ""), ("s2", ""), ("b1", "backup"), ("b2", "backup")],
     [3, "disable server b/s1", "disable server b/s2", 4, "disable server b/b1", 3, "enable server b/b1", 2, "enable server b/s2", 4]),
    ("static-rr 1,2,3", "static-rr", [("s1", "weight 1"), ("s2", "weight 2"), ("s3", "weight 3")], [18]),
    ("static-rr 2,3", "static-rr", [("s1", "weight 2"), ("s2", "weight 3")], [15]),
    ("static-rr 1,1,1,1", "static-rr", [("s1", ""), ("s2", ""), ("s3", ""), ("s4", "")], [10]),
    ("static-rr 2,4,0,6", "static-rr", [("s1", "weight 2"), ("s2", "weight 4"), ("s3", "weight 0"), ("s4", "weight 6")], [18]),
    ("static-rr backups w2,w2,w1", "static-rr", [("s1", "disabled"), ("b1", "backup weight 2"), ("b2", "backup weight 2"), ("b3", "backup weight 1")], [8]),
    ("static-rr backups w2,w5", "static-rr", [("s1", "disabled"), ("b1", "backup weight 2"), ("b2", "backup weight 5")], [6]),
    ("static-rr backups allbackups w1,w2", "static-rr", [("s1", "disabled"), ("b1", "backup weight 1"), ("b2", "backup weight 2")], [9], ["option allbackups"]),
    ("static-rr 1,2,3 down/up", "static-rr", [("s1", "weight 1"), ("s2", "weight 2"), ("s3", "weight 3")],
     [4, "disable server b/s2", 6, "enable server b/s2", 12]),
    ("static-rr 1,1,1 weight 0%/100%", "static-rr", [("s1", ""), ("s2", ""), ("s3", "")],
     [2, "set weight b/s1 0", 5, "set weight b/s1 100%", 7]),
]

if __name__ == "__main__":
    only = sys.argv[1:]
    for sc in SCENARIOS:
        if not only or any(o in sc[0] for o in only):
            run(*sc)
