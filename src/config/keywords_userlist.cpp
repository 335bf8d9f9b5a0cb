// `userlist NAME` sections: `user NAME [password HASH | insecure-password PASS] [groups a,b]`
// and `group NAME [users a,b]`, with HAProxy 2.6's messages. Membership written on either side
// is merged into User::groups by check_userlists() once every file was read.
#include <algorithm>

#include "parse_context.h"

namespace portero::config {
namespace {

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

void open_userlist(ParseContext& c, const Args& a) {
  c.userlist = nullptr;
  if (a.size() < 2 || a[1].empty()) {
    c.alert(Form::tight, "'userlist' expects <name> as arguments.");
    return;
  }
  if (c.config.find_userlist(a[1])) {
    c.warning(Form::tight, "ignoring duplicated userlist '" + a[1] + "'.");
    return;
  }
  Userlist u;
  u.origin = c.origin;
  u.name = a[1];
  c.config.userlists.push_back(std::move(u));
  c.userlist = &c.config.userlists.back();
}

void parse_userlist_line(ParseContext& c, const Args& a) {
  const std::string& kw = a[0];
  Userlist* ul = c.userlist;
  if (kw == "group") {
    if (a.size() < 2 || a[1].empty()) {
      c.alert(Form::tight, "'group' expects <name> as arguments.");
      return;
    }
    if (!ul) return;
    for (const auto& g : ul->groups)
      if (g.first == a[1]) {
        c.warning(Form::tight, "ignoring duplicated group '" + a[1] + "' in userlist '" + ul->name + "'.");
        return;
      }
    std::vector<std::string> users;
    for (size_t i = 2; i < a.size(); ++i) {
      if (a[i] == "users" && i + 1 < a.size()) {
        auto more = split_commas(a[++i]);
        users.insert(users.end(), more.begin(), more.end());
      } else {
        c.alert(Form::tight, "'group' only supports 'users' option.");
        return;
      }
    }
    ul->groups.emplace_back(a[1], std::move(users));
    return;
  }
  if (kw == "user") {
    if (a.size() < 2 || a[1].empty()) {
      c.alert(Form::tight, "'user' expects <name> as arguments.");
      return;
    }
    if (!ul) return;
    if (ul->find_user(a[1])) {
      c.warning(Form::tight, "ignoring duplicated user '" + a[1] + "' in userlist '" + ul->name + "'.");
      return;
    }
    Userlist::User u;
    u.origin = c.origin;
    u.name = a[1];
    for (size_t i = 2; i < a.size(); ++i) {
      const bool has_value = i + 1 < a.size();
      if (a[i] == "password" && has_value) {
        u.password = a[++i];
        u.insecure = false;
      } else if (a[i] == "insecure-password" && has_value) {
        u.password = a[++i];
        u.insecure = true;
      } else if (a[i] == "groups" && has_value) {
        auto more = split_commas(a[++i]);
        u.groups.insert(u.groups.end(), more.begin(), more.end());
      } else if (a[i] == "password" || a[i] == "insecure-password" || a[i] == "groups") {
        break;  // HAProxy ignores an option left without its value
      } else {
        c.alert(Form::tight, "'user' only supports 'password', 'insecure-password' and 'groups' options.");
        return;
      }
    }
    ul->users.push_back(std::move(u));
    return;
  }
  c.alert(Form::tight, "unknown keyword '" + kw + "' in 'users' section");
}

void check_userlists(Config& config, Diagnostics& diag) {
  for (auto& ul : config.userlists) {
    auto has_group = [&](const std::string& g) {
      return std::any_of(ul.groups.begin(), ul.groups.end(), [&](const auto& e) { return e.first == g; });
    };
    for (auto& u : ul.users)
      for (const auto& g : u.groups)
        if (!has_group(g))
          diag.alert("userlist '" + ul.name + "': no such group '" + g + "' specified in user '" + u.name + "'");
    for (const auto& [g, members] : ul.groups)
      for (const auto& m : members) {
        Userlist::User* u = nullptr;
        for (auto& x : ul.users)
          if (x.name == m) u = &x;
        if (!u) {
          diag.alert("userlist '" + ul.name + "': no such user '" + m + "' specified in group '" + g + "'");
          continue;
        }
        if (std::find(u->groups.begin(), u->groups.end(), g) == u->groups.end()) u->groups.push_back(g);
      }
  }
}

}  // namespace portero::config
