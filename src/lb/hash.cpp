#include "portero/lb/hash.h"

#include <array>

namespace portero::lb {
namespace {

constexpr std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ ((c & 1) ? 0xedb88320u : 0u);
    t[i] = c;
  }
  return t;
}
constexpr auto crc_table = make_crc_table();

}  // namespace

uint32_t hash_crc32(std::string_view key) {
  uint32_t h = 0xffffffffu;
  for (unsigned char c : key) h = crc_table[(h ^ c) & 0xff] ^ (h >> 8);
  return ~h;
}

}  // namespace portero::lb
