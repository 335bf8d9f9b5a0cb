"""`-c` messages of the long-tail keywords (http-errors, errorfiles, http-error, set-timeout,
strict-mode, set-mark, http-after-response), golden output from haproxy 2.6.12 and, when it
is installed, compared live (see test_check_config.py for the normalisation)."""

import unittest

from harness import ProxyTestCase, IS_HAPROXY, HAPROXY_BIN, PROXY_BIN, haproxy_available
from harness.proxy import run_check
from test_check_config import T, normalise

# name: (config text after the defaults, exit code, stdout, normalised stderr lines)
CASES = {
    'http_errors_parse': ('http-errors e1\n    errorfile 418 /nonexistent\n    foo\nfrontend f\n    bind 127.0.0.1:18080\n    errorfiles\n    errorfiles e1 418\n    http-error\n    http-error status\n    http-error content-type text/plain\n    http-error status 418\n    http-error status 503 string x\n    http-error status 503 content-type text/plain string x foo\n    http-error status 503 file /nonexistent\n    default_backend b\nbackend b\n    server s1 127.0.0.1:18081\n',
        1, '', [
            "[ALERT]    (PID) : config : parsing [x.cfg:7] : errorfile : status code '418' not handled.",
            "[ALERT]    (PID) : config : parsing [x.cfg:8] : unknown keyword 'foo' in 'http-errors' section",
            '[ALERT]    (PID) : config : parsing [x.cfg:11] : errorfiles : expects <name> as argument.',
            "[ALERT]    (PID) : config : parsing [x.cfg:12] : errorfiles : status code '418' not handled.",
            '[ALERT]    (PID) : config : parsing [x.cfg:13] : http-error : expects at least a <status> as arguments.',
            '',
            "[ALERT]    (PID) : config : parsing [x.cfg:14] : http-error : 'status' expects <status_code> as argument",
            "[WARNING]  (PID) : config : parsing [x.cfg:15] : content-type 'text/plain' ignored by the http reply because neither errorfile nor payload defined.",
            '[ALERT]    (PID) : config : parsing [x.cfg:15] : http-error : expects at least a <status> as arguments.',
            '',
            "[ALERT]    (PID) : config : parsing [x.cfg:16] : http-error: status code '418' not handled.",
            '[ALERT]    (PID) : config : parsing [x.cfg:17] : http-error : a content type must be defined when non-empty payload is configured',
            "[ALERT]    (PID) : config : parsing [x.cfg:18] : http-error : unknown keyword 'foo'.",
            "[ALERT]    (PID) : config : parsing [x.cfg:19] : http-error : error opening file '/nonexistent'",
            '[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg',
            '[ALERT]    (PID) : config : Fatal errors found in configuration.',
        ]),
    'http_errors_resolution': ('http-errors e1\n    errorfile 503 /dev/null\nfrontend f\n    bind 127.0.0.1:18080\n    errorfiles e1 403 503\n    errorfiles nope\n    http-error status 403 errorfiles e1\n    http-request return status 404 errorfiles e1 if { path /a }\n    http-request return status 404 errorfiles nope2 if { path /b }\n    default_backend b\nbackend b\n    server s1 127.0.0.1:18081\n',
        1, '', [
            "[WARNING]  (PID) : config : Proxy 'f': status '404' referenced by an http reply not declared in http-errors section 'e1'.",
            "[ALERT]    (PID) : config : Proxy 'f': unknown http-errors section 'nope2' referenced by an http reply .",
            "[WARNING]  (PID) : config : config: proxy 'f' : status '403' not declared in http-errors section 'e1' (at x.cfg:10).",
            "[ALERT]    (PID) : config : proxy 'f': unknown http-errors section 'nope' (at x.cfg:11).",
            "[WARNING]  (PID) : config : config: proxy 'f' : status '403' not declared in http-errors section 'e1' (at x.cfg:12).",
            '[ALERT]    (PID) : config : Fatal errors found in configuration.',
        ]),
    'set_timeout_refusals': ('frontend f\n    bind 127.0.0.1:18080\n    http-request set-timeout server 5s\n    default_backend b\nbackend b\n    http-request set-timeout client 5s\n    server s1 127.0.0.1:18081\n',
        1, '', [
            "[ALERT]    (PID) : config : parsing [x.cfg:8] : error detected in frontend 'f' while parsing 'http-request set-timeout' rule : proxy 'f' has no backend capability.",
            '[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg',
        ]),
    'strict_mode_value': ('frontend f\n    bind 127.0.0.1:18080\n    http-request strict-mode maybe\n    default_backend b\nbackend b\n    server s1 127.0.0.1:18081\n',
        1, '', [
            "[ALERT]    (PID) : config : parsing [x.cfg:8] : error detected in frontend 'f' while parsing 'http-request strict-mode' rule : Unexpected value 'maybe'. Only 'on' and 'off' are supported.",
            '[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg',
        ]),
    'set_mark_and_null_timeout': ('frontend f\n    bind 127.0.0.1:18080\n    http-request set-mark 12x\n    default_backend b\nbackend b\n    http-request set-timeout server 0\n    server s1 127.0.0.1:18081\n',
        1, '', [
            "[ALERT]    (PID) : config : parsing [x.cfg:8] : error detected in frontend 'f' while parsing 'http-request set-mark' rule : invalid character starting at 'x' (integer/hex value expected).",
            '[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg',
        ]),
    'after_response_unknown_action': ('frontend f\n    bind 127.0.0.1:18080\n    http-after-response deny\n    default_backend b\nbackend b\n    server s1 127.0.0.1:18081\n',
        1, '', [
            "[ALERT]    (PID) : config : parsing [x.cfg:8]: 'http-after-response' expects 'ot-group', 'add-header', 'allow', 'capture', 'del-header', 'replace-header', 'replace-value', 'set-header', 'set-status', 'strict-mode', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)', but got 'deny'.",
            '[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg',
        ]),
}


class CheckConfigLongTailTest(ProxyTestCase):
    def run_case(self, name):
        text, rc, out, err = CASES[name]
        d = self.tmpdir()
        got = run_check(PROXY_BIN, T + text, d, name='x.cfg')
        self.assertEqual((got[0], got[1], normalise(got[2])), (rc, out, err))
        if not IS_HAPROXY and haproxy_available():
            ref = run_check(HAPROXY_BIN, T + text, d, name='x.cfg')
            self.assertEqual((got[0], got[1], normalise(got[2])),
                             (ref[0], ref[1], normalise(ref[2])), 'differs from haproxy -c')


def _make(name):
    def test(self):
        self.run_case(name)
    return test


for _n in CASES:
    setattr(CheckConfigLongTailTest, f'test_{_n}', _make(_n))


if __name__ == '__main__':
    unittest.main()
