#pragma once
// Helpers for the log tests: the process runs in UTC (the oracle haproxy ran in UTC), dates and
// addresses as haproxy 2.6.12 reported them in the captured lines.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdlib>
#include <ctime>
#include <string>

#include "portero/log/log.h"

namespace logtest {

inline const bool kUtc = [] {
  setenv("TZ", "UTC", 1);
  tzset();
  return true;
}();

// 24/Nov/2026:HH:MM:SS.mmm UTC as a timespec (the day of the captures).
inline timespec at(int h, int m, int s, long usec) {
  // 2026-11-24T00:00:00Z
  constexpr time_t kDay = 1795478400;
  return timespec{kDay + h * 3600 + m * 60 + s, usec * 1000};
}

inline sockaddr_in v4(const char* ip, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

inline const sockaddr* sa(const sockaddr_in& a) { return reinterpret_cast<const sockaddr*>(&a); }

inline std::string render(const portero::log::Format& f, const portero::log::Record& r) {
  char buf[4096];
  size_t n = f.render(r, buf, sizeof buf);
  return std::string(buf, n);
}

inline void set_ts(portero::log::Record& r, const char* tsc) {
  for (int i = 0; i < 4; ++i) r.termination[i] = tsc[i];
}

}  // namespace logtest
