#pragma once
// The hash functions of `hash-type` (COMPAT.md §1.8), bit-exact with HAProxy 2.6 so that the
// same key lands on the same server. All arithmetic is unsigned 32-bit; none allocates.
#include <cstdint>
#include <string_view>

namespace portero::lb {

enum class HashFunction : uint8_t { sdbm, djb2, wt6, crc32, none };

inline uint32_t hash_sdbm(std::string_view key) {
  uint32_t h = 0;
  for (unsigned char c : key) h = c + (h << 6) + (h << 16) - h;
  return h;
}

inline uint32_t hash_djb2(std::string_view key) {
  uint32_t h = 5381;
  for (unsigned char c : key) h = h * 33 + c;
  return h;
}

// A rotation by 0 is the identity (HAProxy's expression would shift by 32 there; on the
// machines it runs on that also gives the value unchanged).
inline uint32_t rotl32(uint32_t v, uint32_t n) { return n == 0 ? v : (v << n) | (v >> (32 - n)); }

inline uint32_t hash_wt6(std::string_view key) {
  uint32_t h0 = 0xa53c965a, h1 = 0x5ca6953a, s0 = 6, s1 = 18;
  for (unsigned char t : key) {
    h0 = ~(h0 ^ t);
    h1 = ~(h1 + t);
    uint32_t n0 = rotl32(h1, s0);
    h1 = rotl32(h0, s1);
    h0 = n0;
    uint32_t x = ((h0 >> 16) ^ h1) & 0xffff;
    s0 = x & 31;
    s1 = x >> 11;
  }
  return h0 ^ h1;
}

// Standard CRC-32 (reflected, polynomial 0xEDB88320), as zlib computes it.
uint32_t hash_crc32(std::string_view key);

// HAProxy's "avalanche": a 32-bit integer mix, a bijection (so distinct inputs never collide).
inline uint32_t full_hash(uint32_t a) {
  a = (a + 0x7ed55d16) + (a << 12);
  a = (a ^ 0xc761c23c) ^ (a >> 19);
  a = (a + 0x165667b1) + (a << 5);
  a = (a + 0xd3a2646c) ^ (a << 9);
  a = (a + 0xfd7046c5) + (a << 3);
  a = (a ^ 0xb55a4f09) ^ (a >> 16);
  return a * 3221225473u;
}

inline uint32_t hash_with(HashFunction f, std::string_view key) {
  switch (f) {
    case HashFunction::djb2: return hash_djb2(key);
    case HashFunction::wt6: return hash_wt6(key);
    case HashFunction::crc32: return hash_crc32(key);
    case HashFunction::sdbm:
    case HashFunction::none: break;
  }
  return hash_sdbm(key);
}

}  // namespace portero::lb
