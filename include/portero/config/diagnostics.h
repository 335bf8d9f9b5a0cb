#pragma once
// Messages about the configuration, kept in order and printed in HAProxy's form:
//   [ALERT]    (pid) : config : parsing [file:line] : <text>
//   [WARNING]  (pid) : config : parsing [file:line] : <text>
#include <cstdio>
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
};

struct Diagnostic {
  Severity severity;
  std::optional<Origin> origin;  // set for messages about a line ("parsing [f:l] : ...")
  std::string text;              // without prefix or trailing newline; may hold "\n   | " lines
  Form form = Form::parsing;
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

  bool has_errors() const { return errors_ > 0; }
  bool has_warnings() const { return warnings_ > 0; }
  int error_count() const { return errors_; }  // fatal alerts only
  const std::vector<Diagnostic>& all() const { return items_; }

  // Writes every message, one per line, as HAProxy does (its pid in the prefix).
  void print(std::FILE* out, int pid) const;

 private:
  std::vector<Diagnostic> items_;
  int errors_ = 0, warnings_ = 0;
};

// One formatted line, e.g. "[ALERT]    (42) : config : parsing [a.cfg:3] : unknown keyword ..."
std::string format(const Diagnostic& d, int pid);

}  // namespace portero::config
