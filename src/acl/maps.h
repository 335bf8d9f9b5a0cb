#pragma once
// Map files for the map_* converters: "key value" lines, '#' comments and blank lines skipped,
// loaded once at compile() time and shared by every expression that names the same file with
// the same matching method.
#include <memory>
#include <string>
#include <vector>

#include "pattern.h"

namespace portero::acl {

class MapData {
 public:
  PatternSet keys;                 // kind = the map's matching method
  std::vector<std::string> values;  // values[i] belongs to the i-th key added
  std::vector<int64_t> int_values;
  bool int_output = false;
  bool has_default = false;
  std::string default_value;
  int64_t int_default = 0;

  // Reads `path`. False with HAProxy's message in err.
  bool load(const std::string& path, std::string& err);
};

// Reads a pattern file (-f): one pattern per line, leading blanks and trailing blanks removed,
// '#' comment lines and empty lines skipped. False when it cannot be opened.
bool read_pattern_file(const std::string& path, std::vector<std::string>& out);

}  // namespace portero::acl
