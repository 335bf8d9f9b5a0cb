// Answers portero writes itself: error pages (HAProxy's two forms), errorfiles, auth
// challenges, redirects, `http-request return`, and the silent drops. Worker-local.
#include <cstring>

#include "portero/http/error_pages.h"
#include "portero/http/head_writer.h"
#include "portero/http/status.h"
#include "portero/proxy/worker.h"
#include "session.h"

namespace portero::proxy {

namespace {

// Redirects have their own wording in HAProxy (302 "Found", where `return` says "Moved
// Temporarily").
std::string_view redirect_reason(int code) {
  switch (code) {
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    default: return http::reason_phrase(code);
  }
}

}  // namespace

// What answers `status` for this exchange (HAProxy's order: the backend's, then the
// frontend's): an `http-error` reply (returned), else a page in `page` (empty: the built-in).
const BoundRule* Exchange::error_reply(int status, int& owner, std::string_view& page) const {
  const auto& br = *w_.runtime().rules;
  const int proxies[2] = {be_ >= 0 ? be_ : fe_, fe_};
  for (int k = 0; k < 2; ++k) {
    const int p = proxies[k];
    if (k == 1 && p == proxies[0]) break;
    const auto& replies = w_.config().proxies[p].error_replies;
    for (size_t i = 0; i < replies.size(); ++i)
      if (replies[i].ret.status == status) {
        owner = p;
        return &br.proxies[p].error_replies[i];
      }
    page = w_.runtime().errorfile(p, status);
    if (!page.empty()) {
      owner = p;
      return nullptr;
    }
  }
  owner = fe_;
  return nullptr;
}

void Exchange::reply_error(int status, Termination t, bool from_rule) {
  c_.term_ = t;
  close_server();
  if (resp_started_ || tcp_mode()) {
    c_.finish_close();
    return;
  }
  // HAProxy's two forms: a request it could not parse or that timed out gets the
  // connection-level page and a close; anything else the stream-level page, and the client
  // connection stays open when the request was read whole and the client wants keep-alive.
  // 422 is the parser's answer to transfer codings other than chunked (the same form).
  bool connection_level = !from_rule && (status == 400 || status == 408 || status == 422);
  // (A soft stop since the request came closes too: the worker is going.)
  bool closing = connection_level || status == 400 || status == 408 || !c_.keep_client_ || !req_complete_ ||
                 c_.stop_after_;
  // The backend's errorfile/errorloc/http-error for that status, else the frontend's.
  int owner = fe_;
  std::string_view page;
  if (!connection_level) {
    if (const BoundRule* reply = error_reply(status, owner, page)) {
      reply_return(*reply, owner, uint16_t(status), t);
      return;
    }
  }
  if (!page.empty()) {
    // Without a length the page ends only with the connection.
    size_t head_end = page.find("\r\n\r\n");
    if (page.substr(0, head_end).find("\ncontent-length:") == std::string_view::npos) closing = true;
  }
  if (!page.empty() && closing) {
    // An errorfile's own Connection header was dropped at load; say we close, as HAProxy does.
    size_t head_end = page.find("\r\n\r\n");
    if (head_end != std::string_view::npos && page.size() + 19 <= w_.bufsize()) {
      char* b = w_.buffers().get();
      http::HeadWriter hw(b, w_.bufsize());
      hw.put(page.substr(0, head_end + 2));
      hw.put("connection: close\r\n");
      hw.put(page.substr(head_end + 2));
      if (out_) w_.buffers().put(out_);
      out_ = b;
      page = std::string_view(out_, hw.size());
    }
  }
  if (page.empty())
    page = http::error_response(status, nullptr,
                                connection_level ? http::ErrorLevel::connection : http::ErrorLevel::stream,
                                closing);
  if (closing) c_.keep_client_ = false;
  else c_.in_.fwd = c_.req_end_;
  // The HTTP/1 layer's own answers are not seen by the streams' rules (as HAProxy's mux).
  reply_local(page.data(), page.size(), closing, !connection_level);
}

bool Exchange::has_after_response_rules() const {
  const auto& br = *w_.runtime().rules;
  return !br.proxies[fe_].http_after_response.empty() ||
         (be_ >= 0 && !br.proxies[be_].http_after_response.empty());
}

void Exchange::reply_local(const char* data, size_t len, bool close_after, bool after_rules) {
  // http-after-response rules edit the head, indexed into rs_block_; the body stays where it is
  // and is written after it. A rule that fails answers instead (once: that answer is final).
  std::string_view body;
  const http::Head* edited = nullptr;
  if (after_rules && !after_local_ && !tcp_mode() && has_after_response_rules()) {
    after_local_ = true;
    if (rs_block_) {
      w_.buffers().put(rs_block_);
      rs_block_ = nullptr;
    }
    char* blk = w_.buffers().get();
    http::Head h;
    if (http::index_local_response({data, len}, blk, w_.bufsize(), w_.max_headers(), h)) {
      *block_head(blk) = h;
      rs_block_ = blk;
      if (!run_after_response_rules()) return;   // answered otherwise (and maybe ended)
      edited = block_head(rs_block_);
      body = std::string_view(data + h.length, len - h.length);
      data = rs_block_;
      len = edited->length;
    } else {
      w_.buffers().put(blk);
    }
  }
  // The status of a local answer, for the log ("HTTP/1.1 NNN ...").
  if (edited) status_ = edited->status;
  else if (len > 12 && data[8] == ' ') status_ = static_cast<uint16_t>((data[9] - '0') * 100 + (data[10] - '0') * 10 + (data[11] - '0'));
  count_status(false);
  if (req_head_method_ && !tcp_mode()) {
    // An answer to HEAD is its head only (HAProxy keeps the connection for the next request).
    std::string_view v(data, len);
    size_t end = v.find("\r\n\r\n");
    if (end != std::string_view::npos) len = end + 4;
    body = {};
  }
  w_.timers().disarm(c_.ctimer_);
  resp_started_ = true;
  if (close_after) c_.keep_client_ = false;
  uv_buf_t bufs[2] = {uv_buf_init(const_cast<char*>(data), static_cast<unsigned>(len)),
                      uv_buf_init(const_cast<char*>(body.data()), static_cast<unsigned>(body.size()))};
  local_ = data;
  if (c_.write_client(bufs, body.empty() ? 1 : 2, ClientWrite::local)) {
    release_local();
    end_exchange();
  }
}

void Exchange::release_local() {
  local_ = nullptr;
  if (out_) {
    w_.buffers().put(out_);
    out_ = nullptr;
  }
  delete page_;
  page_ = nullptr;
}

void Exchange::drop_client(bool silent, bool response) {
  c_.term_ = {'P', 'R'};   // HAProxy says PR for both sides
  // Denied requests for HAProxy, on the frontend and on the backend chosen (if any), response
  // drops included.
  stats::Counters& fe = w_.px_counters(fe_);
  fe.add(fe.denied_req);
  if (backend_counted()) {
    stats::Counters& be = w_.be_counters(be_);
    be.add(be.denied_req);
    // HAProxy counts the stream in its backend once content switching chose it.
    if (!be_counted_) {
      be.add(be.sessions);
      be.add(be.requests);
    }
  }
  if (response && srv_) {
    // The server's status is the exchange's; what it sent counts as bytes out (HAProxy's
    // figures), though the client gets none of them. No response time.
    status_ = srv_->parser.head().status;
    count_status(true);
    bytes_out_ += srv_->in.end - srv_->in.fwd;
  } else if (!status_counted_) {
    // No status at all: HAProxy's "other" class, and no request time (TR -1).
    status_counted_ = true;
    fe.add(fe.http_other);
    if (backend_counted()) w_.be_counters(be_).add(w_.be_counters(be_).http_other);
    t_head_ = 0;
  }
  if (silent) {
    if (const int fd = c_.cli()->fd(); fd >= 0) {
      // TCP_REPAIR (needs CAP_NET_ADMIN) makes close() send nothing, as HAProxy does; else
      // an RST that expires after one hop (SO_LINGER 0, TTL 1): on loopback it still arrives.
      int one = 1;
      if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &one, sizeof one) != 0) {
        if (c_.facts_.peer.sa.sa_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &one, sizeof one);
        else if (c_.facts_.peer.sa.sa_family == AF_INET) setsockopt(fd, IPPROTO_IP, IP_TTL, &one, sizeof one);
        linger l{1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      }
    }
  }
  c_.finish_close();
}

