#include "portero/proxy/bound_rules.h"

#include <algorithm>

#include "portero/proxy/runtime.h"
#include "portero/http/error_pages.h"

#include "../acl/regex.h"
#include "portero/config/fetch_source.h"
#include "../acl/sample.h"

namespace portero::proxy {

namespace {

using Action = config::HttpRule::Action;

// Which actions carry a log-format (or, for set-var, a sample expression) in `fmt`.
bool has_format(Action a) {
  switch (a) {
    case Action::set_header: case Action::add_header: case Action::replace_header:
    case Action::replace_value: case Action::set_path: case Action::set_pathq: case Action::set_query:
    case Action::set_uri: case Action::set_method: case Action::set_var: case Action::set_var_fmt: case Action::replace_path:
    case Action::replace_pathq: case Action::replace_uri:
      return true;
    default:
      return false;
  }
}

// `kw`: "http-request" or "http-response", whose errors stop HAProxy's parsing at once; null
// for `redirect` rules.
bool bind_list(const acl::Compiled& acls, int pi, const std::vector<config::HttpRule>& rules,
               std::vector<BoundRule>& out, config::Diagnostics& diag, const config::Proxy& px,
               const char* kw) {
  bool ok = true;
  auto rule_error = [&](const config::HttpRule& r, const std::string& why) {
    const char* type = px.kind == config::Proxy::Kind::frontend ? "frontend"
                       : px.kind == config::Proxy::Kind::backend ? "backend" : "proxy";
    diag.alert(config::Stage::abort, r.origin, config::Form::parsing,
               "error detected in " + std::string(type) + " '" + px.name + "' while parsing '" + kw + " " +
                   r.action_name + "' rule : " + why + ".");
  };
  for (const auto& r : rules) {
    BoundRule b;
    b.rule = &r;
    b.cond = acls.condition(pi, r.condition);
    std::string text;
    const bool expr = r.action == Action::set_var || r.action == Action::capture || r.action == Action::track_sc ||
                      ((r.action == Action::sc_set_gpt0 || r.action == Action::sc_set_gpt) && !r.fmt.empty()) ||
                      (r.action == Action::set_timeout && !r.fmt.empty()) || r.action == Action::set_src ||
                      r.action == Action::set_src_port || r.action == Action::set_dst || r.action == Action::set_dst_port;
    if (expr) text = "%[" + r.fmt + "]";
    else if (r.action == Action::redirect) text = r.redirect.target;
    else if (has_format(r.action)) text = r.fmt;
    else if ((r.action == Action::return_ || r.action == Action::deny || r.action == Action::tarpit) && r.ret.lf)
      text = r.ret.body;   // lf-string / lf-file payload
    if (!text.empty()) {
      b.fmt = acls.format(pi, text);
      if (!b.fmt) {
        if (kw) {
          std::string why = acls.format_error(pi, text);
          // set-var and capture take an expression, not a format: no "failed to parse sample
          // expression <...> : ".
          if (expr)
            if (const size_t k = why.find("> : "); why.starts_with("failed to parse sample expression <") &&
                                                    k != std::string::npos)
              why.erase(0, k + 4);
          rule_error(r, why);
        } else {
          diag.alert(r.origin, "'" + r.action_name + "': failed to parse log-format '" + text + "'.");
        }
        ok = false;
      }
    }
    if (r.action == Action::replace_header || r.action == Action::replace_value || r.action == Action::replace_path ||
        r.action == Action::replace_pathq || r.action == Action::replace_uri) {
      std::string err;
      b.regex = acl::Regex::compile(r.regex, false, err);
      if (!b.regex) {
        const bool target = r.action == Action::replace_path || r.action == Action::replace_pathq ||
                            r.action == Action::replace_uri;
        if (kw) rule_error(r, (target ? "failed to parse the regex : " : "") + err);
        else diag.alert(r.origin, "'" + r.action_name + "': " + err);
        ok = false;
      }
    }
    for (const auto& [name, value] : r.return_headers) b.return_headers.push_back(acls.format(pi, value));
    if (r.ret.errorfile) b.page = http::normalize_errorfile(r.ret.body);
    out.push_back(std::move(b));
  }
  return ok;
}

// What a fetch needs that a log format cannot give it (HAProxy's words), or null. Traffic log
// formats are evaluated when the exchange is over: no request nor response buffer any more.
// unique-id-format is evaluated once the request is in: no response, no backend.
const char* unavailable_in_format(std::string_view fetch, bool unique_id) {
  const char* source = config::fetch_source(fetch);
  if (source && std::string_view(source) == "HTTP response headers") return source;
  if (unique_id) {
    if (fetch == "status") return "HTTP response";
    if (fetch == "be_name") return "backend";
    return nullptr;
  }
  if (fetch == "hdr") return "HTTP request headers,HTTP response headers";
  return config::is_response_source(source) ? nullptr : source;   // the server's status stays known
}

// Compiles the %[...] of proxy `pi`'s log formats into `out` (see BoundRules::format_samples).
log::SampleCompiler format_sample_compiler(const config::Config& cfg, const acl::Compiled& acls, int pi,
                                           bool unique_id, std::vector<const acl::Expression*>& out) {
  return [&cfg, &acls, pi, unique_id, &out](std::string_view expr, std::string_view rest, std::string& err) -> int {
    acl::SampleExpr e;
    std::string why;
    if (!acl::compile_expr(expr, cfg, pi, e, why)) {
      err = "failed to parse sample expression <" + std::string(rest) + "> : " + why;
      return -1;
    }
    const std::string_view fetch = e.fetch.def ? std::string_view(e.fetch.def->name) : std::string_view();
    if (const char* needs = unavailable_in_format(fetch, unique_id)) {
      err = "sample fetch <" + std::string(rest) + "> may not be reliably used here because it needs '" + needs +
            "' which is not available here";
      return -1;
    }
    const acl::Expression* x = acls.format(pi, "%[" + std::string(expr) + "]");
    if (!x) {
      err = "failed to parse sample expression <" + std::string(rest) + ">";
      return -1;
    }
    // req.proto_http: accepted, but HAProxy never has the request to tell at log time.
    if (!unique_id && (fetch == "req.proto_http" || fetch == "req_proto_http")) x = nullptr;
    out.push_back(x);
    return static_cast<int>(out.size() - 1);
  };
}

}  // namespace

std::unique_ptr<BoundRules> bind_rules(const config::Config& cfg, config::Diagnostics& diag) {
  auto br = std::make_unique<BoundRules>();
  br->acls = acl::compile(cfg, diag);
  if (!br->acls) return nullptr;
  const acl::Compiled& acls = *br->acls;
  bool ok = true;
  br->proxies.resize(cfg.proxies.size());
  for (size_t i = 0; i < cfg.proxies.size(); ++i) {
    const auto& px = cfg.proxies[i];
    const int pi = static_cast<int>(i);
    BoundProxy& bp = br->proxies[i];
    for (const auto& ub : px.use_backends) {
      bp.use_backend_cond.push_back(acls.condition(pi, ub.condition));
      bp.use_backend_name.push_back(ub.backend.find("%[") != std::string::npos ? acls.format(pi, ub.backend) : nullptr);
    }
    for (const auto& us : px.use_servers) {
      bp.use_server_cond.push_back(acls.condition(pi, us.condition));
      bp.use_server_name.push_back(us.dynamic() ? acls.format(pi, us.server) : nullptr);
    }
    ok = bind_list(acls, pi, px.http_request_rules, bp.http_request, diag, px, "http-request") && ok;
    ok = bind_list(acls, pi, px.http_response_rules, bp.http_response, diag, px, "http-response") && ok;
    ok = bind_list(acls, pi, px.redirect_rules, bp.redirects, diag, px, nullptr) && ok;
    ok = bind_list(acls, pi, px.error_replies, bp.error_replies, diag, px, nullptr) && ok;
    ok = bind_list(acls, pi, px.http_after_response_rules, bp.http_after_response, diag, px, "http-after-response") && ok;
    for (const auto& r : px.tcp_request_rules) {
      bp.tcp_request.push_back(acls.condition(pi, r.condition));
      const acl::Expression* key = nullptr;
      // track-sc's key, or sc-set-gpt's value expression.
      if (r.action == config::TcpRequestRule::Action::track_sc ||
          (r.action == config::TcpRequestRule::Action::sc_set && !r.key.empty())) {
        const std::string text = "%[" + r.key + "]";
        key = acls.format(pi, text);
        if (!key) {
          std::string why = acls.format_error(pi, text);
          if (size_t at = why.find("> : "); at != std::string::npos) why = why.substr(at + 4);
          diag.alert(config::Stage::parse, r.origin, config::Form::parsing,
                     "'tcp-request " + std::string(r.layer == config::TcpRequestRule::Layer::content ? "content"
                                                   : r.layer == config::TcpRequestRule::Layer::session ? "session"
                                                                                                        : "connection") +
                         " " + r.action_name + "' : " + why);
          ok = false;
        }
      }
      bp.tcp_request_key.push_back(key);
    }
    for (const auto& c : px.monitor_fail) bp.monitor_fail.push_back(acls.condition(pi, c));
    for (const auto& r : px.stick_rules) {
      bp.stick_cond.push_back(acls.condition(pi, r.condition));
      const std::string text = "%[" + r.pattern + "]";
      const acl::Expression* e = acls.format(pi, text);
      if (!e) {
        std::string why = acls.format_error(pi, text);
        if (size_t at = why.find("> : "); at != std::string::npos) why = why.substr(at + 4);
        diag.alert(config::Stage::parse, r.origin, config::Form::parsing, "'stick' : " + why);
        ok = false;
      }
      bp.stick_pattern.push_back(e);
    }
    if (px.stats_admin) bp.stats_admin = acls.condition(pi, px.stats_admin_condition);
    for (const auto& s : px.servers) {
      const acl::Expression* sni = nullptr;
      if (!s.tls.sni.empty()) {
        const std::string text = "%[" + s.tls.sni + "]";
        sni = acls.format(pi, text);
        if (!sni) {
          std::string why = acls.format_error(pi, text);
          if (size_t at = why.find("> : "); at != std::string::npos) why = why.substr(at + 4);
          diag.alert(config::Stage::parse, s.origin, config::Form::bare,
                     "'server " + px.name + "/" + s.name + "' : error detected while parsing sni expression : " + why);
          ok = false;
        }
      }
      bp.server_sni.push_back(sni);
    }
    // Servers added at run time (`add server`) have no `sni` expression: null up to the slot count.
    bp.server_sni.resize(std::max(px.servers.capacity(), px.servers.size() + Runtime::kSpareServerSlots), nullptr);
    if (px.is_backend() && px.balance.algorithm == "hash") {
      std::string expr;
      for (const auto& w : px.balance.hash_expr) expr += (expr.empty() ? "" : " ") + w;
      const std::string text = "%[" + expr + "]";
      bp.balance_hash = acls.format(pi, text);
      if (!bp.balance_hash) {
        // HAProxy's post-parse check names the backend's own line, then the converter's error.
        std::string why = acls.format_error(pi, text);
        if (size_t at = why.find("> : "); at != std::string::npos) why = why.substr(at + 4);
        diag.alert(config::Stage::check, std::nullopt, config::Form::parsing,
                   "backend '" + px.name + "' [" + px.origin.file + ":" + std::to_string(px.origin.line) +
                       "]: failed to parse 'balance hash' expression '" + expr + "' in : " + why + ".");
        ok = false;
      }
    }
    for (const auto& c : px.force_persist) bp.force_persist.push_back(acls.condition(pi, c));
    for (const auto& c : px.ignore_persist) bp.ignore_persist.push_back(acls.condition(pi, c));
  }
  // Traffic log formats: `log-format`, else the built-in one the options ask for.
  br->log_formats.resize(cfg.proxies.size());
  br->log_format_sds.resize(cfg.proxies.size());
  br->format_samples.resize(cfg.proxies.size());
  for (size_t i = 0; i < cfg.proxies.size(); ++i) {
    const auto& px = cfg.proxies[i];
    if (!px.is_frontend()) continue;
    // A frontend that does not log still has its strings checked, as HAProxy does.
    const bool logs = !px.logs.empty() && !px.no_log;
    std::string text;
    if (!px.log_format.empty()) text = px.log_format;
    else if (px.httplog_clf && px.mode == config::Mode::http) text = "%{+Q}o %{-Q}ci - - [%trg] %r %ST %B \"\" \"\" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc %ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl";
    else if (px.httplog && px.mode == config::Mode::http) text = "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r";
    else if (px.tcplog || px.httplog) text = "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq";
    if (text.empty() && px.log_format_sd.empty()) continue;
    std::string err;
    const int pi = static_cast<int>(i);
    if (!text.empty()) {
      br->log_formats[i] =
          log::Format::compile(text, err, format_sample_compiler(cfg, acls, pi, false, br->format_samples[i]));
      if (!br->log_formats[i]) {
        diag.alert(config::Stage::check, px.log_format_origin, config::Form::checks,
                   "failed to parse log-format : " + err + ".");
        ok = false;
      }
    }
    if (!px.log_format_sd.empty()) {
      br->log_format_sds[i] = log::Format::compile(
          px.log_format_sd, err, format_sample_compiler(cfg, acls, pi, false, br->format_samples[i]));
      if (!br->log_format_sds[i]) {
        // (HAProxy 2.6 names no line here, "[(null):0]"; we keep the line)
        diag.alert(config::Stage::check, px.log_format_sd_origin, config::Form::checks,
                   "failed to parse log-format-sd : " + err + ".");
        ok = false;
      }
    }
    if (!logs || !br->log_formats[i]) {
      br->log_formats[i].reset();
      br->log_format_sds[i].reset();
    }
  }
  br->unique_id_formats.resize(cfg.proxies.size());
  for (size_t i = 0; i < cfg.proxies.size(); ++i) {
    const auto& px = cfg.proxies[i];
    if (px.unique_id_format.empty()) continue;
    std::string err;
    br->unique_id_formats[i] =
        log::Format::compile(px.unique_id_format, err,
                             format_sample_compiler(cfg, acls, static_cast<int>(i), true, br->format_samples[i]),
                             log::SampleStyle::http);
    if (!br->unique_id_formats[i]) {
      diag.alert(config::Stage::check, px.unique_id_format_origin, config::Form::checks,
                 "failed to parse unique-id : " + err + ".");
      ok = false;
    }
  }
  for (const auto* list : {&br->log_formats, &br->log_format_sds, &br->unique_id_formats})
    for (const auto& f : *list)
      if (f && f->text().find("rt") != std::string_view::npos) br->request_counter = true;
  if (!ok) return nullptr;
  return br;
}

}  // namespace portero::proxy
