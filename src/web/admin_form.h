#pragma once
// The stats page's admin form: the urlencoded POST body and what it does to servers
// (COMPAT.md §4.4). Main-thread only (it changes server state through admin/actions.h).
//
// HAProxy reads the body from its end: the last `b` and the last `action` win (earlier ones are
// not even looked at), every `s` names a server. Its quirks are kept because a scripted client
// may rely on the result code:
//   * a `key=value` pair longer than 2047 bytes stops everything with ERRP;
//   * a bad %-escape stops the walk at that pair: what was done so far stands;
//   * an unknown backend or action is ERRP; without `b` or `action` nothing happens (NONE);
//   * a named server that does not exist counts as attempted but not changed.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "portero/stats/source.h"
#include "uri_options.h"

namespace portero::web {

enum class FormAction : uint8_t {
  ready, drain, maint, dhlth, ehlth, hrunn, hnolb, hdown, dagent, eagent, arunn, adown, shutdown,
  enable, disable, stop, start,   // legacy names still accepted
};
// The form's value ("ready", "hdown", ... and the legacy names); nullopt when unknown.
std::optional<FormAction> form_action(std::string_view name);

// '+' is a space, %XX a byte; false on a malformed escape.
bool url_decode(std::string_view in, std::string& out);

// One step of the walk from the end of the body.
struct FormPair {
  enum class Kind : uint8_t { backend, action, server, other, bad_escape, too_long };
  Kind kind = Kind::other;
  std::string value;   // decoded
};
// The body's pairs in walking order (last pair first). The walk stops after a bad_escape or
// too_long pair, so nothing after it is returned.
std::vector<FormPair> form_pairs_from_end(std::string_view body);

// The longest `key=value` pair HAProxy's form parser holds.
constexpr size_t kMaxPairLen = 2047;

// Applies the form to `src`'s servers and returns the result code of the 303 redirect.
PostStatus apply_admin_post(stats::StatsSource& src, std::string_view body);

// The largest body HAProxy accepts: it must fit in one buffer with the request head
// (tune.bufsize - tune.maxrewrite); the head is not known here, so a typical head is assumed.
size_t max_post_body(const stats::StatsSource& src);

}  // namespace portero::web
