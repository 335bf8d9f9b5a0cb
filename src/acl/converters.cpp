// Converters and sample casts. A converter reads its input sample and writes any new bytes
// into the evaluation's Scratch (never the heap); maps are loaded once at compile() time.
#include <cstdint>
#include <arpa/inet.h>

#include <charconv>
#include <cstdio>
#include <fstream>

#include "auth.h"
#include "maps.h"
#include "pattern.h"
#include "sample.h"

namespace portero::acl {

bool parse_ip(std::string_view text, Sample& smp) {
  char buf[64];
  if (text.size() >= sizeof(buf)) return false;
  if (text.size()) std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  if (inet_pton(AF_INET, buf, smp.ip) == 1) {
    smp.type = SmpType::ipv4;
    return true;
  }
  if (inet_pton(AF_INET6, buf, smp.ip) == 1) {
    smp.type = SmpType::ipv6;
    return true;
  }
  return false;
}

bool cast_to_str(Sample& smp, Scratch& scratch) {
  switch (smp.type) {
    case SmpType::str:
      return true;
    case SmpType::bin:
      smp.type = SmpType::str;
      return true;
    default: {
      char* out = scratch.take();
      const int n = write_sample(smp, out, Scratch::kSize);
      if (n < 0) return false;
      smp.type = SmpType::str;
      smp.s = {out, static_cast<size_t>(n)};
      return true;
    }
  }
}

bool cast_to_int(Sample& smp) {
  switch (smp.type) {
    case SmpType::boolean:
    case SmpType::sint:
      smp.type = SmpType::sint;
      return true;
    case SmpType::str:
    case SmpType::bin: {
      // Leading optional sign and digits; the rest is ignored. Empty is not a number.
      std::string_view s = smp.s;
      if (s.empty()) return false;
      int64_t v = 0;
      bool neg = false;
      size_t i = 0;
      if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        ++i;
      }
      for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) v = v * 10 + (s[i] - '0');
      smp.type = SmpType::sint;
      smp.i = neg ? -v : v;
      return true;
    }
    case SmpType::ipv4:
      smp.type = SmpType::sint;
      smp.i = (int64_t(smp.ip[0]) << 24) | (int64_t(smp.ip[1]) << 16) | (int64_t(smp.ip[2]) << 8) | smp.ip[3];
      return true;
    case SmpType::ipv6:
      return false;
  }
  return false;
}

bool cast_to_ip(Sample& smp) {
  if (smp.type == SmpType::ipv4 || smp.type == SmpType::ipv6) return true;
  if (smp.type == SmpType::sint) {
    const uint32_t v = static_cast<uint32_t>(smp.i);
    smp.ip[0] = uint8_t(v >> 24), smp.ip[1] = uint8_t(v >> 16), smp.ip[2] = uint8_t(v >> 8), smp.ip[3] = uint8_t(v);
    smp.type = SmpType::ipv4;
    return true;
  }
  if (smp.type != SmpType::str && smp.type != SmpType::bin) return false;
  return parse_ip(smp.s, smp);
}

int write_sample(const Sample& smp, char* out, size_t cap) {
  switch (smp.type) {
    case SmpType::str:
    case SmpType::bin:
      if (smp.s.size() > cap) return -1;
      if (!smp.s.empty()) std::memcpy(out, smp.s.data(), smp.s.size());
      return static_cast<int>(smp.s.size());
    case SmpType::boolean:
    case SmpType::sint: {
      auto [p, ec] = std::to_chars(out, out + cap, smp.i);
      return ec == std::errc() ? static_cast<int>(p - out) : -1;
    }
    case SmpType::ipv4:
    case SmpType::ipv6: {
      char buf[INET6_ADDRSTRLEN];
      if (!inet_ntop(smp.type == SmpType::ipv4 ? AF_INET : AF_INET6, smp.ip, buf, sizeof(buf))) return -1;
      const size_t n = std::strlen(buf);
      if (n > cap) return -1;
      std::memcpy(out, buf, n);
      return static_cast<int>(n);
    }
  }
  return -1;
}

