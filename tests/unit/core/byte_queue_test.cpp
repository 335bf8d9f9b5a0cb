#include <doctest/doctest.h>

#include <string>

#include "portero/core/byte_queue.h"

using portero::core::BufferPool;
using portero::core::ByteQueue;

namespace {
std::string pattern(size_t n, size_t from = 0) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = char('a' + (from + i) % 26);
  return s;
}
}  // namespace

TEST_CASE("ByteQueue: bytes come out in order across blocks, in pieces of any size") {
  BufferPool pool(16);
  ByteQueue q(pool, 16);
  const std::string in = pattern(100);
  REQUIRE(q.push(in.data(), 7));
  REQUIRE(q.push(in.data() + 7, 50));
  REQUIRE(q.push(in.data() + 57, 43));
  CHECK(q.size() == 100);
  CHECK(pool.in_use() == 7);   // 100 bytes in blocks of 16
  std::string out;
  char buf[13];
  while (size_t n = q.pop(buf, sizeof buf)) out.append(buf, n);
  CHECK(out == in);
  CHECK(q.empty());
  CHECK(pool.in_use() == 0);   // an empty queue holds no block
}

TEST_CASE("ByteQueue: refuses what exceeds its capacity and keeps what it has") {
  BufferPool pool(16);
  ByteQueue q(pool, 16);
  const size_t cap = ByteQueue::capacity(16);
  CHECK(cap == 7 * 16);
  const std::string in = pattern(cap + 1);
  CHECK_FALSE(q.push(in.data(), cap + 1));
  CHECK(q.empty());
  REQUIRE(q.push(in.data(), cap));
  CHECK_FALSE(q.push(in.data(), 1));
  // Reading part of it makes room again, even when the data straddles eight blocks.
  char buf[5];
  CHECK(q.pop(buf, 5) == 5);
  CHECK(std::string(buf, 5) == in.substr(0, 5));
  const std::string more = pattern(5, cap);
  REQUIRE(q.push(more.data(), 5));
  std::string out(buf, 5);
  char big[300];
  out.append(big, q.pop(big, sizeof big));
  CHECK(out == in.substr(0, cap) + more);
}

TEST_CASE("ByteQueue: clear gives every block back") {
  BufferPool pool(16);
  {
    ByteQueue q(pool, 16);
    const std::string in = pattern(40);
    REQUIRE(q.push(in.data(), 40));
    CHECK(pool.in_use() == 3);
    q.clear();
    CHECK(pool.in_use() == 0);
    REQUIRE(q.push(in.data(), 40));
  }
  CHECK(pool.in_use() == 0);   // and so does the destructor
}
