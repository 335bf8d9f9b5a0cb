#include "http_reply.h"

#include <cstdio>

namespace portero::web {
namespace {

void header(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

// HTTP/1.0 names the connection mode before the body framing, HTTP/1.1 only says "close",
// after it (HAProxy's order).
void connection_10(std::string& out, const stats::PageRequest& req) {
  if (req.http10) header(out, "connection", req.keep_alive ? "keep-alive" : "close");
}
void connection_11(std::string& out, const stats::PageRequest& req) {
  if (!req.http10 && !req.keep_alive) header(out, "connection", "close");
}

}  // namespace

std::string ok_reply(const stats::PageRequest& req, std::string_view content_type,
                     std::optional<uint64_t> refresh_s, std::string_view body) {
  const bool head = req.method == "HEAD";
  std::string out;
  out.reserve(body.size() + 256);
  out += "HTTP/1.1 200 OK\r\n";
  header(out, "cache-control", "no-cache");
  header(out, "content-type", content_type);
  if (refresh_s) header(out, "refresh", std::to_string(*refresh_s));
  connection_10(out, req);
  if (!head) {
    if (req.http10) header(out, "content-length", std::to_string(body.size()));
    else header(out, "transfer-encoding", "chunked");
  }
  connection_11(out, req);
  out += "\r\n";
  if (head) return out;
  if (req.http10) {
    out += body;
    return out;
  }
  if (!body.empty()) {
    char size[24];
    std::snprintf(size, sizeof size, "%zX\r\n", body.size());
    out += size;
    out += body;
    out += "\r\n";
  }
  out += "0\r\n\r\n";
  return out;
}

std::string see_other_reply(const stats::PageRequest& req, std::string_view location) {
  std::string out = "HTTP/1.1 303 See Other\r\n";
  header(out, "cache-control", "no-cache");
  header(out, "content-type", "text/plain");
  header(out, "content-length", "0");
  header(out, "location", location);
  if (req.http10) header(out, "connection", req.keep_alive ? "keep-alive" : "close");
  else if (!req.keep_alive) header(out, "connection", "close");
  out += "\r\n";
  return out;
}

}  // namespace portero::web
