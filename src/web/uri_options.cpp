#include "uri_options.h"

#include <array>

namespace portero::web {
namespace {

bool starts_with(std::string_view s, size_t at, std::string_view what) {
  return s.size() >= at + what.size() && s.compare(at, what.size(), what) == 0;
}

constexpr std::array<std::string_view, 8> kCodes = {"DONE", "PART", "NONE", "ERRP", "EXCD", "DENY", "IVAL", "UNKN"};

}  // namespace

size_t options_offset(std::string_view uri, std::string_view prefix) {
  size_t start = 0;
  if (!prefix.empty() && prefix[0] == '/' && !uri.empty() && uri[0] != '/') {
    // absolute-form: skip "scheme://authority" up to the path
    const size_t scheme = uri.find("://");
    if (scheme == std::string_view::npos) return std::string_view::npos;
    start = uri.find('/', scheme + 3);
    if (start == std::string_view::npos) return std::string_view::npos;
  }
  if (!starts_with(uri, start, prefix)) return std::string_view::npos;
  return start + prefix.size();
}

PageOptions parse_options(std::string_view uri, std::string_view prefix) {
  PageOptions o;
  size_t at = options_offset(uri, prefix);
  if (at == std::string_view::npos) return o;
  using F = PageOptions::Format;
  for (; at < uri.size(); ++at) {
    if (starts_with(uri, at, ";up")) o.up = true;
    else if (starts_with(uri, at, ";no-maint")) o.no_maint = true;
    else if (starts_with(uri, at, ";norefresh")) o.norefresh = true;
    else if (starts_with(uri, at, ";csv")) o.format = F::csv;
    else if (starts_with(uri, at, ";typed")) o.format = F::typed;
    else if (starts_with(uri, at, ";json-schema")) o.format = F::json_schema;
    else if (starts_with(uri, at, ";json")) o.format = F::json;
    else if (starts_with(uri, at, ";live")) o.format = F::live;
    else if (starts_with(uri, at, ";st=")) o.status = std::string(uri.substr(at + 4, 4));
    else if (starts_with(uri, at, "scope=")) {
      // the value ends at ';', '&' or a space, and is cut at 20 characters
      const size_t from = at + 6;
      size_t end = from;
      while (end < uri.size() && end - from < kScopeMaxLen && uri[end] != ';' && uri[end] != '&' && uri[end] != ' ')
        ++end;
      o.scope = std::string(uri.substr(from, end - from));
    }
  }
  return o;
}

std::string_view status_code(PostStatus s) { return kCodes[static_cast<size_t>(s)]; }

PostStatus status_from_code(std::string_view code) {
  for (size_t i = 0; i < kCodes.size(); ++i)
    if (kCodes[i] == code) return static_cast<PostStatus>(i);
  return PostStatus::unkn;
}

std::string post_location(std::string_view prefix, PostStatus code, const PageOptions& o, bool refresh_configured) {
  std::string loc(prefix);
  loc += ";st=";
  loc += status_code(code);
  if (o.up) loc += ";up";
  if (o.norefresh && refresh_configured) loc += ";norefresh";
  if (!o.scope.empty()) loc += "?scope=" + o.scope;
  return loc;
}

std::string page_link(std::string_view prefix, const PageOptions& o, bool refresh_configured, std::string_view suffix) {
  std::string link(prefix);
  if (o.up) link += ";up";
  if (o.no_maint) link += ";no-maint";
  if (o.norefresh && refresh_configured) link += ";norefresh";
  link += suffix;
  if (!o.scope.empty()) link += "?scope=" + o.scope;
  return link;
}

}  // namespace portero::web
