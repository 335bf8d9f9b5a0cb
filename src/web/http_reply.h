#pragma once
// HTTP framing of the stats page's answers, with HAProxy's header names, order and values
// (COMPAT.md §4.3): `cache-control: no-cache`, the content type, `refresh:` when asked,
// `connection:` as the client's connection mode requires. Pure functions.
//
// Framing: HTTP/1.1 answers are chunked as HAProxy's (one chunk: the whole body is known).
// HTTP/1.0 answers carry content-length instead: HAProxy sends chunked bytes to a 1.0 client,
// which such a client cannot parse; every client reads a content-length.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "portero/stats/page.h"

namespace portero::web {

// 200 OK with `body` (not sent for HEAD). `refresh_s`: the `refresh:` header value.
std::string ok_reply(const stats::PageRequest& req, std::string_view content_type,
                     std::optional<uint64_t> refresh_s, std::string_view body);

// 303 See Other to `location`, empty body (the admin form's answer).
std::string see_other_reply(const stats::PageRequest& req, std::string_view location);

}  // namespace portero::web
