#pragma once
// What every transport on one libuv loop shares, reached through `loop->data`: the pool of
// pending-request objects, and work deferred to the next turn of the loop (a TLS transport
// holding decrypted bytes when its owner starts reading again must not call back from inside
// read_start()). Loop-local: one thread only.
#include <memory>

#include <uv.h>

#include "portero/core/buffer_pool.h"
#include "portero/core/transport.h"

namespace portero::core {

// A node in the deferred list, embedded in its owner.
struct Deferred {
  void (*run)(void* self) = nullptr;
  void* self = nullptr;
  Deferred* next = nullptr;
  Deferred* prev = nullptr;
  bool queued = false;
};

class LoopContext {
 public:
  // `buffers`: the loop's pool of byte blocks (TLS ciphertext buffers come from it).
  LoopContext(uv_loop_t* loop, BufferPool& buffers);
  // With a pool of its own (`block_size` bytes per block), for a loop that has none.
  LoopContext(uv_loop_t* loop, size_t block_size);
  LoopContext(const LoopContext&) = delete;
  LoopContext& operator=(const LoopContext&) = delete;
  static LoopContext& of(uv_loop_t* loop) { return *static_cast<LoopContext*>(loop->data); }

  StreamReq* new_req() { return reqs_.make(); }
  void free_req(StreamReq* r) { reqs_.destroy(r); }
  BufferPool& buffers() { return buffers_; }

  void defer(Deferred* d);     // runs d->run on the next loop turn (once, however often asked)
  void cancel(Deferred* d);
  void close();                // before the loop ends
  // For a heap-allocated context: closes it and frees it once libuv lets go of its handle.
  static void close_and_delete(LoopContext* lc);

 private:
  static void on_idle(uv_idle_t* h);
  ObjectPool<StreamReq> reqs_{256};
  std::unique_ptr<BufferPool> own_buffers_;
  BufferPool& buffers_;
  uv_idle_t idle_;
  Deferred* head_ = nullptr;
  Deferred* tail_ = nullptr;
};

}  // namespace portero::core
