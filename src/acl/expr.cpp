// Parsing of sample expressions "fetch(args),conv(args),..." and their single-value evaluation.
#include <charconv>
#include <map>
#include <mutex>

#include "maps.h"
#include "regex.h"
#include "sample.h"

namespace portero::acl {

std::string parse_call(std::string_view text, size_t& pos, CallText& out) {
  size_t i = pos;
  while (i < text.size() && text[i] != '(' && text[i] != ',') ++i;
  out.name = std::string(text.substr(pos, i - pos));
  out.args.clear();
  out.has_parens = false;
  if (i < text.size() && text[i] == '(') {
    out.has_parens = true;
    ++i;
    std::string cur;
    int depth = 0;
    char quote = 0;
    bool closed = false;
    for (; i < text.size(); ++i) {
      const char c = text[i];
      if (quote) {
        if (c == quote) quote = 0;
        // Inside double quotes only \" and \\ are escapes: "\1" stays a back-reference.
        else if (c == '\\' && quote == '"' && i + 1 < text.size() && (text[i + 1] == '"' || text[i + 1] == '\\'))
          cur += text[++i];
        else cur += c;
        continue;
      }
      if (c == '\\' && i + 1 < text.size()) {
        cur += text[++i];
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '(') {
        ++depth;
        cur += c;
      } else if (c == ')' && depth > 0) {
        --depth;
        cur += c;
      } else if (c == ')') {
        out.args.push_back(std::move(cur));
        closed = true;
        ++i;
        break;
      } else if (c == ',' && depth == 0) {
        out.args.push_back(std::move(cur));
        cur.clear();
      } else {
        cur += c;
      }
    }
    if (!closed) return "missing closing ')' after arguments to '" + out.name + "'";
  }
  pos = i;
  return {};
}

// What HAProxy's arithmetic converters say of an argument that is neither (a check of the
// converter's own, so worded after the expression rather than after the ACL keyword).
constexpr std::string_view kIntOrVar = "expects an integer or a variable name";

bool compile_args(const std::vector<std::string>& in, const ArgType* types, size_t ntypes, int min_args,
                  const config::Config& cfg, int proxy_index, std::vector<Arg>& out, std::string& err,
                  const char* what, const std::string& name) {
  size_t max = 0;
  while (max < ntypes && types[max] != ArgType::none) ++max;
  if (in.size() == 1 && in[0].empty() && (min_args == 0 || types[0] != ArgType::str)) {
    // `name()`: no argument at all (but `str()` is the empty string)
    return compile_args({}, types, ntypes, min_args, cfg, proxy_index, out, err, what, name);
  }
  if (in.size() < static_cast<size_t>(min_args)) {
    err = std::string(what) + " '" + name + "' : missing arguments (got " + std::to_string(in.size()) + "/" +
          std::to_string(min_args) + ")";
    return false;
  }
  if (in.size() > max) {
    // HAProxy stops reading at the first argument too many.
    std::string rest;
    for (size_t k = max; k < in.size(); ++k) rest += (k > 0 ? "," : "") + in[k];
    err = std::string(what) + " '" + name + "' : expected ')' before '" + rest + ")'";
    return false;
  }
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    Arg a;
    a.type = types[i];
    a.s = in[i];
    switch (types[i]) {
      case ArgType::sint_or_var: {
        // HAProxy's arithmetic converters: an integer, or a variable of a known scope.
        auto [p, ec] = std::from_chars(in[i].data(), in[i].data() + in[i].size(), a.i);
        if (!in[i].empty() && ec == std::errc() && p == in[i].data() + in[i].size()) break;
        size_t dot = in[i].find('.');
        std::string_view scope = std::string_view(in[i]).substr(0, dot);
        const bool named = dot != std::string::npos && dot + 1 < in[i].size() &&
                           (scope == "proc" || scope == "sess" || scope == "txn" || scope == "req" || scope == "res");
        if (!named) {
          err = std::string(what) + " '" + name + "' : " + std::string(kIntOrVar);
          return false;
        }
        a.var = true;
        break;
      }
      case ArgType::sint: {
        auto [p, ec] = std::from_chars(in[i].data(), in[i].data() + in[i].size(), a.i);
        if (in[i].empty() || ec != std::errc() || p != in[i].data() + in[i].size()) {
          err = std::string(what) + " '" + name + "' : failed to parse '" + in[i] + "' as type 'integer' at position " +
                std::to_string(i + 1);
          return false;
        }
        break;
      }
      case ArgType::backend: {
        bool found = false;
        for (size_t k = 0; k < cfg.proxies.size(); ++k)
          if (cfg.proxies[k].name == in[i] && cfg.proxies[k].is_backend()) {
            a.proxy_index = static_cast<int>(k);
            found = true;
            break;
          }
        if (!found) {
          err = "unable to find backend '" + in[i] + "' referenced in arg " + std::to_string(i + 1) + " of " + what +
                " '" + name + "'";
          return false;
        }
        break;
      }
      case ArgType::server: {
        std::string be, srv = in[i];
        const size_t slash = in[i].find('/');
        if (slash != std::string::npos) {
          be = in[i].substr(0, slash);
          srv = in[i].substr(slash + 1);
        }
        int px = -1;
        if (be.empty()) {
          px = proxy_index;
        } else {
          for (size_t k = 0; k < cfg.proxies.size(); ++k)
            if (cfg.proxies[k].name == be && cfg.proxies[k].is_backend()) px = static_cast<int>(k);
        }
        if (px < 0 || px >= static_cast<int>(cfg.proxies.size())) {
          err = "unable to find backend '" + be + "' referenced in arg " + std::to_string(i + 1) + " of " + what + " '" +
                name + "'";
          return false;
        }
        const auto& servers = cfg.proxies[static_cast<size_t>(px)].servers;
        for (size_t k = 0; k < servers.size(); ++k)
          if (servers[k].name == srv) a.server_index = static_cast<int>(k);
        if (a.server_index < 0) {
          err = "unable to find server '" + srv + "' in backend '" + cfg.proxies[static_cast<size_t>(px)].name +
                "' referenced in arg " + std::to_string(i + 1) + " of " + what + " '" + name + "'";
          return false;
        }
        a.proxy_index = px;
        break;
      }
      case ArgType::table: {
        // A proxy's table, or a peers section's (`<peers>/<table>`): its table index.
        a.proxy_index = cfg.find_table(in[i]);
        if (a.proxy_index < 0) {
          err = "unable to find table '" + in[i] + "' referenced in arg " + std::to_string(i + 1) + " of " + what +
                " '" + name + "'";
          return false;
        }
        break;
      }
      case ArgType::userlist:
        a.userlist = cfg.find_userlist(in[i]);
        if (!a.userlist) {
          err = "unable to find userlist '" + in[i] + "' referenced in arg " + std::to_string(i + 1) + " of " + what +
                " '" + name + "'";
          return false;
        }
        break;
      default:
        break;
    }
    out.push_back(std::move(a));
  }
  // src_* and table_* name their own proxy's table when no table is given: it must exist.
  if (std::string_view(what) != "converter" && (name.starts_with("src_") || name.starts_with("table_")))
    for (size_t i = in.size(); i < max; ++i)
      if (types[i] == ArgType::table) {
        const bool ok = proxy_index >= 0 && size_t(proxy_index) < cfg.proxies.size() &&
                        cfg.proxies[size_t(proxy_index)].stick_table;
        if (!ok) {
          err = "unable to find table '" +
                (proxy_index >= 0 ? cfg.proxies[size_t(proxy_index)].name : std::string()) +
                "' referenced in arg " + std::to_string(i + 1) + " of " + what + " '" + name + "'";
          return false;
        }
      }
  return true;
}

