// An exchange's lifetime. Its work lives in the files of each concern: http_rules.cpp (rules),
// dispatch.cpp (server choice, queues, retries), forward.cpp (to and from the server),
// relay.cpp (tunnels, local answers), cookies.cpp, counting.cpp, traffic_log.cpp,
// stats_page.cpp, tcp_mode.cpp. Worker-local.
#include "exchange.h"

#include "portero/proxy/worker.h"

namespace portero::proxy {

// Whatever path ended the exchange, what it took from the worker's pools goes back (each
// release is a no-op when the normal path already did it).
Exchange::~Exchange() {
  release_rewrites();
  if (vars_) w_.free_vars(vars_);
  release_log_block();
  release_local();
  if (stats_ticket_) w_.stats_forget(stats_ticket_);
}

}  // namespace portero::proxy
