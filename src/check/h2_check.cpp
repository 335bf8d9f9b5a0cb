#include "h2_check.h"

#include <cstdio>
#include <cstring>

#include "portero/http/h2_client.h"
#include "portero/http/parser.h"
#include "portero/http/status.h"

namespace portero::check {

using namespace portero::http;

struct H2Check::Impl final : h2::ClientOwner {
  h2::Client codec{*this, h2::Settings{}};
  std::string request;   // the HTTP/1 request (the head's spans point into it)
  Header slots[64];
  Parser parser{Parser::Kind::request};
  std::string body;      // the request body, pulled by the codec
  size_t body_sent = 0;
  int32_t id = -1;
  std::string* reply = nullptr;   // where the answer goes during feed()
  bool ended = false;

  void on_response_head(int32_t, const Head& h, const char* base, bool) override {
    if (h.status < 200) return;   // interim: the final answer follows
    char line[64];
    std::snprintf(line, sizeof line, "HTTP/1.1 %u ", unsigned(h.status));
    reply->append(line);
    reply->append(reason_phrase(h.status));
    reply->append("\r\n");
    for (uint16_t i = 0; i < h.count; ++i) {
      reply->append(h.headers[i].name.in(base));
      reply->append(": ");
      reply->append(h.headers[i].value.in(base));
      reply->append("\r\n");
    }
    // The body is read to the end of the stream (as to the end of an HTTP/1 connection).
    reply->append("connection: close\r\n\r\n");
  }
  void on_response_data(int32_t sid, const char* p, size_t n) override {
    reply->append(p, n);
    codec.consumed(sid, n);
  }
  void on_response_trailers(int32_t, const Head&, const char*) override {}
  void on_response_end(int32_t) override { ended = true; }
  void on_stream_closed(int32_t, uint32_t) override { ended = true; }
  size_t request_data(int32_t, char* out, size_t cap, bool& eof, bool&) override {
    const size_t n = std::min(cap, body.size() - body_sent);
    std::memcpy(out, body.data() + body_sent, n);
    body_sent += n;
    eof = body_sent == body.size();
    return n;
  }

  std::string output() {
    std::string out;
    char buf[16384];
    while (size_t n = codec.fill_output(buf, sizeof buf)) out.append(buf, n);
    return out;
  }
};

H2Check::H2Check() : impl_(std::make_unique<Impl>()) {}
H2Check::~H2Check() = default;

std::string H2Check::start(std::string_view http1_request) {
  Impl& i = *impl_;
  i.request.assign(http1_request);
  i.parser.begin(i.request.data(), 0, i.slots, 64);
  i.parser.set_body_sink([](void* self, const char* p, size_t n) { static_cast<Impl*>(self)->body.append(p, n); },
                         &i);
  const FeedResult r = i.parser.feed(0, uint32_t(i.request.size()));
  if (r.status == ParseStatus::error || !i.parser.head_done()) return {};
  i.id = i.codec.submit_request(i.parser.head(), i.request.data(), i.body.empty());
  if (i.id < 0) return {};
  return i.output();
}

std::string H2Check::feed(std::string_view bytes, std::string& reply, bool& ended) {
  Impl& i = *impl_;
  i.reply = &reply;
  const bool ok = i.codec.feed(bytes.data(), bytes.size());
  std::string out = i.output();
  i.reply = nullptr;
  ended = i.ended || !ok || i.codec.done();
  return out;
}

}  // namespace portero::check
