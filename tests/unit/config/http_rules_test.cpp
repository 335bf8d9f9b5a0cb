// http-request / http-response rules, `redirect`, `monitor-uri` and `monitor fail`: what each
// action stores, and every error message as `haproxy -c` (2.6.12) printed it for the same line.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "portero/config/load.h"

using namespace portero::config;
using A = HttpRule::Action;

namespace {

const char* kHead =
    "defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n";

// Loads `lines` inside `section` (line 7 is the section header, the first line is line 8).
ConfigPtr load_in(const std::string& lines, Diagnostics& d, const std::string& section = "frontend f") {
  return load_text(std::string(kHead) + section + "\n  bind :8001\n" + lines + "\n", "t.cfg", d);
}

const Proxy& front(const ConfigPtr& c) {
  REQUIRE(c);
  return c->proxies.at(0);
}

HttpRule req_rule(const std::string& line) {
  Diagnostics d;
  auto c = load_in("  http-request " + line, d);
  if (!c)
    for (const auto& x : d.all()) MESSAGE(format(x, 0));
  REQUIRE(c);
  REQUIRE(front(c).http_request_rules.size() == 1);
  return front(c).http_request_rules[0];
}

HttpRule res_rule(const std::string& line) {
  Diagnostics d;
  auto c = load_in("  http-response " + line, d);
  if (!c)
    for (const auto& x : d.all()) MESSAGE(format(x, 0));
  REQUIRE(c);
  REQUIRE(front(c).http_response_rules.size() == 1);
  return front(c).http_response_rules[0];
}

// Every message about the lines given (line 8 onwards), as printed with pid 0.
std::vector<std::string> messages(const std::string& lines, const std::string& section = "frontend f") {
  Diagnostics d;
  load_in(lines, d, section);
  std::vector<std::string> out;
  for (const auto& x : d.all())
    if (x.origin && x.origin->line >= 8) out.push_back(format(x, 0));
  return out;
}

std::string first(const std::string& lines, const std::string& section = "frontend f") {
  auto m = messages(lines, section);
  return m.empty() ? std::string() : m[0];
}

const std::string kErr = "[ALERT]    (0) : config : parsing [t.cfg:8] : error detected in frontend 'f' while parsing ";
const std::string kTight = "[ALERT]    (0) : config : parsing [t.cfg:8]: ";
const std::string kAlert = "[ALERT]    (0) : config : parsing [t.cfg:8] : ";
const std::string kWarn = "[WARNING]  (0) : config : parsing [t.cfg:8] : ";

std::string tmp_file(const std::string& name, const std::string& content) {
  const std::string p = "/tmp/portero_http_rules_test_" + name;
  std::ofstream(p, std::ios::binary) << content;
  return p;
}

}  // namespace

TEST_CASE("allow, deny, tarpit: defaults and payload") {
  CHECK(req_rule("allow").action == A::allow);
  auto d = req_rule("deny");
  CHECK(d.action == A::deny);
  CHECK(d.ret.status == 403);
  CHECK_FALSE(d.ret.has_body);
  auto t = req_rule("tarpit");
  CHECK(t.action == A::tarpit);
  CHECK(t.ret.status == 500);
  auto d2 = req_rule("deny deny_status 429 content-type text/plain string busy hdr Retry-After 5 if TRUE");
  CHECK(d2.ret.status == 429);
  CHECK(d2.ret.content_type == "text/plain");
  CHECK(d2.ret.body == "busy");
  CHECK(d2.ret.has_body);
  CHECK_FALSE(d2.ret.lf);
  REQUIRE(d2.return_headers.size() == 1);
  CHECK(d2.return_headers[0] == std::pair<std::string, std::string>("Retry-After", "5"));
  CHECK(d2.condition == std::vector<std::string>{"if", "TRUE"});
  // `status` is accepted too; deny_status only as the first argument.
  CHECK(req_rule("deny status 404").ret.status == 404);
  CHECK(req_rule("tarpit deny_status 503 unless TRUE").condition == std::vector<std::string>{"unless", "TRUE"});
}

