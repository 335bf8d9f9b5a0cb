// The HTTP/2 server codec driven by an nghttp2 client session in memory: what the client sends
// goes through Server::feed, what the server writes reaches the client's mem_recv. Every
// assertion is about what the owner (the proxy) or the client sees.
#include "h2_test_support.h"

using namespace portero::http;
using namespace portero::http::h2;
using namespace h2test;

TEST_CASE("h2: a GET reaches the owner as a Head: pseudo-fields, headers, cookies joined last") {
  Owner o;
  Server srv(o, Settings{});
  o.server = &srv;
  Client c;
  auto f = Client::get("/p?q=1");
  f.push_back({"user-agent", "t/1"});
  f.push_back({"cookie", "a=1"});
  f.push_back({"accept", "*/*"});
  f.push_back({"cookie", "b=2"});
  f.push_back({"cookie", "c=3"});
  int32_t id = c.request(f);
  REQUIRE(pump(c, srv));

  REQUIRE(o.reqs.count(id));
  const Owner::Req& r = o.reqs[id];
  CHECK(r.heads == 1);
  CHECK(r.method == "GET");
  CHECK(r.target == "/p?q=1");
  CHECK(r.scheme == "https");
  CHECK(r.authority == "example.test");
  CHECK(r.major == 2);
  CHECK(r.head_end_stream);
  CHECK(r.ends == 1);
  CHECK(r.body.empty());
  CHECK(r.headers == std::vector<std::pair<std::string, std::string>>{
                         {"user-agent", "t/1"}, {"accept", "*/*"}, {"cookie", "a=1; b=2; c=3"}});
  CHECK(srv.open_streams() == 1);

  // The owner answers without a body: the stream closes on both sides.
  H1Head resp("HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n");
  REQUIRE(srv.submit_response(id, resp.head(), resp.text.data(), true));
  REQUIRE(pump(c, srv));
  CHECK(c.resp[id].closed);
  CHECK(c.resp[id].close_code == 0);
  CHECK(c.header(id, ":status") == "204");
  CHECK(c.header(id, "x-a") == "1");
  CHECK(o.reqs[id].closes == 1);
  CHECK(o.reqs[id].close_code == 0);
  CHECK(srv.open_streams() == 0);
  CHECK(o.events == std::vector<std::string>{"open 1", "head 1", "end 1", "closed 1"});
}

TEST_CASE("h2: without :authority, Host carries it; with both, :authority wins and Host goes") {
  Owner o;
  Server srv(o, Settings{});
  Client c;
  int32_t a = c.request({{":method", "GET"}, {":scheme", "http"}, {":path", "/"}, {"host", "h.test:8080"}});
  int32_t b = c.request({{":method", "GET"}, {":scheme", "http"}, {":authority", "a.test"}, {":path", "/"}, {"host", "evil.test"}});
  int32_t d = c.request({{":method", "GET"}, {":scheme", "http"}, {":authority", "A.test"}, {":path", "/"}, {"host", "a.TEST"}});
  REQUIRE(pump(c, srv));
  CHECK(o.reqs[a].authority == "h.test:8080");
  CHECK(o.reqs[b].heads == 1);
  CHECK(o.reqs[b].authority == "a.test");
  CHECK(o.reqs[b].headers.empty());   // no Host left to disagree with it
  CHECK(o.reqs[d].heads == 1);
  CHECK(o.reqs[d].authority == "A.test");
}

TEST_CASE("h2: a POST body over several DATA frames arrives in order, ended once") {
  Owner o;
  Server srv(o, Settings{});
  Client c;
  std::string body;
  for (int i = 0; i < 12000; ++i) body += char('a' + i % 26);
  // The client's provider hands out at most 4000 bytes at a time: several DATA frames.
  int32_t id = c.request({{":method", "POST"}, {":scheme", "https"}, {":authority", "x"}, {":path", "/up"},
                          {"content-length", std::to_string(body.size())}},
                         &body);
  REQUIRE(pump(c, srv));
  const Owner::Req& r = o.reqs[id];
  CHECK(r.heads == 1);
  CHECK(!r.head_end_stream);
  CHECK(r.has_length);
  CHECK(r.content_length == body.size());
  CHECK(r.body == body);
  CHECK(r.ends == 1);
  CHECK(o.events == std::vector<std::string>{"open 1", "head 1", "end 1"});
}

