// log-format strings: compiled once into a list of nodes (text, separator, variable), then
// rendered per request into a caller's buffer without allocating. The built-in httplog, clf and
// tcplog formats are compiled from their log-format strings (COMPAT.md §7.2, §7.3).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "date_text.h"
#include "portero/log/log.h"

namespace portero::log {
namespace {

enum class Var : uint8_t {
  ci, cp, fi, fp, bi, bp, si, sp, f, ft, b, s, H, HM, HU, HP, HPO, HQ, HV, ID, ST,
  TR, Tw, Tc, Tr, Ta, Tt, Th, Ti, Tq, Td, Tu, B, U, CC, CS, tsc, ts, ac, fc, bc, sc, rc,
  sq, bq, lc, rt, pid, hr, hrl, hs, hsl, r, t, tr, trg, trl, T, Tl, ms, Ts, sslv, sslc, o,
  sample,   // %[expr]: not a name, the node's `sample` numbers the expression
};

struct VarName {
  const char* name;
  Var var;
};

constexpr VarName kVars[] = {
    {"ci", Var::ci},     {"cp", Var::cp},     {"fi", Var::fi},   {"fp", Var::fp},
    {"bi", Var::bi},     {"bp", Var::bp},     {"si", Var::si},   {"sp", Var::sp},
    {"f", Var::f},       {"ft", Var::ft},     {"b", Var::b},     {"s", Var::s},
    {"H", Var::H},       {"HM", Var::HM},     {"HU", Var::HU},   {"HP", Var::HP},
    {"HPO", Var::HPO},   {"HQ", Var::HQ},     {"HV", Var::HV},   {"ID", Var::ID},
    {"ST", Var::ST},     {"TR", Var::TR},     {"Tw", Var::Tw},   {"Tc", Var::Tc},
    {"Tr", Var::Tr},     {"Ta", Var::Ta},     {"Tt", Var::Tt},   {"Th", Var::Th},
    {"Ti", Var::Ti},     {"Tq", Var::Tq},     {"Td", Var::Td},   {"Tu", Var::Tu},
    {"B", Var::B},       {"U", Var::U},       {"CC", Var::CC},   {"CS", Var::CS},
    {"tsc", Var::tsc},   {"ts", Var::ts},     {"ac", Var::ac},   {"fc", Var::fc},
    {"bc", Var::bc},     {"sc", Var::sc},     {"rc", Var::rc},   {"sq", Var::sq},
    {"bq", Var::bq},     {"lc", Var::lc},     {"rt", Var::rt},   {"pid", Var::pid},
    {"hr", Var::hr},     {"hrl", Var::hrl},   {"hs", Var::hs},   {"hsl", Var::hsl},
    {"r", Var::r},       {"t", Var::t},       {"tr", Var::tr},   {"trg", Var::trg},
    {"trl", Var::trl},   {"T", Var::T},       {"Tl", Var::Tl},   {"ms", Var::ms},
    {"Ts", Var::Ts},     {"sslv", Var::sslv}, {"sslc", Var::sslc}, {"o", Var::o},
};

// Per-variable options of `%{+Q,-X,+E}`; +json (portero; HAProxy 2.6 ignores it) renders each
// variable as a JSON value.
constexpr uint8_t kQuote = 1, kHex = 2, kEscape = 4, kJson = 8;

struct Node {
  enum class Kind : uint8_t { text, separator, var } kind;
  Var var{};
  uint8_t opts = 0;
  std::string text;
  int sample = -1;   // Var::sample: the SampleCompiler's number
};

// Characters shown as '#XX' in captured headers and in the request line / URI parts.
struct EncodeMap {
  bool enc[256];
  constexpr EncodeMap(const char* extra) : enc{} {
    for (int c = 0; c < 256; ++c) enc[c] = c < 32 || c >= 127;
    for (const char* p = extra; *p; ++p) enc[uint8_t(*p)] = true;
  }
};
constexpr EncodeMap kHeaderMap("\"#{|}");
constexpr EncodeMap kUrlMap("\"#");

// unique-id-format's %[...]: what may not appear in a header value (controls but HTAB, DEL)
// is written %XX.
struct HttpMap {
  bool enc[256];
  constexpr HttpMap() : enc{} {
    for (int c = 0; c < 32; ++c) enc[c] = c != '\t';
    enc[127] = true;
  }
};
constexpr HttpMap kHttpMap;

// Bounded writer: stops silently at the end of the caller's buffer.
struct W {
  char* p;
  char* end;
  bool last_space = true;  // separators never start a line nor follow one another
  void c(char ch) {
    if (p < end) *p++ = ch;
  }
  void s(std::string_view v) {
    size_t n = std::min(v.size(), size_t(end - p));
    if (n) std::memcpy(p, v.data(), n);
    p += n;
  }
  void u(uint64_t v) {
    char tmp[24];
    int n = 0;
    do {
      tmp[n++] = char('0' + v % 10);
      v /= 10;
    } while (v);
    while (n) c(tmp[--n]);
  }
  void i(int64_t v) {
    if (v < 0) {
      c('-');
      u(uint64_t(-v));
    } else {
      u(uint64_t(v));
    }
  }
  void hex(uint64_t v, int width) {
    static constexpr char kHexDigits[] = "0123456789ABCDEF";
    for (int k = width - 1; k >= 0; --k) c(kHexDigits[(v >> (4 * k)) & 15]);
  }
  // A text value: '-' when empty (`""` when quoted); +E puts a backslash before '"', '\' and ']'.
  void text(std::string_view v, uint8_t opts) {
    if (opts & kQuote) c('"');
    if (v.empty() && !(opts & kQuote)) c('-');
    for (char ch : v) {
      if ((opts & kEscape) && (ch == '"' || ch == '\\' || ch == ']')) c('\\');
      c(ch);
    }
    if (opts & kQuote) c('"');
  }
  void encoded(std::string_view v, const EncodeMap& m, uint8_t opts) {
    static constexpr char kHexDigits[] = "0123456789ABCDEF";
    for (char ch : v) {
      uint8_t b = uint8_t(ch);
      if (m.enc[b]) {
        c('#');
        c(kHexDigits[b >> 4]);
        c(kHexDigits[b & 15]);
      } else {
        if ((opts & kEscape) && (ch == '"' || ch == '\\' || ch == ']')) c('\\');
        c(ch);
      }
    }
  }
  // A JSON string: '"' and backslash escaped; control characters, DEL and bytes >= 0x80 as \u00XX
  // (read as Latin-1), so any bytes give valid JSON.
  void json(std::string_view v) {
    static constexpr char kHexDigits[] = "0123456789abcdef";
    c('"');
    for (char ch : v) {
      uint8_t b = uint8_t(ch);
      if (b == '"' || b == '\\') {
        c('\\');
        c(ch);
      } else if (b == '\n') {
        s("\\n");
      } else if (b == '\r') {
        s("\\r");
      } else if (b == '\t') {
        s("\\t");
      } else if (b < 0x20 || b >= 0x7f) {
        s("\\u00");
        c(kHexDigits[b >> 4]);
        c(kHexDigits[b & 15]);
      } else {
        c(ch);
      }
    }
    c('"');
  }
  // A JSON string, or null when absent (empty).
  void json_or_null(std::string_view v) {
    if (v.empty()) return s("null");
    json(v);
  }
  void encoded_text(std::string_view v, const EncodeMap& m, uint8_t opts) {
    if (opts & kQuote) c('"');
    if (v.empty() && !(opts & kQuote)) c('-');
    encoded(v, m, opts);
    if (opts & kQuote) c('"');
  }
};

// The request line split as HAProxy's %HM/%HU/%HV see it: a line without spaces (such as
// "<BADREQ>") is its own method, URI and version.
struct RequestParts {
  std::string_view method, uri, version;
};

RequestParts split_request(const Record& r) {
  RequestParts p{r.http_method, r.http_uri, r.http_version};
  std::string_view line = r.request_line;
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) {
    if (p.method.empty()) p.method = line;
    if (p.uri.empty()) p.uri = line;
    if (p.version.empty()) p.version = line;
    return p;
  }
  if (p.method.empty()) p.method = line.substr(0, sp1);
  std::string_view rest = line.substr(sp1 + 1);
  size_t sp2 = rest.rfind(' ');
  if (p.uri.empty()) p.uri = sp2 == std::string_view::npos ? rest : rest.substr(0, sp2);
  if (p.version.empty() && sp2 != std::string_view::npos) p.version = rest.substr(sp2 + 1);
  return p;
}

// "/p" of "http://host/p?q" and of "/p?q".
std::string_view path_only(std::string_view uri_no_query) {
  if (uri_no_query.empty() || uri_no_query[0] == '/') return uri_no_query;
  size_t scheme = uri_no_query.find("://");
  if (scheme == std::string_view::npos) return uri_no_query;
  size_t slash = uri_no_query.find('/', scheme + 3);
  return slash == std::string_view::npos ? std::string_view() : uri_no_query.substr(slash);
}

void put_ip(W& w, const sockaddr* a, uint8_t opts) {
  if (!a) return w.text({}, opts & ~kQuote);
  char buf[INET6_ADDRSTRLEN];
  if (a->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(a);
    if (opts & kHex) return w.hex(ntohl(in->sin_addr.s_addr), 8);
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
    return w.text(buf, opts);
  }
  if (a->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a);
    if (opts & kHex) {
      for (int k = 0; k < 16; ++k) w.hex(in6->sin6_addr.s6_addr[k], 2);
      return;
    }
    inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
    return w.text(buf, opts);
  }
  if (a->sa_family == AF_UNIX) return w.text("unix", opts);
  w.text({}, opts & ~kQuote);
}