TEST_CASE("allow, deny, tarpit: haproxy's messages") {
  CHECK(first("  http-request deny deny_status") ==
        kErr + "'http-request deny' rule : 'status' expects <status_code> as argument.");
  CHECK(first("  http-request deny deny_status 99") == kErr + "'http-request deny' rule : Unexpected status code '99'.");
  CHECK(first("  http-request tarpit deny_status 600") ==
        kErr + "'http-request tarpit' rule : Unexpected status code '600'.");
  CHECK(first("  http-request deny foo") ==
        kTight + "'http-request deny' expects either 'if' or 'unless' followed by a condition but found 'foo'.");
  CHECK(first("  http-request allow foo") ==
        kTight + "'http-request allow' expects either 'if' or 'unless' followed by a condition but found 'foo'.");
  CHECK(first("  http-request tarpit string x") ==
        kErr + "'http-request tarpit' rule : a content type must be defined when non-empty payload is configured.");
  CHECK(first("  http-request deny status 404 deny_status 405") ==
        kTight + "'http-request deny' expects either 'if' or 'unless' followed by a condition but found 'deny_status'.");
  auto m = messages("  http-request deny content-type t deny_status 500 string x");
  REQUIRE(m.size() == 2);
  CHECK(m[0] == kWarn + "content-type 't' ignored by the http reply because neither errorfile nor payload defined.");
  CHECK(m[1] == kTight + "'http-request deny' expects either 'if' or 'unless' followed by a condition but found 'deny_status'.");
}

TEST_CASE("a listen section is called 'proxy' in rule errors") {
  CHECK(first("  http-request set-header", "listen f") ==
        "[ALERT]    (0) : config : parsing [t.cfg:8] : error detected in proxy 'f' while parsing 'http-request set-header' "
        "rule : expects exactly 2 arguments.");
  CHECK(first("  redirect", "listen f") ==
        "[ALERT]    (0) : config : parsing [t.cfg:8] : error detected in proxy 'f' while parsing redirect rule : "
        "redirection type expected ('prefix', 'location', or 'scheme').");
}

TEST_CASE("an error in a rule stops reading the file") {
  auto m = messages("  http-request set-header\n  foo");
  REQUIRE(m.size() == 1);
  CHECK(m[0] == kErr + "'http-request set-header' rule : expects exactly 2 arguments.");
}

TEST_CASE("return: fields") {
  auto r = req_rule("return status 201 content-type text/plain string \"hello\" hdr X-A %[src] hdr X-B b");
  CHECK(r.action == A::return_);
  CHECK(r.ret.status == 201);
  CHECK(r.ret.body == "hello");
  CHECK(r.return_headers.size() == 2);
  CHECK(r.return_headers[0].second == "%[src]");
  CHECK(req_rule("return").ret.status == 200);
  auto lf = req_rule("return content-type text/plain lf-string \"%[src]\"");
  CHECK(lf.ret.lf);
  CHECK(lf.ret.body == "%[src]");
  const std::string body = tmp_file("body.txt", "file body\n");
  auto f = req_rule("return content-type text/plain file " + body);
  CHECK(f.ret.body == "file body\n");
  CHECK(f.ret.has_body);
  const std::string ef = tmp_file("ef.http", "HTTP/1.1 503 Oops\r\nContent-Length: 2\r\n\r\nhi");
  auto e = req_rule("return errorfile " + ef);
  CHECK(e.ret.errorfile);
  CHECK(e.ret.body.starts_with("HTTP/1.1 503"));
  CHECK(req_rule("return status 404 default-errorfiles").ret.default_errorfiles);
  // An empty file needs no content-type.
  CHECK(req_rule("return file " + tmp_file("empty", "")).ret.body.empty());
  CHECK(req_rule("return status 0200").ret.status == 200);
}