TEST_CASE("h2: request trailers end the request once, after the body") {
  Owner o;
  Server srv(o, Settings{});
  Client c;
  std::string body(5000, 'g');
  c.trailer_names[1] = "grpc-timeout";
  int32_t id = c.request({{":method", "POST"}, {":scheme", "http"}, {":authority", "g"}, {":path", "/svc/M"},
                          {"te", "trailers"}},
                         &body);
  REQUIRE(id == 1);
  REQUIRE(pump(c, srv));
  CHECK(o.reqs[id].body == body);
  CHECK(o.reqs[id].ends == 1);
  CHECK(o.events == std::vector<std::string>{"open 1", "head 1", "end 1"});
}

TEST_CASE("h2: the owner resets a stream from inside on_request_head: no more request events") {
  struct Resetting : Owner {
    void on_request_head(int32_t id, const Head& h, const char* base, bool end_stream) override {
      Owner::on_request_head(id, h, base, end_stream);
      server->reset(id, ErrorCode::refused_stream);
    }
  } o;
  Server srv(o, Settings{});
  o.server = &srv;
  Client c;
  std::string body(3000, 'r');
  int32_t id = c.request({{":method", "POST"}, {":scheme", "http"}, {":authority", "x"}, {":path", "/"}}, &body);
  REQUIRE(pump(c, srv));
  CHECK(o.reqs[id].body.empty());
  CHECK(o.events == std::vector<std::string>{"open 1", "head 1", "closed 1"});
  CHECK(o.reqs[id].close_code == NGHTTP2_REFUSED_STREAM);
  CHECK(c.resp[id].close_code == NGHTTP2_REFUSED_STREAM);
}

TEST_CASE("h2: a 10 KB response body pulled in pieces, with a pause, arrives whole") {
  Owner o;
  Server srv(o, Settings{});
  Client c;
  int32_t id = c.request(Client::get());
  REQUIRE(pump(c, srv));
  std::string body;
  for (int i = 0; i < 10240; ++i) body += char('A' + i % 23);
  o.reqs[id].response = body;
  o.reqs[id].piece = 700;
  o.reqs[id].pause_at = 5000;
  H1Head resp(
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10240\r\nConnection: keep-alive, X-Hop\r\n"
      "Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nUpgrade: h2c\r\nX-Hop: 1\r\nX-Kept: yes\r\n\r\n");
  REQUIRE(srv.submit_response(id, resp.head(), resp.text.data(), false));
  REQUIRE(pump(c, srv));
  CHECK(o.reqs[id].paused);
  CHECK(c.resp[id].body.size() == 5000);
  CHECK(!c.resp[id].closed);
  srv.resume(id);
  REQUIRE(pump(c, srv));
  CHECK(c.resp[id].body == body);
  CHECK(c.resp[id].closed);
  CHECK(c.resp[id].close_code == 0);

  // Connection-specific fields and what Connection names are not sent; names are lower-case.
  std::vector<std::string> names;
  for (auto& [n, v] : c.resp[id].headers) names.push_back(n);
  CHECK(names == std::vector<std::string>{":status", "content-type", "content-length", "x-kept"});
  CHECK(o.reqs[id].closes == 1);
}

