#pragma once
// The data types a stick table may store, in HAProxy 2.6's order (the order `show table`
// prints them in). Header-only: the config parser and the tables both use it.
#include <cstdint>
#include <string_view>

namespace portero::stick {

enum class Data : uint8_t {
  server_id, gpt0, gpc0, gpc0_rate, conn_cnt, conn_rate, conn_cur, sess_cnt, sess_rate,
  http_req_cnt, http_req_rate, http_err_cnt, http_err_rate, bytes_in_cnt, bytes_in_rate,
  bytes_out_cnt, bytes_out_rate, gpc1, gpc1_rate, server_key, http_fail_cnt, http_fail_rate,
  gpt, gpc, gpc_rate,
};
inline constexpr int kDataTypes = 25;

inline constexpr std::string_view kDataNames[kDataTypes] = {
    "server_id", "gpt0", "gpc0", "gpc0_rate", "conn_cnt", "conn_rate", "conn_cur", "sess_cnt", "sess_rate",
    "http_req_cnt", "http_req_rate", "http_err_cnt", "http_err_rate", "bytes_in_cnt", "bytes_in_rate",
    "bytes_out_cnt", "bytes_out_rate", "gpc1", "gpc1_rate", "server_key", "http_fail_cnt", "http_fail_rate",
    "gpt", "gpc", "gpc_rate"};

// A frequency counter: stored with a period, read as a rate over it.
constexpr bool is_rate(Data d) {
  switch (d) {
    case Data::gpc0_rate: case Data::conn_rate: case Data::sess_rate: case Data::http_req_rate:
    case Data::http_err_rate: case Data::bytes_in_rate: case Data::bytes_out_rate: case Data::gpc1_rate:
    case Data::http_fail_rate: case Data::gpc_rate:
      return true;
    default:
      return false;
  }
}
// Stored as an array (`gpc(N)`, `gpt(N)`, `gpc_rate(N,period)`).
constexpr bool is_array(Data d) { return d == Data::gpt || d == Data::gpc || d == Data::gpc_rate; }

inline int data_index(std::string_view name) {
  for (int i = 0; i < kDataTypes; ++i)
    if (kDataNames[i] == name) return i;
  return -1;
}

// The longest string or binary key portero keeps (HAProxy has no fixed limit).
inline constexpr uint32_t kMaxKeyLen = 1024;

enum class KeyType : uint8_t { ip, ipv6, integer, string, binary };
inline constexpr std::string_view kKeyTypeNames[] = {"ip", "ipv6", "integer", "string", "binary"};

}  // namespace portero::stick

#include <string>

namespace portero::stick {

// A `stick-table` line, parsed. Periods of rates in ms.
struct TableSpec {
  std::string name;                 // the proxy's name
  KeyType type = KeyType::ip;
  uint32_t key_len = 4;             // bytes of a key (string: most characters kept)
  uint64_t size = 0;
  uint32_t expire_ms = 0;           // 0: entries never expire
  bool nopurge = false;
  std::string peers;                // `peers NAME`: the section sharing it (empty: not shared)
  bool stored[kDataTypes] = {};
  uint32_t period[kDataTypes] = {};
  bool stores(Data d) const { return stored[static_cast<int>(d)]; }
};

}  // namespace portero::stick
