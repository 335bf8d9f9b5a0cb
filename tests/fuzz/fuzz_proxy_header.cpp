// Arbitrary bytes as the first bytes of an `accept-proxy` connection: core::pp::parse on an
// exact-size heap copy (a read past them is caught), whole and cut. A header it accepts must
// lie within the bytes, and the addresses it reports, written back by the v1/v2 writers, must
// parse to the same addresses.
#include <cstdlib>
#include <cstring>
#include <memory>

#include "portero/core/proxy_header.h"

using namespace portero::core;

namespace {

bool same(const pp::Addr& a, const pp::Addr& b) {
  if (a.sa.sa_family != b.sa.sa_family) return false;
  if (a.sa.sa_family == AF_INET)
    return a.v4.sin_addr.s_addr == b.v4.sin_addr.s_addr && a.v4.sin_port == b.v4.sin_port;
  return std::memcmp(&a.v6.sin6_addr, &b.v6.sin6_addr, 16) == 0 && a.v6.sin6_port == b.v6.sin6_port;
}

void round_trip(const pp::Header& h) {
  if (!h.has_addresses) return;
  char out[1024];
  pp::V2Extras x;
  x.authority = h.authority;
  x.unique_id = h.unique_id;
  x.crc32c = true;
  size_t n = pp::write_v2(out, sizeof out, &h.src.sa, &h.dst.sa, x);
  if (n == 0) std::abort();
  pp::Header back = pp::parse(std::string_view(out, n));
  if (back.status != pp::Status::ok || back.length != n || !same(back.src, h.src) || !same(back.dst, h.dst) ||
      back.authority != h.authority || back.unique_id != h.unique_id)
    std::abort();
  if (h.src.sa.sa_family == h.dst.sa.sa_family) {
    n = pp::write_v1(out, &h.src.sa, &h.dst.sa);
    back = pp::parse(std::string_view(out, n));
    if (back.status != pp::Status::ok || back.length != n || !same(back.src, h.src) || !same(back.dst, h.dst))
      std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 16384) return -1;
  std::unique_ptr<char[]> copy(new char[size ? size : 1]);
  if (size) std::memcpy(copy.get(), data, size);
  for (size_t len : {size, size / 2, size > 16 ? size_t(16) : size}) {
    const pp::Header h = pp::parse(std::string_view(copy.get(), len));
    if (h.status != pp::Status::ok) continue;
    if (h.length == 0 || h.length > len) std::abort();
    round_trip(h);
  }
  return 0;
}
