#pragma once
// One proxy's block of the stats page: its title bar and its table (FRONTEND, servers,
// BACKEND), with HAProxy's column groups (Queue, Session rate, Sessions, Bytes, Denied,
// Errors, Warnings, Server), the row colours of the legend, and the admin form around it when
// the admin may act on its servers. Built from the same rows as `;csv`.
#include <string>
#include <vector>

#include "portero/config/config.h"
#include "portero/stats/model.h"

namespace portero::web {

// The legend class of a server row ("active_up", "backup_going_down", "maintain", ...) from
// its CSV status ("UP", "UP 1/3", "DOWN 1/2", "NOLB", "DRAIN", "MAINT", "no check") and role.
std::string server_row_class(const std::string& status, bool backup);

struct TableMode {
  bool admin_page = false;   // the page is in admin mode: every table gets a leading pick column
  bool admin_form = false;   // this table is an admin form (a checkbox per server, actions, `#iid`)
  bool legends = false;      // `stats show-legends`: server address, id and cookie in a tooltip
};

// `rows` are this proxy's rows in CSV order.
std::string proxy_table_html(const config::Proxy& px, const std::vector<const stats::Row*>& rows, TableMode mode);

}  // namespace portero::web
