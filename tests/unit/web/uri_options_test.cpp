// Stats URI options and the 303 location, with the values haproxy 2.6.12 gave for the same
// requests (COMPAT.md §4.3, §4.4).
#include <doctest/doctest.h>

#include "web/uri_options.h"

using namespace portero::web;
using F = PageOptions::Format;

TEST_CASE("options are substrings anywhere after the prefix") {
  auto o = parse_options("/stats;up;norefresh", "/stats");
  CHECK(o.up);
  CHECK(o.norefresh);
  CHECK_FALSE(o.no_maint);
  CHECK(o.format == F::html);
  o = parse_options("/stats?x=1;no-maint;csv", "/stats");
  CHECK(o.no_maint);
  CHECK(o.format == F::csv);
  CHECK(parse_options("/stats;typed", "/stats").format == F::typed);
  CHECK(parse_options("/stats;json", "/stats").format == F::json);
  CHECK(parse_options("/stats;json-schema", "/stats").format == F::json_schema);
  CHECK(parse_options("/stats;live", "/stats").format == F::live);
  // the prefix match is a prefix: "/statsXYZ;up" still carries ;up
  CHECK(parse_options("/statsXYZ;up", "/stats").up);
  // the default URI carries a '?': options follow it all the same
  CHECK(parse_options("/haproxy?stats;csv;norefresh", "/haproxy?stats").format == F::csv);
}

TEST_CASE("the prefix itself is not searched for options") {
  CHECK_FALSE(parse_options("/s;up", "/s;up").up);
  CHECK(parse_options("/other;up", "/stats").up == false);   // not the stats URI at all
}

TEST_CASE("absolute-form URIs are matched on their path") {
  CHECK(options_offset("http://example.com/stats;csv", "/stats") == 24);
  CHECK(parse_options("http://example.com/stats;csv", "/stats").format == F::csv);
  CHECK(options_offset("http://example.com/other", "/stats") == std::string::npos);
}

TEST_CASE("st= banner code") {
  CHECK(parse_options("/stats;st=DONE", "/stats").status == "DONE");
  CHECK(parse_options("/stats;st=ERRP;up", "/stats").status == "ERRP");
  CHECK(status_from_code("PART") == PostStatus::part);
  CHECK(status_from_code("XXXX") == PostStatus::unkn);
  CHECK(status_code(PostStatus::excd) == "EXCD");
}

TEST_CASE("scope= value: ends at ; & or space, at most 20 characters") {
  CHECK(parse_options("/stats?scope=be", "/stats").scope == "be");
  CHECK(parse_options("/stats;scope=be;up", "/stats").scope == "be");
  CHECK(parse_options("/stats?scope=be_app&x=1", "/stats").scope == "be_app");
  CHECK(parse_options("/stats;scope=", "/stats").scope.empty());
  CHECK(parse_options("/stats?scope=0123456789012345678901234", "/stats").scope == "01234567890123456789");
}

TEST_CASE("303 location as haproxy builds it") {
  const auto loc = [](const char* uri, PostStatus st, bool refresh = true) {
    return post_location("/stats", st, parse_options(uri, "/stats"), refresh);
  };
  CHECK(loc("/stats;up;norefresh", PostStatus::done) == "/stats;st=DONE;up;norefresh");
  CHECK(loc("/stats?scope=be", PostStatus::part) == "/stats;st=PART?scope=be");
  CHECK(loc("/stats;scope=be", PostStatus::errp) == "/stats;st=ERRP?scope=be");
  CHECK(loc("/stats?scope=be;up", PostStatus::errp) == "/stats;st=ERRP;up?scope=be");
  CHECK(loc("/stats;norefresh;up?scope=be_app&x=1", PostStatus::errp) == "/stats;st=ERRP;up;norefresh?scope=be_app");
  CHECK(loc("/stats;st=DONE", PostStatus::errp) == "/stats;st=ERRP");
  CHECK(loc("/statsXYZ;up", PostStatus::errp) == "/stats;st=ERRP;up");
  CHECK(loc("/stats;scope=", PostStatus::errp) == "/stats;st=ERRP");
  // no-maint is not carried; norefresh only when `stats refresh` is configured
  CHECK(loc("/stats;up;no-maint;norefresh", PostStatus::done, false) == "/stats;st=DONE;up");
  CHECK(post_location("/haproxy?stats", PostStatus::done, parse_options("/haproxy?stats;no-maint?scope=st", "/haproxy?stats"),
                      false) == "/haproxy?stats;st=DONE?scope=st");
}

TEST_CASE("page links keep the display options") {
  PageOptions o;
  o.up = true;
  o.scope = "be";
  CHECK(page_link("/stats", o, true) == "/stats;up?scope=be");
  CHECK(page_link("/stats", o, true, ";csv;norefresh") == "/stats;up;csv;norefresh?scope=be");
  o.norefresh = true;
  CHECK(page_link("/stats", o, false) == "/stats;up?scope=be");
  CHECK(page_link("/stats", o, true) == "/stats;up;norefresh?scope=be");
}
