#include "portero/http/h1_writer.h"

namespace portero::http::h1 {

namespace {
// HTTP/1.0 stays 1.0 (its keep-alive rules differ); anything else is sent as 1.1.
void put_version(HeadWriter& w, const Head& h) { w.put(h.major == 1 && h.minor == 0 ? "HTTP/1.0" : "HTTP/1.1"); }
}  // namespace

bool is_hop_by_hop(std::string_view name) {
  return iequals(name, "connection") || iequals(name, "proxy-connection") || iequals(name, "keep-alive");
}

void put_request_line(HeadWriter& w, const Head& h, const char* base, bool keep_absolute) {
  w.put(h.method.in(base));
  w.put(" ");
  std::string_view target = h.target.in(base);
  // An HTTP/2 request reads as an absolute URI (scheme and authority: haproxy's rendering in
  // logs and fetches); an HTTP/1 server gets its path, the authority being in Host.
  if (h.is_http2() && h.method_id != Method::connect && !keep_absolute) {
    if (size_t scheme = target.find("://"); scheme != std::string_view::npos) {
      size_t path = target.find('/', scheme + 3);
      target = path == std::string_view::npos ? std::string_view("/") : target.substr(path);
    }
  }
  w.put(target);
  w.put(" ");
  put_version(w, h);
  w.put("\r\n");
}

void put_status_line(HeadWriter& w, const Head& h, const char* base) {
  put_version(w, h);
  w.put(" ");
  w.put_uint(h.status);
  w.put(" ");
  w.put(h.reason.in(base));
  w.put("\r\n");
}

void copy_headers(HeadWriter& w, const Head& h, const char* base, std::string_view drop, bool bodiless) {
  forwarded_headers(h, base, drop, bodiless,
                    [&](const Header& f) { w.header(f.name.in(base), f.value.in(base)); });
}

}  // namespace portero::http::h1
