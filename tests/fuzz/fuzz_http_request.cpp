// Arbitrary bytes from an HTTP/1 client through portero's data plane (proxy_harness.h): the
// request parser (http::Parser over llhttp, strict framing, pipelining), the http-request
// rules of a fixed config rewriting the head (set-header, add-header, replace-header,
// replace-value, del-header, set-path, replace-path, set-query, set-uri, replace-uri,
// set-method, set-var, auth, redirect, return, deny, capture), forwardfor, the persistence
// cookie, unique-id-header, and the head serialised to the server. Every request the server
// receives must parse with portero's own parser; the answer to the client too.
#include <string>

#include "proxy_harness.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzzproxy::start(fuzzproxy::kHttpConfig);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 32768) return -1;
  fuzzproxy::Exchange x;
  x.client_bytes.assign(reinterpret_cast<const char*>(data), size);
  x.server_response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok";
  fuzzproxy::Outcome o = fuzzproxy::run(x);
  // The client's answers: portero's own (400, 403, 401, 301, return) or the server's, relayed.
  // After a HEAD the answer has no body; the harness does not track methods, so only a client
  // that sent no HEAD gets its answer checked.
  // A client opening with the HTTP/2 preface is answered in HTTP/2 (prior knowledge on a clear
  // bind): fuzz_h2_proxy checks those answers.
  if (x.client_bytes.starts_with("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")) return 0;
  if (x.client_bytes.find("HEAD") == std::string::npos)
    fuzzproxy::check_parses(o.answer, false, false, "the answer the client received");
  return 0;
}
