#pragma once
// Key extraction of the hash algorithms (COMPAT.md §1.7), apart from the key -> server mapping
// (map table or consistent ring). Each extractor reads the request (or tcp payload, or client
// address) through views: nothing is copied or allocated.
#include <cstdint>
#include <string>
#include <string_view>

#include "portero/config/config.h"
#include "portero/lb/balancer.h"
#include "portero/lb/hash.h"

namespace portero::lb {

enum class KeyKind : uint8_t { source, uri, url_param, hdr, rdp_cookie, sample };

struct KeySpec {
  KeyKind kind = KeyKind::uri;
  // uri
  uint32_t len = 0;         // 0 = whole length
  uint32_t stop_slash = 0;  // depth + 1: stop before this many '/' (0 = no depth)
  bool whole = false;       // keep the query string
  bool path_only = false;   // from the first '/' of the path (absolute-form targets)
  // url_param / hdr / rdp-cookie
  std::string name;
  bool domain_only = false; // hdr use_domain_only
};

// Reads the algorithm's arguments (`balance uri len 10`, `hdr(host) use_domain_only`, ...).
// Returns false and sets `error` on a malformed line (the config loader normally caught it).
bool parse_key_spec(const config::Balance& balance, KeySpec& spec, std::string& error);

enum class KeyStatus : uint8_t {
  found,     // `hash` holds the key's hash (avalanche not applied yet)
  missing,   // no key in this request: round robin on the same table/ring
  error,     // cannot hash at all (source: not an IP client): no server
};

// Extracts the key of `spec` from `ctx` and hashes it with `fn`. The source address is not
// hashed by `fn`: IPv4 is the address as a big-endian integer, IPv6 the XOR of its four words.
KeyStatus hash_key(const KeySpec& spec, HashFunction fn, const PickContext& ctx, uint32_t& hash);

// Helpers, exposed for tests.
std::string_view uri_key(const KeySpec& spec, std::string_view uri);
std::string_view domain_of(std::string_view host);
// The value of parameter `name` in a query string / form body; false when absent.
bool find_param(std::string_view params, std::string_view name, std::string_view& value);
bool find_post_param(std::string_view body, std::string_view name, std::string_view& value);

}  // namespace portero::lb
