// Diagnostics in HAProxy's exact layout so that `portero -c` output can be diffed with
// `haproxy -c` (only the pid differs).
#include "portero/config/diagnostics.h"

namespace portero::config {

void Diagnostics::add(Severity s, const Origin& where, Form form, std::string text) {
  items_.push_back(Diagnostic{s, where, std::move(text), form});
  if (s == Severity::alert) ++errors_;
  if (s == Severity::warning) ++warnings_;
}

void Diagnostics::alert_nonfatal(const Origin& where, Form form, std::string text) {
  items_.push_back(Diagnostic{Severity::alert, where, std::move(text), form});
}

void Diagnostics::alert(const Origin& where, std::string text) {
  add(Severity::alert, where, Form::parsing, std::move(text));
}
void Diagnostics::warning(const Origin& where, std::string text) {
  add(Severity::warning, where, Form::parsing, std::move(text));
}
void Diagnostics::alert(std::string text) {
  items_.push_back(Diagnostic{Severity::alert, std::nullopt, std::move(text)});
  ++errors_;
}
void Diagnostics::warning(std::string text) {
  items_.push_back(Diagnostic{Severity::warning, std::nullopt, std::move(text)});
  ++warnings_;
}
void Diagnostics::notice(std::string text) {
  items_.push_back(Diagnostic{Severity::notice, std::nullopt, std::move(text)});
}

std::string format(const Diagnostic& d, int pid) {
  // HAProxy pads the tag so that the pid column lines up.
  std::string out;
  switch (d.severity) {
    case Severity::notice: out = "[NOTICE]   "; break;
    case Severity::warning: out = "[WARNING]  "; break;
    case Severity::alert: out = "[ALERT]    "; break;
  }
  out += "(" + std::to_string(pid) + ") : ";
  // Config messages carry the "config : " context; version/path notices do not.
  if (d.origin || d.severity != Severity::notice) out += "config : ";
  if (d.origin) {
    const std::string where = "[" + d.origin->file + ":" + std::to_string(d.origin->line) + "]";
    switch (d.form) {
      case Form::parsing: out += "parsing " + where + " : "; break;
      case Form::tight: out += "parsing " + where + ": "; break;
      case Form::bare: out += where + " : "; break;
    }
  }
  out += d.text;
  return out;
}

void Diagnostics::print(std::FILE* out, int pid) const {
  for (const auto& d : items_) {
    const std::string line = format(d, pid);
    std::fprintf(out, "%s\n", line.c_str());
  }
}

}  // namespace portero::config
