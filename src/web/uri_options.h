#pragma once
// The options a stats URI carries after its prefix (COMPAT.md §4.3): `;up`, `;no-maint`,
// `;norefresh`, the export formats, `;st=CODE` (the banner after an admin POST), `scope=TEXT`,
// and portero's `;live` (the charts' JSON feed). Pure functions.
#include <cstdint>
#include <string>
#include <string_view>

namespace portero::web {

struct PageOptions {
  enum class Format : uint8_t { html, csv, typed, json, json_schema, live };
  Format format = Format::html;
  bool up = false;          // hide servers that are not UP
  bool no_maint = false;    // hide servers in MAINT
  bool norefresh = false;   // no `refresh:` header (only matters when `stats refresh` is set)
  std::string status;       // the 4 letters after `;st=`, empty when absent
  std::string scope;        // proxies whose name contains it (case-insensitive), <= 20 chars
};

// The longest `scope=` value HAProxy keeps (longer values are cut).
constexpr size_t kScopeMaxLen = 20;

// Where the options start in `uri`: after the stats `prefix`. A prefix starting with '/' is
// matched against the path, so an absolute-form URI ("http://host/stats;csv") skips its
// scheme and authority first. Returns npos when the URI does not start with the prefix.
size_t options_offset(std::string_view uri, std::string_view prefix);

// Options are substrings searched anywhere after the prefix, as HAProxy does (";csv;up" and
// "?x;up;csv" mean the same). When several formats appear, the last one wins.
PageOptions parse_options(std::string_view uri, std::string_view prefix);

// The result codes of an admin POST and the banner each one shows on the next GET.
enum class PostStatus : uint8_t { done, part, none, errp, excd, deny, ival, unkn };
std::string_view status_code(PostStatus s);            // "DONE", "PART", ...
PostStatus status_from_code(std::string_view code);    // unknown letters: unkn

// The 303 `location:` after a POST: `<prefix>;st=CODE`, then `;up` and `;norefresh` when the
// request had them (`;norefresh` only when `stats refresh` is configured, since it is
// meaningless otherwise), then `?scope=TEXT` when a scope was given.
std::string post_location(std::string_view prefix, PostStatus code, const PageOptions& o, bool refresh_configured);

// A link back to the page keeping the display options: `<prefix>[;up][;no-maint][;norefresh]
// [suffix][?scope=TEXT]`. `suffix` is appended as is (";csv;norefresh").
std::string page_link(std::string_view prefix, const PageOptions& o, bool refresh_configured,
                      std::string_view suffix = {});

}  // namespace portero::web
