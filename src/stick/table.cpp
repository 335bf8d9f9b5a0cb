// Stick tables: sharded hash chains with an LRU list per shard (see table.h).
#include "portero/stick/table.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace portero::stick {

uint32_t now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint32_t(uint64_t(ts.tv_sec) * 1000 + uint64_t(ts.tv_nsec) / 1000000);
}

// An entry: this header, then the stored data (layout_.data_size bytes), then the key.
struct Entry {
  Entry* hnext = nullptr;   // hash chain
  Entry* prev = nullptr;    // LRU list: toward the most recently used
  Entry* next = nullptr;    // toward the least recently used
  uint64_t hash = 0;
  uint32_t exp = 0;         // ms at which it expires (when the table has an expiry)
  uint32_t ref = 0;         // streams tracking it
  uint32_t key_len = 0;
  uint32_t shard = 0;
  uint64_t upd = 0;         // update number of its last touch; kLearnt: that change came from a peer
  unsigned char* data() { return reinterpret_cast<unsigned char*>(this + 1); }
};
static_assert(sizeof(Entry) % 8 == 0);

struct Table::Shard {
  std::mutex mu;
  std::vector<Entry*> buckets = std::vector<Entry*>(16, nullptr);
  Entry* head = nullptr;    // most recently used
  Entry* tail = nullptr;    // least recently used
  uint64_t count = 0;
};

namespace {

constexpr uint64_t kLearnt = 1ull << 63;

const unsigned char* key_of(const Entry* e, const Layout& l) {
  return reinterpret_cast<const unsigned char*>(e + 1) + l.data_size;
}

}  // namespace

// --- View -------------------------------------------------------------------------------

uint32_t View::refs() const { return e_->ref; }

namespace {
constexpr uint32_t elem_size(Data d) { return is_rate(d) ? uint32_t(sizeof(FreqCtr)) : 8u; }
}  // namespace

unsigned char* View::slot(Data d, unsigned idx) const {
  int off = l_.offset[int(d)];
  if (off < 0) {
    Data to;
    if (idx != 0 || !array_fallback(d, to, idx)) return nullptr;
    d = to;
    off = l_.offset[int(d)];
    if (off < 0) return nullptr;
  }
  if (idx >= l_.nbelem[int(d)]) return nullptr;
  return e_->data() + off + idx * elem_size(d);
}

uint32_t View::period_of(Data d) const {
  Data to;
  unsigned idx;
  if (l_.offset[int(d)] < 0 && array_fallback(d, to, idx)) d = to;
  return l_.period[int(d)];
}

