// ACL lines, conditions and log-format-like strings compiled into immutable trees. Conditions
// evaluate with HAProxy's three-valued logic: an ACL is the OR of its lines, a suite the AND of
// its terms, a condition the OR of its suites; `miss` survives negation.
#include <algorithm>
#include <cstring>
#include <optional>
#include <map>
#include <mutex>

#include "maps.h"
#include "pattern.h"
#include "sample.h"

namespace portero::acl {
namespace {

Tri tri_and(Tri a, Tri b) {
  if (a == Tri::no || b == Tri::no) return Tri::no;
  if (a == Tri::miss || b == Tri::miss) return Tri::miss;
  return Tri::yes;
}
Tri tri_or(Tri a, Tri b) {
  if (a == Tri::yes || b == Tri::yes) return Tri::yes;
  if (a == Tri::miss || b == Tri::miss) return Tri::miss;
  return Tri::no;
}
Tri tri_not(Tri a) { return a == Tri::yes ? Tri::no : a == Tri::no ? Tri::yes : Tri::miss; }

// One `acl` line: a sample expression, a matching method and its patterns.
struct AclExpr {
  SampleExpr expr;
  PatternSet patterns;
  const config::Userlist* userlist = nullptr;  // http_auth_group
  std::string keyword;          // as written, without arguments (for messages)
  bool response_only = false;   // its fetch reads the response

  bool match(Sample& smp, Scratch& sc) const {
    if (patterns.kind != MatchKind::auth_group) return patterns.match(smp, sc);
    if (!userlist || !cast_to_str(smp, sc)) return false;
    const auto* u = userlist->find_user(smp.s);
    if (!u) return false;
    for (const auto& g : patterns.strings())
      if (std::find(u->groups.begin(), u->groups.end(), g) != u->groups.end()) return true;
    return false;
  }

  Tri eval(const SampleContext& ctx, Scratch& sc) const {
    FetchState st;
    Tri res = Tri::no;
    while (true) {
      Sample smp;
      sc.next = 0;
      if (!expr.fetch.def->fn(expr.fetch, ctx, true, st, smp)) {
        if (smp.may_change) res = Tri::miss;
        return res;
      }
      const bool more = st.more;
      if (expr.convert(smp, sc, &ctx)) {
        if (match(smp, sc)) return Tri::yes;
        if (smp.may_change) res = Tri::miss;
      }
      if (!more) return res;
      st.more = false;
    }
  }
};

struct Acl {
  std::string name;
  std::vector<const AclExpr*> lines;
  Tri eval(const SampleContext& ctx, Scratch& sc) const {
    Tri r = Tri::no;
    for (const AclExpr* e : lines) {
      r = tri_or(r, e->eval(ctx, sc));
      if (r == Tri::yes) break;
    }
    return r;
  }
};

struct Term {
  const Acl* acl;
  bool neg;
};

class CondImpl final : public Condition {
 public:
  std::vector<std::vector<Term>> suites;
  bool unless = false;

  Tri evaluate(const SampleContext& ctx) const override {
    Scratch sc;
    Tri cond = Tri::no;
    for (const auto& suite : suites) {
      Tri s = Tri::yes;
      for (const Term& t : suite) {
        Tri r = t.acl->eval(ctx, sc);
        if (t.neg) r = tri_not(r);
        s = tri_and(s, r);
        if (s == Tri::no) break;
      }
      cond = tri_or(cond, s);
      if (cond == Tri::yes) break;
    }
    return unless ? tri_not(cond) : cond;
  }
};

class NeverCond final : public Condition {
 public:
  Tri evaluate(const SampleContext&) const override { return Tri::no; }
};

class FormatImpl final : public Expression {
 public:
  struct Part {
    std::string literal;
    std::unique_ptr<SampleExpr> expr;
  };
  std::vector<Part> parts;

  int evaluate(const SampleContext& ctx, char* out, size_t cap) const override {
    Scratch sc;
    size_t n = 0;
    bool any = false;
    for (const auto& p : parts) {
      if (!p.expr) {
        if (n + p.literal.size() > cap) return -1;
        if (p.literal.size()) std::memcpy(out + n, p.literal.data(), p.literal.size());
        n += p.literal.size();
        any = true;
        continue;
      }
      Sample smp;
      sc.next = 0;
      if (!p.expr->eval(ctx, smp, sc)) continue;  // absent: nothing (HAProxy writes nothing)
      const int w = write_sample(smp, out + n, cap - n);
      if (w < 0) return -1;
      n += static_cast<size_t>(w);
      any = true;
    }
    return any ? static_cast<int>(n) : -1;
  }