void put_port(W& w, const sockaddr* a, uint8_t opts, uint32_t unix_id) {
  if (a && (a->sa_family == AF_INET || a->sa_family == AF_INET6)) {
    uint16_t port = ntohs(a->sa_family == AF_INET
                              ? reinterpret_cast<const sockaddr_in*>(a)->sin_port
                              : reinterpret_cast<const sockaddr_in6*>(a)->sin6_port);
    if (opts & kHex) return w.hex(port, 4);
    return w.u(port);
  }
  if (a && a->sa_family == AF_UNIX) return w.u(unix_id);
  w.c('-');
}

// %sslv / %sslc: from the client's SSL object, else the strings the Record carries.
std::string_view ssl_version(const Record& r) {
  if (!r.client_tls) return r.ssl_version;
  const char* v = SSL_get_version(r.client_tls);
  return v ? std::string_view(v) : std::string_view();
}
std::string_view ssl_cipher(const Record& r) {
  if (!r.client_tls) return r.ssl_cipher;
  const char* c = SSL_get_cipher_name(const_cast<SSL*>(r.client_tls));
  return c ? std::string_view(c) : std::string_view();
}
bool tls_frontend(const Record& r) { return r.ssl || r.client_tls; }

uint32_t this_pid() {
  static const uint32_t pid = uint32_t(::getpid());
  return pid;
}

