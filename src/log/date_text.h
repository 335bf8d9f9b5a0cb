#pragma once
// Dates as HAProxy's logs print them. Each writer stores into `p` (room for 40 bytes) and
// returns the length. Broken-down times are cached per thread for the last second seen, so a
// busy worker calls localtime_r/gmtime_r about once a second.
#include <cstddef>
#include <ctime>

namespace portero::log {

// "24/Nov/2026:20:38:03.253" (local time, milliseconds): %t, %tr.
size_t write_date_ms(char* p, const timespec& t);
// "24/Nov/2026:20:38:03 +0000": %T / %trg (gmt = true), %Tl / %trl (local, its offset).
size_t write_date_zone(char* p, const timespec& t, bool gmt);
// "Nov 24 20:38:03" (local, day padded with a space): the rfc3164 / local syslog header.
size_t write_syslog_date(char* p, const timespec& t);
// "2026-11-24T20:38:03.256294+00:00" (local, microseconds): rfc5424, iso, timed headers.
size_t write_iso_date(char* p, const timespec& t);

}  // namespace portero::log
