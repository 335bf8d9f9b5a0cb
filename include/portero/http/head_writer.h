#pragma once
// Writes an HTTP/1 message head into a fixed-size buffer. It never grows: overflow is reported
// and the caller answers with an error instead of allocating.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace portero::http {

class HeadWriter {
 public:
  HeadWriter(char* buf, size_t cap) : buf_(buf), cap_(cap) {}

  void put(std::string_view s) {
    if (len_ + s.size() > cap_) {
      overflow_ = true;
      return;
    }
    std::memcpy(buf_ + len_, s.data(), s.size());
    len_ += s.size();
  }
  // Header names are sent lower-case, as HAProxy 2.x does on HTTP/1.
  void put_lower(std::string_view s) {
    if (len_ + s.size() > cap_) {
      overflow_ = true;
      return;
    }
    const char* p = s.data();
    size_t n = s.size();
    char* out = buf_ + len_;
    len_ += n;
    // Eight bytes at a time: a byte gets 0x20 added exactly when it is in 'A'..'Z'.
    for (; n >= 8; n -= 8, p += 8, out += 8) {
      uint64_t x;
      std::memcpy(&x, p, 8);
      const uint64_t ascii = ~x & 0x8080808080808080ull;
      const uint64_t low7 = x & 0x7f7f7f7f7f7f7f7full;
      const uint64_t ge_a = low7 + 0x3f3f3f3f3f3f3f3full;   // high bit set when byte >= 'A'
      const uint64_t gt_z = low7 + 0x2525252525252525ull;   // high bit set when byte > 'Z'
      x |= ((ge_a & ~gt_z) & ascii) >> 2;
      std::memcpy(out, &x, 8);
    }
    for (; n; --n) {
      const char c = *p++;
      *out++ = (c >= 'A' && c <= 'Z') ? char(c | 0x20) : c;
    }
  }
  void put_uint(uint64_t v) {
    char tmp[24];
    int n = 0;
    do {
      tmp[n++] = char('0' + v % 10);
      v /= 10;
    } while (v);
    char out[24];
    for (int i = 0; i < n; ++i) out[i] = tmp[n - 1 - i];
    put({out, size_t(n)});
  }
  void header(std::string_view name, std::string_view value) {
    put_lower(name);
    put(": ");
    put(value);
    put("\r\n");
  }

  bool overflow() const { return overflow_; }
  size_t size() const { return len_; }
  const char* data() const { return buf_; }

 private:
  char* buf_;
  size_t cap_;
  size_t len_ = 0;
  bool overflow_ = false;
};

}  // namespace portero::http
