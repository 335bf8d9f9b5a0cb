#pragma once
// Stick tables: entries keyed by an address, an integer or a string, each holding the counters
// its `store` line asks for. One table is shared by every worker thread. Entries are spread
// over shards by the hash of their key, each shard with its own lock, hash chains and LRU list,
// so two threads only contend when their keys fall in the same shard. Nothing is allocated to
// update a counter; a new key allocates its entry once.
//
// Time is given by the caller (ms, wrapping, from the monotonic clock: `now_ms()`), so tests
// can replay arrival times.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "portero/stick/freq_ctr.h"
#include "portero/stick/types.h"

namespace portero::stick {

uint32_t now_ms();   // the monotonic clock in ms, wrapping

inline constexpr size_t kMaxKey = kMaxKeyLen;

// A key in a table's form (see Table::key_from_*): at most kMaxKey bytes, on the caller's stack.
struct Key {
  uint8_t bytes[kMaxKey];
  uint32_t len = 0;
  std::string_view view() const { return {reinterpret_cast<const char*>(bytes), len}; }
};

struct Entry;

struct Layout {
  int16_t offset[kDataTypes];   // byte offset of each stored type in an entry's data, -1 if not stored
  uint32_t period[kDataTypes];
  uint8_t nbelem[kDataTypes];   // elements of each stored type (arrays: gpc(N)...; others 1)
  uint32_t data_size = 0;
};

// The data of one entry, seen under its shard's lock. `idx` is the element of an array type
// (gpc(N), gpt(N), gpc_rate(N,p)); the numbered counters gpc0, gpc1, gpt0 and their rates read
// the array's element 0 or 1 when the table stores the array instead (HAProxy's fallback).
class View {
 public:
  View(const Layout& l, Entry* e) : l_(l), e_(e) {}
  bool has(Data d, unsigned idx = 0) const { return slot(d, idx) != nullptr; }
  uint64_t get(Data d, uint32_t now, unsigned idx = 0) const;     // counter value, or rate over its period
  void add(Data d, uint64_t n, uint32_t now, unsigned idx = 0);   // counter += n, or n events on a rate
  void set(Data d, uint64_t v, unsigned idx = 0);                 // counters only (rates: ignored)
  void sub(Data d, uint64_t n);                                   // counters only, not below 0
  // A rate set from outside (`set table`): `v` events in a period starting now, none before,
  // so it reads v for the whole period then fades, as HAProxy does.
  void set_rate(Data d, uint32_t v, uint32_t now, unsigned idx = 0);
  Entry* entry() const { return e_; }
  // A frequency counter's raw state (peers send and receive it as it is).
  FreqCtr freq(Data d, unsigned idx = 0) const;
  void set_freq(Data d, const FreqCtr& f, unsigned idx = 0);
  uint32_t refs() const;                          // streams tracking the entry

 private:
  // Where element `idx` of `d` is in the entry (after the fallback above); null: not stored.
  unsigned char* slot(Data d, unsigned idx) const;
  uint32_t period_of(Data d) const;               // a rate's period (after the fallback)
  const Layout& l_;
  Entry* e_;
};

class Table {
 public:
  explicit Table(TableSpec spec);
  ~Table();
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  const TableSpec& spec() const { return spec_; }
  const std::string& name() const { return spec_.name; }
  uint64_t used() const { return used_.load(std::memory_order_relaxed); }

  // Converts a value into a key of this table; false when it cannot be one (HAProxy then
  // tracks nothing). ipv4/ipv6: 4 or 16 bytes in network order.
  bool key_from_addr(const uint8_t* addr, bool v6, Key& k) const;
  bool key_from_int(int64_t v, Key& k) const;
  bool key_from_str(std::string_view s, Key& k) const;   // string/binary bytes; ip/integer parsed
  // The key as `show table` writes it (key=...).
  std::string key_text(const Entry* e) const;
  void key_copy(const Entry* e, Key& k) const;

  // The entry for `k`, created when absent (evicting the least recently used unused entry of
  // its shard when full, unless `nopurge`), its expiry pushed back and a reference taken (it
  // stays until untrack()). Null when the table is full and nothing can be evicted.
  Entry* track(const Key& k, uint32_t now);
  void untrack(Entry* e);
  // Runs f(View&) on a tracked entry under its shard's lock; `touch` pushes its expiry back.
  template <class F>
  void update(Entry* e, uint32_t now, F&& f, bool touch = true) {
    std::lock_guard lk(mutex_of(shard_of(e)));
    View v(layout_, e);
    if (touch) touch_locked(e, now);
    f(v);
  }
  // Runs f(View&) on the live entry for `k`, if any, without creating it; false when absent.
  template <class F>
  bool lookup(const Key& k, uint32_t now, F&& f) {
    const uint64_t h = hash(k);
    Shard& s = shard(h);
    std::lock_guard lk(mutex_of(s));
    Entry* e = find_locked(s, h, k, now);
    if (!e) return false;
    View v(layout_, e);
    f(v);
    return true;
  }
  // lookup() for `show table <t> key <k>`: f(entry, data, use, remaining ms before expiry).
  template <class F>
  bool inspect(const Key& k, uint32_t now, F&& f) {
    const uint64_t h = hash(k);
    Shard& s = shard(h);
    std::lock_guard lk(mutex_of(s));
    Entry* e = find_locked(s, h, k, now);
    if (!e) return false;
    View v(layout_, e);
    f(static_cast<const Entry*>(e), v, v.refs(), remaining(e, now));
    return true;
  }
  // Like lookup() but creates the entry when absent and pushes its expiry back. False when the
  // table is full.
  template <class F>
  bool upsert(const Key& k, uint32_t now, F&& f) {
    const uint64_t h = hash(k);
    Shard& s = shard(h);
    std::lock_guard lk(mutex_of(s));
    Entry* e = get_locked(s, h, k, now);
    if (!e) return false;
    View v(layout_, e);
    f(v);
    return true;
  }

