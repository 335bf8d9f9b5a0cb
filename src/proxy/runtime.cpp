#include "portero/proxy/runtime.h"

#include "portero/http/error_pages.h"

namespace portero::proxy {

Runtime::Runtime(config::ConfigPtr cfg) : config(std::move(cfg)) {
  const auto& proxies = config->proxies;
  backends = std::make_unique<BackendRuntime[]>(proxies.size());
  frontends = std::make_unique<FrontendRuntime[]>(proxies.size());
  maxconn.store(config->global.effective_maxconn());
  errorfiles_.resize(proxies.size());
  tables = std::make_unique<stick::Tables>();
  tables->by_proxy.resize(config->table_slots());
  for (size_t i = 0; i < config->table_slots(); ++i)
    if (const stick::TableSpec* spec = config->table_spec(int(i));
        spec && (i >= proxies.size() || proxies[i].kind != config::Proxy::Kind::defaults))
      tables->by_proxy[i] = std::make_unique<stick::Table>(*spec);
  stick::set_active_tables(tables.get());
  for (size_t i = 0; i < proxies.size(); ++i) {
    const auto& p = proxies[i];
    for (const auto& [status, raw] : p.errorfiles) errorfiles_[i][status] = http::normalize_errorfile(raw);
    frontends[i].maxconn.store(p.maxconn.value_or(maxconn.load()));
    if (!p.is_backend()) continue;
    // Every per-server array has a slot for each configured server and kSpareServerSlots more
    // (`add server`); see config/server_list.h.
    const size_t slots = p.servers.size() + kSpareServerSlots;
    p.servers.seal(slots);
    backends[i].server_queued = std::make_unique<std::atomic<uint32_t>[]>(slots);
    backends[i].conns = std::make_unique<BackendRuntime::ConnGauges[]>(slots);
    backends[i].grace = std::make_unique<std::atomic<uint32_t>[]>(slots);
    backends[i].states.reserve(slots);
    for (size_t k = 0; k < slots; ++k) {
      auto st = std::make_unique<lb::ServerState>();
      if (k < p.servers.size()) {
        const auto& s = p.servers[k];
        st->user_weight.store(s.weight);
        st->maxconn.store(s.maxconn);
        if (s.disabled) st->admin.store(lb::AdminState::maint);
        if (s.start_in_dns_maint) {   // no address yet: DNS will give it one (dns/ module)
          st->admin.store(lb::AdminState::maint);
          st->dns_maint.store(true);
        }
      } else {
        st->admin.store(lb::AdminState::maint);   // an empty slot: never picked
      }
      backends[i].states.push_back(st.get());
      backends[i].servers.push_back(std::move(st));
    }
  }
}

Runtime::~Runtime() {
  if (stick::active_tables() == tables.get()) stick::set_active_tables(nullptr);
}

void Runtime::capture_error(stats::CapturedError e) {
  std::lock_guard<std::mutex> lock(errors_mutex_);
  if (errors_.size() < config->proxies.size()) errors_.resize(config->proxies.size());
  e.event = error_events_++;
  errors_[size_t(e.proxy)] = std::move(e);
}

std::vector<stats::CapturedError> Runtime::captured_errors() const {
  std::lock_guard<std::mutex> lock(errors_mutex_);
  std::vector<stats::CapturedError> out;
  for (const auto& e : errors_)
    if (e.proxy >= 0) out.push_back(e);
  return out;
}

bool Runtime::make_balancers(std::string& error) {
  const auto& proxies = config->proxies;
  balancers.resize(proxies.size());
  for (size_t i = 0; i < proxies.size(); ++i) {
    if (!proxies[i].is_backend()) continue;
    balancers[i] = lb::make_balancer(proxies[i], std::span<lb::ServerState* const>(backends[i].states), error);
    if (!balancers[i]) {
      error = "backend '" + proxies[i].name + "': " + error;
      return false;
    }
  }
  return true;
}

void Runtime::make_counters(size_t workers) {
  std::vector<size_t> slots, configured;
  for (const auto& p : config->proxies) {
    slots.push_back(p.is_backend() ? p.servers.capacity() : 0);
    configured.push_back(p.is_backend() ? p.servers.size() : 0);
  }
  counters = std::make_unique<stats::CounterSet>(workers, slots, configured);
}

std::string_view Runtime::errorfile(int proxy_index, int status) const {
  const auto& m = errorfiles_[proxy_index];
  auto it = m.find(status);
  return it == m.end() ? std::string_view() : std::string_view(it->second);
}

}  // namespace portero::proxy
