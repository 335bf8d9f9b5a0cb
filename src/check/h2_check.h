#pragma once
// An HTTP check over HTTP/2 (a `proto h2` server, or `check-proto h2`): the HTTP/1 request the
// check logic writes goes out as one HTTP/2 stream, and the server's answer comes back as
// HTTP/1 text (status line, fields, body), so the verdict code reads it unchanged. One per check
// connection; no sockets here.
#include <memory>
#include <string>
#include <string_view>

namespace portero::check {

class H2Check {
 public:
  H2Check();
  ~H2Check();
  H2Check(const H2Check&) = delete;
  H2Check& operator=(const H2Check&) = delete;

  // The connection preface, our SETTINGS and the request made of `http1_request` (a complete
  // HTTP/1 message). Empty if it could not be carried (then the check fails as a protocol
  // error).
  std::string start(std::string_view http1_request);
  // Bytes from the server: the response so far is appended to `reply` as HTTP/1 text; returns
  // what to send back (SETTINGS and PING acknowledgements, window updates). `ended` once the
  // response is complete or the stream or connection ended.
  std::string feed(std::string_view bytes, std::string& reply, bool& ended);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace portero::check
