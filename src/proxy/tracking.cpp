// Stick counters of a stream and of its session: tracking (track-sc rules), the counters
// HAProxy updates where it updates them (a request begins, the exchange ends), and the
// release that ends a tracking (conn_cur). Exchange and Session methods; worker-local, the
// tables themselves are shared (see stick/table.h).
#include <arpa/inet.h>

#include "portero/proxy/worker.h"
#include "session.h"

namespace portero::proxy {

using stick::Data;

bool Exchange::track_key(stick::Tracked* into, int sc, int table_index, const acl::Expression* key,
                         const acl::SampleContext& ctx) {
  if (sc < 0 || sc > 2 || into[sc] || !key) return false;
  stick::Table* t = w_.runtime().tables->at(table_index);
  if (!t) return false;
  stick::Key k;
  if (!key->evaluate_key(ctx, *t, k)) return false;
  return stick::start_tracking(into[sc], *t, k, stick::now_ms());
}

// tcp-request sc-inc-gpc* / sc-set-gpt* on the entry `t` tracks (nothing when it tracks none),
// as HAProxy's actions do; `value` is evaluated for sc-set with an expression.
void Exchange::tcp_sc_action(const stick::Tracked* tp, const config::TcpRequestRule& rule,
                             const acl::Expression* value, const acl::SampleContext& ctx) {
  if (!tp || !*tp) return;
  const stick::Tracked& t = *tp;
  int64_t v = rule.gp_value;
  if (rule.action == config::TcpRequestRule::Action::sc_set && value) {
    char buf[32];
    const int n = value->evaluate(ctx, buf, sizeof buf - 1);
    if (n <= 0) return;
    buf[n] = 0;
    v = std::strtoll(buf, nullptr, 10);
  }
  const uint32_t now = stick::now_ms();
  t.table->update(t.entry, now, [&](stick::View& view) {
    if (rule.action == config::TcpRequestRule::Action::sc_set)
      return view.set(rule.gp_data, uint64_t(v) & 0xffffffffu, rule.gp_index);
    const Data rate = rule.gp_data == Data::gpc ? Data::gpc_rate
                      : rule.gp_data == Data::gpc1 ? Data::gpc1_rate : Data::gpc0_rate;
    view.add(rate, 1, now, rule.gp_index);
    view.add(rule.gp_data, 1, now, rule.gp_index);
  }, false);
}

const stick::Tracked* Exchange::tracked(int n) const {
  if (n < 0 || n > 2) return nullptr;
  if (sc_[n]) return &sc_[n];
  if (c_.sc_ && c_.sc_[n]) return &c_.sc_[n];
  return nullptr;
}

void Exchange::stick_request_start() {
  if (!tracked(0) && !tracked(1) && !tracked(2)) return;   // the common case: no clock read
  const uint32_t now = stick::now_ms();
  for (int n = 0; n < 3; ++n) {
    const stick::Tracked* t = tracked(n);
    if (!t) continue;
    t->table->update(t->entry, now, [&](stick::View& v) {
      v.add(Data::http_req_cnt, 1, now);
      v.add(Data::http_req_rate, 1, now);
    }, false);
  }
}

void Exchange::stick_exchange_end() {
  bool any = false;
  for (int n = 0; n < 3; ++n) any = any || sc_[n] || (c_.sc_ && c_.sc_[n]);
  if (!any) return;
  const uint32_t now = stick::now_ms();
  // A 4xx from a server or a deny rule is an HTTP error; a 5xx from a server other than 501
  // and 505 a failure (HAProxy's http_err_cnt and http_fail_cnt).
  const bool http = !tcp_mode();
  const bool from_server = t_resp_ != 0;
  const bool err = http && status_ >= 400 && status_ < 500 && (from_server || denied_by_ >= 0);
  const bool fail = http && from_server && status_ >= 500 && status_ < 600 && status_ != 501 && status_ != 505;
  for (int n = 0; n < 3; ++n) {
    const stick::Tracked* t = tracked(n);
    if (!t) continue;
    t->table->update(t->entry, now, [&](stick::View& v) {
      v.add(Data::bytes_in_cnt, bytes_in_, now);
      v.add(Data::bytes_in_rate, bytes_in_, now);
      v.add(Data::bytes_out_cnt, bytes_out_, now);
      v.add(Data::bytes_out_rate, bytes_out_, now);
      if (err) v.add(Data::http_err_cnt, 1, now), v.add(Data::http_err_rate, 1, now);
      if (fail) v.add(Data::http_fail_cnt, 1, now), v.add(Data::http_fail_rate, 1, now);
    }, false);
  }
  for (auto& sc : sc_) stick::stop_tracking(sc, now);
}

namespace {

// What a table remembers a server by: its name, or with `srvkey addr` its address as HAProxy
// writes it ("127.0.0.1:8080", "::1:8080", a `+N` port offset as "+N").
std::string server_key_text(const config::Server& s, bool addr) {
  if (!addr) return s.name;
  const config::Address& a = s.address;
  if (a.kind != config::Address::Kind::inet) return a.path;
  char text[INET6_ADDRSTRLEN] = "";
  const void* p = a.family() == AF_INET6
                      ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(&a.storage)->sin6_addr)
                      : static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(&a.storage)->sin_addr);
  inet_ntop(a.family(), p, text, sizeof text);
  if (a.port_offset) return std::string(text) + ":" + (a.offset >= 0 ? "+" : "") + std::to_string(a.offset);
  return std::string(text) + ":" + std::to_string(a.port_lo);
}

constexpr size_t kMaxStores = 8;   // HAProxy's per-stream store slots

}  // namespace

