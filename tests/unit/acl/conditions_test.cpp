// Conditions: implicit AND, ||/or, ! (attached or alone), anonymous { } ACLs, names declared
// twice, predefined ACLs, unless. Truth values marked [haproxy] were checked with haproxy 2.6.
#include "acl_fixture.h"

using acltest::Env;
using portero::acl::Tri;

TEST_CASE("operators and anonymous ACLs [haproxy]") {
  Env e("  acl d1 path_dir /a/b\n  acl d2 path_dir zz\n", "GET /a/b/c HTTP/1.1\nHost: h\nX: a\n\n");
  CHECK(e.cond("if d1") == Tri::yes);
  CHECK(e.cond("if !d1") == Tri::no);
  CHECK(e.cond("if ! d1") == Tri::no);
  CHECK(e.cond("if ! ! d1") == Tri::yes);
  CHECK(e.cond("if d1 !d2") == Tri::yes);
  CHECK(e.cond("if d1 d2") == Tri::no);
  CHECK(e.cond("if d2 || d1") == Tri::yes);
  CHECK(e.cond("if d2 or d1") == Tri::yes);
  CHECK(e.cond("if { path /a/b/c } { hdr(x) a }") == Tri::yes);
  CHECK(e.cond("if { path /a/b/c } !{ hdr(x) a }") == Tri::no);
  CHECK(e.cond("if d2 || { path_beg /a } d1") == Tri::yes);
  CHECK(e.cond("unless d2") == Tri::yes);
  CHECK(e.cond("unless d1") == Tri::no);
  // empty suites are dropped: `||` alone is never true [haproxy]
  CHECK(e.cond("if ||") == Tri::no);
  CHECK(e.cond("if d1 ||") == Tri::yes);
  CHECK(e.cond("if || d1") == Tri::yes);
  CHECK(e.compiled->condition(0, {}) == nullptr);  // no condition: always true
}

TEST_CASE("an ACL declared twice ORs its lines; a named ACL hides a predefined one") {
  Env e("  acl two path /x\n  acl two path /a\n  acl TRUE always_false\n", "GET /a HTTP/1.1\nHost: h\n\n");
  CHECK(e.yes("two"));
  e.set_request("GET /b HTTP/1.1\nHost: h\n\n");
  CHECK_FALSE(e.yes("two"));
  CHECK(e.cond("if TRUE") == Tri::no);
  CHECK(e.cond("if FALSE") == Tri::no);
}

TEST_CASE("predefined ACLs [haproxy]") {
  Env e("", "GET /a HTTP/1.1\nHost: h\n\n");
  CHECK(e.cond("if TRUE") == Tri::yes);
  CHECK(e.cond("if FALSE") == Tri::no);
  CHECK(e.cond("if HTTP") == Tri::yes);
  CHECK(e.cond("if HTTP_1.1") == Tri::yes);
  CHECK(e.cond("if HTTP_1.0") == Tri::no);
  CHECK(e.cond("if HTTP_URL_SLASH") == Tri::yes);
  CHECK(e.cond("if HTTP_URL_ABS") == Tri::no);
  CHECK(e.cond("if HTTP_URL_STAR") == Tri::no);
  CHECK(e.cond("if HTTP_CONTENT") == Tri::no);
  CHECK(e.cond("if METH_GET") == Tri::yes);
  CHECK(e.cond("if METH_HEAD") == Tri::no);
  CHECK(e.cond("if WAIT_END") == Tri::yes);
  CHECK(e.cond("if LOCALHOST") == Tri::no);
  e.set_request("HEAD http://x/ HTTP/1.0\nContent-Length: 3\n\nabc");
  CHECK(e.cond("if METH_GET") == Tri::yes);  // GET and HEAD
  CHECK(e.cond("if METH_HEAD") == Tri::yes);
  CHECK(e.cond("if HTTP_1.0") == Tri::yes);
  CHECK(e.cond("if HTTP_URL_ABS") == Tri::yes);
  CHECK(e.cond("if HTTP_CONTENT") == Tri::yes);
  CHECK(e.cond("if REQ_CONTENT") == Tri::yes);
  e.set_request("OPTIONS * HTTP/1.1\nHost: h\n\n");
  CHECK(e.cond("if HTTP_URL_STAR") == Tri::yes);
  CHECK(e.cond("if METH_OPTIONS") == Tri::yes);
  for (const char* m : {"CONNECT", "DELETE", "POST", "PUT", "TRACE"}) {
    const std::string target = std::string(m) == "CONNECT" ? "h:443" : "/";
    e.set_request(std::string(m) + " " + target + " HTTP/1.1\nHost: h\nContent-Length: 0\n\n");
    CHECK_MESSAGE(e.cond(std::string("if METH_") + m) == Tri::yes, m);
    CHECK_MESSAGE(e.cond("if METH_GET") == Tri::no, m);
  }
}

TEST_CASE("miss survives negation and unless; a yes in an OR or a no in an AND decides") {
  Env e("  acl b req.body -m sub needle\n", "POST / HTTP/1.1\nHost: h\nContent-Length: 100\n\nhay");
  e.ctx.final = false;
  CHECK_FALSE(e.ctx.body_complete);
  CHECK(e.cond("if b") == Tri::miss);
  CHECK(e.cond("if !b") == Tri::miss);
  CHECK(e.cond("unless b") == Tri::miss);
  CHECK(e.cond("if b || TRUE") == Tri::yes);
  CHECK(e.cond("if b FALSE") == Tri::no);
  CHECK(e.cond("if b || FALSE") == Tri::miss);
  e.ctx.final = true;  // no more bytes: decided on what is there
  CHECK(e.cond("if b") == Tri::no);
  e.set_request("POST / HTTP/1.1\nHost: h\nContent-Length: 9\n\nneedle...");
  e.ctx.final = false;
  CHECK(e.cond("if b") == Tri::yes);
}
