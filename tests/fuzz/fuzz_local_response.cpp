// Arbitrary bytes as an answer portero wrote itself, indexed for http-after-response rules by
// http::index_local_response (an exact-size heap copy: a read past it is caught). An accepted
// head must lie within the bytes and within the block, each header inside the head, and a
// rewrite of it (one header added) must index again to the same headers plus one.
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>

#include "portero/http/head_edit.h"

using namespace portero::http;

namespace {

constexpr uint32_t kCap = 4096;
constexpr uint16_t kMaxHeaders = 32;

void check_inside(const Head& h, uint32_t limit) {
  if (h.length > limit) std::abort();
  for (uint16_t i = 0; i < h.count; ++i) {
    const Header& x = h.headers[i];
    if (x.name.off + x.name.len > h.length || x.value.off + x.value.len > h.length) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::unique_ptr<char[]> in(new char[size ? size : 1]);
  if (size) std::memcpy(in.get(), data, size);
  alignas(Header) static char block[kCap + sizeof(Header) * kMaxHeaders];
  Head h;
  if (!index_local_response({in.get(), size}, block, kCap, kMaxHeaders, h)) return 0;
  check_inside(h, uint32_t(size < kCap ? size : kCap));
  HeadEdit e;
  e.kind = HeadEdit::Kind::add_header;
  e.name = "x-fuzz";
  e.value = "1";
  alignas(Header) static char out[kCap + sizeof(Header) * kMaxHeaders];
  Head r;
  if (!rewrite_head(h, block, false, e, out, kCap, kMaxHeaders, r)) return 0;
  if (r.count != h.count + 1 || r.status != h.status) std::abort();
  check_inside(r, kCap);
  return 0;
}
