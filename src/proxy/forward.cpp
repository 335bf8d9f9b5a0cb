// Forwarding an HTTP exchange: the request head and body to the server, the response back,
// with heads rebuilt and bodies relayed under backpressure. Worker-local.
#include <cstring>

#include "portero/http/h1_writer.h"
#include "trace.h"
#include "portero/proxy/worker.h"
#include "session.h"
#include "h2_stream.h"
#include "h2_upstream.h"

namespace portero::proxy {

using http::ParseStatus;

namespace {

// `name: <address>` for an IPv4 or IPv6 address (nothing for a unix socket).
void put_address(http::HeadWriter& hw, std::string_view name, const SockAddr& addr) {
  char ip[INET6_ADDRSTRLEN] = "";
  if (addr.sa.sa_family == AF_INET)
    uv_ip4_name(&addr.v4, ip, sizeof(ip));
  else if (addr.sa.sa_family == AF_INET6)
    uv_ip6_name(&addr.v6, ip, sizeof(ip));
  if (ip[0]) hw.header(name, ip);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Sending the request

// Whether the `option forwardfor|originalto` header goes out for `addr` (the client's or the
// destination address): not when it lies in the `except` network.
bool Exchange::forwardfor_applies(const config::ForwardFor& ff, const SockAddr& addr) const {
  if (!ff.enabled) return false;
  if (!ff.except_family || ff.except_family != addr.sa.sa_family) return true;
  const uint8_t* a = addr.sa.sa_family == AF_INET
                         ? reinterpret_cast<const uint8_t*>(&addr.v4.sin_addr)
                         : reinterpret_cast<const uint8_t*>(&addr.v6.sin6_addr);
  uint8_t bits = ff.except_prefix;
  for (int i = 0; bits > 0; ++i, bits = bits > 8 ? bits - 8 : 0) {
    uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((a[i] & mask) != (ff.except_addr[i] & mask)) return true;
  }
  return false;  // the client is in the `except` network
}

void Exchange::send_request_head() {
  w_.runtime().observed(be_, srv_idx_, check::Observed::l4_ok);
  c_.phase_ = Phase::request;
  if (replay_ && out_) {
    // A layer-7 retry: the same bytes as the first attempt (rules are not run again), but for
    // the http-send-name-header of another server.
    if (name_hdr_len_ && replay_srv_ != srv_idx_ && !rename_replay()) return;
    uv_buf_t bufs[2] = {uv_buf_init(out_, replay_head_len_),
                        uv_buf_init(c_.in_.data + replay_body_from_, replay_body_to_ - replay_body_from_)};
    c_.pending_server_fwd_ = replay_body_to_;
    srv_->start_reading();
    if (write_server(bufs, replay_body_to_ > replay_body_from_ ? 2 : 1, ServerWrite::head)) {
      c_.in_.fwd = replay_body_to_;
      request_sent();
    }
    return;
  }
  const auto& cfg = w_.config();
  const http::Head& h = req_head();        // as the rules left it
  const char* base = req_base();
  const http::Head& frame = req_.head();   // where the head and body sit in the buffer
  char* b = w_.buffers().get();
  http::HeadWriter hw(b, w_.bufsize());
  http::h1::put_request_line(hw, h, base, srv_->stream);
  const std::string& name_header = cfg.proxies[be_].send_name_header;
  http::h1::copy_headers(hw, h, base, name_header);
  // unique-id-header (with a unique-id-format), before x-forwarded-for as HAProxy.
  if (const auto& uid_header = cfg.proxies[fe_].unique_id_header; !uid_header.empty()) {
    if (std::string_view id = unique_id(); id.data()) hw.header(uid_header, id);
  }
  // option forwardfor: the backend's settings win over the frontend's.
  const config::ForwardFor& ff =
      cfg.proxies[be_].forwardfor.enabled ? cfg.proxies[be_].forwardfor : cfg.proxies[fe_].forwardfor;
  if (forwardfor_applies(ff, c_.facts_.peer) && !(ff.if_none && h.find(base, ff.header))) put_address(hw, ff.header, c_.facts_.peer);
  // option originalto: after it, the same way.
  const config::ForwardFor& ot =
      cfg.proxies[be_].originalto.enabled ? cfg.proxies[be_].originalto : cfg.proxies[fe_].originalto;
  if (forwardfor_applies(ot, c_.facts_.local)) put_address(hw, ot.header, c_.facts_.local);
  keep_server_ = conn_mode() == config::HttpConnMode::keep_alive;
  if (req_upgrade_) {
    hw.put("connection: upgrade\r\n");
    keep_server_ = false;
  } else if (!keep_server_) {
    hw.put("connection: close\r\n");
  } else if (req_http10_) {
    hw.put("connection: keep-alive\r\n");
  }
  // http-send-name-header: the server this attempt goes to, last (HAProxy adds it just
  // before connecting, after every other header).
  name_hdr_at_ = name_hdr_len_ = 0;
  if (!name_header.empty()) {
    name_hdr_at_ = static_cast<uint32_t>(hw.size());
    hw.header(name_header, cfg.proxies[be_].servers[srv_idx_].name);
    name_hdr_len_ = static_cast<uint32_t>(hw.size()) - name_hdr_at_;
  }
  replay_srv_ = static_cast<int16_t>(srv_idx_);
  hw.put("\r\n");
  if (hw.overflow()) {
    w_.buffers().put(b);
    close_server();
    reply_error(400, {'P', 'R'});
    return;
  }
  out_ = b;
  release_rewrites();
  uint32_t head_end = frame.start + frame.length;
  uint32_t limit = req_complete_ ? c_.req_end_ : c_.in_.parsed;
  // `retry-on` beyond connection failures: a request read whole is kept until its response
  // head arrives, so that it can be sent again to another attempt.
  replay_ = cfg.proxies[be_].l7_retries() && !no_l7_retry_ && req_complete_ && !req_upgrade_ && retries_left_ > 0;
  replay_head_len_ = static_cast<uint32_t>(hw.size());
  replay_body_from_ = head_end;
  replay_body_to_ = limit;
  c_.in_.fwd = head_end;
  c_.pending_server_fwd_ = limit;
  uv_buf_t bufs[2] = {uv_buf_init(out_, static_cast<unsigned>(hw.size())),
                      uv_buf_init(c_.in_.data + head_end, limit - head_end)};
  srv_->start_reading();
  if (write_server(bufs, limit > head_end ? 2 : 1, ServerWrite::head)) {
    if (!replay_) {
      w_.buffers().put(out_);
      out_ = nullptr;
    }
    c_.in_.fwd = limit;
    request_sent();
  }
}

// The kept head of a layer-7 retry, with the http-send-name-header line naming the server of
// this attempt instead of the previous one. False (the exchange answered) when it does not fit.
bool Exchange::rename_replay() {
  const auto& be = w_.config().proxies[be_];
  char* b = w_.buffers().get();
  http::HeadWriter hw(b, w_.bufsize());
  hw.put(std::string_view(out_, name_hdr_at_));
  hw.header(be.send_name_header, be.servers[srv_idx_].name);
  const uint32_t after = name_hdr_at_ + name_hdr_len_;
  hw.put(std::string_view(out_ + after, replay_head_len_ - after));
  if (hw.overflow()) {
    w_.buffers().put(b);
    close_server();
    reply_error(400, {'P', 'R'});
    return false;
  }
  w_.buffers().put(out_);
  out_ = b;
  name_hdr_len_ = static_cast<uint32_t>(hw.size()) - (replay_head_len_ - after) - name_hdr_at_;
  replay_head_len_ = static_cast<uint32_t>(hw.size());
  replay_srv_ = static_cast<int16_t>(srv_idx_);
  return true;
}

void Exchange::forward_request_body() {
  c_.parse_request_body();
  if (c_.closed_ || c_.phase_ != Phase::request || server_write_ != ServerWrite::none) return;
  uint32_t limit = req_complete_ ? c_.req_end_ : c_.in_.parsed;
  if (limit > c_.in_.fwd) {
    c_.pending_server_fwd_ = limit;
    uv_buf_t buf = uv_buf_init(c_.in_.data + c_.in_.fwd, limit - c_.in_.fwd);
    if (!write_server(&buf, 1, ServerWrite::body)) return;
    c_.in_.fwd = limit;
  }
  request_sent();
}

// Called whenever everything parsed so far went to the server.
void Exchange::request_sent() {
  if (c_.closed_) return;
  if (req_complete_) {
    if (c_.phase_ == Phase::request) c_.phase_ = Phase::response;
    if (c_.in_.fwd == c_.in_.end && !replay_) c_.release(c_.in_);
    if (!resp_started_) {
      w_.timers().disarm(c_.ctimer_);
      if (auto t = server_timeout()) w_.timers().arm(srv_->timer, *t);
    }
  } else {
    c_.in_.compact();
    c_.arm_client_timer(w_.config().proxies[fe_].timeouts.client);
    if (srv_ && !resp_started_)
      if (auto t = server_timeout()) w_.timers().arm(srv_->timer, *t);
  }
  c_.start_reading();
}

void Exchange::on_server_write_done(int status) {
  ServerWrite kind = server_write_;
  server_write_ = ServerWrite::none;
  if (status < 0) {
    if (!resp_started_) {
      close_server();
      reply_error(502, {'S', 'D'});
    } else {
      abort_both({'S', 'D'});
    }
    return;
  }
  if (out_ && kind == ServerWrite::head && !replay_) {
    w_.buffers().put(out_);
    out_ = nullptr;
  }
  c_.in_.fwd = c_.pending_server_fwd_;
  if (kind == ServerWrite::tunnel) {
    c_.in_.compact();
    c_.release(c_.in_);
    c_.start_reading();
    relay_to_server();   // more bytes, or the client's half-close, may be waiting
    return;
  }
  request_sent();
  if (!req_complete_ && c_.in_.parsed < c_.in_.end) forward_request_body();
}

// ---------------------------------------------------------------------------------------------
// Relaying the response

void Exchange::on_server_read(ssize_t nread) {
  if (nread < 0) {
    srv_->stop_reading();
    if (c_.phase_ == Phase::tunnel) {
      // The server is done; flush what it sent, then close the client side too.
      relay_to_client();
      if (c_.client_write_ == ClientWrite::none) c_.close_client();
      else c_.close_pending_ = true;
      return;
    }
    if (resp_head_sent_ && !resp_complete_ && resp_eof_body_ && srv_->parser.finish()) {
      resp_complete_ = true;
      resp_end_ = srv_->in.end;
      keep_server_ = false;
      forward_response_body();
      return;
    }
    // Only interim responses went out: the client still gets a 502 (as from HAProxy).
    if (!resp_head_sent_ && c_.client_write_ == ClientWrite::none) resp_started_ = false;
    if (!resp_started_) {
      w_.runtime().observed(be_, srv_idx_, nread == UV_EOF ? check::Observed::broken_pipe : check::Observed::read_error);
      if (!resp_begun_ && retry_layer7(config::Proxy::retry_empty_response, 0)) return;
      close_server();
      reply_error(502, {'S', 'H'});
    } else {
      abort_both({'S', 'D'});
    }
    return;
  }
  if (c_.phase_ == Phase::tunnel) {
    relay_to_client();
    return;
  }
  handle_response_input();
}

void Exchange::handle_response_input() {
  ServerConn* c = srv_;
  if (!c || c_.closed_) return;
  for (;;) {
    if (!c->in.data || c->in.parsed == c->in.end) return;
    if (!resp_begun_) {
      c->in.compact();
      c->parser.begin(c->in.data, c->in.fwd, w_.header_slots(c->in.data), w_.max_headers());
      c->parser.expect_no_body(req_head_method_);
      resp_begun_ = true;
    }
    if (resp_head_sent_) {
      forward_response_body();
      return;
    }
    auto r = c->parser.feed(c->in.parsed, c->in.end);
    c->in.parsed = r.end;
    if (r.status == ParseStatus::error) {
      w_.runtime().observed(be_, srv_idx_, check::Observed::http_hdrrsp);
      if (retry_layer7(config::Proxy::retry_junk_response, 0)) return;
      close_server();
      reply_error(502, {'S', 'H'});
      return;
    }
    if (!c->parser.head_done()) {
      if (c->in.end >= w_.bufsize()) {
        w_.runtime().observed(be_, srv_idx_, check::Observed::http_hdrrsp);
        close_server();
        reply_error(502, {'S', 'H'});
      }
      return;
    }
    const http::Head& h = c->parser.head();
    if (h.status == 101 && !req_upgrade_) {
      // A switch of protocols nobody asked for: HAProxy answers 502 and relays nothing.
      w_.runtime().observed(be_, srv_idx_, check::Observed::http_hdrrsp);
      close_server();
      reply_error(502, {'S', 'H'});
      return;
    }
    resp_complete_ = r.status != ParseStatus::more;
    resp_upgrade_ = r.status == ParseStatus::upgrade && h.status == 101;
    resp_end_ = r.end;
    if (h.status >= 100 && h.status < 200 && h.status != 101) {
      // Interim response (100 Continue...): relay it and wait for the final one.
      send_response_head(true);
      if (c_.client_write_ != ClientWrite::none || c_.closed_) return;
      continue;
    }
    if (retry_layer7(0, h.status)) return;
    drop_replay();
    log_response_head();   // capture response header
    // observe layer7: 100-499, 501 and 505 are good answers, anything else an error.
    w_.runtime().observed(be_, srv_idx_,
                          h.status < 500 || h.status == 501 || h.status == 505 ? check::Observed::http_ok
                                                                               : check::Observed::http_sts);
    send_response_head(false);
    return;
  }
}

void Exchange::send_response_head(bool interim) {
  ServerConn* c = srv_;
  drop_replay();   // once the client has bytes of an answer, the request is not retried
  // The stick store rules run before the http-response rules (HAProxy's analyser order).
  if (!interim && !w_.config().proxies[be_].stick_rules.empty()) stick_store_final();
  if (!interim && !process_response_rules()) return;
  if (!interim && !cookie_response()) {
    close_server();
    reply_error(502, {'P', 'H'});
    return;
  }
  // After cookie insertion, as HAProxy.
  if (!interim && !run_after_response_rules()) return;
  const http::Head& frame = c->parser.head();   // where the head and body sit in the buffer
  const http::Head& h = rs_block_ ? *block_head(rs_block_) : frame;   // as the rules left it
  const char* base = rs_block_ ? rs_block_ : c->in.data;
  char* b = w_.buffers().get();
  http::HeadWriter hw(b, w_.bufsize());
  http::h1::put_status_line(hw, h, base);
  const bool drop_length = (frame.status < 200 && frame.status != 101) || frame.status == 204;
  http::h1::copy_headers(hw, h, base, {}, drop_length);
  const bool bodiless = req_head_method_ || frame.status == 204 || frame.status == 304 || frame.status < 200;
  if (!interim) {
    resp_eof_body_ = !bodiless && !frame.chunked && !frame.has_length;
    // A chunked HTTP/1.0 response: HAProxy relays it, then closes the client connection.
    // A soft stop (reload) since the request came: its answer announces the end of the connection.
    if (resp_eof_body_ || !req_complete_ || (frame.is_http10() && frame.chunked) || c_.stop_after_)
      c_.keep_client_ = false;
    keep_server_ = keep_server_ && frame.keep_alive && !resp_eof_body_;
    if (resp_upgrade_) {
      hw.put("connection: upgrade\r\n");
    } else if (!c_.keep_client_) {
      hw.put("connection: close\r\n");
    } else if (req_http10_) {
      hw.put("connection: keep-alive\r\n");
    }
  }
  hw.put("\r\n");
  if (hw.overflow()) {
    w_.buffers().put(b);
    close_server();
    reply_error(502, {'P', 'H'});
    return;
  }
  if (w_.runtime().debug && !interim) {
    trace::head(c_.stream_id_, w_.config().proxies[be_].name, false, c_.cli()->fd(), c->io->fd(), h, base);
  }
  if (!interim) {
    t_resp_ = uv_now(w_.loop());
    status_ = h.status;
    count_status(true);
  }
  if (out_) w_.buffers().put(out_);
  out_ = b;
  release_rewrites();
  w_.timers().disarm(c->timer);
  uint32_t head_end = frame.start + frame.length;
  uint32_t limit = interim || resp_complete_ ? resp_end_ : c->in.parsed;
  if (resp_upgrade_) limit = c->in.end;   // bytes after a 101 already belong to the tunnel
  c->in.fwd = head_end;
  c_.pending_client_fwd_ = limit;
  resp_started_ = true;
  if (!interim) resp_head_sent_ = true;
  // An HTTP/2 stream takes a final head as it is, not parsed back from its text, when the body
  // is delimited by its length (or absent); it then skips the text.
  if (c_.stream_ && !interim && !resp_upgrade_ && !frame.chunked && (bodiless || frame.has_length))
    static_cast<H2Stream*>(c_.io_)->take_response_head(h, base, drop_length, uint32_t(hw.size()),
                                                       bodiless ? 0 : frame.content_length);
  uv_buf_t bufs[2] = {uv_buf_init(out_, static_cast<unsigned>(hw.size())),
                      uv_buf_init(c->in.data + head_end, limit - head_end)};
  if (interim) {
    resp_begun_ = false;   // the final response starts after this one
    if (c_.write_client(bufs, limit > head_end ? 2 : 1, ClientWrite::interim)) {
      w_.buffers().put(out_);
      out_ = nullptr;
      c->in.fwd = limit;
    }
    return;
  }
  if (c_.write_client(bufs, limit > head_end ? 2 : 1, ClientWrite::response)) response_written();
}

void Exchange::forward_response_body() {
  ServerConn* c = srv_;
  if (!c || c_.client_write_ != ClientWrite::none) return;
  if (!resp_complete_ && c->in.parsed < c->in.end) {
    auto r = c->parser.feed(c->in.parsed, c->in.end);
    c->in.parsed = r.end;
    if (r.status == ParseStatus::error) {
      abort_both({'S', 'D'});
      return;
    }
    if (r.status != ParseStatus::more) {
      resp_complete_ = true;
      resp_end_ = r.end;
    }
  }
  uint32_t limit = resp_complete_ ? resp_end_ : c->in.parsed;
  c_.pending_client_fwd_ = limit;
  if (limit > c->in.fwd) {
    uv_buf_t buf = uv_buf_init(c->in.data + c->in.fwd, limit - c->in.fwd);
    if (!c_.write_client(&buf, 1, ClientWrite::response)) return;
  }
  response_written();
}

// Everything relayed so far reached the client (or the kernel's buffer for it).
void Exchange::response_written() {
  if (out_) {
    w_.buffers().put(out_);
    out_ = nullptr;
  }
  ServerConn* c = srv_;
  if (!c) return;
  c->in.fwd = c_.pending_client_fwd_;
  if (resp_upgrade_) {
    start_tunnel();
    return;
  }
  if (resp_complete_) {
    end_exchange();
    return;
  }
  c->in.compact();
  c->start_reading();
  if (auto t = server_timeout()) w_.timers().arm(c->timer, *t);
}




void Exchange::detach_server(bool reusable) {
  ServerConn* c = srv_;
  srv_ = nullptr;
  if (!c) return;
  const auto& be = w_.config().proxies[c->proxy_index];
  const int32_t max_reuse = be.servers[size_t(c->server_index)].max_reuse;
  if (!reusable || w_.stopping() || c->stream ||   // a stream ends; its connection is shared
      (max_reuse >= 0 && c->uses > uint32_t(max_reuse))) {
    c->close();
    return;
  }
  if (private_server_conns(c->proxy_index, c->server_index)) {
    // Never shared: it stays with this client for its next request, as HAProxy's (a PROXY
    // header describes this client only: HAProxy reuses such a connection for the same
    // addresses alone).
    if (!c_.keep_client_ || c_.client_eof_ || c_.stop_after_) {
      c->close();
      return;
    }
    if (c_.private_) c_.close_private();
    c->owner = nullptr;
    c->keeper = &c_;
    c->set_busy(false);
    c->release_buffer();
    c->start_reading();   // notices the server closing it meanwhile
    c_.private_ = c;
    return;
  }
  c->owner = nullptr;
  c->set_busy(false);
  c->release_buffer();
  w_.put_idle(c);
}

void Exchange::close_server() {
  if (!srv_) return;
  ServerConn* c = srv_;
  srv_ = nullptr;
  c->close();
}

void Exchange::on_server_connected(int status) {
  w_.timers().disarm(srv_->timer);
  srv_->release_first();
  if (srv_->tls && (status == 0 || status == core::Transport::kHandshakeFailed)) {
    stats::Counters &sc = w_.srv_counters(be_, srv_idx_), &bc = w_.be_counters(be_);
    auto stats::Counters::*m = status != 0 ? &stats::Counters::ssl_failed_handshake
                               : SSL_session_reused(srv_->tls->ssl()) ? &stats::Counters::ssl_reused_sess
                                                                      : &stats::Counters::ssl_sess;
    sc.add(sc.*m), bc.add(bc.*m);
  }
  if (status < 0) {
    fail_connect();
    return;
  }
  srv_->connected = true;
  t_connected_ = uv_now(w_.loop());
  if (srv_->tls) w_.runtime().tls->keep_server_session(srv_->tls->ssl(), be_, srv_idx_);
  if (w_.config().proxies[be_].server_tcpka) srv_->tcp.set_keepalive();
  // HTTP/2 (`proto h2`, or ALPN h2): the connection is shared from now on, this exchange's
  // request goes on a stream of it.
  if (!tcp_mode() && H2Upstream::speaks_h2(w_, *srv_)) srv_ = H2Upstream::adopt(w_, srv_, c_);
  if (tcp_mode()) start_tcp_relay();
  else send_request_head();
}

void Exchange::on_server_timeout() {
  switch (c_.phase_) {
    case Phase::connecting:
      fail_connect();
      return;
    case Phase::request:
    case Phase::response:
      if (!resp_started_) {
        w_.runtime().observed(be_, srv_idx_, check::Observed::read_timeout);
        if (retry_layer7(config::Proxy::retry_response_timeout, 0)) return;
        close_server();
        reply_error(504, {'s', 'H'});
      } else {
        abort_both({'s', 'D'});
      }
      return;
    case Phase::tunnel:
      if (split_timeouts()) server_side_timeout();
      else abort_both({'s', 'D'});
      return;
    default:
      close_server();
      return;
  }
}

bool Exchange::write_server(uv_buf_t* bufs, int n, ServerWrite kind) {
  const int r = srv_->io->write(bufs, n);
  if (r == core::Transport::kDone) return true;
  if (r < 0) {
    if (!resp_started_) {
      close_server();
      reply_error(502, {'S', 'D'});
    } else {
      abort_both({'S', 'D'});
    }
    return false;
  }
  server_write_ = kind;
  c_.stop_reading();   // the server is slow: stop taking bytes from the client
  return false;
}

}  // namespace portero::proxy
