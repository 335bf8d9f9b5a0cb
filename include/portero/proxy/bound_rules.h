#pragma once
// Every rule of every proxy bound, once at start-up, to its compiled condition, expressions and
// regex, so a worker evaluates them without any lookup or lock. Immutable after binding; shared
// by all threads.
#include <memory>
#include <vector>

#include "portero/acl/acl.h"
#include "portero/config/config.h"
#include "portero/log/log.h"

namespace portero::acl {
class Regex;
}

namespace portero::proxy {

struct BoundRule {
  const config::HttpRule* rule = nullptr;
  const acl::Condition* cond = nullptr;      // null: unconditional
  const acl::Expression* fmt = nullptr;      // value, target, lf-string, set-var expression
  std::shared_ptr<const acl::Regex> regex;   // replace-header / replace-value
  std::vector<const acl::Expression*> return_headers;  // parallel to rule->return_headers
  // `return|deny errorfile F` / `errorfiles NAME`: the page as HAProxy sends it (header names
  // lower-cased, its own Connection header dropped).
  std::string page;
};

struct BoundProxy {
  std::vector<const acl::Condition*> use_backend_cond;   // parallel to Proxy::use_backends
  std::vector<const acl::Expression*> use_backend_name;  // set when the name is "%[...]"
  std::vector<const acl::Condition*> use_server_cond;    // parallel to Proxy::use_servers
  std::vector<const acl::Expression*> use_server_name;   // set when the name is a log-format
  std::vector<BoundRule> http_request, http_response, redirects;
  std::vector<BoundRule> error_replies;
  std::vector<BoundRule> http_after_response;                  // parallel to Proxy::error_replies
  std::vector<const acl::Condition*> tcp_request;        // parallel to tcp_request_rules
  std::vector<const acl::Expression*> tcp_request_key;   // idem: track-sc keys, else null
  std::vector<const acl::Condition*> monitor_fail;
  std::vector<const acl::Condition*> stick_cond;          // parallel to stick_rules
  std::vector<const acl::Expression*> stick_pattern;      // idem
  const acl::Condition* stats_admin = nullptr;   // `stats admin if|unless ...`
  const acl::Expression* balance_hash = nullptr; // `balance hash <expr>`, as a "%[expr]" format
  std::vector<const acl::Condition*> force_persist, ignore_persist;
  std::vector<const acl::Expression*> server_sni;   // per server: `sni <expr>` as "%[expr]", or null
};

// Compiles the ACLs of `cfg` and binds every rule. Errors go to `diag` in HAProxy's form.
// Null on error.
struct BoundRules {
  std::unique_ptr<acl::Compiled> acls;
  std::vector<BoundProxy> proxies;   // indexed like config->proxies
  // The traffic log format of each frontend that logs (targets + a format), else null.
  std::vector<std::unique_ptr<log::Format>> log_formats;
  // `unique-id-format` of each proxy that has one, else null (a frontend's is the one used).
  std::vector<std::unique_ptr<log::Format>> unique_id_formats;
  // `log-format-sd` of each frontend that logs and has one, else null.
  std::vector<std::unique_ptr<log::Format>> log_format_sds;
  // The `%[...]` expressions of each proxy's log-format, log-format-sd and unique-id-format,
  // numbered as the formats' nodes ask (log::SampleCompiler). A null entry is a fetch HAProxy
  // accepts there but that is never available at log time (its value is absent).
  std::vector<std::vector<const acl::Expression*>> format_samples;
  // Some format shows %rt: every request (of any proxy) then takes a number, as in HAProxy.
  bool request_counter = false;
};
std::unique_ptr<BoundRules> bind_rules(const config::Config& cfg, config::Diagnostics& diag);

}  // namespace portero::proxy
