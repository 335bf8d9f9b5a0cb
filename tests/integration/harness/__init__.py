"""Integration test harness: start the proxy on a config snippet, with real origins."""
from .util import wait_until, free_port, can_connect  # noqa: F401
from .origin import Origin, pattern_bytes, pattern_digest  # noqa: F401
from .client import Client, Response, raw_exchange, http_get  # noqa: F401
from .proxy import (Proxy, Listener, PROXY_BIN, HAPROXY_BIN, IS_HAPROXY, IDENTITY,  # noqa: F401
                    haproxy_available)
from .base import ProxyTestCase, DEFAULTS  # noqa: F401
from .tcp_origin import TcpOrigin  # noqa: F401
from . import lbmodel  # noqa: F401
