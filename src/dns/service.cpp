// The servers that name a `resolvers` section, resolved again on the main thread's loop.
//
// One `Resolution` per (section, name, query type) is shared by the servers that resolve that
// name (a `server-template` on a plain name, or several servers on one name), as HAProxy
// shares them. Each due resolution asks every name server of its section at once (one c-ares
// channel per name server, so each one's counters are exact, and the first useful answer
// wins, as HAProxy does); the answer, or the failure once every name server failed, is then
// applied to the servers: addresses, HAProxy's resolution maintenance (RMAINT), SRV slots.
// Nothing here runs on a worker: the servers' state is the shared `lb::ServerState`, written
// here as the admin socket writes it, and published through the same hooks.
#include "portero/dns/service.h"

#include <arpa/inet.h>
#include <ares.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include "portero/dns/records.h"

namespace portero::dns {
namespace {

constexpr uint64_t kTickMs = 100;
constexpr int kLogAlert = 1, kLogNotice = 5;

// HAProxy's per name server counters (`show resolvers`).
struct NsCounters {
  uint64_t sent = 0, snd_error = 0, valid = 0, update = 0, cname = 0, cname_error = 0, any_err = 0, nx = 0,
           timeout = 0, refused = 0, other = 0, invalid = 0, too_big = 0, truncated = 0, outdated = 0;
};

enum class Status : uint8_t { none, valid, nx, timeout, refused, other };

struct Section;
struct Resolution;

// What a server owes to DNS, beside its shared state.
struct ServerDns {
  int proxy = 0, server = 0;
  const config::Server* cfg = nullptr;
  Resolution* res = nullptr;
  std::string fqdn;            // SRV: the target it was given (empty: a free slot)
  uint16_t port = 0;           // SRV: the record's port
  bool named_by_srv = false;   // SRV: had a name from a record once (HAProxy's HMAINT flag stays)
  // SRV: the resolution of its target when the answer carried no address for it (HAProxy
  // then asks for the target's A/AAAA records, as for a server written with that name).
  Resolution* host = nullptr;
};

// A record a resolution remembers, with HAProxy's tree key and when it was last answered.
struct Item {
  Record rec;
  uint32_t key = 0;
  uint64_t last_seen = 0;
  Record addr;                 // SRV: the target's address from the additional section
  bool has_addr = false;
};

struct Resolution {
  Section* section = nullptr;
  std::vector<Item> items;     // in key order
  std::string name;
  bool srv = false;
  bool prefer_v4 = false;
  std::vector<ServerDns*> owners;
  // The run in flight: its id (late callbacks of an older run are ignored), the type asked,
  // whether the other address family was asked already, the channels yet to answer.
  uint32_t run = 0;
  bool in_flight = false;
  uint16_t qtype = 0;
  bool tried_other = false;
  int pending = 0;
  Status worst = Status::none;
  uint64_t last_run = 0;       // when the last run ended (0: never)
  uint64_t last_valid = 0;     // when the last valid answer came
  Status status = Status::none;
};

class ServiceImpl;

struct Section {
  ServiceImpl* owner = nullptr;
  const config::ResolversSection* cfg = nullptr;
  struct Ns {
    Section* section = nullptr;
    size_t index = 0;
    ares_channel channel = nullptr;
    std::map<ares_socket_t, uv_poll_t*> polls;
    NsCounters counters;
    uv_loop_t* loop = nullptr;
  };
  std::vector<std::unique_ptr<Ns>> ns;
  std::vector<std::unique_ptr<Resolution>> resolutions;
};

// A query's context, given to c-ares and freed by its callback.
struct Ask {
  Resolution* res;
  Section::Ns* ns;
  uint32_t run;
};

uint64_t now_ms(uv_loop_t* loop) { return uv_now(loop); }

std::string ip_text(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET6) inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(ss).sin6_addr, buf, sizeof buf);
  else if (ss.ss_family == AF_INET) inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(ss).sin_addr, buf, sizeof buf);
  return buf;
}

uint16_t port_of(const sockaddr_storage& ss) {
  // sin_port and sin6_port share their offset; a cleared address (AF_UNSPEC) keeps it too.
  return ntohs(reinterpret_cast<const sockaddr_in&>(ss).sin_port);
}

bool same_ip(const sockaddr_storage& a, const Record& r) {
  if (a.ss_family != r.family) return false;
  if (r.family == AF_INET) return std::memcmp(&reinterpret_cast<const sockaddr_in&>(a).sin_addr, r.addr, 4) == 0;
  return std::memcmp(&reinterpret_cast<const sockaddr_in6&>(a).sin6_addr, r.addr, 16) == 0;
}