void Exchange::reply_auth(const std::string& realm) {
  c_.term_ = {'P', 'R'};
  bool closing = !c_.keep_client_ || !req_complete_;
  std::string_view page = http::error_response(401, nullptr, http::ErrorLevel::stream, false);
  // HAProxy appends the challenge after the page's own headers, and the close after that.
  size_t head_end = page.find("\r\n\r\n");
  char* b = w_.buffers().get();
  http::HeadWriter hw(b, w_.bufsize());
  hw.put(page.substr(0, head_end + 2));
  hw.put("www-authenticate: Basic realm=\"");
  hw.put(realm);
  hw.put("\"\r\n");
  if (closing) hw.put("connection: close\r\n");
  hw.put(page.substr(head_end + 2));
  if (out_) w_.buffers().put(out_);
  out_ = b;
  c_.skip_request(req_complete_);
  reply_local(out_, hw.size(), closing);
}

void Exchange::reply_redirect(const config::Redirect& r, const acl::Expression* target) {
  c_.term_ = {'L', 'R'};
  acl::SampleContext ctx = sample(true);
  char* scratch = w_.scratch();
  std::string_view to = target ? eval_format(target, ctx, scratch, w_.bufsize()) : std::string_view(r.target);
  // Only a request-side redirect reads the request: in http-response (where the config allows
  // the location type only) the request head may be gone, forwarded and its buffer reused.
  std::string_view uri;
  const http::Header* host = nullptr;
  if (!resp_begun_) {
    const http::Head& h = req_head();
    uri = h.target.in(req_base());
    if (r.drop_query) uri = uri.substr(0, uri.find('?'));
    host = h.find(req_base(), "host");
  }
  bool closing = !c_.keep_client_ || !req_complete_;
  char* b = w_.buffers().get();
  http::HeadWriter hw(b, w_.bufsize());
  hw.put("HTTP/1.1 ");
  hw.put_uint(r.code);
  hw.put(" ");
  hw.put(redirect_reason(r.code));
  hw.put("\r\ncontent-length: 0\r\nlocation: ");
  switch (r.type) {
    case config::Redirect::Type::location:
      hw.put(to);
      break;
    case config::Redirect::Type::prefix:
      // A prefix of "/" only adds what follows; HAProxy does not double the slash.
      if (!(to == "/" && !uri.empty() && uri[0] == '/')) hw.put(to);
      hw.put(uri);
      break;
    case config::Redirect::Type::scheme: {
      hw.put(to);
      hw.put("://");
      if (host) hw.put(host->value.in(req_base()));
      hw.put(uri);
      break;
    }
  }
  if (r.append_slash && r.type != config::Redirect::Type::scheme && (uri.empty() || uri.back() != '/')) hw.put("/");
  hw.put("\r\n");
  // Permanent redirects may be cached; HAProxy marks the others no-cache.
  if (r.code != 301 && r.code != 308) hw.put("cache-control: no-cache\r\n");
  // The cookie is sent as written, with HAProxy's fixed attributes.
  if (!r.set_cookie.empty()) {
    hw.put("set-cookie: ");
    hw.put(r.set_cookie);
    hw.put("; path=/;\r\n");
  }
  if (!r.clear_cookie.empty()) {
    hw.put("set-cookie: ");
    hw.put(r.clear_cookie);
    hw.put("; path=/; Max-Age=0;\r\n");
  }
  if (closing) hw.put("connection: close\r\n");
  hw.put("\r\n");
  if (hw.overflow()) {
    w_.buffers().put(b);
    reply_error(500, {'P', 'R'});
    return;
  }
  if (out_) w_.buffers().put(out_);
  out_ = b;
  c_.skip_request(req_complete_);
  reply_local(out_, hw.size(), closing);
}

