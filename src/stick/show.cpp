// The text of `show table`, in HAProxy 2.6's form (scripts parse it).
#include <cstdio>

#include "portero/stick/table.h"

namespace portero::stick {

std::string show_header(const Table& t) {
  const TableSpec& s = t.spec();
  return "# table: " + s.name + ", type: " + std::string(kKeyTypeNames[int(s.type)]) +
         ", size:" + std::to_string(s.size) + ", used:" + std::to_string(t.used()) + "\n";
}

std::string show_entry(const Table& t, const Entry* e, View& v, uint32_t use, int64_t exp, uint32_t now) {
  char head[64];
  std::snprintf(head, sizeof head, "%p:", static_cast<const void*>(e));
  std::string out = head;
  out += " key=" + t.key_text(e) + " use=" + std::to_string(use) + " exp=" + std::to_string(exp);
  const TableSpec& s = t.spec();
  for (int i = 0; i < kDataTypes; ++i) {
    if (!s.stored[i]) continue;
    const Data d = Data(i);
    if (is_array(d)) {
      // Each element as its own counter: gpc(3) shows gpc0=.. gpc1=.. gpc2=.., gpc_rate(2,10s)
      // gpc0_rate(10000)=.. gpc1_rate(10000)=.., as haproxy 2.6 does.
      const std::string_view base = d == Data::gpc_rate ? "gpc" : kDataNames[i];
      for (unsigned n = 0; n < (s.nbelem[i] ? s.nbelem[i] : 1); ++n) {
        out += ' ';
        out += base;
        out += std::to_string(n);
        if (is_rate(d)) out += "_rate(" + std::to_string(s.period[i]) + ")";
        out += '=' + std::to_string(v.get(d, now, n));
      }
      continue;
    }
    out += ' ';
    out += kDataNames[i];
    if (is_rate(d)) out += "(" + std::to_string(s.period[i]) + ")";
    out += '=';
    if (d == Data::server_key) out += t.name_of(v.get(d, now));
    else if (d == Data::server_id) out += std::to_string(int64_t(int32_t(uint32_t(v.get(d, now)))));
    else out += std::to_string(v.get(d, now));
  }
  out += '\n';
  return out;
}

}  // namespace portero::stick
