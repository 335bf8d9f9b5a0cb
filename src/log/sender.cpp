// log::Sender: syslog headers per target format, level filtering, `len` truncation, and one
// non-blocking write per target. Sockets are opened lazily and owned by the Sender's thread.
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "date_text.h"
#include "portero/log/log.h"

namespace portero::log {

namespace {

// Largest datagram we build: `len` is at most 65535, plus the newline.
constexpr size_t kMaxLine = 65536;

struct Out {
  char* p;
  char* end;
  void put(char c) {
    if (p < end) *p++ = c;
  }
  void put(std::string_view s) {
    size_t n = std::min(s.size(), size_t(end - p));
    if (n) std::memcpy(p, s.data(), n);
    p += n;
  }
  void num(uint64_t v) {
    char tmp[24];
    int n = 0;
    do {
      tmp[n++] = char('0' + v % 10);
      v /= 10;
    } while (v);
    while (n) put(tmp[--n]);
  }
};

enum class Fmt : uint8_t { local, rfc3164, rfc5424, priority, short_, timed, iso, raw };

Fmt parse_format(const std::string& f) {
  if (f == "rfc3164") return Fmt::rfc3164;
  if (f == "rfc5424") return Fmt::rfc5424;
  if (f == "priority") return Fmt::priority;
  if (f == "short") return Fmt::short_;
  if (f == "timed") return Fmt::timed;
  if (f == "iso") return Fmt::iso;
  if (f == "raw") return Fmt::raw;
  return Fmt::local;
}

}  // namespace

struct Sender::Impl {
  std::string tag;
  std::string hostname;  // empty unless log-send-hostname
  uint32_t pid = 0;
  int udp4 = -1, udp6 = -1, unix_dgram = -1;
  std::vector<int> nonblocking_fds;  // fd@ targets already switched to O_NONBLOCK
  std::vector<char> line = std::vector<char>(kMaxLine + 1);

  ~Impl() {
    for (int fd : {udp4, udp6, unix_dgram})
      if (fd >= 0) ::close(fd);
  }

  int socket_for(int family) {
    int& fd = family == AF_INET ? udp4 : family == AF_INET6 ? udp6 : unix_dgram;
    if (fd < 0) fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    return fd;
  }

  // fd@N targets (stdout, stderr): switched to non-blocking once, so a stuck reader drops
  // lines instead of stalling the worker. Regular files are left alone (they never block).
  void make_nonblocking(int fd) {
    if (std::find(nonblocking_fds.begin(), nonblocking_fds.end(), fd) != nonblocking_fds.end())
      return;
    nonblocking_fds.push_back(fd);
    int fl = ::fcntl(fd, F_GETFL);
    if (fl >= 0 && !(fl & O_NONBLOCK)) ::fcntl(fd, F_SETFL, fl | O_NONBLOCK);
  }
};

Sender::Sender(const config::Global& global) : impl_(std::make_unique<Impl>()) {
  impl_->tag = global.log_tag;
  impl_->pid = uint32_t(::getpid());
  if (global.log_send_hostname) {
    // `log-send-hostname NAME` is kept by the config in `node`; without it, the host's name.
    if (!global.node.empty()) {
      impl_->hostname = global.node;
    } else {
      char name[256] = {};
      if (::gethostname(name, sizeof name - 1) == 0) impl_->hostname = name;
    }
  }
  impl_->nonblocking_fds.reserve(4);
}

Sender::~Sender() = default;

void Sender::set_pid(uint32_t pid) { impl_->pid = pid; }

size_t Sender::build(const config::LogTarget& t, int level, std::string_view message,
                     const timespec& now, char* out, size_t cap, std::string_view sd) {
  if (cap == 0 || level > t.level) return 0;
  if (level < t.min_level) level = t.min_level;
  const int pri = t.facility * 8 + level;
  // The content (header + message) is cut at `len`; the newline comes after it.
  size_t limit = std::min<size_t>(t.max_len, cap - 1);
  Out o{out, out + limit};
  char date[48];
  const Fmt f = parse_format(t.format);
  auto tag_pid = [&](bool brackets) {
    o.put(impl_->tag);
    if (brackets) {
      o.put('[');
      o.num(impl_->pid);
      o.put("]: ");
    } else {
      o.put(' ');
      o.num(impl_->pid);
    }
  };
  switch (f) {
    case Fmt::local:
    case Fmt::rfc3164:
      o.put('<');
      o.num(uint64_t(pri));
      o.put('>');
      o.put(std::string_view(date, write_syslog_date(date, now)));
      o.put(' ');
      if (f == Fmt::rfc3164) {
        o.put(impl_->hostname.empty() ? std::string_view("localhost") : impl_->hostname);
        o.put(' ');
      }
      tag_pid(true);
      break;
    case Fmt::rfc5424:
      o.put('<');
      o.num(uint64_t(pri));
      o.put(">1 ");
      o.put(std::string_view(date, write_iso_date(date, now)));
      o.put(' ');
      o.put(impl_->hostname.empty() ? std::string_view("-") : impl_->hostname);
      o.put(' ');
      tag_pid(false);
      o.put(" - ");
      o.put(sd.empty() ? std::string_view("-") : sd);
      o.put(' ');
      break;
    case Fmt::priority:
      o.put('<');
      o.num(uint64_t(pri));
      o.put('>');
      break;
    case Fmt::short_:
    case Fmt::timed:
      o.put('<');
      o.num(uint64_t(level));
      o.put('>');
      if (f == Fmt::timed) {
        o.put(std::string_view(date, write_iso_date(date, now)));
        o.put(' ');
      }
      break;
    case Fmt::iso:
      o.put(std::string_view(date, write_iso_date(date, now)));
      o.put(' ');
      break;
    case Fmt::raw:
      break;
  }
  o.put(message);
  *o.p++ = '\n';  // room kept by `cap - 1` above
  return size_t(o.p - out);
}

void Sender::send(std::span<const config::LogTarget> targets, int level, std::string_view message,
                  const timespec& now, std::string_view sd) {
  char* buf = impl_->line.data();
  for (const config::LogTarget& t : targets) {
    if (!t.address) continue;  // `log global` placeholders, ring@ (not supported)
    size_t n = build(t, level, message, now, buf, impl_->line.size(), sd);
    if (n == 0) continue;
    const config::Address& a = *t.address;
    ssize_t w = -1;
    switch (a.kind) {
      case config::Address::Kind::inet: {
        int fd = impl_->socket_for(a.family());
        if (fd >= 0)
          w = ::sendto(fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL,
                       reinterpret_cast<const sockaddr*>(&a.storage),
                       a.family() == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6));
        break;
      }
      case config::Address::Kind::unix_path: {
        int fd = impl_->socket_for(AF_UNIX);
        if (fd >= 0)
          w = ::sendto(fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&a.storage),
                       a.storage_len);
        break;
      }
      case config::Address::Kind::fd:
        impl_->make_nonblocking(a.fd);
        w = ::write(a.fd, buf, n);
        break;
    }
    if (w < 0) ++dropped_;
  }
}

}  // namespace portero::log
