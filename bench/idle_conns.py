#!/usr/bin/env python3
"""Idle keep-alive connection memory probe for bench/run.

Opens COUNT keep-alive client connections to HOST:PORT. On each one it sends one complete
HTTP/1.1 request and reads the complete response (Content-Length framed), then leaves the
connection open and idle. It samples the resident set size (VmRSS, summed over the given
pids and their child processes) and the open descriptor count of the measured process tree
before the first connection and again after all connections are idle, checks that the
connections are still open, prints one line of key=value pairs and closes everything
(with RST, so that no TIME_WAIT is left behind on the client side).

With --tls each connection first completes a full TLS handshake (no session is offered, the
certificate is not verified) and the request and response go through it: the idle connections
are then idle TLS connections (bench/tls). With --h2 (implies --tls) the connection negotiates
h2 by ALPN and the request is one HTTP/2 stream (python3-h2): idle HTTP/2 connections
(bench/h2).

Bounded: every socket operation has a timeout; the whole run gives up after --deadline s.
"""
import argparse
import os
import select
import socket
import ssl
import struct
import sys
import time


def tree_pids(pids):
    """The given pids plus their descendants (read from /proc/PID/task/*/children)."""
    out, todo = [], list(pids)
    while todo:
        p = todo.pop()
        if p in out:
            continue
        out.append(p)
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/children") as f:
                    todo += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return out


def rss_kb(pids):
    total = 0
    for p in tree_pids(pids):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def fd_count(pids):
    total = 0
    for p in tree_pids(pids):
        try:
            total += len(os.listdir(f"/proc/{p}/fd"))
        except OSError:
            pass
    return total


def read_response(s):
    """Read one Content-Length framed response: None if it was a complete keep-alive 200,
    else why not."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            return "closed before the response head"
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    if lines[0].split(b" ")[1:2] != [b"200"]:
        return "status line " + lines[0].decode(errors="replace")
    clen = None
    for l in lines[1:]:
        k, _, v = l.partition(b":")
        if k.strip().lower() == b"content-length":
            clen = int(v.strip())
        if k.strip().lower() == b"connection" and b"close" in v.lower():
            return "response says Connection: close"  # the proxy will not keep it
    if clen is None:
        return "no Content-Length"
    while len(body) < clen:
        chunk = s.recv(65536)
        if not chunk:
            return "closed inside the body"
        body += chunk
    return None


def h2_request(s, host, port):
    """Sends the client preface and one GET on stream 1; returns the h2 connection state."""
    import h2.config
    import h2.connection
    c = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
    c.initiate_connection()
    c.send_headers(1, [(":method", "GET"), (":path", "/"), (":scheme", "https"),
                       (":authority", f"{host}:{port}"), ("user-agent", "portero-bench-idle")],
                   end_stream=True)
    s.sendall(c.data_to_send())
    return c


def h2_response(s, c):
    """None once stream 1 ended with a 2xx, else why not."""
    import h2.events
    status = None
    while True:
        data = s.recv(65536)
        if not data:
            return "closed before the response ended"
        for ev in c.receive_data(data):
            if isinstance(ev, h2.events.ResponseReceived):
                status = dict(ev.headers).get(b":status")
            elif isinstance(ev, h2.events.DataReceived):
                c.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, h2.events.StreamEnded) and ev.stream_id == 1:
                s.sendall(c.data_to_send())
                return None if status and status.startswith(b"2") else f"status {status}"
            elif isinstance(ev, (h2.events.StreamReset, h2.events.ConnectionTerminated)):
                return f"{type(ev).__name__}"
        out = c.data_to_send()
        if out:
            s.sendall(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count", type=int, default=5000)
    ap.add_argument("--pids", required=True, help="comma separated pids whose tree is measured")
    ap.add_argument("--settle", type=float, default=1.0, help="seconds idle before sampling")
    ap.add_argument("--batch", type=int, default=1,
                    help="connections whose requests are in flight together while opening")
    ap.add_argument("--deadline", type=float, default=40.0)
    ap.add_argument("--tls", action="store_true", help="TLS connections (full handshakes)")
    ap.add_argument("--h2", action="store_true", help="HTTP/2 over TLS (ALPN h2), one stream each")
    a = ap.parse_args()
    a.tls = a.tls or a.h2
    tls = None
    if a.tls:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        tls.check_hostname = False
        tls.verify_mode = ssl.CERT_NONE
        if a.h2:
            tls.set_alpn_protocols(["h2"])
    h2conns = {}
    pids = [int(p) for p in a.pids.split(",") if p]
    start = time.monotonic()
    req = (f"GET / HTTP/1.1\r\nHost: {a.host}:{a.port}\r\nUser-Agent: portero-bench-idle\r\n"
           f"Accept: */*\r\n\r\n").encode()

    time.sleep(0.2)
    rss0, fds0 = rss_kb(pids), fd_count(pids)
    socks, ok, failed = [], 0, 0
    versions = set()
    i = 0
    while i < a.count and time.monotonic() - start < a.deadline:
        # A batch of connections is opened and sent its request before any response is read,
        # so up to --batch requests are in flight at once (--batch 1: strictly one at a time).
        batch = []
        for _ in range(min(a.batch, a.count - i)):
            i += 1
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.settimeout(5.0)
            try:
                s.connect((a.host, a.port))
                if tls is not None:
                    s = tls.wrap_socket(s)  # the handshake, before the request
                    versions.add(f"{s.version()}/{s.cipher()[0]}/{'resumed' if s.session_reused else 'full'}")
                if a.h2:
                    if s.selected_alpn_protocol() != "h2":
                        raise OSError("h2 not negotiated")
                    h2conns[s] = h2_request(s, a.host, a.port)
                else:
                    s.sendall(req)
                batch.append(s)
            except OSError as e:
                failed += 1
                if failed <= 3:
                    print(f"idle_conns: connection {i}: {e}", file=sys.stderr)
                s.close()
        for s in batch:
            try:
                why = h2_response(s, h2conns[s]) if a.h2 else read_response(s)
            except OSError as e:
                why = str(e)
            if why is None:
                ok += 1
            else:
                failed += 1
                if failed <= 3:
                    print(f"idle_conns: connection {i}: {why}", file=sys.stderr)
            socks.append(s)
    time.sleep(a.settle)
    rss1, fds1 = rss_kb(pids), fd_count(pids)

    # Still open? A socket the peer closed polls readable (EOF); an idle open one does not.
    p = select.poll()
    for s in socks:
        p.register(s.fileno(), select.POLLIN | select.POLLHUP | select.POLLERR)
    closed = len({fd for fd, _ in p.poll(0)})
    still_open = len(socks) - closed

    bpc = str((rss1 - rss0) * 1024 // ok) if ok else "n/a"
    fpc = f"{(fds1 - fds0) / ok:.2f}" if ok else "n/a"
    print(f"count={a.count} ok={ok} failed={failed} open={still_open} "
          f"rss0_kb={rss0} rss1_kb={rss1} bytes_per_conn={bpc} "
          f"fds0={fds0} fds1={fds1} fds_per_conn={fpc} "
          f"secs={time.monotonic() - start:.1f}"
          + (f" tls={','.join(sorted(versions))}" if a.tls else ""))
    for s in socks:
        s.close()


if __name__ == "__main__":
    main()