TEST_CASE("return: haproxy's messages") {
  const std::string r = "'http-request return' rule : ";
  CHECK(first("  http-request return status") == kErr + r + "'status' expects <status_code> as argument.");
  CHECK(first("  http-request return status abc") == kErr + r + "Unexpected status code '0'.");
  CHECK(first("  http-request return content-type") == kErr + r + "'content-type' expects <ctype> as argument.");
  CHECK(first("  http-request return string") == kErr + r + "'string' expects <str> as argument.");
  CHECK(first("  http-request return string \"\"") == kErr + r + "'string' expects <str> as argument.");
  CHECK(first("  http-request return lf-string") == kErr + r + "'lf-string' expects <fmt> as argument.");
  CHECK(first("  http-request return file") == kErr + r + "'file' expects <file> as argument.");
  CHECK(first("  http-request return lf-file") == kErr + r + "'lf-file' expects <file> as argument.");
  CHECK(first("  http-request return errorfile") == kErr + r + "'errorfile' expects <fmt> as argument.");
  CHECK(first("  http-request return errorfiles") == kErr + r + "'errorfiles' expects <name> as argument.");
  CHECK(first("  http-request return file /nonexist") == kErr + r + "error opening file '/nonexist'.");
  CHECK(first("  http-request return lf-file /nonexist") == kErr + r + "error opening file '/nonexist'.");
  CHECK(first("  http-request return errorfile /nonexist") == kErr + r + "error opening file '/nonexist'..");
  const std::string bad = tmp_file("bad.http", "garbage");
  CHECK(first("  http-request return errorfile " + bad) == kErr + r + "'" + bad + "': unable to parse headers (error offset: 0).");
  CHECK(first("  http-request return hdr x") == kErr + r + "'hdr' expects <name> and <value> as arguments.");
  CHECK(first("  http-request return default-errorfiles string x content-type t") ==
        kErr + r + "unexpected 'string' argument, 'default-errorfiles' already defined.");
  CHECK(first("  http-request return string x string y content-type t") ==
        kErr + r + "unexpected 'string' argument, 'string' already defined.");
  CHECK(first("  http-request return string x file /x content-type t") ==
        kErr + r + "unexpected 'file' argument, 'string' already defined.");
  CHECK(first("  http-request return status 204 string x content-type t") == kErr + r + "No body expected for 204 responses.");
  CHECK(first("  http-request return file " + tmp_file("nonempty", "x")) ==
        kErr + r + "a content type must be defined when non-empty payload is configured.");
  CHECK(first("  http-request return deny_status 500") ==
        kTight + "'http-request return' expects either 'if' or 'unless' followed by a condition but found 'deny_status'.");
  // Warnings (the rule is kept).
  CHECK(first("  http-request return hdr content-length 3") == kWarn + "header 'content-length' always ignored by the http reply.");
  CHECK(first("  http-request return hdr transfer-encoding chunked hdr a b") ==
        kWarn + "header 'transfer-encoding' always ignored by the http reply.");
  CHECK(first("  http-request return content-type x string ab hdr content-type y") ==
        kWarn + "header 'content-type' always ignored by the http reply.");
  CHECK(first("  http-request return content-type t") ==
        kWarn + "content-type 't' ignored by the http reply because neither errorfile nor payload defined.");
  CHECK(first("  http-request return default-errorfiles hdr a b") ==
        kWarn + "hdr parameters ignored by the http reply when used with an erorrfile.");
  CHECK(first("  http-request return default-errorfiles content-type x") ==
        kWarn + "content-type 'x' ignored by the http reply when used with an erorrfile.");
}

TEST_CASE("auth") {
  auto r = req_rule("auth realm \"My Realm\" if TRUE");
  CHECK(r.action == A::auth);
  CHECK(r.name == "My Realm");
  CHECK(r.condition.size() == 2);
  CHECK(req_rule("auth").name.empty());
  CHECK(first("  http-request auth realm") == kErr + "'http-request auth' rule : missing realm value.\n.");
  CHECK(first("  http-request auth foo") ==
        kTight + "'http-request auth' expects either 'if' or 'unless' followed by a condition but found 'foo'.");
}

TEST_CASE("http-request redirect: every option") {
  auto r = req_rule("redirect prefix /x code 301 drop-query append-slash set-cookie A=b clear-cookie C ignore-empty if TRUE");
  CHECK(r.action == A::redirect);
  CHECK(r.redirect.type == Redirect::Type::prefix);
  CHECK(r.redirect.target == "/x");
  CHECK(r.redirect.code == 301);
  CHECK(r.redirect.drop_query);
  CHECK(r.redirect.append_slash);
  CHECK(r.redirect.ignore_empty);
  CHECK(r.redirect.set_cookie == "A=b");
  CHECK(r.redirect.clear_cookie == "C");
  CHECK(r.condition == std::vector<std::string>{"if", "TRUE"});
  auto s = req_rule("redirect scheme https if !{ ssl_fc }");
  CHECK(s.redirect.type == Redirect::Type::scheme);
  CHECK(s.redirect.code == 302);
  CHECK(s.condition == std::vector<std::string>{"if", "!{", "ssl_fc", "}"});
  CHECK(req_rule("redirect location /x code 308 code 303").redirect.code == 303);
  CHECK(req_rule("redirect location /x code 301x").redirect.code == 301);
  CHECK(req_rule("redirect location %[hdr(host)]/y").redirect.target == "%[hdr(host)]/y");
}

