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

void Diagnostics::alert(Stage stage, const std::optional<Origin>& where, Form form, std::string text) {
  items_.push_back(Diagnostic{Severity::alert, where, std::move(text), form, stage});
  ++errors_;
}

void Diagnostics::finish_late(size_t from, const std::vector<std::string>& files) {
  if (from > items_.size()) return;
  auto is_error = [](const Diagnostic& d) { return d.severity == Severity::alert; };
  // HAProxy stops reading at an aborting line: whatever comes after it is never reported.
  bool aborted = false, line_errors = false;
  for (size_t i = from; i < items_.size(); ++i) {
    if (!is_error(items_[i]) || items_[i].stage != Stage::abort) continue;
    for (size_t j = i + 1; j < items_.size(); ++j)
      if (is_error(items_[j])) --errors_;
    items_.resize(i + 1);
    aborted = true;
    break;
  }
  for (size_t i = from; i < items_.size(); ++i)
    if (is_error(items_[i]) && items_[i].stage != Stage::check) line_errors = true;
  // Post-parse checks do not run after a line in error.
  if (line_errors)
    for (size_t i = items_.size(); i-- > from;)
      if (is_error(items_[i]) && items_[i].stage == Stage::check) {
        items_.erase(items_.begin() + static_cast<long>(i));
        --errors_;
      }
  bool any = false;
  for (size_t i = from; i < items_.size(); ++i) any = any || is_error(items_[i]);
  if (!any) return;
  if (line_errors)
    for (const auto& f : files) {
      bool in_file = false;
      for (size_t i = from; i < items_.size(); ++i)
        in_file = in_file || (is_error(items_[i]) && (!items_[i].origin || items_[i].origin->file == f));
      if (in_file) alert("Error(s) found in configuration file : " + f);
    }
  if (!aborted) alert("Fatal errors found in configuration.");
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
      case Form::checks: out += "Parsing " + where + ": "; break;
    }
  }
  out += d.text;
  return out;
}

void Diagnostics::print(std::FILE* out, int pid) const {
  for (size_t i = 0; i < printable(); ++i) {
    const auto& d = items_[i];
    const std::string line = format(d, pid);
    std::fprintf(out, "%s\n", line.c_str());
  }
}

}  // namespace portero::config
