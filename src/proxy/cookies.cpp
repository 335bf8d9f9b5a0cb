// Cookie persistence (`cookie NAME insert|rewrite|prefix ...` + `server ... cookie VALUE`), as
// HAProxy 2.6 does it: the request's cookie routes to its server and is stripped or unprefixed
// on the way; the response's Set-Cookie is deleted, rewritten or prefixed, and in insert mode a
// Set-Cookie naming the server is appended (with dates for maxidle/maxlife, and
// `cache-control: private` for cacheable responses with nocache). Session methods;
// worker-local. Several portero nodes behind one VIP agree without sharing state: the cookie
// carries everything.
#include <cstring>
#include <ctime>

#include "portero/http/head_edit.h"
#include "portero/proxy/worker.h"
#include "session.h"

namespace portero::proxy {

namespace {

using Mode = config::CookiePersistence::Mode;

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Cookie dates: (unix seconds + 3) >> 2, 30 bits, as 5 base64 characters, most significant first.
void encode_date(uint64_t unix_s, char out[5]) {
  uint32_t v = static_cast<uint32_t>(((unix_s + 3) >> 2) & 0x3fffffff);
  for (int i = 4; i >= 0; --i) {
    out[i] = kB64[v & 63];
    v >>= 6;
  }
}

bool decode_date(std::string_view s, uint64_t& unix_s) {
  if (s.size() != 5) return false;
  uint32_t v = 0;
  for (char c : s) {
    const char* p = std::strchr(kB64, c);
    if (!p || !c) return false;
    v = (v << 6) | static_cast<uint32_t>(p - kB64);
  }
  unix_s = static_cast<uint64_t>(v) << 2;
  return true;
}

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

// Rewrites a request Cookie header value: drops (insert+indirect) or unprefixes (prefix) the
// persistence cookie; other cookies are kept as they were.
struct RequestCookieEdit {
  std::string_view name;
  Mode mode;
  bool strip;   // insert+indirect
  char* out;
  size_t cap;
  static std::string_view apply(void* ctx, std::string_view value) {
    auto* e = static_cast<RequestCookieEdit*>(ctx);
    size_t n = 0;
    auto put = [&](std::string_view s) {
      size_t len = s.size() < e->cap - n ? s.size() : e->cap - n;
      if (len) std::memcpy(e->out + n, s.data(), len);
      n += len;
    };
    size_t i = 0;
    bool dropping = false;   // after a stripped cookie, its $-attributes go too
    while (i < value.size()) {
      size_t semi = value.find(';', i);
      if (semi == std::string_view::npos) semi = value.size();
      std::string_view item = trim(value.substr(i, semi - i));
      i = semi + 1;
      if (item.empty()) continue;
      size_t eq = item.find('=');
      std::string_view cname = trim(item.substr(0, eq));
      if (dropping && !cname.empty() && cname[0] == '$') continue;
      dropping = false;
      if (cname == e->name) {
        if (e->strip) {
          dropping = true;
          continue;
        }
        if (e->mode == Mode::prefix && eq != std::string_view::npos) {
          std::string_view v = trim(item.substr(eq + 1));
          size_t tilde = v.find('~');
          if (tilde != std::string_view::npos) {
            if (n) put("; ");
            put(cname);
            put("=");
            put(v.substr(tilde + 1));
            continue;
          }
        }
      }
      if (n) put("; ");
      put(item);
    }
    // Only $-attributes left (`$Version=1`): HAProxy removes the whole header.
    if (!has_real_cookie(std::string_view(e->out, n))) return {};
    return {e->out, n};
  }

