// The PROXY protocol header on an `accept-proxy` bind (or after `tcp-request connection
// expect-proxy layer4`): read before anything else on the connection, TLS included.
//
// As HAProxy, the header is peeked at (recv MSG_PEEK into the connection's own read buffer)
// and judged on the bytes of that first receive; then exactly its length is read, so that TLS,
// HTTP/1 or HTTP/2 starts on the byte after it and nothing has to be handed back. A header
// that fails closes the connection with its bytes unread (the client sees a reset, as with
// HAProxy) after HAProxy's connection log line; it is no session (stot) and counts nowhere
// else. Worker-local.
#include <cerrno>
#include <cstring>
#include <sys/socket.h>

#include "portero/core/proxy_header.h"
#include "portero/proxy/worker.h"
#include "session.h"

namespace portero::proxy {

namespace {

constexpr uint8_t kNoVerdict = 0xFF;

log::ConnError conn_error_of(core::pp::Status s) {
  switch (s) {
    case core::pp::Status::truncated: return log::ConnError::prx_truncated;
    case core::pp::Status::not_header: return log::ConnError::prx_not_hdr;
    case core::pp::Status::bad_proto: return log::ConnError::prx_bad_proto;
    default: return log::ConnError::prx_bad_hdr;
  }
}

void copy_addr(SockAddr& to, const core::pp::Addr& from) {
  std::memcpy(&to, &from, from.sa.sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
}

}  // namespace

void Session::peek_proxy_header(uv_buf_t* room) {
  if (!in_.data) {
    in_.data = w_.buffers().get();
    in_.fwd = in_.parsed = in_.end = 0;
  }
  room->base = in_.data;
  room->len = w_.bufsize();
  pp_verdict_ = kNoVerdict;
  ssize_t n;
  do n = recv(tcp_.fd(), in_.data, w_.bufsize(), MSG_PEEK);
  while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    room->len = 0;   // nothing after all: read nothing, wait for the next wake-up
    return;
  }
  if (n <= 0) return;   // the end or an error: the read that follows reports it
  const core::pp::Header h = core::pp::parse(std::string_view(in_.data, size_t(n)));
  if (h.status == core::pp::Status::ok) {
    room->len = h.length;   // exactly the header
    return;
  }
  pp_verdict_ = uint8_t(h.status);
  room->len = 0;   // read nothing: the bytes stay unread, and the close resets
}

void Session::proxy_header_failed(log::ConnError e) {
  w_.px_counters(fe_).add(w_.px_counters(fe_).embryonic);
  stop_reading();
  x().connection_failed(e);
}

void Session::proxy_header_read(ssize_t nread) {
  if (nread == UV_ENOBUFS) {
    if (pp_verdict_ == kNoVerdict) return;   // a wake-up with nothing to read
    return proxy_header_failed(conn_error_of(core::pp::Status(pp_verdict_)));
  }
  if (nread == 0) {
    release(in_);
    return;
  }
  if (nread < 0) {
    // Closed or reset before a header: HAProxy closes without a log line.
    w_.px_counters(fe_).add(w_.px_counters(fe_).embryonic);
    phase_ = Phase::idle;
    finish_close();
    return;
  }
  const core::pp::Header h = core::pp::parse(std::string_view(in_.data, size_t(nread)));
  if (h.status != core::pp::Status::ok || h.length != size_t(nread))   // the peek said otherwise
    return proxy_header_failed(log::ConnError::prx_bad_hdr);
  if (h.has_addresses) {
    copy_addr(facts_.peer, h.src);
    copy_addr(facts_.local, h.dst);
  }
  if (!h.authority.empty() || !h.unique_id.empty()) {
    // Kept for the connection's life (fc_pp_authority, fc_pp_unique_id, send-proxy-v2's
    // authority): allocated only for the connections that carry these TLVs.
    facts_.pp = new PpTlvs{std::string(h.authority), std::string(h.unique_id)};
  }
  release(in_);   // the header was never input: the buffer is empty again
  w_.timers().disarm(ctimer_);
  // establish() starts reading through the transport that reads from now on (TLS, perhaps).
  reading_ = false;
  establish();
}

}  // namespace portero::proxy