sockaddr_storage make_addr(const Record& r, uint16_t port) {
  sockaddr_storage ss{};
  ss.ss_family = sa_family_t(r.family);
  if (r.family == AF_INET) std::memcpy(&reinterpret_cast<sockaddr_in&>(ss).sin_addr, r.addr, 4);
  else std::memcpy(&reinterpret_cast<sockaddr_in6&>(ss).sin6_addr, r.addr, 16);
  reinterpret_cast<sockaddr_in&>(ss).sin_port = htons(port);
  return ss;
}

bool in_net(const Record& r, const config::Server::Net& n) {
  if (r.family != n.family) return false;
  int bits = n.prefix;
  for (int i = 0; bits > 0; ++i, bits -= 8) {
    const uint8_t mask = bits >= 8 ? 0xFF : uint8_t(0xFF << (8 - bits));
    if ((r.addr[i] & mask) != (n.bytes[i] & mask)) return false;
  }
  return true;
}

// XXH32 (the xxHash 32-bit function, from its specification): HAProxy keys its answer tree
// with it, and the key order decides which server takes which record.
uint32_t xxh32(const uint8_t* p, size_t len, uint32_t seed) {
  constexpr uint32_t P1 = 2654435761U, P2 = 2246822519U, P3 = 3266489917U, P4 = 668265263U, P5 = 374761393U;
  auto rotl = [](uint32_t x, int r) { return (x << r) | (x >> (32 - r)); };
  auto rd = [](const uint8_t* q) {
    uint32_t v;
    std::memcpy(&v, q, 4);
    return v;
  };
  const uint8_t* end = p + len;
  uint32_t h;
  if (len >= 16) {
    uint32_t v[4] = {seed + P1 + P2, seed + P2, seed, seed - P1};
    for (; p + 16 <= end; p += 16)
      for (int i = 0; i < 4; ++i) v[i] = rotl(v[i] + rd(p + 4 * i) * P2, 13) * P1;
    h = rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18);
  } else {
    h = seed + P5;
  }
  h += uint32_t(len);
  for (; p + 4 <= end; p += 4) h = rotl(h + rd(p) * P3, 17) * P4;
  for (; p < end; ++p) h = rotl(h + *p * P5, 11) * P1;
  h ^= h >> 15;
  h *= P2;
  h ^= h >> 13;
  h *= P3;
  h ^= h >> 16;
  return h;
}

// HAProxy's key: the address bytes, or the SRV target in label form ("\3www\4test", without
// the final zero), hashed with the record type as seed.
uint32_t record_key(const Record& r) {
  if (r.type != kTypeSrv) return xxh32(r.addr, r.family == AF_INET ? 4 : 16, r.type);
  std::string label;
  size_t pos = 0;
  while (pos <= r.target.size()) {
    size_t dot = r.target.find('.', pos);
    if (dot == std::string::npos) dot = r.target.size();
    label += char(dot - pos);
    label.append(r.target, pos, dot - pos);
    pos = dot + 1;
  }
  return xxh32(reinterpret_cast<const uint8_t*>(label.data()), label.size(), r.type);
}

class ServiceImpl final : public Service {
 public:
  ServiceImpl(uv_loop_t* loop, const config::Config& cfg, stats::StatsSource& src) : loop_(loop), cfg_(cfg), src_(src) {}
  // A service given up before start (no server to resolve, a channel that failed) has opened
  // no socket yet: its channels go without touching the loop.
  ~ServiceImpl() override {
    for (auto& sec : sections_)
      for (auto& ns : sec->ns)
        if (ns->channel) ares_destroy(ns->channel);
  }

  bool build(std::string& error);
  void start() override {
    src_.server_fqdn = [this](int p, int s) -> std::string {
      const ServerDns* d = size_t(p) < by_proxy_.size() && size_t(s) < by_proxy_[size_t(p)].size() ? by_proxy_[size_t(p)][size_t(s)] : nullptr;
      if (!d) return cfg_.proxies[size_t(p)].servers[size_t(s)].hostname;
      return d->cfg->srvrecord.empty() ? d->cfg->hostname : d->fqdn;
    };
    src_.server_named_by_srv = [this](int p, int s) {
      const ServerDns* d = size_t(p) < by_proxy_.size() && size_t(s) < by_proxy_[size_t(p)].size() ? by_proxy_[size_t(p)][size_t(s)] : nullptr;
      return d && d->named_by_srv;
    };
    // The timer joins the loop only here: a service that is never started leaves nothing in it.
    uv_timer_init(loop_, &tick_);
    tick_.data = this;
    uv_timer_start(&tick_, [](uv_timer_t* t) { static_cast<ServiceImpl*>(t->data)->on_tick(); }, 0, kTickMs);
  }
  void stop() override;
  bool resolving() const { return !servers_.empty(); }
  const NsCounters* counters(const std::string& section, size_t ns) const {
    for (const auto& s : sections_)
      if (s->cfg->name == section && ns < s->ns.size()) return &s->ns[ns]->counters;
    return nullptr;
  }

