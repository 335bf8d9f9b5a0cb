#pragma once
// Which per-connection abuse limit of the HTTP/2 server codec tripped (h2::Settings documents
// each one). The codec closes the connection with GOAWAY(ENHANCE_YOUR_CALM) and keeps the
// first reason, so that the owner counts it per frontend and logs it once per connection.
#include <cstdint>

namespace portero::http::h2 {

enum class Abuse : uint8_t {
  none,
  resets,            // RST_STREAM received (rapid reset, CVE-2023-44487)
  stream_churn,      // streams opened
  settings_flood,    // SETTINGS received
  ping_flood,        // PING received
  priority_flood,    // PRIORITY received
  empty_data_flood,  // DATA without payload nor END_STREAM (CVE-2019-9518)
  header_list,       // request heads refused as too large (431), repeatedly
  hpack_churn,       // reserved: nghttp2 does not expose HPACK insertions (never reported)
  server_resets,     // RST_STREAM the codec sent on its own ("MadeYouReset")
};

// A stable lower-case name for stats and logs ("resets", "ping_flood", ...).
const char* abuse_name(Abuse a);

}  // namespace portero::http::h2
