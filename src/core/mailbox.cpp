#include "portero/core/mailbox.h"

namespace portero::core {

Mailbox::Mailbox(uv_loop_t* loop) : async_(new uv_async_t) {
  uv_async_init(loop, async_, on_wake);
  async_->data = this;
}

void Mailbox::release_loop() { uv_unref(reinterpret_cast<uv_handle_t*>(async_)); }

void Mailbox::post(std::function<void()> fn) {
  std::lock_guard lock(mutex_);
  // A loop that ended has nothing left to do it on (e.g. SIGTERM to a worker whose soft stop
  // just finished): the work is dropped rather than waking a closed handle.
  if (closed_) return;
  queue_.push_back(std::move(fn));
  uv_async_send(async_);
}

void Mailbox::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    queue_.clear();
  }
  uv_close(reinterpret_cast<uv_handle_t*>(async_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
}

void Mailbox::on_wake(uv_async_t* a) {
  auto* self = static_cast<Mailbox*>(a->data);
  std::vector<std::function<void()>> work;
  {
    std::lock_guard lock(self->mutex_);
    work.swap(self->queue_);
  }
  for (auto& fn : work) fn();
}

}  // namespace portero::core
