// Peer sessions (see peers.h): handshake, table definitions, updates both ways, acks,
// heartbeats and the resynchronisation a node asks for when it starts. HAProxy's behaviours
// kept: one session per pair of peers (a peer connecting to us replaces our own connection to
// it, and we retry ours after a random delay), a session silent for 5 s is dropped, a
// heartbeat goes out after 3 s without anything else, a failed connection is retried after 5 s,
// a starting node asks one connected peer for everything it knows ("resync") and gives up
// waiting after 5 s; updates learnt from a peer are not pushed on to the others, but are
// taught to a peer that asks for a resync.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <random>

#include "portero/peers/codec.h"
#include "portero/peers/peers.h"

namespace portero::peers {
namespace {

constexpr uint32_t kHeartbeatMs = 3000;
constexpr uint32_t kSilenceMs = 5000;
constexpr uint32_t kReconnectMs = 5000;
constexpr uint32_t kResyncMs = 5000;
constexpr size_t kMaxLine = 1024;
constexpr size_t kMaxPendingWrite = 4u << 20;   // stop pushing while this much is unsent

uint64_t ms_now(uv_loop_t* loop) { return uv_now(loop); }

uint32_t random_delay() {
  static std::minstd_rand rng(uint32_t(getpid()) ^ uint32_t(time(nullptr)));
  return 50 + rng() % 2000;
}

struct Section;
struct Conn;

// A table of ours shared through a section.
struct Shared {
  stick::Table* table;
  TableDef def;   // how we define it to peers (id: our number for it)
};

struct Remote {
  Section* sec = nullptr;
  std::string name;
  sockaddr_storage addr{};
  Conn* conn = nullptr;          // the session, connecting or established
  uint64_t reconnect_at = 0;     // 0: now
  bool not_up_to_date = false;   // answered a resync with "partial"
  // Per shared table: our update number the peer acknowledged having (kept across sessions:
  // a new session starts after it, as HAProxy's do).
  std::vector<uint64_t> acked;
  // For `show peers` (HAProxy's fields): the last handshake status (100 connecting, 110
  // handshaking, then the peer's answer), when the last one succeeded, and counters.
  int status = 0;
  uint64_t last_hdshk = 0;
  uint32_t new_conn = 0, tx_hbt = 0, rx_hbt = 0, no_hbt = 0, proto_err = 0, coll = 0;
};

class ServiceImpl;

struct Section {
  ServiceImpl* svc = nullptr;
  const config::PeersSection* cfg = nullptr;
  std::string local_name;
  std::vector<Shared> tables;
  std::vector<std::unique_ptr<Remote>> remotes;
  uv_tcp_t* listener = nullptr;
  std::unique_ptr<Remote> self;   // the local peer's address: a reload's new process, for the hand-over
  // Resync: until a peer taught us everything (or nobody could within kResyncMs).
  bool learning = true;
  Conn* learning_from = nullptr;
  uint64_t resync_deadline = 0;
  time_t started = 0;   // `show peers`' date
  uint32_t ticks = 0;   // `show peers`' task_calls
};

class ServiceImpl;

// What a session knows of one of our tables, and of the peer's table of the same name.
struct TableState {
  uint64_t last_pushed = 0;   // our update number last sent
  bool defined = false;       // our definition was sent on this session
  uint32_t last_get = 0;      // the peer's update id last received
  uint32_t last_acked = 0;    // ... and acknowledged
  bool got = false;
  uint64_t last_get_sent = 0; // our update ids on this session (1, 2, ...)
  // Pushes not acknowledged yet: the last id of each and the update number it covered.
  struct Pushed {
    uint32_t last_id;
    uint64_t upto;
  };
  std::deque<Pushed> pushed;
};

struct Conn {
  ServiceImpl* svc = nullptr;
  Section* sec = nullptr;
  Remote* peer = nullptr;     // null on an accepted connection until its hello names it
  uv_tcp_t tcp{};
  uv_connect_t connect_req{};
  bool outgoing = false;
  enum class State { connecting, await_status, await_hello, established, closing } st = State::connecting;
  int hello_lines = 0;
  bool downgraded = false;    // the peer speaks 2.0: no timed updates
  bool local = false;         // a hand-over between the old and the new process of this node
  std::string in;
  std::vector<TableState> tables;
  // The peer's table definitions: its id -> our table index (-1: not one we share).
  std::vector<std::pair<uint64_t, std::pair<int, TableDef>>> remote_defs;
  int current = -1;           // index into remote_defs the updates apply to
  std::vector<std::string> dict;
  uint64_t last_rx = 0, last_tx = 0;
  int last_defined = -1;      // our table whose updates follow on the wire
};

class ServiceImpl final : public Service {
 public:
  ServiceImpl(uv_loop_t* loop, stick::Tables& tables) : loop_(loop), tables_(tables) {}
  ~ServiceImpl() override = default;

  bool build(const config::Config& cfg, std::string& err);
  void start() override;
  void stop() override;