TEST_CASE("h2: output taken a few bytes at a time while the client keeps sending stays well-formed") {
  // Each round: the client sends a PING (its ACK is queued while a DATA frame is only partly
  // written out), the server's output is read 37 bytes at a time, once. Hundreds of PINGs in
  // a few milliseconds: the PING rate limit (h2_abuse_test.cpp) is off here.
  Owner o;
  Settings cfg;
  cfg.max_pings_per_s = 0;
  Server srv(o, cfg);
  Client c;
  int32_t id = c.request(Client::get());
  REQUIRE(pump(c, srv));
  std::string body;
  for (int i = 0; i < 10000; ++i) body += char('a' + i % 17);
  o.reqs[id].response = body;
  o.reqs[id].piece = 3000;
  H1Head resp("HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n");
  REQUIRE(srv.submit_response(id, resp.head(), resp.text.data(), false));
  std::string all;
  for (int round = 0; round < 2000 && !c.resp[id].closed; ++round) {
    uint8_t opaque[8] = {uint8_t(round), 1, 2, 3, 4, 5, 6, 7};
    nghttp2_submit_ping(c.s, NGHTTP2_FLAG_NONE, opaque);
    const uint8_t* d;
    ssize_t n;
    while ((n = nghttp2_session_mem_send(c.s, &d)) > 0) REQUIRE(srv.feed((const char*)d, size_t(n)));
    char buf[37];
    size_t k = srv.fill_output(buf, sizeof buf);
    REQUIRE(nghttp2_session_mem_recv(c.s, (const uint8_t*)buf, k) == ssize_t(k));
  }
  CHECK(c.resp[id].body == body);
  CHECK(c.resp[id].closed);
  CHECK(!c.goaway);
}

TEST_CASE("h2: a chunked HTTP/1 response: transfer-encoding dropped, trailers reach the client") {
  Owner o;
  Server srv(o, Settings{});
  Client c;
  int32_t id = c.request({{":method", "POST"}, {":scheme", "http"}, {":authority", "g"}, {":path", "/svc/M"},
                          {"content-type", "application/grpc"}, {"te", "trailers"}});
  REQUIRE(pump(c, srv));
  CHECK(o.reqs[id].headers[1] == std::pair<std::string, std::string>{"te", "trailers"});
  o.reqs[id].response = "\0\0\0\0\x02hi";
  H1Head resp("HTTP/1.1 200 OK\r\nContent-Type: application/grpc\r\nTransfer-Encoding: chunked\r\n\r\n");
  H1Head trailers("HTTP/1.1 200 OK\r\nGrpc-Status: 0\r\nGrpc-Message: ok\r\n\r\n");
  REQUIRE(srv.submit_response(id, resp.head(), resp.text.data(), false));
  REQUIRE(srv.submit_trailers(id, trailers.head(), trailers.text.data()));
  CHECK(!srv.submit_trailers(id, trailers.head(), trailers.text.data()));   // once
  REQUIRE(pump(c, srv));
  CHECK(c.header(id, "transfer-encoding") == "<none>");
  CHECK(c.resp[id].body == o.reqs[id].response);
  CHECK(c.resp[id].trailers ==
        std::vector<std::pair<std::string, std::string>>{{"grpc-status", "0"}, {"grpc-message", "ok"}});
  CHECK(c.resp[id].closed);
  CHECK(c.resp[id].close_code == 0);
  // After the body ended, trailers are too late.
  CHECK(!srv.submit_trailers(id, trailers.head(), trailers.text.data()));
}