namespace {

// Maps are shared between expressions naming the same file with the same method and output.
std::shared_ptr<const MapData> load_map(const std::string& path, MatchKind kind, bool int_out, std::string& err) {
  static std::mutex mu;
  static std::map<std::string, std::weak_ptr<const MapData>> cache;
  const std::string key = path + '\0' + std::to_string(static_cast<int>(kind)) + (int_out ? "i" : "s");
  std::lock_guard lock(mu);
  if (auto p = cache[key].lock()) return p;
  auto m = std::make_shared<MapData>();
  m->keys.kind = kind;
  m->int_output = int_out;
  if (!m->load(path, err)) return nullptr;
  cache[key] = m;
  return m;
}

int prefix_of(const std::string& s, bool v6, bool& ok) {
  ok = true;
  int64_t bits = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), bits);
  if (!s.empty() && ec == std::errc() && p == s.data() + s.size()) {
    if (bits < 0 || bits > (v6 ? 128 : 32)) ok = false;
    return static_cast<int>(bits);
  }
  if (v6) {
    ok = false;
    return 0;
  }
  Sample tmp;
  if (!parse_ip(s, tmp) || tmp.type != SmpType::ipv4) {
    ok = false;
    return 0;
  }
  const uint32_t v = (uint32_t(tmp.ip[0]) << 24) | (uint32_t(tmp.ip[1]) << 16) | (uint32_t(tmp.ip[2]) << 8) | tmp.ip[3];
  int n = 0;
  while (n < 32 && (v & (0x80000000u >> n))) ++n;
  if (n < 32 && (v << n) != 0) ok = false;
  return n;
}

}  // namespace

