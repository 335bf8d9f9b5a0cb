#include <doctest/doctest.h>

#include "check/logic.h"

using namespace portero;
using namespace portero::check;
using Mode = config::Server::Observe;
using OnError = config::Server::OnError;

TEST_CASE("observe: which outcomes count in layer4 and layer7") {
  CHECK(observed_effect(Mode::none, Observed::l4_err) == 0);
  CHECK(observed_effect(Mode::layer4, Observed::l4_err) == 1);
  CHECK(observed_effect(Mode::layer4, Observed::l4_ok) == -1);
  CHECK(observed_effect(Mode::layer4, Observed::http_sts) == 0);
  CHECK(observed_effect(Mode::layer4, Observed::http_ok) == 0);
  CHECK(observed_effect(Mode::layer7, Observed::l4_err) == 1);
  CHECK(observed_effect(Mode::layer7, Observed::l4_ok) == 0);   // only answers reset in layer7
  CHECK(observed_effect(Mode::layer7, Observed::http_ok) == -1);
  CHECK(observed_effect(Mode::layer7, Observed::http_sts) == 1);
  CHECK(observed_effect(Mode::layer7, Observed::http_hdrrsp) == 1);
  CHECK(observed_effect(Mode::layer7, Observed::broken_pipe) == 1);
}

TEST_CASE("observe: HAProxy's words") {
  CHECK(status_name(Status::hana) == "HANA");
  CHECK(status_desc(Status::hana) == "Health analyze");
  CHECK(status_outcome(Status::hana) == Outcome::fail);
  CHECK_FALSE(status_has_code(Status::hana));
  CHECK(on_error_info(3, Observed::http_sts) == "Detected 3 consecutive errors, last one was: Wrong http response");
  CHECK(on_error_info(10, Observed::l4_err) == "Detected 10 consecutive errors, last one was: L4 unsuccessful connection");
  CHECK(observed_desc(Observed::http_hdrrsp) == "Invalid http response (headers)");
  Result r;
  r.status = Status::hana;
  r.desc = on_error_info(2, Observed::http_sts);
  CHECK(status_detail(r) ==
        ", reason: Health analyze, info: \"Detected 2 consecutive errors, last one was: Wrong http response\"");
}

namespace {
Health full(int rise, int fall) {
  Health h;
  h.rise = rise;
  h.fall = fall;
  h.value = rise + fall - 1;
  return h;
}
}  // namespace

TEST_CASE("on-error actions on a fully UP server (rise 2, fall 3), as haproxy 2.6.12 moves it") {
  Health h = full(2, 3);
  CHECK_FALSE(prepare_on_error(h, OnError::fastinter));
  CHECK(h.value == 4);

  h = full(2, 3);
  REQUIRE(prepare_on_error(h, OnError::fail_check));
  h.apply(Outcome::fail);
  CHECK(h.ratio() == "2/3");   // "UP 2/3"

  h = full(2, 3);
  REQUIRE(prepare_on_error(h, OnError::sudden_death));
  h.apply(Outcome::fail);
  CHECK(h.up());
  CHECK(h.ratio() == "1/3");   // one more failure marks it down
  REQUIRE(prepare_on_error(h, OnError::sudden_death));
  h.apply(Outcome::fail);
  CHECK_FALSE(h.up());
  CHECK(h.ratio() == "0/2");

  h = full(2, 3);
  REQUIRE(prepare_on_error(h, OnError::mark_down));
  h.apply(Outcome::fail);
  CHECK(h.value == 0);
}

TEST_CASE("dynamic cookies: XXH64 and the derivation from key, address and port") {
  CHECK(config::xxh64("") == 0xef46db3751d8e999ULL);
  CHECK(config::xxh64("abc") == 0x44bc2cf5ad770999ULL);
  // Long input (the 32-byte stripes).
  CHECK(config::xxh64("Nobody inspects the spammish repetition") == 0xfbcea83c8a378bf1ULL);
  config::Proxy p;
  p.persistence.name = "SRV";
  p.persistence.dynamic = true;
  p.dynamic_cookie_key = "k2";
  config::Server s;
  auto a = config::parse_address("127.0.0.2:35309", false);
  REQUIRE(a.address);
  s.address = *a.address;
  p.servers.push_back(s);
  s.cookie = "fixed";
  p.servers.push_back(s);
  config::refresh_dynamic_cookies(p);
  CHECK(p.servers[0].cookie == "61a2bc900bcf762a");   // measured on haproxy 2.6.12
  CHECK(p.servers[1].cookie == "fixed");
  p.dynamic_cookie_key.clear();
  config::refresh_dynamic_cookies(p);
  CHECK(p.servers[0].cookie.empty());
}

TEST_CASE("http-check expect hdr / fhdr") {
  const std::string reply = "HTTP/1.1 200 OK\r\nX-Origin: s1, s2\r\nContent-Length: 0\r\n\r\n";
  auto verdict = [&](config::HttpCheckExpect e) {
    config::CheckSetup setup;
    setup.expects.push_back(std::move(e));
    return http_verdict(setup, reply, true);
  };
  config::HttpCheckExpect e;
  e.kind = config::HttpCheckExpect::Kind::hdr;
  e.pattern = "x-origin";
  CHECK(verdict(e).status == Status::l7ok);          // presence, name case-insensitive
  e.has_value = true;
  e.value = "s2";
  CHECK(verdict(e).status == Status::l7ok);          // hdr: each comma-separated value
  e.kind = config::HttpCheckExpect::Kind::fhdr;
  CHECK(verdict(e).status == Status::l7sts);         // fhdr: the whole line
  e.value_match = config::HttpCheckExpect::Match::end;
  CHECK(verdict(e).status == Status::l7ok);
  e.negate = true;
  Verdict v = verdict(e);
  CHECK(v.status == Status::l7sts);                  // as HAProxy: "Layer7 wrong status", info "OK"
  CHECK(v.code == 200);
  CHECK(v.desc == "OK");
  config::HttpCheckExpect r;
  r.kind = config::HttpCheckExpect::Kind::hdr;
  r.name_match = config::HttpCheckExpect::Match::reg;
  r.pattern = "^content-";
  CHECK(verdict(r).status == Status::l7ok);
}