TEST_CASE("http-request redirect: haproxy's messages") {
  const std::string r = "'http-request redirect' rule : ";
  CHECK(first("  http-request redirect") == kErr + r + "redirection type expected ('prefix', 'location', or 'scheme').");
  CHECK(first("  http-request redirect code 301") == kErr + r + "redirection type expected ('prefix', 'location', or 'scheme').");
  CHECK(first("  http-request redirect location") == kErr + r + "missing argument for 'location'.");
  CHECK(first("  http-request redirect location \"\"") == kErr + r + "missing argument for 'location'.");
  CHECK(first("  http-request redirect location /x code") == kErr + r + "missing argument for 'code'.");
  CHECK(first("  http-request redirect location /x set-cookie") == kErr + r + "missing argument for 'set-cookie'.");
  CHECK(first("  http-request redirect location /x clear-cookie") == kErr + r + "missing argument for 'clear-cookie'.");
  CHECK(first("  http-request redirect location /x code 304") ==
        kErr + r + "'code': unsupported HTTP code '304' (must be one of 301, 302, 303, 307 or 308).");
  CHECK(first("  http-request redirect location /x code abc") ==
        kErr + r + "'code': unsupported HTTP code 'abc' (must be one of 301, 302, 303, 307 or 308).");
  CHECK(first("  http-request redirect foo /x") ==
        kErr + r + "expects 'code', 'prefix', 'location', 'scheme', 'set-cookie', 'clear-cookie', 'drop-query', "
                   "'ignore-empty' or 'append-slash' (was 'foo').");
}

TEST_CASE("header actions") {
  auto s = req_rule("set-header X-Real-IP %[src] if TRUE");
  CHECK(s.action == A::set_header);
  CHECK(s.name == "X-Real-IP");
  CHECK(s.fmt == "%[src]");
  CHECK(s.condition.size() == 2);
  CHECK(req_rule("add-header X a").action == A::add_header);
  auto d = req_rule("del-header X-Foo");
  CHECK(d.action == A::del_header);
  CHECK(d.name == "X-Foo");
  CHECK(d.fmt.empty());
  CHECK(req_rule("del-header ^X- -m reg").fmt == "reg");
  auto rh = req_rule("replace-header Cookie (.*)foo(.*) \\1\\2");
  CHECK(rh.action == A::replace_header);
  CHECK(rh.name == "Cookie");
  CHECK(rh.regex == "(.*)foo(.*)");
  CHECK(rh.fmt == "\\1\\2");
  CHECK(req_rule("replace-value X a b").action == A::replace_value);
  // An empty `if` is accepted silently, as by haproxy.
  CHECK(req_rule("add-header X a if").condition == std::vector<std::string>{"if"});

  auto rule = [](const char* a) { return std::string("'http-request ") + a + "' rule : "; };
  CHECK(first("  http-request set-header") == kErr + rule("set-header") + "expects exactly 2 arguments.");
  CHECK(first("  http-request set-header X") == kErr + rule("set-header") + "expects exactly 2 arguments.");
  CHECK(first("  http-request set-header \"\" x") == kErr + rule("set-header") + "expects exactly 2 arguments.");
  CHECK(first("  http-request set-header X a b") ==
        kTight + "'http-request set-header' expects either 'if' or 'unless' followed by a condition but found 'b'.");
  CHECK(first("  http-request del-header") == kErr + rule("del-header") + "expects at least 1 argument.");
  CHECK(first("  http-request del-header X -m") == kErr + rule("del-header") + "-m flag expects exactly 1 argument.");
  CHECK(first("  http-request del-header X -m foo") ==
        kErr + rule("del-header") + "-m with unsupported matching method 'foo'.");
  CHECK(first("  http-request del-header X foo") ==
        kTight + "'http-request del-header' expects either 'if' or 'unless' followed by a condition but found 'foo'.");
  CHECK(first("  http-request del-header X -m str -m beg") ==
        kTight + "'http-request del-header' expects either 'if' or 'unless' followed by a condition but found '-m'.");
  CHECK(first("  http-request replace-header X") == kErr + rule("replace-header") + "expects exactly 3 arguments.");
  CHECK(first("  http-request replace-header X a") == kErr + rule("replace-header") + "expects exactly 3 arguments.");
  CHECK(first("  http-request replace-value X a b c") ==
        kTight + "'http-request replace-value' expects either 'if' or 'unless' followed by a condition but found 'c'.");
}

