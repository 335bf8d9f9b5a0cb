// Section handling and keyword dispatch. HAProxy's behaviours reproduced here:
//  * several `global` sections are merged;
//  * a proxy starts as a copy of the current (or `from`-named) defaults, minus what is never
//    inherited (name, binds, servers, rules);
//  * every defaults section starts from scratch (or from its `from` defaults).
#include "parser.h"

#include <set>
#include <sstream>

#include "condition.h"
#include "did_you_mean.h"
#include "lexer.h"
#include "unimplemented.h"

namespace portero::config {
namespace {


std::string join(const std::vector<std::string>& w, size_t from) {
  std::string out;
  for (size_t i = from; i < w.size(); ++i) {
    if (i > from) out += ' ';
    out += w[i];
  }
  return out;
}

bool valid_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == ':';
}

// A fresh proxy from its defaults: everything inherited except identity and per-proxy lists.
Proxy inherit(const Proxy& defaults) {
  Proxy p = defaults;
  p.name.clear();
  p.id = 0;
  p.disabled = false;
  p.binds.clear();
  p.servers.clear();
  p.use_backends.clear();
  // Rules are not inherited from a defaults section (named ones are warned about at parse time).
  p.http_request_rules.clear();
  p.http_response_rules.clear();
  p.http_after_response_rules.clear();
  p.redirect_rules.clear();
  p.tcp_request_rules.clear();
  p.monitor_fail.clear();
  p.acls.clear();
  p.default_backend_index = -1;
  return p;
}

}  // namespace

bool is_unsupported_section(const std::string& word) { return find_unimplemented(GapContext::section, word); }

bool Parser::feed(const std::string& text, const std::string& file) {
  std::istringstream in(text);
  std::string raw;
  int n = 0;
  conds_.clear();
  while (!ctx_.abort && std::getline(in, raw)) {
    ctx_.origin = Origin{file, ++n};
    // HAProxy refuses a file whose last line has no LF: it may have been truncated.
    if (require_final_lf && in.eof() && !raw.empty())
      ctx_.alert(Form::tight, "Missing LF on last line, file might have been truncated at position " +
                                  std::to_string(raw.size() + 1) + ".");
    line(raw);
  }
  if (!ctx_.abort && !conds_.empty()) {
    ctx_.origin = Origin{file, n};
    ctx_.alert(Form::tight, "non-terminated '.if' block.");
    ctx_.abort = true;
  }
  return !ctx_.abort;
}

void Parser::line(const std::string& raw) {
  LexContext lc;
  lc.file = ctx_.origin.file;
  lc.line = ctx_.origin.line;
  if (ctx_.proxy && ctx_.section != SectionKind::defaults) lc.section = ctx_.proxy->name;
  LexResult lr = split_line(raw, lc);
  if (!lr.error.empty()) {
    if (active()) ctx_.alert(Form::tight, lr.error);
    return;
  }
  auto& words = lr.words;
  if (words.empty()) return;
  if (words[0].size() > 1 && words[0][0] == '.') {
    if (directive(words, raw)) return;
  }
  if (!active()) return;

  const std::string& w = words[0];
  if (w == "global" || w == "defaults" || w == "frontend" || w == "backend" || w == "listen" ||
      w == "userlist" || w == "peers" || w == "http-errors" || w == "resolvers" || is_unsupported_section(w)) {
    open_section(words);
    return;
  }
  if (ctx_.section == SectionKind::unsupported) return;   // its content is not used
  if (ctx_.section == SectionKind::resolvers) {
    parse_resolvers_line(ctx_, words);
    return;
  }
  if (ctx_.section == SectionKind::userlist) {
    parse_userlist_line(ctx_, words);
    return;
  }
  if (ctx_.section == SectionKind::peers) {
    parse_peers_line(ctx_, words);
    return;
  }
  if (ctx_.section == SectionKind::http_errors) {
    parse_http_errors_line(ctx_, words);
    return;
  }
  keyword(std::move(words));
}

