#pragma once
// Conversions between libuv's handle "subclasses", kept in one place.
#include <uv.h>

namespace portero::proxy {

inline uv_stream_t* stream(uv_tcp_t* t) { return reinterpret_cast<uv_stream_t*>(t); }
inline uv_handle_t* handle(uv_tcp_t* t) { return reinterpret_cast<uv_handle_t*>(t); }

}  // namespace portero::proxy