TEST_CASE("h2: an interim 100 response, then the final one") {
  Owner o;
  Server srv(o, Settings{});
  Client c;
  int32_t id = c.request(Client::get());
  REQUIRE(pump(c, srv));
  H1Head cont("HTTP/1.1 100 Continue\r\n\r\n");
  H1Head fin("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  REQUIRE(srv.submit_response(id, cont.head(), cont.text.data(), false));
  REQUIRE(srv.submit_response(id, fin.head(), fin.text.data(), true));
  CHECK(!srv.submit_response(id, fin.head(), fin.text.data(), true));   // answered already
  REQUIRE(pump(c, srv));
  CHECK(c.resp[id].headers.front() == std::pair<std::string, std::string>{":status", "100"});
  CHECK(c.resp[id].closed);
}

TEST_CASE("h2: flow control: the client's window reopens only after consumed()") {
  Owner o;
  Server srv(o, small_window());
  Client c;
  REQUIRE(pump(c, srv));   // SETTINGS exchanged first: the client knows the 16 KB window
  std::string body(50000, 'z');
  int32_t id = c.request({{":method", "PUT"}, {":scheme", "http"}, {":authority", "x"}, {":path", "/f"}}, &body);
  REQUIRE(pump(c, srv));
  CHECK(o.reqs[id].body.size() == 16384);
  REQUIRE(pump(c, srv));
  CHECK(o.reqs[id].body.size() == 16384);   // nothing more without consumed()

  srv.consumed(id, 10000);
  REQUIRE(pump(c, srv));
  CHECK(o.reqs[id].body.size() == 26384);
  for (int i = 0; i < 10 && o.reqs[id].ends == 0; ++i) {
    srv.consumed(id, o.reqs[id].body.size());   // more than outstanding: capped, harmless
    REQUIRE(pump(c, srv));
  }
  CHECK(o.reqs[id].body == body);
  CHECK(o.reqs[id].ends == 1);
}

TEST_CASE("h2: stalled streams do not hold the others back") {
  // Two streams fill their whole (default) window and are not consumed: 2 x 65535 bytes,
  // more than a connection window of 65535 would allow. A third stream still gets through.
  Owner o;
  Server srv(o, Settings{});
  Client c;
  REQUIRE(pump(c, srv));
  std::string body(100000, 'y');
  auto post = [&](const char* path) {
    return c.request({{":method", "POST"}, {":scheme", "http"}, {":authority", "x"}, {":path", path}}, &body);
  };
  int32_t slow1 = post("/a");
  int32_t slow2 = post("/b");
  REQUIRE(pump(c, srv));
  CHECK(o.reqs[slow1].body.size() == 65535);
  CHECK(o.reqs[slow2].body.size() == 65535);
  int32_t fast = post("/c");
  for (int i = 0; i < 20 && o.reqs[fast].ends == 0; ++i) {
    REQUIRE(pump(c, srv));
    srv.consumed(fast, 1 << 20);
  }
  CHECK(o.reqs[fast].body == body);
  CHECK(o.reqs[slow1].body.size() == 65535);
}

TEST_CASE("h2: a reset stream's unconsumed bytes go back to the connection window") {
  // One stream at a time: the connection window is not raised above the stream's.
  Settings s;
  s.max_concurrent_streams = 1;
  Owner o;
  Server srv(o, s);
  Client c;
  REQUIRE(pump(c, srv));
  std::string body(100000, 'y');
  auto post = [&](const char* path) {
    return c.request({{":method", "POST"}, {":scheme", "http"}, {":authority", "x"}, {":path", path}}, &body);
  };
  int32_t slow = post("/a");
  REQUIRE(pump(c, srv));
  CHECK(o.reqs[slow].body.size() == 65535);
  CHECK(nghttp2_session_get_remote_window_size(c.s) == 0);
  srv.reset(slow, ErrorCode::cancel);
  REQUIRE(pump(c, srv));
  CHECK(c.resp[slow].close_code == NGHTTP2_CANCEL);
  CHECK(o.reqs[slow].closes == 1);
  CHECK(o.reqs[slow].close_code == NGHTTP2_CANCEL);
  int32_t next = post("/b");
  for (int i = 0; i < 20 && o.reqs[next].ends == 0; ++i) {
    REQUIRE(pump(c, srv));
    srv.consumed(next, 1 << 20);
  }
  CHECK(o.reqs[next].body == body);
}

TEST_CASE("h2: malformed requests are stream errors, other streams go on") {
  Owner o;
  Server srv(o, Settings{});
  Client c;
  int32_t good1 = c.request(Client::get("/1"));
  auto te = Client::get("/t");
  te.push_back({"te", "gzip"});   // only "trailers" is allowed
  int32_t bad_te = c.request(te);
  auto conn = Client::get("/c");
  conn.push_back({"connection", "keep-alive"});
  int32_t bad_conn = c.request(conn);
  int32_t bad_path = c.request({{":method", "GET"}, {":scheme", "https"}, {":authority", "x"}});
  int32_t fragment = c.request(Client::get("/a#b"));
  int32_t good2 = c.request(Client::get("/2"));
  REQUIRE(pump(c, srv));
  for (int32_t id : {bad_te, bad_conn, bad_path, fragment}) {
    CAPTURE(id);
    CHECK(c.resp[id].closed);
    CHECK(c.resp[id].close_code == NGHTTP2_PROTOCOL_ERROR);
    CHECK(o.reqs[id].heads == 0);
    CHECK(o.reqs[id].closes == 1);
  }
  CHECK(!c.goaway);
  CHECK(o.reqs[good1].target == "/1");
  CHECK(o.reqs[good2].target == "/2");
  H1Head resp("HTTP/1.1 200 OK\r\n\r\n");
  REQUIRE(srv.submit_response(good2, resp.head(), resp.text.data(), true));
  REQUIRE(pump(c, srv));
  CHECK(c.header(good2, ":status") == "200");
  CHECK(srv.open_streams() == 1);   // good1 still waits for its answer
}

TEST_CASE("h2: an upper-case field name is a stream error") {
  // nghttp2 clients lower-case what they send: this one is written by hand.
  Owner o;
  Server srv(o, Settings{});
  auto upper = Client::get("/u");
  upper.push_back({"X-Upper", "1"});
  std::string in = kPreface + kEmptySettings + raw_headers(1, upper, true) + raw_headers(3, Client::get("/ok"), true);
  REQUIRE(srv.feed(in.data(), in.size()));
  bool reset1 = false;
  for (const Frame& f : frames_of(drain(srv)))
    if (f.type == NGHTTP2_RST_STREAM && f.id == 1) reset1 = be32(f.payload, 0) == NGHTTP2_PROTOCOL_ERROR;
  CHECK(reset1);
  CHECK(o.reqs[1].heads == 0);
  CHECK(o.reqs[1].closes == 1);
  CHECK(o.reqs[1].close_code == NGHTTP2_PROTOCOL_ERROR);
  CHECK(o.reqs[3].target == "/ok");
  CHECK(srv.open_streams() == 1);
}

TEST_CASE("h2: max_concurrent_streams: an extra stream is refused, then the connection fails") {
  Settings s;
  s.max_concurrent_streams = 2;
  Owner o;
  Server srv(o, s);
  // A client that ignores the limit. Before it acknowledged the SETTINGS: REFUSED_STREAM.
  std::string in = kPreface + kEmptySettings;
  in += raw_headers(1, Client::get(), true);
  in += raw_headers(3, Client::get(), true);
  in += raw_headers(5, Client::get(), true);
  REQUIRE(srv.feed(in.data(), in.size()));
  std::string out = drain(srv);
  bool refused5 = false;
  for (const Frame& f : frames_of(out))
    if (f.type == NGHTTP2_RST_STREAM && f.id == 5) refused5 = be32(f.payload, 0) == NGHTTP2_REFUSED_STREAM;
  CHECK(refused5);
  CHECK(o.reqs[1].heads == 1);
  CHECK(o.reqs[3].heads == 1);
  CHECK(o.reqs[5].heads == 0);
  CHECK(srv.open_streams() == 2);
  // After the ACK the limit is the client's to know: exceeding it is a connection error.
  in = kSettingsAck + raw_headers(7, Client::get(), true);
  CHECK(!srv.feed(in.data(), in.size()));
  out = drain(srv);
  auto fr = frames_of(out);
  REQUIRE(!fr.empty());
  CHECK(fr.back().type == NGHTTP2_GOAWAY);
  CHECK(be32(fr.back().payload, 4) == NGHTTP2_PROTOCOL_ERROR);
  CHECK(o.reqs[1].closes == 1);
  CHECK(o.reqs[3].closes == 1);
  CHECK(srv.open_streams() == 0);
  CHECK(srv.done());
}

TEST_CASE("h2: a conforming client waits for a stream slot") {
  Settings s;
  s.max_concurrent_streams = 1;
  Owner o;
  Server srv(o, s);
  Client c;
  REQUIRE(pump(c, srv));
  int32_t a = c.request(Client::get("/a"));
  int32_t b = c.request(Client::get("/b"));
  REQUIRE(pump(c, srv));
  CHECK(o.reqs[a].heads == 1);
  CHECK(o.reqs.count(b) == 0);
  H1Head resp("HTTP/1.1 200 OK\r\n\r\n");
  REQUIRE(srv.submit_response(a, resp.head(), resp.text.data(), true));
  REQUIRE(pump(c, srv));
  CHECK(o.reqs[b].heads == 1);
}

TEST_CASE("h2: a garbage preface: feed false, GOAWAY PROTOCOL_ERROR, done") {
  Owner o;
  Server srv(o, Settings{});
  const std::string junk = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  CHECK(!srv.feed(junk.data(), junk.size()));
  CHECK(srv.wants_write());
  auto fr = frames_of(drain(srv));
  REQUIRE(fr.size() >= 2);
  CHECK(fr.front().type == NGHTTP2_SETTINGS);
  CHECK(fr.back().type == NGHTTP2_GOAWAY);
  CHECK(be32(fr.back().payload, 4) == NGHTTP2_PROTOCOL_ERROR);
  CHECK(srv.done());
  CHECK(!srv.feed("x", 1));
  CHECK(o.events.empty());
}

TEST_CASE("h2: a protocol error after the preface (frame on stream 0): feed false, GOAWAY") {
  Owner o;
  Server srv(o, Settings{});
  std::string in = kPreface + kEmptySettings + raw_headers(0, Client::get(), true);
  CHECK(!srv.feed(in.data(), in.size()));
  auto fr = frames_of(drain(srv));
  REQUIRE(!fr.empty());
  CHECK(fr.back().type == NGHTTP2_GOAWAY);
  CHECK(be32(fr.back().payload, 4) == NGHTTP2_PROTOCOL_ERROR);
  CHECK(srv.done());
}

TEST_CASE("h2: shutdown_notice lets an open stream finish, then done") {
  Owner o;
  Server srv(o, Settings{});
  Client c;
  int32_t id = c.request(Client::get());
  REQUIRE(pump(c, srv));
  srv.shutdown_notice();
  REQUIRE(pump(c, srv));
  CHECK(c.goaway);
  CHECK(c.goaway_code == NGHTTP2_NO_ERROR);
  CHECK(c.goaway_last == id);
  CHECK(!srv.done());
  o.reqs[id].response = "bye";
  H1Head resp("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n");
  REQUIRE(srv.submit_response(id, resp.head(), resp.text.data(), false));
  REQUIRE(pump(c, srv));
  CHECK(c.resp[id].body == "bye");
  CHECK(c.resp[id].closed);
  CHECK(c.resp[id].close_code == 0);
  CHECK(srv.done());
}

TEST_CASE("h2: terminate closes every open stream for the owner") {
  Owner o;
  Server srv(o, Settings{});
  Client c;
  int32_t a = c.request(Client::get("/a"));
  int32_t b = c.request(Client::get("/b"));
  REQUIRE(pump(c, srv));
  srv.terminate(ErrorCode::internal_error);
  CHECK(o.reqs[a].closes == 1);
  CHECK(o.reqs[b].closes == 1);
  CHECK(o.reqs[b].close_code == NGHTTP2_INTERNAL_ERROR);
  pump(c, srv);
  CHECK(c.goaway);
  CHECK(c.goaway_code == NGHTTP2_INTERNAL_ERROR);
  CHECK(srv.done());
  CHECK(o.reqs[a].closes == 1);   // once
}

TEST_CASE("h2: a head larger than the owner's room is answered 431, without crash") {
  Owner o;
  o.room_cap = 200;
  Server srv(o, Settings{});
  Client c;
  auto f = Client::get();
  f.push_back({"x-big", std::string(300, 'b')});
  int32_t big = c.request(f);
  int32_t small = c.request(Client::get("/s"));
  // Too many fields for the slots is the same overflow.
  auto many = Client::get("/m");
  for (int i = 0; i < 40; ++i) many.push_back({"x-" + std::to_string(i), "1"});
  int32_t toomany = c.request(many);
  REQUIRE(pump(c, srv));
  for (int32_t id : {big, toomany}) {
    CAPTURE(id);
    CHECK(o.reqs[id].heads == 0);
    CHECK(c.header(id, ":status") == "431");
    CHECK(c.resp[id].closed);
    CHECK(o.reqs[id].closes == 1);
  }
  CHECK(o.reqs[small].target == "/s");
  // Cookies joined past the room's end are an overflow too.
  Owner o2;
  o2.room_cap = 120;
  Server srv2(o2, Settings{});
  Client c2;
  auto ck = Client::get();
  ck.push_back({"cookie", std::string(30, 'a')});
  ck.push_back({"cookie", std::string(30, 'b')});
  int32_t cid = c2.request(ck);
  REQUIRE(pump(c2, srv2));
  CHECK(o2.reqs[cid].heads == 0);
  CHECK(c2.header(cid, ":status") == "431");
}

TEST_CASE("h2: a refused stream gets REFUSED_STREAM and no more events") {
  Owner o;
  o.refuse = true;
  Server srv(o, Settings{});
  Client c;
  std::string body(100, 'q');
  int32_t id = c.request({{":method", "POST"}, {":scheme", "http"}, {":authority", "x"}, {":path", "/"}}, &body);
  REQUIRE(pump(c, srv));
  CHECK(c.resp[id].closed);
  CHECK(c.resp[id].close_code == NGHTTP2_REFUSED_STREAM);
  CHECK(o.events == std::vector<std::string>{"open 1"});
}

TEST_CASE("h2: a response ending before the upload stops it with RST_STREAM(NO_ERROR)") {
  Owner o;
  Server srv(o, small_window());
  Client c;
  REQUIRE(pump(c, srv));
  std::string body(50000, 'u');
  int32_t id = c.request({{":method", "POST"}, {":scheme", "http"}, {":authority", "x"}, {":path", "/"}}, &body);
  REQUIRE(pump(c, srv));
  H1Head resp("HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n");
  REQUIRE(srv.submit_response(id, resp.head(), resp.text.data(), true));
  REQUIRE(pump(c, srv));
  CHECK(c.header(id, ":status") == "413");
  CHECK(c.resp[id].closed);
  CHECK(c.resp[id].close_code == NGHTTP2_NO_ERROR);
  CHECK(o.reqs[id].closes == 1);
  CHECK(o.reqs[id].ends == 0);
  CHECK(srv.open_streams() == 0);
}

TEST_CASE("h2: extended CONNECT (RFC 8441) is an upgrade with its protocol") {
  Owner o;
  Server srv(o, Settings{});
  Client c;
  REQUIRE(pump(c, srv));   // the client must have seen SETTINGS_ENABLE_CONNECT_PROTOCOL
  CHECK(nghttp2_session_get_remote_settings(c.s, NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL) == 1);
  int32_t ws = c.request({{":method", "CONNECT"}, {":protocol", "websocket"}, {":scheme", "https"},
                          {":authority", "w.test"}, {":path", "/chat"}, {"sec-websocket-version", "13"}},
                         nullptr);
  int32_t tunnel = c.request({{":method", "CONNECT"}, {":authority", "t.test:443"}});
  REQUIRE(pump(c, srv));
  CHECK(o.reqs[ws].upgrade);
  CHECK(o.reqs[ws].protocol == "websocket");
  CHECK(o.reqs[ws].target == "/chat");
  CHECK(o.reqs[ws].method == "CONNECT");
  CHECK(!o.reqs[tunnel].upgrade);
  CHECK(o.reqs[tunnel].target == "t.test:443");
  CHECK(o.reqs[tunnel].authority == "t.test:443");
  // 101 does not exist on HTTP/2.
  H1Head sw("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n");
  CHECK(!srv.submit_response(ws, sw.head(), sw.text.data(), false));
}
