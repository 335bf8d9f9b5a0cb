#pragma once
// The stats page's static files (www/stats.css, www/stats.js), compiled into the binary by
// embed_assets.cmake at build time: the page never reads files at run time.
#include <string_view>

namespace portero::web {

// The bytes of www/<name> ("stats.css"); empty when there is no such asset.
std::string_view asset(std::string_view name);

}  // namespace portero::web
