#include "auth.h"

#include <crypt.h>

#include <cstring>

namespace portero::acl {
namespace {

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

int base64_decode(std::string_view in, char* out, size_t cap) {
  if (in.size() % 4 != 0) return -1;
  size_t n = 0;
  for (size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      char c = in[i + k];
      if (c == '=' && i + 4 == in.size() && k >= 2) {
        v[k] = 0;
        ++pad;
      } else {
        if (pad) return -1;
        v[k] = b64_value(c);
        if (v[k] < 0) return -1;
      }
    }
    const uint32_t w = (uint32_t(v[0]) << 18) | (uint32_t(v[1]) << 12) | (uint32_t(v[2]) << 6) | uint32_t(v[3]);
    const int bytes = 3 - pad;
    if (n + bytes > cap) return -1;
    out[n++] = char(w >> 16);
    if (bytes > 1) out[n++] = char(w >> 8);
    if (bytes > 2) out[n++] = char(w);
  }
  return static_cast<int>(n);
}

int base64_encode(std::string_view in, char* out, size_t cap) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const size_t need = (in.size() + 2) / 3 * 4;
  if (need > cap) return -1;
  size_t n = 0;
  for (size_t i = 0; i < in.size(); i += 3) {
    const size_t rem = in.size() - i;
    uint32_t w = uint32_t(uint8_t(in[i])) << 16;
    if (rem > 1) w |= uint32_t(uint8_t(in[i + 1])) << 8;
    if (rem > 2) w |= uint8_t(in[i + 2]);
    out[n++] = t[(w >> 18) & 63];
    out[n++] = t[(w >> 12) & 63];
    out[n++] = rem > 1 ? t[(w >> 6) & 63] : '=';
    out[n++] = rem > 2 ? t[w & 63] : '=';
  }
  return static_cast<int>(n);
}

const config::Userlist::User* check_basic_auth(const http::Head& req, const char* base,
                                               const config::Userlist& list) {
  const http::Header* h = req.find(base, "authorization");
  if (!h) return nullptr;
  std::string_view v = h->value.in(base);
  if (v.size() < 6 || !http::iequals(v.substr(0, 6), "basic ")) return nullptr;
  v.remove_prefix(6);
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  char dec[1024];
  const int n = base64_decode(v, dec, sizeof(dec) - 1);
  if (n < 0) return nullptr;
  std::string_view cred(dec, static_cast<size_t>(n));
  const size_t colon = cred.find(':');
  if (colon == std::string_view::npos) return nullptr;
  const auto* u = list.find_user(cred.substr(0, colon));
  if (!u) return nullptr;
  std::string_view pass = cred.substr(colon + 1);
  if (u->insecure) return pass == u->password ? u : nullptr;
  dec[n] = '\0';  // crypt wants the clear password NUL-terminated
  // crypt_data is large (~32 KiB): one per thread, reused.
  thread_local crypt_data data;
  data.initialized = 0;
  const char* hashed = crypt_r(dec + colon + 1, u->password.c_str(), &data);
  if (!hashed || hashed[0] == '*') return nullptr;
  return u->password == hashed ? u : nullptr;
}

}  // namespace portero::acl
