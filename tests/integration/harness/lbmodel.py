"""A Python model of HAProxy 2.6's hash-based server selection (../shared/COMPAT.md §1.3-1.9).

Used by the load-balancing tests to predict picks independently of any binary, so that the
tests can fail against haproxy too (and so that a mismatch names the culprit: the model, the
oracle or portero). Every function works on unsigned 32-bit integers.
"""

from math import gcd
from functools import reduce

M32 = 0xFFFFFFFF


def sdbm(data):
    h = 0
    for c in data:
        h = (c + (h << 6) + (h << 16) - h) & M32
    return h


def djb2(data):
    h = 5381
    for c in data:
        h = (h * 33 + c) & M32
    return h


def crc32(data):
    import zlib
    return zlib.crc32(bytes(data)) & M32


def _rotl(v, n):
    if n == 0:
        return v
    return ((v << n) | (v >> (32 - n))) & M32


def wt6(data):
    h0, h1, s0, s1 = 0xA53C965A, 0x5CA6953A, 6, 18
    for t in data:
        h0 = ~(h0 ^ t) & M32
        h1 = ~(h1 + t) & M32
        n0 = _rotl(h1, s0)
        h1 = _rotl(h0, s1)
        h0 = n0
        x = ((h0 >> 16) ^ h1) & 0xFFFF
        s0 = x & 31
        s1 = x >> 11
    return h0 ^ h1


def avalanche(a):
    a = ((a + 0x7ED55D16) + (a << 12)) & M32
    a = ((a ^ 0xC761C23C) ^ (a >> 19)) & M32
    a = ((a + 0x165667B1) + (a << 5)) & M32
    a = ((a + 0xD3A2646C) ^ (a << 9)) & M32
    a = ((a + 0xFD7046C5) + (a << 3)) & M32
    a = ((a ^ 0xB55A4F09) ^ (a >> 16)) & M32
    return (a * 3221225473) & M32


FUNCS = {'sdbm': sdbm, 'djb2': djb2, 'wt6': wt6, 'crc32': crc32}


class HashType:
    """`hash-type <lookup> [func [avalanche]]` as HAProxy reads it."""

    def __init__(self, spec='map-based'):
        words = spec.split()
        self.lookup = words[0] if words else 'map-based'
        self.func = words[1] if len(words) > 1 else 'sdbm'
        if len(words) > 2:
            self.avalanche = words[2] == 'avalanche'
        else:
            # consistent without an explicit function implies avalanche (COMPAT §1.2)
            self.avalanche = self.lookup == 'consistent' and len(words) == 1

    def hash_bytes(self, data):
        h = FUNCS[self.func](data)
        return avalanche(h) if self.avalanche else h

    def hash_int(self, h):
        return avalanche(h) if self.avalanche else h


class Srv:
    def __init__(self, name, weight=1, puid=None, disabled=False, backup=False):
        self.name, self.weight, self.puid = name, weight, puid
        self.disabled, self.backup = disabled, backup


class Backend:
    """Usable active servers (config order) + map table or consistent ring."""

    def __init__(self, servers, hash_type):
        self.ht = hash_type
        # puids in declaration order (no explicit ids in these tests)
        for i, s in enumerate(servers, 1):
            if s.puid is None:
                s.puid = i
        self.servers = servers
        nz = [s.weight for s in servers if s.weight]
        g = reduce(gcd, nz) if nz else 1
        self.group = [s for s in servers if not s.disabled and not s.backup and s.weight]
        self.tot_used = len(self.group)
        if self.ht.lookup == 'map-based':
            self.table = build_map([(s, -(-s.weight // g)) for s in self.group])
            self.rr_idx = 0
        else:
            pts = []
            for s in self.group:
                for i in range(s.weight * 16):
                    pts.append((avalanche(s.puid * 4096 + i), len(pts), s))
            pts.sort(key=lambda p: (p[0], p[1]))
            self.ring = pts

    def by_hash(self, h):
        if self.ht.lookup == 'map-based':
            return self.table[h % len(self.table)]
        return chash_lookup(self.ring, h)

    def round_robin(self):
        """Map-based fallback when the key is missing (map_get_server_rr)."""
        if self.rr_idx >= len(self.table):
            self.rr_idx = 0
        s = self.table[self.rr_idx]
        self.rr_idx += 1
        return s

    # ---- keys --------------------------------------------------------------------------
    def pick_bytes(self, key):
        """Hash a key (bytes or None=missing). Returns a Srv, or None for 'fallback'."""
        if key is None:
            return None
        if self.tot_used == 1:
            return self.by_hash(0)
        return self.by_hash(self.ht.hash_bytes(key))

    def pick_source(self, ip):
        if self.tot_used == 1:
            return self.by_hash(0)
        parts = [int(x) for x in ip.split('.')]
        h = (parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]
        return self.by_hash(self.ht.hash_int(h))


def build_map(group):
    """group: [(srv, eweight)] -> table (COMPAT §1.4)."""
    tot = sum(w for _, w in group)
    score = {id(s): 0 for s, _ in group}
    table = []
    for _ in range(tot):
        best, mx = None, 0
        for s, w in group:
            if tot == 1:
                best = s
                break
            score[id(s)] += w
            v = int((score[id(s)] + tot) / tot)
            if best is None or v > mx:
                best, mx = s, v
        table.append(best)
        score[id(best)] -= tot
    return table


def chash_lookup(ring, h):
    import bisect
    keys = [p[0] for p in ring]
    i = bisect.bisect_left(keys, h)
    nxt = ring[i] if i < len(ring) else ring[0]
    nidx = i if i < len(ring) else 0
    prv = ring[nidx - 1]  # wraps to the last point
    dp = (h - prv[0]) & M32
    dn = (nxt[0] - h) & M32
    return prv[2] if dp <= dn else nxt[2]


# ---- key extraction ----------------------------------------------------------------------

def uri_key(uri, len_=0, depth=0, whole=False, path_only=False):
    b = uri.encode('latin-1')
    if path_only:
        i = b.find(b'/')
        # absolute-form: skip scheme://authority
        if b[:1] != b'/' and b'://' in b:
            j = b.find(b'/', b.find(b'://') + 3)
            b = b[j:] if j >= 0 else b''
        elif i > 0:
            b = b[i:]
        elif i < 0:
            b = b''
    if len_:
        b = b[:len_]
    out = bytearray()
    slashes = 0
    for c in b:
        if c == ord('?') and not whole:
            break
        if c == ord('/'):
            slashes += 1
            if depth and slashes > depth:
                break
        out.append(c)
    return bytes(out)


def url_param_key(uri, name):
    q = uri.find('?')
    if q < 0:
        return None
    for part in uri[q + 1:].split('&'):
        if part.startswith(name + '='):
            return part[len(name) + 1:].encode('latin-1')
    return None


def domain_only(v):
    """hdr(...) use_domain_only key (get_server_hh in HAProxy 2.6)."""
    n = len(v)
    p, end, left, dohash = n, n, n, False
    while left:
        if dohash:
            if v[p - 1] == '.':
                break
        elif p < n and v[p] == '.':
            end, dohash = p, True
        p -= 1
        left -= 1
    return v[p:end]