bool prepare_conv(ConvCall& c, std::string& err) {
  const std::string& n = c.name;
  if (n == "map" || n.starts_with("map_")) {
    MatchKind kind = MatchKind::str;
    bool int_out = false;
    std::string_view rest = n == "map" ? std::string_view() : std::string_view(n).substr(4);
    if (!rest.empty()) {
      size_t us = rest.find('_');
      std::string_view m = rest.substr(0, us), out = us == std::string_view::npos ? "" : rest.substr(us + 1);
      if (m == "str") kind = MatchKind::str;
      else if (m == "beg") kind = MatchKind::beg;
      else if (m == "sub") kind = MatchKind::sub;
      else if (m == "dir") kind = MatchKind::dir;
      else if (m == "dom") kind = MatchKind::dom;
      else if (m == "end") kind = MatchKind::end;
      else if (m == "reg" || m == "regm") kind = MatchKind::reg;
      else if (m == "ip") kind = MatchKind::ip;
      else if (m == "int") kind = MatchKind::integer;
      else {
        err = "unknown converter '" + n + "'";
        return false;
      }
      if (out == "int") int_out = true;
      else if (!out.empty() && out != "str") {
        err = "unknown converter '" + n + "'";
        return false;
      }
    }
    c.map = load_map(c.args[0].s, kind, int_out, err);
    if (!c.map) return false;
    if (c.args.size() > 1) {
      // The default is a const member once loaded; keep it per call instead.
      auto m = std::make_shared<MapData>(*c.map);
      m->has_default = true;
      m->default_value = c.args[1].s;
      int64_t x = 0;
      std::from_chars(c.args[1].s.data(), c.args[1].s.data() + c.args[1].s.size(), x);
      m->int_default = x;
      c.map = m;
    }
    return true;
  }
  if (n == "regsub") {
    bool icase = false;
    if (c.args.size() > 2)
      for (char f : c.args[2].s) {
        if (f == 'i') icase = true;
        else if (f == 'g') c.flags |= 1;
        else {
          err = "invalid regex flag '" + std::string(1, f) + "', only 'i' and 'g' are supported";
          return false;
        }
      }
    c.regex = Regex::compile(c.args[0].s, icase, err);
    return c.regex != nullptr;
  }
  if (n == "ipmask") {
    bool ok;
    c.args[0].i = prefix_of(c.args[0].s, false, ok);
    if (!ok) {
      err = "invalid args in converter 'ipmask' : failed to parse '" + c.args[0].s + "' as type 'ipv4 mask' at position 1";
      return false;
    }
    if (c.args.size() > 1) {
      c.args[1].i = prefix_of(c.args[1].s, true, ok);
      if (!ok) {
        err = "invalid args in converter 'ipmask' : failed to parse '" + c.args[1].s +
              "' as type 'ipv6 mask' at position 2";
        return false;
      }
    }
    return true;
  }
  if (n == "field" || n == "word") {
    if (c.args[0].i == 0) {
      err = "invalid args in converter '" + n + "' : Unexpected value 0 for index.";
      return false;
    }
    if (c.args[1].s.empty()) {
      err = "invalid args in converter '" + n + "' : Empty separators list.";
      return false;
    }
    return true;
  }
  if (n == "json") {
    const std::string mode = c.args.empty() ? "" : c.args[0].s;
    if (mode.empty() || mode == "ascii") c.flags = 0;
    else if (mode == "utf8" || mode == "utf8p") c.flags = 1;
    else if (mode == "utf8s" || mode == "utf8ps") c.flags = 2;
    else {
      err = "invalid args in converter 'json' : Unexpected input code type. Allowed value are 'ascii', 'utf8', "
            "'utf8s', 'utf8p' and 'utf8ps'";
      return false;
    }
  }
  return true;
}

