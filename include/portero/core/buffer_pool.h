#pragma once
// Fixed-size byte blocks recycled per worker thread (worker-local, never shared). Connections
// take a block only while they have bytes to hold and give it back as soon as they are idle,
// so an idle keep-alive connection holds no buffer.
#include <cstddef>
#include <cstdlib>
#include <new>

namespace portero::core {

class BufferPool {
 public:
  // `block_size`: bytes per block. `keep`: free blocks always kept for reuse. Beyond that, a
  // block given back is kept while the free list is shorter than the count in use (a steady
  // load of any size recycles without calling malloc), and returned to the allocator otherwise,
  // so memory goes back as the load falls and a burst does not pin it forever.
  explicit BufferPool(size_t block_size, size_t keep = 64) : block_size_(block_size), keep_(keep) {}
  ~BufferPool() {
    while (free_) {
      Free* next = free_->next;
      std::free(free_);
      free_ = next;
    }
  }
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // Never null: allocates when the free list is empty (aborts like new on exhaustion).
  char* get() {
    if (free_) {
      Free* f = free_;
      free_ = f->next;
      --free_count_;
      ++in_use_;
      return reinterpret_cast<char*>(f);
    }
    void* p = std::malloc(block_size_);
    if (!p) throw std::bad_alloc();
    ++in_use_;
    return static_cast<char*>(p);
  }

  void put(char* block) {
    --in_use_;
    if (free_count_ >= keep_ && free_count_ >= in_use_) {
      std::free(block);
      return;
    }
    Free* f = reinterpret_cast<Free*>(block);
    f->next = free_;
    free_ = f;
    ++free_count_;
  }

  size_t block_size() const { return block_size_; }
  size_t in_use() const { return in_use_; }
  size_t free_count() const { return free_count_; }

 private:
  struct Free {
    Free* next;
  };
  size_t block_size_;
  size_t keep_;
  Free* free_ = nullptr;
  size_t free_count_ = 0;
  size_t in_use_ = 0;
};

// A pool of objects of one type, recycled per worker (worker-local). Free objects kept: at
// least `keep`, more while the free list is shorter than the count in use (as BufferPool).
template <class T>
class ObjectPool {
 public:
  explicit ObjectPool(size_t keep = 1024) : keep_(keep) {}
  ~ObjectPool() {
    while (free_) {
      Free* next = free_->next;
      ::operator delete(static_cast<void*>(free_), std::align_val_t{alignof(T)});
      free_ = next;
    }
  }
  ObjectPool(const ObjectPool&) = delete;
  ObjectPool& operator=(const ObjectPool&) = delete;

  template <class... Args>
  T* make(Args&&... args) {
    void* mem;
    if (free_) {
      mem = free_;
      free_ = free_->next;
      --free_count_;
    } else {
      mem = ::operator new(sizeof(T) < sizeof(Free) ? sizeof(Free) : sizeof(T), std::align_val_t{alignof(T)});
    }
    T* obj = new (mem) T(std::forward<Args>(args)...);
    ++in_use_;
    return obj;
  }

  void destroy(T* obj) {
    obj->~T();
    --in_use_;
    if (free_count_ >= keep_ && free_count_ >= in_use_) {
      ::operator delete(static_cast<void*>(obj), std::align_val_t{alignof(T)});
      return;
    }
    Free* f = reinterpret_cast<Free*>(obj);
    f->next = free_;
    free_ = f;
    ++free_count_;
  }

 private:
  struct Free {
    Free* next;
  };
  size_t keep_;
  Free* free_ = nullptr;
  size_t free_count_ = 0;
  size_t in_use_ = 0;
};

}  // namespace portero::core