TEST_CASE("set-path, set-pathq, set-query, set-uri, set-method") {
  const std::pair<const char*, A> cases[] = {{"set-path", A::set_path},   {"set-pathq", A::set_pathq},
                                             {"set-query", A::set_query}, {"set-uri", A::set_uri},
                                             {"set-method", A::set_method}};
  for (const auto& [name, action] : cases) {
    auto r = req_rule(std::string(name) + " /v2%[path] unless TRUE");
    CHECK(r.action == action);
    CHECK(r.fmt == "/v2%[path]");
    CHECK(r.condition == std::vector<std::string>{"unless", "TRUE"});
    const std::string msg = kErr + "'http-request " + name + "' rule : expects exactly 1 argument <format>.";
    CHECK(first("  http-request " + std::string(name)) == msg);
    CHECK(first("  http-request " + std::string(name) + " a b") == msg);
  }
}

TEST_CASE("set-var / unset-var") {
  auto r = req_rule("set-var(txn.host) req.hdr(host),lower if TRUE");
  CHECK(r.action == A::set_var);
  CHECK(r.name == "txn.host");
  CHECK(r.fmt == "req.hdr(host),lower");
  CHECK(r.condition.size() == 2);
  for (const char* scope : {"proc", "sess", "txn", "req", "res", "check"})
    CHECK(req_rule(std::string("set-var(") + scope + ".x) int(1)").name == std::string(scope) + ".x");
  auto c = req_rule("set-var(txn.x,ifexists,,ifgt) int(1)");
  CHECK(c.name == "txn.x");
  CHECK(c.var_conditions == std::vector<std::string>{"ifexists", "ifgt"});
  auto u = req_rule("unset-var(txn.x)");
  CHECK(u.action == A::unset_var);
  CHECK(u.name == "txn.x");
  CHECK(res_rule("set-var(txn.st) status").name == "txn.st");

  const std::string scope_msg =
      "'. A variable name must be start by its scope. The scope can be 'proc', 'sess', 'txn', 'req', 'res' or 'check'.";
  const std::string expects = ". Expects 'set-var(<var-name>)', 'set-var-fmt(<var-name>)' or 'unset-var(<var-name>)'.";
  CHECK(first("  http-request set-var(foo.x) str(a)") ==
        kErr + "'http-request set-var(foo.x)' rule : invalid variable name 'foo.x" + scope_msg);
  CHECK(first("  http-request set-var(x) str(a)") == kErr + "'http-request set-var(x)' rule : invalid variable name 'x" + scope_msg);
  CHECK(first("  http-request set-var(txn.) str(a)") ==
        kErr + "'http-request set-var(txn.)' rule : invalid variable name 'txn." + scope_msg);
  CHECK(first("  http-request set-var(Txn.x) int(1)") ==
        kErr + "'http-request set-var(Txn.x)' rule : invalid variable name 'Txn.x" + scope_msg);
  CHECK(first("  http-request unset-var(bad.x)") ==
        kErr + "'http-request unset-var(bad.x)' rule : invalid variable name 'bad.x" + scope_msg);
  CHECK(first("  http-request set-var(txn.x)") == kErr + "'http-request set-var(txn.x)' rule : missing fetch method.");
  CHECK(first("  http-request set-var(txn.x) str(a) foo") ==
        kTight + "'http-request set-var(txn.x)' expects either 'if' or 'unless' followed by a condition but found 'foo'.");
  CHECK(first("  http-request set-var() str(a)") == kErr + "'http-request set-var()' rule : Empty variable name cannot be accepted.");
  CHECK(first("  http-request unset-var()") == kErr + "'http-request unset-var()' rule : Empty variable name cannot be accepted.");
  CHECK(first("  http-request set-var(txn.x str(a)") ==
        kErr + "'http-request set-var(txn.x' rule : incomplete argument after action 'set-var(txn.x'" + expects);
  CHECK(first("  http-request set-var(txn.x)z int(1)") ==
        kErr + "'http-request set-var(txn.x)z' rule : incomplete argument after action 'set-var(txn.x)z'" + expects);
  CHECK(first("  http-request set-var") == kErr + "'http-request set-var' rule : invalid or incomplete action 'set-var'" + expects);
  CHECK(first("  http-request set-varfoo int(1)") ==
        kErr + "'http-request set-varfoo' rule : invalid or incomplete action 'set-varfoo'" + expects);
  CHECK(first("  http-request set-var(sess.a.b-c_d) int(1)") ==
        kErr + "'http-request set-var(sess.a.b-c_d)' rule : invalid syntax at char '-c_d)'.");
  CHECK(first("  http-request set-var(txn.x)(y) int(1)") ==
        kErr + "'http-request set-var(txn.x)(y)' rule : invalid syntax at char ')(y)'.");
  CHECK(first("  http-request set-var(txn.x,foo) int(1)") == kErr + "'http-request set-var(txn.x,foo)' rule : unknown condition \"foo\".");
  CHECK(first("  http-request set-var(txn.x-y,foo) int(1)") ==
        kErr + "'http-request set-var(txn.x-y,foo)' rule : unknown condition \"foo\".");
  CHECK(first("  http-request unset-var(txn.x,foo)") ==
        kErr + "'http-request unset-var(txn.x,foo)' rule : unset-var does not expect parameters after the variable name. "
               "Only \"set-var\" and \"set-var-fmt\" manage conditions.");
}