  bool evaluate_key(const SampleContext& ctx, const stick::Table& t, stick::Key& k) const override {
    if (parts.size() != 1 || !parts[0].expr) return false;
    Scratch sc;
    Sample smp;
    if (!parts[0].expr->eval(ctx, smp, sc)) return false;
    return sample_to_key(smp, t, k);
  }

  int evaluate_binary(const SampleContext& ctx, char* out, size_t cap) const override {
    if (parts.size() != 1 || !parts[0].expr) return evaluate(ctx, out, cap);
    Scratch sc;
    Sample smp;
    if (!parts[0].expr->eval(ctx, smp, sc)) return -1;
    switch (smp.type) {
      case SmpType::ipv4:
      case SmpType::ipv6: {
        const size_t n = smp.type == SmpType::ipv4 ? 4 : 16;
        if (n > cap) return -1;
        std::memcpy(out, smp.ip, n);
        return static_cast<int>(n);
      }
      case SmpType::sint:
      case SmpType::boolean: {
        if (cap < 8) return -1;
        const uint64_t v = static_cast<uint64_t>(smp.i);
        for (int k = 0; k < 8; ++k) out[k] = static_cast<char>(v >> (56 - 8 * k));
        return 8;
      }
      default:
        if (smp.s.size() > cap) return -1;
        if (!smp.s.empty()) std::memcpy(out, smp.s.data(), smp.s.size());
        return static_cast<int>(smp.s.size());
    }
  }
};

// ACL keywords that are not fetch names: <family>_<method> and a few aliases.
struct AclKeyword {
  std::string fetch;
  MatchKind kind;
};

bool acl_keyword(const std::string& kw, AclKeyword& out) {
  static const std::pair<const char*, const char*> kFamilies[] = {
      {"path", "path"}, {"url", "url"},   {"base", "base"},     {"hdr", "hdr"},
      {"cook", "cook"}, {"urlp", "urlp"}, {"shdr", "shdr"},     {"req.hdr", "req.hdr"},
      {"res.hdr", "res.hdr"}, {"req.cook", "req.cook"}, {"url_param", "url_param"}};
  static const std::pair<const char*, MatchKind> kSuffixes[] = {
      {"beg", MatchKind::beg}, {"end", MatchKind::end}, {"sub", MatchKind::sub}, {"reg", MatchKind::reg},
      {"dir", MatchKind::dir}, {"dom", MatchKind::dom}, {"len", MatchKind::len}, {"val", MatchKind::integer},
      {"ip", MatchKind::ip},   {"str", MatchKind::str}, {"found", MatchKind::found}};
  // Keywords of their own: the TLS ones HAProxy declares.
  static const struct {
    const char* kw;
    const char* fetch;
    MatchKind kind;
  } kOwn[] = {{"ssl_fc_sni_end", "ssl_fc_sni", MatchKind::end}, {"ssl_fc_sni_reg", "ssl_fc_sni", MatchKind::reg}};
  for (const auto& o : kOwn)
    if (kw == o.kw) {
      out = {o.fetch, o.kind};
      return true;
    }
  const size_t us = kw.rfind('_');
  if (us == std::string::npos) return false;
  const std::string fam = kw.substr(0, us), suf = kw.substr(us + 1);
  for (const auto& [f, fetch] : kFamilies) {
    if (fam != f) continue;
    for (const auto& [s, k] : kSuffixes)
      if (suf == s) {
        out = {fetch, k};
        return true;
      }
  }
  return false;
}

MatchKind default_kind(SmpType t) {
  switch (t) {
    case SmpType::boolean: return MatchKind::boolean;
    case SmpType::sint: return MatchKind::integer;
    case SmpType::ipv4:
    case SmpType::ipv6: return MatchKind::ip;
    default: return MatchKind::str;
  }
}

const char* const kPredefined[][2] = {
    {"FALSE", "always_false"},
    {"HTTP", "req.proto_http"},
    {"HTTP_1.0", "req.ver 1.0"},
    {"HTTP_1.1", "req.ver 1.1"},
    {"HTTP_CONTENT", "req.hdr_val(content-length) gt 0"},
    {"HTTP_URL_ABS", "url_reg ^[^/:]*://"},
    {"HTTP_URL_SLASH", "url_beg /"},
    {"HTTP_URL_STAR", "url *"},
    {"LOCALHOST", "src 127.0.0.1/8 ::1"},
    {"METH_CONNECT", "method CONNECT"},
    {"METH_DELETE", "method DELETE"},
    {"METH_GET", "method GET HEAD"},
    {"METH_HEAD", "method HEAD"},
    {"METH_OPTIONS", "method OPTIONS"},
    {"METH_POST", "method POST"},
    {"METH_PUT", "method PUT"},
    {"METH_TRACE", "method TRACE"},
    {"RDP_COOKIE", "req.rdp_cookie_cnt gt 0"},
    {"REQ_CONTENT", "req.len gt 0"},
    {"TRUE", "always_true"},
    {"WAIT_END", "wait_end"},
};

std::string kind_name(config::Proxy::Kind k) {
  switch (k) {
    case config::Proxy::Kind::frontend: return "frontend";
    case config::Proxy::Kind::backend: return "backend";
    case config::Proxy::Kind::listen: return "listen";
    default: return "defaults";
  }
}

const char* layer_name(config::TcpRequestRule::Layer l) {
  switch (l) {
    case config::TcpRequestRule::Layer::connection: return "connection";
    case config::TcpRequestRule::Layer::session: return "session";
    default: return "content";
  }
}

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string join(const std::vector<std::string>& w) {
  std::string out;
  for (const auto& x : w) {
    out += x;
    out += '\x1f';
  }
  return out;
}

class CompiledImpl final : public Compiled {
 public:
  CompiledImpl(const config::Config& cfg) : cfg_(cfg) {}

