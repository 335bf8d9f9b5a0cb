"""A UDP syslog receiver on 127.0.0.1 for the tests that read the proxy's log lines."""

import re
import socket
import threading


class SyslogReceiver:
    """Keeps every message as (priority, text) in arrival order, the RFC3164/5424 header
    ("Mmm dd hh:mm:ss tag[pid]: ") removed. `port` is where to send; close() when done."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(('127.0.0.1', 0))
        self.port = self.sock.getsockname()[1]
        self.records = []
        self.lock = threading.Lock()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            try:
                d, _ = self.sock.recvfrom(65535)
            except OSError:
                return
            m = re.match(r'<(\d+)>(.*)', d.decode('latin-1').rstrip('\n'), re.S)
            if not m:
                continue
            msg = m.group(2)
            i = msg.find(']: ')
            with self.lock:
                self.records.append((int(m.group(1)), msg[i + 3:] if i >= 0 else msg))

    def close(self):
        self.sock.close()
