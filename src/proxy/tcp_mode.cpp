// mode tcp: content inspection (`tcp-request inspect-delay`, `tcp-request content accept|reject`),
// routing, and the bidirectional relay once the server is connected. Session methods;
// worker-local.
#include <algorithm>
#include <cstring>

#include "portero/lb/rdp_cookie.h"
#include "portero/proxy/bound_rules.h"
#include "portero/proxy/worker.h"
#include "session.h"

namespace portero::proxy {

bool Exchange::tcp_mode() const { return w_.config().proxies[fe_].mode == config::Mode::tcp; }

// A tcp-request rule's condition through the ACL engine; `final`: no more bytes will come.
Exchange::Tri Exchange::eval_tcp_condition(int proxy_index, size_t rule, bool final) const {
  const acl::Condition* c = w_.runtime().rules->proxies[proxy_index].tcp_request[rule];
  if (!c) return Tri::yes;
  switch (c->evaluate(sample(final))) {
    case acl::Tri::yes: return Tri::yes;
    case acl::Tri::miss: return final ? Tri::no : Tri::miss;
    default: return Tri::no;
  }
}

// Runs the content rules of `proxy_index`. Returns yes (accepted or no rule decided), no
// (rejected: the connection is already being closed) or miss (wait for more bytes).
Exchange::Tri Exchange::run_tcp_rules(int proxy_index, bool final) {
  const auto& rules = w_.config().proxies[proxy_index].tcp_request_rules;
  for (size_t i = 0; i < rules.size(); ++i) {
    const auto& rule = rules[i];
    if (rule.layer != config::TcpRequestRule::Layer::content) continue;
    Tri c = eval_tcp_condition(proxy_index, i, final);
    if (c == Tri::miss) return Tri::miss;
    if (c == Tri::no) continue;
    if (rule.action == config::TcpRequestRule::Action::track_sc) {
      track_key(sc_, rule.sc, rule.table_index, w_.runtime().rules->proxies[proxy_index].tcp_request_key[i],
                sample(final));
      continue;
    }
    if (rule.action == config::TcpRequestRule::Action::sc_inc || rule.action == config::TcpRequestRule::Action::sc_set) {
      // The stream's counter, else the session's (HAProxy's content rules have a stream).
      tcp_sc_action(tracked(rule.sc), rule, w_.runtime().rules->proxies[proxy_index].tcp_request_key[i],
                    sample(final));
      continue;
    }
    if (rule.action == config::TcpRequestRule::Action::reject) {
      c_.term_ = {'P', 'R'};
      c_.finish_close();
      return Tri::no;
    }
    return Tri::yes;
  }
  return Tri::yes;
}

// `tcp-request connection` rules, in both modes, as soon as the connection is accepted (only
// the kernel's addresses are known): the first accept or reject decides; track-sc and
// expect-proxy rules act and go on. False: rejected.
bool Exchange::connection_rules_accept(bool& expect_proxy) {
  const auto& fe = w_.config().proxies[fe_];
  const auto& keys = w_.runtime().rules->proxies[fe_].tcp_request_key;
  for (size_t i = 0; i < fe.tcp_request_rules.size(); ++i) {
    const auto& rule = fe.tcp_request_rules[i];
    if (rule.layer != config::TcpRequestRule::Layer::connection) continue;
    if (eval_tcp_condition(fe_, i, true) != Tri::yes) continue;
    if (rule.action == config::TcpRequestRule::Action::track_sc) {
      track_key(c_.session_trackers(), rule.sc, rule.table_index, keys[i], sample(true));
      continue;
    }
    if (rule.action == config::TcpRequestRule::Action::sc_inc || rule.action == config::TcpRequestRule::Action::sc_set) {
      tcp_sc_action(c_.sc_ && rule.sc >= 0 && rule.sc <= 2 ? &c_.sc_[rule.sc] : nullptr, rule, keys[i], sample(true));
      continue;
    }
    if (rule.action == config::TcpRequestRule::Action::expect_proxy) {
      expect_proxy = true;
      continue;
    }
    return rule.action != config::TcpRequestRule::Action::reject;
  }
  return true;
}

// The `tcp-request session` rules, the same way, once the connection is accepted and its PROXY
// header read (HAProxy runs them after a TLS handshake too; here before it). False: rejected.
bool Exchange::session_rules_accept() {
  const auto& fe = w_.config().proxies[fe_];
  const auto& keys = w_.runtime().rules->proxies[fe_].tcp_request_key;
  for (size_t i = 0; i < fe.tcp_request_rules.size(); ++i) {
    const auto& rule = fe.tcp_request_rules[i];
    if (rule.layer != config::TcpRequestRule::Layer::session) continue;
    if (eval_tcp_condition(fe_, i, true) != Tri::yes) continue;
    if (rule.action == config::TcpRequestRule::Action::track_sc) {
      track_key(c_.session_trackers(), rule.sc, rule.table_index, keys[i], sample(true));
      continue;
    }
    if (rule.action == config::TcpRequestRule::Action::sc_inc || rule.action == config::TcpRequestRule::Action::sc_set) {
      tcp_sc_action(c_.sc_ && rule.sc >= 0 && rule.sc <= 2 ? &c_.sc_[rule.sc] : nullptr, rule, keys[i], sample(true));
      continue;
    }
    return rule.action != config::TcpRequestRule::Action::reject;
  }
  return true;
}

void Exchange::start_tcp() {
  const auto& fe = w_.config().proxies[fe_];
  c_.phase_ = Phase::inspect;
  if (fe.tcp_inspect_delay && *fe.tcp_inspect_delay > 0) {
    c_.arm_client_timer(fe.tcp_inspect_delay);
    return;   // rules run as bytes arrive, and finally when the delay expires
  }
  inspect_tcp(true);
}

void Exchange::inspect_tcp(bool final) {
  if (c_.closed_ || c_.phase_ != Phase::inspect) return;
  Tri r = run_tcp_rules(fe_, final);
  if (r == Tri::miss) {
    if (c_.input_full()) inspect_tcp(true);   // nothing more will fit: decide now
    return;
  }
  if (r == Tri::no) return;
  route_tcp();
}

void Exchange::route_tcp() {
  w_.timers().disarm(c_.ctimer_);
  const auto& cfg = w_.config();
  be_ = select_backend();
  if (be_ < 0) {
    c_.term_ = {'S', 'C'};
    c_.finish_close();
    return;
  }
  if (be_ != fe_ && run_tcp_rules(be_, true) != Tri::yes) return;
  const auto& be = cfg.proxies[be_];
  retries_left_ = static_cast<uint8_t>(be.retries > 255 ? 255 : be.retries);
  retries_done_ = 0;
  counted_srv_ = -1;
  req_complete_ = true;
  direct_ = false;
  stick_stored_ = false;
  stick_pending_.clear();
  server_by_rule_ = false;
  persist_server_ = -1;
  c_.phase_ = Phase::connecting;
  use_server_rules();   // before `persist rdp-cookie`, as HAProxy
  if (!direct_ && be.persist_rdp_cookie && c_.in_.data) {
    // `persist rdp-cookie`: the client names its server (msts=<addr>.<port>) and goes back to it.
    std::string_view payload = c_.unread_input();
    const auto& states = w_.runtime().backends[be_].states;
    int idx = lb::rdp_persist_server(payload, be.persist_rdp_cookie_name, be,
                                     std::span<lb::ServerState* const>(states), be.persist);
    if (idx >= 0) {
      direct_ = true;
      be_counted_ = true;
      w_.be_counters(be_).add(w_.be_counters(be_).sessions);
      w_.runtime().backends[be_].cur_conns.fetch_add(1, std::memory_order_relaxed);
      if (try_take_slot(idx)) connect_server(idx);
      else enqueue(idx);
      return;
    }
  }
  dispatch(-1);
}

void Exchange::start_tcp_relay() {
  w_.runtime().observed(be_, srv_idx_, check::Observed::l4_ok);   // `observe layer4`
  if (!w_.config().proxies[be_].stick_rules.empty()) stick_store_final();
  c_.phase_ = Phase::tunnel;
  resp_started_ = true;
  srv_->start_reading();
  c_.start_reading();
  relay_to_server();
  relay_to_client();
  if (split_timeouts())
    if (auto t = server_timeout()) w_.timers().arm(srv_->timer, *t);
}

}  // namespace portero::proxy
