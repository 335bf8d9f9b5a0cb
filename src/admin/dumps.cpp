#include "dumps.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>

namespace portero::admin {
namespace {

constexpr size_t kDumpWidth = 72;   // escaped characters per dump line before a '+' continuation

const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::string proxy_ref(const config::Config& cfg, int p) {
  if (p < 0 || size_t(p) >= cfg.proxies.size()) return "<NONE> (#-1)";
  return cfg.proxies[size_t(p)].name + " (#" + std::to_string(cfg.proxies[size_t(p)].id) + ")";
}

std::string server_ref(const config::Config& cfg, int p, int s) {
  if (p < 0 || size_t(p) >= cfg.proxies.size() || s < 0 || size_t(s) >= cfg.proxies[size_t(p)].servers.size())
    return "<NONE> (#-1)";
  const auto& sv = cfg.proxies[size_t(p)].servers[size_t(s)];
  return sv.name + " (#" + std::to_string(sv.puid) + ")";
}

void escape(std::string& out, unsigned char c) {
  switch (c) {
    case '\t': out += "\\t"; return;
    case '\n': out += "\\n"; return;
    case '\r': out += "\\r"; return;
    case 0x1b: out += "\\e"; return;
    case '\\': out += "\\\\"; return;
    default: break;
  }
  if (c >= 0x20 && c < 0x7f) {
    out += char(c);
  } else {
    char hex[8];
    std::snprintf(hex, sizeof(hex), "\\x%02X", c);
    out += hex;
  }
}

}  // namespace

std::string capture_date(uint64_t unix_ms) {
  const time_t t = time_t(unix_ms / 1000);
  struct tm tm{};
  localtime_r(&t, &tm);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%02d/%s/%04d:%02d:%02d:%02d.%03u", tm.tm_mday, kMonths[tm.tm_mon],
                tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, unsigned(unix_ms % 1000));
  return buf;
}

std::string dump_bytes(std::string_view bytes) {
  std::string out;
  size_t i = 0;
  bool continued = false;
  while (i < bytes.size()) {
    char head[32];
    std::snprintf(head, sizeof(head), "  %05zu%c ", i, continued ? '+' : ' ');
    out += head;
    std::string line;
    bool ended = false;
    while (i < bytes.size() && line.size() < kDumpWidth) {
      const unsigned char c = static_cast<unsigned char>(bytes[i++]);
      escape(line, c);
      if (c == '\n') {
        ended = true;
        break;
      }
    }
    out += line;
    out += '\n';
    continued = !ended;
  }
  return out;
}

std::string format_errors(const config::Config& cfg, const std::vector<stats::CapturedError>& errors,
                          uint64_t now_ms, int proxy_id, int dirs, uint32_t bufsize) {
  // HAProxy counts every capture since start; the newest one per proxy and direction carries
  // that proxy's running number, so the total is the sum of the last numbers plus one.
  std::map<std::pair<int, bool>, uint32_t> last;
  for (const auto& e : errors) {
    auto& n = last[{e.proxy, e.request}];
    n = std::max(n, e.event + 1);
  }
  uint64_t total = 0;
  for (const auto& [k, n] : last) total += n;

  std::string out = "Total events captured on [" + capture_date(now_ms) + "] : " + std::to_string(total) + "\n";
  for (size_t p = 0; p < cfg.proxies.size(); ++p) {
    if (proxy_id != -1 && cfg.proxies[p].id != uint32_t(proxy_id)) continue;
    for (int dir : {int(dir_request), int(dir_response)}) {
      if (!(dirs & dir)) continue;
      for (const auto& e : errors) {
        if (e.proxy != int(p) || e.request != (dir == dir_request)) continue;
        out += " \n[" + capture_date(e.when_ms) + "] ";
        if (e.request) {
          out += "frontend " + proxy_ref(cfg, e.proxy) + ": invalid request\n  backend " + proxy_ref(cfg, e.backend);
        } else {
          // A response is captured on its backend; `backend` then names the frontend it went to.
          out += "backend " + proxy_ref(cfg, e.proxy) + ": invalid response\n  frontend " + proxy_ref(cfg, e.backend);
        }
        const int srv_proxy = e.request ? e.backend : e.proxy;
        out += ", server " + server_ref(cfg, srv_proxy, e.server) + ", event #" + std::to_string(e.event) +
               ", src " + e.source + "\n";
        const size_t len = e.bytes.size();
        out += "  buffer starts at 0 (including 0 out), " + std::to_string(bufsize > len ? bufsize - len : 0) +
               " free,\n  len " + std::to_string(len) + ", wraps at " + std::to_string(bufsize) +
               ", error at position " + std::to_string(e.error_pos) + "\n  \n";
        out += dump_bytes(e.bytes);
      }
    }
  }
  return out;
}

std::string human_age(uint64_t s) {
  const uint64_t parts[] = {s / 86400, s % 86400 / 3600, s % 3600 / 60, s % 60};
  const char units[] = {'d', 'h', 'm', 's'};
  std::string out;
  int shown = 0;
  for (int i = 0; i < 4 && shown < 2; ++i) {
    if (parts[i] == 0 && !(shown == 0 && i == 3)) {
      if (shown) break;   // "1h" rather than "1h0m"
      continue;
    }
    out += std::to_string(parts[i]);
    out += units[i];
    ++shown;
  }
  return out;
}

std::string session_line(uint64_t id, std::string_view proto, std::string_view source, std::string_view fe,
                         std::string_view be, std::string_view srv, uint64_t age_s) {
  char idbuf[32];
  std::snprintf(idbuf, sizeof(idbuf), "0x%llx", static_cast<unsigned long long>(id));
  std::string out = idbuf;
  out += ": proto=";
  out += proto;
  out += " src=";
  out += source;
  out += " fe=";
  out += fe;
  out += " be=";
  out += be.empty() ? std::string_view("<NONE>") : be;
  out += " srv=";
  out += srv.empty() ? std::string_view("<none>") : srv;
  out += " age=" + human_age(age_s) + "\n";
  return out;
}

}  // namespace portero::admin
