#pragma once
// Pattern sets and matching methods (-m str|beg|end|sub|reg|dir|dom|len|found|int|ip|bool),
// with their flags (-i). A PatternSet is built at compile() time and only read afterwards.
#include <memory>
#include <string>
#include <vector>

#include "regex.h"
#include "sample.h"

namespace portero::acl {

enum class MatchKind : uint8_t { str, beg, end, sub, reg, dir, dom, len, found, integer, ip, boolean, auth_group };

// The name -m takes ("str", "int"...), or nullopt.
bool match_kind_from_name(std::string_view n, MatchKind& out);

struct IntRange {
  int64_t lo, hi;  // inclusive
};

struct IpPattern {
  bool v6;
  uint8_t addr[16];
  uint8_t mask[16];
  int prefix;     // bits, for longest-prefix selection in maps
};

class PatternSet {
 public:
  MatchKind kind = MatchKind::str;
  bool icase = false;
  // Integer patterns written as dotted versions ("3.1" is 3 << 16 | 1), as req.ssl_ver takes.
  bool dotted = false;

  // Adds one pattern as written. False with a message in err (HAProxy's wording).
  // `op` is the pending integer operator ("eq", "ge"...) for int/len patterns.
  bool add(const std::string& text, const std::string& op, std::string& err);
  size_t size() const { return count_; }

  // Does `smp` (already fetched) match? May cast the sample (hence non-const ref).
  // The index of the first matching pattern is stored in *which when given (maps).
  bool match(Sample& smp, Scratch& scratch, size_t* which = nullptr) const;

  const std::vector<std::string>& strings() const;
  // Called after the last add(): sorts string patterns for binary search.
  void finish();

 private:
  bool match_str(std::string_view s, size_t* which) const;
  std::vector<std::string> strs_;            // str/beg/end/sub/dir/dom/auth_group
  std::vector<size_t> sorted_;               // str: indexes of strs_ sorted (case per icase)
  std::vector<std::shared_ptr<const Regex>> regs_;
  std::vector<IntRange> ints_;               // int / len
  std::vector<IpPattern> ips_;
  size_t count_ = 0;
};

}  // namespace portero::acl
