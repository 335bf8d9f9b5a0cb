#pragma once
// A backend's servers: a vector while the configuration is read, then a fixed set of slots.
//
// This is the one part of a loaded Config that changes at run time (`add server`, `del server`
// on the admin socket). Every per-server array of the process (server states, counters, idle
// pools, balancers...) is sized once, at load, to the backend's slot capacity (`seal`), so
// nothing a worker indexes ever moves: the main thread writes a new server into the next free
// slot and then publishes the new count (release); readers load the count (acquire) and only
// look at published slots. A deleted server's slot stays where it is, marked not live, so an
// index a worker holds stays valid; the slot is reused by a later `add server` only once every
// worker has been through its loop since the deletion (proxy::Runtime decides that).
#include <atomic>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <vector>

namespace portero::config {

template <typename T>
class SlotList {
 public:
  SlotList() = default;
  SlotList(const SlotList& o) : items_(o.begin(), o.end()), count_(items_.size()) {}
  SlotList& operator=(const SlotList& o) {
    if (this != &o) {
      items_.assign(o.begin(), o.end());
      count_.store(items_.size(), std::memory_order_release);
      live_.reset();
    }
    return *this;
  }

  // Load time (one thread): a growable vector.
  void push_back(T v) {
    items_.push_back(std::move(v));
    count_.store(items_.size(), std::memory_order_release);
  }
  template <typename... A>
  T& emplace_back(A&&... a) {
    items_.emplace_back(std::forward<A>(a)...);
    count_.store(items_.size(), std::memory_order_release);
    return items_.back();
  }
  void clear() {
    items_.clear();
    count_.store(0, std::memory_order_release);
  }

  // Published slots (live or deleted). Any thread.
  size_t size() const { return count_.load(std::memory_order_acquire); }
  bool empty() const { return size() == 0; }
  const T& operator[](size_t i) const { return items_.data()[i]; }
  T& operator[](size_t i) { return items_.data()[i]; }
  const T& at(size_t i) const {
    if (i >= size()) throw std::out_of_range("SlotList::at");
    return items_.data()[i];
  }
  const T& front() const { return items_.data()[0]; }
  const T& back() const { return items_.data()[size() - 1]; }
  T& back() { return items_.data()[size() - 1]; }
  const T* begin() const { return items_.data(); }
  const T* end() const { return items_.data() + size(); }
  T* begin() { return items_.data(); }
  T* end() { return items_.data() + size(); }

  // Fixes the capacity (once, before any other thread reads the list). Mutable state: the
  // Config is shared as const, and the slots are the part of it the admin socket may change.
  void seal(size_t capacity) const {
    if (live_) return;
    if (capacity < items_.size()) capacity = items_.size();
    items_.reserve(capacity);
    capacity_ = capacity;
    live_ = std::make_unique<std::atomic<bool>[]>(capacity);
    for (size_t i = 0; i < capacity; ++i) live_[i].store(i < items_.size(), std::memory_order_relaxed);
  }
  bool sealed() const { return live_ != nullptr; }
  size_t capacity() const { return live_ ? capacity_ : items_.size(); }

  // Whether slot i holds a server (false once deleted). Any thread.
  bool live(size_t i) const { return !live_ || live_[i].load(std::memory_order_acquire); }

  // Main thread, sealed list: writes `v` into slot i (a deleted slot, or the next one when
  // i == size() < capacity) and makes it visible. Returns false when there is no room.
  bool put(size_t i, T v) const {
    if (!live_ || i > items_.size() || i >= capacity_) return false;
    if (i == items_.size()) {
      items_.push_back(std::move(v));   // within the reserved capacity: nothing moves
      live_[i].store(true, std::memory_order_release);
      count_.store(items_.size(), std::memory_order_release);
    } else {
      items_[i] = std::move(v);
      live_[i].store(true, std::memory_order_release);
    }
    return true;
  }
  // Main thread, sealed list: slot i no longer holds a server (its contents stay for readers
  // that still hold the index).
  void retire(size_t i) const {
    if (live_ && i < items_.size()) live_[i].store(false, std::memory_order_release);
  }

 private:
  mutable std::vector<T> items_;
  mutable std::atomic<size_t> count_{0};
  mutable size_t capacity_ = 0;
  mutable std::unique_ptr<std::atomic<bool>[]> live_;   // null until sealed: every slot live
};

}  // namespace portero::config