class Compiled final : public Format {
 public:
  Compiled(std::string text, std::vector<Node> nodes, SampleStyle style)
      : text_(std::move(text)), nodes_(std::move(nodes)), style_(style) {
    for (const Node& n : nodes_) has_samples_ = has_samples_ || n.var == Var::sample;
  }
  std::string_view text() const override { return text_; }
  bool has_samples() const override { return has_samples_; }
  size_t render(const Record& r, char* out, size_t cap) const override;

 private:
  void var(W& w, const Node& n, const Record& r, const RequestParts& rp) const;
  void json_var(W& w, const Node& n, const Record& r, const RequestParts& rp) const;
  void sample(W& w, const Node& n, const Record& r) const;
  std::string text_;
  std::vector<Node> nodes_;
  SampleStyle style_;
  bool has_samples_ = false;
};

void Compiled::sample(W& w, const Node& n, const Record& r) const {
  std::string_view v;
  const bool present = r.sample && r.sample(r.sample_self, n.sample, v);
  if (n.opts & kJson) return present ? w.json(v) : w.s("null");
  if (style_ == SampleStyle::http) {
    static constexpr char kHexDigits[] = "0123456789ABCDEF";
    for (char ch : v) {
      const uint8_t b = uint8_t(ch);
      if (kHttpMap.enc[b]) {
        w.c('%');
        w.c(kHexDigits[b >> 4]);
        w.c(kHexDigits[b & 15]);
      } else {
        w.c(ch);
      }
    }
    return;
  }
  w.text(v, n.opts);   // absent or empty: '-' ("" quoted)
}

size_t Compiled::render(const Record& r, char* out, size_t cap) const {
  W w{out, out + cap};
  RequestParts rp = split_request(r);
  for (const Node& n : nodes_) {
    switch (n.kind) {
      case Node::Kind::text:
        w.s(n.text);
        w.last_space = false;
        break;
      case Node::Kind::separator:
        if (!w.last_space) w.c(' ');
        w.last_space = true;
        break;
      case Node::Kind::var: {
        char* before = w.p;
        if (n.var == Var::sample)
          sample(w, n, r);
        else
          var(w, n, r, rp);
        if (w.p != before) w.last_space = false;
        break;
      }
    }
  }
  return size_t(w.p - out);
}

