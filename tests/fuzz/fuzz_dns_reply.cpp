// Arbitrary bytes as a DNS reply a name server sends (portero/dns/records.h): parsed from an
// exact-size heap copy (a read past it is caught). What parses must hold together: names within
// 255 bytes, addresses of their record's family, SRV and CNAME targets present.
#include <sys/socket.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include "portero/dns/records.h"

using namespace portero::dns;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto copy = std::make_unique<uint8_t[]>(size ? size : 1);
  if (size) std::memcpy(copy.get(), data, size);
  Reply r;
  if (!parse_reply(copy.get(), size, r)) return 0;
  if (r.rcode < 0 || r.rcode > 15) std::abort();
  for (const auto* list : {&r.answers, &r.additional})
    for (const Record& rec : *list) {
      if (rec.name.size() > 255 || rec.target.size() > 255) std::abort();
      if (rec.type == kTypeA && rec.family != AF_INET) std::abort();
      if (rec.type == kTypeAaaa && rec.family != AF_INET6) std::abort();
      if (rec.type != kTypeA && rec.type != kTypeAaaa && rec.type != kTypeSrv && rec.type != kTypeCname) std::abort();
    }
  return 0;
}
