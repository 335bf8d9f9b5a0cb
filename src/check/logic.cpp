#include "logic.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "match.h"

namespace portero::check {

std::string_view status_name(Status s) {
  switch (s) {
    case Status::unk: return "UNK";
    case Status::ini: return "INI";
    case Status::sockerr: return "SOCKERR";
    case Status::l4ok: return "L4OK";
    case Status::l4tout: return "L4TOUT";
    case Status::l4con: return "L4CON";
    case Status::l6ok: return "L6OK";
    case Status::l6tout: return "L6TOUT";
    case Status::l6rsp: return "L6RSP";
    case Status::l7ok: return "L7OK";
    case Status::l7okc: return "L7OKC";
    case Status::l7tout: return "L7TOUT";
    case Status::l7rsp: return "L7RSP";
    case Status::l7sts: return "L7STS";
    case Status::procerr: return "PROCERR";
    case Status::proctout: return "PROCTOUT";
    case Status::procok: return "PROCOK";
    case Status::hana: return "HANA";
  }
  return "UNK";
}

std::string_view status_desc(Status s) {
  switch (s) {
    case Status::unk: return "Unknown";
    case Status::ini: return "Initializing";
    case Status::sockerr: return "Socket error";
    case Status::l4ok: return "Layer4 check passed";
    case Status::l4tout: return "Layer4 timeout";
    case Status::l4con: return "Layer4 connection problem";
    case Status::l6ok: return "Layer6 check passed";
    case Status::l6tout: return "Layer6 timeout";
    case Status::l6rsp: return "Layer6 invalid response";
    case Status::l7ok: return "Layer7 check passed";
    case Status::l7okc: return "Layer7 check conditionally passed";
    case Status::l7tout: return "Layer7 timeout";
    case Status::l7rsp: return "Layer7 invalid response";
    case Status::l7sts: return "Layer7 wrong status";
    case Status::procerr: return "External check error";
    case Status::proctout: return "External check timeout";
    case Status::procok: return "External check passed";
    case Status::hana: return "Health analyze";
  }
  return "Unknown";
}

Outcome status_outcome(Status s) {
  switch (s) {
    case Status::l4ok: case Status::l6ok: case Status::l7ok: case Status::procok: return Outcome::pass;
    case Status::l7okc: return Outcome::condpass;
    case Status::unk: case Status::ini: return Outcome::neutral;
    default: return Outcome::fail;
  }
}

bool status_has_code(Status s) {
  switch (s) {
    case Status::l7ok: case Status::l7okc: case Status::l7sts:
    case Status::procerr: case Status::proctout: case Status::procok: return true;
    default: return false;
  }
}

bool Health::apply(Outcome o) {
  if (o == Outcome::fail) {
    if (value <= 0) return false;
    --value;
    if (value < rise) value = 0;
    return true;
  }
  if (o == Outcome::pass || o == Outcome::condpass) {
    if (value >= rise + fall - 1) return false;
    ++value;
    if (value >= rise) value = rise + fall - 1;
    return true;
  }
  return false;
}

std::string Health::ratio() const {
  if (up()) return std::to_string(value - rise + 1) + "/" + std::to_string(fall);
  return std::to_string(value) + "/" + std::to_string(rise);
}

std::string_view observed_desc(Observed o) {
  switch (o) {
    case Observed::l4_ok: return "L4 successful connection";
    case Observed::l4_err: return "L4 unsuccessful connection";
    case Observed::http_ok: return "Correct http response";
    case Observed::http_sts: return "Wrong http response";
    case Observed::http_hdrrsp: return "Invalid http response (headers)";
    case Observed::read_error: return "Read error (http)";
    case Observed::read_timeout: return "Read timeout (http)";
    case Observed::broken_pipe: return "Broken pipe (http)";
  }
  return "Unknown";
}

int observed_effect(config::Server::Observe mode, Observed o) {
  using M = config::Server::Observe;
  if (mode == M::none) return 0;
  if (o == Observed::l4_err) return 1;           // both modes
  if (o == Observed::l4_ok) return mode == M::layer4 ? -1 : 0;
  if (mode != M::layer7) return 0;               // layer4 ignores HTTP outcomes
  return o == Observed::http_ok ? -1 : 1;
}

bool prepare_on_error(Health& h, config::Server::OnError action) {
  using E = config::Server::OnError;
  switch (action) {
    case E::fastinter: return false;
    case E::sudden_death:
      if (h.value > h.rise) h.value = h.rise + 1;
      return true;
    case E::fail_check: return true;
    case E::mark_down:
      h.value = h.rise;
      return true;
  }
  return false;
}

std::string on_error_info(uint32_t count, Observed last) {
  return "Detected " + std::to_string(count) + " consecutive errors, last one was: " + std::string(observed_desc(last));
}

uint64_t next_interval(const Health& h, bool stopped, uint64_t inter, std::optional<uint64_t> fastinter,
                       std::optional<uint64_t> downinter) {
  if (h.full()) return inter;
  if (stopped && h.value == 0) return downinter.value_or(inter);
  return fastinter.value_or(inter);
}

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

}  // namespace

