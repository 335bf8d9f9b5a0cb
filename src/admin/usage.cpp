#include "usage.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>

namespace portero::admin {
namespace {

constexpr size_t kMaxSuggestions = 5;
constexpr int kEdge = 28;   // word boundary (and any character that is not a letter or a digit)

// Letters are 1..26, digits 27, everything else 28: typos keep most letter pairs intact.
int symbol(char c) {
  if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  if (c >= 'a' && c <= 'z') return c - 'a' + 1;
  if (c >= '0' && c <= '9') return 27;
  return kEdge;
}

using Fingerprint = std::array<uint8_t, 32 * 32>;

void add_word(Fingerprint& fp, std::string_view w) {
  int from = kEdge;
  for (char c : w) {
    const int to = symbol(c);
    ++fp[size_t(32 * from + to)];
    from = to;
  }
  ++fp[size_t(32 * from + kEdge)];
}

// How many leading words of `u` equal those of `args`.
size_t common_prefix(const Usage& u, const std::vector<std::string>& args) {
  size_t n = 0;
  while (n < u.words.size() && n < args.size() && u.words[n] == args[n]) ++n;
  return n;
}

bool starts_with(const Usage& u, const std::vector<std::string>& args, size_t len) {
  if (u.words.size() < len) return false;
  for (size_t i = 0; i < len; ++i)
    if (u.words[i] != args[i]) return false;
  return true;
}

}  // namespace

int fingerprint_distance(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b) {
  Fingerprint fa{}, fb{};
  for (auto w : a) add_word(fa, w);
  for (auto w : b) add_word(fb, w);
  int d = 0;
  for (size_t i = 0; i < fa.size(); ++i) d += std::abs(int(fa[i]) - int(fb[i]));
  return d;
}

std::string usage_line(const Usage& u) {
  char left[64];
  std::snprintf(left, sizeof(left), "  %-40.*s: ", int(u.syntax.size()), u.syntax.data());
  std::string s = left;
  s.append(u.description);
  s += '\n';
  return s;
}

std::string usage_message(const std::vector<Usage>& table, const std::vector<std::string>& args, bool help) {
  size_t length = 0;   // the most leading words any command shares with the request
  for (const auto& u : table)
    if (!u.trailer) length = std::max(length, common_prefix(u, args));

  std::string out;
  if (help) out = "The following commands are valid at this level:\n";
  else if (length == 0 && (args.empty() || args[0].empty()))
    out = "Unknown command. Please enter one of the following commands only:\n";
  else out = "Unknown command, but maybe one of the following ones is a better match:\n";

  std::vector<const Usage*> shown;
  if (length < args.size() && !args[length].empty()) {
    // A word differs: rank the commands sharing the matched words by how close their next
    // words are to the typed ones, keep the best few and drop those far behind the best.
    const std::vector<std::string_view> typed(args.begin() + long(length), args.end());
    std::vector<std::pair<int, const Usage*>> ranked;
    for (const auto& u : table) {
      if (u.trailer || !starts_with(u, args, length)) continue;
      const std::vector<std::string_view> rest(u.words.begin() + long(length), u.words.end());
      ranked.emplace_back(fingerprint_distance(typed, rest), &u);
    }
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    if (ranked.size() > kMaxSuggestions) ranked.resize(kMaxSuggestions);
    const int limit = ranked.empty() ? 0 : 2 * ranked.front().first + 4;
    for (const auto& u : table)
      for (const auto& [d, r] : ranked)
        if (r == &u && d <= limit) shown.push_back(&u);
  } else {
    for (const auto& u : table)
      if (!u.trailer && starts_with(u, args, length)) shown.push_back(&u);
  }
  for (const Usage* u : shown) out += usage_line(*u);
  for (const auto& u : table)
    if (u.trailer) out += usage_line(u);
  return out;
}

}  // namespace portero::admin
