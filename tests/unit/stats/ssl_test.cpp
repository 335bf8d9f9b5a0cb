// The SSL columns of `show stat` (ssl_sess, ssl_reused_sess, ssl_failed_handshake on frontend,
// backend and server rows) and the TLS lines of `show info`, as HAProxy 2.6.12 prints them with
// TLS traffic (observed: full handshakes in ssl_sess only, resumptions in ssl_reused_sess; the
// reuse percentage computed from the last second's rates; `clear counters` zeroes the SSL
// columns and the SSL maxima but not CumSslConns).
#include "fixture.h"

using namespace stats_test;

namespace {

const char* kConfig = R"(
frontend fe
    bind :443
    default_backend be
backend be
    server s1 127.0.0.1:8443 ssl
    server s2 127.0.0.1:8080
listen both
    bind :8444
    server s 127.0.0.1:9443 ssl
)";

std::vector<std::string> split(const std::string& l) {
  std::vector<std::string> v;
  size_t b = 0;
  for (size_t e; (e = l.find(',', b)) != std::string::npos; b = e + 1) v.push_back(l.substr(b, e - b));
  return v;
}

std::string cell(const std::string& csv, const std::string& px, const std::string& sv, const std::string& name) {
  const auto ls = lines(csv);
  const auto head = split(ls[0].substr(2));
  size_t col = 0;
  while (col < head.size() && head[col] != name) ++col;
  REQUIRE(col < head.size());
  for (size_t i = 1; i < ls.size(); ++i) {
    const auto v = split(ls[i]);
    if (v.size() > col && v[0] == px && v[1] == sv) return v[col];
  }
  FAIL("no row " << px << "/" << sv);
  return {};
}

std::string info_line(const std::string& info, const std::string& key) {
  for (const std::string& l : lines(info))
    if (l.rfind(key + ": ", 0) == 0) return l.substr(key.size() + 2);
  FAIL("no show info line " << key);
  return {};
}

class FakeRates : public stats::RateView {
 public:
  stats::SslRates ssl_rates;
  bool cleared = false;
  stats::Rates proxy(int) const override { return {}; }
  stats::Rates backend(int) const override { return {}; }
  stats::Rates server(int, int) const override { return {}; }
  stats::SslRates ssl() const override { return ssl_rates; }
  void clear_max() override { cleared = true; }
};

}  // namespace

TEST_CASE("SSL handshake counters land in the columns after '-', summed over workers") {
  Fixture f(kConfig);
  const int fe = f.proxy("fe"), be = f.proxy("be"), both = f.proxy("both");
  auto& f0 = f.counters->proxy(0, size_t(fe));
  auto& f1 = f.counters->proxy(1, size_t(fe));
  f0.add(f0.ssl_sess, 2);
  f1.add(f1.ssl_sess, 1);
  f0.add(f0.ssl_reused_sess, 4);
  f1.add(f1.ssl_failed_handshake, 3);
  auto& b0 = f.counters->backend(0, size_t(be));
  auto& s0 = f.counters->server(0, size_t(be), 0);
  b0.add(b0.ssl_sess, 5), s0.add(s0.ssl_sess, 5);
  b0.add(b0.ssl_reused_sess, 6), s0.add(s0.ssl_reused_sess, 6);
  b0.add(b0.ssl_failed_handshake, 1), s0.add(s0.ssl_failed_handshake, 1);
  auto& lb = f.counters->backend(1, size_t(both));
  lb.add(lb.ssl_sess, 7);

  const std::string out = stats::show_stat(f.src, stats::StatQuery{});
  CHECK(cell(out, "fe", "FRONTEND", "ssl_sess") == "3");
  CHECK(cell(out, "fe", "FRONTEND", "ssl_reused_sess") == "4");
  CHECK(cell(out, "fe", "FRONTEND", "ssl_failed_handshake") == "3");
  CHECK(cell(out, "be", "s1", "ssl_sess") == "5");
  CHECK(cell(out, "be", "s1", "ssl_reused_sess") == "6");
  CHECK(cell(out, "be", "s1", "ssl_failed_handshake") == "1");
  CHECK(cell(out, "be", "s2", "ssl_sess") == "0");
  CHECK(cell(out, "be", "BACKEND", "ssl_sess") == "5");
  CHECK(cell(out, "be", "BACKEND", "ssl_reused_sess") == "6");
  CHECK(cell(out, "both", "FRONTEND", "ssl_sess") == "0");   // a listen's two sides apart
  CHECK(cell(out, "both", "BACKEND", "ssl_sess") == "7");
  CHECK(cell(out, "both", "s", "ssl_sess") == "0");
  // H2/H1 columns stay 0 on frontends and backends, empty on servers
  CHECK(cell(out, "fe", "FRONTEND", "h2_headers_rcvd") == "0");
  CHECK(cell(out, "be", "s1", "h2_headers_rcvd") == "");

  stats::StatQuery typed;
  typed.format = stats::StatQuery::Format::typed;
  const std::string t = stats::show_stat(f.src, typed);
  // positions: after the 103 positional fields (the "-" takes none)
  const std::string fe_id = std::to_string(f.cfg->proxies[size_t(fe)].id);
  const std::string be_id = std::to_string(f.cfg->proxies[size_t(be)].id);
  CHECK(t.find("F." + fe_id + ".0.103.ssl_sess.1:MCP:u64:3\n") != std::string::npos);
  CHECK(t.find("F." + fe_id + ".0.104.ssl_reused_sess.1:MCP:u64:4\n") != std::string::npos);
  CHECK(t.find("F." + fe_id + ".0.105.ssl_failed_handshake.1:MCP:u64:3\n") != std::string::npos);
  CHECK(t.find("S." + be_id + ".1.103.ssl_sess.1:MCP:u64:5\n") != std::string::npos);
  CHECK(t.find("B." + be_id + ".0.104.ssl_reused_sess.1:MCP:u64:6\n") != std::string::npos);

  stats::StatQuery json;
  json.format = stats::StatQuery::Format::json;
  const std::string j = stats::show_stat(f.src, json);
  CHECK(j.find(R"({"objType":"Frontend","proxyId":)" + fe_id +
               R"(,"id":0,"field":{"pos":103,"name":"ssl_sess"},"processNum":1,"tags":{"origin":"Metric","nature":"Counter","scope":"Process"},"value":{"type":"u64","value":3}})") !=
        std::string::npos);
}

