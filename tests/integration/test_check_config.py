"""`-c` (configuration check): exit code, stdout and the diagnostics on stderr, compared with
HAProxy 2.6's golden output, and live against haproxy when it is installed (differential).

Normalisation before comparing stderr: [NOTICE] lines are dropped (they name the program and
its version) and the pid in `[ALERT]    (1234) : ` / `[WARNING]  (1234) : ` becomes (PID).
"""

import os
import re
import unittest

from harness import ProxyTestCase, IS_HAPROXY, HAPROXY_BIN, PROXY_BIN, haproxy_available
from harness.proxy import run_check

T = """defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
"""

MISSING_TIMEOUTS = [
    "[WARNING]  (PID) : config : missing timeouts for {kind} '{name}'.",
    "   | While not properly invalid, you will certainly encounter various problems",
    "   | with such a configuration. To fix this, please ensure that all following",
    "   | timeouts are set to a non-zero value: 'client', 'connect', 'server'.",
]

VALID = 'Configuration file is valid\n'

# name: (config text, exit code, stdout, normalised stderr lines)
CASES = {
    'good': ("""global
    maxconn 100
""" + T + """frontend f
    bind 127.0.0.1:18080
    default_backend b
backend b
    balance roundrobin
    server s1 127.0.0.1:18081 weight 2
""", 0, VALID, []),
    'response_redirect_location_only': (T + """backend b
    mode http
    http-response redirect location /x if { status 418 }
    http-response redirect scheme https if { status 418 }
    server s1 127.0.0.1:18081
""", 1, '', [
        "[ALERT]    (PID) : config : parsing [x.cfg:9] : error detected in backend 'b' while parsing 'http-response redirect' rule : response only supports redirect type 'location'.",
        "[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg",
    ]),
    'missing_timeouts_warns': ("""defaults
    mode http
frontend f
    bind 127.0.0.1:18080
    default_backend b
backend b
    server s1 127.0.0.1:18081
""", 0, 'Warnings were found.\n' + VALID,
        [l.format(kind='frontend', name='f') for l in MISSING_TIMEOUTS] +
        [l.format(kind='backend', name='b') for l in MISSING_TIMEOUTS]),
    'unknown_keywords_and_bad_time': (T + """frontend f
    bind 127.0.0.1:18080
    bogus_kw foo
    defualt_backend b
    default_backend b
backend b
    server s1 127.0.0.1:18081
    timeout server 10x
""", 1, '', [
        "[ALERT]    (PID) : config : parsing [x.cfg:8] : unknown keyword 'bogus_kw' in 'frontend' section",
        "[ALERT]    (PID) : config : parsing [x.cfg:9] : unknown keyword 'defualt_backend' in 'frontend' section; did you mean 'default_backend' maybe ?",
        "[ALERT]    (PID) : config : parsing [x.cfg:13] : unexpected character 'x' in 'timeout server'",
        "[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg",
        "[ALERT]    (PID) : config : Fatal errors found in configuration.",
    ]),
    'missing_default_backend': (T + """frontend f
    bind 127.0.0.1:18080
    default_backend nob
""", 1, '', [
        "[ALERT]    (PID) : config : Proxy 'f': unable to find required default_backend: 'nob'.",
        "[ALERT]    (PID) : config : Fatal errors found in configuration.",
    ]),
    'missing_use_backend': (T + """frontend f
    bind 127.0.0.1:18080
    use_backend nob
    default_backend nob2
""", 1, '', [
        "[ALERT]    (PID) : config : Proxy 'f': unable to find required default_backend: 'nob2'.",
        "[ALERT]    (PID) : config : Proxy 'f': unable to find required use_backend: 'nob'.",
        "[ALERT]    (PID) : config : Fatal errors found in configuration.",
    ]),
    'mode_mismatch': (T + """frontend f
    bind 127.0.0.1:18080
    default_backend b
backend b
    mode tcp
    server s 127.0.0.1:1
""", 1, '', [
        "[ALERT]    (PID) : config : http frontend 'f' (x.cfg:6) tries to use incompatible tcp backend 'b' (x.cfg:9) as its default backend (see 'mode').",
        "[ALERT]    (PID) : config : Fatal errors found in configuration.",
    ]),
    'misspelt_section': (T + """frontnd f
    bind 127.0.0.1:18080
""", 1, '', [
        "[ALERT]    (PID) : config : parsing [x.cfg:6] : unknown keyword 'frontnd' in 'defaults' section; did you mean 'frontend' maybe ?",
        "[ALERT]    (PID) : config : parsing [x.cfg:7] : 'bind' not allowed in 'defaults' section.",
        "[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg",
        "[ALERT]    (PID) : config : Fatal errors found in configuration.",
    ]),
    'server_without_address': (T + """backend b
    server s1
""", 1, '', [
        "[ALERT]    (PID) : config : [x.cfg:7] : 'server' expects <name> and <addr>[:<port>] as arguments.",
        "[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg",
        "[ALERT]    (PID) : config : Fatal errors found in configuration.",
    ]),
    'duplicate_backend': (T + """backend b
    server s1 127.0.0.1:1
backend b
    server s1 127.0.0.1:1
""", 1, '', [
        "[ALERT]    (PID) : config : Parsing [x.cfg:8]: backend 'b' has the same name as backend 'b' declared at x.cfg:6.",
        "[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg",
        "[ALERT]    (PID) : config : Fatal errors found in configuration.",
    ]),
    'originalto_bad_arguments': (T + """frontend f
    bind 127.0.0.1:1
    option originalto foo
    option originalto except
    option originalto except 1.2.3.400/8
    option originalto header
""", 1, '', [
        "[ALERT]    (PID) : config : parsing [x.cfg:8] : 'option originalto' only supports optional values: 'except' and 'header'.",
        "[ALERT]    (PID) : config : parsing [x.cfg:9] : 'option originalto except' expects <address>[/mask] as argument.",
        "[ALERT]    (PID) : config : parsing [x.cfg:10] : 'option originalto except' expects <address>[/mask] as argument.",
        "[ALERT]    (PID) : config : parsing [x.cfg:11] : 'option originalto header' expects <header_name> as argument.",
        "[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg",
        "[ALERT]    (PID) : config : Fatal errors found in configuration.",
    ]),
    'replace_path_one_argument': (T + """frontend f
    bind 127.0.0.1:1
    http-request replace-path /x
""", 1, '', [
        "[ALERT]    (PID) : config : parsing [x.cfg:8] : error detected in frontend 'f' while parsing 'http-request replace-path' rule : expects exactly 2 arguments <match-regex> and <replace-format>.",
        "[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg",
    ]),
    'replace_uri_bad_regex': (T + """frontend f
    bind 127.0.0.1:1
    http-request replace-uri (a /x
""", 1, '', [
        "[ALERT]    (PID) : config : parsing [x.cfg:8] : error detected in frontend 'f' while parsing 'http-request replace-uri' rule : failed to parse the regex : regex '(a' is invalid (error=missing closing parenthesis, erroffset=2).",
        "[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg",
    ]),
    'nbthread_out_of_range': ("""global
    nbthread 0
""" + T, 1, '', [
        "[ALERT]    (PID) : config : parsing [x.cfg:2] : 'nbthread' value must be between 1 and 64 (was 0)",
        "[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg",
        "[ALERT]    (PID) : config : Fatal errors found in configuration.",
    ]),
    # `http-request/http-response capture`, `declare capture`: rule errors stop the parsing at
    # once; declare errors do not; unknown ids are a post-parse check of frontends only.
    'capture_declare_errors': (T + """frontend f
    bind 127.0.0.1:18080
    declare capture request len 5
    declare
    declare foo
    declare capture
    declare capture requests len 3
    declare capture response
    declare capture response size 3
    declare capture request len
    declare capture request len 5x
    declare capture request len 0
    default_backend b
backend b
    declare capture request len 5
    server s1 127.0.0.1:18081
""", 1, '', [
        "[ALERT]    (PID) : config : parsing [x.cfg:9] : 'declare' needs a second keyword that specify the type of declaration ('capture')",
        "[ALERT]    (PID) : config : parsing [x.cfg:10] : unknown declaration type 'foo' (supports 'capture')",
        "[ALERT]    (PID) : config : parsing [x.cfg:11] : 'declare capture' requires a direction ('request' or 'response')",
        "[ALERT]    (PID) : config : parsing [x.cfg:12] : 'declare capture' requires a direction ('request' or 'response')",
        "[ALERT]    (PID) : config : parsing [x.cfg:13] : 'declare capture' requires a capture length ('len')",
        "[ALERT]    (PID) : config : parsing [x.cfg:14] : 'declare capture' requires a capture length ('len')",
        "[ALERT]    (PID) : config : parsing [x.cfg:15] : 'declare capture': 'len' requires a numeric value that represents the capture length",
        "[ALERT]    (PID) : config : parsing [x.cfg:16] : 'declare capture': cannot parse the length 'len'.",
        '[ALERT]    (PID) : config : parsing [x.cfg:17] : length must be > 0',
        "[ALERT]    (PID) : config : parsing [x.cfg:20] : 'declare' only available in frontend or listen section",
        '[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg',
        '[ALERT]    (PID) : config : Fatal errors found in configuration.',
    ]),
    'capture_declare_in_defaults': ("""defaults
    mode http
    declare capture request len 5
    timeout connect 5s
    timeout client 30s
    timeout server 30s
listen l
    bind 127.0.0.1:18080
    server s1 127.0.0.1:18081
""", 1, '', [
        "[ALERT]    (PID) : config : parsing [x.cfg:3] : 'declare' not available in default section",
        '[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg',
        '[ALERT]    (PID) : config : Fatal errors found in configuration.',
    ]),
    'capture_unknown_ids': (T + """frontend f
    bind 127.0.0.1:18080
    http-request capture req.hdr(a) id 0
    capture request header X-A len 3
    http-response capture res.hdr(a) id 1
    http-request capture req.hdr(a) len 4
    http-request capture req.hdr(a) id 2
    http-response capture res.hdr(a) id -1
    http-request capture req.hdr(a) id 1
    declare capture response len 3
    default_backend b
backend b
    http-request capture req.hdr(a) id 7
    http-response capture res.hdr(a) id 7
    server s1 127.0.0.1:18081
""", 1, '', [
        "[ALERT]    (PID) : config : Proxy 'f': unable to find capture id '2' referenced by http-request capture rule.",
        "[ALERT]    (PID) : config : Proxy 'f': unable to find capture id '1' referenced by http-response capture rule.",
        '[ALERT]    (PID) : config : Fatal errors found in configuration.',
    ]),
    'capture_len_in_backend': (T + """frontend f
    bind 127.0.0.1:18080
    default_backend b
backend b
    http-request capture req.hdr(a) len 4
    server s1 127.0.0.1:18081
""", 1, '', [
        "[ALERT]    (PID) : config : parsing [x.cfg:10] : error detected in backend 'b' while parsing 'http-request capture' rule : proxy 'b' has no frontend capability.",
        '[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg',
    ]),
    'capture_missing_len': (T + """frontend f
    bind 127.0.0.1:18080
    http-request capture req.hdr(a) if TRUE
    default_backend b
backend b
    server s1 127.0.0.1:18081
""", 1, '', [
        "[ALERT]    (PID) : config : parsing [x.cfg:8] : error detected in frontend 'f' while parsing 'http-request capture' rule : expects <expression> [ 'len' <length> | id <idx> ].",
        '[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg',
    ]),
    'capture_len_zero': (T + """frontend f
    bind 127.0.0.1:18080
    http-request capture req.hdr(a) len 0
    default_backend b
backend b
    server s1 127.0.0.1:18081
""", 1, '', [
        "[ALERT]    (PID) : config : parsing [x.cfg:8] : error detected in frontend 'f' while parsing 'http-request capture' rule : length must be > 0.",
        '[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg',
    ]),
    'capture_bad_id': (T + """frontend f
    bind 127.0.0.1:18080
    http-request capture req.hdr(a) id 1x
    default_backend b
backend b
    server s1 127.0.0.1:18081
""", 1, '', [
        "[ALERT]    (PID) : config : parsing [x.cfg:8] : error detected in frontend 'f' while parsing 'http-request capture' rule : cannot parse id '1x'.",
        '[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg',
    ]),
    'capture_bad_keyword': (T + """frontend f
    bind 127.0.0.1:18080
    http-request capture req.hdr(a) size 1
    default_backend b
backend b
    server s1 127.0.0.1:18081
""", 1, '', [
        "[ALERT]    (PID) : config : parsing [x.cfg:8] : error detected in frontend 'f' while parsing 'http-request capture' rule : expects 'len' or 'id', found 'size'.",
        '[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg',
    ]),
    'capture_response_len': (T + """frontend f
    bind 127.0.0.1:18080
    http-response capture res.hdr(a) len 3
    default_backend b
backend b
    server s1 127.0.0.1:18081
""", 1, '', [
        "[ALERT]    (PID) : config : parsing [x.cfg:8] : error detected in frontend 'f' while parsing 'http-response capture' rule : expects 'id', found 'len'.",
        '[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg',
    ]),
    'capture_response_fetch': (T + """frontend f
    bind 127.0.0.1:18080
    declare capture response len 3
    http-response capture path id 0
    default_backend b
backend b
    server s1 127.0.0.1:18081
""", 1, '', [
        "[ALERT]    (PID) : config : parsing [x.cfg:9] : error detected in frontend 'f' while parsing 'http-response capture' rule : fetch method 'path' extracts information from 'HTTP request headers', none of which is available here.",
        '[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg',
    ]),
    'capture_request_fetch': (T + """frontend f
    bind 127.0.0.1:18080
    http-request capture res.hdr(a) len 3
    default_backend b
backend b
    server s1 127.0.0.1:18081
""", 1, '', [
        "[ALERT]    (PID) : config : parsing [x.cfg:8] : error detected in frontend 'f' while parsing 'http-request capture' rule : fetch method 'res.hdr(a)' extracts information from 'HTTP response headers', none of which is available here.",
        '[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg',
    ]),
    'capture_unknown_fetch': (T + """frontend f
    bind 127.0.0.1:18080
    http-request capture nosuch len 3
    default_backend b
backend b
    server s1 127.0.0.1:18081
""", 1, '', [
        "[ALERT]    (PID) : config : parsing [x.cfg:8] : error detected in frontend 'f' while parsing 'http-request capture' rule : unknown fetch method 'nosuch'.",
        '[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg',
    ]),
    'capture_trailing_word': (T + """frontend f
    bind 127.0.0.1:18080
    http-request capture req.hdr(a) len 3 id 0
    default_backend b
backend b
    server s1 127.0.0.1:18081
""", 1, '', [
        "[ALERT]    (PID) : config : parsing [x.cfg:8]: 'http-request capture' expects either 'if' or 'unless' followed by a condition but found 'id'.",
        '[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg',
    ]),
    # HAProxy 2.6 takes a time with characters after its unit ("15min" is 15m) and only warns.
    'timer_trailing_characters': (T + """listen l
    bind 127.0.0.1:18080
    timeout client 15min
    server s1 127.0.0.1:18081 check inter 3sec
""", 0, 'Warnings were found.\n' + VALID, [
        "[WARNING]  (PID) : config : unexpected character 'i' after the timer value '15min', only (us=microseconds,ms=milliseconds,s=seconds,m=minutes,h=hours,d=days) are supported. This will be reported as an error in next versions.",
        "[WARNING]  (PID) : config : [x.cfg:9] : 'server l/s1' : unexpected character 'e' after the timer value '3sec', only (us=microseconds,ms=milliseconds,s=seconds,m=minutes,h=hours,d=days) are supported. This will be reported as an error in next versions.",
    ]),
    # `zero-warning` turns any warning into a refusal, -c included.
    'zero_warning': ("""global
    zero-warning
""" + T + """listen l
    bind 127.0.0.1:18080
    timeout client 15min
    server s1 127.0.0.1:18081
""", 1, '', [
        "[WARNING]  (PID) : config : unexpected character 'i' after the timer value '15min', only (us=microseconds,ms=milliseconds,s=seconds,m=minutes,h=hours,d=days) are supported. This will be reported as an error in next versions.",
        "[ALERT]    (PID) : config : Some warnings were found and 'zero-warning' is set. Aborting.",
    ]),
    'program_without_master_worker': (T + """listen l
    bind 127.0.0.1:18080
    server s1 127.0.0.1:18081
program api
    command /bin/true
""", 1, '', [
        "[ALERT]    (PID) : config : Can't use a 'program' section without master worker mode.",
        '[ALERT]    (PID) : config : Fatal errors found in configuration.',
    ]),
    'tcp_check_connect_unknown_option': (T + """listen l
    bind 127.0.0.1:18080
    option tcp-check
    tcp-check connect port 80 bogus
    server s1 127.0.0.1:18081 check
""", 1, '', [
        "[ALERT]    (PID) : config : parsing [x.cfg:9] : 'tcp-check connect' : expects 'comment', 'port', 'addr', 'send-proxy', 'ssl', 'sni', 'alpn' or 'via-socks4', 'linger', 'default' but got 'bogus' as argument..",
        '[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg',
        '[ALERT]    (PID) : config : Fatal errors found in configuration.',
    ]),
    # A global `quiet` silences whatever comes after it, the verdict of -c and errors included.
    'quiet_after_a_warning': (T + """listen l
    bind 127.0.0.1:18080
    timeout client 15min
    server s1 127.0.0.1:18081
global
    quiet
""", 0, '', [
        "[WARNING]  (PID) : config : unexpected character 'i' after the timer value '15min', only (us=microseconds,ms=milliseconds,s=seconds,m=minutes,h=hours,d=days) are supported. This will be reported as an error in next versions.",
    ]),
    'quiet_before_an_error': ("""global
    quiet
""" + T + """listen l
    bind 127.0.0.1:18080
    bogus 1
    server s1 127.0.0.1:18081
""", 1, '', []),
    # tune.h2.* as HAProxy 2.6 reads them (atoi: 0 is a window HAProxy takes).
    'tune_h2_values': ("""global
    tune.h2.header-table-size 65536
    tune.h2.initial-window-size 0
    tune.h2.max-concurrent-streams 1000
    tune.h2.max-frame-size 16777215
""" + T + """listen l
    bind 127.0.0.1:18080 proto h1
    server s1 127.0.0.1:18081
listen t
    mode tcp
    bind 127.0.0.1:18082 proto none
    server s1 127.0.0.1:18081
""", 0, VALID, []),
    'tune_h2_bad_values': ("""global
    tune.h2.header-table-size 65537
    tune.h2.initial-window-size -1
    tune.h2.max-concurrent-streams 2147483648
    tune.h2.max-frame-size 16383
    tune.h2.max-frame-size
    tune.h2.header-table-size 4096 8192
""" + T + """listen l
    bind 127.0.0.1:18080
    server s1 127.0.0.1:18081
""", 1, '', [
        "[ALERT]    (PID) : config : parsing [x.cfg:2] : 'tune.h2.header-table-size' expects a numeric value between 4096 and 65536.",
        "[ALERT]    (PID) : config : parsing [x.cfg:3] : 'tune.h2.initial-window-size' expects a positive numeric value.",
        "[ALERT]    (PID) : config : parsing [x.cfg:4] : 'tune.h2.max-concurrent-streams' expects a positive numeric value.",
        "[ALERT]    (PID) : config : parsing [x.cfg:5] : 'tune.h2.max-frame-size' expects a numeric value between 16384 and 16777215.",
        "[ALERT]    (PID) : config : parsing [x.cfg:6] : 'tune.h2.max-frame-size' expects a numeric value between 16384 and 16777215.",
        "[ALERT]    (PID) : config : parsing [x.cfg:7] : 'tune.h2.header-table-size' cannot handle unexpected argument '8192'.",
        "[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg",
        "[ALERT]    (PID) : config : Fatal errors found in configuration.",
    ]),
    'bind_proto_unknown': (T + """listen l
    bind 127.0.0.1:18080 proto
    bind 127.0.0.1:18081 proto h3
    bind 127.0.0.1:18082,127.0.0.1:18083 proto H1
    server s1 127.0.0.1:18081
""", 1, '', [
        "[ALERT]    (PID) : config : parsing [x.cfg:7] : 'bind 127.0.0.1:18080' in section 'listen' : 'proto' : missing value",
        "[ALERT]    (PID) : config : parsing [x.cfg:8] : 'bind 127.0.0.1:18081' in section 'listen' : 'proto' :  unknown MUX protocol 'h3'",
        "[ALERT]    (PID) : config : parsing [x.cfg:9] : 'bind 127.0.0.1:18082,127.0.0.1:18083' in section 'listen' : 'proto' :  unknown MUX protocol 'H1'",
        "[ALERT]    (PID) : config : Error(s) found in configuration file : x.cfg",
        "[ALERT]    (PID) : config : Fatal errors found in configuration.",
    ]),
    'bind_proto_not_usable': (T + """frontend f
    bind 127.0.0.1:18080 proto none
    bind 127.0.0.1:18081 proto fcgi
    default_backend b
backend b
    server s1 127.0.0.1:18081
listen t
    mode tcp
    bind 127.0.0.1:18082 proto h1
    server s1 127.0.0.1:18081
""", 1, '', [
        "[ALERT]    (PID) : config : frontend 'f' : MUX protocol 'none' is not usable for 'bind 127.0.0.1:18080' at [x.cfg:7].",
        "[ALERT]    (PID) : config : frontend 'f' : MUX protocol 'fcgi' is not usable for 'bind 127.0.0.1:18081' at [x.cfg:8].",
        "[ALERT]    (PID) : config : proxy 't' : MUX protocol 'h1' is not usable for 'bind 127.0.0.1:18082' at [x.cfg:14].",
        "[ALERT]    (PID) : config : Fatal errors found in configuration.",
    ]),
    # HAProxy resolves server names after the checks, and names the host without its port.
    'server_name_unresolvable': (T + """listen l
    bind 127.0.0.1:18080
    server s1 nosuchhost.invalid:18081
""", 1, '', [
        "[ALERT]    (PID) : config : [x.cfg:8] : 'server l/s1' : could not resolve address 'nosuchhost.invalid'.",
        '[ALERT]    (PID) : config : Failed to initialize server(s) addr.',
    ]),
}

