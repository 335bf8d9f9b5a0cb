#pragma once
// Checks HAProxy runs once everything is parsed (check_config_validity): backend references,
// modes, missing binds and timeouts, duplicate servers. Also resolves indexes and `log global`.
#include "portero/config/config.h"
#include "portero/config/diagnostics.h"

namespace portero::config {

// Resolves references and assigns ids; always run.
void resolve(Config& config);
// Post-parse validation, run only when parsing found no error (as HAProxy does).
void check(Config& config, Diagnostics& diag);

// HAProxy's word for a proxy in post-parse messages: a listen section is a "proxy".
const char* cap_type_name(Proxy::Kind k);

}  // namespace portero::config