  const Condition* condition(int proxy_index, const std::vector<std::string>& words) const override {
    if (words.empty()) return nullptr;
    std::lock_guard lock(mu_);
    auto key = std::to_string(proxy_index) + '\x1e' + join(words);
    auto it = conds_.find(key);
    if (it != conds_.end()) return it->second.get();
    // Not seen by compile(): compile now; errors make a condition that never matches.
    config::Diagnostics d;
    auto c = const_cast<CompiledImpl*>(this)->compile_condition(proxy_index, words, {}, "error detected while parsing condition : ", d);
    const Condition* r = c ? static_cast<const Condition*>(c) : &never_;
    return r;
  }

  const Expression* format(int proxy_index, const std::string& text) const override {
    std::lock_guard lock(mu_);
    auto key = std::to_string(proxy_index) + '\x1e' + text;
    auto it = formats_.find(key);
    if (it != formats_.end()) return it->second.get();
    std::string err;
    auto f = const_cast<CompiledImpl*>(this)->compile_format(proxy_index, text, err);
    return f;
  }

  std::string format_error(int proxy_index, const std::string& text) const override {
    std::lock_guard lock(mu_);
    std::string err;
    const_cast<CompiledImpl*>(this)->compile_format(proxy_index, text, err);
    return err;
  }

  // Compiles every named ACL of a proxy. Errors go to diag.
  void compile_acls(int proxy_index, const config::Proxy& px, config::Diagnostics& diag) {
    auto& named = named_[proxy_index];
    for (const auto& line : px.acls) {
      std::string err;
      auto e = compile_acl_line(proxy_index, line.words, err, diag);
      if (!e && err_stage_ == config::Stage::check) {
        diag.alert(config::Stage::check, line.origin, config::Form::tight, err + ".");
        continue;
      }
      if (!e) {
        diag.alert(line.origin, "error detected while parsing ACL '" + line.name + "' : " + err + ".");
        continue;
      }
      Acl*& acl = named[line.name];
      if (!acl) {
        acls_.push_back(std::make_unique<Acl>());
        acl = acls_.back().get();
        acl->name = line.name;
      }
      acl->lines.push_back(e);
    }
  }

