"""Fetches and converters of HAProxy 2.6's long tail (issue 15 §1), differential: each value is
written into a header of an `http-request return` answer, compared byte for byte with haproxy.
The values that change from one request to the next (date, rand, uuid) are checked by form."""

import re
import time
import unittest

from harness.diff import DiffTestCase, Case, req

DETERMINISTIC = [
    ('sha1', 'str(abc),sha1,hex'),
    ('sha2', 'str(abc),sha2,hex'),
    ('sha2-512', 'str(abc),sha2(512),hex'),
    ('sha2-224', 'str(abc),sha2(224),hex'),
    ('digest', 'str(abc),digest(sha384),hex'),
    ('crc32', 'str(abc),crc32'),
    ('crc32-av', 'str(abc),crc32(1)'),
    ('crc32c', 'str(abc),crc32c'),
    ('djb2', 'str(abc),djb2'),
    ('djb2-av', 'str(abc),djb2(1)'),
    ('sdbm', 'str(abc),sdbm'),
    ('url-dec', 'req.hdr(x-enc),url_dec'),
    ('url-dec-form', 'req.hdr(x-enc),url_dec(1)'),
    ('url-enc', 'req.hdr(x-raw),url_enc'),
    ('url-enc-q', 'req.hdr(x-raw),url_enc(query)'),
    ('ltrim', 'str(xxaxx),ltrim(x)'),
    ('rtrim', 'str(xxaxx),rtrim(x)'),
    ('cpl', 'int(5),cpl'),
    ('even', 'int(5),even'),
    ('odd', 'int(5),odd'),
    ('htonl', 'int(1),htonl,hex'),
    ('hex2i', 'str(ff),hex2i'),
    ('iif-t', 'int(1),iif(yes,no)'),
    ('iif-f', 'int(0),bool,iif(yes,no)'),
    ('utime', 'int(1700000000),utime(%Y-%m-%d %H:%M:%S)'),
    ('utime-off', 'int(1700000000),utime(%H:%M,3600)'),
    ('bytes', 'str(abcdef),bytes(2,3)'),
    ('bytes-tail', 'str(abcdef),bytes(4)'),
    ('ub64enc', 'str(a?b>c),ub64enc'),
    ('ub64dec', 'str(YT9iPmM),ub64dec'),
    ('host-only', 'req.hdr(host),host_only'),
    ('port-only', 'req.hdr(host),port_only'),
    ('pathq', 'pathq'),
    ('nbproc', 'nbproc'),
    ('proc', 'proc'),
    ('env-home', 'env(HOME)'),
    ('env-unset', 'env(PORTERO_SURELY_UNSET_VAR)'),
    ('hostname', 'hostname'),
    ('first-req', 'http_first_req'),
    ('var-default', 'var(txn.nope,dflt)'),
    ('var-set', 'var(txn.set,dflt)'),
]

CFG = """
frontend fe
    bind <<fe>>
    http-request set-var(txn.set) str(value)
""" + ''.join(f'    http-request set-header x-{name} "%[{expr}]" if {{ path_beg /d }}\n' for name, expr in DETERMINISTIC) + """
    http-request return status 200 content-type text/plain string ok hdr x-date "%[date]" hdr x-date-ms "%[date(0,ms)]" hdr x-date-off "%[date(3600)]" hdr x-rand "%[rand(10)]" hdr x-rand32 "%[rand]" hdr x-uuid "%[uuid]" hdr x-uuid4 "%[uuid(4)]" if { path /v }
    default_backend b_default
"""


def varying_checks():
    def near(o, name, scale, offset=0):
        v = int(o.header(name))
        return abs(v - (time.time() + offset) * scale) < 5 * scale
    uuid = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$')
    return [
        ('date is now', lambda o: near(o, 'x-date', 1)),
        ('date in ms', lambda o: near(o, 'x-date-ms', 1000)),
        ('date offset', lambda o: near(o, 'x-date-off', 1, 3600)),
        ('rand(10) below 10', lambda o: 0 <= int(o.header('x-rand')) < 10),
        ('rand 32 bits', lambda o: 0 <= int(o.header('x-rand32')) < 1 << 32),
        ('uuid v4', lambda o: uuid.match(o.header('x-uuid')) is not None),
        ('uuid(4) v4', lambda o: uuid.match(o.header('x-uuid4')) is not None),
    ]


def compare_form(case, ours, ref):
    if case.name != 'varying':
        a, b = ours.key(), ref.key()
        return [f'{k}: {a[k]!r} vs haproxy {b[k]!r}' for k in a if a[k] != b[k]]
    return [] if ours.status == ref.status else [f'status {ours.status} vs {ref.status}']


class SamplesLongTailTest(DiffTestCase):
    def test_samples(self):
        self.differential(CFG, ['b_default'], [
            Case('deterministic', req('/d/x?a=1&b=%20', host='example.com:8080',
                                      headers=['x-enc: a%20b+c%2Fd', 'x-raw: a b/c?d=é~_.-'])
                 , 'b_default'),
            Case('no_port', req('/d', host='example.com', headers=['x-enc: %zz', 'x-raw: plain']), 'b_default'),
            Case('varying', req('/v'), 200, checks=varying_checks()),
        ], compare=compare_form)


if __name__ == '__main__':
    unittest.main()
