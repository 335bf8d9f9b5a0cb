// Sample fetches. Each one reads the SampleContext without allocating; multi-valued fetches
// (headers, cookies, url parameters) keep their cursor in a FetchState so an ACL can try every
// value while a `%[...]` expression gets the single value HAProxy gives in sample context.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <string>

#include "auth.h"
#include "sample.h"

namespace portero::acl {
namespace {

using http::Head;
using http::Header;

bool set_addr(const sockaddr* sa, Sample& out) {
  if (!sa) return false;
  if (sa->sa_family == AF_INET) {
    out.type = SmpType::ipv4;
    std::memcpy(out.ip, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, 4);
    return true;
  }
  if (sa->sa_family == AF_INET6) {
    out.type = SmpType::ipv6;
    std::memcpy(out.ip, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, 16);
    return true;
  }
  return false;
}

bool set_port(const sockaddr* sa, Sample& out) {
  if (!sa) return false;
  out.type = SmpType::sint;
  if (sa->sa_family == AF_INET) out.i = ntohs(reinterpret_cast<const sockaddr_in*>(sa)->sin_port);
  else if (sa->sa_family == AF_INET6) out.i = ntohs(reinterpret_cast<const sockaddr_in6*>(sa)->sin6_port);
  else return false;
  return true;
}

bool f_src(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) { return set_addr(c.src, o); }
bool f_dst(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) { return set_addr(c.dst, o); }
bool f_src_port(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) { return set_port(c.src, o); }
bool f_dst_port(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) { return set_port(c.dst, o); }

// The request head, or false with may_change when it may still come.
const Head* request(const SampleContext& c, Sample& o) {
  if (!c.request || !c.base) {
    o.may_change = !c.final;
    return nullptr;
  }
  return c.request;
}

bool str_out(Sample& o, std::string_view v) {
  o.type = SmpType::str;
  o.s = v;
  return true;
}

std::string_view target(const SampleContext& c) { return c.request->target.in(c.base); }

// The path of a request-target: origin form up to '?', absolute form from the first '/' after
// the authority. Absent for '*' and authority forms.
bool path_of(std::string_view t, std::string_view& path) {
  if (t.empty()) return false;
  if (t[0] != '/') {
    size_t scheme = t.find("://");
    if (scheme == std::string_view::npos) return false;
    size_t slash = t.find('/', scheme + 3);
    if (slash == std::string_view::npos) return false;
    t.remove_prefix(slash);
  }
  size_t q = t.find('?');
  path = t.substr(0, q);
  return true;
}

bool f_path(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) {
  if (!request(c, o)) return false;
  std::string_view p;
  if (!path_of(target(c), p)) return false;
  return str_out(o, p);
}

// pathq: the path and the query, without the scheme and authority of an absolute form.
bool f_pathq(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) {
  if (!request(c, o)) return false;
  std::string_view t = target(c), p;
  if (!path_of(t, p)) return false;
  return str_out(o, t.substr(size_t(p.data() - t.data())));
}

bool f_url(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) {
  if (!request(c, o)) return false;
  return str_out(o, target(c));
}

// url_ip / url_port: an absolute-form target naming an IPv4 address ("http://1.2.3.4:8080/x");
// the port defaults to the scheme's (80, 443). A host name or IPv6 gives neither, as HAProxy.
bool url_ipv4(std::string_view t, in_addr& ip, int64_t& port) {
  int64_t default_port;
  if (t.size() > 7 && http::iequals(t.substr(0, 7), "http://")) default_port = 80, t.remove_prefix(7);
  else if (t.size() > 8 && http::iequals(t.substr(0, 8), "https://")) default_port = 443, t.remove_prefix(8);
  else return false;
  const std::string_view authority = t.substr(0, t.find_first_of("/?#"));
  const size_t colon = authority.find(':');
  const std::string host(authority.substr(0, colon));
  if (inet_pton(AF_INET, host.c_str(), &ip) != 1) return false;
  port = default_port;
  if (colon != std::string_view::npos) {
    port = 0;
    for (char ch : authority.substr(colon + 1)) {
      if (ch < '0' || ch > '9' || port > 65535) return false;
      port = port * 10 + (ch - '0');
    }
  }
  return true;
}

bool f_url_ip(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) {
  if (!request(c, o)) return false;
  in_addr ip{};
  int64_t port = 0;
  if (!url_ipv4(target(c), ip, port)) return false;
  o.type = SmpType::ipv4;
  std::memcpy(o.ip, &ip, 4);
  return true;
}

bool f_url_port(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) {
  if (!request(c, o)) return false;
  in_addr ip{};
  int64_t port = 0;
  if (!url_ipv4(target(c), ip, port)) return false;
  o.type = SmpType::sint;
  o.i = port;
  return true;
}

bool f_query(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) {
  if (!request(c, o)) return false;
  std::string_view t = target(c);
  size_t q = t.find('?');
  if (q == std::string_view::npos) return false;
  return str_out(o, t.substr(q + 1));
}

// base: the Host header followed by the path (HAProxy concatenates into a trash chunk; we
// have no buffer here, so fetches needing it get it through the scratch-less trick below:
// the two parts are adjacent only by chance, so base is built in a thread-local buffer).
thread_local char tl_base[Scratch::kSize];

bool f_base(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) {
  const Head* h = request(c, o);
  if (!h) return false;
  const Header* host = h->find(c.base, "host");
  std::string_view p;
  if (!path_of(target(c), p)) return false;
  if (!host) return str_out(o, p);
  std::string_view hv = host->value.in(c.base);
  if (hv.size() + p.size() > sizeof(tl_base)) return false;
  if (hv.size()) std::memcpy(tl_base, hv.data(), hv.size());
  if (p.size()) std::memcpy(tl_base + hv.size(), p.data(), p.size());
  return str_out(o, {tl_base, hv.size() + p.size()});
}

bool f_method(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) {
  if (!request(c, o)) return false;
  return str_out(o, c.request->method.in(c.base));
}

thread_local char tl_ver[8];
bool version(const Head* h, Sample& o) {
  tl_ver[0] = char('0' + h->major);
  tl_ver[1] = '.';
  tl_ver[2] = char('0' + h->minor);
  return str_out(o, {tl_ver, 3});
}

bool f_req_ver(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) {
  if (!request(c, o)) return false;
  return version(c.request, o);
}

// Header values. `split`: comma-separated values count as separate occurrences (hdr), else
// whole lines (fhdr). Calls `fn(value)` for each in order; stops when fn returns false.
template <class Fn>
void for_each_value(const Head& h, const char* base, std::string_view name, bool split, Fn&& fn) {
  for (uint16_t i = 0; i < h.count; ++i) {
    if (!name.empty() && !iequal(h.headers[i].name.in(base), name)) continue;
    std::string_view v = h.headers[i].value.in(base);
    if (!split) {
      if (!fn(v)) return;
      continue;
    }
    size_t start = 0;
    while (true) {
      size_t comma = v.find(',', start);
      std::string_view item = v.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
      while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
      if (!fn(item)) return;
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
  }
}

int count_values(const Head& h, const char* base, std::string_view name, bool split) {
  int n = 0;
  for_each_value(h, base, name, split, [&](std::string_view) { ++n; return true; });
  return n;
}

// The `idx`-th value (1-based) or false.
bool nth_value(const Head& h, const char* base, std::string_view name, bool split, int idx, std::string_view& out) {
  int n = 0;
  bool found = false;
  for_each_value(h, base, name, split, [&](std::string_view v) {
    if (++n == idx) {
      out = v;
      found = true;
      return false;
    }
    return true;
  });
  return found;
}

// hdr(name[,occ]) on a head. occ > 0: that occurrence; occ < 0: counted from the last; occ == 0:
// every value when iterating, the last one otherwise.
bool header_fetch(const Head* h, const char* base, const FetchCall& call, bool iterate, FetchState& st, Sample& o,
                  bool split) {
  std::string_view name = call.args.size() > 0 ? std::string_view(call.args[0].s) : std::string_view();
  int64_t occ = call.args.size() > 1 ? call.args[1].i : 0;
  if (!st.started) {
    st.started = true;
    st.b = static_cast<uint32_t>(count_values(*h, base, name, split));
    st.a = 0;
  }
  const int total = static_cast<int>(st.b);
  int idx;
  if (occ > 0) {
    if (st.a) return false;
    idx = static_cast<int>(occ);
  } else if (occ < 0) {
    if (st.a) return false;
    idx = total + 1 + static_cast<int>(occ);
  } else if (!iterate) {
    if (st.a) return false;
    idx = total;
  } else {
    idx = static_cast<int>(st.a) + 1;
  }
  if (idx <= 0 || idx > total) return false;
  std::string_view v;
  if (!nth_value(*h, base, name, split, idx, v)) return false;
  st.a = static_cast<uint32_t>(idx);
  st.more = occ == 0 && iterate && idx < total;
  return str_out(o, v);
}

bool f_hdr(const FetchCall& f, const SampleContext& c, bool it, FetchState& st, Sample& o) {
  if (!request(c, o)) return false;
  return header_fetch(c.request, c.base, f, it, st, o, true);
}
bool f_fhdr(const FetchCall& f, const SampleContext& c, bool it, FetchState& st, Sample& o) {
  if (!request(c, o)) return false;
  return header_fetch(c.request, c.base, f, it, st, o, false);
}
bool f_hdr_cnt(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  if (!request(c, o)) return false;
  o.type = SmpType::sint;
  o.i = count_values(*c.request, c.base, f.args.empty() ? std::string_view() : f.args[0].s, true);
  return true;
}
bool f_fhdr_cnt(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  if (!request(c, o)) return false;
  o.type = SmpType::sint;
  o.i = count_values(*c.request, c.base, f.args.empty() ? std::string_view() : f.args[0].s, false);
  return true;
}

const Head* response(const SampleContext& c, Sample& o) {
  if (!c.response || !c.response_base) {
    o.may_change = !c.final;
    return nullptr;
  }
  return c.response;
}
bool f_res_hdr(const FetchCall& f, const SampleContext& c, bool it, FetchState& st, Sample& o) {
  if (!response(c, o)) return false;
  return header_fetch(c.response, c.response_base, f, it, st, o, true);
}
bool f_res_fhdr(const FetchCall& f, const SampleContext& c, bool it, FetchState& st, Sample& o) {
  if (!response(c, o)) return false;
  return header_fetch(c.response, c.response_base, f, it, st, o, false);
}
bool f_res_hdr_cnt(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  if (!response(c, o)) return false;
  o.type = SmpType::sint;
  o.i = count_values(*c.response, c.response_base, f.args.empty() ? std::string_view() : f.args[0].s, true);
  return true;
}
bool f_status(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) {
  if (!response(c, o)) return false;
  o.type = SmpType::sint;
  o.i = c.response->status;
  return true;
}
bool f_res_ver(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) {
  if (!response(c, o)) return false;
  return version(c.response, o);
}

// Cookies of every `Cookie:` header, in order: calls fn(name, value) until it returns false.
template <class Fn>
void for_each_cookie(const Head& h, const char* base, Fn&& fn) {
  for (uint16_t i = 0; i < h.count; ++i) {
    if (!iequal(h.headers[i].name.in(base), "cookie")) continue;
    std::string_view v = h.headers[i].value.in(base);
    size_t pos = 0;
    while (pos < v.size()) {
      size_t end = v.find(';', pos);
      if (end == std::string_view::npos) end = v.size();
      std::string_view item = v.substr(pos, end - pos);
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
      while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
      size_t eq = item.find('=');
      if (eq != std::string_view::npos) {
        std::string_view n = item.substr(0, eq), val = item.substr(eq + 1);
        while (!n.empty() && (n.back() == ' ' || n.back() == '\t')) n.remove_suffix(1);
        while (!val.empty() && (val.front() == ' ' || val.front() == '\t')) val.remove_prefix(1);
        if (!fn(n, val)) return;
      }
      pos = end + 1;
    }
  }
}

bool f_cook(const FetchCall& f, const SampleContext& c, bool iterate, FetchState& st, Sample& o) {
  if (!request(c, o)) return false;
  std::string_view name = f.args.empty() ? std::string_view() : std::string_view(f.args[0].s);
  // st.a: occurrences already returned (iterating), st.b: total matching cookies.
  if (!st.started) {
    st.started = true;
    int n = 0;
    for_each_cookie(*c.request, c.base, [&](std::string_view cn, std::string_view) {
      if (name.empty() || cn == name) ++n;
      return true;
    });
    st.b = static_cast<uint32_t>(n);
  }
  const int want = iterate ? static_cast<int>(st.a) + 1 : static_cast<int>(st.b);  // sample context: last
  if ((!iterate && st.a) || want <= 0 || want > static_cast<int>(st.b)) return false;
  int n = 0;
  bool found = false;
  for_each_cookie(*c.request, c.base, [&](std::string_view cn, std::string_view v) {
    if (!name.empty() && cn != name) return true;
    if (++n == want) {
      o.s = v;
      found = true;
      return false;
    }
    return true;
  });
  // In an ACL, HAProxy does not see a cookie with an empty value (`sess=` is "not found").
  if (!found || (iterate && o.s.empty())) return false;
  st.a = static_cast<uint32_t>(want);
  st.more = iterate && want < static_cast<int>(st.b);
  o.type = SmpType::str;
  return true;
}

bool f_cook_cnt(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  if (!request(c, o)) return false;
  std::string_view name = f.args.empty() ? std::string_view() : std::string_view(f.args[0].s);
  int n = 0;
  for_each_cookie(*c.request, c.base, [&](std::string_view cn, std::string_view) {
    if (name.empty() || cn == name) ++n;
    return true;
  });
  o.type = SmpType::sint;
  o.i = n;
  return true;
}

// url_param(name[,delim]): values of `name` in the query string, in order.
bool f_url_param(const FetchCall& f, const SampleContext& c, bool iterate, FetchState& st, Sample& o) {
  if (!request(c, o)) return false;
  std::string_view t = target(c);
  size_t q = t.find('?');
  if (q == std::string_view::npos) return false;
  std::string_view qs = t.substr(q + 1);
  std::string_view name = f.args.empty() ? std::string_view() : std::string_view(f.args[0].s);
  const char delim = f.args.size() > 1 && !f.args[1].s.empty() ? f.args[1].s[0] : '&';
  size_t pos = st.a;
  while (pos <= qs.size()) {
    size_t end = qs.find(delim, pos);
    if (end == std::string_view::npos) end = qs.size();
    std::string_view item = qs.substr(pos, end - pos);
    pos = end + 1;
    size_t eq = item.find('=');
    std::string_view n = item.substr(0, eq);
    if (!name.empty() && n != name) continue;
    st.a = static_cast<uint32_t>(pos);
    st.more = iterate && pos <= qs.size();
    return str_out(o, eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1));
  }
  return false;
}

bool f_body(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) {
  if (!request(c, o)) return false;
  o.type = SmpType::bin;
  o.s = c.body;
  o.may_change = !c.body_complete && !c.final;
  return true;
}

// Bytes received from the client: the tcp payload, or in HTTP the head and body so far.
bool f_req_len(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) {
  o.type = SmpType::sint;
  o.i = static_cast<int64_t>(c.payload.size());
  if (c.payload.empty() && c.request) o.i = static_cast<int64_t>(c.request->length + c.body.size());
  o.may_change = !c.final;
  return true;
}

bool f_fe_name(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) {
  if (!c.frontend) return false;
  return str_out(o, c.frontend->name);
}
// so_id / so_name: the listening socket (bind line) the connection came through.
bool f_so_id(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) {
  if (!c.so_id) return false;
  o.type = SmpType::sint;
  o.i = c.so_id;
  return true;
}
bool f_so_name(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) {
  if (c.so_name.empty()) return false;
  return str_out(o, c.so_name);
}
bool f_fc_pp_authority(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) {
  if (c.pp_authority.empty()) return false;
  return str_out(o, c.pp_authority);
}
bool f_fc_pp_unique_id(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) {
  if (c.pp_unique_id.empty()) return false;
  return str_out(o, c.pp_unique_id);
}
bool f_unique_id(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) {
  if (!c.unique_id || !c.frontend || c.frontend->unique_id_format.empty()) return false;
  return str_out(o, c.unique_id(c.unique_id_self));
}
// capture.req.hdr(N) / capture.res.hdr(N): what the frontend's capture slot N holds.
bool captured(const FetchCall& f, const SampleContext& c, bool response, Sample& o) {
  std::string_view v;
  if (!c.captured || f.args.empty() || !c.captured(c.captured_self, response, f.args[0].i, v)) return false;
  return str_out(o, v);
}
bool f_capture_req_hdr(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  return captured(f, c, false, o);
}
bool f_capture_res_hdr(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  return captured(f, c, true, o);
}
bool f_be_name(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) {
  if (!c.backend) return false;
  return str_out(o, c.backend->name);
}

bool f_nbsrv(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  int px = f.args.empty() ? -1 : f.args[0].proxy_index;
  const config::Config* cfg = c.config;
  if (px < 0) {
    if (!c.backend || !cfg) return false;
    px = static_cast<int>(c.backend - cfg->proxies.data());
  }
  o.type = SmpType::sint;
  if (c.usable_servers) {
    o.i = c.usable_servers(c.opaque, px);
  } else if (cfg && px < static_cast<int>(cfg->proxies.size())) {
    o.i = 0;
    const auto& servers = cfg->proxies[px].servers;
    for (size_t s = 0; s < servers.size(); ++s) o.i += servers.live(s) && !servers[s].disabled;
  } else {
    return false;
  }
  return true;
}

bool f_srv_is_up(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  if (f.args.empty()) return false;
  const Arg& a = f.args[0];
  o.type = SmpType::boolean;
  if (c.server_is_up) {
    o.i = c.server_is_up(c.opaque, a.proxy_index, a.server_index);
  } else if (c.config) {
    o.i = !c.config->proxies[a.proxy_index].servers[a.server_index].disabled;
  } else {
    return false;
  }
  return true;
}

bool f_true(const FetchCall&, const SampleContext&, bool, FetchState&, Sample& o) {
  o.type = SmpType::boolean;
  o.i = 1;
  return true;
}
bool f_false(const FetchCall&, const SampleContext&, bool, FetchState&, Sample& o) {
  o.type = SmpType::boolean;
  o.i = 0;
  return true;
}

bool f_wait_end(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) {
  if (!c.final) {
    o.may_change = true;
    return false;
  }
  o.type = SmpType::boolean;
  o.i = 1;
  return true;
}

bool f_proto_http(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) {
  if (!c.request) {
    if (!c.final) {
      o.may_change = true;
      return false;
    }
    o.type = SmpType::boolean;
    o.i = 0;
    return true;
  }
  o.type = SmpType::boolean;
  o.i = 1;
  return true;
}

bool f_str(const FetchCall& f, const SampleContext&, bool, FetchState&, Sample& o) { return str_out(o, f.args[0].s); }
bool f_int(const FetchCall& f, const SampleContext&, bool, FetchState&, Sample& o) {
  o.type = SmpType::sint;
  o.i = f.args[0].i;
  return true;
}
bool f_bool(const FetchCall& f, const SampleContext&, bool, FetchState&, Sample& o) {
  o.type = SmpType::boolean;
  o.i = f.args[0].i != 0;
  return true;
}

// var(<name>[,<default>]): the variable, else the default when one is given.
bool f_var(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  VarStore::Value v;
  if (c.vars) v = c.vars->get(f.args[0].s);
  switch (v.type) {
    case VarStore::Type::none: return f.args.size() > 1 && str_out(o, f.args[1].s);
    case VarStore::Type::boolean: o.type = SmpType::boolean; o.i = v.i; return true;
    case VarStore::Type::sint: o.type = SmpType::sint; o.i = v.i; return true;
    case VarStore::Type::str: return str_out(o, v.s);
  }
  return false;
}

// http_first_req: the request is the first of its connection (each HTTP/2 stream is a first).
bool f_http_first_req(const FetchCall&, const SampleContext& c, bool, FetchState&, Sample& o) {
  if (!request(c, o)) return false;
  o.type = SmpType::boolean;
  o.i = c.first_request;
  return true;
}

// http_auth(userlist): the Authorization header holds valid Basic credentials of the list.
bool f_http_auth(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  if (!request(c, o)) return false;
  o.type = SmpType::boolean;
  o.i = check_basic_auth(*c.request, c.base, *f.args[0].userlist) != nullptr;
  return true;
}

// http_auth_group(userlist): the authenticated user's name; the ACL matcher then checks its
// groups against the patterns.
bool f_http_auth_group(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  if (!request(c, o)) return false;
  const config::Userlist::User* u = check_basic_auth(*c.request, c.base, *f.args[0].userlist);
  if (!u) return false;
  return str_out(o, u->name);
}

// The RDP connection request cookie ("Cookie: mstshash=NAME\r\n" after the X.224 header).
bool rdp_cookie(const SampleContext& c, std::string_view name, std::string_view& value, bool& incomplete) {
  std::string_view d = c.payload;
  incomplete = false;
  if (d.size() < 11) {
    incomplete = true;
    return false;
  }
  const size_t tpkt = (static_cast<uint8_t>(d[2]) << 8) | static_cast<uint8_t>(d[3]);
  if (d[0] != 3 || d[1] != 0 || tpkt < 11) return false;
  if (d.size() < tpkt) incomplete = true;
  d = d.substr(11, tpkt - 11 <= d.size() - 11 ? tpkt - 11 : d.size() - 11);
  if (d.size() < 7 || !iequal(d.substr(0, 7), "Cookie:")) return false;
  d.remove_prefix(7);
  while (!d.empty() && d.front() == ' ') d.remove_prefix(1);
  size_t eq = d.find('=');
  if (eq == std::string_view::npos) return false;
  if (!name.empty() && !iequal(d.substr(0, eq), name)) return false;
  d.remove_prefix(eq + 1);
  size_t end = d.find("\r\n");
  if (end == std::string_view::npos) {
    incomplete = true;
    return false;
  }
  value = d.substr(0, end);
  incomplete = false;
  return true;
}

bool f_rdp_cookie(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  std::string_view v;
  bool incomplete;
  std::string_view name = f.args.empty() ? std::string_view() : std::string_view(f.args[0].s);
  if (!rdp_cookie(c, name, v, incomplete)) {
    o.may_change = incomplete && !c.final;
    return false;
  }
  return str_out(o, v);
}

bool f_rdp_cookie_cnt(const FetchCall& f, const SampleContext& c, bool, FetchState&, Sample& o) {
  std::string_view v;
  bool incomplete;
  std::string_view name = f.args.empty() ? std::string_view() : std::string_view(f.args[0].s);
  const bool found = rdp_cookie(c, name, v, incomplete);
  if (!found && incomplete && !c.final) {
    o.may_change = true;
    return false;
  }
  o.type = SmpType::sint;
  o.i = found ? 1 : 0;
  return true;
}

using A = ArgType;
const FetchDef kFetches[] = {
    {"src", f_src, SmpType::ipv4, {}, 0, false},
    {"dst", f_dst, SmpType::ipv4, {}, 0, false},
    {"src_port", f_src_port, SmpType::sint, {}, 0, false},
    {"dst_port", f_dst_port, SmpType::sint, {}, 0, false},
    {"path", f_path, SmpType::str, {}, 0, true},
    {"pathq", f_pathq, SmpType::str, {}, 0, true},
    {"url", f_url, SmpType::str, {}, 0, true},
    {"base", f_base, SmpType::str, {}, 0, true},
    {"query", f_query, SmpType::str, {}, 0, true},
    {"url_ip", f_url_ip, SmpType::ipv4, {}, 0, true},
    {"url_port", f_url_port, SmpType::sint, {}, 0, true},
    {"url_param", f_url_param, SmpType::str, {A::str, A::str}, 0, true},
    {"urlp", f_url_param, SmpType::str, {A::str, A::str}, 0, true},
    {"method", f_method, SmpType::str, {}, 0, true},
    {"req.ver", f_req_ver, SmpType::str, {}, 0, true},
    {"req_ver", f_req_ver, SmpType::str, {}, 0, true},
    {"req.hdr", f_hdr, SmpType::str, {A::str, A::sint}, 0, true},
    {"hdr", f_hdr, SmpType::str, {A::str, A::sint}, 0, true},
    {"req.fhdr", f_fhdr, SmpType::str, {A::str, A::sint}, 0, true},
    {"req.hdr_cnt", f_hdr_cnt, SmpType::sint, {A::str}, 0, true},
    {"hdr_cnt", f_hdr_cnt, SmpType::sint, {A::str}, 0, true},
    {"req.fhdr_cnt", f_fhdr_cnt, SmpType::sint, {A::str}, 0, true},
    {"req.cook", f_cook, SmpType::str, {A::str}, 0, true},
    {"cook", f_cook, SmpType::str, {A::str}, 0, true},
    {"req.cook_cnt", f_cook_cnt, SmpType::sint, {A::str}, 0, true},
    {"cook_cnt", f_cook_cnt, SmpType::sint, {A::str}, 0, true},
    {"req.body", f_body, SmpType::bin, {}, 0, true},
    {"req.len", f_req_len, SmpType::sint, {}, 0, false},
    {"req_len", f_req_len, SmpType::sint, {}, 0, false},
    {"req.proto_http", f_proto_http, SmpType::boolean, {}, 0, false},
    {"req_proto_http", f_proto_http, SmpType::boolean, {}, 0, false},
    {"req.rdp_cookie", f_rdp_cookie, SmpType::str, {A::str}, 0, false},
    {"rdp_cookie", f_rdp_cookie, SmpType::str, {A::str}, 0, false},
    {"req.rdp_cookie_cnt", f_rdp_cookie_cnt, SmpType::sint, {A::str}, 0, false},
    {"rdp_cookie_cnt", f_rdp_cookie_cnt, SmpType::sint, {A::str}, 0, false},
    {"req_rdp_cookie_cnt", f_rdp_cookie_cnt, SmpType::sint, {A::str}, 0, false},
    {"fe_name", f_fe_name, SmpType::str, {}, 0, false},
    {"so_id", f_so_id, SmpType::sint, {}, 0, false},
    {"so_name", f_so_name, SmpType::str, {}, 0, false},
    {"fc_pp_authority", f_fc_pp_authority, SmpType::str, {}, 0, false},
    {"fc_pp_unique_id", f_fc_pp_unique_id, SmpType::str, {}, 0, false},
    {"be_name", f_be_name, SmpType::str, {}, 0, false},
    {"unique-id", f_unique_id, SmpType::str, {}, 0, false},
    {"capture.req.hdr", f_capture_req_hdr, SmpType::str, {A::sint}, 1, false},
    {"capture.res.hdr", f_capture_res_hdr, SmpType::str, {A::sint}, 1, false},
    {"nbsrv", f_nbsrv, SmpType::sint, {A::backend}, 0, false},
    {"srv_is_up", f_srv_is_up, SmpType::boolean, {A::server}, 1, false},
    {"always_true", f_true, SmpType::boolean, {}, 0, false},
    {"always_false", f_false, SmpType::boolean, {}, 0, false},
    {"wait_end", f_wait_end, SmpType::boolean, {}, 0, false},
    {"http_auth", f_http_auth, SmpType::boolean, {A::userlist}, 1, true},
    {"http_auth_group", f_http_auth_group, SmpType::str, {A::userlist}, 1, true},
    {"str", f_str, SmpType::str, {A::str}, 1, false},
    {"int", f_int, SmpType::sint, {A::sint}, 1, false},
    {"bool", f_bool, SmpType::boolean, {A::sint}, 1, false},
    {"var", f_var, SmpType::str, {A::str, A::str}, 1, false},
    {"http_first_req", f_http_first_req, SmpType::boolean, {}, 0, true},
    {"res.hdr", f_res_hdr, SmpType::str, {A::str, A::sint}, 0, true},
    {"shdr", f_res_hdr, SmpType::str, {A::str, A::sint}, 0, true},
    {"res.fhdr", f_res_fhdr, SmpType::str, {A::str, A::sint}, 0, true},
    {"res.hdr_cnt", f_res_hdr_cnt, SmpType::sint, {A::str}, 0, true},
    {"shdr_cnt", f_res_hdr_cnt, SmpType::sint, {A::str}, 0, true},
    {"status", f_status, SmpType::sint, {}, 0, true},
    {"res.ver", f_res_ver, SmpType::str, {}, 0, true},
};

}  // namespace

const FetchDef* find_fetch(std::string_view name) {
  for (const auto& f : kFetches)
    if (f.fn && name == f.name) return &f;
  if (const FetchDef* f = find_payload_fetch(name)) return f;
  if (const FetchDef* f = find_stick_fetch(name)) return f;
  if (const FetchDef* f = find_misc_fetch(name)) return f;
  return find_ssl_fetch(name);
}

}  // namespace portero::acl
