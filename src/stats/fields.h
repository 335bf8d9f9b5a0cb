#pragma once
// Static facts about the `show stat` and `show info` fields: names, the typed-form tags
// (origin/nature/scope letters, which differ by object type) and short descriptions for `desc`.
// Tags were read from HAProxy 2.6.12's own `show stat typed` output.
#include <string_view>

#include "portero/stats/model.h"

namespace portero::stats::detail {

struct StatField {
  std::string_view name;
  // Three-letter tags per object type (frontend, backend, server); empty when that object
  // type never fills the field (then its tags are never printed).
  std::string_view fe, be, sv;
  std::string_view desc;   // our own words, printed by `typed desc`
};

// The positional fields f_pxname .. f_agg_check_status.
const StatField& stat_field(int f);

// The per-module columns after the literal "-" (SSL, H2, H1 counters, in 2.6.12's order).
// Typed/JSON number them from kFieldCount on (the "-" takes no position there).
constexpr int kExtraCount = 24;
const StatField& extra_field(int i);

// Tags of a field for an object type (frontend/backend/server/listener -> fe/be/sv/fe).
std::string_view tags_for(const StatField& f, ObjType t);

// Words of the one-letter tags, for the JSON form.
std::string_view origin_word(char c);
std::string_view nature_word(char c);
std::string_view scope_word(char c);

}  // namespace portero::stats::detail