 private:
  void on_tick();
  void resolve_target(ServerDns& d);
  void forget_target(ServerDns& d);
  void launch(Resolution& r);
  void ask(Resolution& r);
  static void on_answer(void* arg, int status, int timeouts, unsigned char* abuf, int alen);
  void answered(Ask& a, int status, const unsigned char* abuf, int alen);
  void finish(Resolution& r, Status st, const Reply* reply, const std::string& by);
  void remember(Resolution& r, const Reply& reply);
  void forget_obsolete(Resolution& r);
  void apply_addresses(Resolution& r, const std::string& by);
  void apply_srv(Resolution& r);
  void apply_failure(Resolution& r, Status st);

  // Server state changes, with HAProxy's log lines.
  lb::ServerState& state(const ServerDns& d) { return *src_.states[size_t(d.proxy)][size_t(d.server)]; }
  std::string who(const ServerDns& d) const {
    return cfg_.proxies[size_t(d.proxy)].name + "/" + d.cfg->name;
  }
  void move(ServerDns& d, const sockaddr_storage& to, const std::string& by);
  void up(ServerDns& d, const std::string& fqdn, bool admin_line);
  void down(ServerDns& d, const std::string& why);
  std::string servers_left(const ServerDns& d);
  void log(const ServerDns& d, int level, const std::string& msg) {
    if (src_.log) src_.log(d.proxy, level, msg);
  }

  uv_loop_t* loop_;
  const config::Config& cfg_;
  stats::StatsSource& src_;
  uv_timer_t tick_;
  std::vector<std::unique_ptr<Section>> sections_;
  std::vector<std::unique_ptr<ServerDns>> servers_;
  std::vector<std::vector<ServerDns*>> by_proxy_;   // [proxy][server] (null: not resolved)
};

void poll_cb(uv_poll_t* h, int status, int events) {
  auto* ns = static_cast<Section::Ns*>(h->data);
  int rfd = ARES_SOCKET_BAD, wfd = ARES_SOCKET_BAD;
  uv_os_fd_t os_fd;
  uv_fileno(reinterpret_cast<uv_handle_t*>(h), &os_fd);
  if (status < 0 || (events & UV_READABLE)) rfd = os_fd;
  if (status < 0 || (events & UV_WRITABLE)) wfd = os_fd;
  ares_process_fd(ns->channel, rfd, wfd);
}

