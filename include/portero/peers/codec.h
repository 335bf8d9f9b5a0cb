#pragma once
// HAProxy's peers protocol (version 2.1), the wire format only: the handshake lines, message
// framing, the variable-length integers, table definitions, entry updates and acks. No I/O and
// no tables here, so the decoder can be fuzzed (tests/fuzz/fuzz_peers.cpp) and unit-tested.
//
// Framing: every message starts with a class byte and a type byte. Stick-table messages (type
// with bit 7 set) then carry a varint length and that many bytes; control and error messages
// are those two bytes alone.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "portero/stick/types.h"

namespace portero::peers {

inline constexpr std::string_view kProtoName = "HAProxyS";
inline constexpr int kMajor = 2, kMinor = 1;

// Handshake status codes (the line a peer answers a hello with).
enum Status : int {
  kSuccess = 200,
  kTryAgain = 300,
  kErrProto = 501,
  kErrVersion = 502,
  kErrHost = 503,
  kErrPeer = 504,
};

enum Class : uint8_t { kControl = 0, kError = 1, kStickTable = 10, kReserved = 255 };
enum Control : uint8_t { kResyncReq = 0, kResyncFinished = 1, kResyncPartial = 2, kResyncConfirm = 3, kHeartbeat = 4 };
enum ErrorType : uint8_t { kProtocolError = 0, kSizeLimit = 1 };
enum StickType : uint8_t {
  kUpdate = 0x80, kIncUpdate = 0x81, kDefine = 0x82, kSwitch = 0x83, kAck = 0x84,
  kUpdateTimed = 0x85, kIncUpdateTimed = 0x86,
};
// Key types on the wire (HAProxy's historical numbering).
enum KeyWire : uint8_t { kKeySint = 2, kKeyIpv4 = 4, kKeyIpv6 = 5, kKeyStr = 6, kKeyBin = 7 };

// The largest stick-table message body accepted (HAProxy's buffer size).
inline constexpr size_t kMaxBody = 16384;

// HAProxy's varint: values below 240 take one byte; above, the first byte carries the low 4
// bits ORed with 0xf0, then 7 bits per byte with bit 7 meaning "more".
void put_varint(std::string& out, uint64_t v);
// Reads one varint at p (advanced past it). False when [p, end) ends before the value does.
bool get_varint(const uint8_t*& p, const uint8_t* end, uint64_t& v);

// One framed message. body is empty for control and error messages.
struct Message {
  uint8_t cls = 0;
  uint8_t type = 0;
  std::string_view body;
};
enum class Frame { ok, need_more, too_big, bad };
// Cuts the first message off [data, data+len): on ok, `used` bytes make it.
Frame next_message(const uint8_t* data, size_t len, Message& m, size_t& used);

// A table definition (kDefine): what the sender's table is and stores.
struct TableDef {
  uint64_t id = 0;              // the sender's number for the table
  std::string name;
  uint64_t key_type = 0;        // KeyWire
  uint64_t key_size = 0;        // bytes (strings: characters + 1, as HAProxy counts them)
  uint64_t data_mask = 0;       // bit n: data type n is stored
  bool has_expire = false;      // peers older than 1.9 send neither the expiry nor the periods
  uint64_t expire = 0;          // ms
  uint64_t period[stick::kDataTypes] = {};   // rates: their period in ms
  uint64_t nbelem[stick::kDataTypes] = {};   // arrays: their element count
};
void encode_define(std::string& out, const TableDef& d);
// False: malformed (a protocol error). `ignore` is set when the definition is well formed but
// cannot be used (e.g. arrays without their sizes).
bool decode_define(std::string_view body, TableDef& d, bool& ignore);

// One data value of an update: a counter, or a frequency counter as HAProxy sends it (ms
// since the start of its current period, events in it, events in the previous one).
struct Value {
  uint64_t v = 0;
  uint32_t elapsed = 0, curr = 0, prev = 0;
  std::string dict;             // server_key: the server's name (empty: none)
  bool has_dict = false;
};
// Wire types of the data: how each is encoded.
enum class DataWire : uint8_t { sint, uint, ull, freq, dict };
DataWire data_wire(int type);

struct Update {
  bool has_id = false;
  uint32_t id = 0;
  bool timed = false;
  uint32_t expire = 0;          // timed: ms left before the entry expires
  std::string key;              // in the table's key form (ip: 4 bytes, integer: 4 bytes host order)
  Value values[stick::kDataTypes];
  // Arrays (gpc(N), gpt(N), gpc_rate(N,p)): their elements in order, as many as the table's
  // definition says (missing ones go out as zeroes).
  std::vector<Value> elems[stick::kDataTypes];
};
// Encodes an update of a table defined by `def` (its key type/size and data mask).
void encode_update(std::string& out, const TableDef& def, const Update& u);
// Decodes an update for a table the peer defined as `def`. `dict` is the peer's table of
// server names by id (kept by the connection; grown as names arrive). False: malformed.
bool decode_update(uint8_t type, std::string_view body, const TableDef& def, std::vector<std::string>& dict,
                   Update& u);

void encode_ack(std::string& out, uint64_t table_id, uint32_t update);
bool decode_ack(std::string_view body, uint64_t& table_id, uint32_t& update);
void encode_switch(std::string& out, uint64_t table_id);
bool decode_switch(std::string_view body, uint64_t& table_id);
void encode_control(std::string& out, uint8_t cls, uint8_t type);

// The hello a connecting peer sends: "HAProxyS 2.1\n<remote name>\n<local name> <pid> 1\n".
std::string hello(std::string_view remote, std::string_view local, int pid);
// "2.1" -> 2, 1. False when not two dot-separated numbers.
bool parse_version(std::string_view s, unsigned& major, unsigned& minor);

}  // namespace portero::peers
