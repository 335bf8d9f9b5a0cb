#pragma once
// The CLI's request syntax, as HAProxy 2.6 reads it: a request line ends at an unescaped '\n',
// holds commands separated by unescaped ';', and each command is words separated by spaces or
// tabs. A backslash escapes the next byte everywhere (even '\n', which then stays inside the
// line), and tokenize() turns "\x" into x ("\\" into one backslash). Pure functions.
#include <string>
#include <string_view>
#include <vector>

namespace portero::admin {

// Offset of the first unescaped '\n' in `buf`, or std::string_view::npos when the line is not
// complete yet.
size_t find_line_end(std::string_view buf);

// The commands of one request line (without its '\n'), split at unescaped ';'. Escapes are left
// in place for tokenize(). An empty line, or an empty piece between two ';', is one empty
// command (HAProxy answers it with the full command list).
std::vector<std::string_view> split_commands(std::string_view line);

// The words of one command, unescaped.
std::vector<std::string> tokenize(std::string_view command);

}  // namespace portero::admin