namespace {

bool set_str(Sample& smp, char* data, size_t n) {
  smp.type = SmpType::str;
  smp.s = {data, n};
  return true;
}

bool c_lower(const ConvCall&, Sample& smp, Scratch& sc) {
  if (!cast_to_str(smp, sc)) return false;
  if (smp.s.size() > Scratch::kSize) return false;
  char* out = sc.take();
  for (size_t i = 0; i < smp.s.size(); ++i) out[i] = lower_c(smp.s[i]);
  return set_str(smp, out, smp.s.size());
}

bool c_upper(const ConvCall&, Sample& smp, Scratch& sc) {
  if (!cast_to_str(smp, sc)) return false;
  if (smp.s.size() > Scratch::kSize) return false;
  char* out = sc.take();
  for (size_t i = 0; i < smp.s.size(); ++i) {
    const char c = smp.s[i];
    out[i] = (c >= 'a' && c <= 'z') ? char(c - 32) : c;
  }
  return set_str(smp, out, smp.s.size());
}

bool c_length(const ConvCall&, Sample& smp, Scratch& sc) {
  if (!cast_to_str(smp, sc)) return false;
  smp.type = SmpType::sint;
  smp.i = static_cast<int64_t>(smp.s.size());
  return true;
}

// Integer arithmetic: add, sub, mul, div, mod, neg, and, or, xor (argument: an integer, or a
// variable whose value SampleExpr::convert puts in the scratch).
// Division or modulo by zero give HAProxy's results (the largest value / 0).
template <char Op>
bool c_arith(const ConvCall& c, Sample& smp, Scratch& scratch) {
  if (!cast_to_int(smp)) return false;
  const int64_t a = smp.i;
  const int64_t b = c.args.empty() ? 0 : c.args[0].var ? scratch.var_arg : c.args[0].i;
  switch (Op) {
    case '+': smp.i = a + b; break;
    case '-': smp.i = a - b; break;
    case '*': smp.i = a * b; break;
    case '/': smp.i = b ? a / b : INT64_MAX; break;
    case '%': smp.i = b ? a % b : 0; break;
    case 'n': smp.i = -a; break;
    case '&': smp.i = a & b; break;
    case '|': smp.i = a | b; break;
    case '^': smp.i = a ^ b; break;
  }
  smp.type = SmpType::sint;
  return true;
}

bool c_hex(const ConvCall&, Sample& smp, Scratch& sc) {
  static const char* d = "0123456789ABCDEF";
  if (smp.type == SmpType::sint || smp.type == SmpType::boolean) {
    // An integer is shown as its 64-bit two's complement, 16 digits (as HAProxy).
    char* out = sc.take();
    const uint64_t v = static_cast<uint64_t>(smp.i);
    for (int k = 0; k < 16; ++k) out[k] = d[(v >> (60 - 4 * k)) & 15];
    return set_str(smp, out, 16);
  }
  if (!cast_to_str(smp, sc)) return false;
  if (smp.s.size() * 2 > Scratch::kSize) return false;
  char* out = sc.take();
  for (size_t i = 0; i < smp.s.size(); ++i) {
    out[2 * i] = d[uint8_t(smp.s[i]) >> 4];
    out[2 * i + 1] = d[uint8_t(smp.s[i]) & 15];
  }
  return set_str(smp, out, smp.s.size() * 2);
}

bool c_base64(const ConvCall&, Sample& smp, Scratch& sc) {
  if (!cast_to_str(smp, sc)) return false;
  char* out = sc.take();
  const int n = base64_encode(smp.s, out, Scratch::kSize);
  if (n < 0) return false;
  return set_str(smp, out, static_cast<size_t>(n));
}

bool c_b64dec(const ConvCall&, Sample& smp, Scratch& sc) {
  if (!cast_to_str(smp, sc)) return false;
  char* out = sc.take();
  const int n = base64_decode(smp.s, out, Scratch::kSize);
  if (n < 0) return false;
  set_str(smp, out, static_cast<size_t>(n));
  smp.type = SmpType::bin;
  return true;
}

bool c_bool(const ConvCall&, Sample& smp, Scratch&) {
  if (!cast_to_int(smp)) return false;
  smp.type = SmpType::boolean;
  smp.i = smp.i != 0;
  return true;
}

bool c_not(const ConvCall&, Sample& smp, Scratch&) {
  if (!cast_to_int(smp)) return false;
  smp.type = SmpType::boolean;
  smp.i = smp.i == 0;
  return true;
}

// field(idx,delims[,count]) / word(...): 1-based, negative from the end. `word` skips empty
// fields (runs of delimiters count as one).
bool split_pick(const ConvCall& c, Sample& smp, Scratch& sc, bool words) {
  if (!cast_to_str(smp, sc)) return false;
  const int64_t idx = c.args[0].i;
  const std::string& delims = c.args[1].s;
  const int64_t count = c.args.size() > 2 ? c.args[2].i : 1;
  std::string_view s = smp.s;
  auto is_delim = [&](char ch) { return delims.find(ch) != std::string::npos; };
  // Collect field boundaries on the fly: walk forward for idx > 0, backward for idx < 0.
  size_t start = 0, end = s.size();
  if (idx > 0) {
    int64_t n = 0;
    size_t i = 0;
    bool found = false;
    while (i <= s.size()) {
      if (words)
        while (i < s.size() && is_delim(s[i])) ++i;
      if (words && i == s.size()) break;
      size_t j = i;
      while (j < s.size() && !is_delim(s[j])) ++j;
      if (++n == idx) {
        start = i;
        // extend over count - 1 more fields
        size_t e = j;
        for (int64_t k = 1; k < count && e < s.size(); ++k) {
          size_t x = e + 1;
          if (words)
            while (x < s.size() && is_delim(s[x])) ++x;
          size_t y = x;
          while (y < s.size() && !is_delim(s[y])) ++y;
          e = y;
        }
        end = count == 0 ? s.size() : e;
        found = true;
        break;
      }
      i = j + 1;
    }
    if (!found) {
      smp.type = SmpType::str;  // HAProxy gives an empty string, not an absent sample
      smp.s = {};
      return true;
    }
  } else {
    int64_t n = 0;
    size_t j = s.size();  // exclusive end of the current field
    bool found = false;
    while (true) {
      if (words)
        while (j > 0 && is_delim(s[j - 1])) --j;
      if (words && j == 0) break;
      size_t i = j;
      while (i > 0 && !is_delim(s[i - 1])) --i;
      if (--n == idx) {
        end = j;
        size_t b = i;
        for (int64_t k = 1; k < count && b > 0; ++k) {
          size_t x = b - 1;  // on the delimiter
          if (words)
            while (x > 0 && is_delim(s[x - 1])) --x;
          size_t y = x;
          while (y > 0 && !is_delim(s[y - 1])) --y;
          b = y;
        }
        start = count == 0 ? 0 : b;
        found = true;
        break;
      }
      if (i == 0) break;
      j = i - 1;
    }
    if (!found) {
      smp.type = SmpType::str;  // HAProxy gives an empty string, not an absent sample
      smp.s = {};
      return true;
    }
  }
  smp.type = SmpType::str;
  smp.s = s.substr(start, end - start);
  return true;
}
bool c_field(const ConvCall& c, Sample& smp, Scratch& sc) { return split_pick(c, smp, sc, false); }
bool c_word(const ConvCall& c, Sample& smp, Scratch& sc) { return split_pick(c, smp, sc, true); }

// ipmask(mask4[,mask6]): args were parsed into prefix lengths (c.args[i].i).
bool c_ipmask(const ConvCall& c, Sample& smp, Scratch&) {
  if (!cast_to_ip(smp)) return false;
  if (smp.type == SmpType::ipv6) {
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(smp.ip, mapped, 12) == 0) {
      std::memmove(smp.ip, smp.ip + 12, 4);
      smp.type = SmpType::ipv4;
    } else if (c.args.size() < 2) {
      return false;
    }
  }
  const int bits = static_cast<int>(smp.type == SmpType::ipv4 ? c.args[0].i : c.args[1].i);
  const int len = smp.type == SmpType::ipv4 ? 4 : 16;
  for (int i = 0; i < len; ++i) {
    const int b = bits - 8 * i;
    smp.ip[i] &= b >= 8 ? 0xff : b <= 0 ? 0 : uint8_t(0xff << (8 - b));
  }
  return true;
}

