"""The admin socket (HAProxy's CLI, `stats socket`): framing, levels, help, replies and the
effect of server commands on traffic. Every expectation is what haproxy 2.6.12 answers
(COMPAT.md §5); run with PROXY_BIN=/usr/sbin/haproxy to check the test itself."""

from harness.cli import stat_rows
import os
import re
import socket
import stat
import time
import unittest

from harness import ProxyTestCase, Client, DEFAULTS, wait_until, free_port, IDENTITY
from harness.client import Timeout

VERSION = IDENTITY['version']

STAT_HEADER = (
    '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,'
    'wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,'
    'lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,'
    'hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,'
    'cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,'
    'rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,'
    'check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,'
    'conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,'
    'srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,'
    'used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,'
    'agg_check_status,-,')

STATE_HEADER = (
    '# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight '
    'srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health '
    'srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord '
    'srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port')

HELP_TAIL = ('  help [<command>]                        : list matching or all commands\n'
             '  prompt                                  : toggle interactive mode with prompt\n'
             '  quit                                    : disconnect\n')

# COMPAT.md §5.1: help lines of the in-scope commands, exact.
HELP_LINES = [
    '  add server <bk>/<srv>                   : create a new server',
    '  del server <bk>/<srv>                   : remove a dynamically added server',
    '  show servers conn [<backend>]           : dump server connections status (all or for a single backend)',
    '  clear counters [all]                    : clear max statistics counters (or all counters)',
    "  disable server (DEPRECATED)             : disable a server for maintenance (use 'set server' instead)",
    "  enable server  (DEPRECATED)             : enable a disabled server (use 'set server' instead)",
    "  get weight <bk>/<srv>                   : report a server's current weight",
    "  set maxconn server <bk>/<srv>           : change a server's maxconn setting",
    "  set server <bk>/<srv> [opts]            : change a server's state, weight, address or ssl",
    "  set weight <bk>/<srv>  (DEPRECATED)     : change a server's weight (use 'set server' instead)",
    '  show backend                            : list backends in the current running config',
    '  show errors [<px>] [request|response]   : report last request and/or response errors for each proxy',
    '  show info [desc|json|typed|float]*      : report information about the running process',
    '  show pools                              : report information about the memory pools usage',
    '  show servers state [<backend>]          : dump volatile server information (all or for a single backend)',
    '  show sess [id]                          : report the list of current sessions or dump this exact session',
    '  show stat [desc|json|no-maint|typed|up]*: report counters for each proxy and server',
    '  shutdown sessions server <bk>/<srv>     : kill sessions on a server',
]


def connect(where, timeout=5.0):
    """A connection to a unix path or a TCP port on 127.0.0.1."""
    if isinstance(where, int):
        s = socket.create_connection(('127.0.0.1', where), timeout=timeout)
    else:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(where)
    return s


def read_all(s, timeout=5.0):
    """Everything until the server closes (raises on timeout)."""
    deadline = time.monotonic() + timeout
    out = b''
    while True:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        d = s.recv(65536)
        if not d:
            return out
        out += d


def cli(where, line, half_close=True, timeout=5.0):
    """One-shot request: the line (a '\\n' is added), then the whole reply as bytes."""
    s = connect(where, timeout)
    try:
        s.sendall(line.encode() + b'\n')
        if half_close:
            s.shutdown(socket.SHUT_WR)
        return read_all(s, timeout)
    finally:
        s.close()


def text(where, line, **kw):
    return cli(where, line, **kw).decode()


class Interactive:
    """A `prompt` session: read_prompt() returns the bytes up to and including the next '> '."""

    def __init__(self, where, timeout=5.0):
        self.s = connect(where, timeout)
        self.buf = b''
        self.timeout = timeout

    def send(self, line):
        self.s.sendall(line.encode() + b'\n')

    def read_prompt(self):
        deadline = time.monotonic() + self.timeout
        while b'\n> ' not in self.buf:
            self.s.settimeout(max(0.01, deadline - time.monotonic()))
            d = self.s.recv(65536)
            if not d:
                raise EOFError(f'closed; got {self.buf!r}')
            self.buf += d
        i = self.buf.index(b'\n> ') + 3
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def close(self):
        self.s.close()


