// The HTTP/2 codec's abuse limits (h2::Settings): for each, an attack that trips it (the
// client gets GOAWAY(ENHANCE_YOUR_CALM), Server::tripped() names the limit) and the same
// traffic just under the limit, or spread over time on the injected clock, that does not.
#include "h2_test_support.h"

using namespace portero::http;
using namespace portero::http::h2;
using namespace h2test;

namespace {

// The owner's clock, moved by the test.
struct Clock {
  uint64_t now = 5'000'000;
  static uint64_t get(void* c) { return static_cast<Clock*>(c)->now; }
};

std::string frame(uint8_t type, uint8_t flags, int32_t id, const std::string& payload) {
  std::string f;
  const size_t n = payload.size();
  f += {char(n >> 16), char(n >> 8), char(n), char(type), char(flags)};
  f += {char(id >> 24), char(id >> 16), char(id >> 8), char(id)};
  return f + payload;
}
std::string u32(uint32_t v) { return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; }
std::string rst(int32_t id) { return frame(NGHTTP2_RST_STREAM, 0, id, u32(NGHTTP2_CANCEL)); }
std::string ping() { return frame(NGHTTP2_PING, 0, 0, std::string(8, 'p')); }
std::string priority(int32_t id) { return frame(NGHTTP2_PRIORITY, 0, id, u32(0) + char(15)); }
std::string empty_data(int32_t id) { return frame(NGHTTP2_DATA, 0, id, ""); }
std::string post(int32_t id) {
  return raw_headers(id, {{":method", "POST"}, {":scheme", "https"}, {":authority", "x"}, {":path", "/"}}, false);
}

// A server with a test clock, past the preface.
struct Conn {
  Owner o;
  Clock clock;
  Server srv;
  explicit Conn(const Settings& s) : srv(o, s) {
    srv.set_clock(&Clock::get, &clock);
    o.server = &srv;
    feed(kPreface + kEmptySettings);
    drain(srv);   // our SETTINGS went out: the client acknowledges them
    feed(kSettingsAck);
    drain(srv);
  }
  bool feed(const std::string& in) { return srv.feed(in.data(), in.size()); }
  // What the client received ends with GOAWAY(ENHANCE_YOUR_CALM), and the connection is over.
  bool calmed() {
    auto fr = frames_of(drain(srv));
    return !fr.empty() && fr.back().type == NGHTTP2_GOAWAY && be32(fr.back().payload, 4) == NGHTTP2_ENHANCE_YOUR_CALM &&
           srv.done();
  }
  // Still serving: a request goes through.
  bool serves(int32_t id) {
    drain(srv);
    if (!feed(raw_headers(id, Client::get("/alive"), true))) return false;
    auto fr = frames_of(drain(srv));
    return o.reqs[id].target == "/alive" &&
           std::none_of(fr.begin(), fr.end(), [](const Frame& f) { return f.type == NGHTTP2_GOAWAY; });
  }
};

std::string times(int n, const std::function<std::string(int)>& f) {
  std::string s;
  for (int k = 0; k < n; ++k) s += f(k);
  return s;
}

}  // namespace