void Exchange::stick_match() {
  const auto& be = w_.config().proxies[be_];
  const auto& bp = w_.runtime().rules->proxies[be_];
  const auto& states = w_.runtime().backends[be_].states;
  const acl::SampleContext ctx = sample(true);
  const uint32_t now = stick::now_ms();
  for (size_t i = 0; i < be.stick_rules.size(); ++i) {
    const auto& r = be.stick_rules[i];
    if (!r.matches() || !bp.stick_pattern[i]) continue;
    if (bp.stick_cond[i] && bp.stick_cond[i]->evaluate(ctx) != acl::Tri::yes) continue;
    stick::Table* t = w_.runtime().tables->at(r.table_index);
    stick::Key k;
    if (!t || !bp.stick_pattern[i]->evaluate_key(ctx, *t, k)) continue;
    uint64_t key_number = 0, id = 0;
    if (!t->lookup(k, now, [&](stick::View& v) {
          key_number = v.get(Data::server_key, now);
          id = v.get(Data::server_id, now);
        }))
      continue;
    // The server by name (server_key) when the entry has one, else by id, as haproxy 2.6.
    const std::string name = t->name_of(key_number);
    const bool by_addr = t->spec().srvkey_addr;
    int idx = -1;
    for (size_t s = 0; s < be.servers.size() && idx < 0; ++s)
      if (be.servers.live(s) && (name.empty() ? uint64_t(be.servers[s].puid) == id
                                              : server_key_text(be.servers[s], by_addr) == name))
        idx = int(s);
    if (idx < 0) continue;
    const lb::ServerState& st = *states[idx];
    const bool stopped = st.admin.load(std::memory_order_relaxed) == lb::AdminState::maint ||
                         st.oper.load(std::memory_order_relaxed) == lb::OperState::down;
    if (stopped && !be.persist) continue;
    persist_server_ = static_cast<int16_t>(idx);
    direct_ = true;
    return;
  }
}

// The first store-request rule of each table that applies gives the key (HAProxy's order).
void Exchange::stick_prepare_store() {
  if (stick_stored_) return;
  stick_stored_ = true;
  const auto& be = w_.config().proxies[be_];
  const auto& bp = w_.runtime().rules->proxies[be_];
  const acl::SampleContext ctx = sample(true);
  for (size_t i = 0; i < be.stick_rules.size() && stick_pending_.size() < kMaxStores; ++i) {
    const auto& r = be.stick_rules[i];
    if (!r.stores() || !bp.stick_pattern[i]) continue;
    stick::Table* t = w_.runtime().tables->at(r.table_index);
    if (!t) continue;
    bool seen = false;
    for (const auto& p : stick_pending_) seen = seen || p.table == t;
    if (seen) continue;
    if (bp.stick_cond[i] && bp.stick_cond[i]->evaluate(ctx) != acl::Tri::yes) continue;
    stick_pending_.emplace_back();
    stick_pending_.back().table = t;
    if (!bp.stick_pattern[i]->evaluate_key(ctx, *t, stick_pending_.back().key)) stick_pending_.pop_back();
  }
}

// At the response: the store-response keys (the first rule of each table that applies, and not
// for a table a store-request rule already fills), then every key written with the server
// that answered.
void Exchange::stick_store_final() {
  if (srv_idx_ < 0) return;
  const auto& be = w_.config().proxies[be_];
  const auto& bp = w_.runtime().rules->proxies[be_];
  const size_t from_request = stick_pending_.size();
  bool any_response_rule = false;
  for (const auto& r : be.stick_rules) any_response_rule = any_response_rule || r.stores_response();
  if (any_response_rule) {
    const acl::SampleContext ctx = sample(true);
    for (size_t i = 0; i < be.stick_rules.size() && stick_pending_.size() < kMaxStores; ++i) {
      const auto& r = be.stick_rules[i];
      if (!r.stores_response() || !bp.stick_pattern[i]) continue;
      stick::Table* t = w_.runtime().tables->at(r.table_index);
      if (!t) continue;
      bool seen = false;
      for (size_t k = from_request; k < stick_pending_.size(); ++k) seen = seen || stick_pending_[k].table == t;
      if (seen) continue;
      if (bp.stick_cond[i] && bp.stick_cond[i]->evaluate(ctx) != acl::Tri::yes) continue;
      stick_pending_.emplace_back();
      stick_pending_.back().table = t;
      if (!bp.stick_pattern[i]->evaluate_key(ctx, *t, stick_pending_.back().key)) stick_pending_.pop_back();
    }
  }
  const uint32_t now = stick::now_ms();
  const auto& srv = be.servers[size_t(srv_idx_)];
  for (auto& p : stick_pending_) {
    const uint32_t name = p.table->intern(server_key_text(srv, p.table->spec().srvkey_addr));
    p.table->upsert(p.key, now, [&](stick::View& v) {
      v.set(Data::server_id, uint64_t(uint32_t(srv.puid)));
      v.set(Data::server_key, name);
    });
  }
  stick_pending_.clear();
}

void Session::count_new_session() {
  if (!sc_) return;
  const uint32_t now = stick::now_ms();
  for (int n = 0; n < 3; ++n) {
    stick::Tracked& sc = sc_[n];
    if (!sc) continue;
    sc.table->update(sc.entry, now, [&](stick::View& v) {
      v.add(Data::sess_cnt, 1, now);
      v.add(Data::sess_rate, 1, now);
    }, false);
  }
}

void Session::release_tracking() {
  if (!sc_) return;
  const uint32_t now = stick::now_ms();
  for (int n = 0; n < 3; ++n) stick::stop_tracking(sc_[n], now);
  sc_.reset();
}

}  // namespace portero::proxy
