// `stick-table` in frontend, backend and listen sections: one table per proxy, named after it,
// checked with HAProxy 2.6's messages.
#include <cstdlib>

#include "parse_context.h"
#include "portero/config/units.h"

namespace portero::config {
namespace {

using stick::Data;
using stick::KeyType;

// `store a,b(10s),gpc(3),gpc_rate(2,10s),...`: false after an alert. `kw` is the line's
// keyword (`stick-table`, or `table` in a peers section), which HAProxy's messages start with.
bool parse_store(ParseContext& c, const std::string& kw, const std::string& list, stick::TableSpec& t) {
  size_t pos = 0;
  while (pos < list.size()) {
    // One item: a name, then an argument list in parentheses (commas inside it are the
    // arguments' separators), up to the next comma.
    size_t end = pos;
    std::string name, arg, arg2;
    bool has_arg = false, has_arg2 = false;
    while (end < list.size() && list[end] != ',' && list[end] != '(') ++end;
    name = list.substr(pos, end - pos);
    if (end < list.size() && list[end] == '(') {
      const size_t close = list.find(')', end);
      if (close == std::string::npos) {
        c.alert(kw + ": missing closing parenthesis after store option '" + name + "'.");
        return false;
      }
      std::string inside = list.substr(end + 1, close - end - 1);
      has_arg = true;
      if (size_t comma = inside.find(','); comma != std::string::npos) {
        arg2 = inside.substr(comma + 1);
        has_arg2 = true;
        inside.resize(comma);
      }
      arg = inside;
      end = close + 1;
      while (end < list.size() && list[end] != ',') ++end;   // HAProxy ignores what follows ')'
    }
    pos = end + 1;
    const int idx = stick::data_index(name);
    if (idx < 0) {
      c.alert(kw + ": unknown store option '" + name + "'.");
      return false;
    }
    const Data d = Data(idx);
    if (t.stored[idx]) {
      c.warning(Form::tight, kw + ": store option '" + name + "' already enabled, ignored.");
      continue;
    }
    uint32_t n = 1;
    if (d == Data::server_key) {
      c.alert(kw + ": store option '" + name + "' is not supported by portero yet.");
      return false;
    }
    if (stick::is_array(d)) {
      // arrays: the element count first, then (gpc_rate) the period.
      if (!has_arg) {
        c.alert(kw + ": missing argument to store option '" + name + "'.");
        return false;
      }
      n = uint32_t(std::atoi(arg.c_str()));
      if (n == 0 || n > stick::kMaxArrayElems) {
        c.alert(kw + ": array size is out of allowed range (1-" + std::to_string(stick::kMaxArrayElems) +
                ") for store option '" + name + "'.");
        return false;
      }
      has_arg = has_arg2;
      arg = arg2;
    }
    if (stick::is_rate(d) && !has_arg) {
      c.alert(kw + ": missing argument to store option '" + name + "'.");
      return false;
    }
    if (!stick::is_rate(d) && has_arg) {
      c.alert(kw + ": unexpected argument to store option '" + name + "'.");
      return false;
    }
    if (stick::is_rate(d)) {
      auto ms = parse_time_ms(arg);
      if (!ms || *ms > 0x7fffffff) {
        c.alert(kw + ": error when processing store option '" + name + "'.");
        return false;
      }
      t.period[idx] = uint32_t(*ms);
    }
    t.stored[idx] = true;
    t.nbelem[idx] = n;
    // An array replaces the numbered counters of the same kind (gpc0 reads gpc[0] when only
    // the array is stored): a table may not have both.
    auto both = [&](Data a, Data b) { return t.stores(a) && t.stores(b); };
    if (both(Data::gpt, Data::gpt0)) {
      c.alert(kw + ": simultaneous usage of 'gpt' and 'gpt0' in a same table is not permitted as 'gpt' overrides "
                   "'gpt0'.");
      return false;
    }
    if (both(Data::gpc, Data::gpc0) || both(Data::gpc, Data::gpc1)) {
      c.alert(kw + ": simultaneous usage of 'gpc' and 'gpc[0/1]' in a same table is not permitted as 'gpc' "
                   "overrides 'gpc[0/1]'.");
      return false;
    }
    if (both(Data::gpc_rate, Data::gpc0_rate) || both(Data::gpc_rate, Data::gpc1_rate)) {
      c.alert(kw + ": simultaneous usage of 'gpc_rate' and 'gpc[0/1]_rate' in a same table is not permitted as "
                   "'gpc_rate' overrides 'gpc[0/1]_rate'.");
      return false;
    }
  }
  return true;
}

}  // namespace

// The words of a `stick-table` line (or of a peers section's `table <name>` line) from `from`
// on, into `t`. False after an alert.
bool parse_table_words(ParseContext& c, const Args& a, size_t from, stick::TableSpec& t) {
  const std::string& kw = a[0];
  bool have_type = false, have_size = false;
  for (size_t i = from; i < a.size(); ++i) {
    const std::string& w = a[i];
    const std::string next = i + 1 < a.size() ? a[i + 1] : "";
    auto fail = [&](const std::string& m) {
      c.alert(kw + ": " + m);
      return false;
    };
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
          if (len <= 0) return fail("unknown type '" + n + "'.");
          if (size_t(len) > stick::kMaxKeyLen)
            return fail("key length " + n + " is beyond portero's limit of " + std::to_string(stick::kMaxKeyLen) + ".");
          t.key_len = uint32_t(len);
          i += 2;
        }
      } else {
        return fail("unknown type '" + next + "'.");
      }
      have_type = true;
    } else if (w == "size") {
      ++i;
      auto n = parse_size(next);
      if (!n) return fail("unexpected character '" + next.substr(0, 1) + "' in argument of 'size'.");
      t.size = *n;
      have_size = true;
    } else if (w == "expire") {
      ++i;
      auto ms = parse_time_ms(next);
      if (!ms) {
        size_t bad = next.find_first_not_of("0123456789");
        return fail("unexpected character '" + next.substr(bad == std::string::npos ? 0 : bad, 1) +
                    "' in argument of 'expire'.");
      }
      if (*ms > 0x7fffffff) return fail("timer overflow in argument of 'expire'.");
      t.expire_ms = uint32_t(*ms);
    } else if (w == "nopurge") {
      t.nopurge = true;
    } else if (w == "peers") {
      ++i;
      if (next.empty()) return fail("missing argument after 'peers'.");
      t.peers = next;
    } else if (w == "srvkey") {
      ++i;
      if (next != "name" && next != "addr") return fail("unknown srvkey '" + next + "'.");
      t.srvkey_addr = next == "addr";
    } else if (w == "store") {
      ++i;
      if (!parse_store(c, kw, next, t)) return false;
    } else {
      return fail("unknown argument '" + w + "'.");
    }
  }
  if (!have_type) return c.alert(kw + ": missing type."), false;
  if (!have_size) return c.alert(kw + ": missing size."), false;
  t.declared = ++c.config.tables_declared;
  return true;
}

namespace {

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
  if (!parse_table_words(c, a, 1, t)) return;
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
  else if (what == "store-response") r.kind = Proxy::StickRule::Kind::store_response;
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
