// `show table`, `clear table`, `set table`: the stick tables, with haproxy 2.6's output (scripts
// parse it), messages and levels. A whole table may be shown or cleared at any level; a
// command naming a key needs the operator level.
#include <algorithm>
#include <charconv>
#include <cstring>

#include "handlers.h"
#include "portero/stick/table.h"

namespace portero::admin {
namespace {

using stick::Data;

stick::Tables* tables(Context& ctx) { return ctx.tables ? ctx.tables : stick::active_tables(); }

enum class CmpOp { eq, ne, le, ge, lt, gt };

struct Filter {
  Data d;
  CmpOp op;
  int64_t value;
};

bool parse_int(std::string_view s, int64_t& v) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

bool matches(const Filter& f, uint64_t v) {
  const int64_t x = int64_t(v);
  switch (f.op) {
    case CmpOp::eq: return x == f.value;
    case CmpOp::ne: return x != f.value;
    case CmpOp::le: return x <= f.value;
    case CmpOp::ge: return x >= f.value;
    case CmpOp::lt: return x < f.value;
    case CmpOp::gt: return x > f.value;
  }
  return false;
}

// What follows the table name: `key <k>` or up to four `data.<type> <op> <value>` filters.
// Empty on success, else the message.
std::string parse_filters(const Args& a, size_t from, const stick::Table& t, std::vector<Filter>& filters,
                          std::string& key, bool& has_key) {
  has_key = false;
  for (size_t i = from; i < a.size() && !a[i].empty();) {
    const std::string& w = a[i];
    if (w == "key") {
      if (i + 1 >= a.size() || a[i + 1].empty()) return "Key value expected\n";
      key = a[i + 1];
      has_key = true;
      return {};   // words after the key are ignored
    }
    if (!w.starts_with("data."))
      return "Optional argument only supports \"data.<store_data_type>\" <operator> <value> and key <key>\n";
    if (filters.size() == 4)
      return "Detected extra data in filter, " + std::to_string(i + 1) + "th word of input, after '" + a[i - 1] + "'\n";
    const std::string n = std::to_string(filters.size() + 1);
    const int idx = stick::data_index(std::string_view(w).substr(5));
    if (idx < 0) return "Filter entry #" + n + ": Unknown data type\n";
    if (!t.spec().stored[idx]) return "Filter entry #" + n + ": Data type not stored in this table\n";
    const std::string op = i + 1 < a.size() ? a[i + 1] : "";
    static const char* const kOps[] = {"eq", "ne", "le", "ge", "lt", "gt"};
    const auto* at = std::find(std::begin(kOps), std::end(kOps), op);
    if (at == std::end(kOps))
      return "Filter entry #" + n + ": Require and operator among \"eq\", \"ne\", \"le\", \"ge\", \"lt\", \"gt\"\n";
    int64_t v = 0;
    if (i + 2 >= a.size() || !parse_int(a[i + 2], v))
      return "Filter entry #" + n + ": Require a valid integer value to compare against\n";
    filters.push_back({Data(idx), CmpOp(at - std::begin(kOps)), v});
    i += 3;
  }
  return {};
}

bool pass(const std::vector<Filter>& filters, stick::View& v, uint32_t now) {
  for (const auto& f : filters)
    if (!matches(f, v.get(f.d, now))) return false;
  return true;
}

// One table's entries, in key order as haproxy walks its tree.
std::string dump(stick::Table& t, const std::vector<Filter>& filters, uint32_t now) {
  t.sweep(now);
  std::vector<std::pair<std::string, std::string>> lines;   // key bytes, line
  t.for_each(now, [&](const stick::Entry* e, stick::View& v, uint32_t use, int64_t exp) {
    if (!pass(filters, v, now)) return;
    stick::Key k;
    t.key_copy(e, k);
    lines.emplace_back(std::string(k.view()), stick::show_entry(t, e, v, use, exp, now));
  });
  std::sort(lines.begin(), lines.end());
  std::string out = stick::show_header(t);
  for (auto& [k, line] : lines) out += line;
  return out;
}

}  // namespace

std::string cmd_show_table(Context& ctx, Session& s, const Args& a) {
  stick::Tables* all = tables(ctx);
  const uint32_t now = stick::now_ms();
  if (arg(a, 2).empty()) {
    std::string out;
    if (all)
      for (stick::Table* t : all->listing()) t->sweep(now), out += stick::show_header(*t);
    return out;
  }
  stick::Table* t = all ? all->find(arg(a, 2)) : nullptr;
  if (!t) return "No such table\n";
  std::vector<Filter> filters;
  std::string key;
  bool has_key = false;
  if (std::string err = parse_filters(a, 3, *t, filters, key, has_key); !err.empty()) return err;
  if (!has_key) return dump(*t, filters, now);
  if (s.level < Level::operator_) return "Permission denied\n";
  stick::Key k;
  if (!t->key_from_str(key, k)) return "";
  std::string out;
  t->inspect(k, now, [&](const stick::Entry* e, stick::View& v, uint32_t use, int64_t exp) {
    out = stick::show_header(*t) + stick::show_entry(*t, e, v, use, exp, now);
  });
  return out;
}

std::string cmd_clear_table(Context& ctx, Session& s, const Args& a) {
  if (arg(a, 2).empty())
    return "Required arguments: <table> \"data.<store_data_type>\" <operator> <value> or <table> key <key>\n";
  stick::Tables* all = tables(ctx);
  stick::Table* t = all ? all->find(arg(a, 2)) : nullptr;
  if (!t) return "No such table\n";
  std::vector<Filter> filters;
  std::string key;
  bool has_key = false;
  if (std::string err = parse_filters(a, 3, *t, filters, key, has_key); !err.empty()) return err;
  const uint32_t now = stick::now_ms();
  if (!has_key) {
    t->remove_if(now, [&](stick::View& v) { return pass(filters, v, now); });
    return "";
  }
  if (s.level < Level::operator_) return "Permission denied\n";
  stick::Key k;
  if (t->key_from_str(key, k)) t->remove(k, now);
  return "";
}

std::string cmd_set_table(Context& ctx, Session& s, const Args& a) {
  stick::Tables* all = tables(ctx);
  if (arg(a, 2).empty()) return "";
  stick::Table* t = all ? all->find(arg(a, 2)) : nullptr;
  if (!t) return "No such table\n";
  if (arg(a, 3) != "key") return "";
  if (arg(a, 4).empty()) return "Key value expected\n";
  if (s.level < Level::operator_) return "Permission denied\n";
  stick::Key k;
  if (!t->key_from_str(arg(a, 4), k)) return "";
  // As haproxy: the entry is created first, then each data.<type> <value> applied in turn (an
  // error leaves the entry and the values before it).
  const uint32_t now = stick::now_ms();
  std::string err;
  t->upsert(k, now, [&](stick::View& v) {
    for (size_t i = 5; i < a.size() && !a[i].empty(); i += 2) {
      if (!a[i].starts_with("data.")) return void(err = "\"data.<type>\" followed by a value expected\n");
      const int idx = stick::data_index(std::string_view(a[i]).substr(5));
      if (idx < 0) return void(err = "Unknown data type\n");
      if (!t->spec().stored[idx]) return void(err = "Data type not stored in this table\n");
      int64_t value = 0;
      if (i + 1 >= a.size() || !parse_int(a[i + 1], value)) return void(err = "Require a valid integer value to store\n");
      const Data d = Data(idx);
      if (stick::is_rate(d)) v.set_rate(d, uint32_t(value), now);
      else if (d == Data::bytes_in_cnt || d == Data::bytes_out_cnt) v.set(d, uint64_t(value));
      else v.set(d, uint64_t(value) & 0xffffffffu);
    }
  });
  return err;
}

// `show peers [dict|-] [<section>]`: the peers service's own text (haproxy 2.6's form); the
// dictionaries are not dumped (portero sends each server name whole, it keeps no cache).
std::string cmd_show_peers(Context& ctx, Session&, const Args& a) {
  size_t at = 2;
  if (arg(a, at) == "dict" || arg(a, at) == "-") ++at;
  const std::string section(arg(a, at));
  if (!ctx.src || !ctx.src->show_peers) return section.empty() ? "" : "No such peers\n";
  bool found = false;
  std::string out = ctx.src->show_peers(section, found);
  if (!found) return "No such peers\n";
  return out;
}

}  // namespace portero::admin
