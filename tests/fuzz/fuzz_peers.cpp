// Arbitrary bytes as what a peer sends once its session is established: cut into messages
// (portero/peers/codec.h) and each decoded as the session would — table definitions, switches,
// updates (against the last definition that decoded, as the session keeps it, or a fixed ip
// table with every data type before any), acks. Each message body is decoded from an
// exact-size heap copy (a read past it is caught). A definition that decodes is re-encoded and
// must decode to the same thing.
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "portero/peers/codec.h"

using namespace portero::peers;

namespace {

TableDef default_def() {
  TableDef d;
  d.id = 1;
  d.name = "fe";
  d.key_type = kKeyIpv4;
  d.key_size = 4;
  d.has_expire = true;
  for (int t = 0; t < portero::stick::kDataTypes; ++t) {
    d.data_mask |= 1ull << t;
    d.period[t] = 10000;
    d.nbelem[t] = 2;
  }
  return d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  TableDef def = default_def();
  std::vector<std::string> dict;
  size_t off = 0;
  while (off < size) {
    Message m;
    size_t used = 0;
    if (next_message(data + off, size - off, m, used) != Frame::ok) break;
    std::unique_ptr<char[]> copy(new char[m.body.size() + 1]);
    if (!m.body.empty()) std::memcpy(copy.get(), m.body.data(), m.body.size());
    const std::string_view body(copy.get(), m.body.size());
    if (m.cls == kStickTable) {
      switch (m.type) {
        case kDefine: {
          TableDef d;
          bool ignore = false;
          if (decode_define(body, d, ignore) && !ignore) {
            std::string again;
            encode_define(again, d);
            Message m2;
            size_t used2 = 0;
            if (next_message(reinterpret_cast<const uint8_t*>(again.data()), again.size(), m2, used2) != Frame::ok)
              abort();
            TableDef d2;
            bool ignore2 = false;
            if (!decode_define(m2.body, d2, ignore2) || ignore2 || d2.name != d.name || d2.data_mask != d.data_mask ||
                d2.key_type != d.key_type || d2.key_size != d.key_size || d2.expire != d.expire)
              abort();
            def = d;
          }
          break;
        }
        case kUpdate:
        case kIncUpdate:
        case kUpdateTimed:
        case kIncUpdateTimed: {
          Update u;
          if (decode_update(m.type, body, def, dict, u)) {
            std::string out;
            encode_update(out, def, u);
          }
          break;
        }
        case kAck: {
          uint64_t id;
          uint32_t upd;
          decode_ack(body, id, upd);
          break;
        }
        case kSwitch: {
          uint64_t id;
          decode_switch(body, id);
          break;
        }
        default:
          break;
      }
    }
    off += used;
  }
  unsigned major, minor;
  parse_version(std::string_view(reinterpret_cast<const char*>(data), size < 16 ? size : 16), major, minor);
  return 0;
}
