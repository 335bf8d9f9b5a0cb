// The HTTP/2 client codec (h2_client.h) against portero's own server codec, in memory: requests
// made of HTTP/1-style heads, responses with and without bodies, trailers, flow control held
// until the owner consumed, resets, the server's stream limit and GOAWAY.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "portero/http/h2_client.h"
#include "h2_test_support.h"

namespace {

using namespace portero::http;
using namespace portero::http::h2;

struct ClientRec : ClientOwner {
  struct Resp {
    std::vector<int> statuses;
    std::vector<std::pair<std::string, std::string>> headers, trailers;
    std::string body;
    bool has_length = false, head_end = false;
    int ends = 0, closes = 0;
    uint32_t code = 0xffffffff;
  };
  std::map<int32_t, Resp> resp;
  std::map<int32_t, std::string> uploads;
  std::map<int32_t, size_t> sent;
  std::map<int32_t, bool> upload_done;   // false: more comes later (resume)
  Client* client = nullptr;
  bool consume = true;

  void on_response_head(int32_t id, const Head& h, const char* base, bool end_stream) override {
    Resp& r = resp[id];
    r.statuses.push_back(h.status);
    if (h.status < 200) return;
    for (uint16_t i = 0; i < h.count; ++i)
      r.headers.emplace_back(std::string(h.headers[i].name.in(base)), std::string(h.headers[i].value.in(base)));
    r.has_length = h.has_length;
    r.head_end = end_stream;
  }
  void on_response_data(int32_t id, const char* p, size_t n) override {
    resp[id].body.append(p, n);
    if (consume) client->consumed(id, n);
  }
  void on_response_trailers(int32_t id, const Head& t, const char* base) override {
    for (uint16_t i = 0; i < t.count; ++i)
      resp[id].trailers.emplace_back(std::string(t.headers[i].name.in(base)), std::string(t.headers[i].value.in(base)));
  }
  void on_response_end(int32_t id) override { resp[id].ends++; }
  void on_stream_closed(int32_t id, uint32_t code) override {
    resp[id].closes++;
    resp[id].code = code;
  }
  size_t request_data(int32_t id, char* out, size_t cap, bool& eof, bool& more_later) override {
    const std::string& u = uploads[id];
    const size_t n = std::min(cap, u.size() - sent[id]);
    std::memcpy(out, u.data() + sent[id], n);
    sent[id] += n;
    if (sent[id] == u.size() && upload_done[id]) eof = true;
    else if (n == 0) more_later = true;
    return n;
  }
};

// Moves bytes both ways until neither side has anything to say.
void pump(Client& c, Server& s) {
  char buf[16384];
  for (int round = 0; round < 10000; ++round) {
    bool moved = false;
    if (size_t n = c.fill_output(buf, sizeof buf)) {
      s.feed(buf, n);
      moved = true;
    }
    if (size_t n = s.fill_output(buf, sizeof buf)) {
      c.feed(buf, n);
      moved = true;
    }
    if (!moved) return;
  }
  FAIL("pump did not settle");
}

struct Pair {
  h2test::Owner so;
  ClientRec co;
  Settings settings;
  Server server{so, settings};
  Client client{co, settings};
  Pair() {
    so.server = &server;
    co.client = &client;
  }
};

struct H1Request {
  std::string text;
  Header slots[32];
  Parser parser{Parser::Kind::request};
  explicit H1Request(std::string t) : text(std::move(t)) {
    parser.begin(text.data(), 0, slots, 32);
    parser.feed(0, uint32_t(text.size()));
    REQUIRE(parser.head_done());
  }
  const Head& head() const { return parser.head(); }
};

}  // namespace

TEST_CASE("h2 client: a GET made of an HTTP/1 head, answered with a body") {
  Pair p;
  H1Request rq("GET /a?b=1 HTTP/1.1\r\nHost: example.test\r\nConnection: keep-alive, x-hop\r\nX-Hop: 1\r\n"
               "TE: gzip\r\nUser-Agent: t\r\n\r\n");
  const int32_t id = p.client.submit_request(rq.head(), rq.text.data(), true);
  REQUIRE(id == 1);
  pump(p.client, p.server);
  auto& got = p.so.reqs[id];
  CHECK(got.method == "GET");
  CHECK(got.target == "/a?b=1");
  // origin form: :scheme https and Host as a field (the server codec takes it as the authority)
  CHECK(got.scheme == "https");
  CHECK(got.authority == "example.test");
  // connection-specific fields are not sent (those Connection names are: haproxy sends them);
  // TE without trailers neither
  CHECK(got.headers == std::vector<std::pair<std::string, std::string>>{
                           {"host", "example.test"}, {"x-hop", "1"}, {"user-agent", "t"}});
  h2test::H1Head resp("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\n");
  got.response = "hello";
  REQUIRE(p.server.submit_response(id, resp.head(), resp.text.data(), false));
  pump(p.client, p.server);
  auto& r = p.co.resp[id];
  CHECK(r.statuses == std::vector<int>{200});
  CHECK(r.has_length);
  CHECK(r.body == "hello");
  CHECK(r.ends == 1);
  CHECK(r.closes == 1);
  CHECK(r.code == 0);
  CHECK(p.client.open_streams() == 0);
}

