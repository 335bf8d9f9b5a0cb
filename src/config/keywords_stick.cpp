// `stick-table` in frontend, backend and listen sections: one table per proxy, named after it,
// checked with HAProxy 2.6's messages.
#include <cstdlib>

#include "parse_context.h"
#include "portero/config/units.h"

namespace portero::config {
namespace {

using stick::Data;
using stick::KeyType;

// `store a,b(10s),...`: false after an alert.
bool parse_store(ParseContext& c, const std::string& list, stick::TableSpec& t) {
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t end = pos;
    int depth = 0;
    while (end < list.size() && (depth || list[end] != ',')) {
      if (list[end] == '(') ++depth;
      else if (list[end] == ')') --depth;
      ++end;
    }
    std::string item = list.substr(pos, end - pos);
    pos = end + 1;
    std::string name = item, arg;
    bool has_arg = false;
    if (size_t p = item.find('('); p != std::string::npos) {
      name = item.substr(0, p);
      has_arg = true;
      arg = item.substr(p + 1, item.size() - p - 1 - (item.ends_with(")") ? 1 : 0));
    }
    const int idx = stick::data_index(name);
    if (idx < 0) {
      c.alert("stick-table: unknown store option '" + name + "'.");
      return false;
    }
    const Data d = Data(idx);
    if (stick::is_array(d) || d == Data::server_key) {
      c.alert("stick-table: store option '" + name + "' is not supported by portero yet.");
      return false;
    }
    if (stick::is_rate(d) && !has_arg) {
      c.alert("stick-table: missing argument to store option '" + name + "'.");
      return false;
    }
    if (!stick::is_rate(d) && has_arg) {
      c.alert("stick-table: unexpected argument to store option '" + name + "'.");
      return false;
    }
    if (t.stored[idx]) {
      c.warning(Form::tight, "stick-table: store option '" + name + "' already enabled, ignored.");
      continue;
    }
    if (stick::is_rate(d)) {
      auto ms = parse_time_ms(arg);
      if (!ms || *ms == 0 || *ms > 0x7fffffff) {
        c.alert("stick-table: invalid argument to store option '" + name + "'.");
        return false;
      }
      t.period[idx] = uint32_t(*ms);
    }
    t.stored[idx] = true;
  }
  return true;
}

void kw_stick_table(ParseContext& c, const Args& a) {
  if (c.section == SectionKind::defaults)
    return c.alert("'stick-table' is not supported in 'defaults' section.");
  Proxy& p = *c.proxy;
  if (p.stick_table) {
    return c.alert("stick-table name '" + p.name + "' conflicts with table declared in " +
                   std::string(c.proxy_type()) + " '" + p.name + "' at " + p.stick_table_origin.file + ":" +
                   std::to_string(p.stick_table_origin.line) + ".");
  }
  stick::TableSpec t;
  t.name = p.name;
  bool have_type = false, have_size = false;
  for (size_t i = 1; i < a.size(); ++i) {
    const std::string& w = a[i];
    const std::string next = i + 1 < a.size() ? a[i + 1] : "";
    if (w == "type") {
      ++i;
      if (next == "ip") t.type = KeyType::ip, t.key_len = 4;
      else if (next == "ipv6") t.type = KeyType::ipv6, t.key_len = 16;
      else if (next == "integer") t.type = KeyType::integer, t.key_len = 4;
      else if (next == "string" || next == "binary") {
        t.type = next == "string" ? KeyType::string : KeyType::binary;
        t.key_len = 32;
        if (i + 1 < a.size() && a[i + 1] == "len") {
          const std::string n = i + 2 < a.size() ? a[i + 2] : "";
          const long len = std::atol(n.c_str());
          if (len <= 0) return c.alert("stick-table: unknown type '" + n + "'.");
          if (size_t(len) > stick::kMaxKeyLen)
            return c.alert("stick-table: key length " + n + " is beyond portero's limit of " +
                           std::to_string(stick::kMaxKeyLen) + ".");
          t.key_len = uint32_t(len);
          i += 2;
        }
      } else {
        return c.alert("stick-table: unknown type '" + next + "'.");
      }
      have_type = true;
    } else if (w == "size") {
      ++i;
      auto n = parse_size(next);
      if (!n) return c.alert("stick-table: unexpected character '" + next.substr(0, 1) + "' in argument of 'size'.");
      t.size = *n;
      have_size = true;
    } else if (w == "expire") {
      ++i;
      auto ms = parse_time_ms(next);
      if (!ms) {
        size_t bad = next.find_first_not_of("0123456789");
        return c.alert("stick-table: unexpected character '" + next.substr(bad == std::string::npos ? 0 : bad, 1) +
                       "' in argument of 'expire'.");
      }
      if (*ms > 0x7fffffff) return c.alert("stick-table: timer overflow in argument of 'expire'.");
      t.expire_ms = uint32_t(*ms);
    } else if (w == "nopurge") {
      t.nopurge = true;
    } else if (w == "peers") {
      ++i;
      if (next.empty()) return c.alert("stick-table: missing argument after 'peers'.");
      t.peers = next;
    } else if (w == "srvkey") {
      ++i;
      if (next != "name" && next != "addr")
        return c.alert("stick-table: unknown srvkey '" + next + "'.");
      if (next == "addr")
        return c.alert("stick-table: 'srvkey addr' is not implemented by portero yet (servers would be "
                       "remembered by name).");
    } else if (w == "store") {
      ++i;
      if (!parse_store(c, next, t)) return;
    } else {
      return c.alert("stick-table: unknown argument '" + w + "'.");
    }
  }
  if (!have_type) return c.alert("stick-table: missing type.");
  if (!have_size) return c.alert("stick-table: missing size.");
  p.stick_table = std::move(t);
  p.stick_table_origin = c.origin;
}

// stick on|match|store-request <pattern> [table <t>] [if|unless <cond>]
void kw_stick(ParseContext& c, const Args& a) {
  if (c.section == SectionKind::defaults) return c.alert("'stick' not allowed in 'defaults' section.");
  const std::string what = a.size() > 1 ? a[1] : "";
  Proxy::StickRule r;
  r.origin = c.origin;
  if (what == "on") r.kind = Proxy::StickRule::Kind::on;
  else if (what == "match") r.kind = Proxy::StickRule::Kind::match;
  else if (what == "store-request") r.kind = Proxy::StickRule::Kind::store_request;
  else if (what == "store-response")
    return c.alert("'stick store-response' is not implemented by portero yet (the server would not be "
                   "remembered).");
  else
    return c.alert("'stick' expects 'on', 'match', 'store-request' or 'store-response', got '" + what + "'.");
  if (a.size() < 3 || a[2].empty() || a[2] == "if" || a[2] == "unless")
    return c.alert("'stick " + what + "' : missing fetch method.");
  r.pattern = a[2];
  size_t i = 3;
  if (i < a.size() && a[i] == "table") {
    if (i + 1 >= a.size() || a[i + 1].empty()) return c.alert("'stick " + what + "' : missing table name.");
    r.table = a[i + 1];
    i += 2;
  }
  if (i < a.size()) {
    if (a[i] != "if" && a[i] != "unless")
      return c.alert("'stick " + what + "' : unknown argument '" + a[i] + "'.");
    r.condition.assign(a.begin() + long(i), a.end());
  }
  if (!c.proxy->is_backend()) return;   // warned by the parser: ignored
  c.proxy->stick_rules.push_back(std::move(r));
}

const KeywordRow kRows[] = {
    {kInProxies, "stick-table", true, Cap::any, false, kw_stick_table},
    {kInProxies, "stick", true, Cap::backend, false, kw_stick},
};

}  // namespace

void register_stick_keywords(Registry& r) { r.add(kRows); }

}  // namespace portero::config
