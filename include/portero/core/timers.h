#pragma once
// Per-worker timeouts without a timer per connection. Every timeout of a given duration is
// kept in one FIFO list: appending "now + d" keeps each list sorted by deadline, so arming,
// re-arming and disarming are O(1) list operations, and a single uv_timer_t fires at the
// earliest head. Worker-local.
#include <cstdint>
#include <vector>

#include <uv.h>

namespace portero::core {

class Timers;

// Embedded in the object that owns the timeout. `on_expire` is called on the worker thread
// when the deadline passes; the node is already disarmed then.
struct TimerNode {
  using Callback = void (*)(TimerNode*);
  TimerNode* prev = nullptr;
  TimerNode* next = nullptr;
  uint64_t deadline = 0;
  uint32_t queue = 0;          // index of the list it is in (valid when armed)
  bool armed = false;
  Callback on_expire = nullptr;
  void* owner = nullptr;       // the object the callback acts on
};

class Timers {
 public:
  explicit Timers(uv_loop_t* loop);
  ~Timers();
  Timers(const Timers&) = delete;
  Timers& operator=(const Timers&) = delete;

  // (Re)arms `node` to expire `duration_ms` from the loop's current time.
  void arm(TimerNode& node, uint64_t duration_ms);
  void disarm(TimerNode& node);
  // Stops the uv timer; call before closing the loop.
  void close();

 private:
  struct Queue {
    uint64_t duration;
    TimerNode* head = nullptr;
    TimerNode* tail = nullptr;
  };
  static void on_timer(uv_timer_t* t);
  void fire();
  void schedule();

  uv_loop_t* loop_;
  uv_timer_t timer_;
  std::vector<Queue> queues_;
  uint64_t scheduled_at_ = UINT64_MAX;  // deadline the uv timer is set for
};

}  // namespace portero::core
