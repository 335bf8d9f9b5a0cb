// `%[expr]` in log formats: the syntax HAProxy 2.6.12 accepts around the expression (its
// messages, observed with `haproxy -c`), and how values are written (log-format: '-' / "" for
// absent or empty, +Q, +E; unique-id-format: nothing for absent, controls as %XX). The
// expressions themselves are the ACL module's; here a stand-in compiler numbers them.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "log_fixture.h"
#include "portero/log/log.h"

using namespace logtest;
using portero::log::Format;
using portero::log::Record;
using portero::log::SampleCompiler;
using portero::log::SampleStyle;

namespace {

// Knows str(...) (its argument is the value) and absent (never a value); numbers them.
struct Fake {
  std::vector<std::string> exprs;
  std::vector<std::string> seen;
  SampleCompiler compiler() {
    return [this](std::string_view expr, std::string_view rest, std::string& err) -> int {
      seen.emplace_back(expr);
      if (expr.empty()) {
        err = "failed to parse sample expression <" + std::string(rest) + "> : missing fetch method";
        return -1;
      }
      exprs.emplace_back(expr);
      return int(exprs.size() - 1);
    };
  }
  static bool eval(const void* self, int id, std::string_view& out) {
    const auto* f = static_cast<const Fake*>(self);
    std::string_view e = f->exprs.at(size_t(id));
    if (e == "esc") {
      out = "a\"b]c\\d";
      return true;
    }
    if (!e.starts_with("str(")) return false;
    out = e.substr(4, e.find(')') - 4);
    return true;
  }
};

std::string run(const char* text, SampleStyle style = SampleStyle::log) {
  Fake fake;
  std::string err;
  auto f = Format::compile(text, err, fake.compiler(), style);
  REQUIRE_MESSAGE(f, err);
  CHECK(f->has_samples());
  Record r;
  r.sample = Fake::eval;
  r.sample_self = &fake;
  return render(*f, r);
}

std::string error_of(const char* text) {
  Fake fake;
  std::string err;
  auto f = Format::compile(text, err, fake.compiler());
  CHECK(!f);
  return err;
}

}  // namespace

TEST_CASE("%[...] values: '-' when absent or empty, quoted \"\", +E escapes") {
  CHECK(run("a=%[str(va)] m=%[nope] e=%[str()] q=%{+Q}[str(x y)] qm=%{+Q}[nope]") ==
        "a=va m=- e=- q=\"x y\" qm=\"\"");
  CHECK(run("%{+E}[esc] %[esc]") == "a\\\"b\\]c\\\\d a\"b]c\\d");
  CHECK(run("%[str(a)]]") == "a]");   // a ']' after the expression is text
  CHECK(run("%{+json}[str(v)] %{+json}[nope]") == "\"v\" null");
  CHECK(run("%{+Q}o %[str(a)] %[nope]") == "\"a\" \"\"");   // %o options reach them too
}

TEST_CASE("unique-id-format style: absent and empty write nothing, no quotes, controls %XX") {
  CHECK(run("%[nope]-%{+Q}[str(a b%)]-%[str()]", SampleStyle::http) == "-a b%-");
  Fake fake;
  std::string err;
  auto f = Format::compile("%[x]", err, fake.compiler(), SampleStyle::http);
  REQUIRE(f);
  fake.exprs[0] = std::string("str(a\x01\tb\x7f\xe9)");
  Record r;
  r.sample = Fake::eval;
  r.sample_self = &fake;
  CHECK(render(*f, r) == "a%01\tb%7F\xe9");
}

TEST_CASE("%[...] without a compiler or a sample source") {
  std::string err;
  CHECK(!Format::compile("%[src]", err));
  CHECK(err.find("not supported") != std::string::npos);
  Fake fake;
  auto f = Format::compile("x=%[src]", err, fake.compiler());
  REQUIRE(f);
  CHECK(render(*f, Record{}) == "x=-");
}

TEST_CASE("the expression's extent: calls joined by ',', parentheses and quotes honoured") {
  Fake fake;
  std::string err;
  auto f = Format::compile("%[req.hdr(a,1),lower,concat(' ]',txn.x)] %[src]", err, fake.compiler());
  REQUIRE_MESSAGE(f, err);
  CHECK(fake.seen == std::vector<std::string>{"req.hdr(a,1),lower,concat(' ]',txn.x)", "src"});
}

TEST_CASE("HAProxy's messages for a bad %[...]") {
  CHECK(error_of("x %[str(a)") == "missing ']' after 'str(a)'");
  CHECK(error_of("%{+Q}o %[str(a)") == "missing ']' after 'str(a)'");
  CHECK(error_of("%[str(a) x") == "expected ']' after 'str(a)', but found ' '");
  CHECK(error_of("%[str(a)x]") == "expected ']' after 'str(a)', but found 'x'");
  CHECK(error_of("%[] y") == "failed to parse sample expression <] y> : missing fetch method");
}
