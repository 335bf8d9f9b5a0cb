// HAProxy 2.6's built-in error pages. The texts (reason phrases and messages, including the
// "407 Unauthorized" status line and the stray "." opening the 501 message) are what Debian's
// haproxy 2.6.12 sends; tests/unit/http/error_pages_test.cpp holds the captured bytes.
// Every form of every page is built once, on first use, so later calls never allocate.
#include "portero/http/error_pages.h"

#include <map>
#include <mutex>
#include <vector>

namespace portero::http {
namespace {

struct Builtin {
  int status;
  std::string_view reason;
  std::string_view message;
};

constexpr Builtin builtins[] = {
    {200, "OK", "Service ready."},
    {400, "Bad request", "Your browser sent an invalid request."},
    {401, "Unauthorized", "You need a valid user and password to access this content."},
    {403, "Forbidden", "Request forbidden by administrative rules."},
    {404, "Not Found", "The resource could not be found."},
    {405, "Method Not Allowed",
     "A request was made of a resource using a request method not supported by that resource"},
    {407, "Unauthorized", "You need a valid user and password to access this content."},
    {408, "Request Time-out", "Your browser didn't send a complete request in time."},
    {410, "Gone", "The resource is no longer available and will not be available again."},
    {413, "Payload Too Large", "The request entity exceeds the maximum allowed."},
    {421, "Misdirected Request", "Request sent to a non-authoritative server."},
    {422, "Unprocessable Content", "The server cannot process the contained instructions."},
    {425, "Too Early", "Your browser sent early data."},
    {429, "Too Many Requests", "You have sent too many requests in a given amount of time."},
    {500, "Internal Server Error", "An internal server error occurred."},
    {501, "Not Implemented",
     ".The server does not support the functionality required to fulfill the request."},
    {502, "Bad Gateway", "The server returned an invalid or incomplete response."},
    {503, "Service Unavailable", "No server is available to handle this request."},
    {504, "Gateway Time-out", "The server didn't respond in time."},
};

// Standard reason phrases for statuses HAProxy has no page for (generic pages only).
std::string_view generic_reason(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 402: return "Payment Required";
    case 406: return "Not Acceptable";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 431: return "Request Header Fields Too Large";
    case 451: return "Unavailable For Legal Reasons";
    case 505: return "HTTP Version Not Supported";
    case 507: return "Insufficient Storage";
    case 511: return "Network Authentication Required";
    default: break;
  }
  if (status >= 100 && status < 200) return "Informational";
  if (status >= 200 && status < 300) return "Success";
  if (status >= 300 && status < 400) return "Redirection";
  if (status >= 400 && status < 500) return "Client Error";
  if (status >= 500 && status < 600) return "Server Error";
  return "Other";
}

// The three forms of one page.
struct Page {
  std::string connection;     // HTTP/1 layer form
  std::string stream;         // stream form, keep-alive
  std::string stream_close;   // stream form, connection closes after it
};

Page make_page(int status, std::string_view reason, std::string_view message) {
  std::string body = "<html><body><h1>" + std::to_string(status) + " " + std::string(reason) +
                     "</h1>\n";
  if (!message.empty()) body += std::string(message) + "\n";
  body += "</body></html>\n";
  const std::string status_line =
      "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
  const std::string length = std::to_string(body.size());
  // 400 and 408 end the connection whichever layer sends them.
  const bool always_close = status == 400 || status == 408;

  Page p;
  p.connection = status_line + "Content-length: " + length +
                 "\r\nCache-Control: no-cache\r\n" +
                 (always_close ? "Connection: close\r\n" : "") +
                 "Content-Type: text/html\r\n\r\n" + body;
  const std::string head = status_line + "content-length: " + length +
                           "\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n";
  p.stream_close = head + "connection: close\r\n\r\n" + body;
  p.stream = always_close ? p.stream_close : head + "\r\n" + body;
  return p;
}

struct Pages {
  std::vector<std::pair<int, Page>> builtin;
  std::mutex generic_mutex;
  std::map<int, Page> generic;   // node-based: views stay valid as it grows

  Pages() {
    builtin.reserve(std::size(builtins));
    for (const auto& b : builtins) builtin.emplace_back(b.status, make_page(b.status, b.reason, b.message));
  }

  const Page& get(int status) {
    for (const auto& [s, page] : builtin)
      if (s == status) return page;
    // Statuses HAProxy has no page for: built once per status, then reused.
    std::lock_guard lock(generic_mutex);
    auto it = generic.find(status);
    if (it == generic.end())
      it = generic.emplace(status, make_page(status, generic_reason(status), {})).first;
    return it->second;
  }
};

Pages& pages() {
  static Pages p;
  return p;
}

}  // namespace

std::string_view error_response(int status, const config::Proxy* proxy, ErrorLevel level,
                                bool closing) {
  if (level == ErrorLevel::stream && proxy) {
    auto it = proxy->errorfiles.find(status);
    if (it != proxy->errorfiles.end() && !it->second.empty()) return it->second;
  }
  const Page& page = pages().get(status);
  if (level == ErrorLevel::connection) return page.connection;
  return closing ? page.stream_close : page.stream;
}

std::string_view error_response(int status, const config::Proxy* proxy) {
  const ErrorLevel level =
      (status == 400 || status == 408) ? ErrorLevel::connection : ErrorLevel::stream;
  return error_response(status, proxy, level, false);
}

std::string normalize_errorfile(std::string_view raw) {
  // Find the end of the head; accept bare LF line ends as HAProxy's parser does.
  size_t head_end = raw.find("\r\n\r\n");
  size_t sep = 4;
  if (head_end == std::string_view::npos) {
    head_end = raw.find("\n\n");
    sep = 2;
    if (head_end == std::string_view::npos) return std::string(raw);
  }
  std::string out;
  out.reserve(raw.size());
  size_t pos = 0;
  bool first = true;
  while (pos < head_end) {
    size_t eol = raw.find('\n', pos);
    if (eol == std::string_view::npos || eol > head_end) eol = head_end;
    std::string_view line = raw.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = eol + 1;
    if (first) {
      out.append(line).append("\r\n");
      first = false;
      continue;
    }
    size_t colon = line.find(':');
    std::string name(line.substr(0, colon == std::string_view::npos ? line.size() : colon));
    for (char& c : name)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (name == "connection") continue;
    out.append(name);
    if (colon != std::string_view::npos) out.append(line.substr(colon));
    out.append("\r\n");
  }
  out.append("\r\n");
  out.append(raw.substr(head_end + sep));
  return out;
}

}  // namespace portero::http
