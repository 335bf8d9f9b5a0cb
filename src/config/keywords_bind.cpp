// `bind addr[,addr...] [options]`. Options portero does not implement are judged by the table
// in unimplemented.cpp: a hint is kept on the Bind (so the data plane can see it) with a notice,
// a missing feature is an error.
#include <optional>
#include <set>
#include <sstream>

#include "parse_context.h"
#include "unimplemented.h"

namespace portero::config {
namespace {

// HAProxy 2.6 bind options that take a value, then those that are plain flags.
const std::set<std::string>& valued() {
  static const std::set<std::string> s{
      "accept-netscaler-cip", "alpn", "ca-file", "ca-ignore-err", "ca-sign-file", "ca-sign-pass",
      "ciphers", "ciphersuites", "crl-file", "crt", "crt-ignore-err",
      "crt-list", "curves", "ecdhe", "expose-fd", "gid", "group", "id", "interface", "level", "mode",
      "mss", "namespace", "nice", "npn", "process", "severity-output",
      "ssl-max-ver", "ssl-min-ver", "tcp-ut", "thread", "uid", "user", "verify", "shards"};
  return s;
}
const std::set<std::string>& flags() {
  static const std::set<std::string> s{
      "allow-0rtt", "defer-accept", "force-sslv3", "force-tlsv10", "force-tlsv11",
      "force-tlsv12", "force-tlsv13", "generate-certificates", "no-ca-names", "no-sslv3", "no-tls-tickets",
      "no-tlsv10", "no-tlsv11", "no-tlsv12", "no-tlsv13", "prefer-client-ciphers",
      "ssl", "strict-sni", "tfo", "transparent", "v4v6"};
  return s;
}

void kw_bind(ParseContext& c, const Args& a) {
  if (a.size() < 2)
    return c.alert("'bind' expects {<path>|[addr1]:port1[-end1]}{,[addr]:port[-end]}... as arguments.");
  Bind b;
  b.origin = c.origin;
  b.written = a[1];
  std::stringstream list(a[1]);
  std::string one;
  while (std::getline(list, one, ',')) {
    auto r = parse_address(one, true);
    if (!r.address) return c.alert("'bind' : " + r.error);
    b.addresses.push_back(*r.address);
  }
  const std::string where = "'bind " + a[1] + "' in section '" + c.proxy_type() + "'";
  for (size_t i = 2; i < a.size(); ++i) {
    const std::string& o = a[i];
    const bool has_value = i + 1 < a.size();
    if (o == "name" || o == "maxconn" || o == "backlog") {
      if (!has_value) return c.alert(where + " : '" + o + "' : missing value");
      const std::string& v = a[++i];
      uint32_t n = 0;
      if (o == "name") {
        b.name = v;
      } else if (!parse_uint(v, n)) {
        return c.alert(where + " : '" + o + "' : invalid value '" + v + "'");
      } else if (o == "maxconn") {
        b.maxconn = n;
      } else {
        b.backlog = n;
      }
    } else if (o == "process") {
      // Has no effect in HAProxy 2.6 either (one process), which says so.
      if (!has_value) return c.alert(where + " : '" + o + "' : missing value");
      c.warning(where + " : 'process " + a[++i] + "' on 'bind' lines is deprecated and will be removed in 2.7.");
    } else if (o == "proto") {
      if (!has_value || a[i + 1].empty()) return c.alert(where + " : '" + o + "' : missing value");
      const std::string& v = a[++i];
      const auto proto = mux_proto_named(v);
      if (!proto) return c.alert(where + " : '" + o + "' :  unknown MUX protocol '" + v + "'");
      b.proto = *proto;
    } else if (o == "accept-proxy") {
      b.accept_proxy = true;
    } else if (o == "v6only") {
      // What portero does on every IPv6 listener already (core/listener.cpp sets IPV6_V6ONLY).
    } else if (int r = parse_tls_bind_option(c, a, i, b, where); r != 0) {
      if (r < 0) return;
    } else if (valued().count(o) || flags().count(o)) {
      const bool valued_option = valued().count(o) > 0;
      if (valued_option && !has_value) return c.alert(where + " : '" + o + "' : missing value");
      const GapResult gap = check_unimplemented(c, GapContext::bind, o);
      if (gap == GapResult::refused) return;
      if (gap == GapResult::none) return c.alert(where + ": unknown keyword '" + o + "'.");
      b.unsupported_options.push_back(valued_option ? o + " " + a[i + 1] : o);
      if (valued_option) ++i;
    } else {
      return c.alert(where + ": unknown keyword '" + o + "'.");
    }
  }
  c.proxy->binds.push_back(std::move(b));
}

const KeywordRow kRows[] = {
    {kInProxies, "bind", false, Cap::frontend, true, kw_bind},
};

}  // namespace

// HAProxy 2.6's multiplexers that `proto` may name (`haproxy -vv` lists them); names are
// case-sensitive. Whether the proxy's mode can use one is checked once every line is read.
std::optional<MuxProto> mux_proto_named(const std::string& n) {
  for (MuxProto p : {MuxProto::h1, MuxProto::h2, MuxProto::fcgi, MuxProto::none})
    if (n == mux_proto_name(p)) return p;
  return std::nullopt;
}


void register_bind_keywords(Registry& r) { r.add(kRows); }

}  // namespace portero::config
