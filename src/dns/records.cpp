// DNS reply parsing: header, question(s) skipped, answer and additional records. Names may be
// compressed (RFC 1035 4.1.4); a pointer must point backwards, which also bounds the loops.
#include "portero/dns/records.h"

#include <sys/socket.h>

#include <cctype>
#include <cstring>

namespace portero::dns {
namespace {

struct Cursor {
  const uint8_t* data;
  size_t len;
  size_t pos = 0;
  bool ok = true;

  bool need(size_t n) {
    if (!ok || len - pos < n) ok = false;
    return ok;
  }
  uint16_t u16() {
    if (!need(2)) return 0;
    const uint16_t v = uint16_t(data[pos] << 8 | data[pos + 1]);
    pos += 2;
    return v;
  }
  uint32_t u32() {
    const uint32_t hi = u16();
    return hi << 16 | u16();
  }
};

constexpr size_t kMaxName = 255;

// Reads the name at `at` (following pointers) into `out`; returns the position after the
// name where it was written, or 0 when malformed.
size_t read_name(const uint8_t* data, size_t len, size_t at, std::string& out) {
  out.clear();
  size_t end = 0;   // where the name written at `at` ends (set at the first pointer)
  size_t pos = at;
  for (;;) {
    if (pos >= len) return 0;
    const uint8_t n = data[pos];
    if ((n & 0xC0) == 0xC0) {
      if (pos + 1 >= len) return 0;
      const size_t target = size_t(n & 0x3F) << 8 | data[pos + 1];
      if (!end) end = pos + 2;
      if (target >= pos) return 0;   // only backwards: no loop
      pos = target;
      continue;
    }
    if (n & 0xC0) return 0;   // the 0x40/0x80 label types are not used
    ++pos;
    if (n == 0) break;
    if (pos + n > len) return 0;
    if (!out.empty()) out += '.';
    for (size_t i = 0; i < n; ++i) out += char(std::tolower(data[pos + i]));
    if (out.size() > kMaxName) return 0;
    pos += n;
  }
  return end ? end : pos;
}

bool read_records(Cursor& c, uint16_t count, std::vector<Record>* keep) {
  for (uint16_t i = 0; i < count; ++i) {
    Record r;
    const size_t after = read_name(c.data, c.len, c.pos, r.name);
    if (!after) return false;
    c.pos = after;
    r.type = c.u16();
    const uint16_t klass = c.u16();
    r.ttl = c.u32();
    const uint16_t rdlen = c.u16();
    if (!c.need(rdlen)) return false;
    const size_t rdata = c.pos;
    c.pos += rdlen;
    if (klass != 1 || !keep) continue;   // IN only
    if (r.type == kTypeA) {
      if (rdlen != 4) return false;
      r.family = AF_INET;
      std::memcpy(r.addr, c.data + rdata, 4);
    } else if (r.type == kTypeAaaa) {
      if (rdlen != 16) return false;
      r.family = AF_INET6;
      std::memcpy(r.addr, c.data + rdata, 16);
    } else if (r.type == kTypeSrv) {
      if (rdlen < 7) return false;
      Cursor s{c.data, rdata + rdlen, rdata};
      r.priority = s.u16();
      r.weight = s.u16();
      r.port = s.u16();
      const size_t end = read_name(c.data, rdata + rdlen, s.pos, r.target);
      if (!end || end != rdata + rdlen) return false;
    } else if (r.type == kTypeCname) {
      const size_t end = read_name(c.data, rdata + rdlen, rdata, r.target);
      if (!end || end != rdata + rdlen) return false;
    } else {
      continue;
    }
    keep->push_back(std::move(r));
  }
  return c.ok;
}

}  // namespace

bool parse_reply(const uint8_t* data, size_t len, Reply& out) {
  out = Reply{};
  Cursor c{data, len};
  out.id = c.u16();
  const uint16_t flags = c.u16();
  const uint16_t qd = c.u16(), an = c.u16(), ns = c.u16(), ar = c.u16();
  if (!c.ok || !(flags & 0x8000)) return false;   // not a response
  out.rcode = flags & 0x0F;
  out.truncated = flags & 0x0200;
  std::string name;
  for (uint16_t i = 0; i < qd; ++i) {
    const size_t after = read_name(data, len, c.pos, name);
    if (!after) return false;
    c.pos = after;
    c.u16();
    c.u16();
    if (!c.ok) return false;
  }
  return read_records(c, an, &out.answers) && read_records(c, ns, nullptr) && read_records(c, ar, &out.additional);
}

}  // namespace portero::dns
