// core::ListenerSet: open, adopt and hand over listening sockets (see listener_set.h).
#include "portero/core/listener_set.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "portero/core/listener.h"

namespace portero::core {
namespace {

// HAProxy's batch size (it must stay under the kernel's SCM_MAX_FD, 253).
constexpr size_t kMaxSendFd = 253;

bool is_listening_socket(int fd) {
  int acc = 0;
  socklen_t len = sizeof(acc);
  return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) == 0 && acc;
}

config::Address with_port(const config::Address& a, uint32_t port) {
  config::Address addr = a;
  if (addr.kind != config::Address::Kind::inet) return addr;
  if (addr.family() == AF_INET6)
    reinterpret_cast<sockaddr_in6*>(&addr.storage)->sin6_port = htons(static_cast<uint16_t>(port));
  else
    reinterpret_cast<sockaddr_in*>(&addr.storage)->sin_port = htons(static_cast<uint16_t>(port));
  return addr;
}

}  // namespace

ListenerSet::~ListenerSet() = default;

void ListenerSet::adopt(const std::vector<int>& fds) {
  for (int fd : fds) {
    if (fd < 0) continue;
    if (!is_listening_socket(fd)) {
      ::close(fd);
      continue;
    }
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    pool_.push_back(fd);
  }
}

void ListenerSet::adopt_from_environment() {
  const char* env = std::getenv(kEnv);
  if (!env) return;
  std::vector<int> fds;
  for (const char* p = env; *p;) {
    char* end = nullptr;
    long v = std::strtol(p, &end, 10);
    if (end == p) break;
    fds.push_back(static_cast<int>(v));
    p = *end == ',' ? end + 1 : end;
  }
  unsetenv(kEnv);
  adopt(fds);
}

bool ListenerSet::matches(int fd, const config::Address& addr) {
  using Kind = config::Address::Kind;
  if (addr.kind == Kind::fd) return false;
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return false;
  int type = 0;
  socklen_t tlen = sizeof(type);
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) != 0 || type != SOCK_STREAM) return false;
  if (addr.kind == Kind::unix_path) {
    if (ss.ss_family != AF_UNIX) return false;
    const auto& got = reinterpret_cast<const sockaddr_un&>(ss);
    const auto& want = reinterpret_cast<const sockaddr_un&>(addr.storage);
    const size_t off = offsetof(sockaddr_un, sun_path);
    if (addr.abstract) {
      // Abstract names are compared byte for byte over the length each was bound with.
      size_t n = len > off ? len - off : 0;
      size_t m = addr.storage_len > off ? addr.storage_len - off : 0;
      return n == m && std::memcmp(got.sun_path, want.sun_path, n) == 0;
    }
    return got.sun_path[0] != 0 && std::strncmp(got.sun_path, want.sun_path, sizeof(got.sun_path)) == 0;
  }
  if (ss.ss_family != addr.family()) return false;
  if (ss.ss_family == AF_INET) {
    const auto& got = reinterpret_cast<const sockaddr_in&>(ss);
    const auto& want = reinterpret_cast<const sockaddr_in&>(addr.storage);
    return got.sin_port == want.sin_port && got.sin_addr.s_addr == want.sin_addr.s_addr;
  }
  if (ss.ss_family == AF_INET6) {
    const auto& got = reinterpret_cast<const sockaddr_in6&>(ss);
    const auto& want = reinterpret_cast<const sockaddr_in6&>(addr.storage);
    int v6only = 0;
    socklen_t vlen = sizeof(v6only);
    getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &vlen);
    // portero's IPv6 binds are IPv6 only (HAProxy's default without v4v6).
    return v6only && got.sin6_port == want.sin6_port &&
           std::memcmp(&got.sin6_addr, &want.sin6_addr, sizeof(in6_addr)) == 0 &&
           got.sin6_scope_id == want.sin6_scope_id;
  }
  return false;
}

int ListenerSet::claim(const config::Address& addr, int backlog, std::string& error) {
  for (auto it = pool_.begin(); it != pool_.end(); ++it) {
    if (!matches(*it, addr)) continue;
    int fd = *it;
    pool_.erase(it);
    // The same socket, with this configuration's backlog (listen() again only updates it).
    ::listen(fd, backlog);
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    adopted_.push_back(fd);
    return fd;
  }
  if (addr.kind == config::Address::Kind::fd) {
    // fd@N names a descriptor this process inherited; it may be one a master passed on too.
    auto it = std::find(pool_.begin(), pool_.end(), addr.fd);
    if (it != pool_.end()) pool_.erase(it);
  }
  int fd = open_listening_socket(addr, backlog, error);
  if (fd >= 0) opened_.push_back(fd);
  return fd;
}

