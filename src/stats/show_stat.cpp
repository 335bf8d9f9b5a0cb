// `show stat` in its three forms: CSV (one header line, one line per object, each ending in a
// comma), typed (one `F.iid.sid.pos.name.1:TAGS:type:value` line per filled field) and JSON (an
// array per object of field objects). Only filled fields appear in typed and JSON.
#include "fields.h"
#include "portero/stats/render.h"
#include "text_util.h"

namespace portero::stats {
namespace {

using detail::StatField;

void csv_header(std::string& out) {
  out += "# ";
  for (int f = 0; f < kFieldCount; ++f) {
    out += detail::stat_field(f).name;
    out += ',';
  }
  out += "-,";
  for (int i = 0; i < detail::kExtraCount; ++i) {
    out += detail::extra_field(i).name;
    out += ',';
  }
  out += '\n';
}

void csv_row(std::string& out, const Row& r) {
  for (const Value& v : r.fields) {
    if (v.type == Value::Type::str) detail::append_csv(out, v.s);
    else out += v.text();
    out += ',';
  }
  out += "-,";
  for (const Value& v : r.extra) {
    out += v.text();
    out += ',';
  }
  out += '\n';
}

char obj_letter(ObjType t) {
  switch (t) {
    case ObjType::frontend: return 'F';
    case ObjType::backend: return 'B';
    case ObjType::server: return 'S';
    case ObjType::listener: return 'L';
  }
  return '?';
}

const char* obj_word(ObjType t) {
  switch (t) {
    case ObjType::frontend: return "Frontend";
    case ObjType::backend: return "Backend";
    case ObjType::server: return "Server";
    case ObjType::listener: return "Listener";
  }
  return "Unknown";
}

// Calls fn(position, field facts, value) for every filled field of a row, in order; the
// per-module columns follow the positional ones without a gap (the "-" takes no position).
template <class Fn>
void each_filled(const Row& r, Fn&& fn) {
  for (int f = 0; f < kFieldCount && f < static_cast<int>(r.fields.size()); ++f)
    if (!r.fields[static_cast<size_t>(f)].empty()) fn(f, detail::stat_field(f), r.fields[static_cast<size_t>(f)]);
  for (int i = 0; i < detail::kExtraCount && i < static_cast<int>(r.extra.size()); ++i)
    if (!r.extra[static_cast<size_t>(i)].empty())
      fn(kFieldCount + i, detail::extra_field(i), r.extra[static_cast<size_t>(i)]);
}

uint32_t row_iid(const Row& r) { return static_cast<uint32_t>(r.fields[f_iid].u); }
uint64_t row_sid(const Row& r) { return r.fields[f_sid].u; }

void typed_rows(std::string& out, const std::vector<Row>& rows, bool desc) {
  for (const Row& r : rows) {
    const std::string prefix = std::string(1, obj_letter(r.type)) + "." + std::to_string(row_iid(r)) + "." +
                               std::to_string(row_sid(r)) + ".";
    each_filled(r, [&](int pos, const StatField& f, const Value& v) {
      std::string_view tags = detail::tags_for(f, r.type);
      out += prefix;
      out += std::to_string(pos);
      out += '.';
      out += f.name;
      out += ".1:";
      out += tags.empty() ? std::string_view("???") : tags;
      out += ':';
      out += v.type_name();
      out += ':';
      out += v.text();
      if (desc) {
        out += ":\"";
        out += f.desc;
        out += '"';
      }
      out += '\n';
    });
  }
}

// One JSON field object; shared by `show stat json` and `show info json`.
void json_tags_value(std::string& out, std::string_view tags, const Value& v) {
  const char o = tags.size() > 0 ? tags[0] : '?', n = tags.size() > 1 ? tags[1] : '?',
             s = tags.size() > 2 ? tags[2] : '?';
  out += "\"processNum\":1,\"tags\":{\"origin\":\"";
  out += detail::origin_word(o);
  out += "\",\"nature\":\"";
  out += detail::nature_word(n);
  out += "\",\"scope\":\"";
  out += detail::scope_word(s);
  out += "\"},\"value\":{\"type\":\"";
  out += v.type_name();
  out += "\",\"value\":";
  if (v.type == Value::Type::str) detail::append_json_string(out, v.s);
  else out += v.text();
  out += "}}";
}

void json_rows(std::string& out, const std::vector<Row>& rows) {
  out += '[';
  bool first_row = true;
  for (const Row& r : rows) {
    if (!first_row) out += ',';
    first_row = false;
    out += '[';
    bool first = true;
    each_filled(r, [&](int pos, const StatField& f, const Value& v) {
      if (!first) out += ',';
      first = false;
      out += "{\"objType\":\"";
      out += obj_word(r.type);
      out += "\",\"proxyId\":";
      out += std::to_string(row_iid(r));
      out += ",\"id\":";
      out += std::to_string(row_sid(r));
      out += ",\"field\":{\"pos\":";
      out += std::to_string(pos);
      out += ",\"name\":";
      detail::append_json_string(out, f.name);
      out += "},";
      json_tags_value(out, detail::tags_for(f, r.type), v);
    });
    out += ']';
  }
  out += "]\n";
}

}  // namespace

namespace detail {
void append_json_field_tail(std::string& out, std::string_view tags, const Value& v) { json_tags_value(out, tags, v); }
}  // namespace detail

std::string show_stat(const StatsSource& src, const StatQuery& q) {
  const std::vector<Row> rows = collect_rows(src, q);
  std::string out;
  switch (q.format) {
    case StatQuery::Format::csv:
      csv_header(out);
      for (const Row& r : rows) csv_row(out, r);
      break;
    case StatQuery::Format::typed: typed_rows(out, rows, q.desc); break;
    case StatQuery::Format::json: json_rows(out, rows); break;
  }
  return out;
}

}  // namespace portero::stats