TEST_CASE("wait-for-body") {
  auto r = req_rule("wait-for-body time 1s at-least 10k if TRUE");
  CHECK(r.action == A::wait_for_body);
  CHECK(r.wait_ms == 1000u);
  CHECK(r.at_least == 10240u);
  CHECK(r.condition.size() == 2);
  CHECK(req_rule("wait-for-body time 20ms").at_least == 0u);
  CHECK(res_rule("wait-for-body time 1s").action == A::wait_for_body);
  const std::string w = kErr + "'http-request wait-for-body' rule : ";
  CHECK(first("  http-request wait-for-body") == w + "expects time <time> [ at-least <bytes> ].");
  CHECK(first("  http-request wait-for-body at-least 10") == w + "expects time <time> [ at-least <bytes> ].");
  CHECK(first("  http-request wait-for-body time") == w + "missing argument for 'time'.");
  CHECK(first("  http-request wait-for-body time abc") == w + "unexpected character 'a'.");
  CHECK(first("  http-request wait-for-body time 1x") == w + "unexpected character 'x'.");
  CHECK(first("  http-request wait-for-body time 99999999999") ==
        w + "time overflow (maximum value is 2147483647 ms or ~24.8 days).");
  CHECK(first("  http-request wait-for-body time 1s at-least") == w + "missing argument for 'at-least'.");
  CHECK(first("  http-request wait-for-body time 1s at-least 1x") == w + "unexpected character 'x'.");
  CHECK(first("  http-request wait-for-body time 1s foo") ==
        kTight + "'http-request wait-for-body' expects either 'if' or 'unless' followed by a condition but found 'foo'.");
}

TEST_CASE("unknown and unsupported actions") {
  const auto m = first("  http-request tarpitt");
  CHECK(m.starts_with(kTight + "'http-request' expects 'wait-for-handshake', 'ot-group', "));
  CHECK(m.ends_with(", 'set-priority-class', 'set-priority-offset', but got 'tarpitt'. Did you mean 'tarpit' maybe ?"));
  CHECK(first("  http-request").ends_with("but got '' (missing argument)."));
  CHECK(first("  http-request setvar(txn.x) int(1)").ends_with("but got 'setvar(txn.x)'. Did you mean 'set-var' maybe ?"));
  CHECK(first("  http-response tarpit") ==
        kTight + "'http-response' expects 'ot-group', 'set-log-level', 'set-nice', 'sc-inc-gpc(*)', 'sc-inc-gpc0(*)', "
                 "'sc-inc-gpc1(*)', 'sc-set-gpt(*)', 'sc-set-gpt0(*)', 'send-spoe-group', 'cache-store', 'add-acl(*)', "
                 "'add-header', 'allow', 'capture', 'del-acl(*)', 'del-header', 'del-map(*)', 'deny', 'redirect', "
                 "'replace-header', 'replace-value', 'return', 'set-header', 'set-map(*)', 'set-status', 'strict-mode', "
                 "'track-sc(*)', 'wait-for-body', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)', 'set-mark', 'set-tos', "
                 "'silent-drop', but got 'tarpit'. Did you mean 'set-var' maybe ?");
  CHECK(first("  http-response set-path /x").ends_with("but got 'set-path'. Did you mean 'set-map' maybe ?"));
  // Known to haproxy, not implemented, harmless (a hint of unimplemented.cpp): kept as words,
  // with a notice and no warning.
  Diagnostics d;
  auto c = load_in("  http-request set-nice 10 if TRUE", d);
  REQUIRE(c);
  const auto& r = front(c).http_request_rules.at(0);
  CHECK(r.action == A::other);
  CHECK(r.action_name == "set-nice");
  CHECK(r.condition == std::vector<std::string>{"if", "TRUE"});
  CHECK_FALSE(d.has_warnings());
  CHECK(format(d.all().back(), 0).ends_with(
        "'http-request' : 'set-nice' is accepted and ignored by portero (scheduling priority)."));
}