std::string http_request(const config::CheckSetup& setup, std::string_view state_header) {
  // The version word of `option httpchk` may hide headers after "\r\n" (the legacy form); they
  // are sent as headers (names lower-cased), as 2.6 does after converting them to a send rule.
  std::string version = setup.version;
  std::vector<std::pair<std::string, std::string>> headers;
  if (auto crlf = version.find("\r\n"); crlf != std::string::npos) {
    std::string rest = version.substr(crlf + 2);
    version.resize(crlf);
    size_t pos = 0;
    while (pos < rest.size()) {
      size_t end = rest.find("\r\n", pos);
      if (end == std::string::npos) end = rest.size();
      std::string line = rest.substr(pos, end - pos);
      pos = end + 2;
      auto colon = line.find(':');
      if (colon == std::string::npos || colon == 0) continue;
      std::string value = line.substr(colon + 1);
      size_t b = value.find_first_not_of(" \t");
      value = b == std::string::npos ? "" : value.substr(b);
      headers.emplace_back(lower(line.substr(0, colon)), value);
    }
  }
  if (!setup.headers.empty()) headers = setup.headers;
  std::string out = setup.method + " " + setup.uri + " " + version + "\r\n";
  bool has_connection = false, has_clen = false;
  for (const auto& [n, v] : headers) {
    out += n + ": " + v + "\r\n";
    if (iequals(n, "connection")) has_connection = true;
    if (iequals(n, "content-length")) has_clen = true;
  }
  if (!state_header.empty()) out += "x-haproxy-server-state: " + std::string(state_header) + "\r\n";
  if (!setup.body.empty() && !has_clen) out += "content-length: " + std::to_string(setup.body.size()) + "\r\n";
  if (version == "HTTP/1.1" && !has_connection && (!headers.empty() || !setup.body.empty() || true))
    out += "connection: close\r\n";
  out += "\r\n";
  out += setup.body;
  return out;
}

bool status_in_list(std::string_view list, int code) {
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t end = list.find(',', pos);
    if (end == std::string_view::npos) end = list.size();
    std::string item(list.substr(pos, end - pos));
    pos = end + 1;
    if (item.empty()) continue;
    auto dash = item.find('-');
    int lo = std::atoi(item.c_str());
    int hi = dash == std::string::npos ? lo : std::atoi(item.c_str() + dash + 1);
    if (code >= lo && code <= hi) return true;
  }
  return false;
}

namespace {

std::string hex_upper(std::string_view data) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  out.reserve(data.size() * 2);
  for (unsigned char ch : data) {
    out += digits[ch >> 4];
    out += digits[ch & 15];
  }
  return out;
}

// The text a reply becomes in the check's info (HAProxy's on-success / on-error formats of
// the protocol checks).
std::string reply_text(config::TcpCheckRule::Msg m, const std::string& fixed, std::string_view data) {
  using M = config::TcpCheckRule::Msg;
  auto first_line = [](std::string_view v) { return std::string(v.substr(0, std::min(v.size(), v.find_first_of("\r\n")))); };
  switch (m) {
    case M::none: return {};
    case M::text: return fixed;
    case M::line: return first_line(data);
    case M::after_code: {
      if (data.size() <= 4) return {};
      std::string_view v = data.substr(4);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      return first_line(v);
    }
    case M::cstring_at6: {
      if (data.size() <= 6) return {};
      std::string_view v = data.substr(6);
      return std::string(v.substr(0, std::min(v.size(), v.find('\0'))));
    }
  }
  return {};
}