// `http-request return` and `deny` with a payload: HAProxy writes the rule's own headers first,
// then content-length and content-type.
void Exchange::reply_return(const BoundRule& b, int proxy_index, uint16_t default_status, Termination t) {
  const config::HttpRule& r = *b.rule;
  c_.term_ = t;
  uint16_t status = r.ret.status ? r.ret.status : default_status;
  bool closing = !c_.keep_client_ || !req_complete_;
  if (r.ret.default_errorfiles) {
    // The proxies' own answer for that status (an http-error reply, a page or the built-in).
    int owner = proxy_index;
    std::string_view page;
    if (const BoundRule* reply = error_reply(status, owner, page); reply && reply != &b) {
      reply_return(*reply, owner, status, t);
      return;
    }
    if (page.empty()) page = http::error_response(status, nullptr, http::ErrorLevel::stream, closing);
    c_.skip_request(req_complete_);
    reply_local(page.data(), page.size(), closing);
    return;
  }
  if (r.ret.errorfile) {
    // A whole response written by the user.
    std::string_view page = b.page;
    c_.skip_request(req_complete_);
    reply_local(page.data(), page.size(), closing);
    return;
  }
  acl::SampleContext ctx = sample(true);
  char* scratch = w_.scratch();
  char* blk = w_.buffers().get();
  http::HeadWriter hw(blk, w_.bufsize());
  hw.put("HTTP/1.1 ");
  hw.put_uint(status);
  hw.put(" ");
  hw.put(http::reason_phrase(status));
  hw.put("\r\n");
  for (size_t i = 0; i < r.return_headers.size(); ++i) {
    std::string_view v = eval_format(b.return_headers[i], ctx, scratch, w_.bufsize());
    if (!v.empty()) hw.header(r.return_headers[i].first, v);   // HAProxy skips empty values
  }
  std::string_view body = r.ret.body;
  bool has_body = r.ret.has_body;
  if (b.fmt) {
    body = eval_format(b.fmt, ctx, scratch, w_.bufsize());
    has_body = true;
  }
  if (status != 204 && status != 304) {
    hw.put("content-length: ");
    hw.put_uint(has_body ? body.size() : 0);
    hw.put("\r\n");
  }
  if (has_body && !r.ret.content_type.empty()) hw.header("content-type", r.ret.content_type);
  if (closing) hw.put("connection: close\r\n");
  else if (req_http10_) hw.put("connection: keep-alive\r\n");
  hw.put("\r\n");
  if (!req_head_method_ && has_body) hw.put(body);
  if (hw.overflow()) {
    w_.buffers().put(blk);
    reply_error(500, {'P', 'R'});
    return;
  }
  if (out_) w_.buffers().put(out_);
  out_ = blk;
  c_.skip_request(req_complete_);
  reply_local(out_, hw.size(), closing);
}

}  // namespace portero::proxy
