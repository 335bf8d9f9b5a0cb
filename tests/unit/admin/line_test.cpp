// Request syntax of the CLI; the expectations are what haproxy 2.6.12 did with the same bytes.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "admin/line.h"

using namespace portero::admin;
using Words = std::vector<std::string>;

TEST_CASE("a line ends at the first unescaped newline") {
  CHECK(find_line_end("show version\n") == 12);
  CHECK(find_line_end("show version") == std::string_view::npos);
  CHECK(find_line_end("a\nb\n") == 1);
  // "show ver\<LF>sion\n" is one line: the escaped newline stays inside it
  CHECK(find_line_end("show ver\\\nsion\n") == 14);
  CHECK(find_line_end("x\\\\\n") == 3);   // an escaped backslash does not escape the newline
}

TEST_CASE("commands split at unescaped semicolons") {
  auto v = split_commands("show version;get weight be/s1");
  REQUIRE(v.size() == 2);
  CHECK(v[0] == "show version");
  CHECK(v[1] == "get weight be/s1");
  // "get weight be/s1\;show version" is one command
  CHECK(split_commands("get weight be/s1\\;show version").size() == 1);
  // "\\;" is a backslash, then a separator
  v = split_commands("a\\\\;b");
  REQUIRE(v.size() == 2);
  CHECK(v[0] == "a\\\\");
  // an empty line and a trailing ';' give empty commands (answered with the command list)
  CHECK(split_commands("").size() == 1);
  CHECK(split_commands("show version;").size() == 2);
  CHECK(split_commands(";").size() == 2);
}

TEST_CASE("words are separated by spaces and tabs and unescaped") {
  CHECK(tokenize("  show   version  ") == Words{"show", "version"});
  CHECK(tokenize("show\tversion") == Words{"show", "version"});
  CHECK(tokenize("").empty());
  CHECK(tokenize("   ").empty());
  CHECK(tokenize("get\\ weight be/s1") == Words{"get weight", "be/s1"});
  CHECK(tokenize("be/s1\\;show") == Words{"be/s1;show"});
  CHECK(tokenize("be/s\\\\1") == Words{"be/s\\1"});
  CHECK(tokenize("a\\xb") == Words{"axb"});
  CHECK(tokenize("ver\\\nsion") == Words{"ver\nsion"});
  CHECK(tokenize("x\\") == Words{"x"});
}