  static bool has_real_cookie(std::string_view v) {
    size_t i = 0;
    while (i < v.size()) {
      size_t semi = v.find(';', i);
      if (semi == std::string_view::npos) semi = v.size();
      std::string_view item = trim(v.substr(i, semi - i));
      if (!item.empty() && item[0] != '$') return true;
      i = semi + 1;
    }
    return false;
  }
};

// Rewrites response Set-Cookie headers carrying the persistence cookie.
struct ResponseCookieEdit {
  std::string_view name;
  enum class Op : uint8_t { keep, remove, rewrite, prefix } op;
  std::string_view server_value;
  char* out;
  size_t cap;
  bool seen = false;
  static std::string_view apply(void* ctx, std::string_view value) {
    auto* e = static_cast<ResponseCookieEdit*>(ctx);
    size_t eq = value.find('=');
    if (eq == std::string_view::npos || trim(value.substr(0, eq)) != e->name) return value;
    e->seen = true;
    if (e->op == Op::keep) return value;
    if (e->op == Op::remove) return {};
    std::string_view rest = value.substr(eq + 1);
    size_t end = rest.find(';');
    std::string_view old_value = rest.substr(0, end);
    std::string_view attrs = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    size_t n = 0;
    auto put = [&](std::string_view s) {
      size_t len = s.size() < e->cap - n ? s.size() : e->cap - n;
      if (len) std::memcpy(e->out + n, s.data(), len);
      n += len;
    };
    put(e->name);
    put("=");
    put(e->server_value);
    if (e->op == Op::prefix) {
      put("~");
      put(old_value);
    }
    put(attrs);
    return {e->out, n};
  }
};

bool has_token_value(std::string_view v, std::string_view token) {
  return http::has_token(v, token);
}

}  // namespace

// The request side. Sets x().direct_/x().persist_server_ when the cookie names a server that may take
// the request (unless a use-server rule chose already), and strips or unprefixes the cookie for
// the server as the mode asks.
void Exchange::cookie_request() {
  const auto& be = w_.config().proxies[be_];
  const auto& ck = be.persistence;
  // A use-server rule already chose the server: the cookie is read (and flagged unused) but
  // chooses nothing.
  const bool assigned = server_by_rule_;
  if (!assigned) persist_server_ = -1;
  persist_ignored_ = false;
  cookie_req_flag_ = ck.name.empty() ? '-' : 'N';
  cookie_dated_ = false;
  cookie_first_ = 0;
  if (ck.name.empty()) return;
  const http::Head& h = req_head();
  const char* base = req_base();
  std::string_view found;
  bool present = false;
  for (uint16_t i = 0; i < h.count && !present; ++i) {
    if (!http::iequals(h.headers[i].name.in(base), "cookie")) continue;
    std::string_view v = h.headers[i].value.in(base);
    size_t p = 0;
    while (p < v.size()) {
      size_t semi = v.find(';', p);
      if (semi == std::string_view::npos) semi = v.size();
      std::string_view item = trim(v.substr(p, semi - p));
      p = semi + 1;
      size_t eq = item.find('=');
      if (eq == std::string_view::npos || item.empty() || item[0] == '$') continue;
      if (trim(item.substr(0, eq)) == ck.name) {
        found = trim(item.substr(eq + 1));
        present = true;
        break;
      }
    }
  }
  if (!present) return;
  // ignore-persist: the cookie does not choose the server (and no cookie is inserted either).
  const BoundProxy& bp = w_.runtime().rules->proxies[be_];
  if (!bp.ignore_persist.empty()) {
    acl::SampleContext ctx = sample(true);
    for (const auto* c : bp.ignore_persist)
      if (c && c->evaluate(ctx) == acl::Tri::yes) {
        cookie_req_flag_ = 'U';
        persist_ignored_ = true;
        return;
      }
  }
  // force-persist: a cookie naming a stopped server still goes there.
  bool forced = false;
  if (!bp.force_persist.empty()) {
    acl::SampleContext ctx = sample(true);
    for (const auto* c : bp.force_persist) forced = forced || (c && c->evaluate(ctx) == acl::Tri::yes);
  }
  // The server part: before '~' (prefix) or before the first '|' (dates, insert/rewrite).
  std::string_view srv = found;
  if (ck.mode == Mode::prefix) {
    size_t t = srv.find('~');
    srv = t == std::string_view::npos ? std::string_view() : srv.substr(0, t);
  } else {
    size_t bar = srv.find('|');
    if (bar != std::string_view::npos) {
      std::string_view dates = srv.substr(bar + 1);
      srv = srv.substr(0, bar);
      uint64_t now = static_cast<uint64_t>(std::time(nullptr));
      uint64_t last = 0, first = 0;
      size_t bar2 = dates.find('|');
      bool has_last = decode_date(dates.substr(0, bar2), last);
      bool has_first = bar2 != std::string_view::npos && decode_date(dates.substr(bar2 + 1), first);
      cookie_dated_ = has_last || has_first;
      if (has_first) cookie_first_ = first;
      if (has_first && ck.maxlife_s && (now > first + ck.maxlife_s || first > now + 86400)) {
        cookie_req_flag_ = 'O';
      } else if (has_last && ck.maxidle_s && (now > last + ck.maxidle_s || last > now + 86400)) {
        cookie_req_flag_ = 'E';
      }
      if (cookie_req_flag_ == 'O' || cookie_req_flag_ == 'E') {
        // Too old: it chooses nothing, and the new cookie starts its life again.
        cookie_first_ = 0;
        srv = {};
      }
    }
  }
  if (cookie_req_flag_ == 'O' || cookie_req_flag_ == 'E') {
    // already decided
  } else if (srv.empty() || assigned) {
    cookie_req_flag_ = assigned ? 'U' : 'I';
  } else {
    cookie_req_flag_ = 'I';
    const auto& states = w_.runtime().backends[be_].states;
    for (size_t i = 0; i < be.servers.size(); ++i) {
      if (!be.servers.live(i) || be.servers[i].cookie != srv) continue;
      const lb::ServerState& st = *states[i];
      bool stopped = st.admin.load(std::memory_order_relaxed) == lb::AdminState::maint ||
                     st.oper.load(std::memory_order_relaxed) == lb::OperState::down;
      if (!stopped || be.persist || forced) {
        persist_server_ = static_cast<int>(i);
        cookie_req_flag_ = stopped ? 'D' : 'V';
        break;
      }
      cookie_req_flag_ = 'D';   // a stopped server: keep looking (a backup may share the value)
    }
  }
  direct_ = persist_server_ >= 0;
  // What the server sees: without its cookie (insert+indirect), or unprefixed (prefix).
  bool strip = ck.mode == Mode::insert && ck.indirect;
  if (strip || ck.mode == Mode::prefix) {
    RequestCookieEdit edit{ck.name, ck.mode, strip, w_.scratch(), w_.bufsize()};
    http::HeadEdit e;
    e.kind = http::HeadEdit::Kind::replace_header;
    e.name = "cookie";
    e.replace = RequestCookieEdit::apply;
    e.replace_ctx = &edit;
    e.drop_empty = true;
    edit_head(true, e);
  }
}

// A response HAProxy considers cacheable (COMPAT §2.2), for `nocache`.
bool Exchange::response_cacheable(const http::Head& h, const char* base) const {
  if (!req_cacheable_method_) return false;
  switch (h.status) {
    case 200: case 203: case 204: case 206: case 300: case 301: case 404: case 405: case 410: case 414: case 501:
      break;
    default:
      return false;
  }
  bool fresh = false, validator = false;
  for (uint16_t i = 0; i < h.count; ++i) {
    std::string_view n = h.headers[i].name.in(base), v = h.headers[i].value.in(base);
    if (http::iequals(n, "pragma") && has_token_value(v, "no-cache")) return false;
    if (http::iequals(n, "cache-control")) {
      if (has_token_value(v, "private") || has_token_value(v, "no-cache") || has_token_value(v, "no-store") ||
          has_token_value(v, "max-age=0") || has_token_value(v, "s-maxage=0"))
        return false;
      if (v.find("max-age") != std::string_view::npos || v.find("s-maxage") != std::string_view::npos) fresh = true;
    }
    if (http::iequals(n, "expires")) fresh = true;
    if (http::iequals(n, "etag") || http::iequals(n, "last-modified")) validator = true;
  }
  return fresh || validator;
}

// The response side: edits the server's Set-Cookie for the persistence cookie, then (insert)
// appends ours. False when the rewritten head does not fit.
bool Exchange::cookie_response() {
  const auto& be = w_.config().proxies[be_];
  const auto& ck = be.persistence;
  cookie_resp_flag_ = ck.name.empty() ? '-' : 'N';
  if (ck.name.empty() || srv_idx_ < 0) return true;
  const config::Server& server = be.servers[srv_idx_];
  auto head = [&]() -> const http::Head& { return rs_block_ ? *block_head(rs_block_) : srv_->parser.head(); };
  auto base = [&]() -> const char* { return rs_block_ ? rs_block_ : srv_->in.data; };

  // 1. The server's own Set-Cookie for our name.
  ResponseCookieEdit edit{ck.name, ResponseCookieEdit::Op::keep, server.cookie, w_.scratch(), w_.bufsize()};
  if (ck.preserve) edit.op = ResponseCookieEdit::Op::keep;
  else if (ck.mode == Mode::insert || (ck.indirect && direct_)) edit.op = ResponseCookieEdit::Op::remove;
  else if (ck.mode == Mode::rewrite && !server.cookie.empty()) edit.op = ResponseCookieEdit::Op::rewrite;
  else if (ck.mode == Mode::prefix && !server.cookie.empty()) edit.op = ResponseCookieEdit::Op::prefix;
  bool server_sent = false;
  {
    const http::Head& h = head();
    for (uint16_t i = 0; i < h.count && !server_sent; ++i)
      if (http::iequals(h.headers[i].name.in(base()), "set-cookie")) {
        std::string_view v = h.headers[i].value.in(base());
        size_t eq = v.find('=');
        server_sent = eq != std::string_view::npos && trim(v.substr(0, eq)) == ck.name;
      }
  }
  if (server_sent && edit.op != ResponseCookieEdit::Op::keep) {
    http::HeadEdit e;
    e.kind = http::HeadEdit::Kind::replace_header;
    e.name = "set-cookie";
    e.replace = ResponseCookieEdit::apply;
    e.replace_ctx = &edit;
    e.drop_empty = true;
    if (!edit_head(false, e)) return false;
    cookie_resp_flag_ = edit.op == ResponseCookieEdit::Op::remove ? 'D' : 'R';
  } else if (server_sent) {
    cookie_resp_flag_ = 'P';
  }

  // 2. Insert mode: our own Set-Cookie, appended after the other headers.
  if (ck.mode != Mode::insert || (server_sent && ck.preserve) || persist_ignored_) return true;
  bool refresh_dates = ck.maxidle_s || (ck.maxlife_s && !cookie_first_) || (cookie_first_ && !ck.maxlife_s);
  if (direct_ && !refresh_dates) return true;
  if (ck.postonly && !req_post_) return true;
  char* out = w_.scratch();
  size_t n = 0;
  auto put = [&](std::string_view s) {
    size_t len = s.size() < w_.bufsize() - n ? s.size() : w_.bufsize() - n;
    if (len) std::memcpy(out + n, s.data(), len);
    n += len;
  };
  put(ck.name);
  put("=");
  if (server.cookie.empty()) {
    put("; Expires=Thu, 01-Jan-1970 00:00:01 GMT");   // a server without a value: forget the cookie
  } else {
    put(server.cookie);
    if (ck.maxidle_s || ck.maxlife_s) {
      char d[5];
      uint64_t now = static_cast<uint64_t>(std::time(nullptr));
      encode_date(now, d);
      put("|");
      put(std::string_view(d, 5));
      if (ck.maxlife_s) {
        encode_date(cookie_first_ ? cookie_first_ : now, d);
        put("|");
        put(std::string_view(d, 5));
      }
    }
  }
  put("; path=/");
  for (const auto& dom : ck.domains) {
    put("; domain=");
    put(dom);
  }
  if (ck.httponly) put("; HttpOnly");
  if (ck.secure) put("; Secure");
  for (const auto& a : ck.attrs) {
    put("; ");
    put(a);
  }
  http::HeadEdit e;
  e.kind = http::HeadEdit::Kind::add_header;
  e.name = "set-cookie";
  e.value = std::string_view(out, n);
  if (ck.nocache && response_cacheable(head(), base())) {
    e.name2 = "cache-control";
    e.value2 = "private";
  }
  cookie_resp_flag_ = direct_ ? 'U' : 'I';
  return edit_head(false, e);
}

}  // namespace portero::proxy
