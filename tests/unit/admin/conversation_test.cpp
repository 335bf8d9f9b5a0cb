// Framing of replies in one-shot and interactive mode; the byte strings are those haproxy
// 2.6.12 sent for the same input (COMPAT.md §5.1).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "admin/conversation.h"

using namespace portero::admin;

namespace {

// A stand-in for the command table: a few commands with fixed replies.
std::string fake(Session& s, const std::vector<std::string>& a) {
  if (a.empty()) return "EMPTY\n";
  if (a[0] == "prompt") {
    s.interactive = !s.interactive;
    return "";
  }
  if (a[0] == "quit") {
    s.quit = true;
    return "";
  }
  if (a[0] == "version") return "2.6.12-1+deb12u4\n";
  if (a[0] == "weight") return "2 (initial 2)\n";
  if (a[0] == "garbage") return "Empty weight string empty or preceded by garbage";
  if (a[0] == "user") {
    s.level = Level::user;
    return "";
  }
  return "?\n";
}

Conversation make(size_t max_line = 16384) { return Conversation(Session{}, max_line, fake); }

}  // namespace

TEST_CASE("one-shot: each reply gets one more newline, then the connection ends") {
  auto c = make();
  CHECK(c.feed("version\n") == "2.6.12-1+deb12u4\n\n");
  CHECK(c.finished());
}

TEST_CASE("one-shot: several commands on one line") {
  auto c = make();
  CHECK(c.feed("version;weight\n") == "2.6.12-1+deb12u4\n\n2 (initial 2)\n\n");
  CHECK(c.finished());
}

TEST_CASE("one-shot: an empty reply is a bare newline; a message without newline gets one") {
  auto c = make();
  CHECK(c.feed("user;garbage;version\n") == "\nEmpty weight string empty or preceded by garbage\n2.6.12-1+deb12u4\n\n");
}

TEST_CASE("one-shot: a line arriving in pieces is answered once complete") {
  auto c = make();
  CHECK(c.feed("vers") == "");
  CHECK(!c.finished());
  CHECK(c.feed("ion\r\n") == "2.6.12-1+deb12u4\n\n");
  CHECK(c.finished());
}

TEST_CASE("one-shot: lines already buffered are all answered, a partial one is waited for") {
  auto c = make();
  CHECK(c.feed("version\nweight\n") == "2.6.12-1+deb12u4\n\n2 (initial 2)\n\n");
  CHECK(c.finished());
  auto d = make();
  CHECK(d.feed("version\nwei") == "2.6.12-1+deb12u4\n\n");
  CHECK(!d.finished());
}

TEST_CASE("half-close before the newline: nothing is run") {
  auto c = make();
  CHECK(c.feed("version") == "");
  c.peer_closed();
  CHECK(c.finished());
  CHECK(c.feed("\n") == "");
}

TEST_CASE("empty lines and empty pieces are commands") {
  auto c = make();
  CHECK(c.feed("\n") == "EMPTY\n\n");
  auto d = make();
  CHECK(d.feed("version;\n") == "2.6.12-1+deb12u4\n\nEMPTY\n\n");
}

TEST_CASE("prompt: the observed bytes of prompt, show version, get weight") {
  auto c = make();
  std::string out = c.feed("prompt\n");
  CHECK(out == "\n> ");
  CHECK(!c.finished());
  out += c.feed("version\n");
  out += c.feed("weight\n");
  CHECK(out == "\n> 2.6.12-1+deb12u4\n\n> 2 (initial 2)\n\n> ");
  CHECK(!c.finished());
  CHECK(c.feed("quit\n") == "");
  CHECK(c.finished());
}

TEST_CASE("prompt toggled on a line with other commands") {
  auto c = make();
  CHECK(c.feed("prompt;version\n") == "\n> 2.6.12-1+deb12u4\n\n> ");
  CHECK(!c.finished());
}

TEST_CASE("prompt twice leaves interactive mode and ends like a one-shot") {
  auto c = make();
  CHECK(c.feed("prompt\nversion\n") == "\n> 2.6.12-1+deb12u4\n\n> ");
  CHECK(c.feed("prompt\n") == "\n");
  CHECK(c.finished());
}

TEST_CASE("quit ends at once, later commands are not run") {
  auto c = make();
  CHECK(c.feed("version;quit;version\n") == "2.6.12-1+deb12u4\n\n");
  CHECK(c.finished());
  auto d = make();
  CHECK(d.feed("quit\n") == "");
  CHECK(d.finished());
}

TEST_CASE("a line longer than the buffer ends the connection") {
  auto c = make(64);
  CHECK(c.feed(std::string(65, 'x')) == "");
  CHECK(c.finished());
  auto d = make(64);
  CHECK(d.feed(std::string(60, 'x')) == "");
  CHECK(!d.finished());
}

TEST_CASE("levels") {
  CHECK(parse_level("user") == Level::user);
  CHECK(parse_level("operator") == Level::operator_);
  CHECK(parse_level("admin") == Level::admin);
  CHECK(std::string(level_name(Level::admin)) == "admin");
  CHECK(std::string(level_name(Level::operator_)) == "operator");
}