// +json: each variable as a JSON value. Numbers bare (no '+' marks), text as strings escaped for
// JSON (raw bytes, not HAProxy's #XX encoding), absent values null, dates ISO 8601, captured
// headers as arrays (null for a header that was not present).
void Compiled::json_var(W& w, const Node& n, const Record& r, const RequestParts& rp) const {
  char tmp[64];
  auto number = [&](Var v) {
    W t{tmp, tmp + sizeof tmp};
    var(t, Node{Node::Kind::var, v, 0, {}}, r, rp);
    std::string_view out(tmp, size_t(t.p - tmp));
    if (!out.empty() && out[0] == '+') out.remove_prefix(1);
    if (out.empty() || out == "-") return w.s("null");
    w.s(out);
  };
  auto ip = [&](const sockaddr* a) {
    if (!a) return w.s("null");
    W t{tmp, tmp + sizeof tmp};
    put_ip(t, a, 0);
    w.json(std::string_view(tmp, size_t(t.p - tmp)));
  };
  auto captures = [&](std::span<const std::string_view> caps) {
    w.c('[');
    for (size_t k = 0; k < caps.size(); ++k) {
      if (k) w.c(',');
      if (caps[k].data())
        w.json(caps[k]);
      else
        w.s("null");
    }
    w.c(']');
  };
  auto date = [&](const timespec& t) {
    char d[48];
    w.c('"');
    w.s(std::string_view(d, write_iso_date(d, t)));
    w.c('"');
  };
  const timespec& req_date =
      (r.request_date.tv_sec || r.request_date.tv_nsec) ? r.request_date : r.accept_date;
  switch (n.var) {
    case Var::o: return;
    case Var::ci: return ip(r.client);
    case Var::fi: return ip(r.frontend_addr);
    case Var::bi: return ip(r.backend_src);
    case Var::si: return ip(r.server_addr);
    case Var::f: return w.json(r.frontend);
    case Var::ft: {
      W t{tmp, tmp + sizeof tmp};
      if (r.frontend.size() + 1 > sizeof tmp) return w.json(r.frontend);
      t.s(r.frontend);
      if (tls_frontend(r)) t.c('~');
      return w.json(std::string_view(tmp, size_t(t.p - tmp)));
    }
    case Var::b: return w.json(r.backend);
    case Var::s: return w.json(r.server.empty() ? std::string_view("<NOSRV>") : r.server);
    case Var::H: return w.json_or_null(r.hostname);
    case Var::HM: return w.json(rp.method);
    case Var::HU: return w.json(rp.uri);
    case Var::HP: return w.json(rp.uri.substr(0, rp.uri.find('?')));
    case Var::HPO: {
      std::string_view nq = rp.uri.substr(0, rp.uri.find('?'));
      return w.json(r.http_path.empty() ? path_only(nq) : r.http_path);
    }
    case Var::HQ: {
      size_t qm = rp.uri.find('?');
      return w.json(qm == std::string_view::npos ? std::string_view() : rp.uri.substr(qm));
    }
    case Var::HV: return w.json(rp.version);
    case Var::ID: return w.json_or_null(r.unique_id);
    case Var::CC: return w.json_or_null(r.captured_request_cookie);
    case Var::CS: return w.json_or_null(r.captured_response_cookie);
    case Var::tsc: return w.json(std::string_view(r.termination, 4));
    case Var::ts: return w.json(std::string_view(r.termination, 2));
    case Var::hr:
    case Var::hrl: return captures(r.captured_request_headers);
    case Var::hs:
    case Var::hsl: return captures(r.captured_response_headers);
    case Var::r: return w.json(r.request_line);
    case Var::t:
    case Var::T:
    case Var::Tl: return date(r.accept_date);
    case Var::tr:
    case Var::trg:
    case Var::trl: return date(req_date);
    case Var::sslv: return w.json_or_null(ssl_version(r));
    case Var::sslc: return w.json_or_null(ssl_cipher(r));
    case Var::ms: return w.u(uint64_t(r.accept_date.tv_nsec / 1000000));   // no leading zeros
    case Var::sample: return;   // rendered by sample()
    default: return number(n.var);
  }
}

