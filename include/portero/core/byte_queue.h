#pragma once
// Bytes waiting in pooled blocks, first in, first out: an HTTP/2 stream's request body between
// the codec, which delivers a whole DATA frame at once, and the stream's session, which reads
// as its buffer allows. Flow control bounds what is queued (the stream's window), so a few
// blocks suffice; none is held while the queue is empty. Worker-local.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "portero/core/buffer_pool.h"

namespace portero::core {

class ByteQueue {
 public:
  static constexpr int kMaxBlocks = 8;

  ByteQueue(BufferPool& pool, uint32_t block_size) : pool_(pool), block_(block_size) {}
  ~ByteQueue() { clear(); }
  ByteQueue(const ByteQueue&) = delete;
  ByteQueue& operator=(const ByteQueue&) = delete;

  // The most a queue holds: what a window may be set to.
  static size_t capacity(uint32_t block_size) { return size_t(kMaxBlocks - 1) * block_size; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Appends n bytes; false (nothing appended) past capacity().
  bool push(const char* p, size_t n) {
    if (size_ + n > capacity(block_)) return false;
    while (n > 0) {
      if (count_ == 0 || tail_ == block_) {
        blocks_[count_++] = pool_.get();
        tail_ = 0;
      }
      const size_t m = std::min<size_t>(n, block_ - tail_);
      std::memcpy(blocks_[count_ - 1] + tail_, p, m);
      tail_ += uint32_t(m);
      size_ += m;
      p += m;
      n -= m;
    }
    return true;
  }

  // Moves up to cap bytes into out; returns how many.
  size_t pop(char* out, size_t cap) {
    size_t done = 0;
    while (done < cap && size_ > 0) {
      const uint32_t end = count_ == 1 ? tail_ : block_;
      const size_t m = std::min<size_t>(cap - done, end - head_);
      std::memcpy(out + done, blocks_[0] + head_, m);
      head_ += uint32_t(m);
      size_ -= m;
      done += m;
      if (head_ == end) drop_first();
    }
    return done;
  }

  void clear() {
    while (count_ > 0) drop_first();
    size_ = 0;
  }

 private:
  void drop_first() {
    pool_.put(blocks_[0]);
    std::memmove(blocks_, blocks_ + 1, sizeof(char*) * size_t(--count_));
    head_ = 0;
    if (count_ == 0) tail_ = 0;
  }

  BufferPool& pool_;
  char* blocks_[kMaxBlocks] = {};
  uint32_t block_;
  uint32_t head_ = 0;   // read offset in blocks_[0]
  uint32_t tail_ = 0;   // write offset in the last block
  uint8_t count_ = 0;
  size_t size_ = 0;
};

}  // namespace portero::core
