#include <doctest/doctest.h>

#include "portero/config/units.h"

using namespace portero::config;

TEST_CASE("time values default to milliseconds and accept HAProxy suffixes") {
  CHECK(parse_time_ms("5000") == 5000u);
  CHECK(parse_time_ms("10ms") == 10u);
  CHECK(parse_time_ms("10s") == 10000u);
  CHECK(parse_time_ms("2m") == 120000u);
  CHECK(parse_time_ms("1h") == 3600000u);
  CHECK(parse_time_ms("1d") == 86400000u);
  CHECK(parse_time_ms("100us") == 1u);
  CHECK(parse_time_ms("0") == 0u);
  CHECK_FALSE(parse_time_ms(""));
  CHECK_FALSE(parse_time_ms("s"));
  CHECK_FALSE(parse_time_ms("10x"));
  CHECK_FALSE(parse_time_ms("10 s"));
  CHECK_FALSE(parse_time_ms("99999999999999999999999"));
}

TEST_CASE("sizes use powers of 1024") {
  CHECK(parse_size("16384") == 16384u);
  CHECK(parse_size("16k") == 16384u);
  CHECK(parse_size("1m") == 1048576u);
  CHECK(parse_size("2g") == 2147483648u);
  CHECK_FALSE(parse_size("1kb"));
  CHECK_FALSE(parse_size("k"));
}
