// HAProxy 2.6's head checks as pure functions (the parser applies them).
#include <doctest/doctest.h>

#include "portero/http/head_checks.h"

using namespace portero::http;

namespace {
TeCodings codings(std::initializer_list<std::string_view> values) {
  TeCodings te;
  for (auto v : values) add_te_codings(te, v);
  return te;
}
}  // namespace

TEST_CASE("Transfer-Encoding lists") {
  CHECK(te_request_verdict(codings({"chunked"})) == 0);
  CHECK(te_request_verdict(codings({"chunked,"})) == 0);
  CHECK(te_request_verdict(codings({"chunked , "})) == 0);
  CHECK(te_request_verdict(codings({"chunked,,"})) == 400);
  CHECK(te_request_verdict(codings({"chunked, ,"})) == 400);
  CHECK(te_request_verdict(codings({"gzip,,chunked"})) == 422);
  CHECK(te_request_verdict(codings({" , chunked"})) == 422);
  CHECK(te_request_verdict(codings({"chunked;a=b"})) == 400);
  CHECK(te_request_verdict(codings({"gzip", "chunked"})) == 422);
  CHECK(te_request_verdict(codings({"chunked", "gzip"})) == 400);
  CHECK(te_response_ok(codings({"chunked"})));
  CHECK_FALSE(te_response_ok(codings({"gzip, chunked"})));
  CHECK_FALSE(te_response_ok(codings({"identity"})));
}

TEST_CASE("request-target bytes") {
  CHECK(target_bytes_ok("/a?b=c"));
  CHECK(target_bytes_ok("/\x7f\x80\xa3\"<{|\\^`"));
  CHECK_FALSE(target_bytes_ok("/a#f"));
  CHECK_FALSE(target_bytes_ok("/a\x1f"));
  CHECK_FALSE(target_bytes_ok("/a\xa4"));
  CHECK_FALSE(target_bytes_ok("/a\xff"));
}

TEST_CASE("absolute-form authority and Host") {
  CHECK(absolute_authority("/a").data() == nullptr);
  CHECK(absolute_authority("http://u@h:1/p") == "h:1");
  CHECK(absolute_authority("http://h") == "h");
  CHECK(authority_matches_host("http://h:80/", "H"));
  CHECK(authority_matches_host("https://h/", "h:443"));
  CHECK_FALSE(authority_matches_host("https://h:80/", "h"));
  CHECK_FALSE(authority_matches_host("http://h?x", "h"));
}

TEST_CASE("CONNECT targets: the authority ends at '/', its port is digits (haproxy 2.6.12)") {
  CHECK_FALSE(connect_target_ok("a/b:80"));   // fuzz_http_request finding: read as "a"
  CHECK(connect_target_ok("a?x:80"));
  CHECK_FALSE(connect_target_ok("a:80?x"));
  CHECK_FALSE(connect_target_ok("a:8x"));
  CHECK(connect_target_ok("a:80/"));
  CHECK(connect_target_ok("[::1]:80"));
  CHECK(connect_target_ok(":80"));
  CHECK(connect_target_ok("a@b:80"));
  CHECK(connect_target_ok("a:80:90"));
  CHECK(connect_target_ok("http://a:80/x"));
}

TEST_CASE("CONNECT targets against Host (haproxy 2.6.12)") {
  CHECK(connect_matches_host("a:80", "a"));
  CHECK(connect_matches_host("a:443", "a"));
  CHECK(connect_matches_host("A:80", "a"));
  CHECK(connect_matches_host("x@a:80", "a"));
  CHECK(connect_matches_host("a:80/", "a:80"));
  CHECK(connect_matches_host("https://a:443", "a"));
  CHECK_FALSE(connect_matches_host("a:81", "a"));
  CHECK_FALSE(connect_matches_host("a:80", "a:81"));
  CHECK_FALSE(connect_matches_host("a:80", "a:443"));
  CHECK_FALSE(connect_matches_host("a:0080", "a"));
  CHECK_FALSE(connect_matches_host("a?x:80", "a"));
  CHECK_FALSE(connect_matches_host("a:80/", "a:80/"));
  CHECK_FALSE(connect_matches_host("https://a:443", "a:80"));
}

TEST_CASE("CONNECT targets") {
  CHECK(connect_target_ok("a:443"));
  CHECK(connect_target_ok("http://a:443"));
  CHECK_FALSE(connect_target_ok("a"));
  CHECK_FALSE(connect_target_ok("/a"));
  CHECK_FALSE(connect_target_ok("*"));
  CHECK_FALSE(connect_target_ok("a:"));
}