TEST_CASE("h2 client: absolute-form target gives :authority and :path; a body is pulled") {
  Pair p;
  H1Request rq("POST http://abs.test:8080/up HTTP/1.1\r\nHost: abs.test:8080\r\nContent-Length: 100000\r\n\r\n");
  const int32_t id = p.client.submit_request(rq.head(), rq.text.data(), false);
  REQUIRE(id > 0);
  p.co.uploads[id] = std::string(100000, 'x');
  p.co.upload_done[id] = true;
  p.so.reqs[id];   // the server owner consumes what it gets (below)
  for (int i = 0; i < 50 && p.so.reqs[id].ends == 0; ++i) {
    pump(p.client, p.server);
    p.server.consumed(id, p.so.reqs[id].body.size());
  }
  auto& got = p.so.reqs[id];
  CHECK(got.authority == "abs.test:8080");
  CHECK(got.target == "/up");
  CHECK(got.scheme == "http");
  // Host goes: :authority says it
  CHECK(got.headers == std::vector<std::pair<std::string, std::string>>{{"content-length", "100000"}});
  CHECK(got.body.size() == 100000);
  CHECK(got.ends == 1);
}

TEST_CASE("h2 client: trailers after the body, interim responses first") {
  Pair p;
  H1Request rq("GET / HTTP/1.1\r\nHost: h\r\nTE: trailers, deflate\r\n\r\n");
  const int32_t id = p.client.submit_request(rq.head(), rq.text.data(), true);
  pump(p.client, p.server);
  CHECK(p.so.reqs[id].headers == std::vector<std::pair<std::string, std::string>>{{"host", "h"}, {"te", "trailers"}});
  h2test::H1Head early("HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n");
  REQUIRE(p.server.submit_response(id, early.head(), early.text.data(), false));
  h2test::H1Head resp("HTTP/1.1 200 OK\r\nContent-Type: application/grpc\r\n\r\n");
  p.so.reqs[id].response = "abc";
  REQUIRE(p.server.submit_response(id, resp.head(), resp.text.data(), false));
  h2test::H1Head trl("HTTP/1.1 200 OK\r\ngrpc-status: 0\r\ngrpc-message: ok\r\n\r\n");
  REQUIRE(p.server.submit_trailers(id, trl.head(), trl.text.data()));
  pump(p.client, p.server);
  auto& r = p.co.resp[id];
  CHECK(r.statuses == std::vector<int>{103, 200});
  CHECK_FALSE(r.has_length);
  CHECK(r.body == "abc");
  CHECK(r.trailers == std::vector<std::pair<std::string, std::string>>{{"grpc-status", "0"}, {"grpc-message", "ok"}});
  CHECK(r.ends == 1);
}

TEST_CASE("h2 client: the server's window reopens only once the owner consumed") {
  Pair p;
  p.co.consume = false;
  H1Request rq("GET /big HTTP/1.1\r\nHost: h\r\n\r\n");
  const int32_t id = p.client.submit_request(rq.head(), rq.text.data(), true);
  pump(p.client, p.server);
  h2test::H1Head resp("HTTP/1.1 200 OK\r\n\r\n");
  p.so.reqs[id].response = std::string(200000, 'z');
  p.so.reqs[id].piece = 16384;
  REQUIRE(p.server.submit_response(id, resp.head(), resp.text.data(), false));
  pump(p.client, p.server);
  const size_t first = p.co.resp[id].body.size();
  CHECK(first == 65535);   // the initial stream window, nothing more
  p.client.consumed(id, first);
  pump(p.client, p.server);
  CHECK(p.co.resp[id].body.size() > first);
}

TEST_CASE("h2 client: a reset stream is closed with its code; the others go on") {
  Pair p;
  H1Request rq("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  const int32_t a = p.client.submit_request(rq.head(), rq.text.data(), true);
  const int32_t b = p.client.submit_request(rq.head(), rq.text.data(), true);
  pump(p.client, p.server);
  p.server.reset(a, internal_error);
  h2test::H1Head resp("HTTP/1.1 204 No Content\r\n\r\n");
  REQUIRE(p.server.submit_response(b, resp.head(), resp.text.data(), true));
  pump(p.client, p.server);
  CHECK(p.co.resp[a].closes == 1);
  CHECK(p.co.resp[a].code == internal_error);
  CHECK(p.co.resp[a].ends == 0);
  CHECK(p.co.resp[b].statuses == std::vector<int>{204});
  CHECK(p.co.resp[b].head_end);
  CHECK(p.co.resp[b].ends == 1);
}

TEST_CASE("h2 client: the server's MAX_CONCURRENT_STREAMS and GOAWAY close the door") {
  h2test::Owner so;
  ClientRec co;
  Settings ss;
  ss.max_concurrent_streams = 1;
  Server server(so, ss);
  Client client(co, Settings{});
  co.client = &client;
  CHECK(client.can_open());
  pump(client, server);   // SETTINGS both ways
  CHECK(client.max_streams() == 1);
  H1Request rq("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  const int32_t id = client.submit_request(rq.head(), rq.text.data(), true);
  pump(client, server);
  CHECK_FALSE(client.can_open());
  h2test::H1Head resp("HTTP/1.1 204 No Content\r\n\r\n");
  REQUIRE(server.submit_response(id, resp.head(), resp.text.data(), true));
  pump(client, server);
  CHECK(client.can_open());
  server.shutdown_notice();
  pump(client, server);
  CHECK(client.going_away());
  CHECK_FALSE(client.can_open());
  CHECK(client.submit_request(rq.head(), rq.text.data(), true) < 0);
}

TEST_CASE("h2 client: tunnels are not carried") {
  Pair p;
  H1Request rq("CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n");
  CHECK(p.client.submit_request(rq.head(), rq.text.data(), false) < 0);
}
