#pragma once
// `-d` event traces in HAProxy's format, one line per event on stdout, e.g.
//   00000000:web.accept(0004)=0008 from [127.0.0.1:38038] ALPN=<none>
//   00000000:web.clireq[0008:ffffffff]: GET /x HTTP/1.1
// Only called when debug mode is on; each line is written with one write() so lines from
// several threads never interleave.
#include <cstdint>
#include <string_view>

#include <sys/socket.h>

#include "portero/http/message.h"

namespace portero::proxy::trace {

void accept(uint32_t id, std::string_view proxy, int listener_fd, int fd, const sockaddr* peer);
// `what` is clireq or srvrep; the head's first line, then one `clihdr`/`srvhdr` line per header.
void head(uint32_t id, std::string_view proxy, bool request, int cfd, int sfd, const http::Head& h,
          const char* base);
// clicls, srvcls, closed.
void event(uint32_t id, std::string_view proxy, std::string_view what, int cfd, int sfd);

}  // namespace portero::proxy::trace