  void compile_predefined(config::Diagnostics& diag) {
    for (const auto& p : kPredefined) {
      std::string err;
      auto e = compile_acl_line(-1, split_words(p[1]), err, diag);
      if (!e) continue;  // cannot happen: the table is ours
      acls_.push_back(std::make_unique<Acl>());
      acls_.back()->name = p[0];
      acls_.back()->lines.push_back(e);
      predefined_[p[0]] = acls_.back().get();
    }
  }

  // `words` = {"if"|"unless", ...}. `what` names the rule for messages ("switching rule").
  // `what` is the message prefix up to the reason; `period` ends the message with '.'.
  const CondImpl* compile_condition(int proxy_index, const std::vector<std::string>& words,
                                    const std::optional<config::Origin>& origin, const std::string& what,
                                    config::Diagnostics& diag, bool period = true,
                                    config::Stage stage = config::Stage::parse) {
    auto key = std::to_string(proxy_index) + '\x1e' + join(words);
    if (auto it = conds_.find(key); it != conds_.end()) return it->second.get();
    auto fail = [&](const std::string& why) -> const CondImpl* {
      const std::string text = what + why + (period ? "." : "");
      diag.alert(stage, origin, config::Form::parsing, text);
      return nullptr;
    };
    auto c = std::make_unique<CondImpl>();
    size_t i = 0;
    if (words[0] == "if") i = 1;
    else if (words[0] == "unless") i = 1, c->unless = true;
    else return fail("unknown condition keyword '" + words[0] + "' (expects 'if' or 'unless')");
    std::vector<Term> suite;
    bool neg = false;
    for (; i < words.size(); ++i) {
      std::string w = words[i];
      if (w == "!") {
        neg = !neg;
        continue;
      }
      if (w == "||" || w == "or" || w == "OR") {  // HAProxy accepts all three
        if (!suite.empty()) c->suites.push_back(std::move(suite));
        suite.clear();
        neg = false;
        continue;
      }
      if (!w.empty() && w[0] == '!') {
        neg = !neg;
        w.erase(0, 1);
      }
      const Acl* acl = nullptr;
      if (w == "{") {
        size_t j = i + 1;
        while (j < words.size() && words[j] != "}") ++j;
        if (j == words.size()) return fail("missing closing '}' in condition");
        std::vector<std::string> inner(words.begin() + static_cast<long>(i) + 1, words.begin() + static_cast<long>(j));
        if (inner.empty()) return fail("missing fetch method in ACL expression ''");
        std::string err;
        auto e = compile_acl_line(proxy_index, inner, err, diag);
        if (!e && err_stage_ == config::Stage::check && origin) {
          diag.alert(config::Stage::check, origin, config::Form::tight, err + ".");
          return nullptr;
        }
        if (!e) return fail(err);
        acls_.push_back(std::make_unique<Acl>());
        acls_.back()->name = "anonymous";
        acls_.back()->lines.push_back(e);
        acl = acls_.back().get();
        i = j;
      } else {
        acl = find_acl(proxy_index, w);
        if (!acl) return fail("no such ACL : '" + w + "'");
      }
      suite.push_back({acl, neg});
      neg = false;
    }
    if (!suite.empty()) c->suites.push_back(std::move(suite));
    const CondImpl* r = c.get();
    conds_[key] = std::move(c);
    return r;
  }

  // HAProxy's warning for a condition that reads the response where there is none yet
  // (`where` names the rule, e.g. "frontend http-request header rule"); once per condition.
  static void warn_response_fetch(const CondImpl* c, const config::Origin& origin, const std::string& where,
                                  config::Diagnostics& diag) {
    if (!c) return;
    for (const auto& suite : c->suites)
      for (const Term& t : suite)
        for (const AclExpr* e : t.acl->lines)
          if (e->response_only) {
            diag.warning(origin, (t.acl->name == "anonymous" ? std::string("anonymous acl")
                                                             : "acl '" + t.acl->name + "'") +
                                     " will never match because it uses keyword '" + e->keyword +
                                     "' which is incompatible with '" + where + "'");
            return;
          }
  }