bool ListenerSet::open_binds(const config::Config& cfg, uint32_t nbthread, uint32_t maxconn,
                             std::vector<std::string>& alerts) {
  bool ok = true;
  for (size_t pi = 0; pi < cfg.proxies.size(); ++pi) {
    const auto& p = cfg.proxies[pi];
    if (!p.is_frontend() || p.disabled) continue;
    for (size_t bi = 0; bi < p.binds.size(); ++bi) {
      const auto& b = p.binds[bi];
      int backlog = b.backlog ? static_cast<int>(b.backlog) : static_cast<int>(b.maxconn.value_or(p.maxconn.value_or(maxconn)));
      if (backlog <= 0 || backlog > 65535) backlog = 65535;
      for (const auto& a : b.addresses) {
        for (uint32_t port = a.port_lo; port <= std::max<uint32_t>(a.port_hi, a.port_lo); ++port) {
          config::Address addr = with_port(a, port);
          const bool shared = addr.kind != config::Address::Kind::inet;
          int first_fd = -1;
          for (uint32_t wi = 0; wi < nbthread; ++wi) {
            std::string err;
            int fd;
            if (shared && wi > 0) {
              fd = fcntl(first_fd, F_DUPFD_CLOEXEC, 0);
              if (fd >= 0) opened_.push_back(fd);
              else err = std::string("cannot duplicate socket (") + std::strerror(errno) + ")";
            } else {
              fd = claim(addr, backlog, err);
            }
            if (fd < 0) {
              alerts.push_back("Binding [" + b.origin.file + ":" + std::to_string(b.origin.line) + "] for " +
                               (p.kind == config::Proxy::Kind::listen ? "proxy " : "frontend ") + p.name + ": " +
                               err + " for [" + config::to_string(addr) + "]");
              ok = false;
              break;
            }
            if (wi == 0) first_fd = fd;
            bound_.push_back({fd, static_cast<int>(pi), static_cast<int>(bi), wi});
          }
          if (shared) break;
        }
      }
    }
  }
  return ok;
}

std::vector<int> ListenerSet::listening_fds() const {
  std::vector<int> out;
  for (int fd : fds())
    if (is_listening_socket(fd)) out.push_back(fd);
  return out;
}

void ListenerSet::close_unclaimed() {
  for (int fd : pool_) ::close(fd);
  pool_.clear();
}

void ListenerSet::abandon() {
  for (int fd : opened_) ::close(fd);
  opened_.clear();
  pool_.insert(pool_.end(), adopted_.begin(), adopted_.end());
  adopted_.clear();
  bound_.clear();
}

std::vector<int> ListenerSet::fds() const {
  std::vector<int> out = adopted_;
  out.insert(out.end(), opened_.begin(), opened_.end());
  out.insert(out.end(), pool_.begin(), pool_.end());
  return out;
}

bool send_listening_sockets(int sock, const std::vector<int>& fds, std::string& error) {
  int total = static_cast<int>(fds.size());
  if (send(sock, &total, sizeof(total), MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof(total))) {
    error = "Failed to send the number of sockets to send";
    return false;
  }
  // Per socket: no namespace, no interface, 32 zero bits (HAProxy's former listener options).
  constexpr size_t kPerSocket = 1 + 1 + sizeof(int);
  std::vector<unsigned char> data(kMaxSendFd * kPerSocket, 0);
  std::vector<char> control(CMSG_SPACE(sizeof(int) * kMaxSendFd), 0);
  for (size_t off = 0; off < fds.size(); off += kMaxSendFd) {
    const size_t n = std::min(kMaxSendFd, fds.size() - off);
    iovec iov{data.data(), n * kPerSocket};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.data();
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
    cmsghdr* cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
    std::memcpy(CMSG_DATA(cm), fds.data() + off, sizeof(int) * n);
    ssize_t r;
    do r = sendmsg(sock, &msg, MSG_NOSIGNAL);
    while (r < 0 && errno == EINTR);
    if (r != static_cast<ssize_t>(iov.iov_len)) {
      error = "Failed to transfer sockets";
      return false;
    }
    if (n == kMaxSendFd) {   // a full batch: the receiver acknowledges before the next one
      int ack = 0;
      do r = recv(sock, &ack, sizeof(ack), 0);
      while (r < 0 && errno == EINTR);
      if (r <= 0) {
        error = "Unexpected error while transferring sockets";
        return false;
      }
    }
  }
  return true;
}

bool fetch_listening_sockets(const std::string& path, std::vector<int>& out, std::string& error) {
  int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, path.c_str(), sizeof(sa.sun_path) - 1);
  if (sock < 0 || connect(sock, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    if (sock >= 0) ::close(sock);
    error = "Failed to connect to the old process socket '" + path + "'";
    return false;
  }
  timeval tv{1, 0};
  setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  auto fail = [&](std::string why) {
    ::close(sock);
    for (int fd : out) ::close(fd);
    out.clear();
    error = std::move(why);
    return false;
  };
  static const char cmd[] = "_getsocks\n";
  if (send(sock, cmd, sizeof(cmd) - 1, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof(cmd) - 1))
    return fail("Failed to get the number of sockets to be transferred !");
  int total = 0;
  if (recv(sock, &total, sizeof(total), MSG_WAITALL) != static_cast<ssize_t>(sizeof(total)))
    return fail("Failed to get the number of sockets to be transferred !");
  if (total < 0) return fail("Failed to get the number of sockets to be transferred !");
  // Per socket at most: namespace and interface names (each up to 255 bytes) and 4 bytes.
  std::vector<unsigned char> data(kMaxSendFd * (2 + 2 * 255 + sizeof(int)));
  std::vector<char> control(CMSG_SPACE(sizeof(int) * kMaxSendFd));
  while (static_cast<int>(out.size()) < total) {
    iovec iov{data.data(), data.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    ssize_t r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    int ack = 0;
    send(sock, &ack, sizeof(ack), MSG_NOSIGNAL);
    for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
      if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
      const size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      std::vector<int> got(n);
      std::memcpy(got.data(), CMSG_DATA(cm), n * sizeof(int));
      out.insert(out.end(), got.begin(), got.end());
    }
    // The names (namespace, interface) are not used: portero binds neither.
  }
  ::close(sock);
  if (static_cast<int>(out.size()) != total) {
    const int got = static_cast<int>(out.size());
    for (int fd : out) ::close(fd);
    out.clear();
    error = "We didn't get the expected number of sockets (expecting " + std::to_string(total) + " got " +
            std::to_string(got) + ")";
    return false;
  }
  return true;
}

}  // namespace portero::core