void Compiled::var(W& w, const Node& n, const Record& r, const RequestParts& rp) const {
  const uint8_t o = n.opts;
  if (o & kJson) return json_var(w, n, r, rp);
  char date[48];
  const timespec& req_date =
      (r.request_date.tv_sec || r.request_date.tv_nsec) ? r.request_date : r.accept_date;
  const int64_t tq = r.t_request < 0 ? -1 : r.t_handshake + std::max<int64_t>(r.t_idle, 0) + r.t_request;
  auto captures = [&](std::span<const std::string_view> caps, bool list) {
    if (caps.empty()) return;
    if (!list) {
      if (o & kQuote) w.c('"');
      w.c('{');
      for (size_t k = 0; k < caps.size(); ++k) {
        if (k) w.c('|');
        w.encoded(caps[k], kHeaderMap, o);
      }
      w.c('}');
      if (o & kQuote) w.c('"');
      return;
    }
    for (size_t k = 0; k < caps.size(); ++k) {
      if (k) w.c(' ');
      if (o & kQuote) w.c('"');
      if (caps[k].data())
        w.encoded(caps[k], kHeaderMap, o);
      else if (!(o & kQuote))
        w.c('-');
      if (o & kQuote) w.c('"');
    }
  };
  std::string_view uri_nq = rp.uri.substr(0, rp.uri.find('?'));
  switch (n.var) {
    case Var::o: return;
    case Var::ci: return put_ip(w, r.client, o);
    case Var::cp: return put_port(w, r.client, o, 0);
    case Var::fi: return put_ip(w, r.frontend_addr, o);
    case Var::fp: return put_port(w, r.frontend_addr, o, 0);
    case Var::bi: return put_ip(w, r.backend_src, o);
    case Var::bp: return put_port(w, r.backend_src, o, 0);
    case Var::si: return put_ip(w, r.server_addr, o);
    case Var::sp: return put_port(w, r.server_addr, o, 0);
    case Var::f: return w.text(r.frontend, o);
    case Var::ft:
      if (o & kQuote) w.c('"');
      w.s(r.frontend);
      if (tls_frontend(r)) w.c('~');
      if (o & kQuote) w.c('"');
      return;
    case Var::b: return w.text(r.backend, o);
    case Var::s: return w.text(r.server.empty() ? std::string_view("<NOSRV>") : r.server, o);
    case Var::H: return w.text(r.hostname, o);
    case Var::HM: return w.encoded_text(rp.method, kUrlMap, o);
    case Var::HU: return w.encoded_text(rp.uri, kUrlMap, o);
    case Var::HP: return w.encoded_text(uri_nq, kUrlMap, o);
    case Var::HPO: return w.encoded_text(r.http_path.empty() ? path_only(uri_nq) : r.http_path, kUrlMap, o);
    case Var::HQ: {
      // The query with its '?'; nothing at all when there is none. A line without spaces
      // ("<BADREQ>") is shown whole, like %HM/%HU.
      std::string_view q;
      if (rp.uri.data() == r.request_line.data() && rp.uri.size() == r.request_line.size())
        q = rp.uri;
      else if (size_t qm = rp.uri.find('?'); qm != std::string_view::npos)
        q = rp.uri.substr(qm);
      if (o & kQuote) w.c('"');
      w.encoded(q, kUrlMap, o);
      if (o & kQuote) w.c('"');
      return;
    }
    case Var::HV: return w.encoded_text(rp.version, kUrlMap, o);
    case Var::ID: return w.text(r.unique_id, o);
    case Var::ST: return w.i(r.status);
    case Var::TR: return w.i(r.t_request);
    case Var::Tw: return w.i(r.t_queue);
    case Var::Tc: return w.i(r.t_connect);
    case Var::Tr: return w.i(r.t_response);
    case Var::Ta:
      if (r.logasap) w.c('+');
      return w.i(r.t_active);
    case Var::Tt:
      if (r.logasap) w.c('+');
      return w.i(r.t_total);
    case Var::Th: return w.i(r.t_handshake);
    case Var::Ti: return w.i(r.t_idle);
    case Var::Tq: return w.i(tq);
    case Var::Td:
      if (r.t_response < 0 || tq < 0 || r.t_total < 0) return w.i(-1);
      return w.i(r.t_total - (tq + std::max<int64_t>(r.t_queue, 0) +
                              std::max<int64_t>(r.t_connect, 0) + r.t_response));
    case Var::Tu:
      return w.i(r.t_total < 0 ? -1 : r.t_total - std::max<int64_t>(r.t_idle, 0));
    case Var::B:
      if (r.logasap) w.c('+');
      return w.u(r.bytes_out);
    case Var::U: return w.u(r.bytes_in);
    case Var::CC: return w.text(r.captured_request_cookie, o);
    case Var::CS: return w.text(r.captured_response_cookie, o);
    case Var::tsc: return w.s(std::string_view(r.termination, 4));
    case Var::ts: return w.s(std::string_view(r.termination, 2));
    case Var::ac: return w.u(r.actconn);
    case Var::fc: return w.u(r.feconn);
    case Var::bc: return w.u(r.beconn);
    case Var::sc: return w.u(r.srv_conn);
    case Var::rc:
      if (r.redispatched) w.c('+');
      return w.u(r.retries);
    case Var::sq: return w.u(r.srv_queue);
    case Var::bq: return w.u(r.backend_queue);
    case Var::lc: return w.u(r.log_counter);
    case Var::rt: return (o & kHex) ? w.hex(r.request_counter, 4) : w.u(r.request_counter);
    case Var::pid: {
      uint32_t pid = r.pid ? r.pid : this_pid();
      return (o & kHex) ? w.hex(pid, 4) : w.u(pid);
    }
    case Var::hr: return captures(r.captured_request_headers, false);
    case Var::hrl: return captures(r.captured_request_headers, true);
    case Var::hs: return captures(r.captured_response_headers, false);
    case Var::hsl: return captures(r.captured_response_headers, true);
    case Var::r: return w.encoded_text(r.request_line, kUrlMap, o);
    case Var::t: return w.s(std::string_view(date, write_date_ms(date, r.accept_date)));
    case Var::tr: return w.s(std::string_view(date, write_date_ms(date, req_date)));
    case Var::trg: return w.s(std::string_view(date, write_date_zone(date, req_date, true)));
    case Var::trl: return w.s(std::string_view(date, write_date_zone(date, req_date, false)));
    case Var::T: return w.s(std::string_view(date, write_date_zone(date, r.accept_date, true)));
    case Var::Tl: return w.s(std::string_view(date, write_date_zone(date, r.accept_date, false)));
    case Var::ms: {
      unsigned ms = unsigned(r.accept_date.tv_nsec / 1000000);
      if (o & kHex) return w.hex(ms, 2);
      w.c(char('0' + ms / 100));
      w.c(char('0' + ms / 10 % 10));
      return w.c(char('0' + ms % 10));
    }
    case Var::Ts:
      return (o & kHex) ? w.hex(uint64_t(r.accept_date.tv_sec), 8) : w.u(uint64_t(r.accept_date.tv_sec));
    case Var::sslv: return w.text(ssl_version(r), o);
    case Var::sslc: return w.text(ssl_cipher(r), o);
    case Var::sample: return;   // rendered by sample()
  }
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Where the sample expression starting at text[pos] ends, as HAProxy's expression parser sees
// it: `name(args)` calls (quotes and backslashes honoured inside the parentheses) joined by
// ','. The caller then expects a ']' there.
size_t expression_end(std::string_view text, size_t pos) {
  const size_t n = text.size();
  while (pos < n) {
    while (pos < n && text[pos] != '(' && text[pos] != ',' && text[pos] != ']' && text[pos] != ' ' &&
           text[pos] != '\t')
      ++pos;
    if (pos < n && text[pos] == '(') {
      int depth = 0;
      char quote = 0;
      size_t k = pos;
      for (; k < n; ++k) {
        const char ch = text[k];
        if (quote) {
          if (ch == '\\' && k + 1 < n) ++k;
          else if (ch == quote) quote = 0;
        } else if (ch == '\\' && k + 1 < n) {
          ++k;
        } else if (ch == '"' || ch == '\'') {
          quote = ch;
        } else if (ch == '(') {
          ++depth;
        } else if (ch == ')' && --depth == 0) {
          break;
        }
      }
      if (k >= n) return n;   // unbalanced: the expression compiler says why
      pos = k + 1;
    }
    if (pos < n && text[pos] == ',') {
      ++pos;
      continue;
    }
    break;
  }
  return pos;
}

}  // namespace

