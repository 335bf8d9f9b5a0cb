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

// The numbered counters read an array's element when the table stores the array instead
// (HAProxy 2.6: gpc0 -> gpc[0], gpc1 -> gpc[1], their rates -> gpc_rate[0|1], gpt0 -> gpt[0]).
constexpr bool array_fallback(Data d, Data& to, unsigned& idx) {
  switch (d) {
    case Data::gpc0: to = Data::gpc, idx = 0; return true;
    case Data::gpc1: to = Data::gpc, idx = 1; return true;
    case Data::gpc0_rate: to = Data::gpc_rate, idx = 0; return true;
    case Data::gpc1_rate: to = Data::gpc_rate, idx = 1; return true;
    case Data::gpt0: to = Data::gpt, idx = 0; return true;
    default: return false;
  }
}

inline int data_index(std::string_view name) {
  for (int i = 0; i < kDataTypes; ++i)
    if (kDataNames[i] == name) return i;
  return -1;
}

// The most elements an array data type holds (HAProxy's limit).
inline constexpr uint32_t kMaxArrayElems = 100;

// The longest string or binary key portero keeps (HAProxy has no fixed limit).
inline constexpr uint32_t kMaxKeyLen = 1024;

enum class KeyType : uint8_t { ip, ipv6, integer, string, binary };
inline constexpr std::string_view kKeyTypeNames[] = {"ip", "ipv6", "integer", "string", "binary"};

}  // namespace portero::stick

#include <string>

namespace portero::stick {

// A `stick-table` line, parsed. Periods of rates in ms.
struct TableSpec {
  std::string name;                 // the proxy's name, or `<peers>/<table>` for a peers section's
  uint32_t declared = 0;            // declaration order in the configuration (`show table` lists the last first)
  KeyType type = KeyType::ip;
  uint32_t key_len = 4;             // bytes of a key (string: most characters kept)
  uint64_t size = 0;
  uint32_t expire_ms = 0;           // 0: entries never expire
  bool nopurge = false;
  std::string peers;                // `peers NAME`: the section sharing it (empty: not shared)
  bool srvkey_addr = false;         // `srvkey addr`: server_key holds the server's address, not its name
  bool stored[kDataTypes] = {};
  uint32_t period[kDataTypes] = {};
  uint32_t nbelem[kDataTypes] = {};   // elements of each stored type (1 but for arrays)
  bool stores(Data d) const { return stored[static_cast<int>(d)]; }
  // Element `idx` of `d` is there, directly or through array_fallback().
  bool provides(Data d, unsigned idx = 0) const {
    if (stores(d)) return idx < (nbelem[int(d)] ? nbelem[int(d)] : 1);
    Data to;
    unsigned i = 0;
    return idx == 0 && array_fallback(d, to, i) && stores(to) && i < nbelem[int(to)];
  }
};

}  // namespace portero::stick
