// Stick table fetches and converters: sc_<x>(n[,table]), sc0_/sc1_/sc2_<x>([table]),
// src_<x>([table]), table_cnt/table_avl, in_table(t) and table_<x>(t). An entry's data is read
// or changed under its shard's lock; nothing is allocated.
#include <netinet/in.h>

#include <cstring>
#include <string>
#include <vector>

#include "sample.h"
#include "portero/stick/table.h"

namespace portero::acl {
namespace {

using stick::Data;

enum class Mode : uint8_t { sc_n, sc0, sc1, sc2, src };
enum class Op : uint8_t { read, kbytes, inc, clr, trackers, tracked, updt_conn_cnt };

struct StickOp {
  const char* name;
  Op op;
  Data d;                // the counter read / changed
  Data rate = Data::gpc0_rate;   // inc: the rate that counts the increments too
  bool indexed = false;  // an array element: its index is the first argument (sc_get_gpc(<idx>,<sc>))
};

const StickOp kOps[] = {
    {"http_req_rate", Op::read, Data::http_req_rate}, {"http_req_cnt", Op::read, Data::http_req_cnt},
    {"http_err_rate", Op::read, Data::http_err_rate}, {"http_err_cnt", Op::read, Data::http_err_cnt},
    {"http_fail_rate", Op::read, Data::http_fail_rate}, {"http_fail_cnt", Op::read, Data::http_fail_cnt},
    {"conn_cur", Op::read, Data::conn_cur}, {"conn_cnt", Op::read, Data::conn_cnt},
    {"conn_rate", Op::read, Data::conn_rate}, {"sess_cnt", Op::read, Data::sess_cnt},
    {"sess_rate", Op::read, Data::sess_rate}, {"bytes_in_rate", Op::read, Data::bytes_in_rate},
    {"bytes_out_rate", Op::read, Data::bytes_out_rate}, {"kbytes_in", Op::kbytes, Data::bytes_in_cnt},
    {"kbytes_out", Op::kbytes, Data::bytes_out_cnt}, {"get_gpc0", Op::read, Data::gpc0},
    {"get_gpc1", Op::read, Data::gpc1}, {"gpc0_rate", Op::read, Data::gpc0_rate},
    {"gpc1_rate", Op::read, Data::gpc1_rate}, {"get_gpt0", Op::read, Data::gpt0},
    {"inc_gpc0", Op::inc, Data::gpc0, Data::gpc0_rate}, {"inc_gpc1", Op::inc, Data::gpc1, Data::gpc1_rate},
    {"clr_gpc0", Op::clr, Data::gpc0}, {"clr_gpc1", Op::clr, Data::gpc1},
    {"trackers", Op::trackers, Data::conn_cur}, {"tracked", Op::tracked, Data::conn_cur},
    {"updt_conn_cnt", Op::updt_conn_cnt, Data::conn_cnt},
    // The arrays (2.6: only the sc_ and src_ forms, and sc1_clr_gpc).
    {"get_gpc", Op::read, Data::gpc, Data::gpc_rate, true}, {"gpc_rate", Op::read, Data::gpc_rate, Data::gpc_rate, true},
    {"inc_gpc", Op::inc, Data::gpc, Data::gpc_rate, true}, {"clr_gpc", Op::clr, Data::gpc, Data::gpc_rate, true},
    {"get_gpt", Op::read, Data::gpt, Data::gpc_rate, true},
};

struct StickFetchDef : FetchDef {
  std::string storage;   // the name's bytes
  Mode mode;
  const StickOp* op;
};

stick::Table* table_arg(const FetchCall& call, size_t i) {
  stick::Tables* all = stick::active_tables();
  if (!all) return nullptr;
  if (i < call.args.size() && call.args[i].type == ArgType::table) return all->at(call.args[i].proxy_index);
  return nullptr;
}

// The value of `op` on entry data `v` (changing it for inc/clr/updt); `idx`: the element of an
// array (gpc0/gpc1/gpt0 and their rates fall back on the arrays' first elements, see View).
bool apply(const StickOp& op, stick::View& v, uint32_t now, unsigned idx, int64_t& out) {
  switch (op.op) {
    case Op::read:
      if (!v.has(op.d, idx)) return false;
      out = int64_t(v.get(op.d, now, idx));
      return true;
    case Op::kbytes:
      if (!v.has(op.d)) return false;
      out = int64_t(v.get(op.d, now) >> 10);
      return true;
    case Op::inc:
      if (!v.has(op.d, idx) && !v.has(op.rate, idx)) return false;
      v.add(op.rate, 1, now, idx);
      v.add(op.d, 1, now, idx);
      // Without the counter, the rate is the answer (HAProxy's curr_ctr).
      out = int64_t(v.has(op.d, idx) ? v.get(op.d, now, idx) : v.freq(op.rate, idx).curr_ctr);
      return true;
    case Op::clr:
      if (!v.has(op.d, idx)) return false;
      out = int64_t(v.get(op.d, now, idx));
      v.set(op.d, 0, idx);
      return true;
    case Op::updt_conn_cnt:
      if (!v.has(Data::conn_cnt)) return false;
      v.add(Data::conn_cnt, 1, now);
      out = int64_t(v.get(Data::conn_cnt, now));
      return true;
    case Op::trackers:
    case Op::tracked:
      return false;   // handled by the caller
  }
  return false;
}

bool creates(Op op) { return op == Op::inc || op == Op::clr || op == Op::updt_conn_cnt; }

// Runs `op` on the live entry of `k` in `t`. An absent entry reads as 0 (and is created by the
// operations that change it), as HAProxy's temporary counters do.
bool on_key(const StickOp& op, stick::Table& t, const stick::Key& k, uint32_t now, unsigned idx, Sample& o) {
  int64_t v = 0;
  bool ok = true;
  auto f = [&](stick::View& view) {
    if (op.op == Op::trackers) v = int64_t(view.refs());
    else ok = apply(op, view, now, idx, v);
  };
  if (op.op != Op::trackers && !t.spec().provides(op.op == Op::updt_conn_cnt ? Data::conn_cnt : op.d, idx) &&
      !(op.op == Op::inc && t.spec().provides(op.rate, idx)))
    return false;
  if (creates(op.op)) {
    if (!t.upsert(k, now, f)) return false;
  } else {
    t.lookup(k, now, f);
  }
  if (!ok) return false;
  o.type = SmpType::sint;
  o.i = v;
  return true;
}

bool f_stick(const FetchCall& call, const SampleContext& c, bool, FetchState&, Sample& o) {
  const auto& def = static_cast<const StickFetchDef&>(*call.def);
  const StickOp& op = *def.op;
  const uint32_t now = stick::now_ms();
  // An array op takes the element's index first (sc_get_gpc(<idx>,<sc>[,<t>]), src_get_gpc(<idx>,<t>)).
  const size_t first = op.indexed ? 1 : 0;
  const unsigned idx = op.indexed && !call.args.empty() ? unsigned(call.args[0].i) : 0;
  if (def.mode == Mode::src) {
    stick::Table* t = table_arg(call, first);
    if (!t) {
      stick::Tables* all = stick::active_tables();
      t = all ? all->at(call.proxy_index) : nullptr;
    }
    if (!t || !c.src) return false;
    stick::Key k;
    const bool v6 = c.src->sa_family == AF_INET6;
    const uint8_t* addr = v6 ? reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in6*>(c.src)->sin6_addr)
                             : reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(c.src)->sin_addr);
    if (c.src->sa_family != AF_INET && !v6) return false;
    if (!t->key_from_addr(addr, v6, k)) return false;
    return on_key(op, *t, k, now, idx, o);
  }
  int n = 0;
  size_t table_at = first;
  if (def.mode == Mode::sc_n) {
    n = int(call.args.size() > first ? call.args[first].i : 0);
    table_at = first + 1;
  } else {
    n = int(def.mode) - int(Mode::sc0);
  }
  if (n < 0 || n > 2) return false;
  const stick::Tracked* sc = nullptr;
  if (c.sc_stream && c.sc_stream[n]) sc = &c.sc_stream[n];
  else if (c.sc_session && c.sc_session[n]) sc = &c.sc_session[n];
  if (op.op == Op::tracked) {
    o.type = SmpType::boolean;
    o.i = sc != nullptr;
    return true;
  }
  if (!sc) return false;
  stick::Table* other = table_arg(call, table_at);
  if (other && other != sc->table) {
    // Another table: the same key looked up there.
    stick::Key k;
    sc->table->key_copy(sc->entry, k);
    return on_key(op, *other, k, now, idx, o);
  }
  int64_t v = 0;
  bool ok = true;
  if (op.op == Op::trackers) {
    sc->table->update(sc->entry, now, [&](stick::View& view) { v = int64_t(view.refs()); }, false);
  } else {
    sc->table->update(sc->entry, now, [&](stick::View& view) { ok = apply(op, view, now, idx, v); }, false);
  }
  if (!ok) return false;
  o.type = SmpType::sint;
  o.i = v;
  return true;
}

