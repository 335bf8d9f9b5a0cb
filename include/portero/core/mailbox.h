#pragma once
// Cross-thread work for one worker: other threads post closures; the worker runs them on its
// own loop. Posts coalesce: one wake drains the whole queue. The only way to reach a worker.
#include <functional>
#include <mutex>
#include <vector>

#include <uv.h>

namespace portero::core {

class Mailbox {
 public:
  explicit Mailbox(uv_loop_t* loop);
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  // Any thread. `fn` runs later on the mailbox's loop thread.
  void post(std::function<void()> fn);
  // Loop thread: the mailbox no longer keeps the loop running (it still delivers), so the
  // loop ends once nothing else is left; used when a worker stops.
  void release_loop();
  // Loop thread: stop receiving (closes the async handle); later posts are dropped.
  void close();

 private:
  static void on_wake(uv_async_t* a);
  uv_async_t* async_;   // heap: freed in its close callback
  std::mutex mutex_;
  std::vector<std::function<void()>> queue_;
  bool closed_ = false;   // under mutex_
};

}  // namespace portero::core
