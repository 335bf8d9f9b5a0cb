#include "maps.h"

#include <fstream>

namespace portero::acl {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool read_pattern_file(const std::string& path, std::vector<std::string>& out) {
  std::ifstream in(path);
  if (!in) return false;
  std::string line;
  while (std::getline(in, line)) {
    std::string_view v = trim(line);
    if (v.empty() || v.front() == '#') continue;
    out.emplace_back(v);
  }
  return true;
}

bool MapData::load(const std::string& path, std::string& err) {
  std::ifstream in(path);
  if (!in) {
    err = "failed to open pattern file <" + path + ">.";
    return false;
  }
  std::string line;
  while (std::getline(in, line)) {
    std::string_view v = trim(line);
    if (v.empty() || v.front() == '#') continue;
    size_t sp = v.find_first_of(" \t");
    std::string key(v.substr(0, sp));
    std::string value(sp == std::string_view::npos ? std::string_view() : trim(v.substr(sp)));
    if (!keys.add(key, "", err)) return false;
    if (int_output) {
      int64_t x = 0;
      bool neg = false;
      size_t i = 0;
      if (!value.empty() && value[0] == '-') neg = true, i = 1;
      for (; i < value.size() && value[i] >= '0' && value[i] <= '9'; ++i) x = x * 10 + (value[i] - '0');
      int_values.push_back(neg ? -x : x);
    }
    values.push_back(std::move(value));
  }
  keys.finish();
  return true;
}

}  // namespace portero::acl