TEST_CASE("capture rules and declare capture share the slots") {
  Diagnostics d;
  auto c = load_in("  capture request header X-A len 3\n"
                   "  http-request capture req.hdr(host) len 10 if TRUE\n"
                   "  declare capture request len 4\n"
                   "  declare capture response len 5\n"
                   "  http-request capture path id 2\n"
                   "  http-response capture status id 0", d);
  REQUIRE(c);
  const auto& f = front(c);
  REQUIRE(f.capture_request_headers.size() == 3);
  CHECK(f.capture_request_headers[0].name == "X-A");
  CHECK(f.capture_request_headers[1].name.empty());
  CHECK(f.capture_request_headers[1].len == 10);
  CHECK(f.capture_request_headers[2].len == 4);
  REQUIRE(f.capture_response_headers.size() == 1);
  const auto& r = f.http_request_rules.at(0);
  CHECK(r.action == A::capture);
  CHECK(r.fmt == "req.hdr(host)");
  CHECK(r.capture_id == 1);
  CHECK(r.condition == std::vector<std::string>{"if", "TRUE"});
  CHECK(f.http_request_rules.at(1).capture_id == 2);
  CHECK(f.http_request_rules.at(1).capture_by_id);
  CHECK(f.http_response_rules.at(0).action == A::capture);
  CHECK(f.http_response_rules.at(0).capture_id == 0);
}

TEST_CASE("http-response actions") {
  auto s = res_rule("set-status 503 reason \"Try later\" if TRUE");
  CHECK(s.action == A::set_status);
  CHECK(s.ret.status == 503);
  CHECK(s.reason == "Try later");
  CHECK(s.condition.size() == 2);
  CHECK(res_rule("set-status 200").reason.empty());
  CHECK(res_rule("set-header X-Served-By portero").action == A::set_header);
  CHECK(res_rule("add-header X a").action == A::add_header);
  CHECK(res_rule("del-header Server -m beg").fmt == "beg");
  CHECK(res_rule("replace-header Set-Cookie (.*) \\1;\\ Secure").regex == "(.*)");
  CHECK(res_rule("replace-value X a b").action == A::replace_value);
  CHECK(res_rule("allow").action == A::allow);
  auto d = res_rule("deny deny_status 500 content-type t string x hdr a b");
  CHECK(d.action == A::deny);
  CHECK(d.ret.status == 500);
  CHECK(res_rule("return status 200").action == A::return_);
  CHECK(res_rule("redirect location /x").redirect.target == "/x");
  CHECK(res_rule("unset-var(txn.x)").action == A::unset_var);

  const std::string st = kErr + "'http-response set-status' rule : ";
  CHECK(first("  http-response set-status") == st + "expects 1 argument: <status>; or 3 arguments: <status> reason <fmt>.");
  CHECK(first("  http-response set-status abc") == st + "expects an integer status code between 100 and 999.");
  CHECK(first("  http-response set-status 99") == st + "expects an integer status code between 100 and 999.");
  CHECK(first("  http-response set-status 200x") == st + "expects an integer status code between 100 and 999.");
  CHECK(first("  http-response set-status 200 reason") ==
        kTight + "'http-response set-status' expects either 'if' or 'unless' followed by a condition but found 'reason'.");
  CHECK(first("  http-response set-status 200 foo") ==
        kTight + "'http-response set-status' expects either 'if' or 'unless' followed by a condition but found 'foo'.");
  CHECK(res_rule("set-status 600").ret.status == 600);
}

TEST_CASE("rules in defaults sections") {
  CHECK(first("  http-response set-header a b", "defaults") ==
        "[ALERT]    (0) : config : parsing [t.cfg:8] : 'http-response' not allowed in anonymous 'defaults' section.");
}