_PID = re.compile(r'^(\[(?:ALERT|WARNING)\]\s+)\(\d+\)')


def normalise(stderr):
    out = []
    for line in stderr.splitlines():
        if line.startswith('[NOTICE]'):
            continue
        out.append(_PID.sub(r'\1(PID)', line))
    return out


class CheckConfigTest(ProxyTestCase):
    def run_case(self, name):
        cfg, rc, out, err = CASES[name]
        d = self.tmpdir()
        got = run_check(PROXY_BIN, cfg, d, name='x.cfg')
        self.assertEqual(got[0], rc, f'exit code; stderr:\n{got[2]}')
        self.assertEqual(got[1], out)
        self.assertEqual(normalise(got[2]), err)
        if not IS_HAPROXY and haproxy_available():
            ref = run_check(HAPROXY_BIN, cfg, d, name='x.cfg')
            self.assertEqual((got[0], got[1], normalise(got[2])),
                             (ref[0], ref[1], normalise(ref[2])), 'differs from haproxy -c')

    def test_quiet_check_prints_nothing(self):
        d = self.tmpdir()
        rc, out, err = run_check(PROXY_BIN, CASES['unknown_keywords_and_bad_time'][0], d,
                                 name='x.cfg', extra=['-q'])
        self.assertEqual((rc, out, err), (1, '', ''))
        rc, out, err = run_check(PROXY_BIN, CASES['good'][0], d, name='y.cfg', extra=['-q'])
        self.assertEqual((rc, out, err), (0, '', ''))

    def _repo_conf(self, name):
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'conf', name)
        if not os.path.exists(path):
            self.skipTest(f'conf/{name} not present')
        with open(path) as f:
            cfg = f.read()
        d = self.tmpdir()
        got = run_check(PROXY_BIN, cfg, d, name=name)
        self.assertEqual(got[0], 0, got[2])
        self.assertTrue(got[1].endswith(VALID), got[1])
        if not IS_HAPROXY and haproxy_available():
            ref = run_check(HAPROXY_BIN, cfg, d, name=name)
            self.assertEqual((got[0], got[1], normalise(got[2])),
                             (ref[0], ref[1], normalise(ref[2])), 'differs from haproxy -c')

    def test_repository_haproxy_cfg_is_valid(self):
        self._repo_conf('haproxy.cfg')

    def test_repository_demo_cfg_is_valid(self):
        self._repo_conf('demo.cfg')

def _make(name):
    def test(self):
        self.run_case(name)
    return test


for _n in CASES:
    setattr(CheckConfigTest, f'test_{_n}', _make(_n))


if __name__ == '__main__':
    unittest.main()