  const FormatImpl* compile_format(int proxy_index, const std::string& text, std::string& err) {
    auto key = std::to_string(proxy_index) + '\x1e' + text;
    if (auto it = formats_.find(key); it != formats_.end()) return it->second.get();
    auto f = std::make_unique<FormatImpl>();
    std::string lit;
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '%' && i + 1 < text.size() && text[i + 1] == '%') {
        lit += '%';
        ++i;
      } else if (text[i] == '%' && i + 1 < text.size() && text[i + 1] == '[') {
        // The closing ']' outside quotes and brackets (regexes may hold classes).
        size_t end = std::string::npos;
        int depth = 0;
        char quote = 0;
        for (size_t k = i + 2; k < text.size() && end == std::string::npos; ++k) {
          const char ch = text[k];
          if (quote) {
            if (ch == '\\' && k + 1 < text.size()) ++k;
            else if (ch == quote) quote = 0;
          } else if (ch == '\\' && k + 1 < text.size()) {
            ++k;
          } else if (ch == '"' || ch == '\'') {
            quote = ch;
          } else if (ch == '[') {
            ++depth;
          } else if (ch == ']') {
            if (depth == 0) end = k;
            else --depth;
          }
        }
        if (end == std::string::npos) {
          err = "missing ']' after '" + text.substr(i + 2) + "'";   // HAProxy's words
          return nullptr;
        }
        if (!lit.empty()) f->parts.push_back({std::move(lit), nullptr});
        lit.clear();
        auto e = std::make_unique<SampleExpr>();
        if (!compile_expr(std::string_view(text).substr(i + 2, end - i - 2), cfg_, proxy_index, *e, err)) {
          err = "failed to parse sample expression <" + text.substr(i + 2) + "> : " + err;
          return nullptr;
        }
        f->parts.push_back({{}, std::move(e)});
        i = end;
      } else {
        lit += text[i];
      }
    }
    if (!lit.empty()) f->parts.push_back({std::move(lit), nullptr});
    const FormatImpl* r = f.get();
    formats_[key] = std::move(f);
    return r;
  }

 private:
  const Acl* find_acl(int proxy_index, const std::string& name) const {
    if (auto p = named_.find(proxy_index); p != named_.end())
      if (auto it = p->second.find(name); it != p->second.end()) return it->second;
    if (auto it = predefined_.find(name); it != predefined_.end()) return it->second;
    return nullptr;
  }

