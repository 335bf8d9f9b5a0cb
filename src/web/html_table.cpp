#include "html_table.h"

#include <cstdlib>

#include "html_util.h"

namespace portero::web {
namespace {

using stats::Field;
using stats::Row;

std::string str(const Row& r, Field f) { return size_t(f) < r.fields.size() ? r.fields[f].text() : std::string(); }
bool has(const Row& r, Field f) { return !str(r, f).empty(); }
int64_t num(const Row& r, Field f) { return std::strtoll(str(r, f).c_str(), nullptr, 10); }

// A numeric cell shows its thousands; anything else is escaped text.
std::string shown(const Row& r, Field f) {
  const std::string s = str(r, f);
  if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos)
    return grouped_number(std::strtoull(s.c_str(), nullptr, 10));
  return html_escape(s);
}

struct Cells {
  std::string out;
  void td(const std::string& html, const char* cls = nullptr, int colspan = 1, const std::string& tip = {}) {
    out += "<td";
    if (cls) out += std::string(" class=\"") + cls + "\"";
    if (colspan > 1) out += " colspan=\"" + std::to_string(colspan) + "\"";
    if (!tip.empty()) out += " title=\"" + html_escape(tip) + "\"";
    out += ">" + html + "</td>";
  }
  void blank(int n = 1) { td("", nullptr, n); }
};

// Tooltip lines "label: value", one per line (the browser shows `title` over the cell).
std::string tip(std::initializer_list<std::pair<const char*, std::string>> lines) {
  std::string t;
  for (const auto& [k, v] : lines) {
    if (!t.empty()) t += "\n";
    t += k;
    t += ": ";
    t += v;
  }
  return t;
}

std::string or_dash(const Row& r, Field f) { return has(r, f) && str(r, f) != "0" ? shown(r, f) : "-"; }
std::string yes_no(const Row& r, Field f) { return str(r, f) == "1" ? "Y" : "-"; }
std::string dur(const Row& r, Field f) { return has(r, f) ? human_duration(num(r, f)) : ""; }

std::string responses_tip(const Row& r, bool frontend) {
  std::string t = tip({{"Cumulated sessions", str(r, stats::f_stot)},
                       {"HTTP requests", str(r, stats::f_req_tot)},
                       {"  1xx responses", str(r, stats::f_hrsp_1xx)},
                       {"  2xx responses", str(r, stats::f_hrsp_2xx)},
                       {"  3xx responses", str(r, stats::f_hrsp_3xx)},
                       {"  4xx responses", str(r, stats::f_hrsp_4xx)},
                       {"  5xx responses", str(r, stats::f_hrsp_5xx)},
                       {"  other responses", str(r, stats::f_hrsp_other)},
                       {"Failed header rewrites", str(r, stats::f_wrew)},
                       {"Internal errors", str(r, stats::f_eint)}});
  if (frontend)
    return tip({{"Cumulated connections", str(r, stats::f_conn_tot)}}) + "\n" + t + "\n" +
           tip({{"Intercepted requests", str(r, stats::f_intercepted)}});
  return t + "\n" +
         tip({{"New connections", str(r, stats::f_connect)},
              {"Reused connections", str(r, stats::f_reuse)},
              {"Queue time max/avg (ms)", str(r, stats::f_qtime_max) + " / " + str(r, stats::f_qtime)},
              {"Connect time max/avg (ms)", str(r, stats::f_ctime_max) + " / " + str(r, stats::f_ctime)},
              {"Response time max/avg (ms)", str(r, stats::f_rtime_max) + " / " + str(r, stats::f_rtime)},
              {"Total time max/avg (ms)", str(r, stats::f_ttime_max) + " / " + str(r, stats::f_ttime)}});
}

std::string name_cell(const config::Proxy& px, const std::string& label) {
  const std::string anchor = html_escape(px.name + "/" + label);
  return "<a name=\"" + anchor + "\"></a><a class=\"row\" href=\"#" + anchor + "\">" + html_escape(label) + "</a>";
}

// `stats show-legends`: where the server is and how it is known.
std::string legend_tip(const Row& r, bool legends) {
  if (!legends) return {};
  std::string t = "address: " + str(r, stats::f_addr) + ", id: " + str(r, stats::f_sid);
  if (has(r, stats::f_cookie)) t += ", cookie: '" + str(r, stats::f_cookie) + "'";
  return t;
}

std::string frontend_row(const config::Proxy& px, const Row& r, TableMode m) {
  Cells c;
  if (m.admin_page) c.blank();
  c.td(name_cell(px, "Frontend"), "c");
  c.blank(3);   // no queue on a frontend
  c.td(shown(r, stats::f_rate), nullptr, 1,
       tip({{"Connection rate", str(r, stats::f_conn_rate) + "/s"},
            {"Session rate", str(r, stats::f_rate) + "/s"},
            {"Request rate", str(r, stats::f_req_rate) + "/s"}}));
  c.td(shown(r, stats::f_rate_max), nullptr, 1,
       tip({{"Max connection rate", str(r, stats::f_conn_rate_max) + "/s"},
            {"Max session rate", str(r, stats::f_rate_max) + "/s"},
            {"Max request rate", str(r, stats::f_req_rate_max) + "/s"}}));
  c.td(or_dash(r, stats::f_rate_lim));
  c.td(shown(r, stats::f_scur));
  c.td(shown(r, stats::f_smax));
  c.td(shown(r, stats::f_slim));
  c.td(shown(r, stats::f_stot), nullptr, 1, responses_tip(r, true));
  c.blank(2);   // LbTot, Last
  c.td(shown(r, stats::f_bin));
  c.td(shown(r, stats::f_bout));
  c.td(shown(r, stats::f_dreq));
  c.td(shown(r, stats::f_dresp));
  c.td(shown(r, stats::f_ereq));
  c.blank(2);   // Conn, Resp errors
  c.blank(2);   // Retr, Redis
  c.td(shown(r, stats::f_status), "c");
  c.blank(8);
  return "<tr class=\"frontend\">" + c.out + "</tr>\n";
}

std::string check_cell(const Row& r) {
  if (!has(r, stats::f_check_status)) return "";
  std::string s = str(r, stats::f_check_status);
  if (has(r, stats::f_check_code)) s += "/" + str(r, stats::f_check_code);
  if (has(r, stats::f_check_duration)) s += " in " + str(r, stats::f_check_duration) + "ms";
  return html_escape(s);
}

std::string server_row(const config::Proxy& px, const Row& r, TableMode m) {
  const std::string status = str(r, stats::f_status);
  Cells c;
  const std::string name = str(r, stats::f_svname);
  if (m.admin_form)
    c.td("<input class=\"" + html_escape(px.name) + "-checkbox\" type=\"checkbox\" name=\"s\" value=\"" +
         html_escape(name) + "\">");
  else if (m.admin_page)
    c.blank();
  c.td(name_cell(px, name), "c", 1, legend_tip(r, m.legends));
  c.td(shown(r, stats::f_qcur));
  c.td(shown(r, stats::f_qmax));
  c.td(or_dash(r, stats::f_qlimit));
  c.td(shown(r, stats::f_rate));
  c.td(shown(r, stats::f_rate_max));
  c.blank();
  c.td(shown(r, stats::f_scur), nullptr, 1,
       tip({{"Idle connections", str(r, stats::f_srv_icur)},
            {"Used connections", str(r, stats::f_used_conn_cur)},
            {"Estimated need", str(r, stats::f_need_conn_est)}}));
  c.td(shown(r, stats::f_smax));
  c.td(or_dash(r, stats::f_slim));
  c.td(shown(r, stats::f_stot), nullptr, 1, responses_tip(r, false));
  c.td(shown(r, stats::f_lbtot));
  c.td(human_duration(has(r, stats::f_lastsess) ? num(r, stats::f_lastsess) : -1));
  c.td(shown(r, stats::f_bin));
  c.td(shown(r, stats::f_bout));
  c.blank();
  c.td(shown(r, stats::f_dresp));
  c.blank();
  c.td(shown(r, stats::f_econ));
  c.td(shown(r, stats::f_eresp), nullptr, 1,
       "Aborted transfers: " + str(r, stats::f_cli_abrt) + " by clients, " + str(r, stats::f_srv_abrt) + " by servers");
  c.td(shown(r, stats::f_wretr));
  c.td(shown(r, stats::f_wredis));
  if (status == "no check") c.td("<i>no check</i>", "c");
  else c.td(html_escape((has(r, stats::f_lastchg) ? dur(r, stats::f_lastchg) + " " : "") + status), "c");
  std::string why = str(r, stats::f_check_desc);
  if (has(r, stats::f_last_chk)) why += (why.empty() ? "" : ": ") + str(r, stats::f_last_chk);
  c.td(check_cell(r), "c", 1, why);
  c.td(shown(r, stats::f_weight) + "/" + shown(r, stats::f_uweight), "c");
  c.td(yes_no(r, stats::f_act), "c");
  c.td(yes_no(r, stats::f_bck), "c");
  if (has(r, stats::f_chkfail)) {
    c.td(shown(r, stats::f_chkfail), nullptr, 1, "Failed health checks");
    c.td(shown(r, stats::f_chkdown));
    c.td(dur(r, stats::f_downtime));
  } else {
    c.blank(3);
  }
  c.td(has(r, stats::f_throttle) ? shown(r, stats::f_throttle) + " %" : "-", "c");
  return "<tr class=\"" + server_row_class(status, str(r, stats::f_bck) == "1") + "\">" + c.out + "</tr>\n";
}

std::string backend_row(const config::Proxy& px, const Row& r, TableMode m) {
  Cells c;
  if (m.admin_page) c.blank();
  c.td(name_cell(px, "Backend"), "c");
  c.td(shown(r, stats::f_qcur));
  c.td(shown(r, stats::f_qmax));
  c.blank();
  c.td(shown(r, stats::f_rate));
  c.td(shown(r, stats::f_rate_max));
  c.blank();
  c.td(shown(r, stats::f_scur));
  c.td(shown(r, stats::f_smax));
  c.td(shown(r, stats::f_slim));
  c.td(shown(r, stats::f_stot), nullptr, 1, responses_tip(r, false));
  c.td(shown(r, stats::f_lbtot));
  c.td(human_duration(has(r, stats::f_lastsess) ? num(r, stats::f_lastsess) : -1));
  c.td(shown(r, stats::f_bin));
  c.td(shown(r, stats::f_bout));
  c.td(shown(r, stats::f_dreq));
  c.td(shown(r, stats::f_dresp));
  c.blank();
  c.td(shown(r, stats::f_econ));
  c.td(shown(r, stats::f_eresp), nullptr, 1,
       "Aborted transfers: " + str(r, stats::f_cli_abrt) + " by clients, " + str(r, stats::f_srv_abrt) + " by servers");
  c.td(shown(r, stats::f_wretr));
  c.td(shown(r, stats::f_wredis));
  c.td(html_escape(dur(r, stats::f_lastchg) + " " + str(r, stats::f_status)), "c");
  c.td("&nbsp;", "c");
  c.td(shown(r, stats::f_weight) + "/" + shown(r, stats::f_uweight), "c");
  c.td(shown(r, stats::f_act), "c");
  c.td(shown(r, stats::f_bck), "c");
  c.td("&nbsp;", "c");
  c.td(shown(r, stats::f_chkdown));
  c.td(has(r, stats::f_downtime) ? dur(r, stats::f_downtime) : "&nbsp;");
  c.blank();
  return "<tr class=\"backend\">" + c.out + "</tr>\n";
}

// The two header rows: the groups, then their columns (HAProxy's names).
std::string header_rows(const config::Proxy& px, TableMode m) {
  std::string h = "<tr class=\"titre\">";
  if (m.admin_form)
    h += "<th rowspan=\"2\" class=\"pick\"><input type=\"checkbox\" data-select-all=\"" + html_escape(px.name) +
         "-checkbox\" title=\"select every server\"></th>";
  else if (m.admin_page)
    h += "<th rowspan=\"2\"></th>";
  h += "<th rowspan=\"2\"></th>";
  static constexpr std::pair<const char*, int> kGroups[] = {{"Queue", 3},  {"Session rate", 3}, {"Sessions", 6},
                                                            {"Bytes", 2},  {"Denied", 2},       {"Errors", 3},
                                                            {"Warnings", 2}, {"Server", 9}};
  for (const auto& [name, span] : kGroups) h += "<th colspan=\"" + std::to_string(span) + "\">" + name + "</th>";
  h += "</tr>\n<tr class=\"titre\">";
  static constexpr const char* kColumns[] = {"Cur",  "Max", "Limit", "Cur",  "Max",    "Limit", "Cur",  "Max",
                                             "Limit", "Total", "LbTot", "Last", "In",    "Out",   "Req",  "Resp",
                                             "Req",  "Conn", "Resp",  "Retr", "Redis",  "Status", "LastChk", "Wght",
                                             "Act",  "Bck",  "Chk",   "Dwn",  "Dwntme", "Thrtle"};
  for (const char* col : kColumns) h += std::string("<th>") + col + "</th>";
  return h + "</tr>\n";
}

std::string admin_controls(const config::Proxy& px) {
  static constexpr std::pair<const char*, const char*> kActions[] = {
      {"", ""},
      {"ready", "Set state to READY"},
      {"drain", "Set state to DRAIN"},
      {"maint", "Set state to MAINT"},
      {"dhlth", "Health: disable checks"},
      {"ehlth", "Health: enable checks"},
      {"hrunn", "Health: force UP"},
      {"hnolb", "Health: force NOLB"},
      {"hdown", "Health: force DOWN"},
      {"dagent", "Agent: disable checks"},
      {"eagent", "Agent: enable checks"},
      {"arunn", "Agent: force UP"},
      {"adown", "Agent: force DOWN"},
      {"shutdown", "Kill Sessions"},
  };
  std::string h = "<div class=\"admin\">Action on the checked servers: <select name=\"action\">";
  for (const auto& [value, label] : kActions)
    h += std::string("<option value=\"") + value + "\">" + label + "</option>";
  h += "</select><input type=\"hidden\" name=\"b\" value=\"#" + std::to_string(px.id) +
       "\"> <input type=\"submit\" value=\"Apply\"></div>";
  return h;
}

}  // namespace

