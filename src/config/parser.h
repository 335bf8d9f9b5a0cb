#pragma once
// Reads haproxy.cfg text line by line: conditional blocks, section headers, keyword dispatch.
#include <optional>
#include <string>
#include <vector>

#include "parse_context.h"

namespace portero::config {

class Parser {
 public:
  Parser(Config& config, Diagnostics& diag) : ctx_(config, diag) {}

  // Parses one file's text. Returns false if parsing had to stop (HAProxy's ERR_ABORT).
  bool feed(const std::string& text, const std::string& file);
  // Closes the last section and hands the proxies over (declaration order).
  void finish();

  ParseContext& context() { return ctx_; }

  // Refuse a text whose last line lacks its LF, as HAProxy refuses such a file (truncated?).
  bool require_final_lf = false;

 private:
  struct CondLevel {
    Origin origin;
    bool parent_active;  // lines may run at all at this depth
    bool taken;          // one branch was already true
    bool active;         // the current branch runs
    bool in_else;
  };

  void line(const std::string& raw);
  bool directive(const std::vector<std::string>& words, const std::string& raw);
  bool active() const { return conds_.empty() || conds_.back().active; }
  void close_section();
  void open_section(const std::vector<std::string>& words);
  void keyword(std::vector<std::string> words);

  ParseContext ctx_;
  std::vector<CondLevel> conds_;
  std::string defaults_name_;
  std::string unsupported_section_;
  std::optional<Origin> program_origin_;
  std::vector<std::string> mailers_;  // names of the mailers sections (warned about by finish())  // the first `program` section, judged by finish()  // the kind of the section being skipped (`resolvers` ...)
};

// The kinds of section HAProxy knows but portero does not implement yet.
bool is_unsupported_section(const std::string& word);

}  // namespace portero::config
