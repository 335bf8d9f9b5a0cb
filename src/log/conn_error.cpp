// The log line of a connection that ended before any stream existed: a failed TLS handshake on
// an `ssl` bind, a PROXY protocol header that could not be read (and, in the same form, an HTTP/2 connection closed for abuse). HAProxy 2.6 writes it in a fixed form whatever the frontend's log format is:
//   <client ip>:<port> [<accept date>] <frontend>/<bind name or number>: <reason>
// (checked against haproxy 2.6.12 with plaintext, garbage, closed, reset, timed out and
// untrusted-certificate clients; see docs/TLS_FETCHES.md).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <syslog.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "date_text.h"
#include "portero/log/log.h"
#include "portero/tls/verify_record.h"

namespace portero::log {

const char* conn_error_text(ConnError e) {
  switch (e) {
    case ConnError::ssl_empty: return "Connection closed during SSL handshake";
    case ConnError::ssl_abort: return "Connection error during SSL handshake";
    case ConnError::ssl_timeout: return "Timeout during SSL handshake";
    case ConnError::ssl_crt_fail: return "SSL client certificate not trusted";
    case ConnError::ssl_ca_fail: return "SSL client CA chain cannot be verified";
    case ConnError::ssl_handshake: return "SSL handshake failure";
    case ConnError::prx_timeout: return "Timeout while waiting for PROXY protocol header";
    case ConnError::prx_truncated: return "Truncated PROXY protocol header received";
    case ConnError::prx_not_hdr: return "Received something which does not look like a PROXY protocol header";
    case ConnError::prx_bad_hdr: return "Received an invalid PROXY protocol header";
    case ConnError::prx_bad_proto: return "Received an unhandled protocol in the PROXY protocol header";
  }
  return "SSL handshake failure";
}

ConnError classify_handshake_failure(const ssl_st* ssl, HandshakeEnd how) {
  switch (how) {
    case HandshakeEnd::timeout: return ConnError::ssl_timeout;
    case HandshakeEnd::eof:
      // Closed before a whole ClientHello was read: "closed"; later: a failure.
      return ssl && SSL_get_state(ssl) == TLS_ST_BEFORE ? ConnError::ssl_empty : ConnError::ssl_handshake;
    case HandshakeEnd::reset:
      // haproxy 2.6.12 reports a reset (with or without bytes before it) as a failure.
      return ConnError::ssl_handshake;
    case HandshakeEnd::tls_error: {
      const unsigned long err = ERR_peek_last_error();
      if (ssl && ERR_GET_LIB(err) == ERR_LIB_SSL && ERR_GET_REASON(err) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
        // The verify callback refused a certificate: at a CA depth when only a CA error was met.
        const tls::VerifyRecord* r = tls::verify_record(ssl);
        if (r && r->ca_err && !r->crt_err) return ConnError::ssl_ca_fail;
        return ConnError::ssl_crt_fail;
      }
      return ConnError::ssl_handshake;
    }
  }
  return ConnError::ssl_handshake;
}

bool conn_error_logged(const config::Proxy& fe, ConnError e) {
  if (fe.logs.empty() || fe.no_log) return false;
  if (!fe.httplog && !fe.tcplog && !fe.httplog_clf && fe.log_format.empty()) return false;
  if (fe.dontlognull &&
      (e == ConnError::ssl_empty || e == ConnError::ssl_abort || e == ConnError::ssl_timeout))
    return false;
  return true;
}

int conn_error_level(const config::Proxy& fe) { return fe.log_separate_errors ? LOG_ERR : LOG_INFO; }

size_t render_conn_error(const ConnErrorLine& l, char* out, size_t cap) {
  size_t n = 0;
  auto put = [&](std::string_view v) {
    const size_t k = std::min(v.size(), cap - n);
    std::memcpy(out + n, v.data(), k);
    n += k;
  };
  auto num = [&](long v) {
    char tmp[24];
    const int k = snprintf(tmp, sizeof tmp, "%ld", v);
    put(std::string_view(tmp, size_t(k > 0 ? k : 0)));
  };
  char ip[INET6_ADDRSTRLEN] = "";
  const sockaddr* a = l.client;
  if (a && a->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(a);
    inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
    put(ip);
    put(":");
    num(ntohs(in->sin_port));
  } else if (a && a->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a);
    inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
    put(ip);
    put(":");
    num(ntohs(in6->sin6_port));
  } else if (a && a->sa_family == AF_UNIX) {
    put("unix:");
    num(l.bind_id);
  } else {
    put("unknown");
  }
  put(" [");
  char date[48];
  put(std::string_view(date, write_date_ms(date, l.accept_date)));
  put("] ");
  put(l.frontend);
  put("/");
  if (!l.bind_name.empty()) put(l.bind_name);
  else num(l.bind_id);
  put(": ");
  put(l.reason.empty() ? std::string_view(conn_error_text(l.error)) : l.reason);
  return n;
}

std::string conn_error_line(const ConnErrorLine& l) {
  char buf[1024];
  return std::string(buf, render_conn_error(l, buf, sizeof buf));
}

}  // namespace portero::log
