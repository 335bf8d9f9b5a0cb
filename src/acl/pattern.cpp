// Matching methods. Strings are compared in place (case-folded on the fly for -i); exact string
// sets are binary-searched; dir/dom look for the pattern as a whole component between
// delimiters, as HAProxy documents.
#include "pattern.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace portero::acl {
namespace {

int compare(std::string_view a, std::string_view b, bool icase) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = icase ? lower_c(a[i]) : a[i];
    const unsigned char y = icase ? lower_c(b[i]) : b[i];
    if (x != y) return x < y ? -1 : 1;
  }
  return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
}

bool equal(std::string_view a, std::string_view b, bool icase) { return a.size() == b.size() && compare(a, b, icase) == 0; }

size_t find(std::string_view hay, std::string_view needle, bool icase, size_t from = 0) {
  if (needle.empty()) return from <= hay.size() ? from : std::string_view::npos;
  if (needle.size() > hay.size()) return std::string_view::npos;
  for (size_t i = from; i + needle.size() <= hay.size(); ++i)
    if (equal(hay.substr(i, needle.size()), needle, icase)) return i;
  return std::string_view::npos;
}

// `pattern` stripped of delimiters at both ends must appear in `s` as a whole: preceded by the
// start or a delimiter, followed by the end or a delimiter.
bool match_word(std::string_view s, std::string_view pattern, bool icase, std::string_view delims) {
  auto is_delim = [&](char c) { return delims.find(c) != std::string_view::npos; };
  while (!pattern.empty() && is_delim(pattern.front())) pattern.remove_prefix(1);
  while (!pattern.empty() && is_delim(pattern.back())) pattern.remove_suffix(1);
  if (pattern.empty()) return false;
  size_t pos = 0;
  while ((pos = find(s, pattern, icase, pos)) != std::string_view::npos) {
    const bool left = pos == 0 || is_delim(s[pos - 1]);
    const size_t end = pos + pattern.size();
    const bool right = end == s.size() || is_delim(s[end]);
    if (left && right) return true;
    ++pos;
  }
  return false;
}

bool parse_int(std::string_view s, int64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// "major[.minor]" as (major << 16) + minor.
bool parse_dotted(std::string_view s, int64_t& out) {
  const size_t dot = s.find('.');
  int64_t major = 0, minor = 0;
  if (!parse_int(s.substr(0, dot), major) || major < 0) return false;
  if (dot != std::string_view::npos && (!parse_int(s.substr(dot + 1), minor) || minor < 0)) return false;
  out = (major << 16) + (minor & 0xffff);
  return true;
}

bool parse_ip_pattern(const std::string& text, IpPattern& out) {
  std::string addr = text, mask;
  const size_t slash = text.find('/');
  if (slash != std::string::npos) {
    addr = text.substr(0, slash);
    mask = text.substr(slash + 1);
  }
  std::memset(&out, 0, sizeof(out));
  if (inet_pton(AF_INET, addr.c_str(), out.addr) == 1) {
    out.v6 = false;
    int bits = 32;
    if (!mask.empty()) {
      int64_t b;
      if (parse_int(mask, b)) {
        if (b < 0 || b > 32) return false;
        bits = static_cast<int>(b);
      } else {
        uint8_t m[4];
        if (inet_pton(AF_INET, mask.c_str(), m) != 1) return false;
        const uint32_t v = (uint32_t(m[0]) << 24) | (uint32_t(m[1]) << 16) | (uint32_t(m[2]) << 8) | m[3];
        bits = 0;
        while (bits < 32 && (v & (0x80000000u >> bits))) ++bits;
        if (bits < 32 && (v << bits) != 0) return false;  // not contiguous
      }
    }
    out.prefix = bits;
  } else if (inet_pton(AF_INET6, addr.c_str(), out.addr) == 1) {
    out.v6 = true;
    int bits = 128;
    if (!mask.empty()) {
      int64_t b;
      if (!parse_int(mask, b) || b < 0 || b > 128) return false;
      bits = static_cast<int>(b);
    }
    out.prefix = bits;
  } else {
    return false;
  }
  const int len = out.v6 ? 16 : 4;
  for (int i = 0; i < len; ++i) {
    const int b = out.prefix - 8 * i;
    out.mask[i] = b >= 8 ? 0xff : b <= 0 ? 0 : uint8_t(0xff << (8 - b));
    out.addr[i] &= out.mask[i];
  }
  return true;
}

const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool ip_match(const IpPattern& p, const Sample& s) {
  const uint8_t* a = s.ip;
  uint8_t tmp[16];
  if (!p.v6) {
    if (s.type == SmpType::ipv6) {
      if (std::memcmp(s.ip, kMapped, 12) != 0) return false;
      a = s.ip + 12;
    }
    for (int i = 0; i < 4; ++i)
      if ((a[i] & p.mask[i]) != p.addr[i]) return false;
    return true;
  }
  if (s.type == SmpType::ipv4) {
    std::memcpy(tmp, kMapped, 12);
    std::memcpy(tmp + 12, s.ip, 4);
    a = tmp;
  }
  for (int i = 0; i < 16; ++i)
    if ((a[i] & p.mask[i]) != p.addr[i]) return false;
  return true;
}

bool in_range(const std::vector<IntRange>& v, int64_t x, size_t* which) {
  for (size_t i = 0; i < v.size(); ++i)
    if (x >= v[i].lo && x <= v[i].hi) {
      if (which) *which = i;
      return true;
    }
  return false;
}

}  // namespace

