// http-request / http-response rules, redirects, monitor-uri and content switching: each rule's
// condition is evaluated with the ACL engine, then its action applied. Header and request-line
// edits rewrite the head into a pooled block, so later rules (and the forwarded request) see
// them. Session methods; worker-local.
#include <algorithm>
#include <cstring>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "../acl/regex.h"
#include "portero/http/error_pages.h"
#include "portero/http/head_edit.h"
#include "portero/http/head_writer.h"
#include "portero/http/status.h"
#include "portero/proxy/worker.h"
#include "session.h"

namespace portero::proxy {

using Action = config::HttpRule::Action;

namespace {

int usable_servers(const void* opaque, int proxy_index) {
  const auto& rt = *static_cast<const Runtime*>(opaque);
  int n = 0;
  for (auto* st : rt.backends[proxy_index].states) n += st->usable() ? 1 : 0;
  return n;
}

bool server_is_up(const void* opaque, int proxy_index, int server_index) {
  const auto& rt = *static_cast<const Runtime*>(opaque);
  const auto& states = rt.backends[proxy_index].states;
  return server_index >= 0 && static_cast<size_t>(server_index) < states.size() &&
         states[server_index]->oper.load(std::memory_order_relaxed) == lb::OperState::up;
}

// Expands \0..\9 in `repl` with the groups of the last match of `subject`.
size_t substitute(std::string_view subject, const size_t* ovec, int pairs, std::string_view repl, char* out,
                  size_t cap) {
  size_t n = 0;
  for (size_t i = 0; i < repl.size() && n < cap; ++i) {
    if (repl[i] == '\\' && i + 1 < repl.size() && repl[i + 1] >= '0' && repl[i + 1] <= '9') {
      int g = repl[++i] - '0';
      if (g < pairs && ovec[2 * g] != ~size_t(0)) {
        size_t len = ovec[2 * g + 1] - ovec[2 * g];
        if (n + len > cap) len = cap - n;
        std::memcpy(out + n, subject.data() + ovec[2 * g], len);
        n += len;
      }
      continue;
    }
    out[n++] = repl[i];
  }
  return n;
}

// State for HeadEdit::replace callbacks of replace-header / replace-value.
struct Replacer {
  const acl::Regex* regex;
  std::string_view replacement;   // with \N references
  bool per_value;                 // replace-value: each comma-separated value on its own
  char* out;
  size_t cap;

  // Writes `v` with the replacement applied when the whole value matches; `matched` says so.
  std::string_view one(std::string_view v, char* dst, size_t cap_left, bool* matched = nullptr) const {
    size_t ovec[20];
    int pairs = regex->match_at(v, 0, ovec, 10);
    // HAProxy replaces only when the whole value matches the regex.
    if (pairs <= 0 || ovec[0] != 0 || ovec[1] != v.size()) {
      if (matched) *matched = false;
      size_t n = v.size() < cap_left ? v.size() : cap_left;
      if (n) std::memcpy(dst, v.data(), n);
      return {dst, n};
    }
    if (matched) *matched = true;
    return {dst, substitute(v, ovec, pairs, replacement, dst, cap_left)};
  }