uint64_t View::get(Data d, uint32_t now, unsigned idx) const {
  unsigned char* p = slot(d, idx);
  if (!p) return 0;
  if (is_rate(d)) {
    FreqCtr f;
    std::memcpy(&f, p, sizeof f);
    return f.read(now, period_of(d));
  }
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

void View::add(Data d, uint64_t n, uint32_t now, unsigned idx) {
  unsigned char* p = slot(d, idx);
  if (!p) return;
  if (is_rate(d)) {
    FreqCtr f;
    std::memcpy(&f, p, sizeof f);
    f.add(now, period_of(d), uint32_t(n));
    std::memcpy(p, &f, sizeof f);
    return;
  }
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  v += n;
  // HAProxy keeps the 32-bit counters in 32 bits (they wrap); only bytes_* are 64-bit.
  if (d != Data::bytes_in_cnt && d != Data::bytes_out_cnt) v &= 0xffffffffu;
  std::memcpy(p, &v, sizeof v);
}

void View::set(Data d, uint64_t v, unsigned idx) {
  unsigned char* p = slot(d, idx);
  if (!p || is_rate(d)) return;
  std::memcpy(p, &v, sizeof v);
}

void View::set_rate(Data d, uint32_t v, uint32_t now, unsigned idx) {
  unsigned char* p = slot(d, idx);
  if (!p || !is_rate(d)) return;
  FreqCtr f;
  f.curr_tick = now;
  f.curr_ctr = v;
  f.prev_ctr = 0;
  std::memcpy(p, &f, sizeof f);
}

FreqCtr View::freq(Data d, unsigned idx) const {
  FreqCtr f;
  unsigned char* p = slot(d, idx);
  if (p && is_rate(d)) std::memcpy(&f, p, sizeof f);
  return f;
}

void View::set_freq(Data d, const FreqCtr& f, unsigned idx) {
  unsigned char* p = slot(d, idx);
  if (p && is_rate(d)) std::memcpy(p, &f, sizeof f);
}

void View::sub(Data d, uint64_t n) {
  unsigned char* p = slot(d, 0);
  if (!p || is_rate(d)) return;
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  v = v > n ? v - n : 0;
  std::memcpy(p, &v, sizeof v);
}

// --- Table ------------------------------------------------------------------------------

Table::Table(TableSpec spec) : spec_(std::move(spec)) {
  uint32_t off = 0;
  for (int i = 0; i < kDataTypes; ++i) {
    layout_.offset[i] = -1;
    layout_.period[i] = spec_.period[i] ? spec_.period[i] : 1;
    layout_.nbelem[i] = uint8_t(std::clamp<uint32_t>(spec_.nbelem[i], 1, kMaxArrayElems));
  }
  // Counters (8 bytes) first, then frequency counters, so every counter stays 8-byte aligned.
  for (int i = 0; i < kDataTypes; ++i)
    if (spec_.stored[i] && !is_rate(Data(i))) layout_.offset[i] = int16_t(off), off += 8 * layout_.nbelem[i];
  for (int i = 0; i < kDataTypes; ++i)
    if (spec_.stored[i] && is_rate(Data(i)))
      layout_.offset[i] = int16_t(off), off += uint32_t(sizeof(FreqCtr)) * layout_.nbelem[i];
  layout_.data_size = (off + 7) & ~7u;
  // Enough shards to spread the threads, each big enough that evicting the least recently used
  // entry of a shard stays close to evicting the table's.
  uint32_t n = 1;
  while (n < 64 && spec_.size / (uint64_t(n) * 2) >= 1024) n *= 2;
  shards_ = std::make_unique<Shard[]>(n);
  shard_mask_ = n - 1;
  per_shard_ = (spec_.size + n - 1) / n;
}

Table::~Table() {
  for (uint32_t i = 0; i <= shard_mask_; ++i) {
    Entry* e = shards_[i].head;
    while (e) {
      Entry* next = e->next;
      e->~Entry();
      ::operator delete(e);
      e = next;
    }
  }
}

uint64_t Table::hash(const Key& k) const {
  uint64_t h = 1469598103934665603ull;
  for (uint32_t i = 0; i < k.len; ++i) h = (h ^ k.bytes[i]) * 1099511628211ull;
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 32;
  return h;
}

Table::Shard& Table::shard(uint64_t h) const { return shards_[h & shard_mask_]; }
Table::Shard& Table::shard_of(const Entry* e) const { return shards_[e->shard]; }
std::mutex& Table::mutex_of(Shard& s) { return s.mu; }

bool Table::expired(const Entry* e, uint32_t now) const {
  return spec_.expire_ms && int32_t(e->exp - now) <= 0;
}

int64_t Table::remaining(const Entry* e, uint32_t now) const {
  return spec_.expire_ms ? std::max<int64_t>(0, int32_t(e->exp - now)) : 0;
}

Entry* Table::find_locked(Shard& s, uint64_t h, const Key& k, uint32_t now) {
  const size_t b = (h >> 8) & (s.buckets.size() - 1);
  for (Entry* e = s.buckets[b]; e; e = e->hnext) {
    if (e->hash == h && e->key_len == k.len && std::memcmp(key_of(e, layout_), k.bytes, k.len) == 0) {
      if (expired(e, now) && e->ref == 0) return nullptr;
      return e;
    }
  }
  return nullptr;
}

void Table::unlink_locked(Shard& s, Entry* e) {
  const size_t b = (e->hash >> 8) & (s.buckets.size() - 1);
  for (Entry** pp = &s.buckets[b]; *pp; pp = &(*pp)->hnext) {
    if (*pp == e) {
      *pp = e->hnext;
      break;
    }
  }
  if (e->prev) e->prev->next = e->next;
  else s.head = e->next;
  if (e->next) e->next->prev = e->prev;
  else s.tail = e->prev;
  --s.count;
  used_.fetch_sub(1, std::memory_order_relaxed);
  e->~Entry();
  ::operator delete(e);
}

void Table::touch_locked(Entry* e, uint32_t now) {
  if (spec_.expire_ms) e->exp = (now + spec_.expire_ms) | 0;
  e->upd = update_seq_.fetch_add(1, std::memory_order_acq_rel) + 1;
  Shard& s = shard_of(e);
  if (s.head == e) return;
  // Move to the front of the LRU list.
  e->prev->next = e->next;
  if (e->next) e->next->prev = e->prev;
  else s.tail = e->prev;
  e->prev = nullptr;
  e->next = s.head;
  s.head->prev = e;
  s.head = e;
}

Entry* Table::get_locked(Shard& s, uint64_t h, const Key& k, uint32_t now) {
  const size_t b = (h >> 8) & (s.buckets.size() - 1);
  for (Entry* e = s.buckets[b]; e; e = e->hnext) {
    if (e->hash == h && e->key_len == k.len && std::memcmp(key_of(e, layout_), k.bytes, k.len) == 0) {
      if (expired(e, now) && e->ref == 0) {
        unlink_locked(s, e);   // a stale entry starts again from zero
        break;
      }
      touch_locked(e, now);
      return e;
    }
  }
  // Make room: expired entries first (the oldest are at the tail), then, unless `nopurge`, the
  // least recently used entry nobody tracks.
  while (s.tail && s.tail->ref == 0 && expired(s.tail, now)) unlink_locked(s, s.tail);
  if (s.count >= per_shard_) {
    if (spec_.nopurge) return nullptr;
    Entry* victim = s.tail;
    while (victim && victim->ref) victim = victim->prev;
    if (!victim) return nullptr;
    unlink_locked(s, victim);
  }
  if (s.count >= s.buckets.size() * 2 && s.buckets.size() < (1u << 24)) {
    std::vector<Entry*> bigger(s.buckets.size() * 4, nullptr);
    for (Entry* e = s.head; e; e = e->next) {
      const size_t nb = (e->hash >> 8) & (bigger.size() - 1);
      e->hnext = bigger[nb];
      bigger[nb] = e;
    }
    s.buckets.swap(bigger);
  }
  void* mem = ::operator new(sizeof(Entry) + layout_.data_size + k.len);
  Entry* e = new (mem) Entry();
  std::memset(e->data(), 0, layout_.data_size);
  std::memcpy(e->data() + layout_.data_size, k.bytes, k.len);
  e->hash = h;
  e->key_len = k.len;
  e->shard = uint32_t(h & shard_mask_);
  if (spec_.expire_ms) e->exp = now + spec_.expire_ms;
  e->upd = update_seq_.fetch_add(1, std::memory_order_acq_rel) + 1;
  const size_t nb = (h >> 8) & (s.buckets.size() - 1);
  e->hnext = s.buckets[nb];
  s.buckets[nb] = e;
  e->next = s.head;
  if (s.head) s.head->prev = e;
  s.head = e;
  if (!s.tail) s.tail = e;
  ++s.count;
  used_.fetch_add(1, std::memory_order_relaxed);
  return e;
}

Entry* Table::track(const Key& k, uint32_t now) {
  const uint64_t h = hash(k);
  Shard& s = shard(h);
  std::lock_guard lk(s.mu);
  Entry* e = get_locked(s, h, k, now);
  if (e) ++e->ref;
  return e;
}

void Table::untrack(Entry* e) {
  std::lock_guard lk(shard_of(e).mu);
  if (e->ref) --e->ref;
}

void Table::for_each(uint32_t now, const std::function<void(const Entry*, View&, uint32_t, int64_t)>& f) {
  for (uint32_t i = 0; i <= shard_mask_; ++i) {
    Shard& s = shards_[i];
    std::lock_guard lk(s.mu);
    // Oldest first, as HAProxy walks its tree of keys; order is not part of the format.
    for (Entry* e = s.tail; e; e = e->prev) {
      if (expired(e, now) && e->ref == 0) continue;
      View v(layout_, e);
      f(e, v, e->ref, remaining(e, now));
    }
  }
}

void Table::mark_remote_locked(Entry* e, uint32_t now, uint32_t expire_ms) {
  e->upd |= kLearnt;
  if (spec_.expire_ms) e->exp = now + (expire_ms ? expire_ms : spec_.expire_ms);
}

void Table::for_each_update(uint64_t after, bool all, uint32_t now,
                            const std::function<void(const Entry*, View&, int64_t)>& f) {
  for (uint32_t i = 0; i <= shard_mask_; ++i) {
    Shard& s = shards_[i];
    std::lock_guard lk(s.mu);
    for (Entry* e = s.head; e; e = e->next) {
      if (!all && (e->upd & ~kLearnt) <= after) break;   // touch order: the rest is older
      if (expired(e, now) && e->ref == 0) continue;
      if (!all && (e->upd & kLearnt)) continue;
      View v(layout_, e);
      f(e, v, remaining(e, now));
    }
  }
}

Table::Removed Table::remove(const Key& k, uint32_t now) {
  const uint64_t h = hash(k);
  Shard& s = shard(h);
  std::lock_guard lk(s.mu);
  Entry* e = find_locked(s, h, k, now);
  if (!e) return Removed::absent;
  if (e->ref) return Removed::in_use;
  unlink_locked(s, e);
  return Removed::yes;
}

void Table::remove_if(uint32_t now, const std::function<bool(View&)>& pred) {
  for (uint32_t i = 0; i <= shard_mask_; ++i) {
    Shard& s = shards_[i];
    std::lock_guard lk(s.mu);
    for (Entry* e = s.head; e;) {
      Entry* next = e->next;
      View v(layout_, e);
      if (e->ref == 0 && (expired(e, now) || !pred || pred(v))) unlink_locked(s, e);
      e = next;
    }
  }
}

void Table::sweep(uint32_t now) {
  for (uint32_t i = 0; i <= shard_mask_; ++i) {
    Shard& s = shards_[i];
    std::lock_guard lk(s.mu);
    for (Entry* e = s.head; e;) {
      Entry* next = e->next;
      if (e->ref == 0 && expired(e, now)) unlink_locked(s, e);
      e = next;
    }
  }
}

uint32_t Table::intern(std::string_view name) {
  std::lock_guard lk(names_mu_);
  for (size_t i = 0; i < names_.size(); ++i)
    if (names_[i] == name) return uint32_t(i + 1);
  names_.emplace_back(name);
  return uint32_t(names_.size());
}

std::string Table::name_of(uint64_t number) const {
  std::lock_guard lk(names_mu_);
  return number && number <= names_.size() ? names_[number - 1] : std::string();
}

// --- keys ---------------------------------------------------------------------------------

bool Table::key_from_addr(const uint8_t* addr, bool v6, Key& k) const {
  static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  switch (spec_.type) {
    case KeyType::ip:
      if (!v6) std::memcpy(k.bytes, addr, 4);
      else if (std::memcmp(addr, kMapped, 12) == 0) std::memcpy(k.bytes, addr + 12, 4);
      else return false;
      k.len = 4;
      return true;
    case KeyType::ipv6:
      if (v6) std::memcpy(k.bytes, addr, 16);
      else std::memcpy(k.bytes, kMapped, 12), std::memcpy(k.bytes + 12, addr, 4);
      k.len = 16;
      return true;
    case KeyType::integer:
      return false;
    case KeyType::string: {
      char text[INET6_ADDRSTRLEN];
      if (!inet_ntop(v6 ? AF_INET6 : AF_INET, addr, text, sizeof text)) return false;
      return key_from_str(text, k);
    }
    case KeyType::binary: {
      const uint32_t n = v6 ? 16 : 4;
      std::memset(k.bytes, 0, spec_.key_len);
      std::memcpy(k.bytes, addr, std::min(n, spec_.key_len));
      k.len = spec_.key_len;
      return true;
    }
  }
  return false;
}

bool Table::key_from_int(int64_t v, Key& k) const {
  switch (spec_.type) {
    case KeyType::integer: {
      const uint32_t u = uint32_t(v);
      std::memcpy(k.bytes, &u, 4);
      k.len = 4;
      return true;
    }
    case KeyType::ip: {
      const uint32_t be = htonl(uint32_t(v));
      std::memcpy(k.bytes, &be, 4);
      k.len = 4;
      return true;
    }
    case KeyType::string:
    case KeyType::binary: {
      char text[24];
      int n = std::snprintf(text, sizeof text, "%lld", static_cast<long long>(v));
      return key_from_str(std::string_view(text, size_t(n)), k);
    }
    case KeyType::ipv6:
      return false;
  }
  return false;
}

bool Table::key_from_str(std::string_view s, Key& k) const {
  switch (spec_.type) {
    case KeyType::ip:
    case KeyType::ipv6: {
      std::string text(s.substr(0, 64));
      uint8_t addr[16];
      if (inet_pton(AF_INET, text.c_str(), addr) == 1) return key_from_addr(addr, false, k);
      if (inet_pton(AF_INET6, text.c_str(), addr) == 1) return key_from_addr(addr, true, k);
      return false;
    }
    case KeyType::integer: {
      if (s.empty()) return false;
      bool neg = s[0] == '-';
      size_t i = neg || s[0] == '+' ? 1 : 0;
      if (i == s.size()) return false;
      int64_t v = 0;
      for (; i < s.size(); ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
      }
      return key_from_int(neg ? -v : v, k);
    }
    case KeyType::string: {
      // HAProxy keeps at most len characters of a string key.
      const size_t n = std::min<size_t>(s.size(), spec_.key_len);
      std::memcpy(k.bytes, s.data(), n);
      k.len = uint32_t(n);
      return true;
    }
    case KeyType::binary: {
      // Binary keys are padded with zeroes to the table's length.
      const size_t n = std::min<size_t>(s.size(), spec_.key_len);
      std::memset(k.bytes, 0, spec_.key_len);
      std::memcpy(k.bytes, s.data(), n);
      k.len = spec_.key_len;
      return true;
    }
  }
  return false;
}

void Table::key_copy(const Entry* e, Key& k) const {
  std::memcpy(k.bytes, key_of(e, layout_), e->key_len);
  k.len = e->key_len;
}

std::string Table::key_text(const Entry* e) const {
  const unsigned char* k = key_of(e, layout_);
  switch (spec_.type) {
    case KeyType::ip: {
      char text[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, k, text, sizeof text);
      return text;
    }
    case KeyType::ipv6: {
      char text[INET6_ADDRSTRLEN];
      inet_ntop(AF_INET6, k, text, sizeof text);
      return text;
    }
    case KeyType::integer: {
      uint32_t u;
      std::memcpy(&u, k, 4);
      return std::to_string(u);
    }
    case KeyType::string:
      return std::string(reinterpret_cast<const char*>(k), e->key_len);
    case KeyType::binary: {
      static const char* hex = "0123456789ABCDEF";
      std::string out;
      for (uint32_t i = 0; i < e->key_len; ++i) out += hex[k[i] >> 4], out += hex[k[i] & 15];
      return out;
    }
  }
  return {};
}

// --- Tables, tracking -----------------------------------------------------------------------

namespace {
std::atomic<Tables*> g_active{nullptr};
}

Tables* active_tables() { return g_active.load(std::memory_order_acquire); }
void set_active_tables(Tables* t) { g_active.store(t, std::memory_order_release); }

Table* Tables::find(std::string_view name) const {
  for (auto& t : by_proxy)
    if (t && t->name() == name) return t.get();
  return nullptr;
}

std::vector<Table*> Tables::listing() const {
  std::vector<Table*> out;
  for (auto& t : by_proxy)
    if (t) out.push_back(t.get());
  std::stable_sort(out.begin(), out.end(),
                   [](const Table* a, const Table* b) { return a->spec().declared > b->spec().declared; });
  return out;
}

bool start_tracking(Tracked& sc, Table& t, const Key& k, uint32_t now) {
  if (sc.entry) return false;
  Entry* e = t.track(k, now);
  if (!e) return false;
  t.update(e, now, [&](View& v) {
    v.add(Data::conn_cur, 1, now);
    v.add(Data::conn_cnt, 1, now);
    v.add(Data::conn_rate, 1, now);
  }, false);
  sc.table = &t;
  sc.entry = e;
  return true;
}

void stop_tracking(Tracked& sc, uint32_t now) {
  if (!sc.entry) return;
  // Releasing an entry touches it, as HAProxy does: its expiry counts from the stream's end.
  sc.table->update(sc.entry, now, [&](View& v) { v.sub(Data::conn_cur, 1); }, true);
  sc.table->untrack(sc.entry);
  sc.entry = nullptr;
  sc.table = nullptr;
}

}  // namespace portero::stick
