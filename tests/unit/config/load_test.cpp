#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "portero/config/load.h"

using namespace portero::config;
namespace fs = std::filesystem;

namespace {
const fs::path kRepo = fs::path(__FILE__).parent_path().parent_path().parent_path().parent_path();

struct TempDir {
  fs::path path;
  TempDir() {
    std::string t = (fs::temp_directory_path() / "portero-cfg-XXXXXX").string();
    REQUIRE(mkdtemp(t.data()));
    path = t;
  }
  ~TempDir() { fs::remove_all(path); }
  void write(const std::string& name, const std::string& text) const { std::ofstream(path / name) << text; }
};
}  // namespace

TEST_CASE("the shipped configs load without errors") {
  for (const char* f : {"conf/haproxy.cfg", "conf/demo.cfg"}) {
    Diagnostics d;
    auto c = load({(kRepo / f).string()}, d);
    INFO(f);
    for (const auto& m : d.all()) MESSAGE(format(m, 0));
    REQUIRE(c);
    CHECK_FALSE(d.has_warnings());
  }
  Diagnostics d;
  auto c = load({(kRepo / "conf/demo.cfg").string()}, d);
  REQUIRE(c);
  const Proxy* web = c->find_proxy("web", false);
  REQUIRE(web);
  CHECK(c->proxies[size_t(web->default_backend_index)].name == "farm");
  const Proxy* stats = c->find_proxy("stats", false);
  REQUIRE(stats);
  CHECK(stats->stats_uri == "/stats");
  CHECK(stats->stats_refresh == 5000u);
}

TEST_CASE("a directory contributes its *.cfg files in C-locale order") {
  TempDir dir;
  dir.write("b.cfg", "backend second\n");
  dir.write("B.cfg", "backend first\n");  // 'B' < 'b' in C locale
  dir.write("c.txt", "this is not read\n");
  dir.write("d.cfg", "backend third\n");
  Diagnostics d;
  auto c = load({dir.path.string()}, d);
  REQUIRE(c);
  REQUIRE(c->proxies.size() == 3);
  CHECK(c->proxies[0].name == "first");
  CHECK(c->proxies[1].name == "second");
  CHECK(c->proxies[2].name == "third");
  CHECK(c->files.size() == 3);
}

TEST_CASE("an unreadable file is an alert, load() does not throw") {
  Diagnostics d;
  auto c = load({"/nonexistent/portero.cfg"}, d);
  CHECK_FALSE(c);
  REQUIRE(d.all().size() == 1);
  CHECK(format(d.all()[0], 5) == "[ALERT]    (5) : config : Cannot open configuration file/directory "
                                 "/nonexistent/portero.cfg : No such file or directory");
}