// Handles `.if` & co. Returns false when the word is not a directive we know.
bool Parser::directive(const std::vector<std::string>& words, const std::string& raw) {
  (void)raw;
  const std::string& d = words[0];
  auto is_defined = [](const std::string& v) { return std::getenv(v.c_str()) != nullptr; };
  if (d == ".if") {
    CondLevel lvl{ctx_.origin, active(), false, false, false};
    if (lvl.parent_active) {
      auto r = eval_condition(join(words, 1), ".if", is_defined);
      if (!r.error.empty()) {
        ctx_.alert(Form::tight, r.error);
        ctx_.abort = true;
        return true;
      }
      lvl.active = lvl.taken = r.value;
    }
    conds_.push_back(lvl);
    return true;
  }
  if (d == ".elif") {
    if (conds_.empty() || conds_.back().in_else) {
      ctx_.alert(Form::tight, "lone '.elif' with no matching '.if'.");
      ctx_.abort = true;
      return true;
    }
    auto& lvl = conds_.back();
    lvl.active = false;
    if (lvl.parent_active && !lvl.taken) {
      auto r = eval_condition(join(words, 1), ".elif", is_defined);
      if (!r.error.empty()) {
        ctx_.alert(Form::tight, r.error);
        ctx_.abort = true;
        return true;
      }
      lvl.active = lvl.taken = r.value;
    }
    return true;
  }
  if (d == ".else") {
    if (conds_.empty() || conds_.back().in_else) {
      ctx_.alert(Form::tight, "lone '.else' with no matching '.if'.");
      ctx_.abort = true;
      return true;
    }
    auto& lvl = conds_.back();
    lvl.in_else = true;
    lvl.active = lvl.parent_active && !lvl.taken;
    lvl.taken = true;
    return true;
  }
  if (d == ".endif") {
    if (conds_.empty()) {
      ctx_.alert(Form::tight, "lone '.endif' with no matching '.if'.");
      ctx_.abort = true;
      return true;
    }
    conds_.pop_back();
    return true;
  }
  if (d == ".diag" || d == ".notice" || d == ".warning" || d == ".alert") {
    if (!active()) return true;
    if (words.size() > 2) {
      ctx_.alert(Form::tight, "Unexpected argument '" + words[2] + "' for '" + d +
                                  "'. Use quotes if the message should contain spaces.");
      return true;
    }
    const std::string msg = "'" + (words.size() > 1 ? words[1] : std::string()) + "'.";
    // .diag only shows with -dD in HAProxy; it is not a problem with the file.
    if (d == ".notice") ctx_.diag.add(Severity::notice, ctx_.origin, Form::tight, msg);
    if (d == ".warning") ctx_.warning(Form::tight, msg);
    if (d == ".alert") {
      ctx_.alert(Form::tight, msg);
      ctx_.abort = true;
    }
    return true;
  }
  return false;
}

void Parser::close_section() {
  if (ctx_.section == SectionKind::defaults && !defaults_name_.empty())
    ctx_.named_defaults[defaults_name_] = ctx_.current_defaults;
  defaults_name_.clear();
  ctx_.proxy = nullptr;
  ctx_.userlist = nullptr;
  ctx_.peers = nullptr;
  ctx_.http_errors = nullptr;
  ctx_.resolvers = nullptr;
  ctx_.section = SectionKind::none;
}

void Parser::open_section(const std::vector<std::string>& words) {
  close_section();
  const std::string& kw = words[0];
  if (kw == "global") {
    ctx_.section = SectionKind::global;
    if (!ctx_.global_seen) ctx_.config.global.origin = ctx_.origin;
    ctx_.global_seen = true;
    return;
  }
  if (kw == "userlist") {
    ctx_.section = SectionKind::userlist;
    open_userlist(ctx_, words);
    return;
  }
  if (kw == "peers") {
    ctx_.section = SectionKind::peers;
    open_peers(ctx_, words);
    return;
  }
  if (kw == "http-errors") {
    ctx_.section = SectionKind::http_errors;
    open_http_errors(ctx_, words);
    return;
  }
  if (kw == "resolvers") {
    ctx_.section = SectionKind::resolvers;
    open_resolvers(ctx_, words);
    return;
  }
  if (is_unsupported_section(kw)) {
    ctx_.section = SectionKind::unsupported;
    unsupported_section_ = kw;
    // A `program` is judged once `master-worker` may have been read (see finish()).
    if (kw == "program") {
      if (!program_origin_) program_origin_ = ctx_.origin;
    } else {
      // No proxy can use a mailers section (email-alert is refused): HAProxy drops it, saying so.
      if (kw == "mailers") mailers_.push_back(words.size() > 1 ? words[1] : "");
      check_unimplemented(ctx_, GapContext::section, kw);
    }
    return;
  }

  // defaults [name] [from other] / frontend|backend|listen name [from defaults]
  const bool is_defaults = kw == "defaults";
  std::string name, from;
  size_t i = 1;
  if (words.size() > 1 && words[1] != "from") name = words[i++];
  if (!is_defaults && name.empty()) {
    ctx_.alert("'" + kw + "' expects an <id> argument");
    ctx_.abort = true;
    return;
  }
  if (i < words.size()) {
    if (words[i] == "from" && i + 1 < words.size() && i + 2 == words.size()) from = words[i + 1];
    else ctx_.alert("please use the 'bind' keyword for listening addresses.");
  }
  for (char c : name)
    if (!valid_name_char(c)) {
      ctx_.alert(std::string("character '") + c + "' is not permitted in '" + kw + "' name '" + name + "'.");
      break;
    }

  const Proxy* base = &ctx_.current_defaults;
  Proxy fresh;
  fresh.kind = Proxy::Kind::defaults;
  if (!from.empty()) {
    auto it = ctx_.named_defaults.find(from);
    if (it == ctx_.named_defaults.end()) {
      ctx_.alert("defaults section '" + from + "' not found for " + kw + " '" + name + "'.");
    } else {
      base = &it->second;
    }
  } else if (is_defaults) {
    base = &fresh;
  }

  if (is_defaults) {
    Proxy d = inherit(*base);
    d.kind = Proxy::Kind::defaults;
    d.origin = ctx_.origin;
    d.name = name;
    ctx_.current_defaults = std::move(d);
    ctx_.proxy = &ctx_.current_defaults;
    ctx_.section = SectionKind::defaults;
    ctx_.defaults_named = !name.empty();
    defaults_name_ = name;
    return;
  }

  Proxy p = inherit(*base);
  p.origin = ctx_.origin;
  p.name = name;
  if (kw == "frontend") { p.kind = Proxy::Kind::frontend; ctx_.section = SectionKind::frontend; }
  if (kw == "backend") { p.kind = Proxy::Kind::backend; ctx_.section = SectionKind::backend; }
  if (kw == "listen") { p.kind = Proxy::Kind::listen; ctx_.section = SectionKind::listen; }

  // Names are unique among proxies sharing a capability (a frontend and a backend may share).
  for (const auto& other : ctx_.proxies) {
    const bool clash = other.name == name && ((other.is_frontend() && p.is_frontend()) ||
                                              (other.is_backend() && p.is_backend()));
    if (clash) {
      ctx_.diag.alert("Parsing [" + ctx_.origin.file + ":" + std::to_string(ctx_.origin.line) + "]: " +
                      kw + " '" + name + "' has the same name as " + proxy_type_name(other.kind) + " '" +
                      other.name + "' declared at " + other.origin.file + ":" +
                      std::to_string(other.origin.line) + ".");
      break;
    }
  }
  ctx_.proxies.push_back(std::move(p));
  ctx_.proxy = &ctx_.proxies.back();
}