std::unique_ptr<Format> Format::compile(std::string_view text, std::string& error, const SampleCompiler& samples,
                                        SampleStyle style) {
  std::vector<Node> nodes;
  uint8_t global_opts = 0;
  auto add_text = [&](char c) {
    if (nodes.empty() || nodes.back().kind != Node::Kind::text)
      nodes.push_back(Node{Node::Kind::text, {}, 0, {}});
    nodes.back().text += c;
  };
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == ' ') {
      if (nodes.empty() || nodes.back().kind != Node::Kind::separator)
        nodes.push_back(Node{Node::Kind::separator, {}, 0, {}});
      ++i;
      continue;
    }
    if (c != '%') {
      add_text(c);
      ++i;
      continue;
    }
    ++i;
    if (i < text.size() && text[i] == '%') {
      add_text('%');
      ++i;
      continue;
    }
    uint8_t opts = global_opts;
    if (i < text.size() && text[i] == '{') {
      size_t close = text.find('}', i);
      if (close == std::string_view::npos) {
        error = "missing '}' after '%{' in '" + std::string(text) + "'";
        return nullptr;
      }
      std::string_view args = text.substr(i + 1, close - i - 1);
      while (!args.empty()) {
        size_t comma = args.find(',');
        std::string_view a = args.substr(0, comma);
        args = comma == std::string_view::npos ? std::string_view() : args.substr(comma + 1);
        if (a.size() < 2 || (a[0] != '+' && a[0] != '-')) continue;
        std::string_view f = a.substr(1);
        uint8_t bit = f == "Q" ? kQuote : f == "X" ? kHex : f == "E" ? kEscape : f == "json" ? kJson : 0;
        if (a[0] == '+')
          opts |= bit;
        else
          opts &= uint8_t(~bit);
      }
      i = close + 1;
    }
    if (i < text.size() && text[i] == '[') {
      if (!samples) {
        error = "sample fetch expressions ('%[...]') are not supported in this format";
        return nullptr;
      }
      // HAProxy parses the expression first, then wants the ']' right after it.
      const size_t start = i + 1;
      const size_t end = expression_end(text, start);
      std::string_view expr = text.substr(start, end - start);
      const int id = samples(expr, text.substr(start), error);
      if (id < 0) return nullptr;
      if (end >= text.size()) {
        error = "missing ']' after '" + std::string(expr) + "'";
        return nullptr;
      }
      if (text[end] != ']') {
        error = "expected ']' after '" + std::string(expr) + "', but found '" + text[end] + "'";
        return nullptr;
      }
      Node node{Node::Kind::var, Var::sample, opts, {}};
      node.sample = id;
      nodes.push_back(std::move(node));
      i = end + 1;
      continue;
    }
    size_t start = i;
    while (i < text.size() && is_name_char(text[i])) ++i;
    std::string_view name = text.substr(start, i - start);
    if (name.empty()) {
      error = "expected a variable name after '%' at position " + std::to_string(start) +
              ". If you wanted to emit the '%' character verbatim, you need to use '%%'";
      return nullptr;
    }
    const VarName* found = nullptr;
    for (const VarName& v : kVars)
      if (name == v.name) found = &v;
    if (!found) {
      error = "no such format variable '" + std::string(name) +
              "'. If you wanted to emit the '%' character verbatim, you need to use '%%'";
      return nullptr;
    }
    if (found->var == Var::o) {
      global_opts = opts;  // %{+Q}o: the options of every later variable
      continue;
    }
    nodes.push_back(Node{Node::Kind::var, found->var, opts, {}});
  }
  error.clear();
  return std::make_unique<Compiled>(std::string(text), std::move(nodes), style);
}

namespace {
const Format& builtin(const char* text) {
  std::string error;
  return *Format::compile(text, error).release();  // lives as long as the process
}
}  // namespace

const Format& Format::httplog() {
  static const Format& f = builtin(
      "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc "
      "%sq/%bq %hr %hs %{+Q}r");
  return f;
}

const Format& Format::httplog_clf() {
  static const Format& f = builtin(
      "%{+Q}o %{-Q}ci - - [%trg] %r %ST %B \"\" \"\" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc "
      "%ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl");
  return f;
}

const Format& Format::tcplog() {
  static const Format& f =
      builtin("%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq");
  return f;
}

}  // namespace portero::log
