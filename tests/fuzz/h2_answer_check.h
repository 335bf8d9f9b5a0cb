#pragma once
// What an HTTP/2 client may require of the bytes a server sends it, checked on everything the
// proxy wrote to a fuzzed client (fuzz_h2_proxy): frame layout, the connection preface,
// HPACK that decodes, response heads a conforming client accepts (RFC 9113 8.1-8.3: one
// :status first, no 101, lower-case names, no connection-specific fields, interim heads
// without END_STREAM, trailers without pseudo-fields and with END_STREAM), no frame of a
// stream after its END_STREAM or our RST_STREAM, and DATA adding up to content-length.
// A violation aborts (a finding). The proxy's output is a stream of frames written in order,
// so only a frame cut by the end of the connection is left unchecked.
#include <string_view>

namespace fuzzh2 {

void check_answer(std::string_view bytes);

}  // namespace fuzzh2
