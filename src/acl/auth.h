#pragma once
// HTTP Basic authentication against a `userlist` (http_auth, http_auth_group).
#include <string_view>

#include "portero/config/config.h"
#include "portero/http/message.h"

namespace portero::acl {

// The user whose Basic credentials the request's Authorization header carries, when the
// password matches (clear text for insecure-password, crypt(3) otherwise); else null.
// No allocation: decoding happens in a stack buffer, crypt in a per-thread area.
const config::Userlist::User* check_basic_auth(const http::Head& req, const char* base,
                                               const config::Userlist& list);

// Standard base64 (RFC 4648) decoding into out; returns the length or -1 when malformed or
// longer than cap.
int base64_decode(std::string_view in, char* out, size_t cap);
// Encoding; returns the length or -1 when it does not fit.
int base64_encode(std::string_view in, char* out, size_t cap);

}  // namespace portero::acl