  static std::string_view apply(void* ctx, std::string_view value) {
    auto* r = static_cast<Replacer*>(ctx);
    if (!r->per_value) return r->one(value, r->out, r->cap);
    size_t n = 0;
    size_t i = 0;
    while (i <= value.size()) {
      size_t comma = value.find(',', i);
      if (comma == std::string_view::npos) comma = value.size();
      std::string_view item = value.substr(i, comma - i);
      size_t lead = 0;
      while (lead < item.size() && (item[lead] == ' ' || item[lead] == '\t')) ++lead;
      if (n > 0 && n < r->cap) r->out[n++] = ',';
      // HAProxy keeps the spaces before a value it leaves alone, and drops them before one it
      // replaces ("abc, def, axy" -> "Abc, def,Axy").
      bool matched = false;
      size_t at = n + lead;
      size_t len = at <= r->cap ? r->one(item.substr(lead), r->out + at, r->cap - at, &matched).size() : 0;
      if (matched) {
        std::memmove(r->out + n, r->out + at, len);
        n += len;
      } else {
        if (lead) std::memcpy(r->out + n, item.data(), lead);
        n += lead + len;
      }
      i = comma + 1;
    }
    return {r->out, n};
  }
};

}  // namespace

http::Head* Exchange::block_head(char* block) const {
  // Layout of a pooled block: bytes, header slots, then (for rewritten heads) the Head itself.
  return reinterpret_cast<http::Head*>(block + w_.bufsize() + sizeof(http::Header) * w_.max_headers());
}

const http::Head& Exchange::req_head() const { return rq_block_ ? *block_head(rq_block_) : req_.head(); }
const char* Exchange::req_base() const { return rq_block_ ? rq_block_ : c_.in_.data; }

acl::SampleContext Exchange::sample(bool final) const {
  acl::SampleContext ctx;
  ctx.src = &c_.facts_.peer.sa;
  ctx.dst = &c_.facts_.local.sa;
  ctx.config = &w_.config();
  ctx.frontend = &w_.config().proxies[fe_];
  ctx.backend = be_ >= 0 ? &w_.config().proxies[be_] : nullptr;
  ctx.usable_servers = usable_servers;
  ctx.server_is_up = server_is_up;
  ctx.opaque = &w_.runtime();
  ctx.vars = vars_;
  ctx.final = final;
  ctx.first_request = c_.first_request_;
  ctx.unique_id = unique_id_of;
  ctx.unique_id_self = this;
  ctx.captured = captured_of;
  ctx.captured_self = this;
  ctx.client_tls = c_.cli()->tls();
  ctx.ssl = ctx.client_tls != nullptr;
  ctx.server_tls = srv_ ? srv_->io->tls() : nullptr;
  ctx.so_id = c_.facts_.bind + 1;
  ctx.so_name = w_.config().proxies[fe_].binds[c_.facts_.bind].name;
  if (c_.facts_.pp) {
    ctx.pp_authority = c_.facts_.pp->authority;
    ctx.pp_unique_id = c_.facts_.pp->unique_id;
  }
  ctx.sc_stream = sc_;
  ctx.sc_session = c_.sc_.get();
  if (tcp_mode()) {
    ctx.payload = c_.unread_input();
    return ctx;
  }
  if (req_.head_done() && c_.in_.data && !hide_request_) {
    ctx.request = &req_head();
    ctx.base = req_base();
    const http::Head& h = req_.head();
    uint32_t body_start = h.start + h.length;
    uint32_t body_end = req_complete_ ? c_.req_end_ : c_.in_.parsed;
    if (body_end > body_start) ctx.body = std::string_view(c_.in_.data + body_start, body_end - body_start);
    ctx.body_complete = req_complete_;
  }
  if (rs_block_) {
    ctx.response = block_head(rs_block_);
    ctx.response_base = rs_block_;
  } else if (srv_ && srv_->parser.head_done()) {
    ctx.response = &srv_->parser.head();
    ctx.response_base = srv_->in.data;
  }
  return ctx;
}

void Exchange::release_rewrites() {
  if (rq_block_) {
    w_.buffers().put(rq_block_);
    rq_block_ = nullptr;
  }
  if (rs_block_) {
    w_.buffers().put(rs_block_);
    rs_block_ = nullptr;
  }
}

bool Exchange::edit_head(bool request, const http::HeadEdit& e) {
  // Framing is the proxy's business: rules may not change how a body is delimited.
  if (http::iequals(e.name, "content-length") || http::iequals(e.name, "transfer-encoding")) return true;
  char*& block = request ? rq_block_ : rs_block_;
  const http::Head& src = request ? req_head()
                                  : (rs_block_ ? *block_head(rs_block_) : srv_->parser.head());
  const char* base = request ? req_base() : (rs_block_ ? rs_block_ : srv_->in.data);
  char* fresh = w_.buffers().get();
  http::Head out;
  if (!http::rewrite_head(src, base, request, e, fresh, w_.bufsize(), w_.max_headers(), out)) {
    w_.buffers().put(fresh);
    return false;
  }
  *block_head(fresh) = out;
  if (block) w_.buffers().put(block);
  block = fresh;
  return true;
}

// Evaluates a log-format expression into the worker's scratch space; empty when absent.
std::string_view Exchange::eval_format(const acl::Expression* fmt, const acl::SampleContext& ctx, char* out,
                                      size_t cap) {
  if (!fmt) return {};
  int n = fmt->evaluate(ctx, out, cap);
  return n < 0 ? std::string_view() : std::string_view(out, static_cast<size_t>(n));
}

// Runs `rules` from index `from`. Request rules when `request`, else response rules.
Exchange::RuleResult Exchange::run_rules(const std::vector<BoundRule>& rules, int proxy_index, size_t from,
                                       bool request) {
  for (size_t i = from; i < rules.size(); ++i) {
    const BoundRule& b = rules[i];
    const config::HttpRule& r = *b.rule;
    acl::SampleContext ctx = sample(true);
    if (b.cond) {
      // wait-for-body is the only way to give a condition more bytes; without it, decide now.
      if (b.cond->evaluate(ctx) != acl::Tri::yes) continue;
    }
    char* scratch = w_.scratch();
    const size_t cap = w_.bufsize();
    http::HeadEdit e;
    switch (r.action) {
      case Action::allow:
        return RuleResult::stop;
      case Action::deny:
        if (request) denied_by_ = static_cast<int16_t>(proxy_index);
        if (!request) {
          reply_error(r.ret.status ? r.ret.status : 502, {'P', 'H'});
          return RuleResult::answered;
        }
        if (r.ret.has_body || r.ret.errorfile || b.fmt || !r.return_headers.empty()) reply_return(b, proxy_index, 403);
        else reply_error(r.ret.status ? r.ret.status : 403, {'P', 'R'}, true);
        return RuleResult::answered;
      case Action::tarpit: {
        // Hold the client for `timeout tarpit` (else `timeout connect`), then answer (500).
        const auto& px = w_.config().proxies[proxy_index];
        tarpit_status_ = r.ret.status ? r.ret.status : 500;
        denied_by_ = static_cast<int16_t>(proxy_index);
        c_.phase_ = Phase::tarpit;
        c_.term_ = {'P', 'T'};
        auto t = px.timeouts.tarpit ? px.timeouts.tarpit : px.timeouts.connect;
        if (t && *t) c_.arm_client_timer(t);
        else reply_error(tarpit_status_, c_.term_);
        return RuleResult::answered;
      }
      case Action::auth:
        reply_auth(r.name.empty() ? w_.config().proxies[proxy_index].name : r.name);
        return RuleResult::answered;
      case Action::redirect:
        intercepted_ = true;
        reply_redirect(r.redirect, b.fmt);
        return RuleResult::answered;
      case Action::use_service:
        if (!w_.runtime().stats_page) continue;
        rule_pos_ = static_cast<uint16_t>(i + 1);
        start_stats(proxy_index, true);
        return RuleResult::answered;
      case Action::return_:
        intercepted_ = true;
        reply_return(b, proxy_index, 200, {'L', 'R'});   // HAProxy: a local answer, LR
        return RuleResult::answered;
      case Action::set_header:
      case Action::add_header:
        e.kind = r.action == Action::set_header ? http::HeadEdit::Kind::set_header : http::HeadEdit::Kind::add_header;
        e.name = r.name;
        e.value = eval_format(b.fmt, ctx, scratch, cap);
        break;
      case Action::del_header:
        e.kind = http::HeadEdit::Kind::del_header;
        e.name = r.name;
        if (r.fmt == "beg") e.match = http::HeadEdit::Match::beg;
        else if (r.fmt == "end") e.match = http::HeadEdit::Match::end;
        else if (r.fmt == "sub") e.match = http::HeadEdit::Match::sub;
        break;
      case Action::replace_header:
      case Action::replace_value: {
        std::string_view repl = eval_format(b.fmt, ctx, scratch, cap / 2);
        // The replacement text lives in the first half of the scratch, results in the second.
        static thread_local Replacer rep;
        rep = Replacer{b.regex.get(), repl, r.action == Action::replace_value, scratch + cap / 2, cap / 2};
        e.kind = http::HeadEdit::Kind::replace_header;
        e.name = r.name;
        e.replace = Replacer::apply;
        e.replace_ctx = &rep;
        break;
      }
      case Action::set_method:
        e.kind = http::HeadEdit::Kind::set_method;
        e.value = eval_format(b.fmt, ctx, scratch, cap);
        break;
      case Action::set_uri:
      case Action::set_path:
      case Action::set_pathq:
      case Action::set_query: {
        std::string_view v = eval_format(b.fmt, ctx, scratch, cap / 2);
        std::string_view target = req_head().target.in(req_base());
        size_t q = target.find('?');
        std::string_view path = target.substr(0, q), query = q == std::string_view::npos ? "" : target.substr(q);
        char* t = scratch + cap / 2;
        size_t n = 0;
        auto put = [&](std::string_view s) {
          size_t len = s.size() < cap / 2 - n ? s.size() : cap / 2 - n;
          if (len) std::memcpy(t + n, s.data(), len);
          n += len;
        };
        if (r.action == Action::set_uri || r.action == Action::set_pathq) put(v);
        else if (r.action == Action::set_path) { put(v); put(query); }
        else { put(path); if (!v.empty()) { put("?"); put(v); } }
        e.kind = http::HeadEdit::Kind::set_target;
        e.value = std::string_view(t, n);
        break;
      }
      case Action::replace_path:
      case Action::replace_pathq:
      case Action::replace_uri: {
        // The regex is searched in the path (path?query, whole target); on a match the whole
        // part becomes the replacement, with \N references (HAProxy's semantics).
        if (!request) continue;
        std::string_view target = req_head().target.in(req_base());
        const size_t q = target.find('?');
        // The path starts after an absolute-form's authority.
        size_t from = 0;
        if (r.action != Action::replace_uri && !target.starts_with("/"))
          if (size_t scheme = target.find("://"); scheme != std::string_view::npos) {
            from = target.find('/', scheme + 3);
            if (from == std::string_view::npos || from > q) from = q == std::string_view::npos ? target.size() : q;
          }
        const size_t to = r.action == Action::replace_path && q != std::string_view::npos ? q : target.size();
        const std::string_view part = target.substr(from, to - from);
        size_t ovec[20];
        const int pairs = b.regex->match_at(part, 0, ovec, 10);
        if (pairs <= 0) continue;
        std::string_view repl = eval_format(b.fmt, ctx, scratch, cap / 2);
        char* t = scratch + cap / 2;
        size_t n = 0;
        auto put = [&](std::string_view s) {
          const size_t len = std::min(s.size(), cap / 2 - n);
          if (len) std::memcpy(t + n, s.data(), len);
          n += len;
        };
        put(target.substr(0, from));
        n += substitute(part, ovec, pairs, repl, t + n, cap / 2 - n);
        put(target.substr(to));
        e.kind = http::HeadEdit::Kind::set_target;
        e.value = std::string_view(t, n);
        break;
      }
      case Action::set_status:
        if (request) continue;
        e.kind = http::HeadEdit::Kind::set_status;
        e.status = r.ret.status;
        e.value = r.reason.empty() ? http::reason_phrase(r.ret.status) : std::string_view(r.reason);
        break;
      case Action::set_var: {
        if (!vars_) vars_ = w_.new_vars();
        std::string_view v = eval_format(b.fmt, ctx, scratch, cap);
        if (!v.data()) continue;   // an absent sample sets nothing, as in HAProxy
        vars_->set_str(r.name, v);
        continue;
      }
      case Action::set_var_fmt: {
        // A log-format: always a string, empty when the format renders nothing.
        if (!vars_) vars_ = w_.new_vars();
        std::string_view v = eval_format(b.fmt, ctx, scratch, cap);
        vars_->set_str(r.name, v.data() ? v : std::string_view("", 0));
        continue;
      }
      case Action::unset_var:
        if (vars_) vars_->unset(r.name);
        continue;
      case Action::set_log_level:
        log_level_ = r.log_level == config::HttpRule::kSilentLog ? int8_t(-1) : int8_t(r.log_level + 1);
        continue;
      case Action::reject:
        if (!request) continue;
        drop_client(false, false);
        return RuleResult::answered;
      case Action::silent_drop:
        drop_client(true, !request);
        return RuleResult::answered;
      case Action::capture: {
        // An absent sample leaves the slot as it was, as in HAProxy.
        std::string_view v = eval_format(b.fmt, ctx, scratch, cap);
        if (v.data()) capture_sample(!request, r.capture_id, v);
        continue;
      }
      case Action::wait_for_body:
        if (request && !req_complete_) {
          const http::Head& h = req_.head();
          uint32_t have = c_.in_.parsed - (h.start + h.length);
          bool enough = r.at_least && have >= r.at_least;
          if (!enough && !c_.input_full()) {
            rule_pos_ = static_cast<uint16_t>(i + 1);
            c_.phase_ = Phase::body_wait;
            c_.arm_client_timer(r.wait_ms ? std::optional<uint64_t>(r.wait_ms) : std::nullopt);
            return RuleResult::wait;
          }
        }
        continue;
      case Action::track_sc: {
        if (track_key(sc_, r.sc, r.table_index, b.fmt, ctx)) {
          // The request that started the tracking counts in it, as in HAProxy (response
          // tracking included).
          const uint32_t now = stick::now_ms();
          sc_[r.sc].table->update(sc_[r.sc].entry, now, [&](stick::View& v) {
            v.add(stick::Data::http_req_cnt, 1, now);
            v.add(stick::Data::http_req_rate, 1, now);
          }, false);
        }
        continue;
      }
      case Action::sc_inc_gpc0:
      case Action::sc_inc_gpc1:
      case Action::sc_inc_gpc:
      case Action::sc_set_gpt:
      case Action::sc_set_gpt0: {
        const stick::Tracked* t = tracked(r.sc);
        if (!t) continue;
        int64_t value = int64_t(r.at_least);
        const bool set = r.action == Action::sc_set_gpt0 || r.action == Action::sc_set_gpt;
        if (set && b.fmt) {
          char buf[32];
          const int n = b.fmt->evaluate(ctx, buf, sizeof buf - 1);
          if (n <= 0) continue;
          buf[n] = 0;
          value = std::strtoll(buf, nullptr, 10);
        }
        const uint32_t now = stick::now_ms();
        t->table->update(t->entry, now, [&](stick::View& v) {
          if (r.action == Action::sc_set_gpt0) return v.set(stick::Data::gpt0, uint64_t(value) & 0xffffffffu);
          if (r.action == Action::sc_set_gpt)
            return v.set(stick::Data::gpt, uint64_t(value) & 0xffffffffu, r.gp_index);
          if (r.action == Action::sc_inc_gpc) {
            v.add(stick::Data::gpc_rate, 1, now, r.gp_index);
            v.add(stick::Data::gpc, 1, now, r.gp_index);
            return;
          }
          const bool one = r.action == Action::sc_inc_gpc0;
          v.add(one ? stick::Data::gpc0_rate : stick::Data::gpc1_rate, 1, now);
          v.add(one ? stick::Data::gpc0 : stick::Data::gpc1, 1, now);
        }, false);
        continue;
      }
      case Action::set_timeout: {
        uint64_t ms = r.wait_ms;
        if (b.fmt) {
          std::string_view v = eval_format(b.fmt, ctx, scratch, cap);
          if (!v.data() || v.empty()) continue;
          char* end = nullptr;
          const long long x = std::strtoll(std::string(v).c_str(), &end, 10);
          if (x <= 0 || x > 2147483647) continue;
          ms = uint64_t(x);
        }
        (r.name == "server" ? srv_timeout_ : tunnel_timeout_) = ms;
        continue;
      }
      case Action::disable_l7_retry:
        no_l7_retry_ = true;
        continue;
      case Action::strict_mode:
        lax_rewrites_ = r.at_least != 0;
        continue;
      case Action::set_mark:
      case Action::set_tos: {
        // Where the kernel allows: SO_MARK needs CAP_NET_ADMIN; a refusal is ignored, as HAProxy.
        const int fd = c_.cli()->fd();
        if (fd < 0) continue;
        const int v = int(r.at_least);
        if (r.action == Action::set_mark) setsockopt(fd, SOL_SOCKET, SO_MARK, &v, sizeof v);
        else if (c_.facts_.local.sa.sa_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &v, sizeof v);
        else if (c_.facts_.local.sa.sa_family == AF_INET) setsockopt(fd, IPPROTO_IP, IP_TOS, &v, sizeof v);
        continue;
      }
      case Action::set_src:
      case Action::set_src_port:
      case Action::set_dst:
      case Action::set_dst_port: {
        if (!request) continue;
        std::string_view v = eval_format(b.fmt, ctx, scratch, cap);
        if (v.data()) set_address(r.action, v);
        continue;
      }
      case Action::other:
        continue;
    }
    if (!edit_head(request, e)) {
      if (lax_rewrites_) continue;   // strict-mode off: the rewrite is dropped, not answered
      // The rewritten head does not fit: HAProxy answers with an internal error too.
      reply_error(request ? 500 : 502, {'P', request ? 'R' : 'H'});
      return RuleResult::answered;
    }
  }
  return RuleResult::next;
}


void Exchange::set_address(Action a, std::string_view value) {
  if (!addrs_saved_) {
    saved_peer_ = c_.facts_.peer;
    saved_local_ = c_.facts_.local;
    addrs_saved_ = true;
  }
  const bool src = a == Action::set_src || a == Action::set_src_port;
  SockAddr& s = src ? c_.facts_.peer : c_.facts_.local;
  char text[64];
  const size_t n = std::min(value.size(), sizeof text - 1);
  std::memcpy(text, value.data(), n);
  text[n] = 0;
  if (a == Action::set_src || a == Action::set_dst) {
    // The sample as an address (an integer is an IPv4 address, as HAProxy's cast); the port stays.
    const uint16_t port = s.sa.sa_family == AF_INET6 ? s.v6.sin6_port : s.sa.sa_family == AF_INET ? s.v4.sin_port : 0;
    in_addr v4{};
    in6_addr v6{};
    char* end = nullptr;
    const unsigned long long num = std::strtoull(text, &end, 10);
    if (inet_pton(AF_INET, text, &v4) == 1 || (n && !*end && num <= 0xffffffffu && (v4.s_addr = htonl(uint32_t(num)), true))) {
      s.v4 = sockaddr_in{};
      s.v4.sin_family = AF_INET;
      s.v4.sin_addr = v4;
      s.v4.sin_port = port;
    } else if (inet_pton(AF_INET6, text, &v6) == 1) {
      s.v6 = sockaddr_in6{};
      s.v6.sin6_family = AF_INET6;
      s.v6.sin6_addr = v6;
      s.v6.sin6_port = port;
    }
    return;
  }
  char* end = nullptr;
  const long long port = std::strtoll(text, &end, 10);
  if (!n || *end) return;
  if (s.sa.sa_family == AF_INET6) {
    s.v6.sin6_port = htons(uint16_t(port));
  } else {
    if (s.sa.sa_family != AF_INET) {
      s.v4 = sockaddr_in{};
      s.v4.sin_family = AF_INET;
    }
    s.v4.sin_port = htons(uint16_t(port));
  }
}

void Exchange::restore_addresses() {
  if (!addrs_saved_) return;
  c_.facts_.peer = saved_peer_;
  c_.facts_.local = saved_local_;
  addrs_saved_ = false;
}

bool Exchange::buffer_request_body(int proxy_index) {
  if (buffering_) {
    // The wait is over: HAProxy's TR counts it.
    buffering_ = false;
    t_head_ = uv_now(w_.loop());
  }
  const auto& px = w_.config().proxies[proxy_index];
  if (!px.http_buffer_request || req_complete_ || c_.input_full()) return false;
  buffering_ = true;
  c_.phase_ = Phase::body_wait;
  // What is left of `timeout http-request` since the request began.
  if (auto t = px.http_request_timeout(); t && *t) {
    const uint64_t spent = uv_now(w_.loop()) - t_req_;
    c_.arm_client_timer(spent < *t ? *t - spent : 1);
  } else {
    c_.arm_client_timer(std::nullopt);
  }
  return true;
}

// The request side, stage by stage: frontend rules, redirects, monitor, content switching,
// then the backend's rules and redirects. Resumable after wait-for-body.
void Exchange::process_request() {
  const auto& cfg = w_.config();
  const BoundRules& br = *w_.runtime().rules;
  for (;;) {
    switch (stage_) {
      case Stage::monitor: {  // monitor-uri answers before anything else
        const auto& fe = cfg.proxies[fe_];
        if (!fe.monitor_uri.empty() && req_head().target.in(req_base()) == fe.monitor_uri) {
          bool fail = false;
          acl::SampleContext ctx = sample(true);
          for (const auto* c : br.proxies[fe_].monitor_fail) fail = fail || (c && c->evaluate(ctx) == acl::Tri::yes);
          be_ = fe_;
          intercepted_ = true;
          std::string_view page = http::error_response(fail ? 503 : 200, nullptr, http::ErrorLevel::stream,
                                                       !c_.keep_client_ || !req_complete_);
          c_.skip_request(req_complete_);
          reply_local(page.data(), page.size(), !c_.keep_client_ || !req_complete_);
          return;
        }
        if (buffer_request_body(fe_)) return;
        stage_ = Stage::frontend_rules;
        rule_pos_ = 0;
        break;
      }
      case Stage::frontend_rules:
      case Stage::backend_rules: {
        const bool frontend = stage_ == Stage::frontend_rules;
        int p = frontend ? fe_ : be_;
        if (!frontend && rule_pos_ == 0 && buffer_request_body(be_)) return;
        RuleResult r = run_rules(br.proxies[p].http_request, p, rule_pos_, true);
        if (r == RuleResult::answered || r == RuleResult::wait) return;
        // The stats page of this proxy comes right after its http-request rules, as in HAProxy.
        if (stats_request(p)) {
          rule_pos_ = static_cast<uint16_t>(br.proxies[p].http_request.size());   // resume here after a body wait
          start_stats(p);
          return;
        }
        stage_ = frontend ? Stage::frontend_redirects : Stage::backend_redirects;
        rule_pos_ = 0;
        break;
      }
      case Stage::frontend_redirects:
      case Stage::backend_redirects: {  // `redirect` rules, after the http-request rules of the same proxy
        const bool frontend = stage_ == Stage::frontend_redirects;
        int p = frontend ? fe_ : be_;
        if (run_rules(br.proxies[p].redirects, p, 0, true) == RuleResult::answered) return;
        stage_ = frontend ? Stage::switching : Stage::dispatch;
        break;
      }
      case Stage::switching: {  // use_backend / default_backend
        if (!choose_backend()) return;
        // A listen section (or a frontend routing to itself) has run its rules already.
        stage_ = be_ == fe_ ? Stage::dispatch : Stage::backend_rules;
        rule_pos_ = 0;
        break;
      }
      case Stage::dispatch:
        use_server_rules();
        cookie_request();
        // HAProxy computes the unique id here (with the request), when it is to be logged.
        if (logging()) unique_id();
        dispatch_request();
        return;
    }
  }
}

// use_backend rules in order (conditions, dynamic names), then default_backend; -1: none,
// or a dynamic name that points to a backend of another mode (static ones are refused at
// load time). Both modes: in mode tcp the conditions see the inspected payload.
int Exchange::select_backend() {
  const auto& cfg = w_.config();
  const auto& fe = cfg.proxies[fe_];
  const BoundProxy& bp = w_.runtime().rules->proxies[fe_];
  int be = -1;
  acl::SampleContext ctx = sample(true);
  for (size_t i = 0; i < fe.use_backends.size() && be < 0; ++i) {
    const auto& ub = fe.use_backends[i];
    if (bp.use_backend_cond[i] && bp.use_backend_cond[i]->evaluate(ctx) != acl::Tri::yes) continue;
    if (bp.use_backend_name[i]) {
      char* scratch = w_.scratch();
      std::string_view name = eval_format(bp.use_backend_name[i], ctx, scratch, w_.bufsize());
      // A dynamic name that matches no backend falls through to the next rule, as in HAProxy.
      for (size_t k = 0; k < cfg.proxies.size(); ++k)
        if (cfg.proxies[k].is_backend() && cfg.proxies[k].name == name) {
          be = static_cast<int>(k);
          break;
        }
      continue;
    }
    be = ub.backend_index;
  }
  if (be < 0) be = fe.default_backend_index;
  if (be >= 0 && cfg.proxies[be].mode != fe.mode) return -1;
  return be;
}

bool Exchange::choose_backend() {
  be_ = select_backend();
  if (be_ >= 0) return true;
  reply_error(503, {'S', 'C'});
  return false;
}

// http-response rules: the backend's first, then the frontend's. False when a rule answered
// (the response was replaced and the connection handled).
bool Exchange::process_response_rules() {
  const BoundRules& br = *w_.runtime().rules;
  if (run_rules(br.proxies[be_].http_response, be_, 0, false) == RuleResult::answered) return false;
  if (be_ != fe_ && run_rules(br.proxies[fe_].http_response, fe_, 0, false) == RuleResult::answered) return false;
  return !c_.closed_;
}

// http-after-response rules: the backend's, then the frontend's, on the response head being
// sent (the server's, or one of portero's own answers indexed into rs_block_). False when a
// rule answered instead (an edit that did not fit: HAProxy's 500).
bool Exchange::run_after_response_rules() {
  const BoundRules& br = *w_.runtime().rules;
  const int owner = be_ >= 0 ? be_ : fe_;
  // The request is gone by then in HAProxy: its fetches find nothing.
  hide_request_ = true;
  RuleResult r = run_rules(br.proxies[owner].http_after_response, owner, 0, false);
  if (r != RuleResult::answered && owner != fe_) r = run_rules(br.proxies[fe_].http_after_response, fe_, 0, false);
  hide_request_ = false;
  return r != RuleResult::answered && !c_.closed_;
}




}  // namespace portero::proxy
