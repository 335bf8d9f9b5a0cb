#include "portero/core/loop_context.h"

namespace portero::core {

LoopContext::LoopContext(uv_loop_t* loop, BufferPool& buffers) : buffers_(buffers) {
  loop->data = this;
  uv_idle_init(loop, &idle_);
  idle_.data = this;
}

LoopContext::LoopContext(uv_loop_t* loop, size_t block_size)
    : own_buffers_(std::make_unique<BufferPool>(block_size, 8)), buffers_(*own_buffers_) {
  loop->data = this;
  uv_idle_init(loop, &idle_);
  idle_.data = this;
}

void LoopContext::defer(Deferred* d) {
  if (d->queued) return;
  d->queued = true;
  d->next = nullptr;
  d->prev = tail_;
  if (tail_) tail_->next = d;
  else head_ = d;
  tail_ = d;
  // An active idle handle makes the loop poll without blocking, so the work runs next turn.
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&idle_))) uv_idle_start(&idle_, on_idle);
}

void LoopContext::cancel(Deferred* d) {
  if (!d->queued) return;
  d->queued = false;
  if (d->prev) d->prev->next = d->next;
  else head_ = d->next;
  if (d->next) d->next->prev = d->prev;
  else tail_ = d->prev;
  d->next = d->prev = nullptr;
}

void LoopContext::on_idle(uv_idle_t* h) {
  auto* lc = static_cast<LoopContext*>(h->data);
  // Only what is queued now: work deferred while running waits for the next turn.
  Deferred* last = lc->tail_;
  while (Deferred* d = lc->head_) {
    lc->cancel(d);
    d->run(d->self);
    if (d == last) break;
  }
  if (!lc->head_) uv_idle_stop(&lc->idle_);
}

void LoopContext::close() {
  idle_.loop->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&idle_), nullptr);
}

void LoopContext::close_and_delete(LoopContext* lc) {
  lc->idle_.loop->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&lc->idle_),
           [](uv_handle_t* h) { delete static_cast<LoopContext*>(h->data); });
}

}  // namespace portero::core
