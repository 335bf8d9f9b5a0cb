#include "h2_mem.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

namespace portero::http::h2 {

namespace {

// Classes about 1.5x apart; a block carries its class in a 16-byte header (which keeps the
// payload 16-byte aligned, as malloc's).
constexpr uint32_t kClass[] = {32, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096};
constexpr int kClasses = sizeof kClass / sizeof kClass[0];
constexpr int kLarge = kClasses;   // the header's mark for a block that came from malloc
constexpr size_t kHeader = 16;
// Free blocks kept per class and thread: enough for a few thousand streams in flight; a burst
// beyond that is given back to malloc when it ends.
constexpr uint32_t kKeepBytes = 1u << 20;

int class_of(size_t n) {
  for (int c = 0; c < kClasses; ++c)
    if (n <= kClass[c]) return c;
  return kLarge;
}

struct Free {
  Free* next;
};

// Set when the thread's lists are gone (thread exit): a session freed later frees to malloc.
thread_local bool lists_gone = false;

struct Lists {
  Free* head[kClasses] = {};
  uint32_t count[kClasses] = {};
  ~Lists() {
    lists_gone = true;
    for (Free*& f : head)
      while (f) {
        Free* next = f->next;
        std::free(f);
        f = next;
      }
  }
};

thread_local Lists lists;

void* take(size_t n) {
  const int c = class_of(n);
  unsigned char* raw;
  if (c < kClasses && !lists_gone && lists.head[c]) {
    Free* f = lists.head[c];
    lists.head[c] = f->next;
    --lists.count[c];
    raw = reinterpret_cast<unsigned char*>(f);
  } else {
    raw = static_cast<unsigned char*>(std::malloc(kHeader + (c < kClasses ? kClass[c] : n)));
    if (!raw) return nullptr;
  }
  raw[0] = static_cast<unsigned char>(c);
  std::memcpy(raw + 8, &n, sizeof n);   // the size asked, for realloc
  return raw + kHeader;
}

void give(void* p) {
  if (!p) return;
  unsigned char* raw = static_cast<unsigned char*>(p) - kHeader;
  const int c = raw[0];
  if (c >= kClasses || lists_gone || uint64_t(lists.count[c] + 1) * kClass[c] > kKeepBytes) {
    std::free(raw);
    return;
  }
  Free* f = reinterpret_cast<Free*>(raw);
  f->next = lists.head[c];
  lists.head[c] = f;
  ++lists.count[c];
}

size_t size_of(void* p) {
  size_t n;
  std::memcpy(&n, static_cast<unsigned char*>(p) - kHeader + 8, sizeof n);
  return n;
}

void* mem_malloc(size_t n, void*) { return take(n); }
void mem_free(void* p, void*) { give(p); }
void* mem_calloc(size_t count, size_t size, void*) {
  if (size && count > SIZE_MAX / size) return nullptr;
  void* p = take(count * size);
  if (p) std::memset(p, 0, count * size);
  return p;
}
void* mem_realloc(void* p, size_t n, void*) {
  if (!p) return take(n);
  if (n == 0) {
    give(p);
    return nullptr;
  }
  const size_t old = size_of(p);
  const int c = static_cast<unsigned char*>(p)[-int(kHeader)];
  if (c < kClasses && n <= kClass[c]) {   // still fits its block
    std::memcpy(static_cast<unsigned char*>(p) - kHeader + 8, &n, sizeof n);
    return p;
  }
  void* q = take(n);
  if (!q) return nullptr;
  std::memcpy(q, p, old < n ? old : n);
  give(p);
  return q;
}

nghttp2_mem mem{nullptr, &mem_malloc, &mem_free, &mem_calloc, &mem_realloc};

}  // namespace

nghttp2_mem* pooled_mem() { return &mem; }
void* pooled_alloc(size_t n) { return take(n); }
void pooled_free(void* p) { give(p); }

}  // namespace portero::http::h2
