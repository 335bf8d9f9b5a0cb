// Messages compared with what haproxy 2.6.12 prints for the same input (pid aside).
#include <doctest/doctest.h>

#include "config/condition.h"
#include "config/did_you_mean.h"
#include "portero/config/load.h"

using namespace portero::config;

namespace {
std::vector<std::string> run(const std::string& text, bool expect_ok = false) {
  Diagnostics d;
  auto c = load_text(text, "x.cfg", d);
  CHECK(bool(c) == expect_ok);
  std::vector<std::string> out;
  for (const auto& m : d.all()) out.push_back(format(m, 42));
  return out;
}
}  // namespace

TEST_CASE("prefix widths and forms") {
  Origin o{"f.cfg", 3};
  CHECK(format(Diagnostic{Severity::alert, o, "boom"}, 7) == "[ALERT]    (7) : config : parsing [f.cfg:3] : boom");
  CHECK(format(Diagnostic{Severity::warning, o, "hm", Form::tight}, 7) ==
        "[WARNING]  (7) : config : parsing [f.cfg:3]: hm");
  CHECK(format(Diagnostic{Severity::alert, o, "x", Form::bare}, 7) == "[ALERT]    (7) : config : [f.cfg:3] : x");
  CHECK(format(Diagnostic{Severity::notice, std::nullopt, "haproxy version is x"}, 7) ==
        "[NOTICE]   (7) : haproxy version is x");
}

TEST_CASE("unknown keyword with and without a suggestion; parse errors stop the checks") {
  auto out = run("frontend f\n  bind :8000\n  bogus_kw 1\n  balanse roundrobin\n");
  REQUIRE(out.size() == 4);
  CHECK(out[0] == "[ALERT]    (42) : config : parsing [x.cfg:3] : unknown keyword 'bogus_kw' in 'frontend' section");
  CHECK(out[1] == "[ALERT]    (42) : config : parsing [x.cfg:4] : unknown keyword 'balanse' in 'frontend' section; "
                  "did you mean 'balance' maybe ?");
  CHECK(out[2] == "[ALERT]    (42) : config : Error(s) found in configuration file : x.cfg");
  CHECK(out[3] == "[ALERT]    (42) : config : Fatal errors found in configuration.");
}

TEST_CASE("server option typo") {
  auto out = run("backend b\n  server s1 127.0.0.1:80 wieght 3\n");
  CHECK(out[0] == "[ALERT]    (42) : config : [x.cfg:2] : 'server b/s1' : unknown keyword 'wieght'; did you mean "
                  "'weight' maybe ?");
}

TEST_CASE("post-parse checks as haproxy -c reports them") {
  auto out = run(
      "defaults\n  mode http\n"
      "frontend f\n  bind :8000\n  default_backend nob\n  use_backend nob2 if TRUE\n"
      "frontend g\n"
      "frontend t\n  bind :8003\n  timeout client 1s\n  default_backend b\n"
      "backend b\n  mode tcp\n  timeout connect 1s\n  timeout server 1s\n"
      "  server s1 127.0.0.1:80\n  server s1 127.0.0.1:81\n");
  const std::string tail =
      "\n   | While not properly invalid, you will certainly encounter various problems"
      "\n   | with such a configuration. To fix this, please ensure that all following"
      "\n   | timeouts are set to a non-zero value: 'client', 'connect', 'server'.";
  const std::vector<std::string> want{
      "[ALERT]    (42) : config : Proxy 'f': unable to find required default_backend: 'nob'.",
      "[ALERT]    (42) : config : Proxy 'f': unable to find required use_backend: 'nob2'.",
      "[WARNING]  (42) : config : missing timeouts for frontend 'f'." + tail,
      "[WARNING]  (42) : config : frontend 'g' has no 'bind' directive. Please declare it as a backend if this "
      "was intended.",
      "[WARNING]  (42) : config : missing timeouts for frontend 'g'." + tail,
      "[ALERT]    (42) : config : http frontend 't' (x.cfg:8) tries to use incompatible tcp backend 'b' "
      "(x.cfg:12) as its default backend (see 'mode').",
      "[ALERT]    (42) : config : parsing [x.cfg:17] : backend 'b', another server named 's1' was already "
      "defined at line 16, please use distinct names.",
      "[ALERT]    (42) : config : Fatal errors found in configuration.",
  };
  CHECK(out == want);
}

TEST_CASE("duplicate proxy names and explicit ids") {
  auto out = run("backend b\n  id 3\nbackend c\n  id 3\nfrontend b\n  bind :1\n  timeout client 1s\nbackend b\n");
  CHECK(out[0] == "[ALERT]    (42) : config : parsing [x.cfg:4]: backend c reuses same custom id as backend b "
                  "(declared at x.cfg:1).");
  CHECK(out[1] == "[ALERT]    (42) : config : Parsing [x.cfg:8]: backend 'b' has the same name as backend 'b' "
                  "declared at x.cfg:1.");
}

TEST_CASE("old timeout names, nbproc, LVS balance names") {
  auto out = run("global\n  nbproc 2\nbackend b\n  contimeout 5000\n  balance wrr\n");
  CHECK(out[0].ends_with("nbproc is not supported any more since HAProxy 2.5. Threads will automatically be "
                         "used on multi-processor machines if available."));
  CHECK(out[1].ends_with("the 'contimeout' directive is not supported anymore since HAProxy 2.1. Use 'timeout "
                         "connect'."));
  CHECK(out[2].find("balance only supports 'roundrobin'") != std::string::npos);
  CHECK(out[2].find("closest HAProxy algorithm is 'balance roundrobin'") != std::string::npos);
}

