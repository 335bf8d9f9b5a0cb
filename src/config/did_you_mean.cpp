#include "did_you_mean.h"

#include <algorithm>

namespace portero::config {

size_t edit_distance(std::string_view a, std::string_view b) {
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1));
  for (size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (size_t i = 1; i <= n; ++i)
    for (size_t j = 1; j <= m; ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[n][m];
}

std::optional<std::string> did_you_mean(std::string_view word,
                                        const std::vector<std::string_view>& candidates) {
  // A typo changes few characters relative to the length; short words get one edit at most,
  // so that e.g. "foo" does not suggest an unrelated three-letter keyword.
  const size_t limit = word.size() < 4 ? 1 : word.size() / 4 + 1;
  std::optional<std::string> best;
  size_t best_d = limit + 1;
  for (auto c : candidates) {
    const size_t dist = edit_distance(word, c);
    if (dist < best_d) {
      best_d = dist;
      best = std::string(c);
    }
  }
  return best;
}

}  // namespace portero::config
