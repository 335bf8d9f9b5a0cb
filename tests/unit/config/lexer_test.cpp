#include <doctest/doctest.h>

#include <map>

#include "config/lexer.h"

using namespace portero::config;
using W = std::vector<std::string>;

namespace {
LexContext ctx(std::map<std::string, std::string> env = {}) {
  LexContext c;
  c.file = "t.cfg";
  c.line = 7;
  c.section = "web";
  c.getenv = [env](const std::string& n) -> std::optional<std::string> {
    auto it = env.find(n);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  return c;
}
W words(std::string_view line, std::map<std::string, std::string> env = {}) {
  auto r = split_line(line, ctx(env));
  REQUIRE(r.error.empty());
  return r.words;
}
}  // namespace

TEST_CASE("words split on spaces and tabs; # starts a comment") {
  CHECK(words("  bind \t:80   name x") == W{"bind", ":80", "name", "x"});
  CHECK(words("log global # trailing comment") == W{"log", "global"});
  CHECK(words("# only a comment").empty());
  CHECK(words("").empty());
  CHECK(words("a#b") == W{"a"});
}

TEST_CASE("escapes outside quotes") {
  CHECK(words(R"(stats realm HAProxy\ Statistics)") == W{"stats", "realm", "HAProxy Statistics"});
  CHECK(words(R"(a\#b \\ \' \")") == W{"a#b", "\\", "'", "\""});
  CHECK(words(R"(x\ny\rz\t)") == W{"x\ny\rz\t"});
  CHECK(words(R"(\x41\x7a)") == W{"Az"});
  CHECK(words(R"(keep\q)") == W{"keep\\q"});
  CHECK(words(R"(no\$env)") == W{"no\\$env"});
}

TEST_CASE("bad hex escape is an error with HAProxy's position caret") {
  auto r = split_line(R"(  description "a\xZZ")", ctx());
  CHECK(r.error == "truncated or invalid hexadecimal sequence at position 17:\n"
                   "  " R"(description "a\xZZ")" "\n"
                   "                ^");
  CHECK(r.words.empty());
}

TEST_CASE("double quotes keep spaces, # and ', process escapes") {
  CHECK(words(R"(x "a b # c 'd'")") == W{"x", "a b # c 'd'"});
  CHECK(words(R"("line\n")") == W{"line\n"});
  CHECK(words(R"("cost \$5")") == W{"cost $5"});
  CHECK(words(R"("")") == W{""});
  CHECK(words(R"(a "" b)") == W{"a", "", "b"});
}

TEST_CASE("single quotes interpret nothing") {
  CHECK(words(R"('a\n $HOME "x" #')") == W{R"(a\n $HOME "x" #)"});
  CHECK(words("''") == W{""});
}

TEST_CASE("quotes glue to neighbours") {
  CHECK(words(R"("a b"'c')") == W{"a bc"});
  CHECK(words(R"(pre"mid"post)") == W{"premidpost"});
}

TEST_CASE("unmatched quote is reported at the opening quote") {
  auto r = split_line(R"(  description "abc)", ctx());
  CHECK(r.error.starts_with("unmatched quote at position 15:\n"));
}

TEST_CASE("environment variables only inside double quotes") {
  std::map<std::string, std::string> env{{"NAME", "srv"}, {"EMPTY", ""}, {"LIST", "a b  c"}};
  CHECK(words(R"("$NAME-1")", env) == W{"srv-1"});
  CHECK(words(R"("${NAME}x")", env) == W{"srvx"});
  CHECK(words(R"($NAME)", env) == W{"$NAME"});
  CHECK(words(R"('$NAME')", env) == W{"$NAME"});
  CHECK(words(R"("${UNSET-def}")", env) == W{"def"});
  CHECK(words(R"("${EMPTY-def}")", env) == W{""});  // default only when unset
  CHECK(words(R"("${UNSET}")", env) == W{""});
  CHECK(words(R"(x "${LIST[*]}" y)", env) == W{"x", "a", "b", "c", "y"});
  CHECK(words(R"("${.FILE}:${.LINE} ${.SECTION}")", env) == W{"t.cfg:7 web"});
}

TEST_CASE("malformed variable references") {
  auto r = split_line(R"(x "${X")", ctx());
  CHECK(r.error.starts_with("unmatched brace in environment variable name at position 5:"));
  r = split_line(R"(x "$ ")", ctx());
  CHECK(r.error.starts_with("forbidden first char in environment variable name at position 5:"));
  r = split_line(R"(x "$1")", ctx());
  CHECK_FALSE(r.error.empty());
}
