// Proxy-wide keywords: mode, backend selection, retries, limits, errorfile, ids.
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "parse_context.h"

namespace portero::config {
namespace {

Proxy& px(ParseContext& c) { return *c.proxy; }

// HAProxy reads several numeric proxy settings with atoi(): junk reads as 0, no error.
uint32_t lenient_uint(const std::string& s) { return uint32_t(std::strtoul(s.c_str(), nullptr, 10)); }

std::vector<std::string> rest(const Args& a, size_t from) {
  return std::vector<std::string>(a.begin() + std::min(from, a.size()), a.end());
}

void kw_mode(ParseContext& c, const Args& a) {
  const std::string m = a.size() > 1 ? a[1] : "";
  if (m == "http") px(c).mode = Mode::http;
  else if (m == "tcp") px(c).mode = Mode::tcp;
  else c.alert("unknown proxy mode '" + m + "'.");
}

void kw_default_backend(ParseContext& c, const Args& a) {
  if (a.size() < 2) return c.alert("'default_backend' expects a backend name.");
  px(c).default_backend = a[1];
}

void kw_use_backend(ParseContext& c, const Args& a) {
  if (a.size() < 2) return c.alert("'use_backend' expects a backend name.");
  UseBackend u;
  u.origin = c.origin;
  u.backend = a[1];
  if (a.size() > 2) {
    if (a[2] != "if" && a[2] != "unless")
      return c.alert("error detected while parsing switching rule : expects 'if' or 'unless' followed "
                     "by a condition but found '" + a[2] + "'.");
    if (a.size() < 4)
      return c.alert("error detected while parsing switching rule : no condition found after '" + a[2] + "'.");
    u.condition = rest(a, 2);
  }
  px(c).use_backends.push_back(std::move(u));
}

// `use-server <server> if|unless <cond>`: the condition is mandatory (an empty one never
// matches); the server is resolved after parsing (checks.cpp), a dynamic name per request.
void kw_use_server(ParseContext& c, const Args& a) {
  if (a.size() < 2 || a[1].empty()) return c.alert("'use-server' expects a server name.");
  if (a.size() < 3 || (a[2] != "if" && a[2] != "unless"))
    return c.alert("'use-server' requires either 'if' or 'unless' followed by a condition.");
  UseServer u;
  u.origin = c.origin;
  u.server = a[1];
  u.condition = rest(a, 2);
  px(c).use_servers.push_back(std::move(u));
}

// `http-send-name-header <name>`: the forwarded request carries the chosen server's name.
// Extra words are ignored, as by haproxy 2.6.
void kw_send_name_header(ParseContext& c, const Args& a) {
  if (a.size() < 2 || a[1].empty()) return c.alert("'http-send-name-header' requires a header string.");
  px(c).send_name_header = a[1];
}

void kw_retries(ParseContext& c, const Args& a) {
  if (a.size() < 2) return c.alert("'retries' expects an integer argument (dispatch counts for one).");
  px(c).retries = lenient_uint(a[1]);
}

// `retry-on none | all-retryable-errors | conn-failure | empty-response | junk-response |
// response-timeout | 0rtt-rejected | 401 403 404 408 425 500 501 502 503 504`...
void kw_retry_on(ParseContext& c, const Args& a) {
  if (a.size() < 2) return c.alert("'retry-on' needs at least one keyword to specify when to retry");
  uint16_t flags = 0;
  std::vector<uint16_t> statuses;
  static const uint16_t kStatuses[] = {401, 403, 404, 408, 425, 500, 501, 502, 503, 504};
  for (size_t i = 1; i < a.size(); ++i) {
    const std::string& k = a[i];
    if (k == "none") {
      if (a.size() != 2) return c.alert("'retry-on' 'none' keyworld only usable alone");
    } else if (k == "conn-failure") flags |= Proxy::retry_conn_failure;
    else if (k == "empty-response") flags |= Proxy::retry_empty_response;
    else if (k == "junk-response") flags |= Proxy::retry_junk_response;
    else if (k == "response-timeout") flags |= Proxy::retry_response_timeout;
    else if (k == "0rtt-rejected") flags |= Proxy::retry_0rtt_rejected;
    else if (k == "all-retryable-errors") {
      flags |= Proxy::retry_conn_failure | Proxy::retry_empty_response | Proxy::retry_junk_response |
               Proxy::retry_response_timeout | Proxy::retry_0rtt_rejected;
      for (uint16_t s : {500, 502, 503, 504}) statuses.push_back(s);
    } else {
      bool known = false;
      for (uint16_t s : kStatuses)
        if (k == std::to_string(s)) statuses.push_back(s), known = true;
      if (!known) return c.alert("'retry-on': unknown keyword '" + k + "'");
    }
  }
  px(c).retry_on = flags;
  px(c).retry_on_status = std::move(statuses);
}

void kw_http_reuse(ParseContext& c, const Args& a) {
  const std::string m = a.size() > 1 ? a[1] : "";
  if (m == "never") px(c).http_reuse = HttpReuse::never;
  else if (m == "safe") px(c).http_reuse = HttpReuse::safe;
  else if (m == "aggressive") px(c).http_reuse = HttpReuse::aggressive;
  else if (m == "always") px(c).http_reuse = HttpReuse::always;
  else c.alert("'http-reuse' only supports 'never', 'safe', 'aggressive', 'always'.");
}

void kw_maxconn(ParseContext& c, const Args& a) {
  if (a.size() < 2) return c.alert("'maxconn' expects an integer argument.");
  px(c).maxconn = lenient_uint(a[1]);
}

void kw_fullconn(ParseContext& c, const Args& a) {
  if (a.size() < 2) return c.alert("'fullconn' expects an integer argument.");
  px(c).fullconn = lenient_uint(a[1]);
}

void kw_disabled(ParseContext& c, const Args&) { px(c).disabled = true; }
void kw_enabled(ParseContext& c, const Args&) { px(c).disabled = false; }

void kw_id(ParseContext& c, const Args& a) {
  long v = a.size() > 1 ? std::strtol(a[1].c_str(), nullptr, 10) : 0;
  if (a.size() < 2) return c.alert(Form::tight, "'id' expects an integer argument.");
  if (v <= 0) return c.alert(Form::tight, "custom id has to be > 0.");
  for (const auto& other : c.proxies)
    if (&other != c.proxy && other.id == uint32_t(v))
      return c.alert(Form::tight, std::string(proxy_type_name(c.proxy->kind)) + " " + c.proxy->name +
                                      " reuses same custom id as " + proxy_type_name(other.kind) + " " +
                                      other.name + " (declared at " + other.origin.file + ":" +
                                      std::to_string(other.origin.line) + ").");
  px(c).id = uint32_t(v);
}

// `load-server-state-from-file global|local|none` (words after the first are ignored, as by
// haproxy 2.6) and `server-state-file-name [use-backend-name|<file>]`.
void kw_load_server_state(ParseContext& c, const Args& a) {
  const std::string v = a.size() > 1 ? a[1] : "";
  using L = Proxy::LoadServerState;
  if (v == "global") px(c).load_server_state = L::global;
  else if (v == "local") px(c).load_server_state = L::local;
  else if (v == "none") px(c).load_server_state = L::none;
  else c.alert("'load-server-state-from-file' expects 'global', 'local' or 'none'. Got '" + v + "'");
}
void kw_server_state_file_name(ParseContext& c, const Args& a) {
  if (a.size() > 2) return c.alert("'server-state-file-name' cannot handle unexpected argument '" + a[2] + "'.");
  px(c).server_state_file_name = a.size() < 2 || a[1] == "use-backend-name" ? "" : a[1];
}

void kw_description(ParseContext& c, const Args& a) {
  if (a.size() < 2) return c.alert(Form::tight, "'description' expects a string argument.");
  std::string d;
  for (size_t i = 1; i < a.size(); ++i) d += (i > 1 ? " " : "") + a[i];
  px(c).description = d;
}

const KeywordRow kRows[] = {
    {kInProxies, "mode", true, Cap::any, false, kw_mode},
    {kInProxies, "default_backend", true, Cap::frontend, false, kw_default_backend},
    {kInProxies, "use_backend", false, Cap::frontend, false, kw_use_backend},
    {kInProxies, "use-server", false, Cap::backend, false, kw_use_server},
    {kInProxies, "http-send-name-header", true, Cap::backend, false, kw_send_name_header},
    {kInProxies, "retries", true, Cap::backend, false, kw_retries},
    {kInProxies, "retry-on", true, Cap::backend, false, kw_retry_on},
    {kInProxies, "http-reuse", true, Cap::backend, false, kw_http_reuse},
    {kInProxies, "maxconn", true, Cap::frontend, false, kw_maxconn},
    {kInProxies, "fullconn", true, Cap::backend, false, kw_fullconn},
    {kInProxies, "disabled", true, Cap::any, false, kw_disabled},
    {kInProxies, "enabled", true, Cap::any, false, kw_enabled},
    {kInProxies, "id", false, Cap::any, false, kw_id},
    {kInProxies, "description", false, Cap::any, false, kw_description},
    {kInProxies, "load-server-state-from-file", true, Cap::backend, false, kw_load_server_state},
    {kInProxies, "server-state-file-name", true, Cap::backend, false, kw_server_state_file_name},
};

}  // namespace

void register_proxy_keywords(Registry& r) { r.add(kRows); }

}  // namespace portero::config
