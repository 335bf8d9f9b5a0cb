#pragma once
// One connection to the admin socket: reads request bytes into its Conversation, writes the
// replies, closes when the conversation is over, on the idle timeout (`stats timeout`, or
// `set timeout cli`) or on error. Main-thread only; heap-allocated and never moved (it holds
// libuv handles); its owner frees it from the release callback, after both handles closed.
#include <cstdint>
#include <string>

#include <uv.h>

#include "commands.h"
#include "conversation.h"

namespace portero::admin {

class Client {
 public:
  using ReleaseFn = void (*)(void* owner, Client* c);

  Client(uv_loop_t* loop, Context& ctx, Session s, size_t max_line, ReleaseFn release, void* owner);
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Takes ownership of the accepted fd. On false the fd is closed and the client must still be
  // released through close() (the handles are initialised either way).
  bool start(int fd, bool unix_family, std::string proto, std::string source);
  // Closes at once, dropping unsent output; `release` runs once libuv has let go.
  void close();

  CliClientInfo info(uint64_t now_ms) const;
  // Hands the client over to a new owner (its release callback frees it then).
  void set_release(ReleaseFn release, void* owner) {
    release_ = release;
    owner_ = owner;
  }

 private:
  static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);
  static void on_write(uv_write_t* req, int status);
  static void on_timeout(uv_timer_t* t);
  static void on_closed(uv_handle_t* h);

  void send(std::string bytes);
  // `_getsocks`: the listening sockets over this connection (SCM_RIGHTS), then the end.
  void hand_over_listeners();
  void arm_timer();
  void maybe_finish();
  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&h_); }

  union {
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } h_;
  uv_timer_t timer_;
  uv_loop_t* loop_;
  Context& ctx_;
  Conversation conv_;
  ReleaseFn release_;
  void* owner_;
  std::string proto_, source_;
  uint64_t started_ms_;
  size_t writes_pending_ = 0;
  bool reading_ = false;
  bool closing_ = false;
  bool fed_ = false;   // some input was read already
  int open_handles_ = 0;
  char rbuf_[4096];
};

}  // namespace portero::admin
