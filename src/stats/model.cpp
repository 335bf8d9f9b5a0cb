// Value: how one stats field prints.
#include "portero/stats/model.h"

namespace portero::stats {

std::string Value::text() const {
  switch (type) {
    case Type::none: return {};
    case Type::s32:
    case Type::s64: return std::to_string(i);
    case Type::u32:
    case Type::u64: return std::to_string(u);
    case Type::str: return s;
  }
  return {};
}

const char* Value::type_name() const {
  switch (type) {
    case Type::s32: return "s32";
    case Type::s64: return "s64";
    case Type::u32: return "u32";
    case Type::u64: return "u64";
    case Type::str: return "str";
    case Type::none: break;
  }
  return "empty";
}

}  // namespace portero::stats