TEST_CASE("`clear counters` zeroes the SSL columns (HAProxy clears its SSL module), not CumSslConns") {
  Fixture f(kConfig);
  const int fe = f.proxy("fe"), be = f.proxy("be");
  auto& c = f.counters->proxy(0, size_t(fe));
  c.add(c.ssl_sess, 2);
  c.add(c.ssl_reused_sess);
  c.add(c.ssl_failed_handshake);
  c.add(c.ssl_conns, 4);
  c.add(c.ssl_closed, 4);
  auto& s = f.counters->server(1, size_t(be), 0);
  s.add(s.ssl_sess);
  f.counters->clear_max();
  const std::string out = stats::show_stat(f.src, stats::StatQuery{});
  CHECK(cell(out, "fe", "FRONTEND", "ssl_sess") == "0");
  CHECK(cell(out, "fe", "FRONTEND", "ssl_reused_sess") == "0");
  CHECK(cell(out, "fe", "FRONTEND", "ssl_failed_handshake") == "0");
  CHECK(cell(out, "be", "s1", "ssl_sess") == "0");
  const std::string info = stats::show_info(f.src, stats::InfoFormat::plain);
  CHECK(info_line(info, "CumSslConns") == "4");
  CHECK(info_line(info, "CurrSslConns") == "0");
  f.counters->clear_all();
  CHECK(info_line(stats::show_info(f.src, stats::InfoFormat::plain), "CumSslConns") == "4");
}

TEST_CASE("show info: SSL connections of both sides, the rates and the reuse percentage") {
  Fixture f(kConfig);
  const int fe = f.proxy("fe"), be = f.proxy("be"), both = f.proxy("both");
  auto& c0 = f.counters->proxy(0, size_t(fe));
  auto& c1 = f.counters->proxy(1, size_t(both));
  c0.add(c0.ssl_conns, 5);   // 5 accepted on ssl binds, 3 closed
  c0.add(c0.ssl_closed, 3);
  c1.add(c1.ssl_conns, 1);
  auto& b = f.counters->backend(1, size_t(be));
  b.add(b.ssl_conns, 2);     // 2 to ssl servers, 1 closed
  b.add(b.ssl_closed, 1);
  FakeRates rates;
  f.src.rates = &rates;
  rates.ssl_rates.conns = {4, 9};
  rates.ssl_rates.fe_keys = {3, 5};
  rates.ssl_rates.be_keys = {1, 2};
  std::string info = stats::show_info(f.src, stats::InfoFormat::plain);
  CHECK(info.find("\nMaxSslConns: 0\nCurrSslConns: 4\nCumSslConns: 8\nMaxpipes: 0\n") != std::string::npos);
  CHECK(info.find("\nSslRate: 4\nSslRateLimit: 0\nMaxSslRate: 9\nSslFrontendKeyRate: 3\nSslFrontendMaxKeyRate: 5\n"
                  "SslFrontendSessionReuse_pct: 25\nSslBackendKeyRate: 1\nSslBackendMaxKeyRate: 2\n"
                  "SslCacheLookups: 0\nSslCacheMisses: 0\n") != std::string::npos);
  // haproxy 2.6.12 observed: 2 connections in the last second, no key computed -> 100
  rates.ssl_rates.conns = {2, 4};
  rates.ssl_rates.fe_keys = {0, 3};
  info = stats::show_info(f.src, stats::InfoFormat::plain);
  CHECK(info_line(info, "SslFrontendSessionReuse_pct") == "100");
  // 3 of 3 computed a key (or none at all): 0
  rates.ssl_rates.conns = {3, 4};
  rates.ssl_rates.fe_keys = {3, 3};
  CHECK(info_line(stats::show_info(f.src, stats::InfoFormat::plain), "SslFrontendSessionReuse_pct") == "0");
  rates.ssl_rates = {};
  CHECK(info_line(stats::show_info(f.src, stats::InfoFormat::plain), "SslFrontendSessionReuse_pct") == "0");
  // 1 of 3: 100 - (100 + 1) / 3 = 67
  rates.ssl_rates.conns = {3, 4};
  rates.ssl_rates.fe_keys = {1, 3};
  CHECK(info_line(stats::show_info(f.src, stats::InfoFormat::plain), "SslFrontendSessionReuse_pct") == "67");

  const std::string typed = stats::show_info(f.src, stats::InfoFormat::typed);
  CHECK(typed.find("\n22.CumSslConns.1:MCP:u32:8\n") != std::string::npos);
  CHECK(typed.find("\n32.SslRate.1:MRP:u32:3\n") != std::string::npos);
  CHECK(typed.find("\n35.SslFrontendKeyRate.1:MGP:u32:1\n") != std::string::npos);
}
