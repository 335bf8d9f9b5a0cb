#pragma once
// The records of a DNS reply (RFC 1035 wire format) that server discovery reads: A, AAAA, SRV
// (and CNAME, which only redirects). c-ares sends the queries and matches the replies (ids,
// retries, timeouts, truncation); what is inside a reply is read here, so that the additional
// section of an SRV reply (the targets' addresses) is read too. Pure functions, fuzzed by
// fuzz_dns_reply.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace portero::dns {

enum : uint16_t { kTypeA = 1, kTypeCname = 5, kTypeAaaa = 28, kTypeSrv = 33 };
enum : int { kRcodeOk = 0, kRcodeFormErr = 1, kRcodeServFail = 2, kRcodeNx = 3, kRcodeRefused = 5 };

struct Record {
  uint16_t type = 0;
  std::string name;              // owner name, lower case, without the final dot
  uint32_t ttl = 0;
  int family = 0;                // A: AF_INET, AAAA: AF_INET6
  uint8_t addr[16] = {};
  uint16_t priority = 0, weight = 0, port = 0;   // SRV
  std::string target;            // SRV target, CNAME alias (lower case)
};

struct Reply {
  uint16_t id = 0;
  int rcode = 0;
  bool truncated = false;
  std::vector<Record> answers;     // the records this module reads (others are skipped)
  std::vector<Record> additional;
};

// False on a malformed message (then `out` is unspecified).
bool parse_reply(const uint8_t* data, size_t len, Reply& out);

}  // namespace portero::dns
