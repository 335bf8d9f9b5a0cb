// Error pages: `errorfile`, `errorloc|errorloc302|errorloc303`, `errorfiles`, `http-error` in
// proxies, and `http-errors` sections. Each proxy line is kept as an ErrorDirective, in order,
// and resolved once every section is read (resolve_error_pages), as HAProxy does: a section
// may be declared after the proxies using it, and a later line replaces an earlier one.
#include <fstream>
#include <sstream>

#include "parse_context.h"

namespace portero::config {
namespace {

// The statuses HAProxy answers itself, which error pages may replace (HAProxy 2.6.12's list).
constexpr int kHandled[] = {200, 400, 401, 403, 404, 405, 407, 408, 410, 413,
                            421, 422, 425, 429, 500, 501, 502, 503, 504};

bool handled(int code) {
  for (int h : kHandled)
    if (code == h) return true;
  return false;
}

// The code as atol reads it ("abc" is 0); HAProxy's messages show that number.
bool handled_status(const std::string& word, int& code) {
  code = int(std::atol(word.c_str()));
  return handled(code);
}

// `errorfile <code> <file>`, in a proxy or an http-errors section: the file as read, or an
// alert (false).
bool read_errorfile(ParseContext& c, const Args& a, int& code, std::string& page) {
  if (a.size() < 3 || a[1].empty() || a[2].empty()) {
    c.alert("errorfile : expects <status_code> and <file> as arguments.\n");
    return false;
  }
  if (!handled_status(a[1], code)) {
    c.alert("errorfile : status code '" + std::to_string(code) + "' not handled.");
    return false;
  }
  std::ifstream in(a[2], std::ios::binary);
  if (!in) {
    c.alert("errorfile : error opening file '" + a[2] + "'.");
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  page = ss.str();
  return true;
}

Proxy& px(ParseContext& c) { return *c.proxy; }

void kw_errorfile(ParseContext& c, const Args& a) {
  ErrorDirective d;
  d.origin = c.origin;
  if (!read_errorfile(c, a, d.status, d.page)) return;
  px(c).error_directives.push_back(std::move(d));
}

// `errorloc|errorloc302|errorloc303 <code> <url>`: instead of its own page for `code`, the
// proxy redirects the client to `url` (302, or 303 for errorloc303), as an errorfile would.
void kw_errorloc(ParseContext& c, const Args& a) {
  const std::string& kw = a[0];
  if (a.size() < 3) return c.alert(kw + " : expects <status_code> and <url> as arguments.\n");
  ErrorDirective d;
  d.origin = c.origin;
  if (!handled_status(a[1], d.status))
    return c.alert(kw + " : status code '" + std::to_string(d.status) + "' not handled.");
  const bool see_other = kw == "errorloc303";
  d.page = std::string(see_other ? "HTTP/1.1 303 See Other" : "HTTP/1.1 302 Found") +
           "\r\nCache-Control: no-cache\r\nContent-length: 0\r\nLocation: " + a[2] + "\r\n\r\n";
  px(c).error_directives.push_back(std::move(d));
}

// `errorfiles <name> [<code> ...]`: the pages of an http-errors section (all, or those named).
void kw_errorfiles(ParseContext& c, const Args& a) {
  if (a.size() < 2 || a[1].empty()) return c.alert("errorfiles : expects <name> as argument.");
  ErrorDirective d;
  d.origin = c.origin;
  d.kind = ErrorDirective::Kind::section;
  d.section = a[1];
  for (size_t i = 2; i < a.size() && !a[i].empty(); ++i) {
    int code = 0;
    if (!handled_status(a[i], code))
      return c.alert("errorfiles : status code '" + std::to_string(code) + "' not handled.");
    d.statuses.push_back(code);
  }
  px(c).error_directives.push_back(std::move(d));
}

// `http-error status <code> [content-type <type>] [payload] [hdr <name> <fmt>]...`
void kw_http_error(ParseContext& c, const Args& a) {
  ErrorDirective d;
  d.origin = c.origin;
  HttpRule& r = d.reply;
  if (!parse_http_error(c, a, r)) return;
  if (!r.ret.errorfiles.empty()) {
    d.kind = ErrorDirective::Kind::section;
    d.section = r.ret.errorfiles;
    d.statuses.push_back(r.ret.status);
  } else if (r.ret.default_errorfiles) {
    d.kind = ErrorDirective::Kind::builtin;
  } else if (r.ret.errorfile) {
    d.page = r.ret.body;
  } else {
    d.kind = ErrorDirective::Kind::reply;
  }
  d.status = r.ret.status;
  if (d.kind != ErrorDirective::Kind::reply) d.reply = HttpRule{};
  px(c).error_directives.push_back(std::move(d));
}

const KeywordRow kRows[] = {
    {kInProxies, "errorloc", true, Cap::any, false, kw_errorloc},
    {kInProxies, "errorloc302", true, Cap::any, false, kw_errorloc},
    {kInProxies, "errorloc303", true, Cap::any, false, kw_errorloc},
    {kInProxies, "errorfile", true, Cap::any, false, kw_errorfile},
    {kInProxies, "errorfiles", true, Cap::any, false, kw_errorfiles},
    {kInProxies, "http-error", true, Cap::any, false, kw_http_error},
};

}  // namespace

void open_http_errors(ParseContext& c, const Args& words) {
  c.http_errors = nullptr;
  if (words.size() < 2 || words[1].empty()) {
    c.alert("missing name for http-errors section.");
    c.abort = true;
    return;
  }
  const std::string& name = words[1];
  for (char ch : name)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.' || ch == ':')) {
      c.alert(std::string("character '") + ch + "' is not permitted in 'http-errors' name '" + name + "'.");
      break;
    }
  for (const auto& s : c.config.http_errors)
    if (s.name == name)
      c.alert(Form::tight, "http-errors section '" + name + "' already exists (declared at " + s.origin.file + ":" +
                               std::to_string(s.origin.line) + ").");
  HttpErrorsSection s;
  s.origin = c.origin;
  s.name = name;
  c.config.http_errors.push_back(std::move(s));
  c.http_errors = &c.config.http_errors.back();
}

void parse_http_errors_line(ParseContext& c, const Args& words) {
  if (words[0] != "errorfile") {
    c.alert("unknown keyword '" + words[0] + "' in 'http-errors' section");
    return;
  }
  int code = 0;
  std::string page;
  if (!read_errorfile(c, words, code, page) || !c.http_errors) return;
  c.http_errors->pages[code] = std::move(page);
}

void resolve_error_pages(Config& config, Diagnostics& diag) {
  auto find_section = [&](const std::string& name) -> const HttpErrorsSection* {
    for (const auto& s : config.http_errors)
      if (s.name == name) return &s;
    return nullptr;
  };
  for (Proxy& p : config.proxies) {
    // `return|deny ... errorfiles NAME`: the section's page for the rule's status.
    for (auto* rules : {&p.http_request_rules, &p.http_response_rules}) {
      for (HttpRule& r : *rules) {
        if (r.ret.errorfiles.empty()) continue;
        const HttpErrorsSection* s = find_section(r.ret.errorfiles);
        if (!s) {
          diag.alert("Proxy '" + p.name + "': unknown http-errors section '" + r.ret.errorfiles +
                     "' referenced by an http reply .");
          continue;
        }
        auto it = s->pages.find(r.ret.status);
        if (it == s->pages.end()) {
          diag.warning("Proxy '" + p.name + "': status '" + std::to_string(r.ret.status) +
                       "' referenced by an http reply not declared in http-errors section '" + s->name + "'.");
          r.ret.body.clear();   // an empty reply of that status
        } else {
          r.ret.body = it->second;
          r.ret.errorfile = true;
        }
        r.ret.errorfiles.clear();
      }
    }
    // The proxy's own directives after its defaults', one after the other.
    p.errorfiles.clear();
    p.error_replies.clear();
    std::map<int, const HttpRule*> replies;
    for (const ErrorDirective& d : p.error_directives) {
      switch (d.kind) {
        case ErrorDirective::Kind::page:
          p.errorfiles[d.status] = d.page;
          replies.erase(d.status);
          break;
        case ErrorDirective::Kind::builtin:
          p.errorfiles.erase(d.status);
          replies.erase(d.status);
          break;
        case ErrorDirective::Kind::reply:
          p.errorfiles.erase(d.status);
          replies[d.status] = &d.reply;
          break;
        case ErrorDirective::Kind::section: {
          const HttpErrorsSection* s = find_section(d.section);
          if (!s) {
            diag.alert("proxy '" + p.name + "': unknown http-errors section '" + d.section + "' (at " + d.origin.file +
                       ":" + std::to_string(d.origin.line) + ").");
            break;
          }
          auto take = [&](int code, bool named) {
            auto it = s->pages.find(code);
            if (it != s->pages.end()) {
              p.errorfiles[code] = it->second;
              replies.erase(code);
            } else if (named) {
              diag.warning("config: proxy '" + p.name + "' : status '" + std::to_string(code) +
                           "' not declared in http-errors section '" + s->name + "' (at " + d.origin.file + ":" +
                           std::to_string(d.origin.line) + ").");
            }
          };
          if (d.statuses.empty())
            for (int code : kHandled) take(code, false);
          else
            for (int code : d.statuses) take(code, true);
          break;
        }
      }
    }
    for (const auto& [status, r] : replies) p.error_replies.push_back(*r);
  }
}

void register_error_keywords(Registry& r) { r.add(kRows); }

}  // namespace portero::config
