#pragma once
// "did you mean" suggestions for mistyped keywords.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portero::config {

// Optimal string alignment distance (Levenshtein + adjacent transposition).
size_t edit_distance(std::string_view a, std::string_view b);

// The closest candidate when it is close enough to be a plausible typo.
std::optional<std::string> did_you_mean(std::string_view word,
                                        const std::vector<std::string_view>& candidates);

}  // namespace portero::config