TEST_CASE("h2 abuse: rapid reset from an nghttp2 client: GOAWAY ENHANCE_YOUR_CALM, tripped() says resets") {
  Settings s;
  s.max_resets_per_s = 10;
  Owner o;
  Clock clock;
  Server srv(o, s);
  srv.set_clock(&Clock::get, &clock);
  Client c;
  REQUIRE(pump(c, srv));
  // Requests sent, then cancelled before any answer (nghttp2 would drop a request whose
  // HEADERS it has not sent yet rather than reset it).
  auto burst = [&](int n) {
    std::vector<int32_t> ids;
    for (int k = 0; k < n; ++k) ids.push_back(c.request(Client::get("/r")));
    if (!pump(c, srv)) return false;
    for (int32_t id : ids) nghttp2_submit_rst_stream(c.s, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
    return pump(c, srv);
  };
  // 10 a second, twice, two seconds apart: under the limit.
  CHECK(burst(10));
  clock.now += 2000;
  CHECK(burst(10));
  CHECK(srv.tripped() == Abuse::none);
  CHECK(!c.goaway);
  // 11 within a second.
  clock.now += 2000;
  CHECK(!burst(11));
  CHECK(c.goaway);
  CHECK(c.goaway_code == NGHTTP2_ENHANCE_YOUR_CALM);
  CHECK(srv.tripped() == Abuse::resets);
  CHECK(std::string(abuse_name(srv.tripped())) == "resets");
  CHECK(srv.open_streams() == 0);
  CHECK(srv.done());
}

TEST_CASE("h2 abuse: the sliding window sees a burst straddling a second boundary") {
  Settings s;
  s.max_resets_per_s = 10;
  Conn c(s);
  CHECK(c.feed(times(10, [](int k) { return raw_headers(1 + 2 * k, Client::get(), true) + rst(1 + 2 * k); })));
  c.clock.now += 1100;   // a fixed window would have started afresh; 90% of the last one is still in view
  CHECK(c.feed(times(1, [](int k) { return raw_headers(21 + 2 * k, Client::get(), true) + rst(21 + 2 * k); })));
  CHECK(!c.feed(raw_headers(23, Client::get(), true) + rst(23)));
  CHECK(c.srv.tripped() == Abuse::resets);
  CHECK(c.calmed());
}

TEST_CASE("h2 abuse: resets the codec sends on its own (MadeYouReset) trip server_resets") {
  Settings s;
  s.max_server_resets_per_s = 5;
  auto malformed = [](int32_t id) {
    auto f = Client::get();
    f.push_back({"te", "gzip"});   // a stream error: RST_STREAM(PROTOCOL_ERROR) from the codec
    return raw_headers(id, f, true);
  };
  SUBCASE("five a second: each is only a stream error") {
    Conn c(s);
    CHECK(c.feed(times(5, [&](int k) { return malformed(1 + 2 * k); })));
    c.clock.now += 2000;
    CHECK(c.feed(times(5, [&](int k) { return malformed(11 + 2 * k); })));
    CHECK(c.srv.tripped() == Abuse::none);
    CHECK(c.serves(21));
  }
  SUBCASE("six: the connection goes") {
    Conn c(s);
    CHECK(!c.feed(times(6, [&](int k) { return malformed(1 + 2 * k); })));
    CHECK(c.srv.tripped() == Abuse::server_resets);
    CHECK(c.calmed());
  }
  SUBCASE("WINDOW_UPDATE overflowing a stream's window: a reset per stream, then the connection goes") {
    Conn c(s);
    auto overflow = [](int32_t id) { return post(id) + frame(NGHTTP2_WINDOW_UPDATE, 0, id, u32(0x7fffffff)); };
    CHECK(c.feed(times(5, [&](int k) { return overflow(1 + 2 * k); })));
    CHECK(c.o.reqs[9].close_code == NGHTTP2_FLOW_CONTROL_ERROR);
    CHECK(c.srv.tripped() == Abuse::none);
    CHECK(!c.feed(overflow(11)));
    CHECK(c.srv.tripped() == Abuse::server_resets);
    CHECK(c.calmed());
  }
  SUBCASE("streams refused beyond max_concurrent_streams before the ACK count as streams opened") {
    Settings t = s;
    t.max_concurrent_streams = 1;
    t.max_streams_per_s = 8;
    Owner o;
    Clock clock;
    Server srv(o, t);
    srv.set_clock(&Clock::get, &clock);
    // Our SETTINGS not acknowledged yet: 6 of 7 streams refused, no connection error.
    std::string in = kPreface + kEmptySettings + times(7, [](int k) { return raw_headers(1 + 2 * k, Client::get(), true); });
    CHECK(srv.feed(in.data(), in.size()));
    auto fr = frames_of(drain(srv));
    CHECK(std::count_if(fr.begin(), fr.end(), [](const Frame& f) {
            return f.type == NGHTTP2_RST_STREAM && be32(f.payload, 0) == NGHTTP2_REFUSED_STREAM;
          }) == 6);
    CHECK(srv.tripped() == Abuse::none);
    CHECK(o.reqs[1].heads == 1);
    // Two more: nine streams this second.
    in = raw_headers(15, Client::get(), true) + raw_headers(17, Client::get(), true);
    CHECK(!srv.feed(in.data(), in.size()));
    CHECK(srv.tripped() == Abuse::stream_churn);
  }
  SUBCASE("the owner's own resets and refusals are not counted") {
    Conn c(s);
    c.o.refuse = true;
    CHECK(c.feed(times(10, [](int k) { return raw_headers(1 + 2 * k, Client::get(), true); })));
    c.o.refuse = false;
    CHECK(c.feed(times(10, [](int k) { return raw_headers(21 + 2 * k, Client::get(), true); })));
    for (int32_t id = 21; id < 41; id += 2) c.srv.reset(id, ErrorCode::cancel);
    CHECK(c.o.reqs[39].closes == 0);
    drain(c.srv);
    CHECK(c.o.reqs[39].closes == 1);
    CHECK(c.srv.tripped() == Abuse::none);
    CHECK(c.serves(41));
  }
}

TEST_CASE("h2 abuse: streams opened per second trip stream_churn") {
  Settings s;
  s.max_streams_per_s = 10;
  SUBCASE("five a second for ten seconds") {
    Conn c(s);
    int32_t id = 1;
    for (int sec = 0; sec < 10; ++sec, c.clock.now += 1000)
      for (int k = 0; k < 5; ++k, id += 2) REQUIRE(c.feed(raw_headers(id, Client::get(), true)));
    CHECK(c.srv.tripped() == Abuse::none);
    CHECK(c.o.reqs[99].heads == 1);
  }
  SUBCASE("eleven at once") {
    Conn c(s);
    CHECK(c.feed(times(10, [](int k) { return raw_headers(1 + 2 * k, Client::get(), true); })));
    CHECK(!c.feed(raw_headers(21, Client::get(), true)));
    CHECK(c.srv.tripped() == Abuse::stream_churn);
    CHECK(c.o.reqs.count(21) == 0);   // the stream that tripped it never reached the owner
    CHECK(c.o.reqs[1].closes == 1);
    CHECK(c.calmed());
  }
}

TEST_CASE("h2 abuse: SETTINGS, PING and PRIORITY floods") {
  Settings s;
  s.max_settings_per_s = 10;   // the preface's SETTINGS and its ACK count: 2 sent by Conn
  s.max_pings_per_s = 10;
  s.max_priority_per_s = 10;
  SUBCASE("settings") {
    Conn c(s);
    CHECK(c.feed(times(8, [](int) { return kEmptySettings; })));
    CHECK(c.srv.tripped() == Abuse::none);
    c.clock.now += 2000;
    CHECK(c.feed(times(10, [](int) { return kEmptySettings; })));
    CHECK(!c.feed(kEmptySettings));
    CHECK(c.srv.tripped() == Abuse::settings_flood);
    CHECK(c.calmed());
  }
  SUBCASE("ping") {
    Conn c(s);
    CHECK(c.feed(times(10, [](int) { return ping(); })));
    c.clock.now += 2000;
    CHECK(c.feed(times(10, [](int) { return ping(); })));
    CHECK(c.serves(1));
    CHECK(!c.feed(ping()));
    CHECK(c.srv.tripped() == Abuse::ping_flood);
    CHECK(std::string(abuse_name(Abuse::ping_flood)) == "ping_flood");
    CHECK(c.calmed());
  }
  SUBCASE("priority") {
    Conn c(s);
    CHECK(c.feed(times(10, [](int k) { return priority(101 + 2 * k); })));
    c.clock.now += 2000;
    CHECK(c.feed(times(10, [](int k) { return priority(201 + 2 * k); })));
    CHECK(c.serves(1));
    CHECK(!c.feed(priority(301)));
    CHECK(c.srv.tripped() == Abuse::priority_flood);
    CHECK(c.calmed());
  }
}

TEST_CASE("h2 abuse: empty DATA frames without END_STREAM trip empty_data_flood") {
  Settings s;
  s.max_empty_data_per_s = 10;
  SUBCASE("ten a second, and empty ones ending a stream are not counted") {
    Conn c(s);
    CHECK(c.feed(post(1) + times(10, [](int) { return empty_data(1); })));
    c.clock.now += 2000;
    CHECK(c.feed(times(10, [](int) { return empty_data(1); })));
    CHECK(c.feed(post(3) + frame(NGHTTP2_DATA, NGHTTP2_FLAG_END_STREAM, 3, "")));
    CHECK(c.o.reqs[3].ends == 1);
    CHECK(c.srv.tripped() == Abuse::none);
    CHECK(c.feed(frame(NGHTTP2_DATA, 0, 1, "body")));   // a payload: not counted either
    CHECK(c.o.reqs[1].body == "body");
    CHECK(c.srv.tripped() == Abuse::none);
  }
  SUBCASE("eleven") {
    Conn c(s);
    CHECK(!c.feed(post(1) + times(11, [](int) { return empty_data(1); })));
    CHECK(c.srv.tripped() == Abuse::empty_data_flood);
    CHECK(c.o.reqs[1].closes == 1);
    CHECK(c.calmed());
  }
}

TEST_CASE("h2 abuse: a head decoding past header_list_limit is a 431; repeated ones trip header_list") {
  // An nghttp2 client indexes what it sends: 40 copies of a 2000-byte field cost a few hundred
  // bytes on the wire after the first, and decode to 81 KB.
  Settings s;
  s.max_too_large_heads_per_s = 3;
  Owner o;
  o.room_cap = 1 << 20;   // a room that would hold it: the limit is the codec's
  o.room_slots = 64;
  Clock clock;
  Server srv(o, s);
  srv.set_clock(&Clock::get, &clock);
  Client c(1 << 20);
  auto big = [](int copies) {
    auto f = Client::get("/big");
    for (int k = 0; k < copies; ++k) f.push_back({"x-bulk", std::string(2000, 'b')});
    return f;
  };
  int32_t fits = c.request(big(30));   // 61 KB decoded: under the default 64 KB
  int32_t bomb = c.request(big(40));
  REQUIRE(pump(c, srv));
  CHECK(o.reqs[fits].heads == 1);
  CHECK(o.reqs[bomb].heads == 0);
  CHECK(c.header(bomb, ":status") == "431");
  CHECK(o.reqs[bomb].closes == 1);
  // Two more this second: three 431s are still answers.
  c.request(big(40));
  c.request(big(40));
  REQUIRE(pump(c, srv));
  CHECK(srv.tripped() == Abuse::none);
  CHECK(!c.goaway);
  // The fourth within the second closes the connection.
  c.request(big(40));
  CHECK(!pump(c, srv));
  CHECK(c.goaway_code == NGHTTP2_ENHANCE_YOUR_CALM);
  CHECK(srv.tripped() == Abuse::header_list);
}

TEST_CASE("h2 abuse: 431s for heads overflowing the owner's room count too; max_header_list_size caps the limit") {
  Settings s;
  s.max_too_large_heads_per_s = 2;
  s.max_header_list_size = 500;   // advertised and smaller than header_list_limit: the limit
  Conn c(s);
  auto f = Client::get();
  f.push_back({"x-big", std::string(600, 'b')});
  CHECK(c.feed(raw_headers(1, f, true)));
  c.o.room_cap = 100;   // overflows the room: 431 too
  CHECK(c.feed(raw_headers(3, Client::get("/" + std::string(150, 'p')), true)));
  auto fr = frames_of(drain(c.srv));
  CHECK(std::count_if(fr.begin(), fr.end(), [](const Frame& x) { return x.type == NGHTTP2_HEADERS; }) == 2);
  CHECK(c.o.reqs[1].heads + c.o.reqs[3].heads == 0);
  CHECK(c.srv.tripped() == Abuse::none);
  CHECK(!c.feed(raw_headers(5, f, true)));
  CHECK(c.srv.tripped() == Abuse::header_list);
  CHECK(c.calmed());
}

TEST_CASE("h2 abuse: request trailers decoding past the limit reset the stream, and count") {
  Settings s;
  s.header_list_limit = 1000;
  s.max_too_large_heads_per_s = 1;
  Conn c(s);
  const std::vector<std::pair<std::string, std::string>> big = {{"x-trailer", std::string(2000, 't')}};
  CHECK(c.feed(post(1) + frame(NGHTTP2_DATA, 0, 1, "body") + raw_headers(1, big, true)));
  drain(c.srv);
  CHECK(c.o.reqs[1].body == "body");
  CHECK(c.o.reqs[1].ends == 0);
  CHECK(c.o.reqs[1].closes == 1);
  CHECK(c.o.reqs[1].close_code == NGHTTP2_INTERNAL_ERROR);
  // Small trailers are no excess.
  CHECK(c.feed(post(3) + raw_headers(3, {{"x-trailer", "t"}}, true)));
  CHECK(c.o.reqs[3].ends == 1);
  CHECK(c.srv.tripped() == Abuse::none);
  CHECK(!c.feed(post(5) + raw_headers(5, big, true)));
  CHECK(c.srv.tripped() == Abuse::header_list);
  CHECK(c.calmed());
}

TEST_CASE("h2 abuse: a client doing 1000 requests over 100 concurrent streams trips nothing") {
  Owner o;
  Clock clock;   // never moves: every request in the same millisecond is the worst case for rates
  Server srv(o, Settings{});
  srv.set_clock(&Clock::get, &clock);
  Client c;
  REQUIRE(pump(c, srv));
  H1Head resp("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n");
  std::vector<int32_t> ids;
  for (int round = 0; round < 10; ++round) {
    std::vector<int32_t> batch;
    for (int k = 0; k < 100; ++k) {
      std::string body = "up";
      int32_t id = k % 10 == 0 ? c.request({{":method", "POST"}, {":scheme", "https"}, {":authority", "x"}, {":path", "/p"}}, &body)
                               : c.request(Client::get("/" + std::to_string(k)));
      batch.push_back(id);
    }
    nghttp2_submit_ping(c.s, NGHTTP2_FLAG_NONE, nullptr);   // a keepalive now and then
    REQUIRE(pump(c, srv));
    for (int32_t id : batch) {
      REQUIRE(o.reqs[id].heads == 1);
      srv.consumed(id, o.reqs[id].body.size());
      o.reqs[id].response = "ok";
      REQUIRE(srv.submit_response(id, resp.head(), resp.text.data(), false));
    }
    REQUIRE(pump(c, srv));
    ids.insert(ids.end(), batch.begin(), batch.end());
  }
  CHECK(ids.size() == 1000);
  int ok = 0;
  for (int32_t id : ids) ok += c.header(id, ":status") == "200" && c.resp[id].body == "ok" && c.resp[id].closed;
  CHECK(ok == 1000);
  CHECK(!c.goaway);
  CHECK(srv.tripped() == Abuse::none);
}

TEST_CASE("h2 abuse: every reason has a name; hpack_churn is reserved") {
  for (Abuse a : {Abuse::none, Abuse::resets, Abuse::stream_churn, Abuse::settings_flood, Abuse::ping_flood,
                  Abuse::priority_flood, Abuse::empty_data_flood, Abuse::header_list, Abuse::hpack_churn,
                  Abuse::server_resets})
    CHECK(std::string(abuse_name(a)) != "unknown");
  CHECK(std::string(abuse_name(Abuse::server_resets)) == "server_resets");
}

TEST_CASE("h2 abuse: nghttp2's own limits are reported as the same abuse") {
  SUBCASE("PINGs whose ACKs are never read: nghttp2's queue of ACKs overflows") {
    Settings s;
    s.max_pings_per_s = 0;   // ours off: nghttp2's max_outbound_ack (1000 queued) is the limit
    Conn c(s);
    // The codec pulls up to 64 KB of control frames out of nghttp2 (3855 ACKs), then 1000
    // more wait in nghttp2's queue.
    bool ok = true;
    for (int k = 0; k < 6000 && ok; ++k) ok = c.feed(ping());
    CHECK(!ok);
    CHECK(c.srv.tripped() == Abuse::ping_flood);
    CHECK(c.calmed());
  }
  SUBCASE("RST_STREAM beyond nghttp2's token bucket (1000, then 33 a second): GOAWAY INTERNAL_ERROR") {
    // nghttp2's bucket runs on its own clock: 1500 resets leave it 15 s of slack.
    Settings s;
    s.max_resets_per_s = 0;   // ours off
    s.max_streams_per_s = 0;
    Conn c(s);
    int32_t id = 1;
    while (id < 3000 && c.feed(raw_headers(id, Client::get(), true) + rst(id))) id += 2;
    CHECK(id >= 2001);   // not before its burst of 1000
    CHECK(id < 3000);
    auto fr = frames_of(drain(c.srv));
    REQUIRE(!fr.empty());
    CHECK(fr.back().type == NGHTTP2_GOAWAY);
    CHECK(be32(fr.back().payload, 4) == NGHTTP2_INTERNAL_ERROR);   // nghttp2's code, not ours
    CHECK(c.srv.tripped() == Abuse::resets);
    CHECK(!c.feed(ping()));
    CHECK(c.srv.done());
  }
}
