// Keywords of the load-balancing feature: `balance`, `hash-type`, `hash-balance-factor` and
// `persist rdp-cookie`. Arguments are validated as HAProxy 2.6 does (same acceptance, same
// messages) and stored in structured form for the lb module.
#include <cstdlib>
#include <cstring>

#include "parse_context.h"

namespace portero::config {
namespace {

Proxy& px(ParseContext& c) { return *c.proxy; }

std::vector<std::string> rest(const Args& a, size_t from) {
  return std::vector<std::string>(a.begin() + std::min(from, a.size()), a.end());
}

// LVS scheduler names people carry over from ipvsadm/keepalived, and the closest `balance`:
// rr/wrr rotate by weight; lc/wlc/sed/nq pick by active connections (weighted); lblc is
// locality-based least connection (no equivalent: least connections is the closest); sh hashes
// the source address; dh hashes the destination address, for which HAProxy has no algorithm:
// uri is the closest destination-based hash for a cache farm.
const char* lvs_equivalent(const std::string& alg) {
  if (alg == "rr" || alg == "wrr") return "roundrobin";
  if (alg == "lc" || alg == "wlc" || alg == "sed" || alg == "nq" || alg == "lblc") return "leastconn";
  if (alg == "sh") return "source";
  if (alg == "dh") return "uri";
  return nullptr;
}

// HAProxy's atoi(): leading number, junk reads as 0.
long lenient(const std::string& s) { return std::strtol(s.c_str(), nullptr, 10); }

// The text between '(' at `open` and the first ')' after it; false when missing or empty.
bool paren_name(const std::string& word, size_t open, std::string& out) {
  if (open >= word.size() || word[open] != '(') return false;
  const size_t close = word.find(')', open + 1);
  if (close == std::string::npos || close == open + 1) return false;
  out = word.substr(open + 1, close - open - 1);
  return true;
}

// Returns an error text (without the "balance " prefix), or empty when `b` was filled.
std::string parse_balance(const Args& a, Balance& b) {
  const std::string& alg = a[1];
  const size_t nargs = a.size();
  if (alg == "roundrobin" || alg == "static-rr" || alg == "leastconn" || alg == "first" || alg == "source") {
    b.algorithm = alg;
    return {};
  }
  if (alg.starts_with("random")) {
    // `random`, `random(N)`; anything else after the word is ignored, as HAProxy does.
    b.algorithm = "random";
    if (alg.size() > 7 && alg[6] == '(' && alg[7] != ')') {
      const char* beg = alg.c_str() + 7;
      char* end = nullptr;
      const long v = std::strtol(beg, &end, 0);
      if (*end != ')') {
        if (!*end) return "random : missing closing parenthesis.";
        return std::string("random : unexpected character '") + *end + "' after argument.";
      }
      const int32_t draws = int32_t(uint32_t(uint64_t(v)));  // stored in an int by HAProxy
      if (draws < 1) return "random : number of draws must be at least 1.";
      b.random_draws = uint32_t(draws);
    } else if (alg.size() == 7 && alg[6] == '(') {
      return "random : missing closing parenthesis.";
    }
    return {};
  }
  if (alg == "uri") {
    b.algorithm = alg;
    for (size_t i = 2; i < nargs; ++i) {
      const std::string& w = a[i];
      if (w == "len" || w == "depth") {
        const std::string v = i + 1 < nargs ? a[i + 1] : "";
        const long n = lenient(v);
        if (n <= 0) return "uri : '" + w + "' expects a positive integer (got '" + v + "').";
        (w == "len" ? b.uri_len : b.uri_depth) = uint32_t(std::min<long>(n, INT32_MAX));
        ++i;
      } else if (w == "whole") {
        b.uri_whole = true;
      } else if (w == "path-only") {
        b.uri_path_only = true;
      } else {
        return "uri only accepts parameters 'len', 'depth', 'path-only', and 'whole' (got '" + w + "').";
      }
    }
    return {};
  }
  if (alg == "url_param") {
    b.algorithm = alg;
    if (nargs < 3 || a[2].empty()) return "url_param requires an URL parameter name.";
    b.param_name = a[2];
    if (nargs > 3) {
      // A number after check_post (the old max_wait) and anything beyond are ignored.
      if (a[3] != "check_post") return "url_param only accepts 'check_post' modifier (got '" + a[3] + "').";
      b.check_post = true;
    }
    return {};
  }
  if (alg.starts_with("hdr(")) {
    b.algorithm = "hdr";
    if (!paren_name(alg, 3, b.header_name)) return "hdr requires an http header field name.";
    if (nargs > 2) {
      if (a[2] != "use_domain_only") return alg + " only accepts 'use_domain_only' modifier (got '" + a[2] + "').";
      b.use_domain_only = true;
    }
    return {};
  }
  if (alg.starts_with("rdp-cookie")) {
    b.algorithm = "rdp-cookie";
    if (alg.size() == 10) return {};  // default cookie name
    if (!paren_name(alg, 10, b.rdp_cookie_name)) return "rdp-cookie : missing cookie name.";
    return {};
  }
  if (alg == "hash") {
    b.algorithm = alg;
    if (nargs < 3) return "hash requires a sample expression.";
    b.hash_expr = rest(a, 2);
    return {};
  }
  return "only supports 'roundrobin', 'static-rr', 'leastconn', 'source', 'uri', 'url_param', "
         "'hdr(name)' and 'rdp-cookie(name)' options.";
}

void kw_balance(ParseContext& c, const Args& a) {
  if (a.size() < 2) return;  // HAProxy keeps the current algorithm
  Balance b;
  b.origin = c.origin;
  b.args = rest(a, 2);
  std::string err = parse_balance(a, b);
  if (!err.empty()) {
    if (const char* eq = lvs_equivalent(a[1]))
      err += " ('" + a[1] + "' is an LVS scheduler name; the closest HAProxy algorithm is 'balance " + eq + "'.)";
    return c.alert("balance " + err);
  }
  px(c).balance = std::move(b);
}

bool hash_function(const std::string& w) { return w == "sdbm" || w == "djb2" || w == "wt6" || w == "crc32"; }

void kw_hash_type(ParseContext& c, const Args& a) {
  const std::string m = a.size() > 1 ? a[1] : "";
  if (m == "avalanche")
    return c.alert("experimental feature 'hash-type avalanche' is not supported anymore, please use "
                   "'hash-type map-based sdbm avalanche' instead.");
  if (m != "map-based" && m != "consistent")
    return c.alert("'hash-type' only supports 'consistent' and 'map-based'.");
  HashType h;
  h.method = m;
  if (a.size() < 3 || a[2].empty()) {
    // Without a function word, consistent hashing uses sdbm with avalanche (COMPAT 1.2).
    h.avalanche = m == "consistent";
  } else {
    if (!hash_function(a[2])) return c.alert("'hash-type' only supports 'sdbm', 'djb2', 'crc32', or 'wt6' hash functions.");
    h.function = a[2];
    if (a.size() > 3 && !a[3].empty()) {
      if (a[3] != "avalanche") return c.alert("'hash-type' only supports 'avalanche' as a modifier for hash functions.");
      h.avalanche = true;
    }
  }
  px(c).hash_type = h;
}

void kw_hash_balance_factor(ParseContext& c, const Args& a) {
  if (a.size() < 2) return c.alert("'hash-balance-factor' expects an integer argument.");
  const long f = lenient(a[1]);
  if (f != 0 && f <= 100) return c.alert("'hash-balance-factor' must be 0 or greater than 100.");
  px(c).hash_balance_factor = uint32_t(std::min<long>(f, INT32_MAX));
}

void kw_persist(ParseContext& c, const Args& a) {
  if (a.size() < 2) return c.alert("missing persist method.");
  const std::string& w = a[1];
  if (!w.starts_with("rdp-cookie")) return c.alert("unknown persist method.");
  std::string name = "msts";   // persistence reads the `msts` cookie, not balancing's mstshash
  if (w.size() > 10 && !paren_name(w, 10, name))
    return c.alert("persist rdp-cookie(name)' requires an rdp cookie name.");
  px(c).persist_rdp_cookie = true;
  px(c).persist_rdp_cookie_name = name;
}

const KeywordRow kRows[] = {
    {kInProxies, "balance", true, Cap::backend, false, kw_balance},
    {kInProxies, "hash-type", true, Cap::backend, false, kw_hash_type},
    {kInProxies, "hash-balance-factor", true, Cap::backend, false, kw_hash_balance_factor},
    {kInProxies, "persist", true, Cap::backend, false, kw_persist},
};

}  // namespace

void register_balance_keywords(Registry& r) { r.add(kRows); }

}  // namespace portero::config
