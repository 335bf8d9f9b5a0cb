// help and "Unknown command" lists, against the lines haproxy 2.6.12 printed for the same
// commands (COMPAT.md §5.1).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "admin/commands.h"
#include "admin/usage.h"

using namespace portero::admin;
using Words = std::vector<std::string>;

namespace {

bool has_line(const std::string& text, const std::string& line) { return text.find(line + "\n") != std::string::npos; }

}  // namespace

TEST_CASE("help lines are formatted as '  %-40s: %s'") {
  Usage u{{"show", "stat"}, "show stat [desc|json|no-maint|typed|up]*", "report counters for each proxy and server"};
  CHECK(usage_line(u) == "  show stat [desc|json|no-maint|typed|up]*: report counters for each proxy and server\n");
  Usage v{{"quit"}, "quit", "disconnect", true};
  CHECK(usage_line(v) == "  quit                                    : disconnect\n");
}

TEST_CASE("help lists every command, help/prompt/quit last") {
  const std::string h = usage_message(usage_table(), {}, true);
  CHECK(h.rfind("The following commands are valid at this level:\n", 0) == 0);
  for (const char* l : {
           "  clear counters [all]                    : clear max statistics counters (or all counters)",
           "  disable server (DEPRECATED)             : disable a server for maintenance (use 'set server' instead)",
           "  enable server  (DEPRECATED)             : enable a disabled server (use 'set server' instead)",
           "  get weight <bk>/<srv>                   : report a server's current weight",
           "  set maxconn server <bk>/<srv>           : change a server's maxconn setting",
           "  set server <bk>/<srv> [opts]            : change a server's state, weight, address or ssl",
           "  set weight <bk>/<srv>  (DEPRECATED)     : change a server's weight (use 'set server' instead)",
           "  show backend                            : list backends in the current running config",
           "  show errors [<px>] [request|response]   : report last request and/or response errors for each proxy",
           "  show info [desc|json|typed|float]*      : report information about the running process",
           "  show pools                              : report information about the memory pools usage",
           "  show servers state [<backend>]          : dump volatile server information (all or for a single backend)",
           "  show sess [id]                          : report the list of current sessions or dump this exact session",
           "  show stat [desc|json|no-maint|typed|up]*: report counters for each proxy and server",
           "  shutdown sessions server <bk>/<srv>     : kill sessions on a server",
       })
    CHECK_MESSAGE(has_line(h, l), l);
  const std::string tail =
      "  help [<command>]                        : list matching or all commands\n"
      "  prompt                                  : toggle interactive mode with prompt\n"
      "  quit                                    : disconnect\n";
  CHECK(h.size() > tail.size());
  CHECK(h.substr(h.size() - tail.size()) == tail);
}

TEST_CASE("an empty command gets the whole list under another title") {
  const std::string m = usage_message(usage_table(), {}, false);
  CHECK(m.rfind("Unknown command. Please enter one of the following commands only:\n", 0) == 0);
  CHECK(has_line(m, "  show version                            : show version of the current process"));
}

TEST_CASE("a partial match lists the commands sharing its words") {
  // haproxy: `set maxconn` and `set maxconn foo` both list the three set maxconn commands
  for (const Words& w : {Words{"set", "maxconn"}, Words{"set", "maxconn", "foo"}}) {
    const std::string m = usage_message(usage_table(), w, false);
    CHECK(m ==
          "Unknown command, but maybe one of the following ones is a better match:\n"
          "  set maxconn frontend <frontend> <value> : change a frontend's maxconn setting\n"
          "  set maxconn global <value>              : change the per-process maxconn setting\n"
          "  set maxconn server <bk>/<srv>           : change a server's maxconn setting\n"
          "  help [<command>]                        : list matching or all commands\n"
          "  prompt                                  : toggle interactive mode with prompt\n"
          "  quit                                    : disconnect\n");
  }
  // `shutdown sessions` names one command
  const std::string m = usage_message(usage_table(), {"shutdown", "sessions"}, false);
  CHECK(m.find("shutdown sessions server") != std::string::npos);
  CHECK(m.find("shutdown frontend") == std::string::npos);
}

TEST_CASE("a mistyped word suggests the close commands only") {
  // haproxy: "show ver<LF>sion" suggests only show version; "get\ weight" get and set weight
  std::string m = usage_message(usage_table(), {"show", "ver\nsion"}, false);
  CHECK(m.find("show version") != std::string::npos);
  CHECK(m.find("show stat") == std::string::npos);
  m = usage_message(usage_table(), {"get weight", "be/s1"}, false);
  CHECK(m.find("  get weight <bk>/<srv>") != std::string::npos);
  CHECK(m.find("  set weight <bk>/<srv>") != std::string::npos);
  CHECK(m.find("show stat") == std::string::npos);
  // at most five suggestions, then help/prompt/quit
  m = usage_message(usage_table(), {"foo"}, false);
  size_t lines = 0;
  for (char c : m) lines += c == '\n';
  CHECK(lines <= 1 + 5 + 3);
}

TEST_CASE("help with words lists the matching commands") {
  const std::string m = usage_message(usage_table(), {"show"}, true);
  CHECK(m.rfind("The following commands are valid at this level:\n", 0) == 0);
  CHECK(m.find("show stat") != std::string::npos);
  CHECK(m.find("get weight") == std::string::npos);
}

TEST_CASE("fingerprint distance") {
  CHECK(fingerprint_distance({"version"}, {"version"}) == 0);
  // a space inside a word counts as a word boundary: "get weight" as one word == two words
  CHECK(fingerprint_distance({"get weight"}, {"get", "weight"}) == 0);
  CHECK(fingerprint_distance({"verison"}, {"version"}) > 0);
  CHECK(fingerprint_distance({"verison"}, {"version"}) < fingerprint_distance({"verison"}, {"pools"}));
}
