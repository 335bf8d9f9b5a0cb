#include "date_text.h"

#include <cstdint>

namespace portero::log {
namespace {

constexpr const char kMonths[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

struct TmCache {
  time_t sec = -1;
  struct tm tm {};
};

const struct tm& broken_down(time_t sec, bool gmt) {
  thread_local TmCache local_cache, gmt_cache;
  TmCache& c = gmt ? gmt_cache : local_cache;
  if (c.sec != sec) {
    if (gmt)
      gmtime_r(&sec, &c.tm);
    else
      localtime_r(&sec, &c.tm);
    c.sec = sec;
  }
  return c.tm;
}

// Writes `v` as exactly `width` decimal digits (zero padded).
char* digits(char* p, uint64_t v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = char('0' + v % 10);
    v /= 10;
  }
  return p + width;
}

char* clf_date(char* p, const struct tm& tm) {
  p = digits(p, tm.tm_mday, 2);
  *p++ = '/';
  for (int i = 0; i < 3; ++i) *p++ = kMonths[tm.tm_mon][i];
  *p++ = '/';
  p = digits(p, tm.tm_year + 1900, 4);
  *p++ = ':';
  p = digits(p, tm.tm_hour, 2);
  *p++ = ':';
  p = digits(p, tm.tm_min, 2);
  *p++ = ':';
  return digits(p, tm.tm_sec, 2);
}

// "+hhmm" (colon = false) or "+hh:mm".
char* zone(char* p, long gmtoff, bool colon) {
  *p++ = gmtoff < 0 ? '-' : '+';
  long m = (gmtoff < 0 ? -gmtoff : gmtoff) / 60;
  p = digits(p, m / 60, 2);
  if (colon) *p++ = ':';
  return digits(p, m % 60, 2);
}

}  // namespace

size_t write_date_ms(char* p, const timespec& t) {
  char* s = p;
  p = clf_date(p, broken_down(t.tv_sec, false));
  *p++ = '.';
  p = digits(p, uint64_t(t.tv_nsec / 1000000), 3);
  return size_t(p - s);
}

size_t write_date_zone(char* p, const timespec& t, bool gmt) {
  char* s = p;
  const struct tm& tm = broken_down(t.tv_sec, gmt);
  p = clf_date(p, tm);
  *p++ = ' ';
  p = zone(p, gmt ? 0 : tm.tm_gmtoff, false);
  return size_t(p - s);
}

size_t write_syslog_date(char* p, const timespec& t) {
  char* s = p;
  const struct tm& tm = broken_down(t.tv_sec, false);
  for (int i = 0; i < 3; ++i) *p++ = kMonths[tm.tm_mon][i];
  *p++ = ' ';
  *p++ = tm.tm_mday < 10 ? ' ' : char('0' + tm.tm_mday / 10);
  *p++ = char('0' + tm.tm_mday % 10);
  *p++ = ' ';
  p = digits(p, tm.tm_hour, 2);
  *p++ = ':';
  p = digits(p, tm.tm_min, 2);
  *p++ = ':';
  p = digits(p, tm.tm_sec, 2);
  return size_t(p - s);
}

size_t write_iso_date(char* p, const timespec& t) {
  char* s = p;
  const struct tm& tm = broken_down(t.tv_sec, false);
  p = digits(p, tm.tm_year + 1900, 4);
  *p++ = '-';
  p = digits(p, tm.tm_mon + 1, 2);
  *p++ = '-';
  p = digits(p, tm.tm_mday, 2);
  *p++ = 'T';
  p = digits(p, tm.tm_hour, 2);
  *p++ = ':';
  p = digits(p, tm.tm_min, 2);
  *p++ = ':';
  p = digits(p, tm.tm_sec, 2);
  *p++ = '.';
  p = digits(p, uint64_t(t.tv_nsec / 1000), 6);
  p = zone(p, tm.tm_gmtoff, true);
  return size_t(p - s);
}

}  // namespace portero::log