// regsub(regex,subst[,flags]): replaces the first (or every, with "g") match; \0..\9 in subst
// refer to groups.
bool c_regsub(const ConvCall& c, Sample& smp, Scratch& sc) {
  if (!cast_to_str(smp, sc)) return false;
  const bool global = c.flags & 1;
  const std::string& subst = c.args[1].s;
  std::string_view s = smp.s;
  char* out = sc.take();
  size_t n = 0, pos = 0;
  auto put = [&](std::string_view v) {
    if (n + v.size() > Scratch::kSize) return false;
    if (v.size()) std::memcpy(out + n, v.data(), v.size());
    n += v.size();
    return true;
  };
  size_t ov[20];
  while (pos <= s.size()) {
    const int groups = c.regex->match_at(s, pos, ov, 10);
    if (groups <= 0) break;
    if (!put(s.substr(pos, ov[0] - pos))) return false;
    for (size_t i = 0; i < subst.size(); ++i) {
      if (subst[i] == '\\' && i + 1 < subst.size() && subst[i + 1] >= '0' && subst[i + 1] <= '9') {
        const int g = subst[++i] - '0';
        if (g < groups && ov[2 * g] != static_cast<size_t>(-1))
          if (!put(s.substr(ov[2 * g], ov[2 * g + 1] - ov[2 * g]))) return false;
      } else if (!put(std::string_view(&subst[i], 1))) {
        return false;
      }
    }
    if (ov[1] == ov[0]) {  // empty match: copy one char and move on
      if (ov[1] < s.size() && !put(s.substr(ov[1], 1))) return false;
      pos = ov[1] + 1;
    } else {
      pos = ov[1];
    }
    if (!global) break;
  }
  if (pos < s.size() && !put(s.substr(pos))) return false;
  return set_str(smp, out, n);
}

