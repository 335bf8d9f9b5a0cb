// Stick counters of a stream and of its session: tracking (track-sc rules), the counters
// HAProxy updates where it updates them (a request begins, the exchange ends), and the
// release that ends a tracking (conn_cur). Exchange and Session methods; worker-local, the
// tables themselves are shared (see stick/table.h).
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
    int idx = -1;
    for (size_t s = 0; s < be.servers.size() && idx < 0; ++s)
      if (be.servers.live(s) && (name.empty() ? uint64_t(be.servers[s].puid) == id : be.servers[s].name == name)) idx = int(s);
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

void Exchange::stick_store(int idx) {
  if (stick_stored_) return;
  stick_stored_ = true;
  const auto& be = w_.config().proxies[be_];
  const auto& bp = w_.runtime().rules->proxies[be_];
  const acl::SampleContext ctx = sample(true);
  const uint32_t now = stick::now_ms();
  for (size_t i = 0; i < be.stick_rules.size(); ++i) {
    const auto& r = be.stick_rules[i];
    if (!r.stores() || !bp.stick_pattern[i]) continue;
    if (bp.stick_cond[i] && bp.stick_cond[i]->evaluate(ctx) != acl::Tri::yes) continue;
    stick::Table* t = w_.runtime().tables->at(r.table_index);
    stick::Key k;
    if (!t || !bp.stick_pattern[i]->evaluate_key(ctx, *t, k)) continue;
    const uint32_t name = t->intern(be.servers[idx].name);
    t->upsert(k, now, [&](stick::View& v) {
      v.set(Data::server_id, uint64_t(uint32_t(be.servers[idx].puid)));
      v.set(Data::server_key, name);
    });
  }
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
