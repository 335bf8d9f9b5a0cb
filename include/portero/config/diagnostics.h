#pragma once
// Messages about the configuration, kept in order and printed in HAProxy's form:
//   [ALERT]    (pid) : config : parsing [file:line] : <text>
//   [WARNING]  (pid) : config : parsing [file:line] : <text>
#include <cstdio>
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "portero/config/config.h"

namespace portero::config {

enum class Severity { notice, warning, alert };

// HAProxy is not uniform in how it points at a line; each keyword keeps its own habit and we
// reproduce it so that output can be diffed against haproxy -c.
enum class Form : uint8_t {
  parsing,  // "parsing [f:l] : text"  (the common one)
  tight,    // "parsing [f:l]: text"   (option, stats, id, .notice ...)
  bare,     // "[f:l] : text"          (server keyword errors)
  checks,   // "Parsing [f:l]: text"   (HAProxy's post-parse checks: log formats, dynamic names)
};

// Where an error found once every file is read (ACLs, rules and sample expressions are compiled
// after parsing) stands in HAProxy's sequence, which decides the summary lines that follow.
enum class Stage : uint8_t {
  parse,  // a line's error: "Error(s) found in configuration file", then "Fatal errors"
  abort,  // a line's error that stops HAProxy's parsing (http-request/response rules): only "Error(s) found"
  check,  // found by HAProxy's post-parse checks: only "Fatal errors", and only without parse errors
};

struct Diagnostic {
  Severity severity;
  std::optional<Origin> origin;  // set for messages about a line ("parsing [f:l] : ...")
  std::string text;              // without prefix or trailing newline; may hold "\n   | " lines
  Form form = Form::parsing;
  Stage stage = Stage::parse;
};

class Diagnostics {
 public:
  void alert(const Origin& where, std::string text);
  void warning(const Origin& where, std::string text);
  void alert(std::string text);    // not about one line
  void warning(std::string text);
  void notice(std::string text);
  // Line-located message in one of HAProxy's less common forms.
  void add(Severity s, const Origin& where, Form form, std::string text);
  // An [ALERT] line that HAProxy prints without failing the load (e.g. `default-server id`).
  void alert_nonfatal(const Origin& where, Form form, std::string text);
  // An error of a later stage than parsing (see Stage); `where` may be unset.
  void alert(Stage stage, const std::optional<Origin>& where, Form form, std::string text);
  // Ends the errors added since all()[from] (the post-parse compilation of ACLs and rules) as
  // HAProxy ends the same errors met while parsing and checking: errors after the first
  // `abort` one are dropped, `check` ones too when a line had an error; then "Error(s) found
  // in configuration file" for each file of `files` with a line in error, and "Fatal errors"
  // unless parsing was aborted. Nothing when no error was added.
  void finish_late(size_t from, const std::vector<std::string>& files);

  bool has_errors() const { return errors_ > 0; }
  bool has_warnings() const { return warnings_ > 0; }
  int error_count() const { return errors_; }  // fatal alerts only
  const std::vector<Diagnostic>& all() const { return items_; }

  // Writes every message, one per line, as HAProxy does (its pid in the prefix); those added
  // after a global `quiet` are not written, as HAProxy does not write them.
  void print(std::FILE* out, int pid) const;
  size_t printable() const { return quiet_from ? std::min(*quiet_from, items_.size()) : items_.size(); }

  // Set by a global `quiet`: how many messages were added before it.
  std::optional<size_t> quiet_from;

 private:
  std::vector<Diagnostic> items_;
  int errors_ = 0, warnings_ = 0;
};

// One formatted line, e.g. "[ALERT]    (42) : config : parsing [a.cfg:3] : unknown keyword ..."
std::string format(const Diagnostic& d, int pid);

}  // namespace portero::config
