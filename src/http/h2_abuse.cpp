#include "portero/http/h2_abuse.h"

namespace portero::http::h2 {

const char* abuse_name(Abuse a) {
  switch (a) {
    case Abuse::none: return "none";
    case Abuse::resets: return "resets";
    case Abuse::stream_churn: return "stream_churn";
    case Abuse::settings_flood: return "settings_flood";
    case Abuse::ping_flood: return "ping_flood";
    case Abuse::priority_flood: return "priority_flood";
    case Abuse::empty_data_flood: return "empty_data_flood";
    case Abuse::header_list: return "header_list";
    case Abuse::hpack_churn: return "hpack_churn";
    case Abuse::server_resets: return "server_resets";
  }
  return "unknown";
}

}  // namespace portero::http::h2
