// Everything a client writes to the master CLI (-S): master::Cli's line splitting (';', '\;',
// '\r\n', overlong lines, a half-close), `prompt`, levels, `help`, unknown commands and
// `@<target> <command>` routing. The client is one end of a socket pair adopted by the Cli and
// driven by its own prepare()/poll()/process() steps, as the master's loop drives it. A routed
// command reaches a fake worker: a socket pair whose far end answers "ok\n\n" and closes.
// Byte 0 picks the chunk size the bytes arrive in.
#include <cstdint>
#include <cstring>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include "master_cli.h"

using namespace portero;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t chunk = 1 + data[0] % 64;
  ++data;
  --size;
  std::vector<int> worker_ends;
  master::CliHooks hooks;
  hooks.show_proc = [] { return std::string("#<PID> <type>\n1 master\n# workers\n# programs\n"); };
  hooks.reload = [] {};
  hooks.connect_worker = [&worker_ends](std::string_view target, std::string&) {
    if (target.empty() || target == "9") return -1;   // "Can't find the target PID..."
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) return -1;
    // The worker's answer is already there; its end closes after the command was written.
    (void)!send(sv[1], "ok\n\n", 4, MSG_NOSIGNAL);
    worker_ends.push_back(sv[1]);
    return sv[0];
  };
  int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);   // never accepts
  int sv[2];
  if (lfd < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) {
    if (lfd >= 0) close(lfd);
    return 0;
  }
  {
    master::Cli cli(lfd, hooks);
    cli.adopt_client(sv[0]);
    size_t off = 0;
    bool eof = false;
    std::vector<pollfd> fds;
    char sink[65536];
    for (int step = 0; step < 10000; ++step) {
      if (off < size) {
        const size_t n = std::min(chunk, size - off);
        ssize_t w = send(sv[1], data + off, n, MSG_NOSIGNAL);
        if (w > 0) off += size_t(w);
      } else if (!eof) {
        shutdown(sv[1], SHUT_WR);
        eof = true;
      }
      for (int fd : worker_ends) close(fd);   // the fake workers answer once and go
      worker_ends.clear();
      fds.clear();
      cli.prepare(fds);
      if (poll(fds.data(), fds.size(), 0) < 0) break;
      cli.process(fds, 0);
      ssize_t r = read(sv[1], sink, sizeof(sink));
      if (r == 0) break;   // the master closed the session
    }
  }
  for (int fd : worker_ends) close(fd);
  close(sv[1]);
  close(lfd);
  return 0;
}