// json([ascii|utf8|utf8s|utf8p|utf8ps]): escapes for a JSON string. ascii (default) escapes
// every byte >= 0x80 as \u00XX; utf8 escapes the code point of each valid sequence (fails on
// an invalid one, "s" skips it instead).
bool c_json(const ConvCall& c, Sample& smp, Scratch& sc) {
  if (!cast_to_str(smp, sc)) return false;
  const int mode = c.flags;  // 0 ascii, 1 utf8, 2 utf8s
  std::string_view s = smp.s;
  char* out = sc.take();
  size_t n = 0;
  auto put = [&](const char* p, size_t len) {
    if (n + len > Scratch::kSize) return false;
    std::memcpy(out + n, p, len);
    n += len;
    return true;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char ch = s[i];
    char esc[16];
    if (ch == '"' || ch == '\\' || ch == '/') {
      esc[0] = '\\', esc[1] = char(ch);
      if (!put(esc, 2)) return false;
    } else if (ch == '\b' || ch == '\f' || ch == '\n' || ch == '\r' || ch == '\t') {
      esc[0] = '\\';
      esc[1] = ch == '\b' ? 'b' : ch == '\f' ? 'f' : ch == '\n' ? 'n' : ch == '\r' ? 'r' : 't';
      if (!put(esc, 2)) return false;
    } else if (ch < 0x20 || (ch >= 0x80 && mode == 0)) {
      std::snprintf(esc, sizeof(esc), "\\u%04x", ch);
      if (!put(esc, 6)) return false;
    } else if (ch >= 0x80) {
      // Length of a valid UTF-8 sequence starting here, or 0.
      size_t len = ch >= 0xf0 && ch < 0xf8 ? 4 : ch >= 0xe0 ? 3 : ch >= 0xc2 && ch < 0xe0 ? 2 : 0;
      if (len && i + len <= s.size()) {
        for (size_t k = 1; k < len; ++k)
          if ((uint8_t(s[i + k]) & 0xc0) != 0x80) len = 0;
      } else {
        len = 0;
      }
      if (!len) {
        if (mode == 1) return false;
        continue;  // utf8s: skip the bad byte
      }
      // Escaped as the code point it encodes.
      uint32_t cp = len == 2 ? ch & 0x1f : len == 3 ? ch & 0x0f : ch & 0x07;
      for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (uint8_t(s[i + k]) & 0x3f);
      const int w = std::snprintf(esc, sizeof(esc), "\\u%04x", cp);
      if (w < 0 || !put(esc, static_cast<size_t>(w))) return false;
      i += len - 1;
    } else if (!put(reinterpret_cast<const char*>(&ch), 1)) {
      return false;
    }
  }
  return set_str(smp, out, n);
}