int reply_code(std::string_view data) {
  int code = 0;
  for (size_t i = 0; i < 3 && i < data.size() && std::isdigit(static_cast<unsigned char>(data[i])); ++i)
    code = code * 10 + (data[i] - '0');
  return code;
}

// A MySQL packet at `offset`: 3 bytes of length (little endian), a sequence number, the payload.
// An error packet (0xff) fails with the server's error number as code and the rest as info; a
// short or truncated packet is an invalid response once the server closed.
Verdict mysql_packet(std::string_view data, size_t offset, bool eof, bool& complete) {
  Verdict v;
  complete = false;
  auto byte = [&](size_t i) { return static_cast<unsigned char>(data[i]); };
  if (data.size() < offset + 5) {
    if (!eof) v.need_more = true;
    else v.status = Status::l7rsp;
    return v;
  }
  const size_t len = byte(offset) | (byte(offset + 1) << 8) | (size_t(byte(offset + 2)) << 16);
  if (data.size() < offset + 4 + len) {
    if (!eof) v.need_more = true;
    else v.status = Status::l7rsp;
    return v;
  }
  if (byte(offset + 4) == 0xff) {
    v.status = Status::l7sts;
    v.code = len >= 3 ? int(byte(offset + 5) | (byte(offset + 6) << 8)) : 0;
    if (len > 3) v.desc = std::string(data.substr(offset + 7, len - 3));
    return v;
  }
  complete = true;
  v.status = Status::l7ok;
  return v;
}

Verdict mysql_verdict(const config::TcpCheckRule& rule, std::string_view data, bool eof) {
  bool complete = false;
  size_t offset = 0;
  if (rule.custom == config::TcpCheckRule::Custom::mysql_ok) {
    // The login's answer follows the server's greeting in the same buffer.
    Verdict g = mysql_packet(data, 0, eof, complete);
    if (!complete) return g;
    offset = 4 + (static_cast<unsigned char>(data[0]) | (static_cast<unsigned char>(data[1]) << 8) |
                  (size_t(static_cast<unsigned char>(data[2])) << 16));
  }
  Verdict v = mysql_packet(data, offset, eof, complete);
  if (!complete) return v;
  // Success: the info is the server's version from the greeting (a C string after the protocol
  // version byte); HAProxy logs it but does not keep it for show stat.
  v.code = 0;
  if (data.size() > 5) {
    std::string_view ver = data.substr(5);
    v.desc = std::string(ver.substr(0, std::min(ver.size(), ver.find('\0'))));
  }
  v.desc_logged_only = true;
  return v;
}

// An LDAPv3 BindResponse (BER): SEQUENCE (length short or on 2/4 bytes), messageID 1,
// bindResponse, then resultCode (ENUMERATED).
Verdict ldap_verdict(std::string_view data, bool eof) {
  Verdict v;
  auto byte = [&](size_t i) { return static_cast<unsigned char>(data[i]); };
  auto too_short = [&] {
    if (!eof) v.need_more = true;
    else v.status = Status::l7rsp;
    return v;
  };
  auto not_ldap = [&] {
    v.status = Status::l7rsp;
    v.desc = "Not LDAPv3 protocol";
    return v;
  };
  if (data.size() < 2) return too_short();
  size_t nbytes = 0, msglen = 0;
  if (byte(1) & 0x80) {
    nbytes = byte(1) & 0x7f;
    if (data.size() < 2 + nbytes) return too_short();
    if (nbytes == 2) msglen = (size_t(byte(2)) << 8) | byte(3);
    else if (nbytes == 4) msglen = (size_t(byte(2)) << 24) | (size_t(byte(3)) << 16) | (size_t(byte(4)) << 8) | byte(5);
    else return not_ldap();
  } else {
    msglen = byte(1);
  }
  if (data.size() < 2 + nbytes + msglen) return too_short();
  size_t p = 2 + nbytes;
  if (data.size() < p + 4 || data.substr(p, 4) != std::string_view("\x02\x01\x01\x61", 4)) return not_ldap();
  p += 4;
  if (p >= data.size()) return not_ldap();
  p += (byte(p) & 0x80) ? 1 + (byte(p) & 0x7f) : 1;
  if (data.size() < p + 3 || data.substr(p, 2) != std::string_view("\x0a\x01", 2)) return not_ldap();
  v.code = byte(p + 2);
  if (v.code) {
    v.status = Status::l7sts;
    v.desc = "See RFC: http://tools.ietf.org/html/rfc4511#section-4.1.9";
    return v;
  }
  v.status = Status::l7ok;
  v.desc = "Success";
  v.desc_logged_only = true;
  return v;
}

}  // namespace