std::string server_row_class(const std::string& status, bool backup) {
  const std::string role = backup ? "backup_" : "active_";
  auto starts = [&](const char* p) { return status.rfind(p, 0) == 0; };
  if (starts("MAINT")) return "maintain";
  if (starts("DRAIN")) return role + "draining";
  if (status == "no check") return role + "no_check";
  if (starts("NOLB")) return role + "nolb";
  const bool counting = status.find('/') != std::string::npos;   // "UP 1/3": health moving
  if (starts("UP")) return role + (counting ? "going_down" : "up");
  if (starts("DOWN")) return role + (counting ? "going_up" : "down");
  return role + "no_check";
}

std::string proxy_table_html(const config::Proxy& px, const std::vector<const stats::Row*>& rows, TableMode mode) {
  const bool admin_form = mode.admin_form;
  const std::string name = html_escape(px.name);
  std::string h;
  if (admin_form) h += "<form method=\"post\">";
  h += "<table class=\"tbl title\"><tr><th class=\"pxname\"><a name=\"" + name + "\"></a><a class=\"px\" href=\"#" +
       name + "\">" + name + "</a></th>";
  h += px.description.empty() ? "<th class=\"empty\"></th>" : "<th class=\"desc\">" + html_escape(px.description) + "</th>";
  h += "</tr></table>\n";
  h += "<table class=\"tbl\" data-proxy=\"" + name + "\">\n" + header_rows(px, mode);
  for (const stats::Row* r : rows) {
    switch (r->type) {
      case stats::ObjType::frontend: h += frontend_row(px, *r, mode); break;
      case stats::ObjType::server: h += server_row(px, *r, mode); break;
      case stats::ObjType::backend: h += backend_row(px, *r, mode); break;
      case stats::ObjType::listener: break;
    }
  }
  h += "</table>\n";
  if (admin_form) h += admin_controls(px) + "</form>\n";
  return h;
}

}  // namespace portero::web
