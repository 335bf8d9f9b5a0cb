// The peers wire format: HAProxy's varint boundaries, framing, and the messages round-trip.
#include <doctest/doctest.h>

#include <arpa/inet.h>

#include "portero/peers/codec.h"

using namespace portero::peers;

namespace {

size_t varint_len(uint64_t v) {
  std::string s;
  put_varint(s, v);
  const uint8_t* p = reinterpret_cast<const uint8_t*>(s.data());
  uint64_t back = 0;
  REQUIRE(get_varint(p, p + s.size(), back));
  CHECK(back == v);
  CHECK(p == reinterpret_cast<const uint8_t*>(s.data()) + s.size());
  return s.size();
}

}  // namespace

TEST_CASE("varints take HAProxy's lengths") {
  CHECK(varint_len(0) == 1);
  CHECK(varint_len(239) == 1);
  CHECK(varint_len(240) == 2);
  CHECK(varint_len(2287) == 2);
  CHECK(varint_len(2288) == 3);
  CHECK(varint_len(264431) == 3);
  CHECK(varint_len(264432) == 4);
  CHECK(varint_len(33818863) == 4);
  CHECK(varint_len(33818864) == 5);
  CHECK(varint_len(~0ull) == 10);
  std::string s;
  put_varint(s, 240);
  CHECK(uint8_t(s[0]) == 0xf0);
  CHECK(uint8_t(s[1]) == 0x00);
  // Truncated: not a value.
  const uint8_t cut[] = {0xf5, 0x80};
  const uint8_t* p = cut;
  uint64_t v;
  CHECK_FALSE(get_varint(p, cut + 2, v));
  CHECK(p == cut);
}

TEST_CASE("framing: control messages are two bytes, table messages carry a length") {
  std::string s;
  encode_control(s, kControl, kHeartbeat);
  encode_ack(s, 3, 77);
  Message m;
  size_t used = 0;
  const auto* d = reinterpret_cast<const uint8_t*>(s.data());
  REQUIRE(next_message(d, s.size(), m, used) == Frame::ok);
  CHECK(used == 2);
  CHECK(m.cls == kControl);
  CHECK(m.type == kHeartbeat);
  REQUIRE(next_message(d + 2, s.size() - 2, m, used) == Frame::ok);
  CHECK(m.cls == kStickTable);
  CHECK(m.type == kAck);
  uint64_t id;
  uint32_t upd;
  REQUIRE(decode_ack(m.body, id, upd));
  CHECK(id == 3);
  CHECK(upd == 77);
  CHECK(next_message(d + 2, s.size() - 3, m, used) == Frame::need_more);
  std::string big = {char(kStickTable), char(kUpdate)};
  put_varint(big, kMaxBody + 1);
  CHECK(next_message(reinterpret_cast<const uint8_t*>(big.data()), big.size(), m, used) == Frame::too_big);
}

TEST_CASE("a definition and an update round-trip") {
  TableDef def;
  def.id = 1;
  def.name = "fe";
  def.key_type = kKeyIpv4;
  def.key_size = 4;
  def.data_mask = (1ull << int(portero::stick::Data::gpc0)) | (1ull << int(portero::stick::Data::http_req_cnt)) |
                  (1ull << int(portero::stick::Data::http_req_rate));
  def.period[int(portero::stick::Data::http_req_rate)] = 10000;
  def.has_expire = true;
  def.expire = 60000;
  std::string s;
  encode_define(s, def);
  Message m;
  size_t used = 0;
  REQUIRE(next_message(reinterpret_cast<const uint8_t*>(s.data()), s.size(), m, used) == Frame::ok);
  TableDef back;
  bool ignore = true;
  REQUIRE(decode_define(m.body, back, ignore));
  CHECK_FALSE(ignore);
  CHECK(back.name == "fe");
  CHECK(back.data_mask == def.data_mask);
  CHECK(back.expire == 60000);
  CHECK(back.period[int(portero::stick::Data::http_req_rate)] == 10000);

  Update u;
  u.has_id = true;
  u.id = 5;
  u.key = std::string("\x7f\x00\x00\x01", 4);
  u.values[int(portero::stick::Data::gpc0)].v = 3;
  u.values[int(portero::stick::Data::http_req_cnt)].v = 4;
  auto& r = u.values[int(portero::stick::Data::http_req_rate)];
  r.elapsed = 1234;
  r.curr = 4;
  r.prev = 9;
  s.clear();
  encode_update(s, def, u);
  REQUIRE(next_message(reinterpret_cast<const uint8_t*>(s.data()), s.size(), m, used) == Frame::ok);
  CHECK(m.type == kUpdate);
  Update got;
  std::vector<std::string> dict;
  REQUIRE(decode_update(m.type, m.body, def, dict, got));
  CHECK(got.id == 5);
  CHECK(got.key == u.key);
  CHECK(got.values[int(portero::stick::Data::gpc0)].v == 3);
  CHECK(got.values[int(portero::stick::Data::http_req_cnt)].v == 4);
  CHECK(got.values[int(portero::stick::Data::http_req_rate)].elapsed == 1234);
  CHECK(got.values[int(portero::stick::Data::http_req_rate)].prev == 9);
  // One byte short: malformed.
  CHECK_FALSE(decode_update(m.type, m.body.substr(0, m.body.size() - 1), def, dict, got));
}

