// Timer queues and pools: the bookkeeping the data plane relies on for every connection.
#include <doctest/doctest.h>

#include <vector>

#include "portero/core/buffer_pool.h"
#include "portero/core/timers.h"

using namespace portero::core;

namespace {

struct Fired {
  std::vector<int> order;
};

struct Probe {
  TimerNode node;
  int id = 0;
  Fired* log = nullptr;
};

void on_expire(TimerNode* n) {
  auto* p = static_cast<Probe*>(n->owner);
  p->log->order.push_back(p->id);
}

// Runs the loop until `want` timers fired (each uv_run blocks until the next one is due).
void run_until(uv_loop_t* loop, const Fired& f, size_t want) {
  for (int i = 0; i < 100 && f.order.size() < want; ++i) uv_run(loop, UV_RUN_ONCE);
}

}  // namespace

TEST_CASE("timers fire in deadline order across durations, re-arming pushes a deadline back") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    Timers timers(&loop);
    Fired fired;
    Probe a, b, c, d;
    int id = 1;
    for (Probe* p : {&a, &b, &c, &d}) {
      p->id = id++;
      p->log = &fired;
      p->node.owner = p;
      p->node.on_expire = on_expire;
    }
    timers.arm(a.node, 30);
    timers.arm(b.node, 5);
    timers.arm(c.node, 30);
    timers.arm(d.node, 15);
    timers.arm(a.node, 45);  // activity on `a`: its deadline moves behind c's
    // Keep the loop alive while waiting: the timers' own handle is unreferenced on purpose.
    uv_timer_t keep;
    uv_timer_init(&loop, &keep);
    uv_timer_start(&keep, [](uv_timer_t*) {}, 1000, 0);
    run_until(&loop, fired, 4);
    CHECK(fired.order == std::vector<int>{2, 4, 3, 1});
    CHECK_FALSE(a.node.armed);
    uv_timer_stop(&keep);
    uv_close(reinterpret_cast<uv_handle_t*>(&keep), nullptr);
    timers.close();
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("a disarmed timer never fires") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    Timers timers(&loop);
    Fired fired;
    Probe a, b;
    a.id = 1;
    b.id = 2;
    for (Probe* p : {&a, &b}) {
      p->log = &fired;
      p->node.owner = p;
      p->node.on_expire = on_expire;
    }
    timers.arm(a.node, 5);
    timers.arm(b.node, 10);
    timers.disarm(a.node);
    uv_timer_t keep;
    uv_timer_init(&loop, &keep);
    uv_timer_start(&keep, [](uv_timer_t*) {}, 1000, 0);
    run_until(&loop, fired, 1);
    CHECK(fired.order == std::vector<int>{2});
    uv_timer_stop(&keep);
    uv_close(reinterpret_cast<uv_handle_t*>(&keep), nullptr);
    timers.close();
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("buffer pool recycles blocks and keeps as many free as are in use (at least `keep`)") {
  BufferPool pool(4096, 2);
  char* a = pool.get();
  char* b = pool.get();
  char* c = pool.get();
  CHECK(pool.in_use() == 3);
  pool.put(a);
  pool.put(b);
  pool.put(c);  // beyond `keep` and beyond the count in use: returned to the allocator
  CHECK(pool.in_use() == 0);
  CHECK(pool.free_count() == 2);
  char* again = pool.get();
  CHECK((again == a || again == b));
  pool.put(again);

  // A steady load of ten blocks: giving half of them back keeps them all for the next round.
  char* blocks[10];
  for (char*& p : blocks) p = pool.get();
  for (int i = 0; i < 5; ++i) pool.put(blocks[i]);
  CHECK(pool.free_count() == 5);
  for (int i = 0; i < 5; ++i) blocks[i] = pool.get();
  CHECK(pool.free_count() == 0);
  // The load ends: at most as many free blocks as were still in use when each came back.
  for (char* p : blocks) pool.put(p);
  CHECK(pool.in_use() == 0);
  CHECK(pool.free_count() == 5);
}

TEST_CASE("object pool reuses the memory of destroyed objects") {
  struct Obj {
    explicit Obj(int v) : value(v) {}
    int value;
    char pad[60];
  };
  ObjectPool<Obj> pool(8);
  Obj* first = pool.make(1);
  pool.destroy(first);
  Obj* second = pool.make(2);
  CHECK(second == first);
  CHECK(second->value == 2);
  pool.destroy(second);
}
