#include "sockets.h"

#include <cerrno>
#include <cstring>
#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "portero/core/listener.h"

namespace portero::admin {
namespace {

constexpr int kBacklog = 128;   // clients beyond `stats maxconn` wait here

std::string alert(const config::StatsSocket& s, const std::string& why) {
  return "Binding [" + s.origin.file + ":" + std::to_string(s.origin.line) + "] for frontend GLOBAL: " + why + " [" +
         config::to_string(s.address) + "]";
}

// `user` / `group` as a name or a number.
bool lookup_ids(const config::StatsSocket& s, uid_t& uid, gid_t& gid, std::string& why) {
  uid = uid_t(-1);
  gid = gid_t(-1);
  if (!s.user.empty()) {
    if (const passwd* pw = getpwnam(s.user.c_str())) uid = pw->pw_uid;
    else if (s.user.find_first_not_of("0123456789") == std::string::npos) uid = uid_t(std::stoul(s.user));
    else return why = "unknown user '" + s.user + "'", false;
  }
  if (!s.group.empty()) {
    if (const group* gr = getgrnam(s.group.c_str())) gid = gr->gr_gid;
    else if (s.group.find_first_not_of("0123456789") == std::string::npos) gid = gid_t(std::stoul(s.group));
    else return why = "unknown group '" + s.group + "'", false;
  }
  return true;
}

}  // namespace

OpenedSocket open_stats_socket(const config::StatsSocket& s, std::string& error) {
  OpenedSocket out;
  std::string why;
  const int fd = core::open_listening_socket(s.address, kBacklog, why);
  if (fd < 0) {
    error = alert(s, why);
    return out;
  }
  if (s.address.kind == config::Address::Kind::unix_path && !s.address.abstract) {
    const char* path = s.address.path.c_str();
    uid_t uid;
    gid_t gid;
    bool ok = lookup_ids(s, uid, gid, why);
    if (ok && (uid != uid_t(-1) || gid != gid_t(-1)) && chown(path, uid, gid) != 0) {
      why = std::string("cannot change UNIX socket ownership (") + std::strerror(errno) + ")";
      ok = false;
    }
    if (ok && s.mode && chmod(path, mode_t(s.mode)) != 0) {
      why = std::string("cannot change UNIX socket permissions (") + std::strerror(errno) + ")";
      ok = false;
    }
    if (!ok) {
      ::close(fd);
      unlink(path);
      error = alert(s, why);
      return out;
    }
  }
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  out.fd = fd;
  out.unix_family = getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0 && ss.ss_family == AF_UNIX;
  return out;
}

}  // namespace portero::admin