void Parser::keyword(std::vector<std::string> words) {
  ctx_.negated = false;
  if (words[0] == "no" && words.size() > 1) {
    ctx_.negated = true;
    words.erase(words.begin());
  } else if (words[0] == "default" && words.size() > 1 && words[1] == "option") {
    words.erase(words.begin());  // `default option X`: back to the default, i.e. "no" here
    ctx_.negated = true;
  }
  const std::string& kw = words[0];
  if (ctx_.section == SectionKind::none) {
    ctx_.alert("unknown keyword '" + kw + "' out of section.");
    return;
  }
  const unsigned bit = section_bit(ctx_.section);
  const KeywordRow* row = registry().find(kw, bit);
  const char* sect = ctx_.section == SectionKind::global ? "global" : ctx_.proxy_type();
  if (!row) {
    std::string msg = "unknown keyword '" + kw + "' in '" + sect + "' section";
    // A misspelt section header reads as an unknown keyword of the current section.
    auto candidates = registry().names(bit);
    for (std::string_view sec : {"global", "defaults", "frontend", "backend", "listen"}) candidates.push_back(sec);
    if (auto s = did_you_mean(kw, candidates)) msg += "; did you mean '" + *s + "' maybe ?";
    ctx_.alert(msg);
    return;
  }
  if (ctx_.negated && kw != "option" && kw != "log" && kw != "strict-limits") {
    ctx_.alert("'no' is not supported for keyword '" + kw + "'.");
    return;
  }
  if (ctx_.proxy) {
    if (ctx_.section == SectionKind::defaults && !row->allowed_in_defaults) {
      if (kw == "server") ctx_.alert(Form::bare, "'" + kw + "' not allowed in 'defaults' section.");
      else ctx_.alert("'" + kw + "' not allowed in 'defaults' section.");
      return;
    }
    if (ctx_.section != SectionKind::defaults) {
      const bool missing = (row->cap == Cap::frontend && !ctx_.proxy->is_frontend()) ||
                           (row->cap == Cap::backend && !ctx_.proxy->is_backend());
      if (missing) {
        const std::string why = std::string(sect) + " '" + ctx_.proxy->name + "' has no " +
                                (row->cap == Cap::frontend ? "frontend" : "backend") + " capability.";
        if (row->cap_fatal) {
          const std::string where = "parsing [" + ctx_.origin.file + ":" + std::to_string(ctx_.origin.line) + "] : ";
          ctx_.alert(Form::bare, where + "'" + kw + "' not allowed because " + why);
          return;
        }
        std::string msg = "'" + kw + "' ignored because " + why;
        if (kw == "fullconn") msg += " Maybe you want 'maxconn' instead ?";
        ctx_.warning(msg);
      }
    }
  }
  try {
    row->parse(ctx_, words);
  } catch (const std::exception& e) {
    ctx_.alert(std::string(kw) + " : " + e.what());
  }
}

void Parser::finish() {
  close_section();
  for (auto& p : ctx_.proxies) ctx_.config.proxies.push_back(std::move(p));
  check_userlists(ctx_.config, ctx_.diag);
  ctx_.proxies.clear();
  for (const auto& m : mailers_) ctx_.diag.warning("Removing incomplete section 'mailers " + m + "'.");
  // HAProxy refuses a `program` outside master-worker mode; inside, portero cannot start it.
  if (program_origin_) {
    if (!ctx_.config.global.master_worker) {
      ctx_.diag.alert("Can't use a 'program' section without master worker mode.");
    } else {
      ctx_.origin = *program_origin_;
      check_unimplemented(ctx_, GapContext::section, "program");
    }
  }
}

}  // namespace portero::config