bool f_table_cnt(const FetchCall& call, const SampleContext&, bool, FetchState&, Sample& o) {
  stick::Table* t = table_arg(call, 0);
  if (!t) {
    stick::Tables* all = stick::active_tables();
    t = all ? all->at(call.proxy_index) : nullptr;
  }
  if (!t) return false;
  o.type = SmpType::sint;
  o.i = int64_t(t->used());
  return true;
}

bool f_table_avl(const FetchCall& call, const SampleContext& c, bool it, FetchState& st, Sample& o) {
  stick::Table* t = table_arg(call, 0);
  if (!t) {
    stick::Tables* all = stick::active_tables();
    t = all ? all->at(call.proxy_index) : nullptr;
  }
  if (!t) return false;
  (void)c, (void)it, (void)st;
  o.type = SmpType::sint;
  o.i = int64_t(t->spec().size - std::min<uint64_t>(t->spec().size, t->used()));
  return true;
}

std::vector<StickFetchDef>& stick_fetches() {
  static std::vector<StickFetchDef> defs = [] {
    std::vector<StickFetchDef> v;
    v.reserve(sizeof(kOps) / sizeof(kOps[0]) * 5);
    const struct { const char* prefix; Mode mode; } kModes[] = {
        {"sc_", Mode::sc_n}, {"sc0_", Mode::sc0}, {"sc1_", Mode::sc1}, {"sc2_", Mode::sc2}, {"src_", Mode::src}};
    for (const auto& m : kModes) {
      for (const auto& op : kOps) {
        if (m.mode == Mode::src && (op.op == Op::trackers || op.op == Op::tracked)) continue;
        if (m.mode != Mode::src && op.op == Op::updt_conn_cnt) continue;
        const bool sc1_clr = m.mode == Mode::sc1 && op.op == Op::clr;
        if (op.indexed && m.mode != Mode::sc_n && m.mode != Mode::src && !sc1_clr) continue;
        StickFetchDef d{};
        d.storage = std::string(m.prefix) + op.name;
        d.fn = f_stick;
        d.out = op.op == Op::tracked ? SmpType::boolean : SmpType::sint;
        if (op.indexed) {
          // <idx>, then <sc> for sc_, then the table (mandatory for src_, as in 2.6).
          d.args[0] = ArgType::sint;
          d.args[1] = m.mode == Mode::sc_n ? ArgType::sint : ArgType::table;
          d.args[2] = m.mode == Mode::sc_n ? ArgType::table : ArgType::none;
          d.min_args = sc1_clr ? 1 : 2;
        } else if (m.mode == Mode::sc_n) {
          d.args[0] = ArgType::sint;
          d.args[1] = ArgType::table;
          d.min_args = 1;
        } else {
          d.args[0] = ArgType::table;
          d.min_args = 0;
        }
        d.http = false;
        d.mode = m.mode;
        d.op = &op;
        v.push_back(std::move(d));
      }
    }
    for (auto& d : v) d.name = d.storage.c_str();
    return v;
  }();
  return defs;
}