bool c_map(const ConvCall& c, Sample& smp, Scratch& sc) {
  const MapData& m = *c.map;
  size_t which = 0;
  if (m.keys.match(smp, sc, &which)) {
    const std::string& v = m.values[which];
    if (m.int_output) {
      smp.type = SmpType::sint;
      smp.i = m.int_values[which];
    } else {
      smp.type = SmpType::str;
      smp.s = v;
    }
    return true;
  }
  if (!m.has_default) return false;
  if (m.int_output) {
    smp.type = SmpType::sint;
    smp.i = m.int_default;
  } else {
    smp.type = SmpType::str;
    smp.s = m.default_value;
  }
  return true;
}

using A = ArgType;
const ConvDef kConvs[] = {
    {"lower", c_lower, {}, 0},
    {"upper", c_upper, {}, 0},
    {"length", c_length, {}, 0},
    {"add", c_arith<'+'>, {A::sint_or_var}, 1},
    {"sub", c_arith<'-'>, {A::sint_or_var}, 1},
    {"mul", c_arith<'*'>, {A::sint_or_var}, 1},
    {"div", c_arith<'/'>, {A::sint_or_var}, 1},
    {"mod", c_arith<'%'>, {A::sint_or_var}, 1},
    {"neg", c_arith<'n'>, {}, 0},
    {"and", c_arith<'&'>, {A::sint_or_var}, 1},
    {"or", c_arith<'|'>, {A::sint_or_var}, 1},
    {"xor", c_arith<'^'>, {A::sint_or_var}, 1},
    {"hex", c_hex, {}, 0},
    {"base64", c_base64, {}, 0},
    {"b64dec", c_b64dec, {}, 0},
    {"bool", c_bool, {}, 0},
    {"not", c_not, {}, 0},
    {"field", c_field, {A::sint, A::str, A::sint}, 2},
    {"word", c_word, {A::sint, A::str, A::sint}, 2},
    {"ipmask", c_ipmask, {A::str, A::str}, 1},
    {"regsub", c_regsub, {A::str, A::str, A::str}, 2},
    {"json", c_json, {A::str}, 0},
    {"map", c_map, {A::str, A::str}, 1},
};

}  // namespace

const ConvDef* find_conv(std::string_view name) {
  for (const auto& c : kConvs)
    if (name == c.name) return &c;
  // map_<match>[_<out>] share one implementation.
  if (name.starts_with("map_")) return &kConvs[sizeof(kConvs) / sizeof(kConvs[0]) - 1];
  if (const ConvDef* c = find_stick_conv(name)) return c;
  return find_misc_conv(name);
}

}  // namespace portero::acl
