// Fetches that read the raw bytes a client sent in mode tcp (`tcp-request inspect-delay`):
// req.payload and the TLS ClientHello fields that SNI routing uses (req.ssl_sni,
// req.ssl_alpn, req.ssl_hello_type, req.ssl_ver). A value that needs bytes not received yet is absent with may_change,
// so content rules wait for them until the inspect delay ends.
#include <algorithm>
#include <cstdint>

#include "sample.h"

namespace portero::acl {
namespace {

uint32_t be16(std::string_view d, size_t at) {
  return (uint32_t(uint8_t(d[at])) << 8) | uint8_t(d[at + 1]);
}
uint32_t be24(std::string_view d, size_t at) { return (uint32_t(uint8_t(d[at])) << 16) | be16(d, at + 1); }

bool too_short(const SampleContext& c, Sample& o) {
  o.may_change = !c.final;
  return false;
}

// req.payload(offset,length): `length` bytes from `offset`; length 0: everything from offset.
bool f_payload(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  const int64_t off = f.args[0].i, len = f.args[1].i;
  if (off < 0 || len < 0) return false;
  const std::string_view d = c.payload;
  if (d.size() < size_t(off) + size_t(len) || (len == 0 && d.size() <= size_t(off))) return too_short(c, o);
  o.type = SmpType::bin;
  o.s = len ? d.substr(size_t(off), size_t(len)) : d.substr(size_t(off));
  o.may_change = len == 0 && !c.final;   // more bytes may still come after
  return true;
}

// The first TLS record's handshake message type (1: ClientHello), once the whole message is in.
bool f_ssl_hello_type(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) {
  const std::string_view d = c.payload;
  if (d.empty()) return too_short(c, o);
  const uint8_t content = uint8_t(d[0]);
  if (content < 0x14 || content > 0x17) return false;   // not a TLS record
  if (d.size() < 9) return too_short(c, o);
  if (uint8_t(d[1]) < 3 || be16(d, 3) < 4) return false;   // SSLv3 and later; room for a header
  if (d.size() < 9 + size_t(be24(d, 6))) return too_short(c, o);
  o.type = SmpType::sint;
  o.i = uint8_t(d[5]);
  return true;
}

// req.ssl_ver: the protocol version the client's hello asks for, as (major << 16) + minor
// (TLS 1.2 is 3.3 = 196611): the ClientHello's client_version (not the record's) for an
// SSLv3/TLS record, the hello's version for an SSLv2-format hello. Once the whole first
// record (or SSLv2 message) is in.
bool f_ssl_ver(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) {
  std::string_view d = c.payload;
  if (d.empty()) return too_short(c, o);
  const uint8_t first = uint8_t(d[0]);
  int64_t version;
  size_t need;   // bytes of the message after what was consumed
  if ((first >= 0x14 && first <= 0x17) || first == 0xff) {
    if (d.size() < 11) return too_short(c, o);
    version = (int64_t(uint8_t(d[1])) << 16) + uint8_t(d[2]);
    const size_t record = be16(d, 3);
    if (version < 0x30000 || record < 6 || record > (1u << 14) + 2048) return false;
    d.remove_prefix(5);
    version = (int64_t(uint8_t(d[4])) << 16) + uint8_t(d[5]);
    need = record;
  } else {
    size_t rlen, pad = 0;
    if (first & 0x80) {   // SSLv2 short header: 15-bit length
      if (d.size() < 3) return too_short(c, o);
      rlen = ((first & 0x7f) << 8) | uint8_t(d[1]);
      d.remove_prefix(2);
    } else {              // long header: 14-bit length and padding
      if (d.size() < 4) return too_short(c, o);
      rlen = ((first & 0x3f) << 8) | uint8_t(d[1]);
      pad = uint8_t(d[2]);
      d.remove_prefix(3);
    }
    if (uint8_t(d[0]) != 1) return false;   // CLIENT-HELLO
    d.remove_prefix(1);
    if (d.size() < 8) return too_short(c, o);
    version = (int64_t(uint8_t(d[0])) << 16) + uint8_t(d[1]);
    const size_t ciphers = be16(d, 2), session = be16(d, 4), challenge = be16(d, 6);
    d.remove_prefix(8);
    if (ciphers % 3 || (session && session != 16) || challenge < 16 || challenge > 32 ||
        rlen != 9 + ciphers + session + challenge)
      return false;
    need = ciphers + session + challenge + pad;
  }
  if (d.size() < need) return too_short(c, o);
  o.type = SmpType::sint;
  o.i = version;
  return true;
}

// Finds extension `type` of the ClientHello that starts the payload (one whole record): its
// body in `ext`. 1: found; 0: absent, or not a ClientHello; -1: more bytes are needed.
int hello_extension(std::string_view d, uint32_t type, std::string_view& ext) {
  if (d.size() < 5) return d.empty() || uint8_t(d[0]) == 0x16 ? -1 : 0;
  if (uint8_t(d[0]) != 0x16 || uint8_t(d[1]) < 3) return 0;
  const size_t record = be16(d, 3);
  if (d.size() < 5 + record) return -1;
  std::string_view hs = d.substr(5, record);
  if (hs.size() < 4 || uint8_t(hs[0]) != 1) return 0;   // not a ClientHello
  const size_t hello_len = be24(hs, 1);
  if (hs.size() < 4 + hello_len) return 0;   // a hello split over records: not handled
  std::string_view h = hs.substr(4, hello_len);
  size_t p = 2 + 32;   // client version, random
  auto skip = [&](size_t len_bytes) {
    if (p + len_bytes > h.size()) return false;
    const size_t n = len_bytes == 1 ? uint8_t(h[p]) : be16(h, p);
    p += len_bytes + n;
    return p <= h.size();
  };
  if (!skip(1) || !skip(2) || !skip(1)) return 0;   // session id, cipher suites, compression
  if (p + 2 > h.size()) return 0;                    // no extensions
  const size_t ext_end = std::min(h.size(), p + 2 + be16(h, p));
  p += 2;
  while (p + 4 <= ext_end) {
    const uint32_t t = be16(h, p), len = be16(h, p + 2);
    p += 4;
    if (p + len > ext_end) return 0;
    if (t == type) {
      ext = h.substr(p, len);
      return 1;
    }
    p += len;
  }
  return 0;
}

// req.ssl_sni: the server_name extension's first host_name entry (RFC 6066).
bool f_ssl_sni(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) {
  std::string_view list;
  const int r = hello_extension(c.payload, 0, list);
  if (r < 0) return too_short(c, o);
  if (r == 0 || list.size() < 2) return false;
  size_t q = 2;   // list length, then (name type, length, name)...
  const size_t list_end = std::min(list.size(), 2 + size_t(be16(list, 0)));
  while (q + 3 <= list_end) {
    const uint8_t name_type = uint8_t(list[q]);
    const size_t name_len = be16(list, q + 1);
    q += 3;
    if (q + name_len > list_end) return false;
    if (name_type == 0) {
      o.type = SmpType::str;
      o.s = list.substr(q, name_len);
      return true;
    }
    q += name_len;
  }
  return false;
}

// req.ssl_alpn: the protocols of the ALPN extension (RFC 7301), the first as a sample; an ACL
// sees each one (`{ req.ssl_alpn -m str http/1.1 }` matches "h2,http/1.1"), as haproxy.
bool f_ssl_alpn(const FetchCall&, const SampleContext& c, bool iterate, FetchState& st, Sample& o) {
  std::string_view list;
  const int r = hello_extension(c.payload, 16, list);
  if (r < 0) return too_short(c, o);
  if (r == 0 || list.size() < 2) return false;
  const size_t end = std::min(list.size(), 2 + size_t(be16(list, 0)));
  size_t q = st.started ? st.a : 2;
  st.started = true;
  if (q + 1 > end) return false;
  const size_t n = uint8_t(list[q]);
  if (n == 0 || q + 1 + n > end) return false;
  o.type = SmpType::str;
  o.s = list.substr(q + 1, n);
  st.a = uint32_t(q + 1 + n);
  st.more = iterate && st.a < end;
  return true;
}

using A = ArgType;
const FetchDef kPayloadFetches[] = {
    {"req.payload", f_payload, SmpType::bin, {A::sint, A::sint}, 2, false},
    {"req.ssl_hello_type", f_ssl_hello_type, SmpType::sint, {}, 0, false},
    {"req_ssl_hello_type", f_ssl_hello_type, SmpType::sint, {}, 0, false},
    {"req.ssl_sni", f_ssl_sni, SmpType::str, {}, 0, false},
    {"req.ssl_alpn", f_ssl_alpn, SmpType::str, {}, 0, false},
    {"req_ssl_sni", f_ssl_sni, SmpType::str, {}, 0, false},
    {"req.ssl_ver", f_ssl_ver, SmpType::sint, {}, 0, false},
    {"req_ssl_ver", f_ssl_ver, SmpType::sint, {}, 0, false},
};

}  // namespace

const FetchDef* find_payload_fetch(std::string_view name) {
  for (const auto& f : kPayloadFetches)
    if (name == f.name) return &f;
  return nullptr;
}

}  // namespace portero::acl