bool match_kind_from_name(std::string_view n, MatchKind& out) {
  static const std::pair<std::string_view, MatchKind> kNames[] = {
      {"str", MatchKind::str},   {"beg", MatchKind::beg},     {"end", MatchKind::end},
      {"sub", MatchKind::sub},   {"reg", MatchKind::reg},     {"dir", MatchKind::dir},
      {"dom", MatchKind::dom},   {"len", MatchKind::len},     {"found", MatchKind::found},
      {"int", MatchKind::integer}, {"ip", MatchKind::ip},     {"bool", MatchKind::boolean},
      {"bin", MatchKind::str}};
  for (const auto& [name, k] : kNames)
    if (n == name) {
      out = k;
      return true;
    }
  return false;
}

bool PatternSet::add(const std::string& text, const std::string& op, std::string& err) {
  switch (kind) {
    case MatchKind::str:
    case MatchKind::beg:
    case MatchKind::end:
    case MatchKind::sub:
    case MatchKind::dir:
    case MatchKind::dom:
    case MatchKind::auth_group:
      strs_.push_back(text);
      break;
    case MatchKind::reg: {
      auto r = Regex::compile(text, icase, err);
      if (!r) return false;
      regs_.push_back(std::move(r));
      break;
    }
    case MatchKind::integer:
    case MatchKind::len: {
      IntRange r{INT64_MIN, INT64_MAX};
      auto parse_int = [this](std::string_view v, int64_t& out) {
        return dotted ? parse_dotted(v, out) : acl::parse_int(v, out);
      };
      const size_t colon = text.find(':');
      if (colon != std::string::npos) {
        std::string_view lo = std::string_view(text).substr(0, colon), hi = std::string_view(text).substr(colon + 1);
        if ((!lo.empty() && !parse_int(lo, r.lo)) || (!hi.empty() && !parse_int(hi, r.hi)) || (lo.empty() && hi.empty())) {
          err = "'" + text + (dotted ? "' is not a valid dotted number range" : "' is not a valid number range");
          return false;
        }
      } else {
        int64_t v;
        if (!parse_int(text, v)) {
          // After an operator HAProxy still accepts another operator in its place.
          err = "'" + text + (dotted ? "' is not a dotted number"
                              : op.empty() ? "' is not a number"
                                           : "' is neither a number nor a supported operator");
          return false;
        }
        if (op.empty() || op == "eq") r = {v, v};
        else if (op == "ge") r.lo = v;
        else if (op == "gt") r.lo = v + 1;
        else if (op == "le") r.hi = v;
        else if (op == "lt") r.hi = v - 1;
      }
      ints_.push_back(r);
      break;
    }
    case MatchKind::ip: {
      IpPattern p;
      if (!parse_ip_pattern(text, p)) {
        err = "'" + text + "' is not a valid IPv4 or IPv6 address";
        return false;
      }
      ips_.push_back(p);
      break;
    }
    case MatchKind::found:
    case MatchKind::boolean:
      // HAProxy accepts and ignores values given to these methods.
      break;
  }
  ++count_;
  return true;
}

