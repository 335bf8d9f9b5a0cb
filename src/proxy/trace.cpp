#include "trace.h"

#include <cstdio>
#include <netinet/in.h>
#include <unistd.h>

#include <uv.h>

namespace portero::proxy::trace {

namespace {

void emit(const char* line, int len) {
  if (len <= 0) return;
  if (len > 1023) len = 1023;
  ssize_t r = ::write(1, line, static_cast<size_t>(len));
  (void)r;
}

// HAProxy prints a missing server side as ffffffff in request lines.
void fds(char* out, size_t n, int cfd, int sfd) {
  if (sfd < 0)
    std::snprintf(out, n, "%04x:ffffffff", cfd);
  else
    std::snprintf(out, n, "%04x:%04x", cfd, sfd);
}

}  // namespace

void accept(uint32_t id, std::string_view proxy, int listener_fd, int fd, const sockaddr* peer) {
  char ip[INET6_ADDRSTRLEN] = "unix";
  int port = 0;
  if (peer->sa_family == AF_INET) {
    auto* v4 = reinterpret_cast<const sockaddr_in*>(peer);
    uv_ip4_name(v4, ip, sizeof(ip));
    port = ntohs(v4->sin_port);
  } else if (peer->sa_family == AF_INET6) {
    auto* v6 = reinterpret_cast<const sockaddr_in6*>(peer);
    uv_ip6_name(v6, ip, sizeof(ip));
    port = ntohs(v6->sin6_port);
  }
  char line[1024];
  int n = std::snprintf(line, sizeof(line), "%08x:%.*s.accept(%04x)=%04x from [%s:%d] ALPN=<none>\n", id,
                        int(proxy.size()), proxy.data(), listener_fd, fd, ip, port);
  emit(line, n);
}

void head(uint32_t id, std::string_view proxy, bool request, int cfd, int sfd, const http::Head& h,
          const char* base) {
  char f[32];
  fds(f, sizeof(f), cfd, sfd);
  char line[1024];
  int n;
  const char* ver = h.major == 1 && h.minor == 0 ? "HTTP/1.0" : "HTTP/1.1";
  if (request) {
    auto m = h.method.in(base), t = h.target.in(base);
    n = std::snprintf(line, sizeof(line), "%08x:%.*s.clireq[%s]: %.*s %.*s %s\n", id, int(proxy.size()),
                      proxy.data(), f, int(m.size()), m.data(), int(t.size()), t.data(), ver);
  } else {
    auto r = h.reason.in(base);
    n = std::snprintf(line, sizeof(line), "%08x:%.*s.srvrep[%s]: %s %u %.*s\n", id, int(proxy.size()),
                      proxy.data(), f, ver, h.status, int(r.size()), r.data());
  }
  emit(line, n);
  for (uint16_t i = 0; i < h.count; ++i) {
    auto name = h.headers[i].name.in(base), value = h.headers[i].value.in(base);
    char lower[256];
    size_t ln = name.size() < sizeof(lower) ? name.size() : sizeof(lower);
    for (size_t k = 0; k < ln; ++k) lower[k] = (name[k] >= 'A' && name[k] <= 'Z') ? char(name[k] | 0x20) : name[k];
    n = std::snprintf(line, sizeof(line), "%08x:%.*s.%s[%s]: %.*s: %.*s\n", id, int(proxy.size()), proxy.data(),
                      request ? "clihdr" : "srvhdr", f, int(ln), lower, int(value.size()), value.data());
    emit(line, n);
  }
}

void event(uint32_t id, std::string_view proxy, std::string_view what, int cfd, int sfd) {
  char line[256];
  int n = sfd < 0 ? std::snprintf(line, sizeof(line), "%08x:%.*s.%.*s[%04x:ffff]\n", id, int(proxy.size()),
                                  proxy.data(), int(what.size()), what.data(), cfd)
                  : std::snprintf(line, sizeof(line), "%08x:%.*s.%.*s[%04x:%04x]\n", id, int(proxy.size()),
                                  proxy.data(), int(what.size()), what.data(), cfd, sfd);
  emit(line, n);
}

}  // namespace portero::proxy::trace
