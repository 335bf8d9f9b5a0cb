#pragma once
// Reason phrases for status lines this proxy writes itself (HAProxy's wording).
#include <string_view>

namespace portero::http {

std::string_view reason_phrase(int status);

}  // namespace portero::http