  // `words` = FETCH [flags] [operator] VALUE...
  const AclExpr* compile_acl_line(int proxy_index, const std::vector<std::string>& words, std::string& err,
                                  config::Diagnostics& diag) {
    err_stage_ = config::Stage::parse;
    auto e = std::make_unique<AclExpr>();
    const std::string& kw = words[0];
    // The keyword: a fetch expression, or <family>_<method>(args)[,conv...].
    size_t pos = 0;
    CallText ct;
    if (std::string pe = parse_call(kw, pos, ct); !pe.empty()) {
      err = pe;
      return nullptr;
    }
    AclKeyword ak;
    bool has_kind = false;
    MatchKind kind = MatchKind::str;
    std::string expr_text = kw;
    if (!find_fetch(ct.name) && acl_keyword(ct.name, ak)) {
      expr_text = ak.fetch + kw.substr(ct.name.size());
      kind = ak.kind;
      has_kind = true;
    }
    if (ct.name == "http_auth_group") {
      kind = MatchKind::auth_group;
      has_kind = true;
    }
    if (ct.name == "hdr_val" || ct.name == "urlp_val" || ct.name == "cook_val") has_kind = true;
    if (ct.name.empty()) {
      err = "missing fetch method in ACL expression '" + kw + "'";
      return nullptr;
    }
    if (!find_fetch(ct.name) && !has_kind) {
      err = "unknown fetch method '" + ct.name + "' in ACL expression '" + kw + "'";
      return nullptr;
    }
    std::string xerr;
    if (!compile_expr(expr_text, cfg_, proxy_index, e->expr, xerr)) {
      const std::string fm = "fetch method '";
      // HAProxy words it after the ACL keyword when there is one, else after the fetch.
      const bool acl_kw = has_kind || ct.name == "path" || ct.name == "url" || ct.name == "base" ||
                          ct.name == "hdr" || ct.name == "cook" || ct.name == "urlp" || ct.name == "shdr" ||
                          ct.name == "scook" || ct.name == "method" || ct.name == "req.ver" || ct.name == "resp.ver";
      if (xerr.starts_with("invalid args in fetch method") ||
          xerr.ends_with("expects an integer or a variable name")) {
        err = xerr + " in ACL expression '" + kw + "'";
      } else if (xerr.starts_with("unknown converter")) {
        err = acl_kw ? "ACL keyword '" + ct.name + "' : " + xerr : xerr + " in ACL expression '" + kw + "'";
      } else if (xerr.starts_with(fm)) {
        err = acl_kw ? "ACL keyword '" + ct.name + xerr.substr(xerr.find('\'', fm.size()))
                     : xerr + " in ACL expression '" + kw + "'";
      } else if (xerr.starts_with("unable to find")) {
        // Resolved by HAProxy's post-parse checks, which name the proxy.
        err = xerr.substr(0, xerr.find(" of fetch method")) + " of ACL keyword '" + ct.name + "' in proxy '" +
              (proxy_index >= 0 ? cfg_.proxies[static_cast<size_t>(proxy_index)].name : std::string()) + "'";
        err_stage_ = config::Stage::check;
      } else {
        err = "ACL keyword '" + ct.name + "' : " + xerr;
      }
      return nullptr;
    }
    if (!has_kind) kind = default_kind(e->expr.out_type());
    if (ct.name == "method") kind = MatchKind::str;
    if (e->expr.fetch.def->name == std::string_view("http_auth_group")) e->userlist = e->expr.fetch.args[0].userlist;

    // Flags.
    size_t i = 1;
    bool icase = false, explicit_end = false;
    std::vector<std::string> files;
    bool forced_method = false;
    for (; i < words.size(); ++i) {
      const std::string& w = words[i];
      if (w.size() < 2 || w[0] != '-') break;
      if (w == "--") {
        explicit_end = true;
        ++i;
        break;
      }
      if (w == "-i") icase = true;
      else if (w == "-n" || w == "-u") {
      } else if (w == "-M") {
      } else if (w == "-f" || w == "-m") {
        if (i + 1 >= words.size()) {
          err = "'" + w + "' expects a parameter";
          return nullptr;
        }
        if (w == "-f") {
          files.push_back(words[++i]);
        } else {
          MatchKind k;
          if (!match_kind_from_name(words[++i], k)) {
            err = "unknown matching method '" + words[i] + "' when parsing ACL expression";
            return nullptr;
          }
          kind = k;
          forced_method = true;
        }
      } else {
        err = "'" + w + "' is not a valid ACL option. Please use '--' before any pattern beginning with a '-'";
        return nullptr;
      }
    }
    // A fetch of any type (var) or a binary sample has no default matching method.
    if (!has_kind && !forced_method &&
        ((e->expr.convs.empty() && ct.name == "var") || e->expr.out_type() == SmpType::bin)) {
      err = "matching method must be specified first (using '-m') when using a sample fetch of this type ('" +
            ct.name + "')";
      return nullptr;
    }
    e->keyword = ct.name;
    {
      const std::string_view f = e->expr.fetch.def->name;
      e->response_only = f.starts_with("res.") || f.starts_with("shdr") || f == "status";
    }
    e->patterns.kind = kind;
    // req.ssl_ver's patterns are versions ("3.1"), unless another method is forced.
    e->patterns.dotted = !forced_method && e->expr.convs.empty() &&
                         (ct.name == "req.ssl_ver" || ct.name == "req_ssl_ver");
    // Known methods compare exactly whatever -i says (HAProxy matches them by method id).
    e->patterns.icase = icase && ct.name != "method";
    std::string op;
    size_t npat = 0;
    auto add = [&](const std::string& p) {
      if ((kind == MatchKind::integer || kind == MatchKind::len) &&
          (p == "eq" || p == "ge" || p == "gt" || p == "le" || p == "lt")) {
        op = p;
        return true;
      }
      ++npat;
      return e->patterns.add(p, op, err);
    };
    for (const auto& f : files) {
      std::vector<std::string> lines;
      if (!read_pattern_file(f, lines)) {
        err = "failed to open pattern file <" + f + ">";
        return nullptr;
      }
      for (const auto& l : lines)
        if (!add(l)) return nullptr;
    }
    for (; i < words.size(); ++i)
      if (!add(words[i])) return nullptr;
    e->patterns.finish();
    if (npat == 0 && files.empty() && !explicit_end && !forced_method && kind != MatchKind::found &&
        kind != MatchKind::boolean && proxy_index >= 0)
      diag.warning("parsing acl keyword '" + kw +
                   "' :\n  no pattern to match against were provided, so this ACL will never match.\n"
                   "  If this is what you intended, please add '--' to get rid of this warning.\n"
                   "  If you intended to match only for existence, please use '-m found'.\n"
                   "  If you wanted to force an int to match as a bool, please use '-m bool'.\n");
    exprs_.push_back(std::move(e));
    return exprs_.back().get();
  }

