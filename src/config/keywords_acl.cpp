// `acl NAME FETCH [flags] [operator] VALUE...`: stored as written for portero_acl, which
// compiles the expression. Only what HAProxy rejects while reading the line is checked here
// (the name, a missing fetch, anonymous defaults); fetch/pattern errors come from compile().
#include <cctype>

#include "parse_context.h"

namespace portero::config {
namespace {

bool acl_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == ':';
}

void kw_acl(ParseContext& c, const Args& a) {
  if (c.section == SectionKind::defaults && !c.defaults_named) {
    c.alert("'acl' not allowed in anonymous 'defaults' section.");
    return;
  }
  if (a.size() < 2 || a[1].empty()) {
    // HAProxy points at the terminating NUL of the missing name, which cuts its message short.
    c.alert("character '");
    return;
  }
  const std::string& name = a[1];
  for (char ch : name)
    if (!acl_name_char(ch)) {
      c.alert(std::string("character '") + ch + "' is not permitted in acl name '" + name + "'.");
      return;
    }
  if (a.size() < 3 || a[2].empty()) {
    c.alert("error detected while parsing ACL '" + name + "' : missing fetch method in ACL expression ''.");
    return;
  }
  AclLine line;
  line.origin = c.origin;
  line.name = name;
  line.words.assign(a.begin() + 2, a.end());
  c.proxy->acls.push_back(std::move(line));
}

const KeywordRow kRows[] = {
    {kInProxies, "acl", true, Cap::any, false, kw_acl},
};

}  // namespace

void register_acl_keywords(Registry& r) { r.add(kRows); }

}  // namespace portero::config
