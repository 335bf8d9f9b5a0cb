// Helpers shared by the stats renderers.
#include "text_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <chrono>
#include <cstdio>

#include "portero/stats/render.h"

namespace portero::stats {
namespace {
uint64_t (*g_test_clock)() = nullptr;
}

void set_clock_for_tests(uint64_t (*now_ms)()) { g_test_clock = now_ms; }

namespace detail {

uint64_t now_ms() {
  if (g_test_clock) return g_test_clock();
  using namespace std::chrono;
  return static_cast<uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

void append_csv(std::string& out, std::string_view v) {
  if (v.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(v);
    return;
  }
  out.push_back('"');
  for (char c : v) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

void append_json_string(std::string& out, std::string_view v) {
  out.push_back('"');
  for (unsigned char c : v) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

std::string_view check_status_desc(check::Status s) {
  using S = check::Status;
  switch (s) {
    case S::unk: return "Unknown";
    case S::ini: return "Initializing";
    case S::sockerr: return "Socket error";
    case S::l4ok: return "Layer4 check passed";
    case S::l4tout: return "Layer4 timeout";
    case S::l4con: return "Layer4 connection problem";
    case S::l6ok: return "Layer6 check passed";
    case S::l6tout: return "Layer6 timeout";
    case S::l6rsp: return "Layer6 invalid response";
    case S::l7ok: return "Layer7 check passed";
    case S::l7okc: return "Layer7 check conditionally passed";
    case S::l7tout: return "Layer7 timeout";
    case S::l7rsp: return "Layer7 invalid response";
    case S::l7sts: return "Layer7 wrong status";
    case S::procerr: return "External check error";
    case S::proctout: return "External check timeout";
    case S::procok: return "External check passed";
    case S::hana: return "Health analyze";
  }
  return "Unknown";
}

int check_status_number(check::Status s) {
  using S = check::Status;
  switch (s) {
    case S::unk: return 0;
    case S::ini: return 1;
    case S::sockerr: return 5;
    case S::l4ok: return 6;
    case S::l4tout: return 7;
    case S::l4con: return 8;
    case S::l6ok: return 9;
    case S::l6tout: return 10;
    case S::l6rsp: return 11;
    case S::l7tout: return 12;
    case S::l7rsp: return 13;
    case S::l7ok: return 15;
    case S::l7okc: return 16;
    case S::l7sts: return 17;
    case S::procerr: return 18;
    case S::proctout: return 19;
    case S::procok: return 20;
    case S::hana: return 4;
  }
  return 0;
}

// 0 unknown, 1 neutral, 2 failed, 3 passed, 4 conditionally passed.
int check_result_number(check::Status s) {
  using S = check::Status;
  switch (s) {
    case S::unk:
    case S::ini: return 0;
    case S::l4ok:
    case S::l6ok:
    case S::l7ok:
    case S::procok: return 3;
    case S::l7okc: return 4;
    default: return 2;
  }
}

std::string address_host(const config::Address& a) {
  if (a.kind == config::Address::Kind::unix_path) return {};   // `show servers state` prints "-", as HAProxy
  if (a.kind == config::Address::Kind::fd) return "fd@" + std::to_string(a.fd);
  char buf[INET6_ADDRSTRLEN] = {};
  if (a.family() == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&a.storage);
    inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf);
  } else if (a.family() == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&a.storage);
    inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof buf);
  }
  return buf;
}

config::Address current_address(const config::Address& configured, const lb::ServerState* st) {
  config::Address a = configured;
  sockaddr_storage moved;
  if (!st || !st->get_addr(moved)) return a;
  a.kind = config::Address::Kind::inet;
  a.storage = moved;
  a.port_offset = false;
  a.port_lo = a.port_hi = ntohs(moved.ss_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6&>(moved).sin6_port
                                                             : reinterpret_cast<const sockaddr_in&>(moved).sin_port);
  return a;
}

}  // namespace detail
}  // namespace portero::stats