TEST_CASE("hello lines and versions") {
  CHECK(hello("b", "a", 42) == "HAProxyS 2.1\nb\na 42 1\n");
  unsigned ma, mi;
  CHECK(parse_version("2.1", ma, mi));
  CHECK(ma == 2);
  CHECK(mi == 1);
  CHECK_FALSE(parse_version("2", ma, mi));
  CHECK_FALSE(parse_version("x.1", ma, mi));
}

TEST_CASE("arrays: their sizes in the definition, their elements in turn in an update") {
  using portero::stick::Data;
  TableDef def;
  def.id = 2;
  def.name = "t";
  def.key_type = kKeyIpv4;
  def.key_size = 4;
  def.data_mask = (1ull << int(Data::gpt)) | (1ull << int(Data::gpc)) | (1ull << int(Data::gpc_rate));
  def.nbelem[int(Data::gpt)] = 2;
  def.nbelem[int(Data::gpc)] = 3;
  def.nbelem[int(Data::gpc_rate)] = 2;
  def.period[int(Data::gpc_rate)] = 10000;
  def.has_expire = true;
  def.expire = 1000;
  std::string s;
  encode_define(s, def);
  Message m;
  size_t used = 0;
  REQUIRE(next_message(reinterpret_cast<const uint8_t*>(s.data()), s.size(), m, used) == Frame::ok);
  TableDef back;
  bool ignore = true;
  REQUIRE(decode_define(m.body, back, ignore));
  CHECK_FALSE(ignore);
  CHECK(back.nbelem[int(Data::gpt)] == 2);
  CHECK(back.nbelem[int(Data::gpc)] == 3);
  CHECK(back.nbelem[int(Data::gpc_rate)] == 2);
  CHECK(back.period[int(Data::gpc_rate)] == 10000);

  Update u;
  u.key = std::string("\x0a\x00\x00\x01", 4);
  u.elems[int(Data::gpt)] = {Value{7}, Value{8}};
  u.elems[int(Data::gpc)] = {Value{1}, Value{2}};   // the third goes out as 0
  u.elems[int(Data::gpc_rate)].resize(2);
  u.elems[int(Data::gpc_rate)][1].curr = 5;
  u.elems[int(Data::gpc_rate)][1].elapsed = 20;
  s.clear();
  encode_update(s, back, u);
  REQUIRE(next_message(reinterpret_cast<const uint8_t*>(s.data()), s.size(), m, used) == Frame::ok);
  CHECK(m.type == kIncUpdate);
  // key (4) + gpt 7, 8 + gpc 1, 2, 0 + two freq counters of three varints each.
  CHECK(m.body.size() == 4 + 2 + 3 + 6);
  Update got;
  std::vector<std::string> dict;
  REQUIRE(decode_update(m.type, m.body, back, dict, got));
  REQUIRE(got.elems[int(Data::gpc)].size() == 3);
  CHECK(got.elems[int(Data::gpt)][1].v == 8);
  CHECK(got.elems[int(Data::gpc)][1].v == 2);
  CHECK(got.elems[int(Data::gpc)][2].v == 0);
  CHECK(got.elems[int(Data::gpc_rate)][1].curr == 5);
  CHECK(got.elems[int(Data::gpc_rate)][1].elapsed == 20);
  CHECK_FALSE(decode_update(m.type, m.body.substr(0, m.body.size() - 1), back, dict, got));
}
