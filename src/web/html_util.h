#pragma once
// Small text helpers for the stats page: HTML escaping, HAProxy-style durations and numbers
// with a visible thousands separator. Pure functions.
#include <cstdint>
#include <string>
#include <string_view>

namespace portero::web {

// `<`, `>`, `&`, `"` and `'` escaped; safe both in text and in quoted attributes.
std::string html_escape(std::string_view s);

// A duration as the stats page shows it (lastchg, downtime, "last session"): at most two units,
// "0s", "45s", "1m20s", "3h7m", "2d4h". Negative: "?" (never happened).
std::string human_duration(int64_t seconds);

// A counter with its thousands visible: the leading groups wrapped in <span class="g"> so the
// stylesheet can space them (the value stays one selectable number, as on HAProxy's page).
std::string grouped_number(uint64_t v);

}  // namespace portero::web
