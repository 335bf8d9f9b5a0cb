#pragma once
// The command lists of `help` and of the "Unknown command" replies. As HAProxy 2.6 does, the
// list is not filtered by the session's level; commands are matched on their leading words,
// and a mistyped word is compared with the candidates by a letter-pair fingerprint so that the
// closest few are suggested. Pure logic.
#include <string>
#include <string_view>
#include <vector>

namespace portero::admin {

struct Usage {
  std::vector<std::string_view> words;   // the words that select the command ("show", "stat")
  std::string_view syntax;               // left column: "show stat [desc|json|no-maint|typed|up]*"
  std::string_view description;          // right column
  bool trailer = false;                  // help, prompt, quit: always listed last, never matched
};

// One help line: "  %-40s: %s\n".
std::string usage_line(const Usage& u);

// `help [words...]` (help = true, `args` without the "help" word) or the reply to a command
// no keyword matches (`args` as typed). `table` is in help order (sorted by syntax).
std::string usage_message(const std::vector<Usage>& table, const std::vector<std::string>& args, bool help);

// Distance between the letter-pair fingerprints of two word lists (0: same pairs).
int fingerprint_distance(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b);

}  // namespace portero::admin
