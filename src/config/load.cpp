// Entry points: files (or directories of *.cfg) to an immutable Config. Never throws: every
// problem ends up in `diag`, and the result is null when any error was found.
#include "portero/config/load.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "checks.h"
#include "parser.h"

namespace portero::config {
namespace {

// A directory stands for its *.cfg files, sorted bytewise (C locale), not recursive.
std::vector<std::string> expand(const std::string& path) {
  struct stat st{};
  if (stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return {path};
  std::vector<std::string> names;
  if (DIR* d = opendir(path.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n.size() > 4 && n.ends_with(".cfg")) names.push_back(n);
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
    return std::strcmp(a.c_str(), b.c_str()) < 0;
  });
  std::vector<std::string> out;
  for (auto& n : names) {
    std::string full = path + (path.ends_with("/") ? "" : "/") + n;
    struct stat fs{};
    if (stat(full.c_str(), &fs) == 0 && S_ISREG(fs.st_mode)) out.push_back(full);
  }
  return out;
}

using Source = std::pair<std::string, std::string>;  // file name, text

std::string g_cmdline_localpeer;

// The local peer's name before the files are read: -L, else the host name (as HAProxy).
void init_localpeer(Global& g) {
  if (!g_cmdline_localpeer.empty()) {
    g.localpeer = g_cmdline_localpeer;
    g.localpeer_cmdline = true;
    return;
  }
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) g.localpeer = host;
}

ConfigPtr run(const std::vector<Source>& sources, Diagnostics& diag, bool open_failed, bool files = false) {
  auto config = std::make_shared<Config>();
  init_localpeer(config->global);
  Parser parser(*config, diag);
  parser.require_final_lf = files;  // a file must end with its LF; a text given whole need not
  bool parse_errors = open_failed;
  bool aborted = false;
  for (const auto& [name, text] : sources) {
    config->files.push_back(name);
    const int errors_before = diag.error_count();
    const bool ok = parser.feed(text, name);
    if (diag.error_count() > errors_before) {
      diag.alert("Error(s) found in configuration file : " + name);
      parse_errors = true;
    }
    if (!ok) {
      aborted = true;
      break;
    }
  }
  parser.finish();
  resolve(*config);
  if (aborted) return nullptr;
  if (!parse_errors) check(*config, diag);
  // HAProxy resolves server names last, once the configuration checked clean, and ends there.
  if (!diag.has_errors())
    for (const auto& w : parser.context().late_warnings) diag.add(w.severity, *w.origin, w.form, w.text);
  if (!diag.has_errors() && !parser.context().unresolved.empty()) {
    for (const auto& u : parser.context().unresolved) diag.add(u.severity, *u.origin, u.form, u.text);
    diag.alert("Failed to initialize server(s) addr.");
    return nullptr;
  }
  if (diag.has_errors()) {
    diag.alert("Fatal errors found in configuration.");
    return nullptr;
  }
  return config;
}

}  // namespace

void set_command_line_localpeer(std::string name) { g_cmdline_localpeer = std::move(name); }

ConfigPtr load(const std::vector<std::string>& paths, Diagnostics& diag) {
  try {
    std::vector<Source> sources;
    for (const auto& p : paths)
      for (const auto& f : expand(p)) {
        std::ifstream in(f, std::ios::binary);
        if (!in) {
          // HAProxy gives up at once on a missing file.
          diag.alert("Cannot open configuration file/directory " + f + " : " + std::strerror(errno));
          return nullptr;
        }
        std::ostringstream ss;
        ss << in.rdbuf();
        sources.emplace_back(f, ss.str());
      }
    return run(sources, diag, false, true);
  } catch (const std::exception& e) {
    diag.alert(std::string("internal error while loading the configuration: ") + e.what());
    return nullptr;
  }
}

ConfigPtr load_text(const std::string& text, const std::string& name, Diagnostics& diag) {
  try {
    return run({{name, text}}, diag, false);
  } catch (const std::exception& e) {
    diag.alert(std::string("internal error while loading the configuration: ") + e.what());
    return nullptr;
  }
}

}  // namespace portero::config
