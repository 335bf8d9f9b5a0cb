#include "line.h"

namespace portero::admin {

size_t find_line_end(std::string_view buf) {
  for (size_t i = 0; i < buf.size(); ++i) {
    if (buf[i] == '\\') ++i;   // the escaped byte, whatever it is, belongs to the line
    else if (buf[i] == '\n') return i;
  }
  return std::string_view::npos;
}

std::vector<std::string_view> split_commands(std::string_view line) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\\') ++i;
    else if (line[i] == ';') {
      out.push_back(line.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(line.substr(start));
  return out;
}

std::vector<std::string> tokenize(std::string_view command) {
  std::vector<std::string> words;
  size_t i = 0;
  const size_t n = command.size();
  while (i < n) {
    while (i < n && (command[i] == ' ' || command[i] == '\t')) ++i;
    if (i >= n) break;
    std::string w;
    while (i < n && command[i] != ' ' && command[i] != '\t') {
      if (command[i] == '\\') {
        if (++i >= n) break;   // a lone trailing backslash stands for nothing
      }
      w += command[i++];
    }
    words.push_back(std::move(w));
  }
  return words;
}

}  // namespace portero::admin