TEST_CASE("the redirect keyword") {
  Diagnostics d;
  auto c = load_in("  redirect prefix https://example.com code 301 drop-query if TRUE\n  redirect location /x", d);
  REQUIRE(c);
  const auto& rr = front(c).redirect_rules;
  REQUIRE(rr.size() == 2);
  CHECK(rr[0].action == A::redirect);
  CHECK(rr[0].redirect.type == Redirect::Type::prefix);
  CHECK(rr[0].redirect.target == "https://example.com");
  CHECK(rr[0].redirect.code == 301);
  CHECK(rr[0].redirect.drop_query);
  CHECK(rr[0].condition == std::vector<std::string>{"if", "TRUE"});
  CHECK(rr[1].condition.empty());
  // Allowed in a backend without a word; not in defaults.
  Diagnostics db;
  CHECK(load_text(std::string(kHead) + "backend b\n  redirect location /x\n", "t.cfg", db));
  CHECK(first("  redirect location /x", "defaults") ==
        "[ALERT]    (0) : config : parsing [t.cfg:8] : 'redirect' not allowed in 'defaults' section.");

  const std::string r = kErr + "redirect rule : ";
  CHECK(first("  redirect") == r + "redirection type expected ('prefix', 'location', or 'scheme').");
  CHECK(first("  redirect location /x code 304") ==
        r + "'code': unsupported HTTP code '304' (must be one of 301, 302, 303, 307 or 308).");
  CHECK(first("  redirect location /x foo") ==
        r + "expects 'code', 'prefix', 'location', 'scheme', 'set-cookie', 'clear-cookie', 'drop-query', "
            "'ignore-empty' or 'append-slash' (was 'foo').");
  // Unlike http-request, the file goes on.
  auto m = messages("  redirect\n  foo");
  REQUIRE(m.size() == 2);
  CHECK(m[1] == "[ALERT]    (0) : config : parsing [t.cfg:9] : unknown keyword 'foo' in 'frontend' section");
}

TEST_CASE("monitor-uri and monitor fail") {
  Diagnostics d;
  auto c = load_in("  monitor-uri /health\n  monitor fail if TRUE\n  monitor fail unless FALSE", d);
  REQUIRE(c);
  const auto& p = front(c);
  CHECK(p.monitor_uri == "/health");
  REQUIRE(p.monitor_fail.size() == 2);
  CHECK(p.monitor_fail[0] == std::vector<std::string>{"if", "TRUE"});
  CHECK(p.monitor_fail[1] == std::vector<std::string>{"unless", "FALSE"});
  // monitor-uri is inherited from defaults.
  Diagnostics dd;
  auto c2 = load_text(std::string(kHead) + "  monitor-uri /d\nfrontend f\n  bind :8001\n", "t.cfg", dd);
  REQUIRE(c2);
  CHECK(c2->proxies[0].monitor_uri == "/d");

  CHECK(first("  monitor-uri") == kAlert + "'monitor-uri' expects an URI.");
  CHECK(first("  monitor-uri /x y") == kAlert + "'monitor-uri' cannot handle unexpected argument 'y'.");
  CHECK(first("  monitor") == kAlert + "'monitor' only supports 'fail'.");
  CHECK(first("  monitor foo") == kAlert + "'monitor' only supports 'fail'.");
  CHECK(first("  monitor fail") == kAlert + "'monitor fail' requires either 'if' or 'unless' followed by a condition.");
  CHECK(first("  monitor fail foo") == kAlert + "'monitor fail' requires either 'if' or 'unless' followed by a condition.");
  CHECK(first("  monitor fail if TRUE", "defaults") == kAlert + "'monitor' not allowed in 'defaults' section.");
  // In a backend: warned about, as by haproxy.
  Diagnostics db;
  load_text(std::string(kHead) + "backend b\n  monitor-uri /x\n  monitor fail if TRUE\n", "t.cfg", db);
  std::vector<std::string> w;
  for (const auto& x : db.all()) w.push_back(format(x, 0));
  CHECK(std::find(w.begin(), w.end(),
                  "[WARNING]  (0) : config : parsing [t.cfg:7] : 'monitor-uri' ignored because backend 'b' has no frontend capability.") !=
        w.end());
  CHECK(std::find(w.begin(), w.end(),
                  "[WARNING]  (0) : config : parsing [t.cfg:8] : 'monitor' ignored because backend 'b' has no frontend capability.") !=
        w.end());
}
