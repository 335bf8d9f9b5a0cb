// The peers protocol's wire format (see codec.h). Every decoder checks each read against the
// end of its input: a peer's bytes are untrusted.
#include "portero/peers/codec.h"

#include <arpa/inet.h>

#include <cstdio>
#include <cstring>

namespace portero::peers {
namespace {

constexpr uint64_t kTwoBytesMin = 0xf0;

void put_u32(std::string& out, uint32_t v) {
  const uint32_t be = htonl(v);
  out.append(reinterpret_cast<const char*>(&be), 4);
}

bool get_u32(const uint8_t*& p, const uint8_t* end, uint32_t& v) {
  if (end - p < 4) return false;
  uint32_t be;
  std::memcpy(&be, p, 4);
  v = ntohl(be);
  p += 4;
  return true;
}

const uint8_t* bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// A stick-table message: class, type, varint length, body.
void frame(std::string& out, uint8_t type, const std::string& body) {
  out.push_back(char(kStickTable));
  out.push_back(char(type));
  put_varint(out, body.size());
  out += body;
}

}  // namespace

void put_varint(std::string& out, uint64_t v) {
  if (v < kTwoBytesMin) {
    out.push_back(char(v));
    return;
  }
  out.push_back(char(uint8_t(v) | kTwoBytesMin));
  v = (v - kTwoBytesMin) >> 4;
  while (v >= 0x80) {
    out.push_back(char(uint8_t(v) | 0x80));
    v = (v - 0x80) >> 7;
  }
  out.push_back(char(v));
}

bool get_varint(const uint8_t*& p, const uint8_t* end, uint64_t& v) {
  if (p >= end) return false;
  const uint8_t* q = p;
  v = *q++;
  if (v >= kTwoBytesMin) {
    unsigned shift = 4;
    uint8_t b;
    do {
      if (q >= end || shift > 63) return false;
      b = *q++;
      v += uint64_t(b) << shift;
      shift += 7;
    } while (b >= 0x80);
  }
  p = q;
  return true;
}

Frame next_message(const uint8_t* data, size_t len, Message& m, size_t& used) {
  if (len < 2) return Frame::need_more;
  m.cls = data[0];
  m.type = data[1];
  m.body = {};
  if (!(m.type & 0x80)) {
    used = 2;
    return Frame::ok;
  }
  const uint8_t* p = data + 2;
  const uint8_t* end = data + len;
  uint64_t n;
  if (!get_varint(p, end, n)) return len >= 2 + 10 ? Frame::bad : Frame::need_more;
  if (n > kMaxBody) return Frame::too_big;
  if (uint64_t(end - p) < n) return Frame::need_more;
  m.body = std::string_view(reinterpret_cast<const char*>(p), size_t(n));
  used = size_t(p - data) + size_t(n);
  return Frame::ok;
}

DataWire data_wire(int type) {
  using stick::Data;
  const Data d = Data(type);
  if (d == Data::server_id) return DataWire::sint;
  if (d == Data::server_key) return DataWire::dict;
  if (d == Data::bytes_in_cnt || d == Data::bytes_out_cnt) return DataWire::ull;
  if (stick::is_rate(d)) return DataWire::freq;
  return DataWire::uint;
}

void encode_define(std::string& out, const TableDef& d) {
  std::string body, params;
  put_varint(body, d.id);
  put_varint(body, d.name.size());
  body += d.name;
  put_varint(body, d.key_type);
  put_varint(body, d.key_size);
  for (int t = 0; t < stick::kDataTypes; ++t) {
    if (!(d.data_mask & (1ull << t))) continue;
    // Parameters: arrays give their size (and a period for rates), plain rates their period,
    // each prefixed by the data type.
    if (stick::is_array(stick::Data(t))) {
      put_varint(params, uint64_t(t));
      put_varint(params, d.nbelem[t]);
      if (data_wire(t) == DataWire::freq) put_varint(params, d.period[t]);
    } else if (data_wire(t) == DataWire::freq) {
      put_varint(params, uint64_t(t));
      put_varint(params, d.period[t]);
    }
  }
  put_varint(body, d.data_mask);
  put_varint(body, d.expire);
  body += params;
  frame(out, kDefine, body);
}

bool decode_define(std::string_view b, TableDef& d, bool& ignore) {
  ignore = false;
  const uint8_t* p = bytes(b);
  const uint8_t* end = p + b.size();
  uint64_t name_len;
  if (!get_varint(p, end, d.id) || !get_varint(p, end, name_len)) return false;
  if (name_len == 0 || name_len >= uint64_t(end - p)) return false;
  d.name.assign(reinterpret_cast<const char*>(p), size_t(name_len));
  p += name_len;
  if (!get_varint(p, end, d.key_type) || !get_varint(p, end, d.key_size) || !get_varint(p, end, d.data_mask))
    return false;
  // Data types portero does not know cannot be skipped in updates: such a table is ignored.
  if (d.data_mask >> stick::kDataTypes) ignore = true;
  d.has_expire = get_varint(p, end, d.expire);
  for (int t = 0; t < stick::kDataTypes; ++t) {
    if (!(d.data_mask & (1ull << t))) continue;
    const bool array = stick::is_array(stick::Data(t));
    const bool freq = data_wire(t) == DataWire::freq;
    if (!d.has_expire) {
      if (array) ignore = true;   // an array's size is mandatory
      continue;
    }
    if (!array && !freq) continue;
    uint64_t type;
    if (!get_varint(p, end, type) || type != uint64_t(t)) {
      ignore = true;
      return true;
    }
    if (array) {
      if (!get_varint(p, end, d.nbelem[t]) || d.nbelem[t] == 0 || d.nbelem[t] > 100) {
        ignore = true;
        return true;
      }
    }
    if (freq && !get_varint(p, end, d.period[t])) {
      ignore = true;
      return true;
    }
  }
  return true;
}

namespace {

void encode_value(std::string& out, DataWire w, const Value& v) {
  switch (w) {
    case DataWire::sint:
      // HAProxy widens its int to 64 bits before encoding: a negative id goes out sign-extended.
      put_varint(out, uint64_t(int64_t(int32_t(uint32_t(v.v)))));
      break;
    case DataWire::uint:
      put_varint(out, uint32_t(v.v));
      break;
    case DataWire::ull:
      put_varint(out, v.v);
      break;
    case DataWire::freq:
      put_varint(out, v.elapsed);
      put_varint(out, v.curr);
      put_varint(out, v.prev);
      break;
    case DataWire::dict: {
      if (!v.has_dict || v.dict.empty()) {
        put_varint(out, 0);
        break;
      }
      // Always the whole name under id 1: the receiver replaces what id 1 meant. Simpler than
      // a cache of names, and still what HAProxy decodes.
      std::string inner;
      put_varint(inner, 1);
      put_varint(inner, v.dict.size());
      inner += v.dict;
      put_varint(out, inner.size());
      out += inner;
      break;
    }
  }
}

bool decode_value(const uint8_t*& p, const uint8_t* end, DataWire w, std::vector<std::string>& dict, Value& v) {
  uint64_t n;
  switch (w) {
    case DataWire::sint:
    case DataWire::uint:
    case DataWire::ull:
      if (!get_varint(p, end, n)) return false;
      v.v = w == DataWire::ull ? n : uint64_t(uint32_t(n));
      return true;
    case DataWire::freq: {
      uint64_t e, c, pr;
      if (!get_varint(p, end, e) || !get_varint(p, end, c) || !get_varint(p, end, pr)) return false;
      v.elapsed = uint32_t(e);
      v.curr = uint32_t(c);
      v.prev = uint32_t(pr);
      return true;
    }
    case DataWire::dict: {
      if (!get_varint(p, end, n)) return false;
      if (n == 0) return true;   // no server
      if (n > uint64_t(end - p)) return false;
      const uint8_t* stop = p + n;
      uint64_t id;
      if (!get_varint(p, stop, id) || id == 0 || id > 128) return false;
      if (dict.size() < id) dict.resize(size_t(id));
      if (p != stop) {
        uint64_t len;
        if (!get_varint(p, stop, len) || len > uint64_t(stop - p)) return false;
        dict[size_t(id - 1)].assign(reinterpret_cast<const char*>(p), size_t(len));
        p += len;
      }
      v.dict = dict[size_t(id - 1)];
      v.has_dict = true;
      p = stop;
      return true;
    }
  }
  return false;
}

}  // namespace

void encode_update(std::string& out, const TableDef& def, const Update& u) {
  std::string body;
  if (u.has_id) put_u32(body, u.id);
  if (u.timed) put_u32(body, u.expire);
  switch (def.key_type) {
    case kKeyStr:
      put_varint(body, u.key.size());
      body += u.key;
      break;
    case kKeySint: {
      uint32_t v = 0;
      std::memcpy(&v, u.key.data(), std::min<size_t>(4, u.key.size()));
      put_u32(body, v);
      break;
    }
    default: {
      std::string k = u.key;
      k.resize(size_t(def.key_size), '\0');
      body += k;
      break;
    }
  }
  for (int t = 0; t < stick::kDataTypes; ++t) {
    if (!(def.data_mask & (1ull << t))) continue;
    const DataWire w = data_wire(t);
    if (stick::is_array(stick::Data(t))) {
      // Every element in turn, each as a value of the array's type.
      for (uint64_t i = 0; i < def.nbelem[t]; ++i)
        encode_value(body, w, i < u.elems[t].size() ? u.elems[t][size_t(i)] : Value{});
      continue;
    }
    encode_value(body, w, u.values[t]);
  }
  const uint8_t type = u.timed ? (u.has_id ? kUpdateTimed : kIncUpdateTimed) : (u.has_id ? kUpdate : kIncUpdate);
  frame(out, type, body);
}

bool decode_update(uint8_t type, std::string_view b, const TableDef& def, std::vector<std::string>& dict,
                   Update& u) {
  const uint8_t* p = bytes(b);
  const uint8_t* end = p + b.size();
  u.has_id = type == kUpdate || type == kUpdateTimed;
  u.timed = type == kUpdateTimed || type == kIncUpdateTimed;
  if (u.has_id && !get_u32(p, end, u.id)) return false;
  if (u.timed && !get_u32(p, end, u.expire)) return false;
  switch (def.key_type) {
    case kKeyStr: {
      uint64_t len;
      if (!get_varint(p, end, len) || len > uint64_t(end - p)) return false;
      // HAProxy keeps at most key_size - 1 characters of a string key.
      const size_t keep = def.key_size ? std::min<size_t>(size_t(len), size_t(def.key_size - 1)) : 0;
      u.key.assign(reinterpret_cast<const char*>(p), keep);
      p += len;
      break;
    }
    case kKeySint: {
      uint32_t v;
      if (!get_u32(p, end, v)) return false;
      u.key.assign(reinterpret_cast<const char*>(&v), 4);
      break;
    }
    default:
      if (def.key_size > stick::kMaxKeyLen || def.key_size > uint64_t(end - p)) return false;
      u.key.assign(reinterpret_cast<const char*>(p), size_t(def.key_size));
      p += def.key_size;
      break;
  }
  for (int t = 0; t < stick::kDataTypes; ++t) {
    if (!(def.data_mask & (1ull << t))) continue;
    const DataWire w = data_wire(t);
    if (stick::is_array(stick::Data(t))) {
      // The definition bounds nbelem (1..100), so this cannot grow without limit.
      u.elems[t].resize(size_t(def.nbelem[t]));
      for (auto& e : u.elems[t])
        if (!decode_value(p, end, w, dict, e)) return false;
      continue;
    }
    if (!decode_value(p, end, w, dict, u.values[t])) return false;
  }
  return true;
}

void encode_ack(std::string& out, uint64_t table_id, uint32_t update) {
  std::string body;
  put_varint(body, table_id);
  put_u32(body, update);
  frame(out, kAck, body);
}

bool decode_ack(std::string_view b, uint64_t& table_id, uint32_t& update) {
  const uint8_t* p = bytes(b);
  const uint8_t* end = p + b.size();
  return get_varint(p, end, table_id) && get_u32(p, end, update);
}

void encode_switch(std::string& out, uint64_t table_id) {
  std::string body;
  put_varint(body, table_id);
  frame(out, kSwitch, body);
}

bool decode_switch(std::string_view b, uint64_t& table_id) {
  const uint8_t* p = bytes(b);
  return get_varint(p, p + b.size(), table_id);
}

void encode_control(std::string& out, uint8_t cls, uint8_t type) {
  out.push_back(char(cls));
  out.push_back(char(type));
}

std::string hello(std::string_view remote, std::string_view local, int pid) {
  std::string s(kProtoName);
  s += ' ';
  s += std::to_string(kMajor) + "." + std::to_string(kMinor) + "\n";
  s += remote;
  s += '\n';
  s += local;
  s += ' ' + std::to_string(pid) + " 1\n";
  return s;
}

bool parse_version(std::string_view s, unsigned& major, unsigned& minor) {
  const size_t dot = s.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 >= s.size()) return false;
  auto num = [](std::string_view t, unsigned& out) {
    if (t.empty() || t.size() > 6) return false;
    out = 0;
    for (char c : t) {
      if (c < '0' || c > '9') return false;
      out = out * 10 + unsigned(c - '0');
    }
    return true;
  };
  return num(s.substr(0, dot), major) && num(s.substr(dot + 1), minor);
}

}  // namespace portero::peers