const FetchDef kTableFetches[] = {
    {"table_cnt", f_table_cnt, SmpType::sint, {ArgType::table}, 0, false},
    {"table_avl", f_table_avl, SmpType::sint, {ArgType::table}, 0, false},
};

// --- converters -------------------------------------------------------------------------

struct StickConvDef : ConvDef {
  std::string storage;
  const StickOp* op;   // null: in_table
};

bool conv_key(const ConvCall& call, const Sample& smp, size_t table_at, stick::Table*& t, stick::Key& k) {
  stick::Tables* all = stick::active_tables();
  t = all && call.args.size() > table_at ? all->at(call.args[table_at].proxy_index) : nullptr;
  if (!t) return false;
  return sample_to_key(smp, *t, k);
}

bool c_stick(const ConvCall& call, Sample& smp, Scratch&) {
  const auto& def = static_cast<const StickConvDef&>(*call.def);
  stick::Table* t;
  stick::Key k;
  const bool indexed = def.op && def.op->indexed;   // table_gpc(<idx>,<t>)
  if (!conv_key(call, smp, indexed ? 1 : 0, t, k)) return false;
  const unsigned idx = indexed ? unsigned(call.args[0].i) : 0;
  const uint32_t now = stick::now_ms();
  if (!def.op) {
    const bool found = t->lookup(k, now, [](stick::View&) {});
    smp = Sample{};
    smp.type = SmpType::boolean;
    smp.i = found;
    return true;
  }
  Sample o;
  if (!on_key(*def.op, *t, k, now, idx, o)) return false;
  smp = o;
  return true;
}