  const config::Config& cfg_;
  config::Stage err_stage_ = config::Stage::parse;  // of compile_acl_line's last error
  mutable std::mutex mu_;
  NeverCond never_;
  std::vector<std::unique_ptr<AclExpr>> exprs_;
  std::vector<std::unique_ptr<Acl>> acls_;
  std::map<int, std::map<std::string, Acl*>> named_;
  std::map<std::string, Acl*> predefined_;
  std::map<std::string, std::unique_ptr<CondImpl>> conds_;
  std::map<std::string, std::unique_ptr<FormatImpl>> formats_;
};

}  // namespace

// A backend or server name built per request (`use_backend %[...]`, `use-server %[...]`) is
// rendered before any response exists: HAProxy refuses response header fetches there. The
// reason, or empty.
static std::string response_fetch_in_name(const std::string& text) {
  static constexpr std::string_view kResHeaders[] = {"res.hdr", "shdr", "res.fhdr", "res.hdr_cnt", "shdr_cnt",
                                                     "res.ver"};
  for (size_t i = text.find("%["); i != std::string::npos; i = text.find("%[", i + 2)) {
    const std::string_view rest = std::string_view(text).substr(i + 2);
    const std::string_view fetch = rest.substr(0, rest.find_first_of("(,] \t"));
    for (auto r : kResHeaders)
      if (fetch == r)
        return "sample fetch <" + std::string(rest) +
               "> may not be reliably used here because it needs 'HTTP response headers' which is not available here";
  }
  return {};
}

