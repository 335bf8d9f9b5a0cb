"""The admin socket as socat uses it: one line, a half-close, then the whole reply."""

import socket


def cli(path, line, timeout=5.0, half_close=True):
    """Sends `line` (a '\\n' is added) to the unix socket `path`; returns the reply as text."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(line.encode() + b'\n')
        if half_close:
            s.shutdown(socket.SHUT_WR)
        out = b''
        while True:
            d = s.recv(65536)
            if not d:
                return out.decode()
            out += d


def stat_rows(csv):
    """show stat CSV -> {(pxname, svname): {column: value}}."""
    lines = csv.split('\n')
    cols = lines[0][2:].split(',')
    rows = {}
    for line in lines[1:]:
        if line:
            vals = line.split(',')
            rows[(vals[0], vals[1])] = dict(zip(cols, vals))
    return rows
