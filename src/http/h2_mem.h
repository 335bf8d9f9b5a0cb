#pragma once
// The allocator nghttp2 uses for portero's sessions (server and client side): small blocks
// from free lists kept per thread, by size class. nghttp2 allocates a few blocks per stream
// (the stream, decoded header fields, queued frames) and frees them when the stream ends; with
// malloc, a busy connection paid for that churn on every request. Blocks above the largest
// class (a session's 16 KiB frame buffer, taken once per connection) go to malloc.
#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <new>

namespace portero::http::h2 {

nghttp2_mem* pooled_mem();

// The same free lists for the codecs' own per-stream objects (their stream maps' nodes).
void* pooled_alloc(size_t n);
void pooled_free(void* p);

template <class T>
struct PooledAllocator {
  using value_type = T;
  PooledAllocator() = default;
  template <class U>
  PooledAllocator(const PooledAllocator<U>&) {}
  T* allocate(size_t n) {
    void* p = pooled_alloc(n * sizeof(T));
    if (!p) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t) { pooled_free(p); }
  template <class U>
  bool operator==(const PooledAllocator<U>&) const { return true; }
};

}  // namespace portero::http::h2
