#include "portero/config/fetch_source.h"

namespace portero::config {

const char* fetch_source(std::string_view f) {
  static constexpr std::string_view kReqHeaders[] = {
      "path", "url", "base", "query", "url_param", "urlp", "req.ver", "req_ver", "req.hdr", "req.fhdr",
      "req.hdr_cnt", "hdr_cnt", "req.fhdr_cnt", "req.cook", "cook", "req.cook_cnt", "cook_cnt", "req.body",
      "http_auth", "http_auth_group", "url_ip", "url_port"};
  static constexpr std::string_view kReqBuffer[] = {
      "req.len", "req_len", "req.rdp_cookie", "rdp_cookie", "req.rdp_cookie_cnt", "rdp_cookie_cnt",
      "req.payload", "req.ssl_sni", "req_ssl_sni", "req.ssl_alpn", "req.ssl_hello_type", "req_ssl_hello_type",
      "req.ssl_ver", "req_ssl_ver"};
  for (auto k : kReqHeaders)
    if (f == k) return "HTTP request headers";
  for (auto k : kReqBuffer)
    if (f == k) return "request buffer";
  if (f == "status" || f.starts_with("capture.res.")) return "HTTP response";
  if (f.starts_with("res.") || f.starts_with("shdr") || f == "scook" || f == "scook_cnt" || f == "scook_val" ||
      f == "set-cookie")
    return "HTTP response headers";
  return nullptr;
}

}  // namespace portero::config