bool compile_expr(std::string_view text, const config::Config& cfg, int proxy_index, SampleExpr& out,
                  std::string& err) {
  out.text = std::string(text);
  size_t pos = 0;
  CallText ct;
  if (std::string e = parse_call(text, pos, ct); !e.empty()) {
    err = e;
    return false;
  }
  if (ct.name.empty()) {
    err = "missing fetch method";
    return false;
  }
  const FetchDef* f = find_fetch(ct.name);
  if (!f) {
    err = "unknown fetch method '" + ct.name + "'";
    return false;
  }
  out.fetch.def = f;
  out.fetch.proxy_index = proxy_index;
  if (!compile_args(ct.args, f->args, 3, f->min_args, cfg, proxy_index, out.fetch.args, err, "fetch method", ct.name))
    return false;
  if (f->check)
    if (const char* why = f->check(out.fetch.args)) {
      err = "invalid args in fetch method '" + ct.name + "' : " + why;
      return false;
    }
  while (pos < text.size()) {
    if (text[pos] != ',') {
      err = "syntax error: missing comma or ')' after '" + std::string(text.substr(0, pos)) + "'";
      return false;
    }
    ++pos;
    CallText cc;
    if (std::string e = parse_call(text, pos, cc); !e.empty()) {
      err = e;
      return false;
    }
    const ConvDef* d = find_conv(cc.name);
    if (!d || cc.name.empty()) {
      err = "unknown converter '" + cc.name + "'";
      return false;
    }
    ConvCall call;
    call.def = d;
    call.name = cc.name;
    if (!compile_args(cc.args, d->args, 3, d->min_args, cfg, proxy_index, call.args, err,
                      "invalid args in converter", cc.name))
      return false;
    if (d->check)
      if (const char* why = d->check(call.args)) {
        err = "invalid args in converter '" + cc.name + "' : " + why;
        return false;
      }
    if (!prepare_conv(call, err)) {
      if (!err.starts_with("invalid args") && !err.starts_with("unknown converter"))
        err = "invalid args in converter '" + cc.name + "' : " + err;
      return false;
    }
    out.convs.push_back(std::move(call));
  }
  return true;
}

bool SampleExpr::convert(Sample& smp, Scratch& scratch, const SampleContext* ctx) const {
  for (const auto& c : convs) {
    if (!c.args.empty() && c.args[0].var) {
      // A variable argument is read now and cast as a sample is ("12abc" is 12, "x" is 0, as
      // haproxy 2.6.12); an absent one fails the converter.
      if (!ctx || !ctx->vars) return false;
      VarStore::Value v = ctx->vars->get(c.args[0].s);
      Sample arg;
      if (v.type == VarStore::Type::none) return false;
      if (v.type == VarStore::Type::str) {
        arg.s = v.s;
      } else {
        arg.type = SmpType::sint;
        arg.i = v.i;
      }
      if (!cast_to_int(arg)) return false;
      scratch.var_arg = arg.i;
    }
    if (!c.def->fn(c, smp, scratch)) return false;
  }
  return true;
}

bool SampleExpr::eval(const SampleContext& ctx, Sample& out, Scratch& scratch) const {
  FetchState st;
  if (!fetch.def->fn(fetch, ctx, false, st, out)) return false;
  return convert(out, scratch, &ctx);
}

SmpType SampleExpr::out_type() const {
  if (convs.empty()) return fetch.def->out;
  const std::string& n = convs.back().name;
  if (n == "length" || n == "add" || n == "sub" || n == "mul" || n == "div" || n == "mod" || n == "neg" ||
      n == "and" || n == "or" || n == "xor")
    return SmpType::sint;
  if (n == "bool" || n == "not") return SmpType::boolean;
  if (n == "ipmask") return SmpType::ipv4;
  if (n.starts_with("map") && n.ends_with("_int")) return SmpType::sint;
  return SmpType::str;
}

}  // namespace portero::acl
