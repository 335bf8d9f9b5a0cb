"""Small helpers shared by the harness: polling with a deadline, free ports, child processes."""

import os
import socket
import time


def wait_until(cond, timeout=5.0, interval=0.01):
    """Poll cond() until it returns a truthy value or the deadline passes; return its value."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() >= deadline:
            return v
        time.sleep(interval)
        interval = min(interval * 1.5, 0.1)


def free_port(host='127.0.0.1'):
    """A port that was free a moment ago (for the few tests that need a fixed port)."""
    s = socket.socket()
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def can_connect(port, host='127.0.0.1', timeout=0.5):
    try:
        s = socket.create_connection((host, port), timeout=timeout)
    except OSError:
        return False
    s.close()
    return True


def children(pid):
    """Pids of the live processes whose parent is pid."""
    out = []
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open(f'/proc/{d}/stat') as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(')') + 2:].split()
        if int(fields[1]) == pid and fields[0] != 'Z':
            out.append(int(d))
    return sorted(out)
