// The ref1 scenario against haproxy 2.6.12's outputs captured at one instant, 5 s after its
// start (golden/ref1_*.txt): typed and JSON forms, the `up` / `no-maint` variants and
// `show servers state`. `show info` is compared by keys, order, tags and types (its values are
// haproxy's own process figures).
#include "ref1.h"

using namespace stats_test;

namespace {

constexpr uint64_t kRef1Uptime = 5;

void compare_lines(const std::string& got_text, const std::string& want_text) {
  const auto got = lines(got_text), want = lines(want_text);
  CHECK(got.size() == want.size());
  for (size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
    CAPTURE(i);
    CHECK(got[i] == want[i]);
  }
}

stats::StatQuery admin_query() {
  stats::StatQuery q;
  q.show_private = true;
  return q;
}

}  // namespace

TEST_CASE("ref1: show stat CSV, typed") {
  Fixture f(kRef1Config, kRef1Uptime);
  f.src.process.maxconn = 4000;
  set_ref1_state(f);
  auto q = admin_query();
  compare_lines(stats::show_stat(f.src, q), golden("ref1_csv.txt"));
  q.format = stats::StatQuery::Format::typed;
  compare_lines(stats::show_stat(f.src, q), golden("ref1_typed.txt"));
}

TEST_CASE("ref1: show stat json for one proxy (show stat 3 -1 -1 json)") {
  Fixture f(kRef1Config, kRef1Uptime);
  f.src.process.maxconn = 4000;
  set_ref1_state(f);
  auto q = admin_query();
  q.format = stats::StatQuery::Format::json;
  q.iid = 3;
  CHECK(stats::show_stat(f.src, q) == golden("ref1_json_be3.txt"));
}

TEST_CASE("ref1: up and no-maint hide servers and count the backend's servers up") {
  Fixture f(kRef1Config, kRef1Uptime);
  f.src.process.maxconn = 4000;
  set_ref1_state(f);
  auto q = admin_query();
  q.up_only = true;
  compare_lines(stats::show_stat(f.src, q), golden("ref1_up.txt"));
  q.up_only = false;
  q.no_maint = true;
  compare_lines(stats::show_stat(f.src, q), golden("ref1_nomaint.txt"));
}

TEST_CASE("ref1: show servers state") {
  Fixture f(kRef1Config, kRef1Uptime);
  set_ref1_state(f);
  compare_lines(stats::show_servers_state(f.src, -1), golden("ref1_state.txt"));
}

TEST_CASE("ref1: show info has haproxy's keys in its order, with its tags and types") {
  Fixture f(kRef1Config, kRef1Uptime);
  // "pos.Name.1:TAGS:type" of each typed line.
  auto keys = [](const std::string& text) {
    std::vector<std::string> out;
    for (const auto& l : lines(text)) {
      size_t c = l.find(':');
      c = l.find(':', c + 1);
      c = l.find(':', c + 1);
      out.push_back(l.substr(0, c));
    }
    return out;
  };
  std::string want_typed;
  // golden/ref1_info.txt is the plain form; check names and order there...
  std::vector<std::string> want_names, got_names;
  for (const auto& l : lines(golden("ref1_info.txt"))) want_names.push_back(l.substr(0, l.find(':')));
  for (const auto& [k, v] : stats::info_fields(f.src)) got_names.push_back(k);
  CHECK(got_names == want_names);
  // ...and tags and types in the typed form captured from haproxy 2.6.12.
  const std::vector<std::string> want = keys(golden("info_typed.txt"));
  const std::vector<std::string> got = keys(stats::show_info(f.src, stats::InfoFormat::typed));
  CHECK(got == want);
}
