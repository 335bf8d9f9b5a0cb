// Converters of HAProxy 2.6 beyond the everyday ones: hashes (sha1, sha2, digest, crc32,
// crc32c, djb2, sdbm), URL coding (url_dec, url_enc), trimming (ltrim, rtrim, cut_crlf),
// integers (cpl, even, odd, htonl, hex2i), time formatting (ltime, utime), iif, bytes,
// ub64enc/ub64dec, port_only/host_only. Output goes to the evaluation's Scratch.
#include <arpa/inet.h>
#include <openssl/evp.h>

#include <cstring>
#include <ctime>

#include "auth.h"
#include "sample.h"

namespace portero::acl {
namespace {

using A = ArgType;

bool set_str(Sample& smp, char* data, size_t n) {
  smp.type = SmpType::str;
  smp.s = {data, n};
  return true;
}

bool set_bin(Sample& smp, char* data, size_t n) {
  smp.type = SmpType::bin;
  smp.s = {data, n};
  return true;
}

bool set_int(Sample& smp, int64_t v) {
  smp.type = SmpType::sint;
  smp.i = v;
  return true;
}

bool md(const EVP_MD* m, Sample& smp, Scratch& sc) {
  if (!m || !cast_to_str(smp, sc)) return false;
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  if (!EVP_Digest(smp.s.data(), smp.s.size(), out, &n, m, nullptr)) return false;
  char* b = sc.take();
  std::memcpy(b, out, n);
  return set_bin(smp, b, n);
}

bool c_sha1(const ConvCall&, Sample& smp, Scratch& sc) { return md(EVP_sha1(), smp, sc); }

bool c_sha2(const ConvCall& c, Sample& smp, Scratch& sc) {
  const int64_t bits = c.args.empty() ? 256 : c.args[0].i;
  const EVP_MD* m = bits == 224 ? EVP_sha224() : bits == 384 ? EVP_sha384() : bits == 512 ? EVP_sha512() : EVP_sha256();
  return md(m, smp, sc);
}

const char* check_sha2(const std::vector<Arg>& a) {
  if (!a.empty() && a[0].i != 224 && a[0].i != 256 && a[0].i != 384 && a[0].i != 512)
    return "Unsupported number of bits";
  return nullptr;
}

bool c_digest(const ConvCall& c, Sample& smp, Scratch& sc) { return md(EVP_get_digestbyname(c.args[0].s.c_str()), smp, sc); }

const char* check_digest(const std::vector<Arg>& a) {
  if (a.empty() || !EVP_get_digestbyname(a[0].s.c_str())) return "unknown digest";
  return nullptr;
}

// HAProxy's avalanche step (Bob Jenkins' 32-bit full avalanche, then a large prime).
uint32_t avalanche(uint32_t a) {
  a = (a + 0x7ed55d16) + (a << 12);
  a = (a ^ 0xc761c23c) ^ (a >> 19);
  a = (a + 0x165667b1) + (a << 5);
  a = (a + 0xd3a2646c) ^ (a << 9);
  a = (a + 0xfd7046c5) + (a << 3);
  a = (a ^ 0xb55a4f09) ^ (a >> 16);
  return a * 3221225473u;   // spread over the 32-bit space
}

uint32_t crc32_of(std::string_view s, uint32_t poly) {
  uint32_t c = 0xffffffffu;
  for (unsigned char ch : s) {
    c ^= ch;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (poly & (0u - (c & 1)));
  }
  return ~c;
}

uint32_t djb2_of(std::string_view s) {
  uint32_t h = 5381;
  for (unsigned char ch : s) h = (h << 5) + h + ch;
  return h;
}

uint32_t sdbm_of(std::string_view s) {
  uint32_t h = 0;
  for (unsigned char ch : s) h = ch + (h << 6) + (h << 16) - h;
  return h;
}

template <int Kind>
bool c_hash32(const ConvCall& c, Sample& smp, Scratch& sc) {
  if (!cast_to_str(smp, sc)) return false;
  uint32_t h = 0;
  switch (Kind) {
    case 0: h = crc32_of(smp.s, 0xedb88320u); break;
    case 1: h = crc32_of(smp.s, 0x82f63b78u); break;
    case 2: h = djb2_of(smp.s); break;
    case 3: h = sdbm_of(smp.s); break;
  }
  if (!c.args.empty() && c.args[0].i) h = avalanche(h);
  return set_int(smp, int64_t(h));
}

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// url_dec([<in_form>]): %XX decoded; '+' becomes a space when in_form is true (HAProxy 2.6:
// only then, as its default is not to decode '+').
bool c_url_dec(const ConvCall& c, Sample& smp, Scratch& sc) {
  if (!cast_to_str(smp, sc)) return false;
  const bool form = !c.args.empty() && c.args[0].i;
  char* out = sc.take();
  size_t n = 0;
  for (size_t i = 0; i < smp.s.size() && n < Scratch::kSize; ++i) {
    char ch = smp.s[i];
    if (ch == '%') {
      if (i + 2 >= smp.s.size() + 0 || hexval(smp.s[i + 1]) < 0 || hexval(smp.s[i + 2]) < 0) return false;
      ch = char(hexval(smp.s[i + 1]) * 16 + hexval(smp.s[i + 2]));
      i += 2;
    } else if (ch == '+' && form) {
      ch = ' ';
    }
    out[n++] = ch;
  }
  return set_str(smp, out, n);
}

// url_enc([query]): every byte outside RFC 3986's unreserved set as %XX.
bool c_url_enc(const ConvCall&, Sample& smp, Scratch& sc) {
  if (!cast_to_str(smp, sc)) return false;
  static const char* d = "0123456789ABCDEF";
  char* out = sc.take();
  size_t n = 0;
  for (unsigned char ch : smp.s) {
    const bool keep = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                      ch == '-' || ch == '.' || ch == '_' || ch == '~';
    if (n + 3 > Scratch::kSize) return false;
    if (keep) {
      out[n++] = char(ch);
    } else {
      out[n++] = '%';
      out[n++] = d[ch >> 4];
      out[n++] = d[ch & 15];
    }
  }
  return set_str(smp, out, n);
}

const char* check_url_enc(const std::vector<Arg>& a) {
  if (!a.empty() && a[0].s != "query") return "Unexpected encoding type";
  return nullptr;
}

template <bool Left>
bool c_trim(const ConvCall& c, Sample& smp, Scratch& sc) {
  if (!cast_to_str(smp, sc)) return false;
  std::string_view s = smp.s;
  const std::string& set = c.args[0].s;
  if (Left)
    while (!s.empty() && set.find(s.front()) != std::string::npos) s.remove_prefix(1);
  else
    while (!s.empty() && set.find(s.back()) != std::string::npos) s.remove_suffix(1);
  smp.s = s;
  return true;
}

bool c_cut_crlf(const ConvCall&, Sample& smp, Scratch& sc) {
  if (!cast_to_str(smp, sc)) return false;
  const size_t at = smp.s.find_first_of("\r\n");
  if (at != std::string_view::npos) smp.s = smp.s.substr(0, at);
  return true;
}

template <char Op>
bool c_int1(const ConvCall&, Sample& smp, Scratch&) {
  if (!cast_to_int(smp)) return false;
  switch (Op) {
    case '~': return set_int(smp, ~smp.i);
    case 'e': smp.type = SmpType::boolean, smp.i = !(smp.i & 1); return true;
    case 'o': smp.type = SmpType::boolean, smp.i = smp.i & 1; return true;
    case 'h': {
      // Binary: the 32-bit value in network order.
      static thread_local char b[4];
      const uint32_t v = htonl(uint32_t(smp.i));
      std::memcpy(b, &v, 4);
      return set_bin(smp, b, 4);
    }
  }
  return false;
}

bool c_hex2i(const ConvCall&, Sample& smp, Scratch& sc) {
  if (!cast_to_str(smp, sc)) return false;
  int64_t v = 0;
  bool neg = false;
  size_t i = 0;
  if (!smp.s.empty() && smp.s[0] == '-') neg = true, ++i;
  for (; i < smp.s.size(); ++i) {
    const int d = hexval(smp.s[i]);
    if (d < 0) return false;
    v = v * 16 + d;
  }
  return set_int(smp, neg ? -v : v);
}

// iif(<true>,<false>): a boolean chooses one of two strings.
bool c_iif(const ConvCall& c, Sample& smp, Scratch&) {
  if (smp.type != SmpType::boolean && !cast_to_int(smp)) return false;
  const bool t = smp.i != 0;
  smp.type = SmpType::str;
  smp.s = t ? c.args[0].s : c.args[1].s;
  return true;
}

// ltime/utime(<format>[,<offset>]): a date in seconds formatted by strftime.
template <bool Local>
bool c_time(const ConvCall& c, Sample& smp, Scratch& sc) {
  if (!cast_to_int(smp)) return false;
  time_t t = time_t(smp.i + (c.args.size() > 1 ? c.args[1].i : 0));
  tm parts{};
  if (Local ? !localtime_r(&t, &parts) : !gmtime_r(&t, &parts)) return false;
  char* out = sc.take();
  const size_t n = strftime(out, Scratch::kSize, c.args[0].s.c_str(), &parts);
  return set_str(smp, out, n);
}

// bytes(<offset>[,<length>]): a slice of the input.
bool c_bytes(const ConvCall& c, Sample& smp, Scratch& sc) {
  if (smp.type != SmpType::bin && !cast_to_str(smp, sc)) return false;
  const int64_t off = c.args[0].i;
  if (off < 0 || size_t(off) >= smp.s.size()) return false;
  std::string_view s = smp.s.substr(size_t(off));
  if (c.args.size() > 1 && c.args[1].i > 0) s = s.substr(0, size_t(c.args[1].i));
  smp.s = s;
  return true;
}

bool c_ub64enc(const ConvCall&, Sample& smp, Scratch& sc) {
  if (!cast_to_str(smp, sc)) return false;
  char* out = sc.take();
  int n = base64_encode(smp.s, out, Scratch::kSize);
  if (n < 0) return false;
  for (int i = 0; i < n; ++i) out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
  while (n > 0 && out[n - 1] == '=') --n;
  return set_str(smp, out, size_t(n));
}

bool c_ub64dec(const ConvCall&, Sample& smp, Scratch& sc) {
  if (!cast_to_str(smp, sc)) return false;
  if (smp.s.size() + 3 > Scratch::kSize) return false;
  char* in = sc.take();
  size_t n = 0;
  for (char ch : smp.s) in[n++] = ch == '-' ? '+' : ch == '_' ? '/' : ch;
  while (n % 4) in[n++] = '=';
  char* out = sc.take();
  const int m = base64_decode({in, n}, out, Scratch::kSize);
  if (m < 0) return false;
  return set_bin(smp, out, size_t(m));
}

// host_only / port_only: the parts of a Host value ("h:p", "[v6]:p").
template <bool Host>
bool c_host_port(const ConvCall&, Sample& smp, Scratch& sc) {
  if (!cast_to_str(smp, sc)) return false;
  std::string_view s = smp.s;
  size_t colon = std::string_view::npos;
  if (!s.empty() && s[0] == '[') {
    const size_t end = s.find(']');
    if (end != std::string_view::npos && end + 1 < s.size() && s[end + 1] == ':') colon = end + 1;
  } else {
    colon = s.rfind(':');
  }
  if (Host) {
    if (colon != std::string_view::npos) smp.s = s.substr(0, colon);
    return true;
  }
  if (colon == std::string_view::npos) return set_int(smp, 0);   // no port: 0, as HAProxy
  int64_t v = 0;
  for (char ch : s.substr(colon + 1)) {
    if (ch < '0' || ch > '9') return false;
    v = v * 10 + (ch - '0');
  }
  return set_int(smp, v);
}

const ConvDef kConvs[] = {
    {"sha1", c_sha1, {}, 0},
    {"sha2", c_sha2, {A::sint}, 0, check_sha2},
    {"digest", c_digest, {A::str}, 1, check_digest},
    {"crc32", c_hash32<0>, {A::sint}, 0},
    {"crc32c", c_hash32<1>, {A::sint}, 0},
    {"djb2", c_hash32<2>, {A::sint}, 0},
    {"sdbm", c_hash32<3>, {A::sint}, 0},
    {"url_dec", c_url_dec, {A::sint}, 0},
    {"url_enc", c_url_enc, {A::str}, 0, check_url_enc},
    {"ltrim", c_trim<true>, {A::str}, 1},
    {"rtrim", c_trim<false>, {A::str}, 1},
    {"cut_crlf", c_cut_crlf, {}, 0},
    {"cpl", c_int1<'~'>, {}, 0},
    {"even", c_int1<'e'>, {}, 0},
    {"odd", c_int1<'o'>, {}, 0},
    {"htonl", c_int1<'h'>, {}, 0},
    {"hex2i", c_hex2i, {}, 0},
    {"iif", c_iif, {A::str, A::str}, 2},
    {"ltime", c_time<true>, {A::str, A::sint}, 1},
    {"utime", c_time<false>, {A::str, A::sint}, 1},
    {"bytes", c_bytes, {A::sint, A::sint}, 1},
    {"ub64enc", c_ub64enc, {}, 0},
    {"ub64dec", c_ub64dec, {}, 0},
    {"host_only", c_host_port<true>, {}, 0},
    {"port_only", c_host_port<false>, {}, 0},
};

}  // namespace

const ConvDef* find_misc_conv(std::string_view name) {
  for (const auto& c : kConvs)
    if (name == c.name) return &c;
  return nullptr;
}

}  // namespace portero::acl