  // --- sessions --------------------------------------------------------------------------
  void connect(Remote& r);
  void on_connected(Conn* c, int status);
  void on_accept(Section& s);
  void on_read(Conn* c, ssize_t n, const uv_buf_t* buf);
  void close(Conn* c, uint32_t reconnect_in);
  void send(Conn* c, std::string bytes);
  void handshake(Conn* c);
  bool messages(Conn* c);
  void established(Conn* c);

  // --- protocol --------------------------------------------------------------------------
  bool on_message(Conn* c, const Message& m);
  void on_update(Conn* c, uint8_t type, std::string_view body, bool& bad);
  void hand_over(std::function<void()> done) override;
  std::string show(std::string_view section, bool& found) const override;
  void counts(uint32_t& active, uint32_t& connected) const override;
  void hand_over_ended(Conn* c);
  void push(Conn* c, bool all, bool timed);
  void teach(Conn* c);
  void tick();

 private:
  uv_loop_t* loop_;
  stick::Tables& tables_;
  std::vector<std::unique_ptr<Section>> sections_;
  uv_timer_t timer_{};
  bool stopped_ = false;
  bool timer_started_ = false;
  std::function<void()> handed_over_;
  int handovers_ = 0;          // hand-over sessions still running
  uv_timer_t handover_timer_{};
  bool handover_timer_on_ = false;
};

uint8_t key_wire(stick::KeyType t) {
  switch (t) {
    case stick::KeyType::ip: return kKeyIpv4;
    case stick::KeyType::ipv6: return kKeyIpv6;
    case stick::KeyType::integer: return kKeySint;
    case stick::KeyType::string: return kKeyStr;
    case stick::KeyType::binary: return kKeyBin;
  }
  return 0;
}

uint64_t key_size(const stick::TableSpec& s) {
  switch (s.type) {
    case stick::KeyType::ip: return 4;
    case stick::KeyType::ipv6: return 16;
    case stick::KeyType::integer: return 4;
    case stick::KeyType::string: return uint64_t(s.key_len) + 1;   // HAProxy counts the NUL
    case stick::KeyType::binary: return s.key_len;
  }
  return 0;
}

bool ServiceImpl::build(const config::Config& cfg, std::string& err) {
  for (const auto& ps : cfg.peers) {
    auto s = std::make_unique<Section>();
    s->svc = this;
    s->cfg = &ps;
    s->local_name = cfg.global.localpeer;
    for (size_t i = 0; i < cfg.table_slots(); ++i) {
      stick::Table* t = tables_.at(int(i));
      if (!t || t->spec().peers != ps.name) continue;
      Shared sh{t, {}};
      sh.def.id = s->tables.size() + 1;
      // A proxy's table goes by its proxy's name; a peers section's `table t` (`mesh/t`) by `/t`,
      // the name past the section's, as haproxy 2.6 sends it.
      {
        const std::string& n = t->name();
        const size_t slash = n.find('/');
        sh.def.name = slash == std::string::npos ? n : n.substr(slash);
      }
      sh.def.key_type = key_wire(t->spec().type);
      sh.def.key_size = key_size(t->spec());
      for (int d = 0; d < stick::kDataTypes; ++d)
        if (t->spec().stored[d]) {
          sh.def.data_mask |= 1ull << d;
          sh.def.period[d] = t->spec().period[d];
          sh.def.nbelem[d] = t->spec().nbelem[d];
        }
      sh.def.has_expire = true;
      sh.def.expire = t->spec().expire_ms;
      s->tables.push_back(std::move(sh));
    }
    for (const auto& p : ps.peers) {
      if (p.local || !p.address) continue;
      auto r = std::make_unique<Remote>();
      r->sec = s.get();
      r->name = p.name;
      r->acked.assign(s->tables.size(), 0);
      std::memcpy(&r->addr, &p.address->storage, sizeof r->addr);
      s->remotes.push_back(std::move(r));
    }
    if (const config::Address* a = ps.listen_address()) {
      s->self = std::make_unique<Remote>();
      s->self->sec = s.get();
      s->self->name = s->local_name;
      std::memcpy(&s->self->addr, &a->storage, sizeof s->self->addr);
      s->listener = new uv_tcp_t;
      uv_tcp_init(loop_, s->listener);
      s->listener->data = s.get();
      int fd = socket(a->family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      int one = 1;
      // SO_REUSEPORT: a reloaded process binds while the old one still listens.
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
      if (fd < 0 || bind(fd, reinterpret_cast<const sockaddr*>(&a->storage), a->storage_len) != 0 ||
          listen(fd, 64) != 0) {
        err = "Starting peers section '" + ps.name + "': cannot bind socket (" + std::strerror(errno) + ") [" +
              config::to_string(*a) + "]";
        if (fd >= 0) ::close(fd);
        uv_close(reinterpret_cast<uv_handle_t*>(s->listener), [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
        s->listener = nullptr;
        sections_.push_back(std::move(s));
        return false;
      }
      uv_tcp_open(s->listener, fd);
    }
    sections_.push_back(std::move(s));
  }
  return true;
}

void ServiceImpl::start() {
  const uint64_t now = ms_now(loop_);
  for (auto& s : sections_) {
    s->resync_deadline = now + kResyncMs;
    s->started = time(nullptr);
    // Nothing to learn when no table is shared.
    if (s->tables.empty() || s->remotes.empty()) s->learning = false;
    if (s->listener)
      uv_listen(reinterpret_cast<uv_stream_t*>(s->listener), 64, [](uv_stream_t* l, int status) {
        if (status < 0) return;
        auto* sec = static_cast<Section*>(l->data);
        sec->svc->on_accept(*sec);
      });
  }
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
  timer_started_ = true;
  uv_timer_start(&timer_, [](uv_timer_t* t) { static_cast<ServiceImpl*>(t->data)->tick(); }, 0, kPushIntervalMs);
}

void ServiceImpl::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (timer_started_) uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
  if (handover_timer_on_) uv_close(reinterpret_cast<uv_handle_t*>(&handover_timer_), nullptr);
  for (auto& s : sections_) {
    for (auto& r : s->remotes)
      if (r->conn) close(r->conn, 0);
    if (s->listener) {
      uv_close(reinterpret_cast<uv_handle_t*>(s->listener), [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
      s->listener = nullptr;
    }
  }
}

// --- connections -----------------------------------------------------------------------------

Conn* new_conn(ServiceImpl* svc, Section* sec, uv_loop_t* loop) {
  auto* c = new Conn;
  c->svc = svc;
  c->sec = sec;
  uv_tcp_init(loop, &c->tcp);
  c->tcp.data = c;
  c->tables.resize(sec->tables.size());
  c->last_rx = c->last_tx = uv_now(loop);
  return c;
}

void ServiceImpl::connect(Remote& r) {
  Conn* c = new_conn(this, r.sec, loop_);
  c->peer = &r;
  c->outgoing = true;
  r.conn = c;
  r.status = 100;   // CONN
  ++r.new_conn;
  uv_tcp_nodelay(&c->tcp, 1);
  c->connect_req.data = c;
  const int rc = uv_tcp_connect(&c->connect_req, &c->tcp, reinterpret_cast<const sockaddr*>(&r.addr),
                                [](uv_connect_t* req, int status) {
                                  auto* conn = static_cast<Conn*>(req->data);
                                  conn->svc->on_connected(conn, status);
                                });
  if (rc != 0) close(c, kReconnectMs);
}

void ServiceImpl::on_connected(Conn* c, int status) {
  if (c->st == Conn::State::closing) return;
  if (status != 0) return close(c, kReconnectMs);
  c->st = Conn::State::await_status;
  if (c->peer && !c->local) c->peer->status = 110;   // HSHK
  uv_read_start(reinterpret_cast<uv_stream_t*>(&c->tcp),
                [](uv_handle_t*, size_t, uv_buf_t* b) {
                  static char buf[65536];
                  *b = uv_buf_init(buf, sizeof buf);
                },
                [](uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
                  auto* conn = static_cast<Conn*>(s->data);
                  conn->svc->on_read(conn, n, b);
                });
  send(c, hello(c->peer->name, c->sec->local_name, int(getpid())));
}

void ServiceImpl::on_accept(Section& s) {
  Conn* c = new_conn(this, &s, loop_);
  if (uv_accept(reinterpret_cast<uv_stream_t*>(s.listener), reinterpret_cast<uv_stream_t*>(&c->tcp)) != 0) {
    close(c, 0);
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  c->st = Conn::State::await_hello;
  uv_read_start(reinterpret_cast<uv_stream_t*>(&c->tcp),
                [](uv_handle_t*, size_t, uv_buf_t* b) {
                  static char buf[65536];
                  *b = uv_buf_init(buf, sizeof buf);
                },
                [](uv_stream_t* st, ssize_t n, const uv_buf_t* b) {
                  auto* conn = static_cast<Conn*>(st->data);
                  conn->svc->on_read(conn, n, b);
                });
}

// Ends a session; its peer (if it was the one) is tried again in `reconnect_in` ms.
void ServiceImpl::close(Conn* c, uint32_t reconnect_in) {
  if (c->st == Conn::State::closing) return;
  c->st = Conn::State::closing;
  Section* s = c->sec;
  if (s->learning_from == c) {
    s->learning_from = nullptr;   // another peer will be asked
    s->resync_deadline = ms_now(loop_) + kResyncMs;
  }
  if (c->local && c->outgoing) {
    if (c->peer) c->peer->conn = nullptr;
    c->peer = nullptr;
    if (handovers_ > 0 && --handovers_ == 0 && handed_over_) {
      auto done = std::move(handed_over_);
      handed_over_ = nullptr;
      done();
    }
  }
  if (c->peer && c->peer->conn == c) {
    c->peer->conn = nullptr;
    c->peer->reconnect_at = ms_now(loop_) + reconnect_in;
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), [](uv_handle_t* h) { delete static_cast<Conn*>(h->data); });
}

void ServiceImpl::send(Conn* c, std::string bytes) {
  if (c->st == Conn::State::closing || bytes.empty()) return;
  struct Write {
    uv_write_t req;
    std::string data;
  };
  auto* w = new Write{{}, std::move(bytes)};
  uv_buf_t b = uv_buf_init(w->data.data(), unsigned(w->data.size()));
  w->req.data = w;
  c->last_tx = ms_now(loop_);
  if (uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&c->tcp), &b, 1,
               [](uv_write_t* req, int) { delete static_cast<Write*>(req->data); }) != 0) {
    delete w;
    close(c, kReconnectMs);
  }
}

void ServiceImpl::on_read(Conn* c, ssize_t n, const uv_buf_t* buf) {
  if (c->st == Conn::State::closing) return;
  if (n < 0) return close(c, random_delay());
  c->in.append(buf->base, size_t(n));
  c->last_rx = ms_now(loop_);
  if (c->st == Conn::State::await_status || c->st == Conn::State::await_hello) handshake(c);
  if (c->st == Conn::State::established && !c->in.empty() && !messages(c)) return;
}

// The text part: a connecting peer sends three lines, the accepting one answers a status.
void ServiceImpl::handshake(Conn* c) {
  auto line = [&](std::string& out) {
    const size_t nl = c->in.find('\n');
    if (nl == std::string::npos) {
      if (c->in.size() > kMaxLine) close(c, kReconnectMs);
      return false;
    }
    out = c->in.substr(0, nl);
    c->in.erase(0, nl + 1);
    return true;
  };
  std::string l;
  if (c->st == Conn::State::await_status) {
    if (!line(l)) return;
    const int code = std::atoi(l.c_str());
    if (c->peer && !c->local) {
      c->peer->status = code;
      if (code == kSuccess) c->peer->last_hdshk = ms_now(loop_);
    }
    if (code != kSuccess) {
      // 300: the peer is busy with another session of ours; the others are configuration errors.
      return close(c, kReconnectMs);
    }
    if (c->local) {
      // The new process of this node: it gets everything we hold, then confirms.
      c->st = Conn::State::established;
      teach(c);
      return;
    }
    established(c);
    return;
  }
  auto refuse = [&](int code) {
    send(c, std::to_string(code) + "\n");
    close(c, 0);
  };
  while (c->st == Conn::State::await_hello && line(l)) {
    ++c->hello_lines;
    if (c->hello_lines == 1) {
      unsigned major = 0, minor = 0;
      if (l.compare(0, kProtoName.size() + 1, std::string(kProtoName) + " ") != 0) return refuse(kErrProto);
      if (!parse_version(std::string_view(l).substr(kProtoName.size() + 1), major, minor) || major != kMajor ||
          minor > kMinor)
        return refuse(kErrVersion);
      c->downgraded = minor == 0;
    } else if (c->hello_lines == 2) {
      if (l != c->sec->local_name) return refuse(kErrHost);
    } else {
      const size_t sp = l.find(' ');
      if (sp == std::string::npos) return refuse(kErrProto);
      const std::string name = l.substr(0, sp);
      if (name == c->sec->local_name) {
        // The old process of this node, handing its tables over on a reload: it teaches, we
        // learn (nothing is pushed to it).
        c->local = true;
        send(c, std::to_string(int(kSuccess)) + "\n");
        c->st = Conn::State::established;
        continue;
      }
      Remote* r = nullptr;
      for (auto& one : c->sec->remotes)
        if (one->name == name) r = one.get();
      if (!r) return refuse(kErrPeer);
      // One session per peer: this one replaces ours; ours is retried later, after a random
      // delay so that two peers doing the same do not loop.
      if (r->conn && r->conn != c) close(r->conn, random_delay()), ++r->coll;
      r->conn = c;
      c->peer = r;
      r->status = kSuccess;
      r->last_hdshk = ms_now(loop_);
      ++r->new_conn;
      send(c, std::to_string(int(kSuccess)) + "\n");
      established(c);
    }
  }
}

void ServiceImpl::established(Conn* c) {
  c->st = Conn::State::established;
  for (auto& t : c->tables) t = TableState{};
  // What the peer acknowledged in an earlier session is not sent again (all of it, for a peer
  // never heard from).
  for (size_t i = 0; i < c->tables.size() && i < c->peer->acked.size(); ++i) c->tables[i].last_pushed = c->peer->acked[i];
  c->last_defined = -1;
  Section* s = c->sec;
  if (s->learning && !s->learning_from && !c->peer->not_up_to_date) {
    s->learning_from = c;
    std::string req;
    encode_control(req, kControl, kResyncReq);
    send(c, std::move(req));
  }
  push(c, false, false);
  if (!c->in.empty()) messages(c);
}

// Cuts and handles every whole message received. False when the session ended.
bool ServiceImpl::messages(Conn* c) {
  size_t off = 0;
  bool ok = true;
  while (ok && c->st == Conn::State::established) {
    Message m;
    size_t used = 0;
    const Frame f = next_message(reinterpret_cast<const uint8_t*>(c->in.data()) + off, c->in.size() - off, m, used);
    if (f == Frame::need_more) break;
    if (f != Frame::ok) {
      std::string err;
      encode_control(err, kError, f == Frame::too_big ? kSizeLimit : kProtocolError);
      send(c, std::move(err));
      close(c, kReconnectMs);
      return false;
    }
    ok = on_message(c, m);
    off += used;
  }
  if (c->st != Conn::State::established) return false;
  c->in.erase(0, off);
  // Acknowledge what came in, table by table.
  std::string acks;
  for (auto& [rid, def] : c->remote_defs) {
    if (def.first < 0) continue;
    TableState& ts = c->tables[size_t(def.first)];
    if (ts.got && ts.last_get != ts.last_acked) {
      encode_ack(acks, rid, ts.last_get);
      ts.last_acked = ts.last_get;
    }
  }
  send(c, std::move(acks));
  return true;
}

bool ServiceImpl::on_message(Conn* c, const Message& m) {
  Section* s = c->sec;
  auto protocol_error = [&] {
    if (c->peer) ++c->peer->proto_err;
    std::string err;
    encode_control(err, kError, kProtocolError);
    send(c, std::move(err));
    close(c, kReconnectMs);
    return false;
  };
  if (m.cls == kControl) {
    switch (m.type) {
      case kResyncReq:
        teach(c);
        break;
      case kResyncFinished:
      case kResyncPartial: {
        if (s->learning_from == c && c->peer) {
          s->learning_from = nullptr;
          if (m.type == kResyncFinished) {
            s->learning = false;
          } else {
            c->peer->not_up_to_date = true;
            s->resync_deadline = ms_now(loop_) + kResyncMs;
          }
        }
        std::string confirm;
        encode_control(confirm, kControl, kResyncConfirm);
        send(c, std::move(confirm));
        break;
      }
      case kResyncConfirm:
        if (c->local) {
          hand_over_ended(c);
          return false;
        }
        break;
      case kHeartbeat:
        if (c->peer) ++c->peer->rx_hbt;
        break;   // being alive is all it says
      default:
        break;
    }
    return true;
  }
  if (m.cls == kError) {
    close(c, kReconnectMs);
    return false;
  }
  if (m.cls == kReserved) return protocol_error();
  if (m.cls != kStickTable) return true;
  switch (m.type) {
    case kDefine: {
      TableDef d;
      bool ignore = false;
      if (!decode_define(m.body, d, ignore)) return protocol_error();
      int index = -1;
      if (!ignore)
        for (size_t i = 0; i < s->tables.size(); ++i) {
          const TableDef& ours = s->tables[i].def;
          if (ours.name == d.name && ours.key_type == d.key_type && ours.key_size == d.key_size) index = int(i);
        }
      c->current = -1;
      for (size_t i = 0; i < c->remote_defs.size(); ++i)
        if (c->remote_defs[i].first == d.id) c->current = int(i);
      if (c->current < 0) {
        c->remote_defs.emplace_back(d.id, std::make_pair(index, d));
        c->current = int(c->remote_defs.size() - 1);
      } else {
        c->remote_defs[size_t(c->current)].second = {index, d};
      }
      // Another id of the peer naming the same table of ours no longer does.
      for (size_t i = 0; i < c->remote_defs.size(); ++i)
        if (int(i) != c->current && c->remote_defs[i].second.first == index) c->remote_defs[i].second.first = -1;
      return true;
    }
    case kSwitch: {
      uint64_t id;
      if (!decode_switch(m.body, id)) return protocol_error();
      c->current = -1;
      for (size_t i = 0; i < c->remote_defs.size(); ++i)
        if (c->remote_defs[i].first == id) c->current = int(i);
      return true;
    }
    case kUpdate:
    case kIncUpdate:
    case kUpdateTimed:
    case kIncUpdateTimed: {
      bool bad = false;
      on_update(c, m.type, m.body, bad);
      if (bad) return protocol_error();
      return true;
    }
    case kAck:
      {
        uint64_t id;
        uint32_t upd;
        if (!decode_ack(m.body, id, upd)) return protocol_error();
        // The id is ours for the table (its definition's); upd the last update id it got.
        if (c->peer && id >= 1 && id <= c->tables.size() && id <= c->peer->acked.size()) {
          TableState& ts = c->tables[size_t(id - 1)];
          while (!ts.pushed.empty() && int32_t(upd - ts.pushed.front().last_id) >= 0) {
            c->peer->acked[size_t(id - 1)] = ts.pushed.front().upto;
            ts.pushed.pop_front();
          }
        }
      }
      return true;
    default:
      return true;
  }
}

void ServiceImpl::on_update(Conn* c, uint8_t type, std::string_view body, bool& bad) {
  if (c->current < 0) return;
  auto& [index, def] = c->remote_defs[size_t(c->current)].second;
  if (index < 0) return;   // a table we do not share: skipped, as HAProxy
  Update u;
  if (!decode_update(type, body, def, c->dict, u)) {
    bad = true;
    return;
  }
  TableState& ts = c->tables[size_t(index)];
  ts.last_get = u.has_id ? u.id : ts.last_get + 1;
  ts.got = true;
  stick::Table& t = *c->sec->tables[size_t(index)].table;
  stick::Key k;
  if (u.key.size() > sizeof k.bytes) return;
  std::memcpy(k.bytes, u.key.data(), u.key.size());
  k.len = uint32_t(u.key.size());
  if (t.spec().type == stick::KeyType::binary) {
    // Binary keys are padded to the table's length.
    std::memset(k.bytes + k.len, 0, t.spec().key_len > k.len ? t.spec().key_len - k.len : 0);
    k.len = t.spec().key_len;
  }
  const uint32_t now = stick::now_ms();
  t.apply_remote(k, now, u.timed ? u.expire : 0, [&](stick::View& v) {
    auto freq_of = [&](const Value& val) {
      stick::FreqCtr f;
      f.curr_tick = (now - val.elapsed) & ~1u;
      f.curr_ctr = val.curr;
      f.prev_ctr = val.prev;
      return f;
    };
    for (int d = 0; d < stick::kDataTypes; ++d) {
      if (!(def.data_mask & (1ull << d))) continue;
      const stick::Data data = stick::Data(d);
      // Only what this table stores itself (no gpc0 -> gpc[0] fallback on the wire, as HAProxy).
      if (data == stick::Data::conn_cur || !t.spec().stores(data)) continue;   // conn_cur is each node's own
      if (stick::is_array(data)) {
        // Elements beyond this table's size are dropped (HAProxy's too).
        for (size_t n = 0; n < u.elems[d].size() && v.has(data, unsigned(n)); ++n) {
          if (stick::is_rate(data)) v.set_freq(data, freq_of(u.elems[d][n]), unsigned(n));
          else v.set(data, u.elems[d][n].v, unsigned(n));
        }
        continue;
      }
      const Value& val = u.values[d];
      if (data == stick::Data::server_key) {
        if (val.has_dict) v.set(data, val.dict.empty() ? 0 : t.intern(val.dict));
      } else if (stick::is_rate(data)) {
        v.set_freq(data, freq_of(val));
      } else {
        v.set(data, val.v);
      }
    }
  });
}

// Sends the entries of every shared table changed since the last push (`all`: every entry,
// learnt ones included, for a resync; `timed`: with their expiry).
void ServiceImpl::push(Conn* c, bool all, bool timed) {
  if (c->st != Conn::State::established) return;
  if (!all && uv_stream_get_write_queue_size(reinterpret_cast<uv_stream_t*>(&c->tcp)) > kMaxPendingWrite) return;
  const uint32_t now = stick::now_ms();
  std::string out;
  for (size_t i = 0; i < c->sec->tables.size(); ++i) {
    Shared& sh = c->sec->tables[i];
    TableState& ts = c->tables[i];
    const uint64_t upto = sh.table->last_update();
    if (!all && upto == ts.last_pushed) continue;
    bool defined = false;
    auto define = [&] {
      if (defined) return;
      defined = true;
      // A definition also switches the peer to this table.
      encode_define(out, sh.def);
      c->last_defined = int(i);
    };
    if (all) define();
    const uint64_t ids_before = ts.last_get_sent;
    sh.table->for_each_update(all ? 0 : ts.last_pushed, all, now, [&](const stick::Entry* e, stick::View& v, int64_t exp) {
      define();
      Update u;
      stick::Key k;
      sh.table->key_copy(e, k);
      u.key.assign(reinterpret_cast<const char*>(k.bytes), k.len);
      if (sh.table->spec().type == stick::KeyType::string) {
        // HAProxy stops a string key at its first NUL.
        const size_t nul = u.key.find('\0');
        if (nul != std::string::npos) u.key.resize(nul);
      }
      u.has_id = true;
      u.id = uint32_t(++ts.last_get_sent);
      u.timed = timed && !c->downgraded;
      u.expire = uint32_t(exp);
      auto freq_value = [&](const stick::FreqCtr& f, Value& val) {
        // A worker may have counted after `now` was read: that is no time ago, not 49 days.
        val.elapsed = int32_t(now - f.curr_tick) > 0 ? now - f.curr_tick : 0;
        val.curr = f.curr_ctr;
        val.prev = f.prev_ctr;
      };
      for (int d = 0; d < stick::kDataTypes; ++d) {
        if (!(sh.def.data_mask & (1ull << d))) continue;
        const stick::Data data = stick::Data(d);
        Value& val = u.values[d];
        if (stick::is_array(data)) {
          u.elems[d].resize(sh.def.nbelem[d]);
          for (unsigned n = 0; n < sh.def.nbelem[d]; ++n) {
            if (stick::is_rate(data)) freq_value(v.freq(data, n), u.elems[d][n]);
            else u.elems[d][n].v = v.get(data, now, n);
          }
          continue;
        }
        if (data == stick::Data::server_key) {
          val.dict = sh.table->name_of(v.get(data, now));
          val.has_dict = true;
        } else if (stick::is_rate(data)) {
          freq_value(v.freq(data), val);
        } else {
          val.v = v.get(data, now);
        }
      }
      encode_update(out, sh.def, u);
    });
    if (!all) {
      if (ts.last_get_sent != ids_before) {
        ts.pushed.push_back({uint32_t(ts.last_get_sent), upto});
      } else if (ts.pushed.empty() && c->peer && i < c->peer->acked.size()) {
        c->peer->acked[i] = upto;   // nothing to send (learnt entries only): nothing to wait for
      }
      ts.last_pushed = upto;
    }
  }
  send(c, std::move(out));
}

// A peer asked for everything we know: every entry of every shared table, then "finished".
void ServiceImpl::teach(Conn* c) {
  push(c, true, true);
  std::string fin;
  encode_control(fin, kControl, kResyncFinished);
  send(c, std::move(fin));
}

void ServiceImpl::tick() {
  if (stopped_) return;
  const uint64_t now = ms_now(loop_);
  for (auto& s : sections_) {
    ++s->ticks;
    for (auto& r : s->remotes) {
      Conn* c = r->conn;
      if (!c) {
        if (now >= r->reconnect_at) connect(*r);
        continue;
      }
      if (c->st != Conn::State::established) {
        if (now - c->last_rx > kSilenceMs && now - c->last_tx > kSilenceMs) close(c, kReconnectMs);
        continue;
      }
      if (now - c->last_rx > kSilenceMs) {
        ++r->no_hbt;
        close(c, random_delay());   // silent too long: the peer is gone
        continue;
      }
      if (s->learning && !s->learning_from && !r->not_up_to_date) {
        s->learning_from = c;
        std::string req;
        encode_control(req, kControl, kResyncReq);
        send(c, std::move(req));
      }
      push(c, false, false);
      if (now - c->last_tx >= kHeartbeatMs) {
        std::string hb;
        encode_control(hb, kControl, kHeartbeat);
        send(c, std::move(hb));
        ++r->tx_hbt;
      }
    }
    // Nobody could teach us within the delay: what we have is what there is.
    if (s->learning && !s->learning_from && now >= s->resync_deadline) s->learning = false;
  }
}

void ServiceImpl::hand_over(std::function<void()> done) {
  if (stopped_) return done();
  // Stop listening first, so that the connection below reaches the new process.
  for (auto& s : sections_)
    if (s->listener) {
      uv_close(reinterpret_cast<uv_handle_t*>(s->listener), [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
      s->listener = nullptr;
    }
  handed_over_ = std::move(done);
  for (auto& s : sections_) {
    if (!s->self || s->tables.empty()) continue;
    Conn* c = new_conn(this, s.get(), loop_);
    c->peer = s->self.get();
    c->outgoing = true;
    c->local = true;
    s->self->conn = c;
    ++handovers_;
    c->connect_req.data = c;
    if (uv_tcp_connect(&c->connect_req, &c->tcp, reinterpret_cast<const sockaddr*>(&s->self->addr),
                       [](uv_connect_t* req, int status) {
                         auto* conn = static_cast<Conn*>(req->data);
                         conn->svc->on_connected(conn, status);
                       }) != 0)
      close(c, 0);
  }
  if (handovers_ == 0) {
    auto d = std::move(handed_over_);
    handed_over_ = nullptr;
    if (d) d();
    return;
  }
  // A new process that never answers does not hold the old one.
  uv_timer_init(loop_, &handover_timer_);
  handover_timer_.data = this;
  handover_timer_on_ = true;
  uv_timer_start(&handover_timer_, [](uv_timer_t* t) {
    auto* self = static_cast<ServiceImpl*>(t->data);
    for (auto& s : self->sections_)
      if (s->self && s->self->conn) self->close(s->self->conn, 0);
  }, kResyncMs, 0);
}

void ServiceImpl::hand_over_ended(Conn* c) { close(c, 0); }

// --- show peers --------------------------------------------------------------------------------

namespace {

// HAProxy's human_time(): at most two units, "0s" for nothing.
std::string human_time(uint64_t ms) {
  uint64_t t = ms / 1000;
  std::string out;
  int cnt = 2;
  if (t >= 86400) out += std::to_string(t / 86400) + "d", --cnt;
  if (cnt && t % 86400 / 3600) out += std::to_string(t % 86400 / 3600) + "h", --cnt;
  if (cnt && t % 3600 / 60) out += std::to_string(t % 3600 / 60) + "m", --cnt;
  if ((cnt && t % 60) || !t) out += std::to_string(t % 60) + "s";
  return out;
}

std::string until(uint64_t at, uint64_t now) {
  if (!at) return "<NEVER>";
  return at <= now ? "<PAST>" : human_time(at - now);
}

const char* status_text(int code) {
  switch (code) {
    case 100: return "CONN";
    case 110: return "HSHK";
    case kSuccess: return "ESTA";
    case kTryAgain: return "RETR";
    case kErrProto: return "PROT";
    case kErrVersion: return "VERS";
    case kErrHost: return "NAME";
    case kErrPeer: return "UNKN";
    default: return "NONE";
  }
}

std::string addr_text(const sockaddr_storage& a) {
  char host[INET6_ADDRSTRLEN] = "";
  uint16_t port = 0;
  if (a.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&a);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    port = ntohs(in6->sin6_port);
  } else if (a.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&a);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    port = ntohs(in->sin_port);
  }
  return std::string(host) + ":" + std::to_string(port);
}

std::string pointer(const void* p) {
  char b[32];
  std::snprintf(b, sizeof b, "%p", p);
  return b;
}

}  // namespace

std::string ServiceImpl::show(std::string_view section, bool& found) const {
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  found = section.empty();
  const uint64_t now = ms_now(loop_);
  std::string out;
  // HAProxy lists the sections and their peers the last declared first.
  for (auto it = sections_.rbegin(); it != sections_.rend(); ++it) {
    const Section& s = **it;
    if (!section.empty() && s.cfg->name != section) continue;
    found = true;
    if (!out.empty()) out += '\n';
    tm t{};
    localtime_r(&s.started, &t);
    char date[40];
    std::snprintf(date, sizeof date, "[%02d/%s/%04d:%02d:%02d:%02d]", t.tm_mday, kMonths[t.tm_mon], t.tm_year + 1900,
                  t.tm_hour, t.tm_min, t.tm_sec);
    out += pointer(&s) + ": " + date + " id=" + s.cfg->name + " disabled=0 flags=0x0 resync_timeout=" +
           (s.learning ? until(s.resync_deadline, now) : "<NEVER>") + " task_calls=" + std::to_string(s.ticks) + "\n";
    // The peers as declared (the local one included), the last first.
    for (auto p = s.cfg->peers.rbegin(); p != s.cfg->peers.rend(); ++p) {
      const Remote* r = nullptr;
      for (const auto& one : s.remotes)
        if (one->name == p->name) r = one.get();
      const bool local = p->local;
      const Conn* c = r ? r->conn : nullptr;
      const sockaddr_storage* addr = r ? &r->addr : (s.self ? &s.self->addr : nullptr);
      out += "  " + pointer(r ? static_cast<const void*>(r) : static_cast<const void*>(&*p)) + ": id=" + p->name +
             "(" + (local ? "local" : "remote") + "," + (c ? "active" : "inactive") + ") addr=" +
             (addr ? addr_text(*addr) : std::string(":0")) + " last_status=" + status_text(r ? r->status : 0) +
             " last_hdshk=" + (r && r->last_hdshk ? human_time(now - r->last_hdshk) : "<NEVER>") + "\n";
      const bool up = c && c->st == Conn::State::established;
      std::string reconnect = "<NEVER>", heartbeat = "<NEVER>";
      if (up) {
        reconnect = until(c->last_rx + kSilenceMs, now);
        heartbeat = until(c->last_tx + kHeartbeatMs, now);
      } else if (r && !c) {
        reconnect = until(r->reconnect_at ? r->reconnect_at : now, now);
      }
      out += "        reconnect=" + reconnect + " heartbeat=" + heartbeat + " confirm=0 tx_hbt=" +
             std::to_string(r ? r->tx_hbt : 0) + " rx_hbt=" + std::to_string(r ? r->rx_hbt : 0) +
             " no_hbt=" + std::to_string(r ? r->no_hbt : 0) + " new_conn=" + std::to_string(r ? r->new_conn : 0) +
             " proto_err=" + std::to_string(r ? r->proto_err : 0) + " coll=" + std::to_string(r ? r->coll : 0) + "\n";
      out += "        flags=0x0";
      if (c) out += " appctx:" + pointer(c) + " st0=0 st1=0 task_calls=0 state=" + (up ? "EST" : "CON");
      if (!s.tables.empty()) {
        out += "\n        shared tables:";
        for (size_t i = 0; i < s.tables.size(); ++i) {
          const Shared& sh = s.tables[i];
          const TableState* ts = up && i < c->tables.size() ? &c->tables[i] : nullptr;
          uint64_t remote_id = 0, remote_data = 0;
          if (up)
            for (const auto& [rid, def] : c->remote_defs)
              if (def.first == int(i)) remote_id = rid, remote_data = def.second.data_mask;
          const uint64_t update = sh.table->last_update();
          out += "\n          " + pointer(&sh) + " local_id=" + std::to_string(sh.def.id) +
                 " remote_id=" + std::to_string(remote_id) + " flags=0x0 remote_data=0x" +
                 [](uint64_t v) { char b[24]; std::snprintf(b, sizeof b, "%llx", (unsigned long long)v); return std::string(b); }(remote_data);
          out += "\n              last_acked=" + std::to_string(ts ? ts->last_acked : 0) +
                 " last_pushed=" + std::to_string(ts ? ts->last_get_sent : 0) +
                 " last_get=" + std::to_string(ts ? ts->last_get : 0) + " teaching_origin=0 update=" +
                 std::to_string(ts ? ts->last_get_sent : 0);
          out += "\n              table:" + pointer(sh.table) + " id=" + sh.table->name() +
                 " update=" + std::to_string(uint32_t(update)) + " localupdate=" + std::to_string(uint32_t(update)) +
                 " commitupdate=" + std::to_string(uint32_t(update)) + " refcnt=1";
          out += "\n        Dictionary cache not dumped (use \"show peers dict\")";
        }
      }
      out += "\n";
    }
  }
  return out;
}

void ServiceImpl::counts(uint32_t& active, uint32_t& connected) const {
  active = connected = 0;
  for (const auto& s : sections_)
    for (const auto& r : s->remotes) {
      if (!r->conn) continue;
      ++active;
      if (r->conn->st == Conn::State::established) ++connected;
    }
}

}  // namespace

std::unique_ptr<Service> Service::create(uv_loop_t* loop, const config::Config& cfg, stick::Tables& tables,
                                         std::string& err) {
  if (cfg.peers.empty()) return nullptr;
  auto svc = std::make_unique<ServiceImpl>(loop, tables);
  if (!svc->build(cfg, err)) {
    svc->stop();
    return nullptr;
  }
  return svc;
}

}  // namespace portero::peers
