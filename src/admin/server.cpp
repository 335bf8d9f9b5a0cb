// admin::Server: the `stats socket` listeners and their clients on the main thread's loop.
#include "portero/admin/server.h"

#include <arpa/inet.h>
#include <chrono>
#include <list>
#include <memory>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include "client.h"
#include "commands.h"
#include "portero/core/listener.h"
#include "sockets.h"

namespace portero::admin {
namespace {

constexpr uint64_t kDefaultStatsTimeoutMs = 10000;

std::string peer_text(const sockaddr_storage& ss, std::string& proto) {
  char ip[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(ss);
    inet_ntop(AF_INET6, &a.sin6_addr, ip, sizeof(ip));
    proto = "tcpv6";
    return std::string(ip) + ":" + std::to_string(ntohs(a.sin6_port));
  }
  const auto& a = reinterpret_cast<const sockaddr_in&>(ss);
  inet_ntop(AF_INET, &a.sin_addr, ip, sizeof(ip));
  proto = "tcpv4";
  return std::string(ip) + ":" + std::to_string(ntohs(a.sin_port));
}

uint64_t unix_now_ms() {
  using namespace std::chrono;
  return uint64_t(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

class ServerImpl final : public Server {
 public:
  struct Socket {
    std::unique_ptr<core::Listener> listener;
    bool unix_family = false;
    Level level = Level::operator_;
    bool expose_fd = false;
  };

  ServerImpl(uv_loop_t* loop, stats::StatsSource& src) : loop_(loop) {
    const auto& g = src.cfg->global;
    ctx_.src = &src;
    ctx_.bufsize = g.tune_bufsize;
    ctx_.now_ms = unix_now_ms;
    ctx_.frontend_stopped.assign(src.cfg->proxies.size(), false);
    ctx_.cli_clients = [this] {
      std::vector<CliClientInfo> v;
      const uint64_t now = uv_now(loop_);
      for (const auto& c : clients_) v.push_back(c->info(now));
      return v;
    };
    timeout_ms_ = g.stats_timeout.value_or(kDefaultStatsTimeoutMs);
    max_line_ = g.tune_bufsize;
    maxconn_ = g.stats_maxconn ? g.stats_maxconn : 10;
  }

  // Clients still closing outlive the server: they free themselves once libuv lets go.
  ~ServerImpl() override {
    stop();
    for (auto& c : clients_) c.release()->set_release([](void*, Client* c) { delete c; }, nullptr);
  }

  void set_tls(tls::Contexts* tls) { ctx_.tls = tls; }
  void set_exposed_listeners(std::function<std::vector<int>()> fn) override { ctx_.exposed_listeners = std::move(fn); }

  bool bind_all(std::string& error) {
    const auto& socks = ctx_.src->cfg->global.stats_sockets;
    for (size_t i = 0; i < socks.size(); ++i) {
      OpenedSocket o = open_stats_socket(socks[i], error);
      if (o.fd < 0) return false;
      Socket s;
      s.unix_family = o.unix_family;
      s.level = parse_level(socks[i].level);
      s.expose_fd = socks[i].expose_fd_listeners;
      s.listener = std::make_unique<core::Listener>(loop_, o.fd, on_accept, this, uint32_t(i));
      sockets_.push_back(std::move(s));
    }
    return true;
  }

  void start() override {
    started_ = true;
    update_accepting();
    if (channel_) uv_poll_start(channel_, UV_READABLE, on_channel);
  }

  void adopt_master_channel(int fd) override {
    channel_ = new uv_poll_t;
    uv_poll_init(loop_, channel_, fd);
    channel_->data = this;
    channel_fd_ = fd;
  }

  void stop() override {
    if (stopped_) return;
    stopped_ = true;
    for (auto& s : sockets_) s.listener->close();
    close_channel();
    for (auto& c : clients_) c->close();   // each releases itself from its close callback
  }

 private:
  static void on_accept(void* owner, int fd, const sockaddr_storage& peer, socklen_t, core::Listener& from) {
    auto* self = static_cast<ServerImpl*>(owner);
    if (self->stopped_) {
      ::close(fd);
      return;
    }
    const Socket& sock = self->sockets_[from.tag()];
    Session s;
    s.level = sock.level;
    s.timeout_ms = self->timeout_ms_;
    s.expose_fd_listeners = sock.expose_fd && sock.unix_family;
    std::string proto = "unix_stream", source = "unix:" + std::to_string(from.tag() + 1);
    if (!sock.unix_family) source = peer_text(peer, proto);
    self->clients_.push_back(std::make_unique<Client>(self->loop_, self->ctx_, s, self->max_line_, on_release, self));
    Client* c = self->clients_.back().get();
    if (!c->start(fd, sock.unix_family, std::move(proto), std::move(source))) c->close();
    self->update_accepting();
  }

  // The master CLI's link: each message carries one connection (SCM_RIGHTS) that the master
  // relays a `@<worker> <command>` over; it is served at level admin, as HAProxy's.
  static void on_channel(uv_poll_t* p, int status, int) {
    auto* self = static_cast<ServerImpl*>(p->data);
    char byte;
    iovec iov{&byte, 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 8)];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    ssize_t n = status < 0 ? -1 : recvmsg(self->channel_fd_, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) return self->close_channel();   // the master is gone
    for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
      if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
      const size_t count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count; ++i) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
        if (self->stopped_) {
          ::close(fd);
          continue;
        }
        Session s;
        s.level = Level::admin;
        s.timeout_ms = self->timeout_ms_;
        self->clients_.push_back(std::make_unique<Client>(self->loop_, self->ctx_, s, self->max_line_, on_release, self));
        Client* c = self->clients_.back().get();
        if (!c->start(fd, true, "unix_stream", "unix:master")) c->close();
      }
    }
  }

  void close_channel() {
    if (!channel_) return;
    uv_close(reinterpret_cast<uv_handle_t*>(channel_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    channel_ = nullptr;
    ::close(channel_fd_);
    channel_fd_ = -1;
  }

  static void on_release(void* owner, Client* c) {
    auto* self = static_cast<ServerImpl*>(owner);
    self->clients_.remove_if([c](const std::unique_ptr<Client>& p) { return p.get() == c; });
    self->update_accepting();
  }

  // Beyond `stats maxconn` clients, new ones wait in the kernel backlog, as with HAProxy.
  void update_accepting() {
    if (!started_ || stopped_) return;
    const bool room = clients_.size() < maxconn_;
    for (auto& s : sockets_) {
      if (room) s.listener->resume();
      else s.listener->pause();
    }
  }

  uv_loop_t* loop_;
  Context ctx_;
  std::vector<Socket> sockets_;
  std::list<std::unique_ptr<Client>> clients_;
  uint64_t timeout_ms_ = kDefaultStatsTimeoutMs;
  size_t max_line_ = 16384;
  size_t maxconn_ = 10;   // `stats maxconn`
  bool started_ = false;
  bool stopped_ = false;
  uv_poll_t* channel_ = nullptr;   // the master CLI's link (master-worker mode)
  int channel_fd_ = -1;
};

}  // namespace

std::unique_ptr<Server> Server::create(uv_loop_t* loop, stats::StatsSource& src, std::string& error,
                                       tls::Contexts* tls) {
  auto s = std::make_unique<ServerImpl>(loop, src);
  s->set_tls(tls);
  if (!s->bind_all(error)) return nullptr;
  return s;
}

}  // namespace portero::admin