std::vector<StickConvDef>& stick_convs() {
  static std::vector<StickConvDef> defs = [] {
    std::vector<StickConvDef> v;
    v.reserve(sizeof(kOps) / sizeof(kOps[0]) + 1);
    auto add = [&](std::string name, const StickOp* op) {
      StickConvDef d{};
      d.storage = std::move(name);
      d.fn = c_stick;
      d.args[0] = ArgType::table;
      d.min_args = 1;
      if (op && op->indexed) d.args[0] = ArgType::sint, d.args[1] = ArgType::table, d.min_args = 2;
      d.op = op;
      v.push_back(std::move(d));
    };
    add("in_table", nullptr);
    for (const auto& op : kOps) {
      if (op.op != Op::read && op.op != Op::kbytes && op.op != Op::trackers) continue;
      std::string n = op.name;
      if (n.starts_with("get_")) n = n.substr(4);   // table_gpc0, table_gpt0
      add("table_" + n, &op);
    }
    for (auto& d : v) d.name = d.storage.c_str();
    return v;
  }();
  return defs;
}

}  // namespace

bool sample_to_key(const Sample& smp, const stick::Table& t, stick::Key& k) {
  switch (smp.type) {
    case SmpType::ipv4: return t.key_from_addr(smp.ip, false, k);
    case SmpType::ipv6: return t.key_from_addr(smp.ip, true, k);
    case SmpType::sint:
    case SmpType::boolean: return t.key_from_int(smp.i, k);
    case SmpType::str:
    case SmpType::bin: return t.key_from_str(smp.s, k);
  }
  return false;
}

const FetchDef* find_stick_fetch(std::string_view name) {
  if (!name.starts_with("sc") && !name.starts_with("src_") && !name.starts_with("table_")) return nullptr;
  for (const auto& d : kTableFetches)
    if (name == d.name) return &d;
  for (const auto& d : stick_fetches())
    if (name == d.storage) return &d;
  return nullptr;
}

const ConvDef* find_stick_conv(std::string_view name) {
  if (name != "in_table" && !name.starts_with("table_")) return nullptr;
  for (const auto& d : stick_convs())
    if (name == d.storage) return &d;
  return nullptr;
}

}  // namespace portero::acl