void PatternSet::finish() {
  if (kind != MatchKind::str) return;
  sorted_.resize(strs_.size());
  for (size_t i = 0; i < sorted_.size(); ++i) sorted_[i] = i;
  const bool ic = icase;
  // Stable: among equal patterns the first written stays first (maps return its value).
  std::stable_sort(sorted_.begin(), sorted_.end(),
                   [&](size_t a, size_t b) { return compare(strs_[a], strs_[b], ic) < 0; });
}

bool PatternSet::match_str(std::string_view s, size_t* which) const {
  switch (kind) {
    case MatchKind::str: {
      auto it = std::lower_bound(sorted_.begin(), sorted_.end(), s,
                                 [&](size_t i, std::string_view v) { return compare(strs_[i], v, icase) < 0; });
      if (it == sorted_.end() || compare(strs_[*it], s, icase) != 0) return false;
      if (which) *which = *it;
      return true;
    }
    case MatchKind::beg: {
      // Longest matching prefix wins (HAProxy indexes prefixes in a tree): it matters for maps.
      bool found = false;
      size_t best = 0;
      for (size_t i = 0; i < strs_.size(); ++i) {
        const auto& p = strs_[i];
        if (p.size() <= s.size() && equal(s.substr(0, p.size()), p, icase) && (!found || p.size() > strs_[best].size())) {
          found = true;
          best = i;
        }
      }
      if (found && which) *which = best;
      return found;
    }
    default:
      break;
  }
  for (size_t i = 0; i < strs_.size(); ++i) {
    const std::string& p = strs_[i];
    bool ok = false;
    switch (kind) {
      case MatchKind::end: ok = p.size() <= s.size() && equal(s.substr(s.size() - p.size()), p, icase); break;
      case MatchKind::sub: ok = find(s, p, icase) != std::string_view::npos; break;
      case MatchKind::dir: ok = match_word(s, p, icase, "/?"); break;
      case MatchKind::dom: ok = match_word(s, p, icase, "/?.:"); break;
      default: break;
    }
    if (ok) {
      if (which) *which = i;
      return true;
    }
  }
  return false;
}

bool PatternSet::match(Sample& smp, Scratch& scratch, size_t* which) const {
  switch (kind) {
    case MatchKind::found:
      return true;
    case MatchKind::boolean:
      return cast_to_int(smp) && smp.i != 0;
    case MatchKind::integer:
      return cast_to_int(smp) && in_range(ints_, smp.i, which);
    case MatchKind::len:
      return cast_to_str(smp, scratch) && in_range(ints_, static_cast<int64_t>(smp.s.size()), which);
    case MatchKind::ip: {
      if (!cast_to_ip(smp)) return false;
      // Longest prefix first (maps): patterns are few, a scan keeps it simple.
      int best = -1;
      for (size_t i = 0; i < ips_.size(); ++i)
        if (ip_match(ips_[i], smp) && (best < 0 || ips_[i].prefix > ips_[static_cast<size_t>(best)].prefix))
          best = static_cast<int>(i);
      if (best >= 0 && which) *which = static_cast<size_t>(best);
      return best >= 0;
    }
    case MatchKind::reg:
      if (!cast_to_str(smp, scratch)) return false;
      for (size_t i = 0; i < regs_.size(); ++i)
        if (regs_[i]->match(smp.s)) {
          if (which) *which = i;
          return true;
        }
      return false;
    case MatchKind::auth_group:
      return false;  // handled by the ACL expression (needs the userlist)
    default:
      if (!cast_to_str(smp, scratch)) return false;
      return match_str(smp.s, which);
  }
}

const std::vector<std::string>& PatternSet::strings() const { return strs_; }

}  // namespace portero::acl
