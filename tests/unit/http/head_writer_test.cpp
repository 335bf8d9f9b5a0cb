#include <doctest/doctest.h>

#include <string>

#include "portero/http/head_writer.h"
#include "portero/http/message.h"

using portero::http::HeadWriter;

TEST_CASE("put_lower lower-cases A-Z only, every byte value at every position of a long name") {
  // 8 bytes at a time plus a tail: positions 0..18 cover both paths.
  for (int c = 0; c < 256; ++c) {
    for (int pos = 0; pos < 19; ++pos) {
      std::string name(19, 'Q');
      name[size_t(pos)] = char(c);
      char buf[32];
      HeadWriter w(buf, sizeof buf);
      w.put_lower(name);
      REQUIRE(w.size() == name.size());
      std::string want(19, 'q');
      want[size_t(pos)] = (c >= 'A' && c <= 'Z') ? char(c | 0x20) : char(c);
      CHECK(std::string(buf, w.size()) == want);
    }
  }
}

TEST_CASE("put_lower: a header name as HAProxy 2.x sends it on HTTP/1") {
  char buf[64];
  HeadWriter w(buf, sizeof buf);
  w.header("X-Forwarded-For", "10.0.0.1");
  w.header("Content-MD5", "Q");
  CHECK(std::string(buf, w.size()) == "x-forwarded-for: 10.0.0.1\r\ncontent-md5: Q\r\n");
  HeadWriter small(buf, 4);
  small.put_lower("Content-Length");
  CHECK(small.overflow());
  CHECK(small.size() == 0);
}

TEST_CASE("iequals: ASCII case-insensitive, lengths first") {
  using portero::http::iequals;
  CHECK(iequals("Content-Length", "content-length"));
  CHECK_FALSE(iequals("content-length", "content-lengt"));
  CHECK_FALSE(iequals("host", "hosT2"));
  CHECK(iequals("", ""));
  CHECK_FALSE(iequals("a_b", "A^B"));
}
