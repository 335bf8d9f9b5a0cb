#pragma once
// The HTTP/2 codec's Settings from the configuration (tune.h2.*, tune.bufsize): what a client
// is told in our SETTINGS frame, as HAProxy 2.6 tells it (compared on the wire with 2.6.12).
// Header-only so that the configuration tests check it without the codec.
#include <algorithm>
#include <cstdint>

#include "portero/config/config.h"
#include "portero/http/h2_server.h"

namespace portero::http::h2 {

inline Settings from_config(const config::Global& g) {
  Settings s;
  s.header_table_size = g.h2.header_table_size;
  s.initial_window_size = g.h2.initial_window_size;
  s.max_concurrent_streams = g.h2.max_concurrent_streams;
  // HAProxy sizes frames to its buffers: tune.bufsize unless tune.h2.max-frame-size is set, and
  // never above tune.bufsize. It would advertise a bufsize below 16384 too, which RFC 9113
  // makes a connection error for the client; RFC 9113's range is kept instead.
  const uint32_t frame = g.h2.max_frame_size ? std::min(g.h2.max_frame_size, g.tune_bufsize) : g.tune_bufsize;
  s.max_frame_size = std::clamp<uint32_t>(frame, 16384, (1u << 24) - 1);
  // tune.h2.limit.* (portero's): the abuse limits, where the configuration sets them.
  const auto set = [](uint32_t& to, const std::optional<uint32_t>& v) {
    if (v) to = *v;
  };
  set(s.max_resets_per_s, g.h2.limit_resets);
  set(s.max_server_resets_per_s, g.h2.limit_provoked_resets);
  set(s.max_streams_per_s, g.h2.limit_streams);
  set(s.max_settings_per_s, g.h2.limit_settings);
  set(s.max_pings_per_s, g.h2.limit_pings);
  set(s.max_priority_per_s, g.h2.limit_priority);
  set(s.max_empty_data_per_s, g.h2.limit_empty_data);
  set(s.header_list_limit, g.h2.limit_header_list);
  set(s.max_too_large_heads_per_s, g.h2.limit_large_heads);
  return s;
}

}  // namespace portero::http::h2
