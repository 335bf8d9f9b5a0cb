#pragma once
// `.if` conditions (COMPAT.md §8): `!`, `&&` (tighter), `||`, parentheses, integers and the
// predicates defined() feature() streq() strneq() version_atleast() version_before().
#include <functional>
#include <optional>
#include <string>

namespace portero::config {

// The version portero answers version_atleast()/version_before() for: the HAProxy release
// whose behaviour it reproduces.
inline constexpr const char* kCompatVersion = "2.6.12";

struct ConditionResult {
  bool value = false;
  std::string error;  // HAProxy's wording, including the caret lines; empty on success
};

// `text` is the condition (the .if words joined by spaces). `is_defined` answers defined().
ConditionResult eval_condition(const std::string& text, const std::string& directive,
                               const std::function<bool(const std::string&)>& is_defined);

// Compares dotted versions numerically ("2.6.12" vs "2.10"); <0, 0, >0.
int compare_versions(const std::string& a, const std::string& b);

}  // namespace portero::config