std::optional<Status> status_by_name(std::string_view name) {
  for (int i = 0; i <= int(Status::hana); ++i)
    if (status_name(Status(i)) == name) return Status(i);
  return std::nullopt;
}

Verdict tcp_expect_verdict(const config::TcpCheckRule& rule, std::string_view data, bool eof, int step) {
  Verdict v;
  const Status error_status = status_by_name(rule.error_status).value_or(Status::l7rsp);
  if (data.empty() && eof) {
    v.status = error_status;
    v.desc = "TCPCHK got an empty response at step " + std::to_string(step);
    return v;
  }
  if (!eof && data.size() < rule.min_recv) {
    v.need_more = true;
    return v;
  }
  if (rule.kind == config::TcpCheckRule::Kind::expect_custom) {
    if (rule.custom == config::TcpCheckRule::Custom::ldap_bind) return ldap_verdict(data, eof);
    return mysql_verdict(rule, data, eof);
  }
  bool match = false;
  switch (rule.kind) {
    case config::TcpCheckRule::Kind::expect_string:
    case config::TcpCheckRule::Kind::expect_binary: match = data.find(rule.data) != std::string_view::npos; break;
    case config::TcpCheckRule::Kind::expect_rstring: match = regex_search(rule.data, data); break;
    case config::TcpCheckRule::Kind::expect_rbinary: match = regex_search(rule.data, hex_upper(data)); break;
    default: break;
  }
  if (match != rule.negate && (match || eof)) {
    v.status = status_by_name(rule.ok_status).value_or(Status::l7ok);
    v.desc = reply_text(rule.on_success, rule.success_text, data);
    if (rule.code_from_reply) v.code = reply_code(data);
    return v;
  }
  if (!eof && !match) {
    v.need_more = true;
    return v;
  }
  v.status = error_status;
  if (rule.code_from_reply) v.code = reply_code(data);
  if (rule.on_error != config::TcpCheckRule::Msg::none || rule.builtin) {
    v.desc = reply_text(rule.on_error, rule.error_text, data);
    return v;
  }
  const char* what = rule.kind == config::TcpCheckRule::Kind::expect_binary   ? "binary"
                     : rule.kind == config::TcpCheckRule::Kind::expect_rstring ? "regex"
                     : rule.kind == config::TcpCheckRule::Kind::expect_rbinary ? "binary regex"
                                                                                 : "content";
  v.desc = std::string("TCPCHK ") + (rule.negate ? "matched unwanted " : "did not match ") + what + " '" + rule.data +
           "' at step " + std::to_string(step);
  return v;
}

AgentReply parse_agent_reply(std::string_view data, bool eof) {
  AgentReply r;
  auto nl = data.find('\n');
  if (nl == std::string_view::npos && !eof) return r;
  r.complete = true;
  std::string_view line = data.substr(0, nl == std::string_view::npos ? data.size() : nl);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::string_view text;   // after '#'
  if (auto hash = line.find('#'); hash != std::string_view::npos) {
    text = line.substr(hash + 1);
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    line = line.substr(0, hash);
  }
  std::string hs, as;
  size_t pos = 0;
  while (pos < line.size()) {
    size_t end = line.find_first_of(" \t,", pos);
    if (end == std::string_view::npos) end = line.size();
    std::string_view w = line.substr(pos, end - pos);
    pos = end + 1;
    if (w.empty()) continue;
    if (iequals(w, "up")) { r.status = Status::l7ok; hs = w; }
    else if (iequals(w, "down") || iequals(w, "stopped") || iequals(w, "fail")) { r.status = Status::l7sts; hs = w; }
    else if (iequals(w, "drain")) { r.admin = lb::AdminState::drain; as = w; }
    else if (iequals(w, "maint")) { r.admin = lb::AdminState::maint; as = w; }
    else if (iequals(w, "ready")) { r.admin = lb::AdminState::ready; as = w; }
    else if (!w.empty() && w.back() == '%') {
      std::string n(w.substr(0, w.size() - 1));
      if (!n.empty() && n.find_first_not_of("0123456789") == std::string::npos) r.weight_pct = uint32_t(std::atoi(n.c_str()));
    }
  }
  if (!hs.empty()) {
    r.desc = "via agent : " + hs;
    if (!text.empty()) r.desc += " (" + std::string(text) + ")";
  }
  return r;
}