std::unique_ptr<Compiled> compile(const config::Config& cfg, config::Diagnostics& diag) {
  const int before = diag.error_count();
  auto c = std::make_unique<CompiledImpl>(cfg);
  c->compile_predefined(diag);
  for (size_t i = 0; i < cfg.proxies.size(); ++i) c->compile_acls(static_cast<int>(i), cfg.proxies[i], diag);
  for (size_t i = 0; i < cfg.proxies.size(); ++i) {
    const auto& px = cfg.proxies[i];
    const int pi = static_cast<int>(i);
    for (const auto& r : px.tcp_request_rules)
      if (!r.condition.empty())
        c->compile_condition(pi, r.condition, r.origin,
                             "'tcp-request " + std::string(layer_name(r.layer)) + " " + r.action_name +
                                 "' : error detected in " + kind_name(px.kind) + " '" + px.name + "' while parsing '" +
                                 r.condition[0] + "' condition : ",
                             diag, false);
    const std::string side = px.kind == config::Proxy::Kind::backend ? "backend" : "frontend";
    for (const auto& r : px.http_request_rules)
      if (!r.condition.empty())
        CompiledImpl::warn_response_fetch(
            c->compile_condition(pi, r.condition, r.origin,
                                 "error detected while parsing an 'http-request " + r.action_name + "' condition : ",
                                 diag, true, config::Stage::abort),
            r.origin, side + " http-request header rule", diag);
    for (const auto& r : px.http_response_rules)
      if (!r.condition.empty())
        c->compile_condition(pi, r.condition, r.origin,
                             "error detected while parsing an 'http-response " + r.action_name + "' condition : ", diag,
                             true, config::Stage::abort);
    for (const auto& r : px.redirect_rules)
      if (!r.condition.empty())
        c->compile_condition(pi, r.condition, r.origin, "error detected while parsing redirect rule : ", diag);
    for (const auto& cond : px.force_persist)
      c->compile_condition(pi, cond, px.force_persist_origin, "error detected while parsing a 'force-persist' rule : ", diag);
    for (const auto& cond : px.ignore_persist)
      c->compile_condition(pi, cond, px.ignore_persist_origin, "error detected while parsing an 'ignore-persist' rule : ", diag);
    for (const auto& cond : px.monitor_fail)
      if (!cond.empty())
        c->compile_condition(pi, cond, px.origin, "error detected while parsing a 'monitor fail' condition : ", diag);
    for (const auto& u : px.use_backends) {
      if (!u.condition.empty())
        CompiledImpl::warn_response_fetch(
            c->compile_condition(pi, u.condition, u.origin, "error detected while parsing switching rule : ", diag),
            u.origin, "frontend use-backend rule", diag);
      if (u.backend.find("%[") != std::string::npos) {
        std::string err;
        // HAProxy parses dynamic names in its post-parse checks.
        if (c->compile_format(pi, u.backend, err)) err = response_fetch_in_name(u.backend);
        if (!err.empty())
          diag.alert(config::Stage::check, std::nullopt, config::Form::parsing,
                     "Parsing [" + u.origin.file + ":" + std::to_string(u.origin.line) +
                         "]: failed to parse use_backend rule '" + u.backend + "' : " + err + ".");
      }
    }
    for (const auto& u : px.use_servers) {
      CompiledImpl::warn_response_fetch(
          c->compile_condition(pi, u.condition, u.origin, "error detected while parsing switching rule : ", diag),
          u.origin, "backend use-server, balance or stick-match rule", diag);
      if (u.dynamic()) {
        std::string err;
        if (c->compile_format(pi, u.server, err)) err = response_fetch_in_name(u.server);
        if (!err.empty())
          diag.alert(config::Stage::check, std::nullopt, config::Form::parsing,
                     "Parsing [" + u.origin.file + ":" + std::to_string(u.origin.line) +
                         "]; use-server rule failed to parse log-format '" + u.server + "' : " + err + ".");
      }
    }
    if (!px.stats_admin_condition.empty())
      c->compile_condition(pi, px.stats_admin_condition, px.origin,
                          "error detected while parsing a 'stats admin' rule : ", diag);
  }
  if (diag.error_count() > before) return nullptr;
  return c;
}

std::optional<std::string> evaluate_to_string(const Expression& e, const SampleContext& ctx) {
  std::string out(65536, '\0');
  const int n = e.evaluate(ctx, out.data(), out.size());
  if (n < 0) return std::nullopt;
  out.resize(static_cast<size_t>(n));
  return out;
}

// VarStore -----------------------------------------------------------------------------------

bool VarStore::store(std::string_view name, Type t, int64_t i, std::string_view s) {
  unset(name);
  if (count_ == kMaxVars || used_ + name.size() + s.size() > kArena) return false;
  Slot& sl = slots_[count_++];
  sl.name_off = static_cast<uint32_t>(used_);
  sl.name_len = static_cast<uint32_t>(name.size());
  if (name.size()) std::memcpy(arena_ + used_, name.data(), name.size());
  used_ += name.size();
  sl.val_off = static_cast<uint32_t>(used_);
  sl.val_len = static_cast<uint32_t>(s.size());
  if (!s.empty()) std::memcpy(arena_ + used_, s.data(), s.size());
  used_ += s.size();
  sl.type = t;
  sl.i = i;
  return true;
}

bool VarStore::set_str(std::string_view name, std::string_view value) { return store(name, Type::str, 0, value); }
bool VarStore::set_int(std::string_view name, int64_t value, bool boolean) {
  return store(name, boolean ? Type::boolean : Type::sint, value, {});
}

void VarStore::unset(std::string_view name) {
  for (size_t k = 0; k < count_; ++k)
    if (std::string_view(arena_ + slots_[k].name_off, slots_[k].name_len) == name) {
      // The arena space is not reclaimed until clear(): a transaction sets few variables.
      slots_[k] = slots_[--count_];
      return;
    }
}

VarStore::Value VarStore::get(std::string_view name) const {
  for (size_t k = 0; k < count_; ++k)
    if (std::string_view(arena_ + slots_[k].name_off, slots_[k].name_len) == name)
      return {slots_[k].type, slots_[k].i, {arena_ + slots_[k].val_off, slots_[k].val_len}};
  return {};
}

}  // namespace portero::acl
