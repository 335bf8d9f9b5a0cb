#pragma once
// Loading haproxy.cfg files into an immutable Config, with HAProxy's diagnostics.
#include <string>
#include <vector>

#include "portero/config/config.h"
#include "portero/config/diagnostics.h"

namespace portero::config {

// Reads every path in order (a directory contributes its *.cfg files in C-locale order),
// parses, applies defaults, resolves backend references and validates the whole.
// All problems are collected into `diag`; the result is null when any error was found.
ConfigPtr load(const std::vector<std::string>& paths, Diagnostics& diag);

// The local peer's name given by `-L` (HAProxy's option), used by every later load.
void set_command_line_localpeer(std::string name);

// Same, from text already in memory (unit tests, -cc style helpers). `name` stands for the file.
ConfigPtr load_text(const std::string& text, const std::string& name, Diagnostics& diag);

}  // namespace portero::config