  // Every live entry, shard by shard (each shard locked while it is walked). f gets the
  // entry, its data, its reference count and its remaining ms before expiry.
  void for_each(uint32_t now, const std::function<void(const Entry*, View&, uint32_t use, int64_t exp)>& f);
  // Removes the entry for `k` if nobody tracks it; false when absent or in use.
  enum class Removed { yes, absent, in_use };
  Removed remove(const Key& k, uint32_t now);
  // Removes every untracked entry for which pred(View&) is true (null: all).
  void remove_if(uint32_t now, const std::function<bool(View&)>& pred);
  // Drops expired entries (the admin socket calls it before showing a table).
  void sweep(uint32_t now);

  const Layout& layout() const { return layout_; }

  // Peers. Every touch of an entry gives it the table's next update number (entries are kept
  // in touch order in their shard, so the changed ones are found from the front); an entry
  // changed by apply_remote() is marked learnt, and for_each_update() skips it unless `all`
  // (what is learnt from a peer is not pushed back to peers, but is taught on a resync).
  uint64_t last_update() const { return update_seq_.load(std::memory_order_acquire); }
  // f(entry, data, ms left before expiry) for each live entry updated after `after`, under
  // its shard's lock; shards in turn, most recent first within one.
  void for_each_update(uint64_t after, bool all, uint32_t now,
                       const std::function<void(const Entry*, View&, int64_t exp)>& f);
  // Creates or refreshes the entry for `k` as a peer says it is: f(View&) writes its data,
  // and it expires in `expire_ms` (the table's expiry when 0). False when the table is full.
  template <class F>
  bool apply_remote(const Key& k, uint32_t now, uint32_t expire_ms, F&& f) {
    const uint64_t h = hash(k);
    Shard& s = shard(h);
    std::lock_guard lk(mutex_of(s));
    Entry* e = get_locked(s, h, k, now);
    if (!e) return false;
    mark_remote_locked(e, now, expire_ms);
    View v(layout_, e);
    f(v);
    return true;
  }

  // server_key values: server names kept once per table, an entry holds a name's number
  // (from 1; 0: none).
  uint32_t intern(std::string_view name);
  std::string name_of(uint64_t number) const;

 private:
  struct Shard;
  uint64_t hash(const Key& k) const;
  Shard& shard(uint64_t h) const;
  Shard& shard_of(const Entry* e) const;
  static std::mutex& mutex_of(Shard& s);
  Entry* find_locked(Shard& s, uint64_t h, const Key& k, uint32_t now);
  Entry* get_locked(Shard& s, uint64_t h, const Key& k, uint32_t now);
  void touch_locked(Entry* e, uint32_t now);
  void mark_remote_locked(Entry* e, uint32_t now, uint32_t expire_ms);
  void unlink_locked(Shard& s, Entry* e);
  bool expired(const Entry* e, uint32_t now) const;
  int64_t remaining(const Entry* e, uint32_t now) const;

  TableSpec spec_;
  Layout layout_{};
  std::unique_ptr<Shard[]> shards_;
  uint32_t shard_mask_ = 0;
  uint64_t per_shard_ = 0;   // most entries a shard holds
  std::atomic<uint64_t> used_{0};
  std::atomic<uint64_t> update_seq_{0};
  mutable std::mutex names_mu_;
  std::vector<std::string> names_;
};

// The tables of a configuration, by table index (config::Config::table_spec(): a proxy's
// index, then the peers sections' tables; null where a proxy has none).
class Tables {
 public:
  std::vector<std::unique_ptr<Table>> by_proxy;
  Table* at(int proxy_index) const {
    return proxy_index >= 0 && size_t(proxy_index) < by_proxy.size() ? by_proxy[proxy_index].get() : nullptr;
  }
  Table* find(std::string_view name) const;
  // Every table, the last declared first (the order of haproxy's `show table`).
  std::vector<Table*> listing() const;
};

// The tables the running process serves (set once they are built; null before). The fetches
// and converters find their tables here.
Tables* active_tables();
void set_active_tables(Tables* t);

// What a stream tracks: up to three entries (sc0, sc1, sc2), each with its table. A tracked
// entry counts one current connection until the tracking ends (HAProxy's conn_cur).
struct Tracked {
  Table* table = nullptr;
  Entry* entry = nullptr;
  explicit operator bool() const { return entry != nullptr; }
};

// Starts tracking `k` in `t` in slot `sc`: conn_cnt, conn_rate and conn_cur count it, as
// HAProxy does when a track-sc action first applies. False when the slot already tracks
// something (the first track-scN that applies wins) or the table is full.
bool start_tracking(Tracked& sc, Table& t, const Key& k, uint32_t now);
// Ends tracking (conn_cur decremented) and releases the entry.
void stop_tracking(Tracked& sc, uint32_t now);

}  // namespace portero::stick

namespace portero::stick {

// `show table`'s forms: the table line ("# table: fe, type: ip, size:1048576, used:1") and one
// entry's line ("0x...: key=127.0.0.1 use=0 exp=9995 http_req_rate(10000)=3"), each with '\n'.
std::string show_header(const Table& t);
std::string show_entry(const Table& t, const Entry* e, View& v, uint32_t use, int64_t exp, uint32_t now);

}  // namespace portero::stick
