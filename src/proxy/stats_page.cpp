// `stats uri`: a request for the stats page is checked here (URI prefix, `stats auth`,
// `stats admin`) and handed to the main thread, which owns what the page shows and renders it;
// the bytes come back through the worker's mailbox. Session methods; worker-local.
#include <arpa/inet.h>
#include <cstring>
#include <ctime>

#include "portero/acl/acl.h"
#include "portero/proxy/worker.h"
#include "session.h"

namespace portero::proxy {

namespace {

constexpr std::string_view kDefaultUri = "/haproxy?stats";
constexpr std::string_view kDefaultRealm = "portero Statistics";  // haproxy says "HAProxy Statistics"

// The request target from the path on: an absolute-form URI loses its scheme and authority.
std::string_view origin_form(std::string_view t) {
  size_t scheme = t.find("://");
  if (t.empty() || t[0] == '/' || scheme == std::string_view::npos) return t;
  size_t path = t.find('/', scheme + 3);
  return path == std::string_view::npos ? std::string_view("/") : t.substr(path);
}

}  // namespace

bool Exchange::stats_request(int proxy_index) {
  const auto& px = w_.config().proxies[proxy_index];
  if (!px.stats_enabled || !w_.runtime().stats_page) return false;
  const http::Head& h = req_head();
  const char* base = req_base();
  std::string_view m = h.method.in(base);
  if (m != "GET" && m != "HEAD" && m != "POST") return false;   // other methods go to the servers
  std::string_view prefix = px.stats_uri.empty() ? kDefaultUri : std::string_view(px.stats_uri);
  std::string_view target = h.target.in(base);
  if (!prefix.empty() && prefix[0] == '/') target = origin_form(target);
  return target.substr(0, prefix.size()) == prefix;
}

void Exchange::start_stats(int proxy_index, bool prometheus) {
  const auto& px = w_.config().proxies[proxy_index];
  const http::Head& h = req_head();
  const char* base = req_base();
  if (!prometheus && !px.stats_auth.empty()) {
    // Basic credentials, compared with every `stats auth user:pass` (clear text).
    bool ok = false;
    if (const http::Header* a = h.find(base, "authorization")) {
      std::string_view v = a->value.in(base);
      if (v.size() > 6 && strncasecmp(v.data(), "Basic ", 6) == 0) {
        char creds[512];
        int n = acl::base64_decode(v.substr(6), creds, sizeof(creds));
        for (const auto& up : px.stats_auth)
          if (n >= 0 && std::string_view(creds, size_t(n)) == up) ok = true;
      }
    }
    if (!ok) {
      reply_auth(px.stats_realm.empty() ? std::string(kDefaultRealm) : px.stats_realm);
      return;
    }
  }
  std::string_view method = h.method.in(base);
  if (!prometheus && method == "POST" && !req_complete_ && !c_.input_full()) {
    // The admin form is read whole before it is acted on.
    c_.phase_ = Phase::body_wait;
    c_.arm_client_timer(px.http_request_timeout());
    return;
  }
  stats::PageRequest r;
  r.proxy = proxy_index;
  r.prometheus = prometheus;
  r.method = std::string(method);
  r.uri = std::string(h.target.in(base));
  if (method == "POST") {
    uint32_t from = h.start + h.length, to = req_complete_ ? c_.req_end_ : c_.in_.parsed;
    if (to > from) r.body.assign(c_.in_.data + from, to - from);
  }
  const BoundProxy& bp = w_.runtime().rules->proxies[proxy_index];
  r.admin_allowed = bp.stats_admin && bp.stats_admin->evaluate(sample(true)) == acl::Tri::yes;
  r.http10 = req_http10_;
  r.keep_alive = c_.keep_client_ && req_complete_;
  if (!r.keep_alive) c_.keep_client_ = false;
  intercepted_ = true;
  be_ = proxy_index;
  c_.phase_ = Phase::stats;
  stats_ticket_ = w_.stats_wait(&c_);
  Worker* w = &w_;
  const uint64_t ticket = stats_ticket_;
  w_.runtime().stats_page(std::move(r), [w, ticket](std::string page) {
    w->post([w, ticket, page = std::move(page)]() mutable {
      if (Session* s = w->stats_waiting(ticket)) s->stats_answer(std::move(page));
    });
  });
}

void Exchange::stats_answer(std::string page) {
  w_.stats_forget(stats_ticket_);
  stats_ticket_ = 0;
  if (c_.closed_) return;
  c_.skip_request(req_complete_);
  page_ = new std::string(std::move(page));
  reply_local(page_->data(), page_->size(), !c_.keep_client_);
}

}  // namespace portero::proxy

namespace portero::proxy {


}  // namespace portero::proxy

namespace portero::proxy {


}  // namespace portero::proxy