class AdminSocketTest(ProxyTestCase):
    def start(self, glob_extra='', backend_extra='', server_opts=('weight 2', '')):
        self.s1, self.s2, self.s3 = self.origin('s1'), self.origin('s2'), self.origin('s3')
        d = self.tmpdir()
        self.sock = {lvl: os.path.join(d, f'{lvl}.sock') for lvl in ('admin', 'operator', 'user')}
        self.fe = self.listener()
        self.fe2 = self.listener()
        self.tcp_admin = self.listener()
        cfg = f"""
global
    stats socket {self.sock['admin']} level admin mode 600
    stats socket {self.sock['operator']}
    stats socket {self.sock['user']} level user
    stats socket {self.tcp_admin.bind} level admin
{glob_extra}
{DEFAULTS}
frontend fe
    bind {self.fe.bind}
    default_backend be

frontend fe2
    bind {self.fe2.bind}
    default_backend other

backend be
    balance roundrobin
{backend_extra}
    server s1 {self.s1.addr} {server_opts[0]}
    server s2 {self.s2.addr} {server_opts[1]}

backend other
    server s3 {self.s3.addr}
"""
        self.p = self.proxy(cfg, [self.fe, self.fe2, self.tcp_admin])
        for path in self.sock.values():
            self.assertTrue(wait_until(lambda: os.path.exists(path), 5), f'no socket {path}')
        return self.p

    def admin(self, line, **kw):
        return text(self.sock['admin'], line, **kw)

    def picks(self, n, port=None):
        with Client(port or self.fe.port) as c:
            return [c.request('GET', '/').header('x-origin') for _ in range(n)]

    # ---- framing ------------------------------------------------------------------------
    def test_one_shot_two_commands(self):
        self.start()
        self.assertEqual(self.admin('show version;get weight be/s1'),
                         f'{VERSION}\n\n2 (initial 2)\n\n')

    def test_one_shot_without_half_close_is_closed_by_server(self):
        self.start()
        self.assertEqual(cli(self.sock['admin'], 'show version', half_close=False),
                         f'{VERSION}\n\n'.encode())

    def test_line_without_newline_then_half_close_gets_nothing(self):
        self.start()
        s = connect(self.sock['admin'])
        s.sendall(b'show version')
        s.shutdown(socket.SHUT_WR)
        self.assertEqual(read_all(s), b'')
        s.close()

    def test_line_in_pieces(self):
        self.start()
        s = connect(self.sock['admin'])
        s.sendall(b'show ver')
        s.sendall(b'sion\r\n')
        self.assertEqual(read_all(s), f'{VERSION}\n\n'.encode())
        s.close()

    def test_buffered_lines_are_all_answered(self):
        self.start()
        self.assertEqual(self.admin('show version\nget weight be/s1'),
                         f'{VERSION}\n\n2 (initial 2)\n\n')

    def test_escapes(self):
        self.start()
        # "\;" keeps the ';' inside the word, "\\" is a backslash and ';' then separates
        self.assertEqual(self.admin(r'get weight be/s1\;show version'), 'No such server.\n\n')
        self.assertEqual(self.admin(r'get weight be/s1\\;show version'),
                         f'No such server.\n\n{VERSION}\n\n')
        self.assertEqual(self.admin('  show \t version  '), f'{VERSION}\n\n')

    def test_empty_reply_is_a_bare_newline(self):
        self.start()
        self.assertEqual(self.admin('set weight be/s1 2;show version'), f'\n{VERSION}\n\n')

    def test_prompt_bytes(self):
        self.start()
        c = Interactive(self.sock['admin'])
        try:
            c.send('prompt')
            out = c.read_prompt()
            c.send('show version')
            out += c.read_prompt()
            c.send('get weight be/s2')
            out += c.read_prompt()
            self.assertEqual(out, f'\n> {VERSION}\n\n> 1 (initial 1)\n\n> '.encode())
            c.send('quit')
            self.assertEqual(read_all(c.s), b'')
        finally:
            c.close()

    def test_prompt_twice_returns_to_one_shot(self):
        self.start()
        c = Interactive(self.sock['admin'])
        try:
            c.send('prompt')
            self.assertEqual(c.read_prompt(), b'\n> ')
            c.send('prompt')
            self.assertEqual(read_all(c.s), b'\n')
        finally:
            c.close()

    def test_quit_stops_the_line(self):
        self.start()
        self.assertEqual(self.admin('show version;quit;show version'), f'{VERSION}\n\n')
        self.assertEqual(self.admin('quit'), '')

    def test_stats_timeout_closes_idle_connection(self):
        # haproxy 2.6.12 applies `stats timeout` reliably only to a connection that has sent
        # nothing yet (once bytes arrived its idle timer often never fires); portero applies it
        # to every idle connection. `set timeout cli` below covers an interactive session.
        self.start(glob_extra='    stats timeout 600ms')
        s = connect(self.sock['admin'])
        try:
            t0 = time.monotonic()
            self.assertEqual(read_all(s, timeout=5), b'')
            took = time.monotonic() - t0
            self.assertGreater(took, 0.4)
            self.assertLess(took, 3.0)
        finally:
            s.close()

    def test_set_timeout_cli(self):
        self.start()   # default stats timeout: 10s
        c = Interactive(self.sock['user'])
        try:
            c.send('prompt')
            c.read_prompt()
            c.send('set timeout cli 1')
            self.assertEqual(c.read_prompt(), b'\n> ')
            t0 = time.monotonic()
            self.assertEqual(read_all(c.s, timeout=8), b'')
            self.assertLess(time.monotonic() - t0, 5.0)
        finally:
            c.close()
        self.assertEqual(text(self.sock['admin'], 'set timeout foo 5;set timeout cli;set timeout cli x'),
                         "'set timeout' only supports 'cli'.\n\nExpects an integer value.\n\n"
                         'Invalid timeout value.\n\n')

    def test_tcp_sockets(self):
        port = free_port()
        self.start(glob_extra=f'    stats socket ipv4@127.0.0.1:{port} level user')
        self.assertEqual(text(self.tcp_admin.port, 'show cli level'), 'admin\n\n')
        self.assertTrue(wait_until(lambda: text(port, 'show cli level') == 'user\n\n', 5))

    def test_unix_mode_and_stale_socket_replaced(self):
        d = self.tmpdir()
        path = os.path.join(d, 'stale.sock')
        # a socket file left behind by a dead process
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        s.close()
        fe = self.listener()
        cfg = f"""
global
    stats socket {path} mode 640 level admin
{DEFAULTS}
frontend fe
    bind {fe.bind}
    http-request return status 200
"""
        self.proxy(cfg, [fe])
        self.assertEqual(text(path, 'show version'), f'{VERSION}\n\n')
        st = os.stat(path)
        self.assertTrue(stat.S_ISSOCK(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o640)

    def test_stats_maxconn(self):
        self.start(glob_extra='    stats maxconn 2')
        a, b = Interactive(self.sock['admin']), Interactive(self.sock['admin'])
        try:
            for c in (a, b):
                c.send('prompt')
                c.read_prompt()
            third = connect(self.sock['admin'])
            third.sendall(b'show version\n')
            third.settimeout(0.5)
            with self.assertRaises(socket.timeout):
                third.recv(100)   # waits in the backlog while two clients are connected
            a.send('quit')
            self.assertEqual(read_all(third), f'{VERSION}\n\n'.encode())
            third.close()
        finally:
            a.close()
            b.close()

    # ---- help, unknown commands, levels ----------------------------------------------------
    def test_help(self):
        self.start()
        for lvl in ('admin', 'operator', 'user'):   # 2.6.12 does not filter help by level
            h = text(self.sock[lvl], 'help')
            self.assertTrue(h.startswith('The following commands are valid at this level:\n'), h)
            self.assertTrue(h.endswith(HELP_TAIL + '\n'), h[-300:])
            for line in HELP_LINES:
                self.assertIn(line + '\n', h)

    def test_unknown_command(self):
        self.start()
        r = self.admin('foo')
        self.assertTrue(r.startswith(
            'Unknown command, but maybe one of the following ones is a better match:\n'), r)
        self.assertTrue(r.endswith(HELP_TAIL + '\n'))
        r = self.admin('')
        self.assertTrue(r.startswith(
            'Unknown command. Please enter one of the following commands only:\n'), r)
        for line in HELP_LINES:
            self.assertIn(line + '\n', r)
        self.assertEqual(self.admin('set maxconn foo'),
                         'Unknown command, but maybe one of the following ones is a better match:\n'
                         "  set maxconn frontend <frontend> <value> : change a frontend's maxconn setting\n"
                         '  set maxconn global <value>              : change the per-process maxconn setting\n'
                         "  set maxconn server <bk>/<srv>           : change a server's maxconn setting\n"
                         + HELP_TAIL + '\n')

    def test_levels(self):
        self.start()
        self.assertEqual(text(self.sock['admin'], 'show cli level'), 'admin\n\n')
        self.assertEqual(text(self.sock['operator'], 'show cli level'), 'operator\n\n')
        self.assertEqual(text(self.sock['user'], 'show cli level'), 'user\n\n')
        denied = 'Permission denied\n\n'
        user_denied = ['disable server be/s1', 'enable server be/s1', 'set weight be/s1 3',
                       'set server be/s1 state drain', 'clear counters', 'clear counters all',
                       'show sess', 'show errors', 'set maxconn server be/s1 10',
                       'shutdown sessions server be/s1', 'enable health be/s1',
                       'shutdown frontend fe2', 'operator']
        self.assertEqual(text(self.sock['user'], ';'.join(user_denied)), denied * len(user_denied))
        for ok in ('get weight be/s1', 'show stat', 'show info', 'show servers state', 'show backend',
                   'show pools', 'show version', 'set timeout cli 5', 'help', 'user'):
            self.assertNotIn('Permission denied', text(self.sock['user'], ok), ok)
        op_denied = ['disable server be/s1', 'set weight be/s1 3', 'set server be/s1 state drain',
                     'clear counters all', 'set maxconn server be/s1 10', 'set maxconn global 100',
                     'set maxconn frontend fe 100', 'shutdown sessions server be/s1',
                     'disable health be/s1', 'disable agent be/s1', 'shutdown frontend fe2']
        self.assertEqual(text(self.sock['operator'], ';'.join(op_denied)), denied * len(op_denied))
        for ok in ('clear counters', 'show sess', 'show errors', 'operator'):
            self.assertNotIn('Permission denied', text(self.sock['operator'], ok), ok)
        # the level only goes down within a session
        self.assertEqual(self.admin('user;show cli level;operator;show cli level'),
                         '\nuser\n\nPermission denied\n\nuser\n\n')
        self.assertEqual(self.admin('operator;show cli level;set weight be/s1 3'),
                         '\noperator\n\nPermission denied\n\n')
        self.assertEqual(self.admin('get weight be/s1'), '2 (initial 2)\n\n')

    # ---- weights and states ---------------------------------------------------------------
    def test_get_set_weight(self):
        self.start()
        self.assertEqual(self.admin('set weight be/s1 3;get weight be/s1'), '\n3 (initial 2)\n\n')
        self.assertEqual(self.admin('set weight be/s1 50%;get weight be/s1'), '\n1 (initial 2)\n\n')
        self.assertEqual(self.admin('set server be/s1 weight 7;get weight be/s1'), '\n7 (initial 2)\n\n')
        self.assertEqual(self.admin('get weight #4/#1'), '7 (initial 2)\n\n')
        self.assertEqual(self.admin('set weight be/s1 300'),
                         'Absolute weight can only be between 0 and 256 inclusive.\n\n')
        # the 2.6.12 messages without their own newline
        self.assertEqual(self.admin('set weight be/s1 x;set weight be/s1 5x;show version'),
                         'Empty weight string empty or preceded by garbage\n'
                         f'Trailing garbage in weight string\n{VERSION}\n\n')
        self.assertEqual(self.admin('set weight be/s1;set server be/s1 weight'),
                         'Require <weight> or <weight%>.\n\nRequire <weight> or <weight%>.\n\n')
        # weight 0 takes s1 out of the round robin; back to 1 shares again
        self.admin('set weight be/s1 0;set weight be/s2 1')
        self.assertEqual(set(self.picks(6)), {'s2'})
        self.admin('set weight be/s1 1')
        self.assertEqual(sorted(self.picks(4)), ['s1', 's1', 's2', 's2'])

    def status(self, server, level='admin'):
        return stat_rows(text(self.sock[level], 'show stat'))[('be', server)]['status']

    def test_set_server_state_and_traffic(self):
        self.start(server_opts=('', ''))
        self.assertEqual(sorted(self.picks(4)), ['s1', 's1', 's2', 's2'])
        self.assertEqual(self.admin('set server be/s1 state maint'), '\n')
        self.assertEqual(self.status('s1'), 'MAINT')
        self.assertEqual(set(self.picks(6)), {'s2'})
        self.assertEqual(self.admin('set server be/s1 state drain'), '\n')
        self.assertEqual(self.status('s1'), 'DRAIN')
        self.assertEqual(set(self.picks(6)), {'s2'})
        self.assertEqual(self.admin('set server be/s1 state ready'), '\n')
        self.assertEqual(self.status('s1'), 'no check')
        self.assertEqual(sorted(self.picks(4)), ['s1', 's1', 's2', 's2'])
        self.assertEqual(self.admin('set server be/s1 state bar;set server be/s1 state'),
                         "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n\n" * 2)

    def test_disable_enable_server(self):
        self.start(server_opts=('', ''))
        self.assertEqual(self.admin('disable server be/s2'), '\n')
        self.assertEqual(self.status('s2'), 'MAINT')
        self.assertEqual(set(self.picks(6)), {'s1'})
        self.assertEqual(self.admin('enable server be/s2'), '\n')
        self.assertEqual(self.status('s2'), 'no check')
        self.assertEqual(sorted(self.picks(4)), ['s1', 's1', 's2', 's2'])
        # every server of a backend in maintenance: 503
        self.admin('disable server be/s1;disable server be/s2')
        with Client(self.fe.port) as c:
            self.assertEqual(c.request('GET', '/').status, 503)

    def test_set_server_health_and_agent(self):
        self.start()
        self.assertEqual(self.admin('set server be/s1 health down'), '\n')
        self.assertTrue(wait_until(lambda: self.status('s1') == 'DOWN', 3), self.status('s1'))
        self.assertEqual(set(self.picks(4)), {'s2'})
        self.assertEqual(self.admin('set server be/s1 health up'), '\n')
        self.assertTrue(wait_until(lambda: self.status('s1') != 'DOWN', 3))
        self.assertEqual(self.admin('set server be/s1 health foo'),
                         "'set server <srv> health' expects 'up', 'stopping', or 'down'.\n\n")
        self.assertEqual(self.admin('set server be/s1 agent up'),
                         'agent checks are not enabled on this server.\n\n')
        self.assertEqual(self.admin('set server be/s1;set server be/s1 foo'),
                         'usage: set server <backend>/<server> addr | agent | agent-addr | agent-port | '
                         'agent-send | check-addr | check-port | fqdn | health | ssl | state | weight\n\n' * 2)

    def test_enable_disable_health_without_checks(self):
        self.start()
        self.assertEqual(self.admin('disable health be/s1;disable agent be/s1'), '\n\n')
        self.assertEqual(self.admin('enable health be/s1'),
                         'Health check was not configured on this server, cannot enable.\n\n')
        self.assertEqual(self.admin('enable agent be/s1'),
                         'Agent was not configured on this server, cannot enable.\n\n')

    def test_backend_down_transitions(self):
        # BACKEND chkdown / lastchg / downtime follow the backend going DOWN (no usable server)
        self.start(server_opts=('', ''))
        be = lambda: stat_rows(self.admin('show stat'))[('be', 'BACKEND')]
        self.assertEqual((be()['status'], be()['chkdown']), ('UP', '0'))
        self.admin('disable server be/s1;disable server be/s2')
        self.assertTrue(wait_until(lambda: be()['status'] == 'DOWN' and be()['chkdown'] == '1', 5), be())
        self.assertTrue(wait_until(lambda: int(be()['downtime']) >= 1, 5), be())
        self.admin('enable server be/s1;enable server be/s2')
        self.assertTrue(wait_until(lambda: be()['status'] == 'UP' and int(be()['lastchg']) <= 2, 5), be())
        self.assertEqual(be()['chkdown'], '1')
        # (haproxy 2.6.12 then shows downtime 0 after servers enabled from the CLI; portero keeps
        # the spell it saw: not compared)

    def test_set_maxconn(self):
        self.start()
        self.assertEqual(self.admin('set maxconn server be/s1 7'), '\n')
        self.assertEqual(stat_rows(self.admin('show stat'))[('be', 's1')]['slim'], '7')
        self.assertEqual(self.admin('set maxconn frontend fe 50'), '\n')
        self.assertEqual(stat_rows(self.admin('show stat'))[('fe', 'FRONTEND')]['slim'], '50')
        self.assertEqual(self.admin('set maxconn global 500'), '\n')
        self.assertEqual(
            self.admin('set maxconn server be/s1;set maxconn server be/s1 x;set maxconn frontend;'
                       'set maxconn frontend nofe 5;set maxconn frontend fe;set maxconn frontend fe -1;'
                       'set maxconn global'),
            'Require <maxconn>.\n\nmaxconn string empty or preceded by garbage\n'
            'A frontend name is expected.\n\nNo such frontend.\n\nInteger value expected.\n\n'
            'Value out of range.\n\nExpects an integer value.\n\n')

    def test_errors_for_bad_names(self):
        self.start()
        self.assertEqual(
            self.admin('get weight;get weight be;get weight nob/s1;get weight be/nos;'
                       'set server nob/s1 state ready;disable server be/nos;enable server be;'
                       'shutdown sessions server be/nos;show servers state nob;show errors nope;'
                       'show stat nope -1 -1;shutdown frontend;shutdown frontend nofe;shutdown frontend be'),
            "Require 'backend/server'.\n\nRequire 'backend/server'.\n\nNo such backend.\n\n"
            'No such server.\n\nNo such backend.\n\nNo such server.\n\n'
            "Require 'backend/server'.\n\nNo such server.\n\nCan't find backend.\n\n"
            'No such proxy.\n\nNo such proxy.\n\nA frontend name is expected.\n\n'
            'No such frontend.\n\nNo such frontend.\n\n')

    # ---- views --------------------------------------------------------------------------------
    def test_show_servers_state(self):
        self.start(server_opts=('weight 2', ''))
        out = self.admin('show servers state')
        lines = out.split('\n')
        self.assertEqual(lines[0], '1')
        self.assertEqual(lines[1], STATE_HEADER)
        self.assertEqual(out[-2:], '\n\n')
        rows = [l.split(' ') for l in lines[2:] if l]
        self.assertEqual([(r[1], r[2], r[3]) for r in rows],
                         [('be', '1', 's1'), ('be', '2', 's2'), ('other', '1', 's3')])
        s1 = rows[0]
        self.assertEqual(len(s1), 25)
        self.assertEqual(s1[0], '4')                            # be_id
        self.assertEqual((s1[4], s1[18]), ('127.0.0.1', str(self.s1.port)))
        self.assertEqual((s1[5], s1[6], s1[7], s1[8]), ('2', '0', '2', '2'))   # running, ready, w 2/2
        self.admin('set server be/s1 state maint;set weight be/s2 3;set server be/s2 state drain')
        rows = {r[3]: r for r in (l.split(' ') for l in self.admin('show servers state be').split('\n')[2:] if l)}
        self.assertEqual(sorted(rows), ['s1', 's2'])
        self.assertEqual((rows['s1'][5], rows['s1'][6]), ('0', '1'))   # stopped, forced maint
        self.assertEqual((rows['s2'][6], rows['s2'][7], rows['s2'][8]), ('8', '3', '1'))  # drain, 3/1
        self.assertEqual(self.admin('show servers state #5').split('\n')[2].split(' ')[3], 's3')
        self.assertEqual(self.admin('show servers state nob'), "Can't find backend.\n\n")

    def test_show_backend(self):
        self.start()
        self.assertEqual(self.admin('show backend'), '# name\nbe\nother\n\n')

    def test_show_stat(self):
        self.start()
        self.picks(3)
        out = self.admin('show stat')
        self.assertTrue(out.endswith('\n\n'))
        lines = out[:-1].split('\n')[:-1]
        self.assertTrue(lines[0].startswith(STAT_HEADER))
        for l in lines:
            self.assertTrue(l.endswith(','), l)
        self.assertEqual([tuple(l.split(',')[:2]) for l in lines[1:] if not l.startswith('__harness')],
                         [('fe', 'FRONTEND'), ('fe2', 'FRONTEND'), ('be', 's1'), ('be', 's2'),
                          ('be', 'BACKEND'), ('other', 's3'), ('other', 'BACKEND')])
        rows = stat_rows(out)
        self.assertEqual(rows[('be', 'BACKEND')]['stot'], '3')
        self.assertEqual(rows[('be', 's1')]['type'], '2')
        self.assertEqual(rows[('be', 's1')]['weight'], '2')
        self.assertEqual(rows[('be', 's1')]['addr'], f'127.0.0.1:{self.s1.port}')
        self.assertEqual(rows[('be', 'BACKEND')]['algo'], 'roundrobin')
        # the address and algorithm are hidden at level user
        urows = stat_rows(text(self.sock['user'], 'show stat'))
        self.assertEqual(urows[('be', 's1')]['addr'], '')
        self.assertEqual(urows[('be', 'BACKEND')]['algo'], '')
        # one proxy / type / server; options after the three positional words
        only = self.admin('show stat be 4 -1').split('\n')
        self.assertEqual([l.split(',')[1] for l in only[1:] if l], ['s1', 's2'])
        only = self.admin('show stat 4 4 2 typed').split('\n')
        self.assertTrue(only[0].startswith('S.4.2.0.pxname.1:KNS:str:be'), only[0])
        self.assertIn('S.4.2.1.svname.1:KNS:str:s2', only)
        self.assertEqual(self.admin('show stat -1 1 -1').count('FRONTEND'), 3)   # + the harness probe
        self.assertEqual(len(self.admin('show stat 99 -1 -1').split('\n')), 3)   # header only
        self.assertEqual(self.admin('show stat typed 4 4 2'), 'No such proxy.\n\n')
        self.assertTrue(self.admin('show stat json').startswith('[[{"objType":"Frontend"'))

    def test_show_stat_up_and_no_maint(self):
        self.start()
        self.admin('disable server be/s2')
        self.assertNotIn('\nbe,s2,', self.admin('show stat no-maint'))
        self.assertNotIn('\nbe,s2,', self.admin('show stat up'))
        self.assertIn('\nbe,s2,', self.admin('show stat'))

    def test_show_info(self):
        self.start()
        out = self.admin('show info')
        self.assertTrue(out.endswith('\n\n'))
        info = dict(l.split(': ', 1) for l in out.split('\n') if ': ' in l)
        keys = [l.split(':', 1)[0] for l in out.split('\n') if l]
        self.assertEqual(keys[:9], ['Name', 'Version', 'Release_date', 'Nbthread', 'Nbproc',
                                    'Process_num', 'Pid', 'Uptime', 'Uptime_sec'])
        for k in ('Maxconn', 'CurrConns', 'CumConns', 'CumReq', 'Idle_pct', 'node', 'Stopping',
                  'Listeners', 'TotalBytesOut', 'Start_time_sec', 'Tainted'):
            self.assertIn(k, info)
        self.assertEqual(info['Name'], IDENTITY['name'])
        self.assertEqual(info['Version'], VERSION)
        self.assertEqual(info['Release_date'], IDENTITY['release_date'])
        if not self.IS_HAPROXY:   # never introduced as HAProxy; says what it is compatible with
            self.assertEqual(info['Build info'], f'portero {VERSION}, HAProxy 2.6 compatible')
            self.assertNotIn('HAProxy version', out)
        self.assertEqual(info['Pid'], str(self.p.pid))
        self.assertRegex(info['Uptime'], r'^\d+d \d+h\d\dm\d\ds$')
        typed = self.admin('show info typed').split('\n')
        self.assertEqual(typed[0], f"0.Name.1:POS:str:{IDENTITY['name']}")
        self.assertTrue(self.admin('show info json').startswith('['))

    def test_show_sess(self):
        self.start()
        out = text(self.sock['operator'], 'show sess')
        self.assertRegex(out, r'(?m)^0x[0-9a-f]+: proto=unix_stream src=unix:2 fe=GLOBAL be=<NONE> srv=<none> ')
        out = text(self.tcp_admin.port, 'show sess')
        self.assertRegex(out, r'(?m)^0x[0-9a-f]+: proto=tcpv4 src=127\.0\.0\.1:\d+ fe=GLOBAL be=<NONE> ')
        self.assertEqual(self.admin('show sess 0x1'), 'Session not found.\n\n')

    def test_show_sess_lists_a_request_in_flight(self):
        self.start()
        c = Client(self.fe.port)
        self.addCleanup(c.close)
        c.send(b'GET /delay/3000 HTTP/1.1\r\nhost: x\r\n\r\n')
        pat = re.compile(r'(?m)^0x[0-9a-f]+: proto=tcpv4 src=127\.0\.0\.1:\d+ fe=fe be=be srv=s1 ')
        self.assertTrue(wait_until(lambda: pat.search(self.admin('show sess')), 3),
                        self.admin('show sess'))

    def test_show_errors(self):
        self.start()
        self.assertRegex(self.admin('show errors'),
                         r'^Total events captured on \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d\.\d{3}\] : 0\n\n$')
        with Client(self.fe.port) as c:
            c.send(b'GET /bad path HTTP/1.1\r\nHost: x\r\n\r\n')
            self.assertEqual(c.read_response().status, 400)
        out = self.admin('show errors')
        self.assertRegex(out, r'^Total events captured on \[[^]]+\] : 1\n \n')
        self.assertRegex(out, r'(?m)^\[[^]]+\] frontend fe \(#2\): invalid request\n'
                              r'  backend <NONE> \(#-1\), server <NONE> \(#-1\), event #0, src 127\.0\.0\.1:\d+\n')
        self.assertIn('  00000  GET /bad path HTTP/1.1\\r\\n\n  00024  Host: x\\r\\n\n  00033  \\r\\n\n', out)
        self.assertNotIn('invalid request', self.admin('show errors fe response'))
        self.assertNotIn('invalid request', self.admin('show errors be'))
        self.assertIn('invalid request', self.admin('show errors 2'))

    def test_show_pools(self):
        self.start()
        out = self.admin('show pools')
        self.assertTrue(out.startswith('Dumping pools usage. Use SIGQUIT to flush them.\n'), out)
        self.assertRegex(out, r'(?m)^Total: \d+ pools, \d+ bytes allocated, \d+ used '
                              r'\(~\d+ by thread caches\)\.\n\n$')

    # ---- counters, sessions, frontends ----------------------------------------------------------
    def test_clear_counters(self):
        self.start()
        self.picks(4)
        self.assertEqual(stat_rows(self.admin('show stat'))[('be', 'BACKEND')]['stot'], '4')
        self.assertEqual(text(self.sock['operator'], 'clear counters'), '\n')
        rows = stat_rows(self.admin('show stat'))
        self.assertEqual(rows[('be', 'BACKEND')]['stot'], '4')   # only the maxima
        self.assertEqual(self.admin('clear counters all'), '\n')
        rows = stat_rows(self.admin('show stat'))
        self.assertEqual(rows[('be', 'BACKEND')]['stot'], '0')
        self.assertEqual(rows[('be', 's1')]['stot'], '0')

    def test_shutdown_sessions_server(self):
        self.start(server_opts=('', ''))
        self.admin('disable server be/s2')
        c = Client(self.fe.port)
        self.addCleanup(c.close)
        c.send(b'GET /delay/2000 HTTP/1.1\r\nhost: x\r\n\r\n')
        self.assertTrue(wait_until(lambda: len(self.s1.requests) == 1, 3))
        self.assertIn(' srv=s1 ', self.admin('show sess'))
        self.assertEqual(self.admin('shutdown sessions server be/s1'), '\n')
        self.assertTrue(wait_until(lambda: ' srv=s1 ' not in self.admin('show sess'), 2))
        # the answer the origin sends at 2 s never reaches the client (haproxy keeps the client
        # connection open without a reply; closing it is fine too)
        try:
            data = c.read_until_close(timeout=3.0)
        except Timeout:
            data = bytes(c.buf)
        self.assertNotIn(b'200 OK', data)

    def test_shutdown_frontend(self):
        self.start()
        with Client(self.fe2.port) as c:
            self.assertEqual(c.request('GET', '/').header('x-origin'), 's3')
        self.assertEqual(self.admin('shutdown frontend fe2'), '\n')

        def refused():
            try:
                socket.create_connection(('127.0.0.1', self.fe2.port), timeout=0.5).close()
                return False
            except OSError:
                return True
        self.assertTrue(wait_until(refused, 3))
        self.assertEqual(self.admin('shutdown frontend fe2'), 'Frontend was already shut down.\n\n')
        with Client(self.fe.port) as c:   # the other frontend still serves
            self.assertEqual(c.request('GET', '/').status, 200)


if __name__ == '__main__':
    unittest.main()