std::string status_detail(const Result& r) {
  std::string out = ", reason: " + std::string(status_desc(r.status));
  if (status_has_code(r.status)) out += ", code: " + std::to_string(r.code);
  if (!r.desc.empty()) out += ", info: \"" + r.desc + "\"";
  if (r.duration_ms >= 0) out += ", check duration: " + std::to_string(r.duration_ms) + "ms";
  return out;
}

std::string check_log_line(bool agent, bool backup, std::string_view proxy, std::string_view server,
                           const Result& r, const Health& h, bool drain) {
  Outcome o = status_outcome(r.status);
  std::string out = std::string(agent ? "Agent" : "Health") + " check for " + (backup ? "backup " : "") + "server " +
                    std::string(proxy) + "/" + std::string(server) + " " + (o == Outcome::condpass ? "conditionally " : "") +
                    (o == Outcome::pass || o == Outcome::condpass ? "succeeded" : "failed");
  out += status_detail(r);
  out += ", status: " + h.ratio() + " " + (h.up() ? (drain ? "DRAIN" : "UP") : "DOWN") + ".";
  return out;
}

namespace {
std::string server_prefix(bool backup, std::string_view proxy, std::string_view server) {
  return std::string(backup ? "Backup Server " : "Server ") + std::string(proxy) + "/" + std::string(server);
}
std::string backup_note(int active, int backups) { return backups && !active ? " Running on backup." : ""; }
}  // namespace

std::string server_down_line(bool backup, std::string_view proxy, std::string_view server, const Result* r,
                             int active, int backups, int cur_sess) {
  std::string out = server_prefix(backup, proxy, server) + " is DOWN";
  if (r) out += status_detail(*r);
  out += ". " + std::to_string(active) + " active and " + std::to_string(backups) + " backup servers left." +
         backup_note(active, backups) + " " + std::to_string(cur_sess) + " sessions active, 0 requeued, 0 remaining in queue.";
  return out;
}

std::string server_up_line(bool backup, std::string_view proxy, std::string_view server, const Result* r,
                           int active, int backups) {
  std::string out = server_prefix(backup, proxy, server) + " is UP";
  if (r) out += status_detail(*r);
  out += ". " + std::to_string(active) + " active and " + std::to_string(backups) + " backup servers online." +
         backup_note(active, backups) + " 0 sessions requeued, 0 total in queue.";
  return out;
}

std::string server_stopping_line(bool backup, std::string_view proxy, std::string_view server, const Result* r,
                                 int active, int backups, int cur_sess) {
  (void)cur_sess;
  std::string out = server_prefix(backup, proxy, server) + " is stopping";
  if (r) out += status_detail(*r);
  out += ". " + std::to_string(active) + " active and " + std::to_string(backups) + " backup servers online." +
         backup_note(active, backups) + " 0 sessions requeued, 0 total in queue.";
  return out;
}

}  // namespace portero::check

namespace portero::check {
std::string server_drain_line(bool backup, std::string_view proxy, std::string_view server, int active, int backups) {
  return std::string(backup ? "Backup Server " : "Server ") + std::string(proxy) + "/" + std::string(server) +
         " enters drain state. " + std::to_string(active) + " active and " + std::to_string(backups) +
         " backup servers online." + (backups && !active ? " Running on backup." : "") +
         " 0 sessions requeued, 0 total in queue.";
}
}  // namespace portero::check
