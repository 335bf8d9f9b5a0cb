#include "portero/core/timers.h"

namespace portero::core {

Timers::Timers(uv_loop_t* loop) : loop_(loop) {
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
  // Lets the loop end when only this timer is left (no connections, no listeners).
  uv_unref(reinterpret_cast<uv_handle_t*>(&timer_));
}

Timers::~Timers() = default;

void Timers::close() {
  uv_timer_stop(&timer_);
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&timer_)))
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
}

void Timers::arm(TimerNode& node, uint64_t duration_ms) {
  if (node.armed) disarm(node);
  uint32_t qi = 0;
  while (qi < queues_.size() && queues_[qi].duration != duration_ms) ++qi;
  if (qi == queues_.size()) queues_.push_back(Queue{duration_ms});
  Queue& q = queues_[qi];
  node.deadline = uv_now(loop_) + duration_ms;
  node.queue = qi;
  node.armed = true;
  node.next = nullptr;
  node.prev = q.tail;
  if (q.tail)
    q.tail->next = &node;
  else
    q.head = &node;
  q.tail = &node;
  if (node.deadline < scheduled_at_) {
    scheduled_at_ = node.deadline;
    uv_timer_start(&timer_, on_timer, duration_ms, 0);
  }
}

void Timers::disarm(TimerNode& node) {
  if (!node.armed) return;
  Queue& q = queues_[node.queue];
  if (node.prev)
    node.prev->next = node.next;
  else
    q.head = node.next;
  if (node.next)
    node.next->prev = node.prev;
  else
    q.tail = node.prev;
  node.prev = node.next = nullptr;
  node.armed = false;
  // The uv timer is left as is: when it fires early it simply reschedules.
}

void Timers::on_timer(uv_timer_t* t) { static_cast<Timers*>(t->data)->fire(); }

void Timers::fire() {
  scheduled_at_ = UINT64_MAX;
  uint64_t now = uv_now(loop_);
  for (size_t qi = 0; qi < queues_.size(); ++qi) {
    // Callbacks may arm/disarm other nodes (even in this queue), so re-read the head each time.
    while (queues_[qi].head && queues_[qi].head->deadline <= now) {
      TimerNode* n = queues_[qi].head;
      disarm(*n);
      if (n->on_expire) n->on_expire(n);
    }
  }
  schedule();
}

void Timers::schedule() {
  uint64_t earliest = UINT64_MAX;
  for (const Queue& q : queues_)
    if (q.head && q.head->deadline < earliest) earliest = q.head->deadline;
  if (earliest == UINT64_MAX) {
    uv_timer_stop(&timer_);
    scheduled_at_ = UINT64_MAX;
    return;
  }
  uint64_t now = uv_now(loop_);
  scheduled_at_ = earliest;
  uv_timer_start(&timer_, on_timer, earliest > now ? earliest - now : 0, 0);
}

}  // namespace portero::core