// c-ares says which sockets it wants watched: one uv_poll_t each.
void sock_state(void* data, ares_socket_t fd, int readable, int writable) {
  auto* ns = static_cast<Section::Ns*>(data);
  auto it = ns->polls.find(fd);
  if (!readable && !writable) {
    if (it != ns->polls.end()) {
      uv_close(reinterpret_cast<uv_handle_t*>(it->second), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
      ns->polls.erase(it);
    }
    return;
  }
  uv_poll_t* p;
  if (it == ns->polls.end()) {
    p = new uv_poll_t;
    uv_poll_init_socket(ns->loop, p, fd);
    p->data = ns;
    ns->polls[fd] = p;
  } else {
    p = it->second;
  }
  uv_poll_start(p, (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0), poll_cb);
}

bool ServiceImpl::build(std::string& error) {
  by_proxy_.resize(cfg_.proxies.size());
  std::map<std::string, Section*> by_name;
  std::map<std::tuple<Section*, std::string, bool, bool>, Resolution*> shared;
  for (size_t p = 0; p < cfg_.proxies.size(); ++p) {
    const auto& px = cfg_.proxies[p];
    by_proxy_[p].assign(px.servers.size(), nullptr);
    for (size_t s = 0; s < px.servers.size(); ++s) {
      const config::Server& cs = px.servers[s];
      if (cs.resolvers.empty() || (cs.hostname.empty() && cs.srvrecord.empty())) continue;
      const config::ResolversSection* rs = cfg_.find_resolvers(cs.resolvers);
      if (!rs || rs->nameservers.empty()) continue;
      Section*& sec = by_name[rs->name];
      if (!sec) {
        sections_.push_back(std::make_unique<Section>());
        sec = sections_.back().get();
        sec->cfg = rs;
        sec->owner = this;
        for (size_t i = 0; i < rs->nameservers.size(); ++i) {
          auto ns = std::make_unique<Section::Ns>();
          ns->section = sec;
          ns->index = i;
          ns->loop = loop_;
          ares_options o{};
          o.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_EDNS;
          if (rs->nameservers[i].tcp) o.flags |= ARES_FLAG_USEVC;   // `tcp@`: queries over TCP
          o.timeout = int(std::max<uint64_t>(rs->timeout_retry, 1));
          o.tries = int(std::max<uint32_t>(rs->resolve_retries, 1));
          o.ednspsz = int(rs->accepted_payload_size);
          o.sock_state_cb = sock_state;
          o.sock_state_cb_data = ns.get();
          o.ndots = 0;
          const int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_EDNSPSZ |
                           ARES_OPT_SOCK_STATE_CB | ARES_OPT_NDOTS;
          if (int rc = ares_init_options(&ns->channel, &o, mask); rc != ARES_SUCCESS) {
            error = std::string("resolvers '") + rs->name + "': " + ares_strerror(rc);
            return false;
          }
          const auto& addr = rs->nameservers[i].address;
          ares_addr_port_node node{};
          node.family = addr.family();
          if (addr.family() == AF_INET) node.addr.addr4 = reinterpret_cast<const sockaddr_in&>(addr.storage).sin_addr;
          else std::memcpy(&node.addr.addr6, &reinterpret_cast<const sockaddr_in6&>(addr.storage).sin6_addr, 16);
          node.udp_port = node.tcp_port = addr.port_lo;
          ares_set_servers_ports(ns->channel, &node);
          sec->ns.push_back(std::move(ns));
        }
      }
      auto d = std::make_unique<ServerDns>();
      d->proxy = int(p);
      d->server = int(s);
      d->cfg = &cs;
      const bool srv = !cs.srvrecord.empty();
      const std::string name = srv ? cs.srvrecord : cs.hostname;
      Resolution*& r = shared[{sec, name, srv, cs.prefer_ipv4}];
      if (!r) {
        sec->resolutions.push_back(std::make_unique<Resolution>());
        r = sec->resolutions.back().get();
        r->section = sec;
        r->name = name;
        r->srv = srv;
        r->prefer_v4 = cs.prefer_ipv4;
      }
      d->res = r;
      r->owners.push_back(d.get());
      r->last_valid = uv_now(loop_);   // HAProxy counts the holds from the resolution's creation
      by_proxy_[p][s] = d.get();
      servers_.push_back(std::move(d));
    }
  }
  return true;
}

void ServiceImpl::stop() {
  src_.server_fqdn = nullptr;
  src_.server_named_by_srv = nullptr;
  uv_timer_stop(&tick_);
  uv_close(reinterpret_cast<uv_handle_t*>(&tick_), nullptr);
  for (auto& sec : sections_)
    for (auto& ns : sec->ns) {
      ares_destroy(ns->channel);   // calls back every query with ARES_EDESTRUCTION
      ns->channel = nullptr;
      for (auto& [fd, p] : ns->polls)
        uv_close(reinterpret_cast<uv_handle_t*>(p), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
      ns->polls.clear();
    }
}

// Every tick: the resolutions that are due (HAProxy: `hold valid` after a valid answer,
// `timeout resolve` after anything else), and c-ares's own timeouts.
void ServiceImpl::on_tick() {
  const uint64_t now = now_ms(loop_);
  for (auto& sec : sections_) {
    for (auto& ns : sec->ns) ares_process_fd(ns->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    for (auto& r : sec->resolutions) {
      if (r->in_flight || r->owners.empty()) continue;
      const uint64_t every = r->status == Status::valid ? sec->cfg->hold_valid : sec->cfg->timeout_resolve;
      if (r->last_run == 0 || now >= r->last_run + every) launch(*r);
    }
  }
}

void ServiceImpl::launch(Resolution& r) {
  r.in_flight = true;
  r.tried_other = false;
  r.qtype = r.srv ? kTypeSrv : r.prefer_v4 ? kTypeA : kTypeAaaa;
  ask(r);
}

void ServiceImpl::ask(Resolution& r) {
  ++r.run;
  r.pending = int(r.section->ns.size());
  r.worst = Status::none;
  for (auto& ns : r.section->ns) {
    ++ns->counters.sent;
    ares_query(ns->channel, r.name.c_str(), 1 /* C_IN */, r.qtype, on_answer, new Ask{&r, ns.get(), r.run});
  }
}

void ServiceImpl::on_answer(void* arg, int status, int, unsigned char* abuf, int alen) {
  auto* a = static_cast<Ask*>(arg);
  if (status != ARES_EDESTRUCTION && status != ARES_ECANCELLED) a->res->section->owner->answered(*a, status, abuf, alen);
  delete a;
}

// One name server's answer (or failure) for a run. The first useful answer ends the run; a
// failure ends it once every name server failed, with the most telling failure.
void ServiceImpl::answered(Ask& a, int status, const unsigned char* abuf, int alen) {
  NsCounters& cnt = a.ns->counters;
  Resolution& r = *a.res;
  if (a.run != r.run || !r.in_flight) {
    ++cnt.outdated;
    return;
  }
  --r.pending;
  Reply reply;
  Status st;
  if (!abuf || alen <= 0) {
    st = status == ARES_ETIMEOUT ? Status::timeout : Status::other;
    if (st == Status::timeout) ++cnt.timeout;
    else ++cnt.snd_error;
  } else if (!parse_reply(abuf, size_t(alen), reply)) {
    ++cnt.invalid;
    st = Status::other;
  } else if (reply.truncated) {
    ++cnt.truncated;
    st = Status::other;
  } else if (reply.rcode == kRcodeNx) {
    ++cnt.nx;
    st = Status::nx;
  } else if (reply.rcode == kRcodeRefused) {
    ++cnt.refused;
    st = Status::refused;
  } else if (reply.rcode != kRcodeOk) {
    ++cnt.other;
    st = Status::other;
  } else {
    st = Status::valid;
  }
  if (st != Status::valid && st != Status::timeout && st != Status::nx) ++cnt.any_err;
  if (st == Status::valid) {
    // An address query answered without an address of that family asks the other family.
    bool useful = true;
    if (!r.srv) {
      useful = false;
      for (const auto& rec : reply.answers) useful = useful || rec.type == r.qtype;
    }
    if (!useful) {
      ++cnt.any_err;
      if (!r.tried_other) {
        r.tried_other = true;
        r.qtype = r.qtype == kTypeA ? kTypeAaaa : kTypeA;
        ask(r);   // the other channels' answers to this run are outdated from now on
        return;
      }
      st = Status::other;
    } else {
      ++cnt.valid;
      finish(r, Status::valid, &reply, r.section->cfg->name + "/" + r.section->cfg->nameservers[a.ns->index].name);
      return;
    }
  }
  // Keep the most telling failure: NX over refused over other over timeout.
  auto rank = [](Status s) { return s == Status::nx ? 4 : s == Status::refused ? 3 : s == Status::other ? 2 : s == Status::timeout ? 1 : 0; };
  if (rank(st) > rank(r.worst)) r.worst = st;
  if (r.pending == 0) finish(r, r.worst, nullptr, "");
}

void ServiceImpl::finish(Resolution& r, Status st, const Reply* reply, const std::string& by) {
  const uint64_t now = now_ms(loop_);
  r.in_flight = false;
  ++r.run;   // later answers of this run are outdated
  r.last_run = now;
  r.status = st;
  if (st == Status::valid) {
    r.last_valid = now;
    remember(r, *reply);
    forget_obsolete(r);
    if (r.srv) apply_srv(r);
    else apply_addresses(r, by);
  } else {
    apply_failure(r, st);
  }
}

// The answers a resolution remembers: HAProxy keeps each record until it has been missing
// from the answers for `hold obsolete`, and walks them in the order of a hash of their data
// (its answer tree's keys), which decides which server gets which record.
void ServiceImpl::remember(Resolution& r, const Reply& reply) {
  const uint64_t now = now_ms(loop_);
  for (const auto& rec : reply.answers) {
    if (rec.type != (r.srv ? kTypeSrv : kTypeA) && (r.srv || rec.type != kTypeAaaa)) continue;
    Item* same = nullptr;
    for (auto& it : r.items)
      if (it.rec.type == rec.type && (r.srv ? it.rec.target == rec.target && it.rec.port == rec.port
                                            : it.rec.family == rec.family && std::memcmp(it.rec.addr, rec.addr, 16) == 0))
        same = &it;
    if (same) {
      same->rec.weight = rec.weight;
      same->last_seen = now;
      continue;
    }
    Item it;
    it.rec = rec;
    it.key = record_key(rec);
    it.last_seen = now;
    // After the items of equal key, as an ebtree inserts a duplicate.
    auto pos = std::upper_bound(r.items.begin(), r.items.end(), it.key,
                                [](uint32_t k, const Item& x) { return k < x.key; });
    r.items.insert(pos, std::move(it));
  }
  if (r.srv)   // an SRV item's address comes from the additional section, refreshed each time
    for (auto& it : r.items) {
      it.has_addr = false;
      for (const auto& a : reply.additional)
        if ((a.type == kTypeA || a.type == kTypeAaaa) && a.name == it.rec.target) {
          it.addr = a;
          it.has_addr = true;
          break;
        }
    }
}

void ServiceImpl::forget_obsolete(Resolution& r) {
  const uint64_t now = now_ms(loop_);
  const config::Millis hold = r.section->cfg->hold_obsolete;
  for (size_t i = 0; i < r.items.size();) {
    if (r.items[i].last_seen + hold >= now) {
      ++i;
      continue;
    }
    if (r.srv)
      for (ServerDns* d : r.owners)
        if (!d->fqdn.empty() && d->fqdn == r.items[i].rec.target && d->port == r.items[i].rec.port) {
          down(*d, "entry removed from SRV record");
          forget_target(*d);
          d->fqdn.clear();
        }
    r.items.erase(r.items.begin() + long(i));
  }
}

// HAProxy's choice of an address for a server (resolv_get_ip_from_response): each remembered
// record scores 8 for the preferred family, 4 inside a `resolve-net`, 2 when no other server
// of the backend on this resolution has it (else it is skipped, unless allow-dup-ip), 1 for
// the current address; the first best wins, and the current address is kept when it is
// among the best.
void ServiceImpl::apply_addresses(Resolution& r, const std::string& by) {
  for (ServerDns* d : r.owners) {
    const bool srv_target = !d->cfg->srvrecord.empty();   // an SRV server on its target's name
    const uint16_t port = srv_target ? d->port : d->cfg->address.port_lo;
    const std::string& name = srv_target ? d->fqdn : d->cfg->hostname;
    lb::ServerState& st = state(*d);
    const bool maint = st.dns_maint.load(std::memory_order_relaxed);
    sockaddr_storage cur;
    if (!st.get_addr(cur)) cur = d->cfg->address.storage;
    if (maint) cur.ss_family = AF_UNSPEC;
    const int fam = d->cfg->prefer_ipv4 ? AF_INET : AF_INET6;
    const Record *best4 = nullptr, *best6 = nullptr;
    bool current_found = false, keep = false;
    int max_score = -1;
    for (const auto& it : r.items) {
      const Record& rec = it.rec;
      int score = rec.family == fam ? 8 : 0;
      for (const auto& n : d->cfg->resolve_net)
        if (in_net(rec, n)) {
          score += 4;
          break;
        }
      bool used = false;
      for (ServerDns* o : r.owners) {
        if (o == d || o->proxy != d->proxy) continue;
        const lb::ServerState& ost = state(*o);
        sockaddr_storage oa;
        if (ost.dns_maint.load(std::memory_order_relaxed) || !ost.get_addr(oa)) continue;
        used = used || same_ip(oa, rec);
      }
      if (used && !d->cfg->allow_dup_ip) continue;
      if (!used) score += 2;
      const bool is_current = same_ip(cur, rec);
      if (is_current) ++score;
      if (score > max_score) {
        (rec.family == AF_INET ? best4 : best6) = &rec;
        current_found = is_current;
        if (score == 15) {
          keep = true;
          break;
        }
        max_score = score;
      }
    }
    if (keep || current_found) continue;
    const Record* pick = fam == AF_INET ? (best4 ? best4 : best6) : (best6 ? best6 : best4);
    if (!pick) continue;   // nothing usable: the server stays as it is
    move(*d, make_addr(*pick, port), by);
    if (maint) up(*d, name, true);
  }
}

void ServiceImpl::apply_srv(Resolution& r) {
  auto set_weight = [&](ServerDns& d, const Record& rec) {
    if (d.cfg->ignore_weight) return;
    const uint32_t w = (uint32_t(rec.weight) + 255) / 256;   // SRV weights are 0..65535, HAProxy's 0..256
    lb::ServerState& st = state(d);
    if (st.user_weight.load(std::memory_order_relaxed) != w) {
      st.user_weight.store(w, std::memory_order_relaxed);
      if (src_.state_changed) src_.state_changed(d.proxy);
    }
  };
  for (const auto& it : r.items) {
    const Record& rec = it.rec;
    ServerDns* holder = nullptr;
    for (ServerDns* d : r.owners)
      if (!d->fqdn.empty() && d->fqdn == rec.target && d->port == rec.port) holder = d;
    if (holder) {   // it keeps its record; the address and the weight may change
      set_weight(*holder, rec);
      sockaddr_storage cur{};
      state(*holder).get_addr(cur);
      if (it.has_addr && !same_ip(cur, it.addr)) {
        const bool maint = state(*holder).dns_maint.load(std::memory_order_relaxed);
        move(*holder, make_addr(it.addr, rec.port), "DNS additional record");
        if (maint) up(*holder, rec.target, false);
      }
      continue;
    }
    for (ServerDns* d : r.owners) {   // the first free server takes the record
      if (!d->fqdn.empty()) continue;
      d->fqdn = rec.target;
      d->port = rec.port;
      d->named_by_srv = true;
      log(*d, kLogNotice, who(*d) + " changed its FQDN from (null) to " + rec.target + " by 'SRV record'");
      set_weight(*d, rec);
      if (it.has_addr) {
        move(*d, make_addr(it.addr, rec.port), "DNS additional record");
        up(*d, rec.target, false);
      } else {
        resolve_target(*d);
      }
      break;
    }
  }
}

void ServiceImpl::resolve_target(ServerDns& d) {
  Section* sec = d.res->section;
  Resolution* host = nullptr;
  for (auto& r : sec->resolutions)
    if (!r->srv && r->name == d.fqdn && r->prefer_v4 == d.cfg->prefer_ipv4) host = r.get();
  if (!host) {
    sec->resolutions.push_back(std::make_unique<Resolution>());
    host = sec->resolutions.back().get();
    host->section = sec;
    host->name = d.fqdn;
    host->prefer_v4 = d.cfg->prefer_ipv4;
    host->last_valid = now_ms(loop_);
  }
  d.host = host;
  host->owners.push_back(&d);
  if (!host->in_flight) launch(*host);
}

void ServiceImpl::forget_target(ServerDns& d) {
  if (!d.host) return;
  auto& o = d.host->owners;
  o.erase(std::remove(o.begin(), o.end(), &d), o.end());
  d.host = nullptr;
}

void ServiceImpl::apply_failure(Resolution& r, Status st) {
  const auto& c = *r.section->cfg;
  const uint64_t now = now_ms(loop_);
  config::Millis hold = 0;
  std::string why;
  switch (st) {
    case Status::nx: hold = c.hold_nx; why = "DNS NX status"; break;
    case Status::timeout: hold = c.hold_timeout; why = "DNS timeout status"; break;
    case Status::refused: hold = c.hold_refused; why = "DNS refused status"; break;
    default: hold = c.hold_other; why = "unspecified DNS error"; break;
  }
  // Until the hold of that status has passed since the last valid answer, the servers keep
  // their addresses (a DNS outage does not empty a farm).
  if (now < r.last_valid + hold) return;
  for (ServerDns* d : r.owners) {
    if (r.srv && d->fqdn.empty()) continue;
    down(*d, r.srv ? "entry removed from SRV record" : why);
    if (r.srv) {
      forget_target(*d);
      d->fqdn.clear();
    }
  }
  if (r.srv) r.items.clear();
}

void ServiceImpl::move(ServerDns& d, const sockaddr_storage& to, const std::string& by) {
  lb::ServerState& st = state(d);
  sockaddr_storage cur;
  if (!st.get_addr(cur)) cur = d.cfg->address.storage;
  const bool had = !st.dns_maint.load(std::memory_order_relaxed) && cur.ss_family != AF_UNSPEC;
  const std::string from = had ? ip_text(cur) : "(none)";
  st.set_addr(to);
  if (src_.server_moved) src_.server_moved(d.proxy, d.server);
  if (!d.res->section->ns.empty() && by.find('/') != std::string::npos) ++d.res->section->ns[0]->counters.update;
  if (from != ip_text(to)) log(d, kLogNotice, who(d) + " changed its IP from " + from + " to " + ip_text(to) + " by " + by + ".");
}

void ServiceImpl::up(ServerDns& d, const std::string& fqdn, bool admin_line) {
  lb::ServerState& st = state(d);
  if (!st.dns_maint.exchange(false)) return;
  // `disabled` in the configuration stays in maintenance (HAProxy's CMAINT).
  if (!d.cfg->disabled) st.admin.store(lb::AdminState::ready, std::memory_order_relaxed);
  if (src_.checker) src_.checker->leave_maintenance(d.proxy, d.server);
  if (src_.state_changed) src_.state_changed(d.proxy);
  log(d, kLogNotice, "Server " + who(d) + " ('" + fqdn + "') is UP/READY (resolves again).");
  if (admin_line) log(d, kLogNotice, "Server " + who(d) + " administratively READY thanks to valid DNS answer.");
}

std::string ServiceImpl::servers_left(const ServerDns& d) {
  int act = 0, bck = 0;
  const auto& px = cfg_.proxies[size_t(d.proxy)];
  for (size_t i = 0; i < px.servers.size(); ++i)
    if (px.servers.live(i) && src_.states[size_t(d.proxy)][i]->usable()) (px.servers[i].backup ? bck : act)++;
  const uint32_t sess = state(d).cur_conns.load(std::memory_order_relaxed);
  return " " + std::to_string(act) + " active and " + std::to_string(bck) + " backup servers left. " +
         std::to_string(sess) + " sessions active, 0 requeued, 0 remaining in queue.";
}

void ServiceImpl::down(ServerDns& d, const std::string& why) {
  lb::ServerState& st = state(d);
  if (st.dns_maint.exchange(true)) return;
  const bool was_usable = st.usable();
  const bool had_servers = [&] {
    for (auto* s : src_.states[size_t(d.proxy)])
      if (s->usable()) return true;
    return false;
  }();
  st.admin.store(lb::AdminState::maint, std::memory_order_relaxed);
  // HAProxy forgets the address: the server shows none until DNS gives one again.
  sockaddr_storage none{};
  sockaddr_storage cur;
  if (!st.get_addr(cur)) cur = d.cfg->address.storage;
  none.ss_family = AF_UNSPEC;
  reinterpret_cast<sockaddr_in&>(none).sin_port = htons(d.cfg->srvrecord.empty() ? d.cfg->address.port_lo : 0);
  st.set_addr(none);
  if (src_.checker) src_.checker->enter_maintenance(d.proxy, d.server);
  if (src_.state_changed) src_.state_changed(d.proxy);
  if (src_.server_moved) src_.server_moved(d.proxy, d.server);
  log(d, was_usable ? kLogAlert : kLogNotice, "Server " + who(d) + " is going DOWN for maintenance (" + why + ")." + servers_left(d));
  bool any = false;
  for (auto* s : src_.states[size_t(d.proxy)]) any = any || s->usable();
  const auto& px = cfg_.proxies[size_t(d.proxy)];
  if (had_servers && !any)
    log(d, 0, std::string(px.kind == config::Proxy::Kind::listen ? "proxy " : "backend ") + px.name + " has no server available!");
}

}  // namespace

std::unique_ptr<Service> Service::create(uv_loop_t* loop, const config::Config& cfg, stats::StatsSource& src,
                                         std::string& error) {
  static const int init = ares_library_init(ARES_LIB_INIT_ALL);
  (void)init;
  auto svc = std::make_unique<ServiceImpl>(loop, cfg, src);
  if (!svc->build(error) || !svc->resolving()) return nullptr;
  return svc;
}

std::string show_resolvers(const Service* svc, const config::Config& cfg, std::string_view id, bool& found) {
  const auto* impl = static_cast<const ServiceImpl*>(svc);
  std::string out;
  found = id.empty();
  for (const auto& rs : cfg.resolvers) {
    if (!id.empty() && rs.name != id) continue;
    found = true;
    out += "Resolvers section " + rs.name + "\n";
    for (size_t i = 0; i < rs.nameservers.size(); ++i) {
      const NsCounters* c = impl ? impl->counters(rs.name, i) : nullptr;
      const NsCounters zero;
      if (!c) c = &zero;
      out += " nameserver " + rs.nameservers[i].name + ":\n";
      const std::pair<const char*, uint64_t> rows[] = {
          {"sent", c->sent}, {"snd_error", c->snd_error}, {"valid", c->valid}, {"update", c->update},
          {"cname", c->cname}, {"cname_error", c->cname_error}, {"any_err", c->any_err}, {"nx", c->nx},
          {"timeout", c->timeout}, {"refused", c->refused}, {"other", c->other}, {"invalid", c->invalid},
          {"too_big", c->too_big}, {"truncated", c->truncated}, {"outdated", c->outdated}};
      for (const auto& [name, v] : rows) {
        std::string label = std::string(name) + ":";
        label.resize(std::max<size_t>(label.size() + 1, 13), ' ');
        out += "  " + label + std::to_string(v) + "\n";
      }
    }
  }
  return out;
}

}  // namespace portero::dns
