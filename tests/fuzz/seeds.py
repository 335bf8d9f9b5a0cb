#!/usr/bin/env python3
"""Seeds for the fuzz targets taken from the project's own tests and configs, written into
<out>/<target>/ (scripts/fuzz runs this next to fuzz_seedgen): the byte strings and texts the
tests already use are the best starting points a fuzzer can get.

  requests and responses   bytes/str constants of tests/integration/*.py, C++ literals of
                           tests/unit/http/*.cpp                  -> fuzz_http_request/response
  config lines             conf/*.cfg, configs in tests/integration, lexer unit tests
                                                                  -> fuzz_config_lexer
  acl lines, %[...] exprs  the same configs, tests/unit/acl       -> fuzz_sample_acl
  log formats              log-format/unique-id-format lines, tests/unit/log -> fuzz_log_format
  admin commands           tests/integration/test_admin_socket.py, tests/unit/admin -> fuzz_admin
  RDP connection requests  as tests/integration/test_rdp.py builds them -> fuzz_rdp_cookie
"""
import ast
import warnings
import hashlib
import pathlib
import re
import struct
import sys

warnings.simplefilter("ignore")
root = pathlib.Path(__file__).resolve().parents[2]
out = pathlib.Path(sys.argv[1])
METHODS = (b'GET ', b'POST ', b'HEAD ', b'PUT ', b'DELETE ', b'OPTIONS ', b'PATCH ', b'CONNECT ', b'TRACE ')
ADMIN = ('show ', 'set ', 'get ', 'enable ', 'disable ', 'clear ', 'shutdown ', 'add ', 'del ', 'new ',
         'commit ', 'abort ', 'prompt', 'help', 'quit', 'operator', 'user')


def put(target, data):
    if isinstance(data, str):
        data = data.encode('utf-8', 'surrogateescape')
    if not data or len(data) > 16384:
        return
    d = out / target
    d.mkdir(parents=True, exist_ok=True)
    (d / ('t-' + hashlib.sha1(data).hexdigest()[:16])).write_bytes(data)


def py_constants(path):
    """Every bytes/str constant of a Python file, with adjacent + concatenations folded."""
    try:
        tree = ast.parse(path.read_text())
    except (SyntaxError, UnicodeDecodeError):
        return []
    found = []

    def fold(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, (bytes, str)):
            return node.value
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            a, b = fold(node.left), fold(node.right)
            if a is not None and b is not None and type(a) is type(b):
                return a + b
            return a if a is not None else b
        return None

    for node in ast.walk(tree):
        v = fold(node)
        if v is not None:
            found.append(v)
    return found


def cpp_literals(path):
    """String literals of a C++ file (adjacent ones joined, raw strings included)."""
    text = path.read_text(errors='replace')
    lits = []
    for m in re.finditer(r'R"\((.*?)\)"|((?:"(?:[^"\\\n]|\\.)*"\s*)+)', text, re.S):
        if m.group(1) is not None:
            lits.append(m.group(1))
            continue
        parts = re.findall(r'"((?:[^"\\\n]|\\.)*)"', m.group(2))
        s = ''.join(parts)
        try:
            s = s.encode('latin-1', 'backslashreplace').decode('unicode_escape')
        except UnicodeDecodeError:
            pass
        lits.append(s)
    return lits


def config_texts():
    texts = [p.read_text(errors='replace') for p in sorted((root / 'conf').glob('*.cfg'))]
    for p in sorted((root / 'tests/integration').rglob('*.py')):
        texts += [c for c in py_constants(p) if isinstance(c, str) and '\n' in c and re.search(r'^\s*(bind|server|mode|acl|http-)', c, re.M)]
    return texts


def main():
    # HTTP messages.
    sources = [c for p in sorted((root / 'tests/integration').rglob('*.py')) for c in py_constants(p)]
    for p in sorted((root / 'tests/unit/http').glob('*.cpp')):
        sources += cpp_literals(p)
    for c in sources:
        b = c.encode('latin-1', 'replace') if isinstance(c, str) else c
        if b.startswith(METHODS) and b' HTTP/1.' in b:
            put('fuzz_http_request', b)
        elif b.startswith(b'HTTP/1.'):
            for ctl in (b'\x00', b'\x01', b'\x02'):
                put('fuzz_http_response', ctl + b)

    # Config lines, ACL lines, expressions, log formats.
    lines = set()
    for t in config_texts():
        lines.update(l for l in t.splitlines() if l.strip())
    for p in sorted((root / 'tests/unit/config').glob('*.cpp')):
        for s in cpp_literals(p):
            lines.update(l for l in s.splitlines() if l.strip())
    for l in sorted(lines):
        put('fuzz_config_lexer', l)
        m = re.match(r'\s*acl\s+\S+\s+(.*)', l)
        if m:
            fetch = m.group(1).split()[0] if m.group(1).split() else 'src'
            put('fuzz_sample_acl', fetch + '\n' + m.group(1))
        m = re.match(r'\s*(log-format|unique-id-format|log-format-sd)\s+(.*)', l)
        if m:
            put('fuzz_log_format', m.group(2))
        for e in re.findall(r'%\[([^\]]+)\]', l):
            put('fuzz_sample_acl', e)
    for p in sorted((root / 'tests/unit/acl').glob('*.cpp')) + sorted((root / 'tests/unit/log').glob('*.cpp')):
        for s in cpp_literals(p):
            for e in re.findall(r'%\[([^\]]+)\]', s):
                put('fuzz_sample_acl', e)
            if '%' in s and 'unit' in str(p) and '/log/' in str(p):
                put('fuzz_log_format', s.replace('\n', ' '))

    # Admin commands: every command line the tests send, at level admin, whole and in pieces.
    cmds = set()
    for p in [root / 'tests/integration/test_admin_socket.py', root / 'tests/integration/test_tls_admin.py']:
        if p.exists():
            cmds.update(c for c in py_constants(p) if isinstance(c, str) and c.startswith(ADMIN))
    for p in sorted((root / 'tests/unit/admin').glob('*.cpp')):
        cmds.update(s for s in cpp_literals(p) if s.startswith(ADMIN))
    for c in sorted(cmds):
        line = c if c.endswith('\n') else c + '\n'
        put('fuzz_admin', b'\x80' + line.encode())
        put('fuzz_admin', b'\xa3' + line.encode())

    # RDP connection requests, as test_rdp.py builds them.
    neg = b'\x01\x00\x08\x00\x03\x00\x00\x00'
    for cookie in (b'Cookie: mstshash=alice\r\n', b'Cookie: msts=16777226.15629.0000\r\n',
                   b'Cookie: msts=335653056.15885.0000\r\n', b'Cookie: mstshash=\r\n', b'', b'Cookie: x\r\n'):
        for n in (neg, b''):
            tpdu = b'\x0e\xe0\x00\x00\x00\x00\x00' + cookie + n
            tpdu = bytes([len(tpdu) - 1]) + tpdu[1:]
            put('fuzz_rdp_cookie', b'\x03\x00' + struct.pack('>H', 4 + len(tpdu)) + tpdu)


main()