TEST_CASE("keywords known to HAProxy but not implemented: harmless ones noticed, the others errors") {
  auto out = run("global\n  tune.ssl.keylog on\nprogram u\n  command /bin/true\n"
                 "frontend f\n  bind :80\n  timeout client 1s\n  compression algo gzip\n",
                 false);
  REQUIRE(out.size() >= 3);
  CHECK(out[0] == "[NOTICE]   (42) : config : parsing [x.cfg:2] : 'tune.ssl.keylog' is accepted and ignored by "
                  "portero (keeps TLS secrets for ssl_*_keylog fetches, which portero does not have).");
  CHECK(out[1] == "[ALERT]    (42) : config : parsing [x.cfg:8] : 'compression' is not implemented by portero yet "
                  "(responses would not be compressed).");
}

TEST_CASE("TLS on bind and server lines is parsed; missing files are errors at once, as haproxy") {
  auto out = run("frontend f\n  bind :443 ssl crt /nonexistent/x.pem\n  timeout client 1s\n");
  CHECK(out[0] == "[ALERT]    (42) : config : parsing [x.cfg:2] : 'bind :443' in section 'frontend' : unable to stat "
                  "SSL certificate from file '/nonexistent/x.pem' : No such file or directory.");
  CHECK(out.back() == "[ALERT]    (42) : config : Fatal errors found in configuration.");
  out = run("backend b\n  timeout server 1s\n  timeout connect 1s\n  server s1 127.0.0.1:443 check check-ssl verify none\n",
            true);
  CHECK(out.empty());
}

TEST_CASE("errorfile must be readable now") {
  auto out = run("frontend f\n  errorfile 503 /nonexistent/x.http\n");
  CHECK(out[0] == "[ALERT]    (42) : config : parsing [x.cfg:2] : errorfile : error opening file "
                  "'/nonexistent/x.http'.");
}

TEST_CASE(".if errors and messages") {
  auto out = run("global\n.notice \"hi ${.LINE}\"\n.if 1 &&\n.endif\n");
  CHECK(out[0] == "[NOTICE]   (42) : config : parsing [x.cfg:2]: 'hi 2'.");
  CHECK(out[1] == "[ALERT]    (42) : config : parsing [x.cfg:3]: unparsable conditional expression '&&' in '.if' "
                  "at position 3:\n  .if 1 &&\n        ^");
  CHECK(out.back() == "[ALERT]    (42) : config : Error(s) found in configuration file : x.cfg");
  out = run("global\n.if 1\n");
  CHECK(out[0] == "[ALERT]    (42) : config : parsing [x.cfg:2]: non-terminated '.if' block.");
  out = run("global\n.endif\n");
  CHECK(out[0] == "[ALERT]    (42) : config : parsing [x.cfg:2]: lone '.endif' with no matching '.if'.");
}

TEST_CASE("condition grammar") {
  auto defined = [](const std::string& v) { return v == "SET"; };
  auto ev = [&](const std::string& t) {
    auto r = eval_condition(t, ".if", defined);
    INFO(t << " " << r.error);
    CHECK(r.error.empty());
    return r.value;
  };
  CHECK_FALSE(ev(""));
  CHECK_FALSE(ev("0"));
  CHECK(ev("7"));
  CHECK(ev("defined(SET)"));
  CHECK_FALSE(ev("defined(UNSET)"));
  CHECK(ev("!defined(UNSET)"));
  CHECK(ev("streq(a,a) && strneq(a,b)"));
  CHECK(ev("0 && 0 || 1"));  // && binds tighter
  CHECK_FALSE(ev("0 && (0 || 1)"));
  CHECK(ev("version_atleast(2.6) && version_before(2.6.13) && !version_atleast(2.7)"));
  CHECK(ev("feature(OPENSSL)"));
  auto bad = eval_condition("1 0", ".if", defined);
  CHECK(bad.error == "unexpected character '0' at the end of conditional expression '1 0' in '.if' at position 3:\n"
                     "  .if 1 0\n        ^");
  bad = eval_condition("bogus(1)", ".if", defined);
  CHECK(bad.error == "unparsable conditional expression 'bogus(1)' in '.if' at position 1:\n  .if bogus(1)\n      ^");
  bad = eval_condition("(1", ".if", defined);
  CHECK(bad.error.starts_with("expected ')' after conditional expression '(1' in '.if' at position 1:"));
}

TEST_CASE("did you mean") {
  std::vector<std::string_view> kw{"balance", "bind", "backlog", "weight", "check"};
  CHECK(did_you_mean("balanse", kw) == "balance");
  CHECK(did_you_mean("wieght", kw) == "weight");
  CHECK(did_you_mean("chek", kw) == "check");
  CHECK_FALSE(did_you_mean("bogus_kw", kw));
  CHECK_FALSE(did_you_mean("foo", kw));
  CHECK(edit_distance("abc", "acb") == 1);
  CHECK(edit_distance("", "abc") == 3);
}
